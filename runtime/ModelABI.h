/* The contract between a compiled model (an artifact's libmodel.so, generated
 * by attnc) and libattnrt. Plain C so that generated code, the runtime and
 * services written in other languages all read the same structs.
 *
 * A model is a step function over a flat, ragged batch of tokens from many
 * sequences (prefill, chunked prefill and decode are the same step with
 * different metadata). Everything except attention is token-wise; attention
 * appends the step's K/V to a paged cache and reads it back through per-step
 * block tables.
 *
 * KV cache layout. Layers are partitioned into cache groups: all layers of a
 * group share one block table per sequence (vLLM-style: a page id addresses
 * the same slot in every layer of the group). Layers with a sliding window of
 * w tokens form their own group so the runtime can release the pages that slid
 * out of the window without touching full-attention layers. For layer l, page
 * p starts at layer_cache[l] + p * page_bytes(l). A layer of the model's own
 * dtype (kv_type ATTNC_KV_MODEL) has
 *   page_bytes(l) = page_size * kv_heads * (head_dim + v_head_dim) * elem_bytes
 * and its page holds K as [page_size][kv_heads][head_dim] followed by V as
 * [page_size][kv_heads][v_head_dim]. A quantized layer (ATTNC_KV_INT8,
 * ATTNC_KV_FP8_E4M3; elem_bytes 1) adds an f32 scale per (token, kv head) of
 * K and of V after the codes: runtime/QuantizedKV.h has its layout, rounding
 * and page_bytes (kvquant::page_bytes, the one formula for both). Block-table
 * entries of released pages are -1 and are never read (the window bound
 * excludes them).
 *
 * Step arguments are host memory (the runtime builds them on the host); a
 * device model copies what its kernels need. Bump ATTNC_MODEL_ABI_VERSION
 * whenever a struct below changes (2: alloc_cache / free_cache; 3:
 * attnc_layer_cache.kv_type; 4: attnc_step_args.argmax,
 * attnc_model_desc.features; 5: attnc_step_args.token_source,
 * attnc_model_desc.submit / finish).
 *
 * Overlapped steps (ATTNC_FEATURE_OVERLAP). A device model may split step
 * into submit (check and queue the step on the device, return) and finish
 * (wait for the oldest submitted step, write its logits or greedy tokens,
 * return its result), so that the runtime queues step n + 1 before it reads
 * step n's tokens and the device does not wait for the host between steps.
 * Step n + 1 then names its input tokens by the rows of step n's greedy
 * tokens they are (token_source); the runtime discards what step n + 1
 * computed for a sequence that step n ended (its stop token). */
#ifndef ATTNC_RUNTIME_MODEL_ABI_H
#define ATTNC_RUNTIME_MODEL_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTNC_MODEL_ABI_VERSION 5u

/* attnc_model_desc.features bits. */
#define ATTNC_FEATURE_ARGMAX 1u  /* step fills attnc_step_args.argmax when asked */
#define ATTNC_FEATURE_OVERLAP 2u /* submit / finish and token_source (above) */

/* The symbol every libmodel.so exports (looked up with dlsym); its name
 * stays fixed across ABI versions so that a mismatch is reported from
 * abi_version rather than as a missing symbol. */
#define ATTNC_MODEL_ENTRY_SYMBOL "attnc_model_v1"

/* What a layer's cache stores (attnc_layer_cache.kv_type; the values of
 * runtime/QuantizedKV.h's attnrt::KvType). */
#define ATTNC_KV_MODEL 0     /* the model's dtype, elem_bytes 4 or 2 */
#define ATTNC_KV_INT8 1      /* int8 codes + an f32 scale per (token, kv head) */
#define ATTNC_KV_FP8_E4M3 2  /* e4m3fn codes + an f32 scale per (token, kv head) */

typedef struct attnc_layer_cache {
  int32_t group;       /* cache group this layer's pages belong to */
  int32_t kv_heads;
  int32_t head_dim;    /* of K */
  int32_t v_head_dim;  /* of V */
  int32_t elem_bytes;  /* bytes per cached element (4 = f32, 2 = f16/bf16, 1 = int8/fp8) */
  int32_t kv_type;     /* ATTNC_KV_MODEL, ATTNC_KV_INT8 or ATTNC_KV_FP8_E4M3 */
} attnc_layer_cache;

typedef struct attnc_cache_group {
  int32_t window; /* sliding window in tokens (current token included); 0 = full attention */
} attnc_cache_group;

typedef struct attnc_step_args {
  int32_t num_tokens;          /* T: tokens in this step, sequences concatenated */
  const int32_t *token_ids;    /* [T] */
  const int32_t *positions;    /* [T] absolute position of each token in its sequence */
  int32_t num_seqs;            /* S */
  const int32_t *query_start;  /* [S + 1]: tokens of sequence s are [query_start[s], query_start[s+1]) */
  const int32_t *context_len;  /* [S]: cached tokens of s after this step's append */
  int32_t blocks_per_seq;      /* row stride of every block table */
  const int32_t *const *block_tables; /* [num_groups] -> [S * blocks_per_seq] page ids (-1 = released) */
  void *const *layer_cache;    /* [num_layers] base address of each layer's pages */
  int32_t num_logits;          /* rows of logits wanted */
  const int32_t *logit_tokens; /* [num_logits] token indices (into 0..T-1) whose logits are wanted */
  float *logits;               /* [num_logits, vocab_size], written by the step; NULL when
                                  argmax is set */
  /* Only for models with ATTNC_FEATURE_ARGMAX, else NULL. When set, the step
   * writes instead of the rows of logits [num_logits] greedy tokens: the
   * lowest index of each row's largest logit (-0 equals +0; -inf is a mask);
   * -1 - i when the row's first NaN or +inf is at index i; INT32_MIN when
   * every logit of the row is -inf. A device model then copies num_logits
   * integers back instead of num_logits * vocab_size floats. */
  int32_t *argmax;
  /* Only for models with ATTNC_FEATURE_OVERLAP, else NULL. [T] or NULL:
   * token t's id is greedy token token_source[t] of the step submitted just
   * before this one (which asked for argmax, with more rows than that) when
   * token_source[t] >= 0, token_ids[t] when -1. A greedy token that is not
   * a token id (a NaN / +inf / all -inf row, see argmax) reads as 0; the
   * runtime discards that sequence's results. */
  const int32_t *token_source;
} attnc_step_args;

typedef struct attnc_model_desc {
  uint32_t abi_version;        /* ATTNC_MODEL_ABI_VERSION the model was generated for */
  const char *attnc_version;   /* compiler version that generated it */
  const char *target;          /* "cpu" or "cuda" */
  int32_t num_layers;
  int32_t vocab_size;
  int32_t hidden_size;
  int32_t max_context;         /* longest sequence (prompt + generated) the model accepts */
  int32_t page_size;           /* tokens per KV page */
  int32_t max_batch_tokens;    /* most tokens one step may carry */
  int32_t num_groups;
  const attnc_cache_group *groups;  /* [num_groups] */
  const attnc_layer_cache *layers;  /* [num_layers] */
  uint64_t weights_bytes;      /* exact size of the weights blob the model expects */

  /* Creates an instance over `weights` (which must outlive it). Returns 0 on
   * success; otherwise nonzero with a message in `error`. */
  int (*create)(const void *weights, uint64_t weights_bytes, int32_t num_threads,
                void **instance, char *error, size_t error_len);
  /* Runs one step. Returns 0 on success; otherwise nonzero with a message in
   * `error`, and the cache pages of this step's tokens are unspecified. */
  int (*step)(void *instance, const attnc_step_args *args, char *error, size_t error_len);
  void (*destroy)(void *instance);

  /* Where the KV pages live. Device models (target "cuda") keep them in
   * device memory: the runtime asks the instance for each layer's pool
   * (`bytes`, zero-filled, aligned to at least 256 bytes) and passes those
   * addresses back in attnc_step_args.layer_cache; it frees them before
   * destroy. NULL for host models: the runtime allocates host memory. */
  int (*alloc_cache)(void *instance, uint64_t bytes, void **base, char *error, size_t error_len);
  void (*free_cache)(void *instance, void *base);

  uint32_t features; /* ATTNC_FEATURE_* bits */

  /* Only for models with ATTNC_FEATURE_OVERLAP, else NULL: step in two.
   * submit checks what it can and queues the step: nonzero (with a message)
   * when it did not queue it; 0 when it did, and then finish must be called
   * once for it. The arrays of args may be reused once submit returns, except
   * the destination logits / argmax, which finish writes. finish waits for
   * the oldest submitted step that was not finished, writes its logits or
   * greedy tokens, and returns its result as step does. At most two steps
   * are submitted and not finished; step itself is submit + finish. */
  int (*submit)(void *instance, const attnc_step_args *args, char *error, size_t error_len);
  int (*finish)(void *instance, char *error, size_t error_len);
} attnc_model_desc;

typedef const attnc_model_desc *(*attnc_model_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_MODEL_ABI_H */
