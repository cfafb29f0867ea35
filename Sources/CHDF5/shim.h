#ifndef KERASVIS_CHDF5_SHIM_H
#define KERASVIS_CHDF5_SHIM_H
// Swift cannot import libhdf5's macro constants (they expand to function calls or casts),
// so this header re-exports the ones kerasvis needs as inline functions.
#include <hdf5.h>
#include <string.h>

static inline hid_t kv_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t kv_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t kv_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t kv_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t kv_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t kv_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline size_t kv_h5t_variable(void) { return H5T_VARIABLE; }
static inline unsigned kv_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned kv_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t kv_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t kv_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t kv_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t kv_h5s_all(void) { return H5S_ALL; }
static inline hid_t kv_h5e_default(void) { return H5E_DEFAULT; }

/// Turns off libhdf5's automatic printing of its error stack to stderr.
static inline void kv_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct { char *buffer; size_t capacity; } kv_h5_message_sink;

static inline herr_t kv_h5_collect_message(unsigned n, const H5E_error2_t *err, void *data) {
  kv_h5_message_sink *sink = (kv_h5_message_sink *)data;
  size_t used = strlen(sink->buffer);
  if (err->desc == NULL || used + 3 >= sink->capacity) return 0;
  if (used > 0) { strncat(sink->buffer, "; ", sink->capacity - used - 1); used += 2; }
  strncat(sink->buffer, err->desc, sink->capacity - used - 1);
  return 0;
}

/// Writes the current thread's HDF5 error stack descriptions (outermost first) into `buffer`.
static inline void kv_h5_error_message(char *buffer, size_t capacity) {
  if (capacity == 0) return;
  buffer[0] = 0;
  kv_h5_message_sink sink = { buffer, capacity };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, kv_h5_collect_message, &sink);
  H5Eclear2(H5E_DEFAULT);
}

#endif
