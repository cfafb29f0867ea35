#ifndef KERASVIS_CPNG_SHIM_H
#define KERASVIS_CPNG_SHIM_H
// libpng (Debian libpng-dev), wrapped so that libpng's longjmp-based error handling never crosses a Swift frame.
//
// Every function below sets up its own setjmp point, runs the whole libpng call sequence in C and returns a status
// code; libpng errors and warnings are written into the caller's `kv_png_messages` instead of stderr.
// Decoding is two-pass: `kv_png_read_header` reports size and layout, the caller allocates a buffer of
// `row_bytes * height` bytes, and `kv_png_decode` fills it.
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/// Status codes returned by the functions in this header.
enum {
  KV_PNG_OK = 0,
  KV_PNG_NOT_PNG = 1,       // the signature is not PNG's
  KV_PNG_ERROR = 2,         // libpng reported an error; see `error`
  KV_PNG_TRUNCATED = 3,     // the data ended before libpng was done with it
  KV_PNG_OUT_OF_MEMORY = 4,
  KV_PNG_BAD_ARGUMENT = 5,  // a buffer size did not match the header
};

/// Error and warning text captured from libpng (NUL-terminated, possibly cut short).
typedef struct {
  char error[256];
  char warning[256];
  int warning_count;
} kv_png_messages;

/// What the header says: size, PNG bit depth and colour type, interlacing, palette and tRNS.
typedef struct {
  unsigned int width;
  unsigned int height;
  int bit_depth;   // 1, 2, 4, 8 or 16 as stored in the file
  int color_type;  // PNG_COLOR_TYPE_GRAY (0), RGB (2), PALETTE (3), GRAY_ALPHA (4), RGB_ALPHA (6)
  int interlaced;  // 1 when Adam7
  int channels;    // samples per pixel in the decoded buffer (1, 2, 3 or 4)
  int sample_bytes;  // bytes per sample in the decoded buffer (1, or 2 for 16-bit files)
  size_t row_bytes;  // bytes per decoded row (width * channels * sample_bytes)
  int palette_count;             // entries in PLTE (0 when none)
  unsigned char palette[256 * 3];  // RGB triples
  int trns_count;                  // palette alpha entries in tRNS (palette images)
  unsigned char trns_alpha[256];
  int has_trns_color;              // gray/RGB images: tRNS names one transparent colour
  unsigned short trns_gray;
  unsigned short trns_red, trns_green, trns_blue;
} kv_png_header;

/// Memory source handed to libpng's read callback.
typedef struct {
  const unsigned char *data;
  size_t size;
  size_t offset;
  int ran_out;
} kv_png_source;

static inline void kv_png_copy_message(char *dst, const char *src) {
  size_t n = 0;
  if (src == NULL) {
    src = "(no message)";
  }
  while (src[n] != '\0' && n < 255) {
    dst[n] = src[n];
    n++;
  }
  dst[n] = '\0';
}

static inline void kv_png_error_fn(png_structp png, png_const_charp message) {
  kv_png_messages *messages = (kv_png_messages *)png_get_error_ptr(png);
  if (messages != NULL) {
    kv_png_copy_message(messages->error, message);
  }
  png_longjmp(png, 1);
}

static inline void kv_png_warning_fn(png_structp png, png_const_charp message) {
  kv_png_messages *messages = (kv_png_messages *)png_get_error_ptr(png);
  if (messages != NULL) {
    kv_png_copy_message(messages->warning, message);
    messages->warning_count += 1;
  }
}

static inline void kv_png_read_fn(png_structp png, png_bytep out, png_size_t length) {
  kv_png_source *source = (kv_png_source *)png_get_io_ptr(png);
  if (source->size - source->offset < length) {
    source->ran_out = 1;
    png_error(png, "unexpected end of data");
  }
  memcpy(out, source->data + source->offset, length);
  source->offset += length;
}

/// Sets the transformations that give the decoded layout: 8-bit palette indices, gray scaled up to 8 bits,
/// 16-bit samples kept big-endian, Adam7 interlacing undone, tRNS left for the caller.
static inline void kv_png_set_transforms(png_structp png, png_infop info) {
  int bit_depth = png_get_bit_depth(png, info);
  int color_type = png_get_color_type(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE && bit_depth < 8) {
    png_set_packing(png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) {
    png_set_interlace_handling(png);
  }
}

/// Checks the signature and creates the libpng read and info structs with kerasvis's error handlers (no longjmp
/// happens here). Returns KV_PNG_OK or the failure's status, with the message set.
static inline int kv_png_create_reader(
  const unsigned char *data, size_t size, kv_png_messages *messages, png_structp *png, png_infop *info
) {
  if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
    kv_png_copy_message(messages->error, "not a PNG signature");
    return KV_PNG_NOT_PNG;
  }
  *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, messages, kv_png_error_fn, kv_png_warning_fn);
  if (*png == NULL) {
    kv_png_copy_message(messages->error, "cannot create libpng read struct");
    return KV_PNG_OUT_OF_MEMORY;
  }
  *info = png_create_info_struct(*png);
  if (*info == NULL) {
    png_destroy_read_struct(png, NULL, NULL);
    kv_png_copy_message(messages->error, "cannot create libpng info struct");
    return KV_PNG_OUT_OF_MEMORY;
  }
  return KV_PNG_OK;
}

/// Reads the PNG header (everything up to the image data). Returns a KV_PNG_* status.
static inline int kv_png_read_header(
  const unsigned char *data, size_t size, kv_png_header *header, kv_png_messages *messages
) {
  memset(header, 0, sizeof(*header));
  memset(messages, 0, sizeof(*messages));
  kv_png_source source = {data, size, 0, 0};
  png_structp png = NULL;
  png_infop info = NULL;
  int created = kv_png_create_reader(data, size, messages, &png, &info);
  if (created != KV_PNG_OK) return created;
  if (setjmp(png_jmpbuf(png))) {
    int status = source.ran_out ? KV_PNG_TRUNCATED : KV_PNG_ERROR;
    png_destroy_read_struct(&png, &info, NULL);
    return status;
  }
  png_set_read_fn(png, &source, kv_png_read_fn);
  png_read_info(png, info);
  header->width = png_get_image_width(png, info);
  header->height = png_get_image_height(png, info);
  header->bit_depth = png_get_bit_depth(png, info);
  header->color_type = png_get_color_type(png, info);
  header->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  png_colorp palette = NULL;
  int palette_count = 0;
  if (png_get_PLTE(png, info, &palette, &palette_count) != 0 && palette != NULL) {
    if (palette_count > 256) {
      palette_count = 256;
    }
    header->palette_count = palette_count;
    for (int i = 0; i < palette_count; i++) {
      header->palette[3 * i + 0] = palette[i].red;
      header->palette[3 * i + 1] = palette[i].green;
      header->palette[3 * i + 2] = palette[i].blue;
    }
  }
  png_bytep trans_alpha = NULL;
  int trns_count = 0;
  png_color_16p trans_color = NULL;
  if (png_get_tRNS(png, info, &trans_alpha, &trns_count, &trans_color) != 0) {
    if (header->color_type == PNG_COLOR_TYPE_PALETTE && trans_alpha != NULL) {
      if (trns_count > 256) {
        trns_count = 256;
      }
      header->trns_count = trns_count;
      memcpy(header->trns_alpha, trans_alpha, (size_t)trns_count);
    } else if (trans_color != NULL) {
      header->has_trns_color = 1;
      header->trns_gray = trans_color->gray;
      header->trns_red = trans_color->red;
      header->trns_green = trans_color->green;
      header->trns_blue = trans_color->blue;
    }
  }
  kv_png_set_transforms(png, info);
  png_read_update_info(png, info);
  header->channels = png_get_channels(png, info);
  header->sample_bytes = png_get_bit_depth(png, info) == 16 ? 2 : 1;
  header->row_bytes = png_get_rowbytes(png, info);
  png_destroy_read_struct(&png, &info, NULL);
  return KV_PNG_OK;
}

/// Decodes the whole image into `out` (`out_size` must equal `row_bytes * height` from the header).
/// Returns a KV_PNG_* status.
static inline int kv_png_decode(
  const unsigned char *data, size_t size, unsigned char *out, size_t out_size, kv_png_messages *messages
) {
  memset(messages, 0, sizeof(*messages));
  kv_png_source source = {data, size, 0, 0};
  png_structp png = NULL;
  png_infop info = NULL;
  int created = kv_png_create_reader(data, size, messages, &png, &info);
  if (created != KV_PNG_OK) return created;
  png_bytep *volatile rows = NULL;
  if (setjmp(png_jmpbuf(png))) {
    int status = source.ran_out ? KV_PNG_TRUNCATED : KV_PNG_ERROR;
    free((void *)rows);
    png_destroy_read_struct(&png, &info, NULL);
    return status;
  }
  png_set_read_fn(png, &source, kv_png_read_fn);
  png_read_info(png, info);
  kv_png_set_transforms(png, info);
  png_read_update_info(png, info);
  png_uint_32 height = png_get_image_height(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  if (height == 0 || row_bytes == 0 || out_size / row_bytes != height || out_size % row_bytes != 0) {
    png_destroy_read_struct(&png, &info, NULL);
    kv_png_copy_message(messages->error, "output buffer size does not match the image");
    return KV_PNG_BAD_ARGUMENT;
  }
  rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
  if (rows == NULL) {
    png_destroy_read_struct(&png, &info, NULL);
    kv_png_copy_message(messages->error, "out of memory for row pointers");
    return KV_PNG_OUT_OF_MEMORY;
  }
  for (png_uint_32 y = 0; y < height; y++) {
    rows[y] = out + (size_t)y * row_bytes;
  }
  png_read_image(png, rows);
  png_read_end(png, NULL);
  free((void *)rows);
  rows = NULL;
  png_destroy_read_struct(&png, &info, NULL);
  return KV_PNG_OK;
}

/// Growable memory sink for the encoder.
typedef struct {
  unsigned char *data;
  size_t size;
  size_t capacity;
  int failed;
} kv_png_sink;

static inline void kv_png_write_fn(png_structp png, png_bytep bytes, png_size_t length) {
  kv_png_sink *sink = (kv_png_sink *)png_get_io_ptr(png);
  if (sink->capacity - sink->size < length) {
    size_t capacity = sink->capacity == 0 ? 4096 : sink->capacity;
    while (capacity - sink->size < length) {
      if (capacity > ((size_t)-1) / 2) {
        sink->failed = 1;
        png_error(png, "encoded PNG too large");
      }
      capacity *= 2;
    }
    unsigned char *grown = (unsigned char *)realloc(sink->data, capacity);
    if (grown == NULL) {
      sink->failed = 1;
      png_error(png, "out of memory while encoding");
    }
    sink->data = grown;
    sink->capacity = capacity;
  }
  memcpy(sink->data + sink->size, bytes, length);
  sink->size += length;
}

static inline void kv_png_flush_fn(png_structp png) { (void)png; }

/// Encodes 8-bit pixels (`channels` 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; rows packed, no padding) as PNG.
/// On success `*out` holds a malloc'd buffer of `*out_size` bytes that the caller releases with `kv_png_free`.
static inline int kv_png_encode(
  const unsigned char *pixels, unsigned int width, unsigned int height, int channels,
  unsigned char **out, size_t *out_size, kv_png_messages *messages
) {
  memset(messages, 0, sizeof(*messages));
  *out = NULL;
  *out_size = 0;
  int color_type;
  switch (channels) {
    case 1: color_type = PNG_COLOR_TYPE_GRAY; break;
    case 2: color_type = PNG_COLOR_TYPE_GRAY_ALPHA; break;
    case 3: color_type = PNG_COLOR_TYPE_RGB; break;
    case 4: color_type = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default:
      kv_png_copy_message(messages->error, "channels must be 1, 2, 3 or 4");
      return KV_PNG_BAD_ARGUMENT;
  }
  if (width == 0 || height == 0) {
    kv_png_copy_message(messages->error, "width and height must be positive");
    return KV_PNG_BAD_ARGUMENT;
  }
  kv_png_sink sink = {NULL, 0, 0, 0};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, messages, kv_png_error_fn, kv_png_warning_fn);
  if (png == NULL) {
    kv_png_copy_message(messages->error, "cannot create libpng write struct");
    return KV_PNG_OUT_OF_MEMORY;
  }
  png_infop info = png_create_info_struct(png);
  if (info == NULL) {
    png_destroy_write_struct(&png, NULL);
    kv_png_copy_message(messages->error, "cannot create libpng info struct");
    return KV_PNG_OUT_OF_MEMORY;
  }
  if (setjmp(png_jmpbuf(png))) {
    free(sink.data);
    png_destroy_write_struct(&png, &info);
    return sink.failed ? KV_PNG_OUT_OF_MEMORY : KV_PNG_ERROR;
  }
  png_set_write_fn(png, &sink, kv_png_write_fn, kv_png_flush_fn);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t row_bytes = (size_t)width * (size_t)channels;
  for (unsigned int y = 0; y < height; y++) {
    png_write_row(png, (png_const_bytep)(pixels + (size_t)y * row_bytes));
  }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  *out = sink.data;
  *out_size = sink.size;
  return KV_PNG_OK;
}

/// Releases a buffer returned by `kv_png_encode`.
static inline void kv_png_free(unsigned char *buffer) { free(buffer); }

#endif
