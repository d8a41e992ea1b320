/* attnrt CUDA kernels, second slice: the non-attention kernels of a decoder
 * step, with the semantics of the CPU kernels (runtime/cpu/Norm.h, Rope.h,
 * Elementwise.h, Linear.h). Storage is f16, bf16 or f32 (`dtype`,
 * ATTNC_CUDA_F16 / ATTNC_CUDA_BF16 / ATTNC_CUDA_F32 of Attention.h); all
 * arithmetic is f32; norm weights and biases, RoPE inv_freq tables and scales
 * are f32 (as on the CPU). Every
 * pointer is a device pointer unless named host_; tensors are row-major and
 * contiguous unless a stride is given. Each function launches on `stream` (a
 * cudaStream_t, 0 = default stream) and returns 0, or nonzero with a message
 * in `error` (argument and launch errors; kernel faults surface at the next
 * synchronisation). All launches can be captured in a CUDA graph.
 *
 * Needs sm_80+ (built for sm_90a). Link: libattnc_cuda.so (also -lcublasLt). */
#ifndef ATTNC_RUNTIME_CUDA_STEPKERNELS_H
#define ATTNC_RUNTIME_CUDA_STEPKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "Attention.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Normalisations over the last dimension of [rows, dim] ---- */

/* y = x / sqrt(mean(x^2) + eps) * (weight + weight_offset); y may alias x.
 * weight_offset: 0 LLaMA, 1 Gemma. */
int attnc_cuda_rms_norm(int32_t dtype, const void *x, const float *weight, float weight_offset,
                        float eps, int32_t rows, int32_t dim, void *y, void *stream, char *error,
                        size_t error_len);

/* residual_out = a + b (rounded to the storage type); y = rms_norm(residual_out).
 * residual_out may alias a or b; y must not alias residual_out. */
int attnc_cuda_residual_add_rms_norm(int32_t dtype, const void *a, const void *b,
                                     const float *weight, float weight_offset, float eps,
                                     int32_t rows, int32_t dim, void *residual_out, void *y,
                                     void *stream, char *error, size_t error_len);

/* y = (x - mean) / sqrt(var + eps) * weight (+ bias), biased variance, two
 * passes (no E[x^2] - E[x]^2). bias may be NULL; y may alias x. */
int attnc_cuda_layer_norm(int32_t dtype, const void *x, const float *weight, const float *bias,
                          float eps, int32_t rows, int32_t dim, void *y, void *stream,
                          char *error, size_t error_len);

/* ---- Rotary embedding, fused with the KV append ---- */

enum { ATTNC_CUDA_ROPE_HALF_SPLIT = 0, ATTNC_CUDA_ROPE_INTERLEAVED = 1 };

/* inv_freq[i] = 1 / theta^(2i / rotary_dim), i < rotary_dim / 2, exactly as
 * runtime/cpu/Rope.h rope_inv_freq (float32 exponent, double pow rounded to
 * float32, float32 reciprocal). Host function writing host memory; upload
 * the table once per model. */
void attnc_cuda_rope_inv_freq(double theta, int32_t rotary_dim, float *host_inv_freq);

/* For every token t (position positions[t], angle_i = float(position) *
 * inv_freq[i] in f32, cosf/sinf of it):
 *   - query [t, h, :] (h < num_heads) rotated in place, or, when query_source
 *     is not NULL, query_source [t, h, :] rotated into query (its
 *     pass-through dimensions copied): a column range of a fused QKV output
 *     (query_source_stride its row width) becomes a contiguous query without
 *     a copy of its own;
 *   - key [t, g, :] (g < num_kv_heads) rotated and written, with value
 *     [t, g, :], to its page of layer_cache (runtime/ModelABI.h layout, as
 *     attnc_cuda_kv_append: page block_table[s * blocks_per_seq + pos /
 *     page_size] of token t's sequence s (query_start), slot pos % page_size);
 *     key and value themselves are not modified.
 * Dimensions [rotary_dim, head_dim) pass through (partial rotary); half-split
 * pairs i with i + rotary_dim/2, interleaved pairs 2i with 2i+1.
 * q_stride / k_stride / v_stride: elements between consecutive tokens' rows
 * (num_heads * head_dim etc. for separate tensors; the fused QKV row width
 * when query/key/value are column ranges of one [T, (H + 2 KVH) * hd] buffer).
 * key == NULL: only the query is rotated (and layer_cache is not touched).
 * v_head_dim == head_dim. The written pages must be allocated (not -1).
 * kv_type (Attention.h's ATTNC_CUDA_KV_*): what the cache stores; int8 / fp8
 * quantize each (token, kv head) row of the rotated key, computed in f32 and
 * not rounded to the model dtype first, and of the value, as
 * runtime/QuantizedKV.h (head_dim a multiple of 16 up to 512, value rows
 * 4-element aligned, kv_heads * head_dim floats within 48 KiB of shared memory). */
int attnc_cuda_rope_kv_append(int32_t dtype, int32_t style, int32_t head_dim, int32_t rotary_dim,
                              int32_t num_heads, int32_t num_kv_heads, int32_t num_tokens,
                              const int32_t *positions, const float *inv_freq, void *query,
                              int64_t q_stride, const void *query_source,
                              int64_t query_source_stride, const void *key, int64_t k_stride,
                              const void *value, int64_t v_stride, int32_t num_seqs,
                              const int32_t *query_start, const int32_t *block_table,
                              int32_t blocks_per_seq, int32_t page_size, int32_t kv_type,
                              void *layer_cache, void *stream, char *error, size_t error_len);

/* ---- Activations ---- */

/* As runtime/cpu/Elementwise.h Activation. */
enum {
  ATTNC_CUDA_ACT_SILU = 0,      /* x * sigmoid(x) */
  ATTNC_CUDA_ACT_GELU = 1,      /* exact erf GELU */
  ATTNC_CUDA_ACT_GELU_TANH = 2, /* tanh approximation */
  ATTNC_CUDA_ACT_RELU = 3
};

/* y[i] = act(x[i]), i < n; y may alias x. */
int attnc_cuda_activation(int32_t dtype, int32_t act, const void *x, void *y, int64_t n,
                          void *stream, char *error, size_t error_len);

/* out[r, i] = act(gate[r * gate_stride + i]) * up[r * up_stride + i], i < width.
 * SwiGLU = SILU, GeGLU = GELU / GELU_TANH. out: [rows, width] contiguous.
 * For the fused [rows, 2 * width] gate_up buffer (gate columns first): gate =
 * gate_up, up = gate_up + width, both strides 2 * width. */
int attnc_cuda_gated_activation(int32_t dtype, int32_t act, const void *gate, int64_t gate_stride,
                                const void *up, int64_t up_stride, void *out, int32_t rows,
                                int32_t width, void *stream, char *error, size_t error_len);

/* ---- Embedding gather ---- */

/* out[t, :] = table[ids[t], :] * scale (scale 1 copies bit-exactly).
 * An id outside [0, vocab) is never read: its row of out is set to zeros and
 * it is reported in bad_ids (device, 2 int32, may be NULL): bad_ids[0] = number
 * of out-of-range ids, bad_ids[1] = the largest token index holding one (-1 if
 * none); both are written by every call (no reset needed; one kernel launch). */
int attnc_cuda_embedding(int32_t dtype, const int32_t *ids, int32_t num_tokens, const void *table,
                         int64_t vocab, int32_t dim, float scale, void *out, int32_t *bad_ids,
                         void *stream, char *error, size_t error_len);

/* ---- Elementwise over flat ranges (runtime/cpu/Elementwise.h) ---- */

/* out[i] = a[i] + b[i] * scale in f32, rounded once to the storage type
 * (residual_add_scaled; scale 1 is the plain residual_add, exactly). out may
 * alias a or b. */
int attnc_cuda_add_scaled(int32_t dtype, const void *a, const void *b, float scale, void *out,
                          int64_t n, void *stream, char *error, size_t error_len);

/* y[i] = x[i] * scale (scale_inplace when y == x). */
int attnc_cuda_scale(int32_t dtype, const void *x, float scale, void *y, int64_t n, void *stream,
                     char *error, size_t error_len);

/* y[i] = cap * tanhf(x[i] / cap), a true division as HF computes it; cap > 0;
 * y may alias x. */
int attnc_cuda_softcap(int32_t dtype, const void *x, float cap, void *y, int64_t n, void *stream,
                       char *error, size_t error_len);

/* y[i] = float(x[i]) (exact): logits to f32 for the host. f32 x: a copy
 * (none when y == x). */
int attnc_cuda_to_f32(int32_t dtype, const void *x, float *y, int64_t n, void *stream, char *error,
                      size_t error_len);

/* out[r] = the greedy token of row r of x [rows][cols] (runtime/ModelABI.h,
 * attnc_step_args.argmax): the lowest index of the row's maximum (-0 equals
 * +0, -inf is a mask); -1 - i for its first NaN or +inf at i; INT32_MIN for
 * a row of -inf. out is device memory. */
int attnc_cuda_argmax_rows(int32_t dtype, const void *x, int64_t rows, int32_t cols, int32_t *out,
                           void *stream, char *error, size_t error_len);

/* ids[t] = greedy[source[t]] for every t < n with source[t] >= 0 (the
 * greedy tokens of the step before, attnc_step_args.token_source); a greedy
 * value below 0 (a NaN / +inf / all -inf row) becomes 0. Device memory. */
int attnc_cuda_tokens_from_rows(int32_t *ids, const int32_t *source, const int32_t *greedy,
                                int32_t n, void *stream, char *error, size_t error_len);

/* ---- Row gather (runtime/cpu/Copy.h gather_rows) ---- */

/* dst[i, :] = src[index[i], :] for i < count, rows of `width` elements of
 * elem_bytes bytes (any element type; a byte copy). An index outside
 * [0, src_rows) is never read: its row of dst is zeroed and it is reported in
 * bad_index (device, 2 int32, may be NULL) as attnc_cuda_embedding reports
 * ids: [0] = number of bad indices, [1] = the largest i holding one (-1 if
 * none), written by every call. dst must not overlap src. */
int attnc_cuda_gather_rows(int32_t elem_bytes, const void *src, int64_t src_rows,
                           const int32_t *index, int32_t count, int64_t width, void *dst,
                           int32_t *bad_index, void *stream, char *error, size_t error_len);

/* ---- Rotary embedding from precomputed tables (runtime/cpu/Rope.h rope_from_table) ---- */

/* x [t, h, :] (t < num_tokens, h < num_heads; token rows x_stride elements
 * apart, heads head_dim apart) rotated in place with c = cos_table[p, i], s =
 * sin_table[p, i], p = positions[t]: tables [table_rows, rotary_dim / 2] f32,
 * each frequency once. Pairs and pass-through dims as
 * attnc_cuda_rope_kv_append. A position outside [0, table_rows) is never
 * read: that token is left unchanged and reported in bad_positions (device, 2
 * int32, may be NULL; as attnc_cuda_embedding's bad_ids). */
int attnc_cuda_rope_table(int32_t dtype, int32_t style, int32_t head_dim, int32_t rotary_dim,
                          int32_t num_heads, int32_t num_tokens, const int32_t *positions,
                          const float *cos_table, const float *sin_table, int64_t table_rows,
                          void *x, int64_t x_stride, int32_t *bad_positions, void *stream,
                          char *error, size_t error_len);

/* ---- Dense linear on cuBLASLt ---- */

typedef struct attnc_cuda_linear_ctx attnc_cuda_linear_ctx;

/* Default of attnc_cuda_linear_set_gemv: 0 (cuBLASLt only). On the H100 the
 * tensor-core GEMV beats cuBLASLt on the 1.1B Llama's o, down and lm_head
 * projections at T = 1 and 8 (x1.05-1.23) but not on qkv at T = 8 and
 * gate_up (x0.97-0.99), so it is not the default. */
#define ATTNC_CUDA_GEMV_MAX_TOKENS 0

/* Creates the cuBLASLt handle and a device workspace (workspace_bytes; 0 =
 * 32 MiB) once. A context caches the matmul descriptors and the heuristic's
 * algorithm per shape; use one context per host thread. */
int attnc_cuda_linear_create(size_t workspace_bytes, attnc_cuda_linear_ctx **ctx, char *error,
                             size_t error_len);
void attnc_cuda_linear_destroy(attnc_cuda_linear_ctx *ctx);

/* y[T, N] = x[T, K] . W^T (+ bias), W [N, K] row-major ("out_in"); x, W, y
 * and bias (length N, may be NULL; added in the epilogue) in the storage
 * dtype; f32 accumulation (f32 storage: exact f32 products, no TF32); y must
 * not alias x. Small T may go to attnc_cuda_gemv (see _set_gemv below). */
int attnc_cuda_linear(attnc_cuda_linear_ctx *ctx, int32_t dtype, const void *x, int32_t num_tokens,
                      int32_t in_features, const void *weight, const void *bias,
                      int32_t out_features, void *y, void *stream, char *error, size_t error_len);

/* Token counts up to which attnc_cuda_linear uses attnc_cuda_gemv instead of
 * cuBLASLt (when the shape allows: f16/bf16, K % 8 == 0, x and W 16-byte
 * aligned; at most 8 is useful). max_tokens 0: always cuBLASLt. Default
 * ATTNC_CUDA_GEMV_MAX_TOKENS. */
void attnc_cuda_linear_set_gemv(attnc_cuda_linear_ctx *ctx, int32_t max_tokens);

/* ---- Weight-streaming GEMV and quantized linear (QuantLinear.cu) ---- */

/* Same contract as attnc_cuda_linear without cuBLASLt: tensor cores
 * (mma.sync, f32 accumulation) when dtype is f16/bf16, K % 8 == 0 and x and
 * weight are 16-byte aligned, else a CUDA-core f32 kernel (f32 storage:
 * exact f32 products). Built for decode (num_tokens <= 8, one pass over W);
 * larger num_tokens are correct but re-read W once per 32 tokens. */
int attnc_cuda_gemv(int32_t dtype, const void *x, int32_t num_tokens, int32_t in_features,
                    const void *weight, const void *bias, int32_t out_features, void *y,
                    void *stream, char *error, size_t error_len);

/* y[T, N] = x[T, K] . dequant(W)^T (+ bias) with W in the layout of
 * runtime/QuantizedWeights.h: bits 8, group_size 0, asymmetric 0 (values int8
 * [N, K], scales f32 [N]), bits 8, group_size 32 / 64 / 128, asymmetric 0/1
 * (values int8, or uint8 when asymmetric, [N, K]) or bits 4, group_size 32 /
 * 64 / 128, asymmetric 0/1 (values uint8 [N, K / 2], low nibble = even k);
 * grouped: scales f32 [N, K / G], zeros
 * uint8 [N, K / G] when asymmetric, else NULL. x, y, bias (may be NULL) in
 * the storage dtype, f32 accumulation. Tensor cores (f16/bf16, x and values
 * 16-byte aligned, K % 16 == 0 for w8): w8 exact products (scale applied to
 * the f32 sums); w4 weights (q - z) times s in the storage type (s and the
 * product rounded to it).
 * Otherwise (f32 storage, unaligned, and every group-wise 8-bit call, which
 * has no tensor-core path yet): exact f32 dequantization and
 * arithmetic. Decode (num_tokens <= 8) streams W once; larger num_tokens
 * re-read W once per 32 tokens (mma.sync on register-dequantized tiles),
 * except from 64 tokens on (w8 with a scale per output channel: 96;
 * ATTNC_CUDA_DEQUANT_GEMM_TOKENS=n: from n for every scheme; 0: never;
 * another value is named on stderr and the defaults kept) outside graph
 * capture: W is dequantized once per call into a buffer of the storage
 * type ((q - z) s computed in f32, rounded once; f32 exact) taken on the
 * stream from a pool the library keeps, and multiplied by cuBLASLt. The
 * _fused call adds its residual in cuBLASLt's epilogue; _gated and
 * _rope_kv run their pieces after that product. */
int attnc_cuda_quantized_linear(int32_t dtype, int32_t bits, int32_t group_size,
                                int32_t asymmetric, const void *x, int32_t num_tokens,
                                int32_t in_features, const void *values, const float *scales,
                                const uint8_t *zeros, const void *bias, int32_t out_features,
                                void *y, void *stream, char *error, size_t error_len);

/* ---- Quantized linear with its neighbours fused (decode) ---- */

/* How attnc_cuda_quantized_linear_fused forms its x [T, K]: the buffer as
 * it is, RMS-normalized (x * rsqrt(mean(x^2) + eps) * (weight + offset), the
 * formula of attnc_cuda_rms_norm), or act(gate) * up (that of
 * attnc_cuda_gated_activation). */
enum {
  ATTNC_CUDA_INPUT_PLAIN = 0,
  ATTNC_CUDA_INPUT_RMS_NORM = 1,
  ATTNC_CUDA_INPUT_GATED = 2
};
typedef struct attnc_cuda_linear_input {
  int32_t kind;             /* ATTNC_CUDA_INPUT_* */
  const void *x;            /* plain, rms_norm: x; gated: the gate */
  int64_t x_stride;         /* elements from one token's row of x to the next */
  const void *up;           /* gated: up (NULL otherwise) */
  int64_t up_stride;
  int32_t act;              /* gated: ATTNC_CUDA_ACT_* */
  const float *norm_weight; /* rms_norm: [K] */
  float norm_offset, norm_eps;
} attnc_cuda_linear_input;

/* y = input . dequant(W)^T (+ bias) (+ residual): attnc_cuda_quantized_linear
 * whose x is formed by `input` and whose result (rounded to the storage
 * type) is added to residual [T, N] (may be NULL) in f32 and rounded again,
 * as attnc_cuda_add_scaled would (on the prefill path of
 * attnc_cuda_quantized_linear, in cuBLASLt's epilogue: the sum rounded
 * once). In w4 decode (f16/bf16, T <= 8, 16-byte
 * aligned rows; a gated x within 40 KB, norm weights within 48 KB as f32 +
 * pairs) one kernel does it all: a plain or RMS-normalized x streams in with
 * the weights (the norm's statistics and weights applied on the fly: the
 * normalized x is rounded differently than attnc_cuda_rms_norm's stored
 * one, within the storage type's precision), a gated x is formed once per
 * block while the first weights are in flight, and the residual is added as
 * y is stored. Otherwise the input is first materialized in scratch [T, K]
 * (may be NULL for a plain input with x_stride == K); then, for w4 and w8
 * (a scale per output channel) in f16/bf16 with 16-byte aligned rows, one
 * tensor-core GEMV / GEMM launch adds the residual as it stores y (any T),
 * else the pieces run one after the other. y must not alias x, up, residual
 * or scratch.
 * Generated code calls it (plain or RMS-norm input, with a residual) for the
 * 4-bit linears around a residual_add_rms_norm; not with a gated input: on
 * the 1.1B Llama-shaped model (H100, batch-1 decode, w4g128) the gated
 * activation fused into the down projection ran 953-966 tok/s against 1,003
 * for the separate kernels in the same run (staging x delays the first
 * multiply; BENCHMARKS.md). */
int attnc_cuda_quantized_linear_fused(int32_t dtype, int32_t bits, int32_t group_size,
                                      int32_t asymmetric, const attnc_cuda_linear_input *input,
                                      int32_t num_tokens, int32_t in_features, const void *values,
                                      const float *scales, const uint8_t *zeros, const void *bias,
                                      const void *residual, int32_t out_features, void *scratch,
                                      void *y, void *stream, char *error, size_t error_len);

/* Where attnc_cuda_quantized_linear_rope_kv sends a fused QKV projection's
 * product [T, (num_heads + 2 num_kv_heads) head_dim] (query heads, then key
 * heads, then value heads): as attnc_cuda_rope_kv_append with query_source,
 * key and value the product's column ranges: the query heads rotated into
 * query [T, num_heads * head_dim], the key heads rotated and the value heads
 * written to token t's page of layer_cache (slot positions[t] % page_size). */
typedef struct attnc_cuda_rope_kv_output {
  int32_t style;            /* ATTNC_CUDA_ROPE_* */
  int32_t head_dim, rotary_dim, num_heads, num_kv_heads;
  const int32_t *positions; /* [T] */
  const float *inv_freq;    /* [rotary_dim / 2] */
  void *query;              /* [T, num_heads * head_dim] */
  int32_t num_seqs;
  const int32_t *query_start, *block_table;
  int32_t blocks_per_seq, page_size;
  int32_t kv_type;          /* Attention.h ATTNC_CUDA_KV_* */
  void *layer_cache;
} attnc_cuda_rope_kv_output;

/* The fused QKV projection and the RoPE + KV append after it in one call:
 * the product P = input . dequant(W)^T (+ bias) [T, out_features], each
 * element rounded to the storage type as a stored product is, goes where
 * `out` says (out_features must be (num_heads + 2 num_kv_heads) head_dim).
 * With a half-split rotation of the whole head (head_dim a multiple of 16)
 * into a cache of the model's dtype, w4 or w8 (a scale per output channel)
 * weights and f16/bf16, the linear's kernel does it (one launch in w4
 * decode, where an RMS-norm x is normalized on the fly; else after the
 * input is materialized in scratch as in _fused): each row tile of a query
 * or key head pairs 8 rows of its first half with the 8 rows they rotate
 * with, rotates them and stores them where they go; value tiles are stored
 * into the page as they are. Otherwise P goes to product [T, out_features]
 * (may be NULL when the kernel does it) and attnc_cuda_rope_kv_append
 * follows. `input` plain or an RMS norm. */
int attnc_cuda_quantized_linear_rope_kv(int32_t dtype, int32_t bits, int32_t group_size,
                                        int32_t asymmetric, const attnc_cuda_linear_input *input,
                                        int32_t num_tokens, int32_t in_features,
                                        const void *values, const float *scales,
                                        const uint8_t *zeros, const void *bias,
                                        const attnc_cuda_rope_kv_output *out,
                                        int32_t out_features, void *scratch, void *product,
                                        void *stream, char *error, size_t error_len);

/* The gated activation of a fused gate+up projection without its product
 * in memory: y [T, N / 2] = act(P[:, :N/2]) * P[:, N/2:] where P = input .
 * dequant(W)^T (+ bias) [T, N], W's first N / 2 rows the gate's and the rest
 * up's, each of P's halves rounded to the storage type first as a stored
 * product is (the result is attnc_cuda_gated_activation over
 * attnc_cuda_quantized_linear_fused's output). `input` is plain or an RMS
 * norm (not gated). For w4 and w8 (a scale per output channel) weights in
 * f16/bf16 the linear's kernel does it (one launch in w4 decode; else after
 * the input is materialized in scratch as in _fused): each row tile pairs 8
 * gate rows with the same 8 rows of up, and the activation is applied as y
 * is stored. Otherwise P goes to product [T, N] (may be NULL when the kernel
 * does it; the error says when it was needed) and the activation follows.
 * y must not alias x, scratch or product. */
int attnc_cuda_quantized_linear_gated(int32_t dtype, int32_t bits, int32_t group_size,
                                      int32_t asymmetric, const attnc_cuda_linear_input *input,
                                      int32_t num_tokens, int32_t in_features, const void *values,
                                      const float *scales, const uint8_t *zeros, const void *bias,
                                      int32_t act, int32_t out_features, void *scratch,
                                      void *product, void *y, void *stream, char *error,
                                      size_t error_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_CUDA_STEPKERNELS_H */
