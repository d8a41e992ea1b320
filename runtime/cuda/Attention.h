/* attnrt CUDA kernels: paged attention over a ragged batch and the KV append,
 * with exactly the semantics of runtime/cpu/Attention.h and PagedKV.h on the
 * cache layout of runtime/ModelABI.h:
 *   page p of a layer starts at layer_cache + p * page_bytes,
 *   page_bytes = page_size * kv_heads * (head_dim + v_head_dim) * elem_bytes,
 *   K block [page_size][kv_heads][head_dim], then V block [page_size][kv_heads][v_head_dim];
 * or, for a quantized cache (kv_type ATTNC_CUDA_KV_INT8 / _FP8_E4M3), the
 * pages of runtime/QuantizedKV.h: 1-byte codes of K and V plus one f32 scale
 * per (token, kv head) of each, page_bytes = page_size * kv_heads *
 * (head_dim + v_head_dim + 8), page_size * kv_heads even (16-byte aligned
 * pages; plans refuse odd). Attention over a quantized cache is attention
 * over the dequantized K/V (code * scale): the tensor-core kernels take the
 * codes exactly as f16/bf16 MMA operands and apply the scales in f32, K's to
 * the score columns, V's to the probability columns before P.V (relative
 * to the largest V scale seen, so p * scale stays in range; rounded to
 * f16/bf16 as P is); the f32 kernel dequantizes in f32 exactly.
 *
 * For each sequence s, each query token t in [query_start[s], query_start[s+1])
 * at position q = positions[t] and each query head h (kv head h / group_size),
 * the keys attended are the cached positions k in [0, context_len[s]) with
 *   k <= q                 when causal,
 *   k >= q - window + 1    when window > 0;
 * scores are scale * q.k, softcapped (cap * tanh(score / cap)) when softcap > 0,
 * out = softmax(scores) . V, and a row with no visible key gets zeros.
 *
 * Tensors: query [num_tokens, kv_heads * group_size, head_dim], out the same
 * shape (v_head_dim == head_dim), block_table [num_seqs * blocks_per_seq].
 * All pointers of attnc_cuda_attention_args are device pointers.
 *
 * Attention runs in two phases. A plan is made on the host from host copies
 * of the step's metadata (query_start, context_len, positions: the scheduler
 * builds them on the host anyway); it cuts the step into work items (a block
 * of query tokens of one sequence, and for decode-sized steps a slice of the
 * keys: flash-decoding) and uploads them with the split workspace to device
 * memory it owns. Running the plan launches the kernels on a stream; a plan
 * can be run any number of times while the metadata it was made from holds.
 *
 * Supported now: f16 and bf16 storage (f32 accumulation, tensor cores) and
 * f32 storage (CUDA cores, never split: for checking against f32 references
 * more than for speed), head_dim 16, 32,
 * 64, 128 or 256 (v_head_dim == head_dim), group_size 1..128 (tested up to
 * 32), any page_size >= 1. Needs sm_80+ (built for sm_90a); head_dim 256
 * needs 136 KiB (decode) and 192 KiB (prefill) of shared memory per block,
 * which the H100 has (227 KiB) and the A100 has not for prefill (163 KiB):
 * plan creation refuses such a step on such a device. */
#ifndef ATTNC_RUNTIME_CUDA_ATTENTION_H
#define ATTNC_RUNTIME_CUDA_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { ATTNC_CUDA_F16 = 0, ATTNC_CUDA_BF16 = 1, ATTNC_CUDA_F32 = 2 };

/* What a layer's cache stores (the values of runtime/QuantizedKV.h's KvType
 * and ModelABI.h's ATTNC_KV_* codes): the model dtype, int8 or fp8 e4m3fn
 * codes with per-(token, kv head) f32 scales. */
enum { ATTNC_CUDA_KV_MODEL = 0, ATTNC_CUDA_KV_INT8 = 1, ATTNC_CUDA_KV_FP8_E4M3 = 2 };

typedef struct attnc_cuda_attention_config {
  int32_t dtype;        /* ATTNC_CUDA_F16, ATTNC_CUDA_BF16 or ATTNC_CUDA_F32 */
  int32_t head_dim;     /* 16, 32, 64, 128 or 256; V has the same size */
  int32_t num_kv_heads;
  int32_t group_size;   /* query heads per kv head: 1 = MHA, num_heads = MQA */
  int32_t page_size;    /* tokens per cache page */
  int32_t causal;       /* nonzero: keys k <= q */
  int32_t window;       /* 0 = unbounded; else keys k >= q - window + 1 */
  int32_t split_tokens; /* flash-decoding key slice; 0 = chosen from the step; else a multiple of 64 */
  int32_t kv_type;      /* ATTNC_CUDA_KV_*: what the pages hold (0 = the dtype above) */
} attnc_cuda_attention_config;

typedef struct attnc_cuda_attention_args {
  const void *query;           /* [num_tokens, num_heads, head_dim] */
  void *out;                   /* [num_tokens, num_heads, head_dim] */
  const int32_t *positions;    /* [num_tokens] */
  const int32_t *context_len;  /* [num_seqs] cached tokens after this step's append */
  const int32_t *block_table;  /* [num_seqs * blocks_per_seq] page ids, -1 = released */
  int32_t blocks_per_seq;
  const void *layer_cache;     /* base of this layer's pages */
  float scale;                 /* usually 1 / sqrt(head_dim) */
  float softcap;               /* 0 = none */
} attnc_cuda_attention_args;

typedef struct attnc_cuda_attention_plan attnc_cuda_attention_plan;

/* Makes a plan from host copies of the step's metadata. Returns 0, or nonzero
 * with a message in `error` (an unsupported head_dim is named in it).
 * Allocates device memory (freed by _destroy). */
int attnc_cuda_attention_plan_create(const attnc_cuda_attention_config *config, int32_t num_seqs,
                                     const int32_t *host_query_start, const int32_t *host_context_len,
                                     const int32_t *host_positions, attnc_cuda_attention_plan **plan,
                                     char *error, size_t error_len);
/* A plan for CUDA graph capture of decode steps (at most one query token per
 * sequence, at most max_seqs sequences of at most max_context keys): its
 * device buffers are sized once, its kernels launch fixed grids (the
 * capacities) and read the step's item counts from device memory, so a
 * captured launch stays valid while _update replans each step into the
 * same buffers. Allocates device and pinned host memory. */
int attnc_cuda_attention_plan_create_fixed(const attnc_cuda_attention_config *config,
                                           int32_t max_seqs, int32_t max_context,
                                           attnc_cuda_attention_plan **plan, char *error,
                                           size_t error_len);
/* Replans a fixed plan for a step (host copies of its metadata, as _create)
 * and enqueues the upload on `stream`, ahead of the attention (or the graph)
 * that reads it. The stream's previous upload must have completed (the
 * pinned staging is reused). Refuses a step the plan was not sized for. */
int attnc_cuda_attention_plan_update(attnc_cuda_attention_plan *plan, int32_t num_seqs,
                                     const int32_t *host_query_start,
                                     const int32_t *host_context_len,
                                     const int32_t *host_positions, void *stream, char *error,
                                     size_t error_len);
void attnc_cuda_attention_plan_destroy(attnc_cuda_attention_plan *plan);
/* What the plan chose, for tests and benchmarks: work items of the small
 * (decode) and large (prefill) kernels, split groups, key slice. */
void attnc_cuda_attention_plan_info(const attnc_cuda_attention_plan *plan, int32_t *decode_items,
                                    int32_t *prefill_items, int32_t *split_groups,
                                    int32_t *split_tokens);

/* Launches the attention of a planned step on `stream` (a cudaStream_t; 0 =
 * the default stream). Returns 0, or nonzero with a message (launch errors
 * included; kernel faults surface at the next synchronisation). */
int attnc_cuda_paged_attention(const attnc_cuda_attention_plan *plan,
                               const attnc_cuda_attention_args *args, void *stream, char *error,
                               size_t error_len);

/* Writes the step's keys and values into their pages (positions through the
 * block table). key [num_tokens, kv_heads, head_dim], value [num_tokens,
 * kv_heads, v_head_dim], elem_bytes per element; head_dim * elem_bytes and
 * v_head_dim * elem_bytes must be positive multiples of 16 (every head_dim
 * the attention takes, in f16/bf16 (elem_bytes 2) and f32 (4)). Device pointers. */
int attnc_cuda_kv_append(int32_t elem_bytes, int32_t head_dim, int32_t v_head_dim,
                         int32_t num_kv_heads, int32_t page_size, const void *key,
                         const void *value, int32_t num_tokens, const int32_t *positions,
                         int32_t num_seqs, const int32_t *query_start, const int32_t *block_table,
                         int32_t blocks_per_seq, void *layer_cache, void *stream, char *error,
                         size_t error_len);

/* attnc_cuda_kv_append into a cache of any kv_type (ATTNC_CUDA_KV_*): key and
 * value in the model dtype `dtype` (ATTNC_CUDA_F16 / _BF16 / _F32). KV_MODEL
 * is attnc_cuda_kv_append; INT8 / FP8_E4M3 quantize every (token, kv head)
 * row of K and of V as runtime/QuantizedKV.h (amax in f32 of the model-dtype
 * values) into the quantized page layout; head_dim and v_head_dim must then
 * be multiples of 16 up to 512. */
int attnc_cuda_kv_append_typed(int32_t dtype, int32_t kv_type, int32_t head_dim,
                               int32_t v_head_dim, int32_t num_kv_heads, int32_t page_size,
                               const void *key, const void *value, int32_t num_tokens,
                               const int32_t *positions, int32_t num_seqs,
                               const int32_t *query_start, const int32_t *block_table,
                               int32_t blocks_per_seq, void *layer_cache, void *stream,
                               char *error, size_t error_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_CUDA_ATTENTION_H */
