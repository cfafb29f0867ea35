#ifndef KERASVIS_CDNNLSHIM_H
#define KERASVIS_CDNNLSHIM_H
// One creation API over oneDNN 2.x (2.6 and newer: operation descriptors, memory descriptors as plain structs) and
// oneDNN 3.x (primitive descriptors created from memory descriptors, opaque memory descriptor handles). Every
// difference between the two is inside CDNNLShim.c, selected at compile time by DNNL_VERSION_MAJOR; the Swift code
// calls these functions and the parts of oneDNN's C API that are the same in both (engines, streams, memory
// objects, primitives, attributes, post-op lists).
#include <stddef.h>
#include <stdint.h>

#include <dnnl.h>

#if !defined(DNNL_VERSION_MAJOR) || !defined(DNNL_VERSION_MINOR)
#error "CDNNLShim: dnnl.h defines no DNNL_VERSION_MAJOR (oneDNN 2.6 or 3.x is required)"
#elif DNNL_VERSION_MAJOR < 2 || (DNNL_VERSION_MAJOR == 2 && DNNL_VERSION_MINOR < 6) || DNNL_VERSION_MAJOR > 3
#error "CDNNLShim: kerasvis builds against oneDNN 2.6 to 2.x or 3.x"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// The oneDNN version compiled against (for diagnostics: `kvdnnl_version()` gives the library's at run time).
#define KVDNNL_VERSION_MAJOR DNNL_VERSION_MAJOR
#define KVDNNL_VERSION_MINOR DNNL_VERSION_MINOR

/// The version of the oneDNN library loaded at run time, as major * 10000 + minor * 100 + patch.
int kvdnnl_version(void);

// MARK: Memory descriptors

/// An owned memory descriptor (oneDNN 3's `dnnl_memory_desc_t`; for oneDNN 2, a heap copy of the struct). Immutable
/// once created; released with `kvdnnl_md_destroy`.
typedef struct kvdnnl_md *kvdnnl_md_t;
typedef const struct kvdnnl_md *const_kvdnnl_md_t;

dnnl_status_t kvdnnl_md_create_with_strides(
    kvdnnl_md_t *md, int ndims, const dnnl_dim_t *dims, dnnl_data_type_t data_type, const dnnl_dim_t *strides);
/// `tag` may be `dnnl_format_tag_any` (a primitive chooses the layout).
dnnl_status_t kvdnnl_md_create_with_tag(
    kvdnnl_md_t *md, int ndims, const dnnl_dim_t *dims, dnnl_data_type_t data_type, dnnl_format_tag_t tag);
/// The region of `parent` of size `dims` starting at `offsets`.
dnnl_status_t kvdnnl_md_create_submemory(
    kvdnnl_md_t *md, const_kvdnnl_md_t parent, const dnnl_dim_t *dims, const dnnl_dim_t *offsets);
/// The same layout (dimensions, strides and blocking, counted in elements) holding `data_type` elements.
dnnl_status_t kvdnnl_md_create_with_data_type(kvdnnl_md_t *md, const_kvdnnl_md_t source, dnnl_data_type_t data_type);
void kvdnnl_md_destroy(kvdnnl_md_t md);

int kvdnnl_md_ndims(const_kvdnnl_md_t md);
/// Writes the `kvdnnl_md_ndims(md)` logical dimensions into `dims`.
void kvdnnl_md_dims(const_kvdnnl_md_t md, dnnl_dim_t *dims);
dnnl_data_type_t kvdnnl_md_data_type(const_kvdnnl_md_t md);
/// For a blocked layout (plain strided ones included): writes the `ndims` outer strides (elements), the inner block
/// sizes and their logical dimensions (`*inner_count` of each; at most DNNL_MAX_NDIMS) and returns 1. Returns 0 for
/// other layouts (`any`, Winograd's, ...), writing nothing.
int kvdnnl_md_blocking(
    const_kvdnnl_md_t md, dnnl_dim_t *strides, int *inner_count, dnnl_dim_t *inner_blocks, dnnl_dim_t *inner_indices);
/// The bytes of memory the descriptor needs (padding included).
size_t kvdnnl_md_size(const_kvdnnl_md_t md);
/// oneDNN's own equality (`dnnl_memory_desc_equal`): 1 when a reorder between the two would be a copy.
int kvdnnl_md_equal(const_kvdnnl_md_t lhs, const_kvdnnl_md_t rhs);
/// A hash consistent with `kvdnnl_md_equal` (equal descriptors hash alike), from the dimensions, data type, format
/// kind, padding, offset and blocking.
uint64_t kvdnnl_md_hash(const_kvdnnl_md_t md);

/// A copy of the memory descriptor `primitive_desc` has for `what` (`dnnl_query_src_md`, ...) at `index`; NULL when
/// it has none. The caller owns the copy.
kvdnnl_md_t kvdnnl_primitive_desc_query_md(const_dnnl_primitive_desc_t primitive_desc, dnnl_query_t what, int index);

/// A memory object of layout `md` over `handle` (not owned; DNNL_MEMORY_ALLOCATE allocates).
dnnl_status_t kvdnnl_memory_create(dnnl_memory_t *memory, const_kvdnnl_md_t md, dnnl_engine_t engine, void *handle);

// MARK: Post-ops

/// `dst = eltwise(dst)` (scale 1).
dnnl_status_t kvdnnl_post_ops_append_eltwise(dnnl_post_ops_t post_ops, dnnl_alg_kind_t algorithm, float alpha, float beta);
/// `dst = result + dst` (scale 1, no zero point, the destination's data type).
dnnl_status_t kvdnnl_post_ops_append_sum(dnnl_post_ops_t post_ops);
/// `dst = binary(dst, src1)`, src1 of layout `src1` (passed at execution as post-op argument).
dnnl_status_t kvdnnl_post_ops_append_binary(dnnl_post_ops_t post_ops, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t src1);

// MARK: Primitive descriptors
// Each creates a primitive descriptor in `*primitive_desc` (owned by the caller), always with the user scratchpad
// mode (the caller passes scratch memory of `dnnl_query_scratchpad_md`'s size as DNNL_ARG_SCRATCHPAD, so that a
// primitive may run in another thread than the one that created it). `attr` and `hint` may be NULL;
// `bias` may be NULL (no bias). Dimension arrays hold one entry per spatial axis; `dilates` count oneDNN's way
// (0 = undilated).

dnnl_status_t kvdnnl_convolution_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst,
    const dnnl_dim_t *strides, const dnnl_dim_t *dilates, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr);
dnnl_status_t kvdnnl_convolution_backward_data_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *dilates,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr);
dnnl_status_t kvdnnl_deconvolution_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst,
    const dnnl_dim_t *strides, const dnnl_dim_t *dilates, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr);
dnnl_status_t kvdnnl_deconvolution_backward_data_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *dilates,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr);
dnnl_status_t kvdnnl_inner_product_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t src,
    const_kvdnnl_md_t weights, const_kvdnnl_md_t bias, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr);
/// `dilation` counts oneDNN's way (0 = undilated).
dnnl_status_t kvdnnl_pooling_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t src, const_kvdnnl_md_t dst, const dnnl_dim_t *strides, const dnnl_dim_t *kernel,
    const dnnl_dim_t *dilation, const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r,
    const_dnnl_primitive_attr_t attr);
dnnl_status_t kvdnnl_pooling_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff_src,
    const_kvdnnl_md_t diff_dst, const dnnl_dim_t *strides, const dnnl_dim_t *kernel, const dnnl_dim_t *dilation,
    const dnnl_dim_t *padding_l, const dnnl_dim_t *padding_r, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr);
/// Source and destination both of layout `data`.
dnnl_status_t kvdnnl_eltwise_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, dnnl_alg_kind_t algorithm,
    const_kvdnnl_md_t data, float alpha, float beta, const_dnnl_primitive_attr_t attr);
/// Gradients of layout `diff`; `data` is the source's layout, or the destination's for `*_use_dst_for_bwd`.
dnnl_status_t kvdnnl_eltwise_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t data, float alpha, float beta, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr);
/// Softmax (`logarithmic` 0) or log-softmax (1) over `axis`; source and destination both of layout `data`.
dnnl_status_t kvdnnl_softmax_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, int logarithmic,
    const_kvdnnl_md_t data, int axis, const_dnnl_primitive_attr_t attr);
/// Gradients of layout `diff`, the destination of layout `dst`.
dnnl_status_t kvdnnl_softmax_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, int logarithmic, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t dst, int axis, const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr);
dnnl_status_t kvdnnl_binary_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_alg_kind_t algorithm, const_kvdnnl_md_t src0,
    const_kvdnnl_md_t src1, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr);
/// `dst` may be NULL (the primitive chooses the layout).
dnnl_status_t kvdnnl_concat_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t dst, int count, int axis,
    const const_kvdnnl_md_t *srcs, const_dnnl_primitive_attr_t attr);
/// `dst = sum_i scales[i] * srcs[i]`.
dnnl_status_t kvdnnl_sum_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t dst, int count, const float *scales,
    const const_kvdnnl_md_t *srcs, const_dnnl_primitive_attr_t attr);
/// Layer normalization over the last logical dimension of `data` (source and destination both of that layout);
/// `stat` may be NULL (oneDNN's default layout of the mean and variance). `flags`: `dnnl_use_scale`, `dnnl_use_shift`,
/// ... (their values differ between the versions; the names are the same).
dnnl_status_t kvdnnl_layer_normalization_forward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t data,
    const_kvdnnl_md_t stat, float epsilon, unsigned flags, const_dnnl_primitive_attr_t attr);
/// Gradients of layout `diff`, the source of layout `data`.
dnnl_status_t kvdnnl_layer_normalization_backward_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, dnnl_prop_kind_t prop_kind, const_kvdnnl_md_t diff,
    const_kvdnnl_md_t data, const_kvdnnl_md_t stat, float epsilon, unsigned flags, const_dnnl_primitive_desc_t hint,
    const_dnnl_primitive_attr_t attr);
/// Batched matrix product `dst[b] = src[b] weights[b] (+ bias)`: `src (batch..., M, K)`, `weights (batch..., K, N)`,
/// `dst (batch..., M, N)` of one rank (2 to DNNL_MAX_NDIMS), any plain strides (a transposed operand is a descriptor
/// whose last two strides are swapped); a batch dimension of 1 broadcasts. `bias` (NULL: none) has `dst`'s rank with
/// 1 where it broadcasts.
dnnl_status_t kvdnnl_matmul_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t src, const_kvdnnl_md_t weights,
    const_kvdnnl_md_t bias, const_kvdnnl_md_t dst, const_dnnl_primitive_attr_t attr);
/// Both memories on `engine`.
dnnl_status_t kvdnnl_reorder_create(
    dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine, const_kvdnnl_md_t src, const_kvdnnl_md_t dst,
    const_dnnl_primitive_attr_t attr);

#ifdef __cplusplus
}
#endif

#endif
