// The version split: everything that differs between oneDNN 2.x and 3.x, chosen by DNNL_VERSION_MAJOR at compile
// time (CDNNLShim.h refuses other versions). oneDNN 2 describes an operation in a struct and then creates its
// primitive descriptor; oneDNN 3 creates the primitive descriptor from the memory descriptors in one call, and its
// memory descriptors are opaque handles that are queried instead of read.
#include "CDNNLShim.h"

#include <stdlib.h>
#include <string.h>

#define KVDNNL_API3 (DNNL_VERSION_MAJOR >= 3)

int kvdnnl_version(void) {
  const dnnl_version_t *version = dnnl_version();
  return version ? version->major * 10000 + version->minor * 100 + version->patch : 0;
}

// MARK: Memory descriptors: representation

#if KVDNNL_API3

// A kvdnnl_md_t is the dnnl_memory_desc_t handle itself.
static const_dnnl_memory_desc_t md_of(const_kvdnnl_md_t md) { return (const_dnnl_memory_desc_t)md; }

// `created` is read here, after the creating call: C leaves the order in which a call's arguments are evaluated
// unspecified (GCC reads a by-value `created` before the call that writes it).
static dnnl_status_t md_adopt(kvdnnl_md_t *md, dnnl_status_t status, const dnnl_memory_desc_t *created) {
  *md = status == dnnl_success ? (kvdnnl_md_t)*created : NULL;
  return status;
}

void kvdnnl_md_destroy(kvdnnl_md_t md) {
  if (md) dnnl_memory_desc_destroy((dnnl_memory_desc_t)md);
}

static int md_query_int(const_kvdnnl_md_t md, dnnl_query_t what) {
  int value = 0;
  if (dnnl_memory_desc_query(md_of(md), what, &value) != dnnl_success) return 0;
  return value;
}

/// A dims-valued query (`dnnl_query_dims`, `_strides`, ...): oneDNN 3 answers with a pointer to its array.
static const dnnl_dim_t *md_query_dims(const_kvdnnl_md_t md, dnnl_query_t what) {
  const dnnl_dims_t *value = NULL;
  if (dnnl_memory_desc_query(md_of(md), what, &value) != dnnl_success || !value) return NULL;
  return *value;
}

int kvdnnl_md_ndims(const_kvdnnl_md_t md) { return md_query_int(md, dnnl_query_ndims_s32); }

dnnl_data_type_t kvdnnl_md_data_type(const_kvdnnl_md_t md) {
  dnnl_data_type_t value = dnnl_data_type_undef;
  dnnl_memory_desc_query(md_of(md), dnnl_query_data_type, &value);
  return value;
}

static dnnl_format_kind_t md_format_kind(const_kvdnnl_md_t md) {
  dnnl_format_kind_t value = dnnl_format_kind_undef;
  dnnl_memory_desc_query(md_of(md), dnnl_query_format_kind, &value);
  return value;
}

static dnnl_dim_t md_offset0(const_kvdnnl_md_t md) {
  dnnl_dim_t value = 0;
  dnnl_memory_desc_query(md_of(md), dnnl_query_submemory_offset_s64, &value);
  return value;
}

static void md_copy_dims(const_kvdnnl_md_t md, dnnl_query_t what, dnnl_dim_t *out) {
  const int ndims = kvdnnl_md_ndims(md);
  const dnnl_dim_t *values = md_query_dims(md, what);
  for (int d = 0; d < ndims; ++d) out[d] = values ? values[d] : 0;
}

void kvdnnl_md_dims(const_kvdnnl_md_t md, dnnl_dim_t *dims) { md_copy_dims(md, dnnl_query_dims, dims); }
static void md_padded_dims(const_kvdnnl_md_t md, dnnl_dim_t *out) { md_copy_dims(md, dnnl_query_padded_dims, out); }
static void md_padded_offsets(const_kvdnnl_md_t md, dnnl_dim_t *out) {
  md_copy_dims(md, dnnl_query_padded_offsets, out);
}

int kvdnnl_md_blocking(
    const_kvdnnl_md_t md, dnnl_dim_t *strides, int *inner_count, dnnl_dim_t *inner_blocks, dnnl_dim_t *inner_indices) {
  if (md_format_kind(md) != dnnl_blocked) return 0;
  md_copy_dims(md, dnnl_query_strides, strides);
  const int count = md_query_int(md, dnnl_query_inner_nblks_s32);
  const dnnl_dim_t *blocks = md_query_dims(md, dnnl_query_inner_blks);
  const dnnl_dim_t *indices = md_query_dims(md, dnnl_query_inner_idxs);
  *inner_count = count;
  for (int b = 0; b < count; ++b) {
    inner_blocks[b] = blocks ? blocks[b] : 0;
    inner_indices[b] = indices ? indices[b] : 0;
  }
  return 1;
}

size_t kvdnnl_md_size(const_kvdnnl_md_t md) { return dnnl_memory_desc_get_size(md_of(md)); }

int kvdnnl_md_equal(const_kvdnnl_md_t lhs, const_kvdnnl_md_t rhs) {
  return dnnl_memory_desc_equal(md_of(lhs), md_of(rhs));
}

dnnl_status_t kvdnnl_md_create_with_strides(
    kvdnnl_md_t *md, int ndims, const dnnl_dim_t *dims, dnnl_data_type_t data_type, const dnnl_dim_t *strides) {
  dnnl_memory_desc_t created = NULL;
  return md_adopt(md, dnnl_memory_desc_create_with_strides(&created, ndims, dims, data_type, strides), &created);
}

dnnl_status_t kvdnnl_md_create_with_tag(
    kvdnnl_md_t *md, int ndims, const dnnl_dim_t *dims, dnnl_data_type_t data_type, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t created = NULL;
  return md_adopt(md, dnnl_memory_desc_create_with_tag(&created, ndims, dims, data_type, tag), &created);
}

dnnl_status_t kvdnnl_md_create_submemory(
    kvdnnl_md_t *md, const_kvdnnl_md_t parent, const dnnl_dim_t *dims, const dnnl_dim_t *offsets) {
  dnnl_memory_desc_t created = NULL;
  return md_adopt(md, dnnl_memory_desc_create_submemory(&created, md_of(parent), dims, offsets), &created);
}

static dnnl_status_t md_clone(kvdnnl_md_t *md, const_kvdnnl_md_t source) {
  dnnl_memory_desc_t created = NULL;
  return md_adopt(md, dnnl_memory_desc_clone(&created, md_of(source)), &created);
}

/// Whether the layout `candidate` describes in `source`'s data type is `source`'s: creates it that way and compares.
typedef dnnl_status_t (*md_maker)(kvdnnl_md_t *, const_kvdnnl_md_t, dnnl_data_type_t, const void *);

static int md_matches(const_kvdnnl_md_t source, md_maker make, const void *context) {
  kvdnnl_md_t candidate = NULL;
  if (make(&candidate, source, kvdnnl_md_data_type(source), context) != dnnl_success) return 0;
  const int equal = kvdnnl_md_equal(candidate, source);
  kvdnnl_md_destroy(candidate);
  return equal;
}

static dnnl_status_t make_strided(kvdnnl_md_t *md, const_kvdnnl_md_t source, dnnl_data_type_t type, const void *unused) {
  (void)unused;
  dnnl_dims_t dims, strides;
  int count = 0;
  dnnl_dims_t blocks, indices;
  if (!kvdnnl_md_blocking(source, strides, &count, blocks, indices) || count != 0) return dnnl_invalid_arguments;
  kvdnnl_md_dims(source, dims);
  return kvdnnl_md_create_with_strides(md, kvdnnl_md_ndims(source), dims, type, strides);
}

static dnnl_status_t make_tagged(kvdnnl_md_t *md, const_kvdnnl_md_t source, dnnl_data_type_t type, const void *tag) {
  dnnl_dims_t dims;
  kvdnnl_md_dims(source, dims);
  return kvdnnl_md_create_with_tag(md, kvdnnl_md_ndims(source), dims, type, *(const dnnl_format_tag_t *)tag);
}

dnnl_status_t kvdnnl_md_create_with_data_type(kvdnnl_md_t *md, const_kvdnnl_md_t source, dnnl_data_type_t data_type) {
  *md = NULL;
  if (kvdnnl_md_data_type(source) == data_type) return md_clone(md, source);
  // oneDNN 3 cannot change a descriptor's data type in place. Strides and blocks count elements, so the same layout
  // in another type is the one built the same way: plain strides, or the format tag that rebuilds `source` exactly
  // (a primitive's chosen layouts are tags' layouts).
  if (md_matches(source, make_strided, NULL)) return make_strided(md, source, data_type, NULL);
  for (int value = dnnl_format_tag_undef + 1; value < dnnl_format_tag_last; ++value) {
    const dnnl_format_tag_t tag = (dnnl_format_tag_t)value;
    if (tag == dnnl_format_tag_any) continue;
    if (md_matches(source, make_tagged, &tag)) return make_tagged(md, source, data_type, &tag);
  }
  return dnnl_unimplemented;
}

kvdnnl_md_t kvdnnl_primitive_desc_query_md(const_dnnl_primitive_desc_t primitive_desc, dnnl_query_t what, int index) {
  const_dnnl_memory_desc_t found = dnnl_primitive_desc_query_md(primitive_desc, what, index);
  if (!found) return NULL;
  kvdnnl_md_t copy = NULL;
  return md_clone(&copy, (const_kvdnnl_md_t)found) == dnnl_success ? copy : NULL;
}

dnnl_status_t kvdnnl_memory_create(dnnl_memory_t *memory, const_kvdnnl_md_t md, dnnl_engine_t engine, void *handle) {
  return dnnl_memory_create(memory, md_of(md), engine, handle);
}

#else  // oneDNN 2.x

// A kvdnnl_md_t points to a heap copy of the dnnl_memory_desc_t struct.
static const dnnl_memory_desc_t *md_of(const_kvdnnl_md_t md) { return (const dnnl_memory_desc_t *)md; }

static dnnl_status_t md_adopt(kvdnnl_md_t *md, dnnl_status_t status, const dnnl_memory_desc_t *created) {
  *md = NULL;
  if (status != dnnl_success) return status;
  dnnl_memory_desc_t *copy = malloc(sizeof *copy);
  if (!copy) return dnnl_out_of_memory;
  *copy = *created;
  *md = (kvdnnl_md_t)copy;
  return dnnl_success;
}

void kvdnnl_md_destroy(kvdnnl_md_t md) { free(md); }

int kvdnnl_md_ndims(const_kvdnnl_md_t md) { return md_of(md)->ndims; }

dnnl_data_type_t kvdnnl_md_data_type(const_kvdnnl_md_t md) { return md_of(md)->data_type; }

static dnnl_format_kind_t md_format_kind(const_kvdnnl_md_t md) { return md_of(md)->format_kind; }

static dnnl_dim_t md_offset0(const_kvdnnl_md_t md) { return md_of(md)->offset0; }

void kvdnnl_md_dims(const_kvdnnl_md_t md, dnnl_dim_t *dims) {
  memcpy(dims, md_of(md)->dims, sizeof(dnnl_dim_t) * (size_t)md_of(md)->ndims);
}

static void md_padded_dims(const_kvdnnl_md_t md, dnnl_dim_t *out) {
  memcpy(out, md_of(md)->padded_dims, sizeof(dnnl_dim_t) * (size_t)md_of(md)->ndims);
}

static void md_padded_offsets(const_kvdnnl_md_t md, dnnl_dim_t *out) {
  memcpy(out, md_of(md)->padded_offsets, sizeof(dnnl_dim_t) * (size_t)md_of(md)->ndims);
}

int kvdnnl_md_blocking(
    const_kvdnnl_md_t md, dnnl_dim_t *strides, int *inner_count, dnnl_dim_t *inner_blocks, dnnl_dim_t *inner_indices) {
  const dnnl_memory_desc_t *desc = md_of(md);
  if (desc->format_kind != dnnl_blocked) return 0;
  const dnnl_blocking_desc_t *blocking = &desc->format_desc.blocking;
  memcpy(strides, blocking->strides, sizeof(dnnl_dim_t) * (size_t)desc->ndims);
  *inner_count = blocking->inner_nblks;
  memcpy(inner_blocks, blocking->inner_blks, sizeof(dnnl_dim_t) * (size_t)blocking->inner_nblks);
  memcpy(inner_indices, blocking->inner_idxs, sizeof(dnnl_dim_t) * (size_t)blocking->inner_nblks);
  return 1;
}

size_t kvdnnl_md_size(const_kvdnnl_md_t md) { return dnnl_memory_desc_get_size(md_of(md)); }

int kvdnnl_md_equal(const_kvdnnl_md_t lhs, const_kvdnnl_md_t rhs) {
  return dnnl_memory_desc_equal(md_of(lhs), md_of(rhs));
}

dnnl_status_t kvdnnl_md_create_with_strides(
    kvdnnl_md_t *md, int ndims, const dnnl_dim_t *dims, dnnl_data_type_t data_type, const dnnl_dim_t *strides) {
  dnnl_memory_desc_t created;
  return md_adopt(md, dnnl_memory_desc_init_by_strides(&created, ndims, dims, data_type, strides), &created);
}

dnnl_status_t kvdnnl_md_create_with_tag(
    kvdnnl_md_t *md, int ndims, const dnnl_dim_t *dims, dnnl_data_type_t data_type, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t created;
  return md_adopt(md, dnnl_memory_desc_init_by_tag(&created, ndims, dims, data_type, tag), &created);
}

dnnl_status_t kvdnnl_md_create_submemory(
    kvdnnl_md_t *md, const_kvdnnl_md_t parent, const dnnl_dim_t *dims, const dnnl_dim_t *offsets) {
  dnnl_memory_desc_t created;
  return md_adopt(md, dnnl_memory_desc_init_submemory(&created, md_of(parent), dims, offsets), &created);
}

dnnl_status_t kvdnnl_md_create_with_data_type(kvdnnl_md_t *md, const_kvdnnl_md_t source, dnnl_data_type_t data_type) {
  // Strides count elements, so the struct with another data type describes the same layout.
  dnnl_memory_desc_t copy = *md_of(source);
  copy.data_type = data_type;
  return md_adopt(md, dnnl_success, &copy);
}

kvdnnl_md_t kvdnnl_primitive_desc_query_md(const_dnnl_primitive_desc_t primitive_desc, dnnl_query_t what, int index) {
  const dnnl_memory_desc_t *found = dnnl_primitive_desc_query_md(primitive_desc, what, index);
  if (!found) return NULL;
  kvdnnl_md_t copy = NULL;
  return md_adopt(&copy, dnnl_success, found) == dnnl_success ? copy : NULL;
}

dnnl_status_t kvdnnl_memory_create(dnnl_memory_t *memory, const_kvdnnl_md_t md, dnnl_engine_t engine, void *handle) {
  return dnnl_memory_create(memory, md_of(md), engine, handle);
}

#endif

// MARK: Memory descriptors: hashing (either version, through the accessors above)

static uint64_t hash_mix(uint64_t hash, uint64_t value) {
  hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  return hash * 0xff51afd7ed558ccdULL;
}

uint64_t kvdnnl_md_hash(const_kvdnnl_md_t md) {
  // Only what dnnl_memory_desc_equal compares, so that equal descriptors hash alike: it ignores the strides of
  // dimensions of size 1 (unpadded), and so does this.
  const int ndims = kvdnnl_md_ndims(md);
  dnnl_dims_t dims, padded, offsets;
  kvdnnl_md_dims(md, dims);
  md_padded_dims(md, padded);
  md_padded_offsets(md, offsets);
  uint64_t hash = hash_mix(0, (uint64_t)ndims);
  hash = hash_mix(hash, (uint64_t)kvdnnl_md_data_type(md));
  hash = hash_mix(hash, (uint64_t)md_format_kind(md));
  hash = hash_mix(hash, (uint64_t)md_offset0(md));
  for (int d = 0; d < ndims; ++d) {
    hash = hash_mix(hash, (uint64_t)dims[d]);
    hash = hash_mix(hash, (uint64_t)padded[d]);
    hash = hash_mix(hash, (uint64_t)offsets[d]);
  }
  dnnl_dims_t strides, blocks, indices;
  int count = 0;
  if (kvdnnl_md_blocking(md, strides, &count, blocks, indices)) {
    for (int d = 0; d < ndims; ++d) {
      if (dims[d] == 1 && padded[d] == 1) continue;
      hash = hash_mix(hash, (uint64_t)strides[d]);
    }
    hash = hash_mix(hash, (uint64_t)count);
    for (int b = 0; b < count; ++b) {
      hash = hash_mix(hash, (uint64_t)blocks[b]);
      hash = hash_mix(hash, (uint64_t)indices[b]);
    }
  }
  return hash;
}

// MARK: Post-ops

dnnl_status_t kvdnnl_post_ops_append_eltwise(dnnl_post_ops_t post_ops, dnnl_alg_kind_t algorithm, float alpha, float beta) {
#if KVDNNL_API3
  return dnnl_post_ops_append_eltwise(post_ops, algorithm, alpha, beta);
#else
  return dnnl_post_ops_append_eltwise(post_ops, 1.0f, algorithm, alpha, beta);
#endif
}

dnnl_status_t kvdnnl_post_ops_append_sum(dnnl_post_ops_t post_ops) {
#if KVDNNL_API3
  return dnnl_post_ops_append_sum(post_ops, 1.0f, 0, dnnl_data_type_undef);
#else
  return dnnl_post_ops_append_sum(post_ops, 1.0f);
#endif
}

dnnl_status_t kvdnnl_post_ops_append_binary(dnnl_post_ops_t post_ops, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t src1) {
  return dnnl_post_ops_append_binary(post_ops, algorithm, md_of(src1));
}

// MARK: Primitive descriptors

/// A copy of `attr` (or default attributes) with the user scratchpad mode: every primitive takes its scratch memory
/// from the caller at execution (`DNNL_ARG_SCRATCHPAD`, sized by `dnnl_query_scratchpad_md`). oneDNN's default
/// library mode shares one scratchpad per thread, sized when primitives are created in that thread, so a primitive
/// must then run in the thread that created it; with the user mode it may be created on one thread and run on any.
static dnnl_status_t user_scratchpad(dnnl_primitive_attr_t *copy, const_dnnl_primitive_attr_t attr) {
  *copy = NULL;
  const dnnl_status_t status = attr ? dnnl_primitive_attr_clone(copy, attr) : dnnl_primitive_attr_create(copy);
  if (status != dnnl_success) return status;
  return dnnl_primitive_attr_set_scratchpad_mode(*copy, dnnl_scratchpad_mode_user);
}

/// Returns what `create` (an expression reading `scratchpad_attr`) returns when `scratchpad_attr` is a copy of `attr`
/// in oneDNN's user scratchpad mode (see `user_scratchpad`), destroying the copy after; or the copy's failure.
#define RETURN_WITH_USER_SCRATCHPAD(attr, create)                                  \
  do {                                                                             \
    dnnl_primitive_attr_t scratchpad_attr = NULL;                                  \
    dnnl_status_t scratchpad_status = user_scratchpad(&scratchpad_attr, (attr));   \
    if (scratchpad_status == dnnl_success) scratchpad_status = (create);          \
    dnnl_primitive_attr_destroy(scratchpad_attr);                                  \
    return scratchpad_status;                                                      \
  } while (0)

#if !KVDNNL_API3
/// oneDNN 2: the primitive descriptor of an initialised operation descriptor, or the initialisation's failure.
static dnnl_status_t from_op_desc(
    dnnl_status_t init_status, dnnl_primitive_desc_t *primitive_desc, const void *op_desc, dnnl_engine_t engine,
    const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr) {
  *primitive_desc = NULL;
  if (init_status != dnnl_success) return init_status;
  return dnnl_primitive_desc_create(primitive_desc, op_desc, attr, engine, hint);
}

/// NULL for a NULL handle, else the struct.
static const dnnl_memory_desc_t *md_or_null(const_kvdnnl_md_t md) { return md ? md_of(md) : NULL; }

/// The structs of `count` handles, copied contiguously (oneDNN 2 takes an array of structs); NULL when out of memory.
static dnnl_memory_desc_t *md_array(int count, const const_kvdnnl_md_t *mds) {
  dnnl_memory_desc_t *array = malloc(sizeof *array * (size_t)(count > 0 ? count : 1));
  if (!array) return NULL;
  for (int i = 0; i < count; ++i) array[i] = *md_of(mds[i]);
  return array;
}
#endif

static dnnl_status_t kvdnnl_convolution_forward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst,
    const dnnl_dim_t *strides, const dnnl_dim_t *dilates, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_convolution_forward_primitive_desc_create(
      primitive_desc, engine, prop_kind, algorithm, md_of(src), md_of(weights), bias ? md_of(bias) : NULL, md_of(dst),
      strides, dilates, padding_l, padding_r, attr);
#else
  dnnl_convolution_desc_t desc;
  const dnnl_status_t status = dnnl_dilated_convolution_forward_desc_init(
      &desc, prop_kind, algorithm, md_of(src), md_of(weights), md_or_null(bias), md_of(dst), strides, dilates,
      padding_l, padding_r);
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_convolution_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst,
    const dnnl_dim_t *strides, const dnnl_dim_t *dilates, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_convolution_forward_create_with(primitive_desc, engine, prop_kind, algorithm, src, weights, bias, dst, strides, dilates, padding_l, padding_r, scratchpad_attr));
}

static dnnl_status_t kvdnnl_convolution_backward_data_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *dilates,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_convolution_backward_data_primitive_desc_create(
      primitive_desc, engine, algorithm, md_of(diff_src), md_of(weights), md_of(diff_dst), strides, dilates, padding_l,
      padding_r, hint, attr);
#else
  dnnl_convolution_desc_t desc;
  const dnnl_status_t status = dnnl_dilated_convolution_backward_data_desc_init(
      &desc, algorithm, md_of(diff_src), md_of(weights), md_of(diff_dst), strides, dilates, padding_l, padding_r);
  return from_op_desc(status, primitive_desc, &desc, engine, hint, attr);
#endif
}

dnnl_status_t kvdnnl_convolution_backward_data_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *dilates,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_convolution_backward_data_create_with(primitive_desc, engine, algorithm, diff_src, weights, diff_dst, strides, dilates, padding_l, padding_r, hint, scratchpad_attr));
}

static dnnl_status_t kvdnnl_deconvolution_forward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst,
    const dnnl_dim_t *strides, const dnnl_dim_t *dilates, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_deconvolution_forward_primitive_desc_create(
      primitive_desc, engine, prop_kind, algorithm, md_of(src), md_of(weights), bias ? md_of(bias) : NULL, md_of(dst),
      strides, dilates, padding_l, padding_r, attr);
#else
  dnnl_deconvolution_desc_t desc;
  const dnnl_status_t status = dnnl_dilated_deconvolution_forward_desc_init(
      &desc, prop_kind, algorithm, md_of(src), md_of(weights), md_or_null(bias), md_of(dst), strides, dilates,
      padding_l, padding_r);
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_deconvolution_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst,
    const dnnl_dim_t *strides, const dnnl_dim_t *dilates, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_deconvolution_forward_create_with(primitive_desc, engine, prop_kind, algorithm, src, weights, bias, dst, strides, dilates, padding_l, padding_r, scratchpad_attr));
}

static dnnl_status_t kvdnnl_deconvolution_backward_data_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *dilates,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_deconvolution_backward_data_primitive_desc_create(
      primitive_desc, engine, algorithm, md_of(diff_src), md_of(weights), md_of(diff_dst), strides, dilates, padding_l,
      padding_r, hint, attr);
#else
  dnnl_deconvolution_desc_t desc;
  const dnnl_status_t status = dnnl_dilated_deconvolution_backward_data_desc_init(
      &desc, algorithm, md_of(diff_src), md_of(weights), md_of(diff_dst), strides, dilates, padding_l, padding_r);
  return from_op_desc(status, primitive_desc, &desc, engine, hint, attr);
#endif
}

dnnl_status_t kvdnnl_deconvolution_backward_data_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *dilates,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_deconvolution_backward_data_create_with(primitive_desc, engine, algorithm, diff_src, weights, diff_dst, strides, dilates, padding_l, padding_r, hint, scratchpad_attr));
}

static dnnl_status_t kvdnnl_inner_product_forward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_inner_product_forward_primitive_desc_create(
      primitive_desc, engine, prop_kind, md_of(src), md_of(weights), bias ? md_of(bias) : NULL, md_of(dst), attr);
#else
  dnnl_inner_product_desc_t desc;
  const dnnl_status_t status = dnnl_inner_product_forward_desc_init(
      &desc, prop_kind, md_of(src), md_of(weights), md_or_null(bias), md_of(dst));
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_inner_product_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_inner_product_forward_create_with(primitive_desc, engine, prop_kind, src, weights, bias, dst, scratchpad_attr));
}

static dnnl_status_t kvdnnl_pooling_forward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t dst, const dnnl_dim_t *strides, const dnnl_dim_t *kernel,
    const dnnl_dim_t *dilation, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_pooling_forward_primitive_desc_create(
      primitive_desc, engine, prop_kind, algorithm, md_of(src), md_of(dst), strides, kernel, dilation, padding_l,
      padding_r, attr);
#else
  dnnl_pooling_v2_desc_t desc;
  const dnnl_status_t status = dnnl_pooling_v2_forward_desc_init(
      &desc, prop_kind, algorithm, md_of(src), md_of(dst), strides, kernel, dilation, padding_l, padding_r);
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_pooling_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t dst, const dnnl_dim_t *strides, const dnnl_dim_t *kernel,
    const dnnl_dim_t *dilation, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_pooling_forward_create_with(primitive_desc, engine, prop_kind, algorithm, src, dst, strides, kernel, dilation, padding_l, padding_r, scratchpad_attr));
}

static dnnl_status_t kvdnnl_pooling_backward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *kernel, const dnnl_dim_t *dilation,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_pooling_backward_primitive_desc_create(
      primitive_desc, engine, algorithm, md_of(diff_src), md_of(diff_dst), strides, kernel, dilation, padding_l,
      padding_r, hint, attr);
#else
  dnnl_pooling_v2_desc_t desc;
  const dnnl_status_t status = dnnl_pooling_v2_backward_desc_init(
      &desc, algorithm, md_of(diff_src), md_of(diff_dst), strides, kernel, dilation, padding_l, padding_r);
  return from_op_desc(status, primitive_desc, &desc, engine, hint, attr);
#endif
}

dnnl_status_t kvdnnl_pooling_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *kernel, const dnnl_dim_t *dilation,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_pooling_backward_create_with(primitive_desc, engine, algorithm, diff_src, diff_dst, strides, kernel, dilation, padding_l, padding_r, hint, scratchpad_attr));
}

static dnnl_status_t kvdnnl_eltwise_forward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t data, float alpha, float beta, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_eltwise_forward_primitive_desc_create(
      primitive_desc, engine, prop_kind, algorithm, md_of(data), md_of(data), alpha, beta, attr);
#else
  dnnl_eltwise_desc_t desc;
  const dnnl_status_t status = dnnl_eltwise_forward_desc_init(&desc, prop_kind, algorithm, md_of(data), alpha, beta);
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_eltwise_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t data, float alpha, float beta, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_eltwise_forward_create_with(primitive_desc, engine, prop_kind, algorithm, data, alpha, beta, scratchpad_attr));
}

static dnnl_status_t kvdnnl_eltwise_backward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t data, float alpha, float beta, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_eltwise_backward_primitive_desc_create(
      primitive_desc, engine, algorithm, md_of(diff), md_of(diff), md_of(data), alpha, beta, hint, attr);
#else
  dnnl_eltwise_desc_t desc;
  const dnnl_status_t status =
      dnnl_eltwise_backward_desc_init(&desc, algorithm, md_of(diff), md_of(data), alpha, beta);
  return from_op_desc(status, primitive_desc, &desc, engine, hint, attr);
#endif
}

dnnl_status_t kvdnnl_eltwise_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t data, float alpha, float beta, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_eltwise_backward_create_with(primitive_desc, engine, algorithm, diff, data, alpha, beta, hint, scratchpad_attr));
}

static dnnl_status_t kvdnnl_softmax_forward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, int logarithmic,
    const_kvdnnl_md_t data, int axis, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_softmax_forward_primitive_desc_create(
      primitive_desc, engine, prop_kind, logarithmic ? dnnl_softmax_log : dnnl_softmax_accurate, md_of(data),
      md_of(data), axis, attr);
#else
  if (logarithmic) {
    dnnl_logsoftmax_desc_t desc;
    const dnnl_status_t status = dnnl_logsoftmax_forward_desc_init(&desc, prop_kind, md_of(data), axis);
    return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
  }
  dnnl_softmax_desc_t desc;
  const dnnl_status_t status = dnnl_softmax_forward_desc_init(&desc, prop_kind, md_of(data), axis);
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_softmax_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, int logarithmic,
    const_kvdnnl_md_t data, int axis, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_softmax_forward_create_with(primitive_desc, engine, prop_kind, logarithmic, data, axis, scratchpad_attr));
}

static dnnl_status_t kvdnnl_softmax_backward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, int logarithmic, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t dst, int axis, const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_softmax_backward_primitive_desc_create(
      primitive_desc, engine, logarithmic ? dnnl_softmax_log : dnnl_softmax_accurate, md_of(diff), md_of(diff),
      md_of(dst), axis, hint, attr);
#else
  if (logarithmic) {
    dnnl_logsoftmax_desc_t desc;
    const dnnl_status_t status = dnnl_logsoftmax_backward_desc_init(&desc, md_of(diff), md_of(dst), axis);
    return from_op_desc(status, primitive_desc, &desc, engine, hint, attr);
  }
  dnnl_softmax_desc_t desc;
  const dnnl_status_t status = dnnl_softmax_backward_desc_init(&desc, md_of(diff), md_of(dst), axis);
  return from_op_desc(status, primitive_desc, &desc, engine, hint, attr);
#endif
}

dnnl_status_t kvdnnl_softmax_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, int logarithmic, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t dst, int axis, const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_softmax_backward_create_with(primitive_desc, engine, logarithmic, diff, dst, axis, hint, scratchpad_attr));
}

static dnnl_status_t kvdnnl_binary_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t src0,
    const_kvdnnl_md_t src1, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_binary_primitive_desc_create(
      primitive_desc, engine, algorithm, md_of(src0), md_of(src1), md_of(dst), attr);
#else
  dnnl_binary_desc_t desc;
  const dnnl_status_t status = dnnl_binary_desc_init(&desc, algorithm, md_of(src0), md_of(src1), md_of(dst));
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_binary_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t src0,
    const_kvdnnl_md_t src1, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_binary_create_with(primitive_desc, engine, algorithm, src0, src1, dst, scratchpad_attr));
}

static dnnl_status_t kvdnnl_concat_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t dst, int count, int axis,
    const const_kvdnnl_md_t *srcs, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_concat_primitive_desc_create(
      primitive_desc, engine, dst ? md_of(dst) : NULL, count, axis, (const_dnnl_memory_desc_t const *)srcs, attr);
#else
  *primitive_desc = NULL;
  dnnl_memory_desc_t *array = md_array(count, srcs);
  if (!array) return dnnl_out_of_memory;
  const dnnl_status_t status =
      dnnl_concat_primitive_desc_create(primitive_desc, md_or_null(dst), count, axis, array, attr, engine);
  free(array);
  return status;
#endif
}

dnnl_status_t kvdnnl_concat_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t dst, int count, int axis,
    const const_kvdnnl_md_t *srcs, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_concat_create_with(primitive_desc, engine, dst, count, axis, srcs, scratchpad_attr));
}

static dnnl_status_t kvdnnl_sum_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t dst, int count, const float *scales,
    const const_kvdnnl_md_t *srcs, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_sum_primitive_desc_create(
      primitive_desc, engine, md_of(dst), count, scales, (const_dnnl_memory_desc_t const *)srcs, attr);
#else
  *primitive_desc = NULL;
  dnnl_memory_desc_t *array = md_array(count, srcs);
  if (!array) return dnnl_out_of_memory;
  const dnnl_status_t status =
      dnnl_sum_primitive_desc_create(primitive_desc, md_of(dst), count, scales, array, attr, engine);
  free(array);
  return status;
#endif
}

dnnl_status_t kvdnnl_sum_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t dst, int count, const float *scales,
    const const_kvdnnl_md_t *srcs, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_sum_create_with(primitive_desc, engine, dst, count, scales, srcs, scratchpad_attr));
}

static dnnl_status_t kvdnnl_layer_normalization_forward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t data,
    const_kvdnnl_md_t stat, float epsilon, unsigned flags, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_layer_normalization_forward_primitive_desc_create(
      primitive_desc, engine, prop_kind, md_of(data), md_of(data), stat ? md_of(stat) : NULL, epsilon, flags, attr);
#else
  dnnl_layer_normalization_desc_t desc;
  const dnnl_status_t status =
      dnnl_layer_normalization_forward_desc_init(&desc, prop_kind, md_of(data), md_or_null(stat), epsilon, flags);
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_layer_normalization_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t data,
    const_kvdnnl_md_t stat, float epsilon, unsigned flags, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_layer_normalization_forward_create_with(primitive_desc, engine, prop_kind, data, stat, epsilon, flags, scratchpad_attr));
}

static dnnl_status_t kvdnnl_layer_normalization_backward_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t data, const_kvdnnl_md_t stat, float epsilon, unsigned flags, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_layer_normalization_backward_primitive_desc_create(
      primitive_desc, engine, prop_kind, md_of(diff), md_of(diff), md_of(data), stat ? md_of(stat) : NULL, epsilon,
      flags, hint, attr);
#else
  dnnl_layer_normalization_desc_t desc;
  const dnnl_status_t status = dnnl_layer_normalization_backward_desc_init(
      &desc, prop_kind, md_of(diff), md_of(data), md_or_null(stat), epsilon, flags);
  return from_op_desc(status, primitive_desc, &desc, engine, hint, attr);
#endif
}

dnnl_status_t kvdnnl_layer_normalization_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t data, const_kvdnnl_md_t stat, float epsilon, unsigned flags, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_layer_normalization_backward_create_with(primitive_desc, engine, prop_kind, diff, data, stat, epsilon, flags, hint, scratchpad_attr));
}

static dnnl_status_t kvdnnl_matmul_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t src, const_kvdnnl_md_t weights,
    const_kvdnnl_md_t bias, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr) {
#if KVDNNL_API3
  return dnnl_matmul_primitive_desc_create(
      primitive_desc, engine, md_of(src), md_of(weights), bias ? md_of(bias) : NULL, md_of(dst), attr);
#else
  dnnl_matmul_desc_t desc;
  const dnnl_status_t status = dnnl_matmul_desc_init(&desc, md_of(src), md_of(weights), md_or_null(bias), md_of(dst));
  return from_op_desc(status, primitive_desc, &desc, engine, NULL, attr);
#endif
}

dnnl_status_t kvdnnl_matmul_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t src, const_kvdnnl_md_t weights,
    const_kvdnnl_md_t bias, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_matmul_create_with(primitive_desc, engine, src, weights, bias, dst, scratchpad_attr));
}

static dnnl_status_t kvdnnl_reorder_create_with(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t src, const_kvdnnl_md_t dst,
    const_dnnl_primitive_attr_t attr) {
  return dnnl_reorder_primitive_desc_create(primitive_desc, md_of(src), engine, md_of(dst), engine, attr);
}

dnnl_status_t kvdnnl_reorder_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t src, const_kvdnnl_md_t dst,
    const_dnnl_primitive_attr_t attr) {
  RETURN_WITH_USER_SCRATCHPAD(attr, kvdnnl_reorder_create_with(primitive_desc, engine, src, dst, scratchpad_attr));
}
