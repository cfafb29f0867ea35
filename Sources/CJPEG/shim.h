#ifndef KERASVIS_CJPEG_SHIM_H
#define KERASVIS_CJPEG_SHIM_H
// libjpeg-turbo's libjpeg API (Debian libjpeg62-turbo-dev), wrapped so that libjpeg's error_exit longjmp never
// crosses a Swift frame.
//
// Each function sets up its own setjmp point, runs the whole libjpeg call sequence in C and returns a status code;
// libjpeg errors and warnings are written into the caller's `kv_jpeg_messages` instead of stderr.
// Decoding is two-pass: `kv_jpeg_read_header` reports size and colour space, the caller allocates
// `width * height * channels` bytes, and `kv_jpeg_decode` fills them.
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/// Status codes returned by the functions in this header.
enum {
  KV_JPEG_OK = 0,
  KV_JPEG_NOT_JPEG = 1,            // the data does not start with a JPEG SOI marker
  KV_JPEG_ERROR = 2,               // libjpeg reported an error; see `error`
  KV_JPEG_TRUNCATED = 3,           // libjpeg hit the end of the data before the image was complete
  KV_JPEG_UNSUPPORTED_COLOR = 4,   // CMYK, YCCK or another colour space other than gray / YCbCr / RGB
  KV_JPEG_BAD_ARGUMENT = 5,        // the output buffer does not match the header
};

/// Error and warning text captured from libjpeg (NUL-terminated, possibly cut short).
typedef struct {
  char error[JMSG_LENGTH_MAX];
  char warning[JMSG_LENGTH_MAX];
  int warning_count;
  int hit_end_of_data;  // libjpeg warned "Premature end of JPEG file" (it pads the rest of the image)
} kv_jpeg_messages;

/// What the header says.
typedef struct {
  unsigned int width;
  unsigned int height;
  int components;       // components in the file (1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK)
  int color_space;      // libjpeg's J_COLOR_SPACE of the file
  int channels;         // channels of the decoded output (1 or 3)
  int progressive;      // 1 when progressive
} kv_jpeg_header;

/// libjpeg error manager extended with the jump buffer and the message sink.
typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  kv_jpeg_messages *messages;
} kv_jpeg_error_mgr;

static inline void kv_jpeg_error_exit(j_common_ptr cinfo) {
  kv_jpeg_error_mgr *err = (kv_jpeg_error_mgr *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, err->messages->error);
  longjmp(err->jump, 1);
}

static inline void kv_jpeg_emit_message(j_common_ptr cinfo, int level) {
  kv_jpeg_error_mgr *err = (kv_jpeg_error_mgr *)cinfo->err;
  if (level < 0) {
    // A warning (corrupt data that libjpeg works around). Keep the last one; count them all.
    (*cinfo->err->format_message)(cinfo, err->messages->warning);
    err->messages->warning_count += 1;
    cinfo->err->num_warnings++;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
      err->messages->hit_end_of_data = 1;
    }
  }
  // Trace messages (level >= 0) are dropped.
}

static inline void kv_jpeg_output_message(j_common_ptr cinfo) {
  kv_jpeg_error_mgr *err = (kv_jpeg_error_mgr *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, err->messages->warning);
}

static inline void kv_jpeg_copy_message(char *dst, const char *src) {
  size_t n = 0;
  while (src[n] != '\0' && n + 1 < JMSG_LENGTH_MAX) {
    dst[n] = src[n];
    n++;
  }
  dst[n] = '\0';
}

static inline int kv_jpeg_has_signature(const unsigned char *data, size_t size) {
  return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

/// Picks the output colour space; returns 0 for colour spaces this wrapper refuses.
static inline int kv_jpeg_choose_output(struct jpeg_decompress_struct *cinfo) {
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
      cinfo->out_color_space = JCS_GRAYSCALE;
      return 1;
    case JCS_YCbCr:
    case JCS_RGB:
      cinfo->out_color_space = JCS_RGB;
      return 1;
    default:
      return 0;
  }
}

/// Zeroes `cinfo` and points its error handling at kerasvis's manager (messages collected, errors longjmp to the
/// caller's setjmp, which the caller sets right after).
static inline void kv_jpeg_install_errors(
  struct jpeg_decompress_struct *cinfo, kv_jpeg_error_mgr *err, kv_jpeg_messages *messages
) {
  memset(cinfo, 0, sizeof(*cinfo));
  cinfo->err = jpeg_std_error(&err->base);
  err->base.error_exit = kv_jpeg_error_exit;
  err->base.emit_message = kv_jpeg_emit_message;
  err->base.output_message = kv_jpeg_output_message;
  err->messages = messages;
}

/// Reads the JPEG header. Returns a KV_JPEG_* status (KV_JPEG_UNSUPPORTED_COLOR still fills `header`).
static inline int kv_jpeg_read_header(
  const unsigned char *data, size_t size, kv_jpeg_header *header, kv_jpeg_messages *messages
) {
  memset(header, 0, sizeof(*header));
  memset(messages, 0, sizeof(*messages));
  if (!kv_jpeg_has_signature(data, size)) {
    kv_jpeg_copy_message(messages->error, "not a JPEG signature");
    return KV_JPEG_NOT_JPEG;
  }
  struct jpeg_decompress_struct cinfo;
  kv_jpeg_error_mgr err;
  kv_jpeg_install_errors(&cinfo, &err, messages);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return messages->hit_end_of_data ? KV_JPEG_TRUNCATED : KV_JPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);
  header->width = cinfo.image_width;
  header->height = cinfo.image_height;
  header->components = cinfo.num_components;
  header->color_space = (int)cinfo.jpeg_color_space;
  header->progressive = cinfo.progressive_mode ? 1 : 0;
  int supported = kv_jpeg_choose_output(&cinfo);
  header->channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
  jpeg_destroy_decompress(&cinfo);
  if (!supported) {
    kv_jpeg_copy_message(messages->error, "unsupported JPEG colour space (only grayscale, YCbCr and RGB)");
    return KV_JPEG_UNSUPPORTED_COLOR;
  }
  if (messages->hit_end_of_data) {
    return KV_JPEG_TRUNCATED;
  }
  return KV_JPEG_OK;
}

/// Decodes the image into `out` (`out_size` must equal `width * height * channels` from the header).
/// A file that ends early is reported as KV_JPEG_TRUNCATED even though libjpeg would pad it and go on.
static inline int kv_jpeg_decode(
  const unsigned char *data, size_t size, unsigned char *out, size_t out_size, kv_jpeg_messages *messages
) {
  memset(messages, 0, sizeof(*messages));
  if (!kv_jpeg_has_signature(data, size)) {
    kv_jpeg_copy_message(messages->error, "not a JPEG signature");
    return KV_JPEG_NOT_JPEG;
  }
  struct jpeg_decompress_struct cinfo;
  kv_jpeg_error_mgr err;
  kv_jpeg_install_errors(&cinfo, &err, messages);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return messages->hit_end_of_data ? KV_JPEG_TRUNCATED : KV_JPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);
  if (!kv_jpeg_choose_output(&cinfo)) {
    jpeg_destroy_decompress(&cinfo);
    kv_jpeg_copy_message(messages->error, "unsupported JPEG colour space (only grayscale, YCbCr and RGB)");
    return KV_JPEG_UNSUPPORTED_COLOR;
  }
  jpeg_start_decompress(&cinfo);
  size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
  if (row_bytes == 0 || out_size / row_bytes != cinfo.output_height || out_size % row_bytes != 0) {
    jpeg_destroy_decompress(&cinfo);
    kv_jpeg_copy_message(messages->error, "output buffer size does not match the image");
    return KV_JPEG_BAD_ARGUMENT;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out + (size_t)cinfo.output_scanline * row_bytes;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (messages->hit_end_of_data) {
    kv_jpeg_copy_message(messages->error, "Premature end of JPEG file");
    return KV_JPEG_TRUNCATED;
  }
  return KV_JPEG_OK;
}

#endif
