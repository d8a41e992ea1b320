// The CUDA side of generated step code: the same calls as runtime/cpu
// (Norm.h, Linear.h, Elementwise.h, Copy.h, Rope.h, PagedKV.h, Attention.h)
// in namespace attnrt::cuda, so that one emitter writes both targets with
// `namespace rt = attnrt::cpu` or `attnrt::cuda`. Here the first argument is
// a Context (one per model instance) instead of the ThreadPool, T is __half,
// __nv_bfloat16 or float, and every tensor pointer is a device pointer (norm
// weights, RoPE tables: f32; linear weights and bias: T).
//
// A step:
//   const attnc_step_args *a = ctx.begin_step(host_args);   // metadata -> device
//   if (!a) return ctx.submit_step(error, error_len);       // refused: nonzero
//   int rc = ctx.run_step([&] {                              // maybe a CUDA graph
//     rt::embedding(ctx, a->token_ids, ...); ... rt::copy_logits(ctx, a->logits, ...);
//     return 0;
//   });
//   return rc ? rc : ctx.submit_step(error, error_len);     // queued: 0
// and later ctx.finish_step(error, error_len) (wait + first error); or
// end_step in place of submit_step for both at once. A second step may be
// begun and submitted before the first is finished (ModelABI.h's overlapped
// steps).
// (Calling the wrappers between begin_step and end_step without run_step
// also works: the step then runs eagerly.)
// Wrappers only enqueue work on the context's stream. Errors are sticky: the
// first failure of a step is recorded with the operation's name and every
// later wrapper of that step does nothing; finish_step reports it. Bad ids
// found on the device (embedding, gather_rows, rope_from_table) surface at
// finish_step.
//
// C++17, includable from .cu and .cpp files (no kernels here: the wrappers
// call the C API of Attention.h and StepKernels.h).
#ifndef ATTNC_RUNTIME_CUDA_STEP_H
#define ATTNC_RUNTIME_CUDA_STEP_H

#include "Attention.h"
#include "StepKernels.h"
#include "StorageType.h"

#include "runtime/ModelABI.h"
#include "runtime/PagedAttentionArgs.h"
#include "runtime/QuantizedKV.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace attnrt::cuda {

enum class Activation { Silu, Gelu, GeluTanh, Relu };
enum class RopeStyle { HalfSplit, Interleaved };
// What a layer's cache stores (runtime/QuantizedKV.h): the model dtype, or
// int8 / fp8 e4m3 codes with per-(token, kv head) scales. The KvType
// template argument of kv_append, rope_kv_append and paged_attention.
using attnrt::KvType;

// Head sizes the paged attention kernel supports, for code generators to
// refuse a model up front (paged_attention also refuses them at run time).
// Head size 256 also needs 192 KiB of shared memory per block for prefill
// (H100: 227 KiB; A100: 163 KiB), checked when the step's plan is made.
constexpr bool attention_supported(int head_dim, int v_head_dim, int group_size) {
  return (head_dim == 16 || head_dim == 32 || head_dim == 64 || head_dim == 128 ||
          head_dim == 256) &&
         v_head_dim == head_dim && group_size >= 1 && group_size <= 128;
}

class Context {
public:
  // num_groups: cache groups, i.e. block tables begin_step uploads (a
  // kernel handed the table of a group past them fails the step). page_size:
  // tokens per page; when > 0, begin_step checks that every token's page is
  // allocated in every group. num_layers: entries of the steps' layer_cache;
  // when > 0 (and page_size > 0) decode steps run as CUDA graphs (run_step),
  // unless the environment sets ATTNC_CUDA_GRAPHS=0. linear_workspace_bytes:
  // cuBLASLt workspace (0 = 32 MiB). nullptr and a message on failure.
  static std::unique_ptr<Context> create(char *error, size_t error_len, int32_t num_groups = 1,
                                         int32_t page_size = 0, int32_t num_layers = 0,
                                         size_t linear_workspace_bytes = 0);
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  // Validates the step's metadata (host pointers) and uploads token_ids,
  // positions, query_start, context_len, the num_groups block tables,
  // logit_tokens (and token_source) in one copy from pinned staging; with a
  // token_source, a kernel then writes the tokens it names from the greedy
  // tokens of the step submitted before. Returns host-side args whose
  // arrays are those device copies (layer_cache and logits passed through);
  // valid until the next begin_step. nullptr on error (submit_step reports it).
  // A decode step's tables go up with blocks_per_seq rounded up to a power of
  // two (rows padded with -1): read it from the returned args.
  const attnc_step_args *begin_step(const attnc_step_args *host);
  // Queues the copies back of the step's reports and logits behind its work
  // and returns at once: 0, and the step must then be finished by
  // finish_step; nonzero with the message when begin_step refused the step
  // (nothing of it queued). At most two steps are submitted and not
  // finished: a step may be begun and submitted while the one before runs.
  int submit_step(char *error, size_t error_len);
  // Waits for the oldest submitted step, hands its logits (or greedy tokens)
  // to their destinations, and returns 0 or nonzero with its first error.
  int finish_step(char *error, size_t error_len);
  // submit_step, then finish_step.
  int end_step(char *error, size_t error_len);
  const attnc_step_args &host() const; // the caller's args of the current step

  // Runs the step's operations: `ops()` enqueues them through the wrappers
  // and returns 0, or nonzero with its own message written (returned as is).
  // A decode step (one token per sequence) of a shape (tokens, logits,
  // blocks per sequence, caches) seen before is captured into a CUDA graph
  // the second time and replayed from the third: `ops` is then not called,
  // and the graph's launches, attention plans (fixed-grid ones, refreshed
  // in begin_step) and logits copies stand for it. Other steps, and shapes
  // whose capture failed, run `ops` eagerly. `ops` must enqueue the same work
  // for the same shape (generated step code does).
  template <typename Ops> int run_step(Ops &&ops) {
    using F = std::remove_reference_t<Ops>;
    return run_step_impl([](void *f) { return int((*static_cast<F *>(f))()); },
                         const_cast<void *>(static_cast<const void *>(&ops)));
  }
  struct GraphStats {
    int64_t captured = 0, replayed = 0, fell_back = 0; // steps
  };
  GraphStats graph_stats() const;

  cudaStream_t stream() const;
  int32_t num_groups() const;
  int32_t page_size() const;

  // Device memory owned by the context (freed with it unless freed before).
  // alloc: zero-filled, nullptr on failure. upload(dst, src, bytes):
  // synchronous host -> device copy; upload(src, bytes): alloc + copy (the
  // weights, once), nullptr on failure. Failures are recorded like a
  // wrapper's (see error()).
  void *alloc(size_t bytes);
  void free(void *device_ptr);
  bool upload(void *device_dst, const void *host_src, size_t bytes);
  void *upload(const void *host_src, size_t bytes);
  template <typename E> E *alloc_upload(const E *host_src, size_t count) {
    E *d = static_cast<E *>(alloc(sizeof(E) * count));
    return d && upload(d, host_src, sizeof(E) * count) ? d : nullptr;
  }

  // ---- for the wrappers below ----
  bool failed() const;
  const char *error() const; // the recorded message ("" if none)
  // Records `op: message` unless an error is already recorded; returns false.
  bool fail(const char *op, const char *message);
  // rc of a C API call whose message is in scratch(); false on failure.
  bool check(int rc, const char *op);
  // cudaGetLastError / a CUDA call's result; false on failure.
  bool check_cuda(cudaError_t e, const char *op);
  char *scratch();
  size_t scratch_len() const;
  attnc_cuda_linear_ctx *linear() const;
  // A device pair (count, largest index) the next reporting kernel writes;
  // finish_step turns a nonzero count into `message`. nullptr after an error.
  int32_t *report_slot(const char *message);
  // The step's plan for `config` (made once per distinct config per step from
  // the host metadata). nullptr after recording an error.
  const attnc_cuda_attention_plan *attention_plan(const attnc_cuda_attention_config &config);
  // Device buffer of n 4-byte elements (f32 logits, or int32 greedy tokens)
  // for copy_logits / argmax_logits; its contents reach host_dst at finish_step.
  float *logits_buffer(void *host_dst, int64_t n);
  const attnc_step_args &device() const; // what begin_step returned

private:
  int run_step_impl(int (*ops)(void *), void *closure);
  struct Impl;
  explicit Context(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

namespace detail {

template <typename T> struct NoDeduce { using type = T; };
inline bool fits_i32(int64_t v) { return v >= 0 && v <= INT32_MAX; }

// A linear's common prologue: false (the call does nothing) once the context
// has failed, or when a size does not fit the kernels' int32 (failing it).
inline bool linear_shape_ok(Context &ctx, const char *what, int64_t num_tokens,
                            int64_t in_features, int64_t out_features) {
  if (ctx.failed())
    return false;
  if (fits_i32(num_tokens) && fits_i32(in_features) && fits_i32(out_features))
    return true;
  return ctx.fail(what, "shape out of range");
}
template <Activation Act> constexpr int32_t act_code() {
  return Act == Activation::Silu       ? ATTNC_CUDA_ACT_SILU
         : Act == Activation::Gelu     ? ATTNC_CUDA_ACT_GELU
         : Act == Activation::GeluTanh ? ATTNC_CUDA_ACT_GELU_TANH
                                       : ATTNC_CUDA_ACT_RELU;
}
template <RopeStyle S> constexpr int32_t style_code() {
  return S == RopeStyle::HalfSplit ? ATTNC_CUDA_ROPE_HALF_SPLIT : ATTNC_CUDA_ROPE_INTERLEAVED;
}
} // namespace detail

// As attnrt::cpu::rope_inv_freq (host; upload the table once).
inline void rope_inv_freq(double theta, int rotary_dim, float *host_out) {
  attnc_cuda_rope_inv_freq(theta, rotary_dim, host_out);
}

// ---- Norm.h ----

template <typename T>
void rms_norm(Context &ctx, const T *x, const float *weight, float weight_offset, float eps,
              int64_t rows, int64_t dim, T *y) {
  if (ctx.failed())
    return;
  if (!detail::fits_i32(rows) || !detail::fits_i32(dim))
    return void(ctx.fail("rms_norm", "shape out of range"));
  ctx.check(attnc_cuda_rms_norm(detail::dtype_of<T>(), x, weight, weight_offset, eps,
                                int32_t(rows), int32_t(dim), y, ctx.stream(), ctx.scratch(),
                                ctx.scratch_len()),
            "rms_norm");
}

template <typename T>
void residual_add_rms_norm(Context &ctx, const T *a, const T *b, const float *weight,
                           float weight_offset, float eps, int64_t rows, int64_t dim,
                           T *residual_out, T *y) {
  if (ctx.failed())
    return;
  if (!detail::fits_i32(rows) || !detail::fits_i32(dim))
    return void(ctx.fail("residual_add_rms_norm", "shape out of range"));
  ctx.check(attnc_cuda_residual_add_rms_norm(detail::dtype_of<T>(), a, b, weight, weight_offset,
                                             eps, int32_t(rows), int32_t(dim), residual_out, y,
                                             ctx.stream(), ctx.scratch(), ctx.scratch_len()),
            "residual_add_rms_norm");
}

template <typename T>
void layer_norm(Context &ctx, const T *x, const float *weight, const float *bias, float eps,
                int64_t rows, int64_t dim, T *y) {
  if (ctx.failed())
    return;
  if (!detail::fits_i32(rows) || !detail::fits_i32(dim))
    return void(ctx.fail("layer_norm", "shape out of range"));
  ctx.check(attnc_cuda_layer_norm(detail::dtype_of<T>(), x, weight, bias, eps, int32_t(rows),
                                  int32_t(dim), y, ctx.stream(), ctx.scratch(),
                                  ctx.scratch_len()),
            "layer_norm");
}

// ---- Linear.h: y = x Wᵀ (+ bias), W [out, in] row-major, bias in T ----

// `bias` does not take part in deducing T, so a missing bias may be nullptr.
template <typename T>
void linear(Context &ctx, const T *x, int64_t num_tokens, int64_t in_features, const T *weight,
            const typename detail::NoDeduce<T>::type *bias, int64_t out_features, T *y) {
  if (!detail::linear_shape_ok(ctx, "linear", num_tokens, in_features, out_features))
    return;
  ctx.check(attnc_cuda_linear(ctx.linear(), detail::dtype_of<T>(), x, int32_t(num_tokens),
                              int32_t(in_features), weight, bias, int32_t(out_features), y,
                              ctx.stream(), ctx.scratch(), ctx.scratch_len()),
            "linear");
}

// Quantized weights (runtime/QuantizedWeights.h): <8, 0, false> (w8) or
// <8 | 4, 32 | 64 | 128, false | true> (w8g*, w8g*a, w4g*, w4g*a); zeros is nullptr unless
// Asymmetric; values, scales and zeros are device pointers.
template <int Bits, int GroupSize, bool Asymmetric, typename T>
void quantized_linear(Context &ctx, const T *x, int64_t num_tokens, int64_t in_features,
                      const void *values, const float *scales, const uint8_t *zeros,
                      const typename detail::NoDeduce<T>::type *bias, int64_t out_features, T *y) {
  static_assert((Bits == 8 && GroupSize == 0 && !Asymmetric) ||
                    ((Bits == 8 || Bits == 4) &&
                     (GroupSize == 32 || GroupSize == 64 || GroupSize == 128)),
                "quantized_linear: <8, 0, false> or <8|4, 32|64|128, false|true>");
  if (!detail::linear_shape_ok(ctx, "quantized_linear", num_tokens, in_features, out_features))
    return;
  ctx.check(attnc_cuda_quantized_linear(detail::dtype_of<T>(), Bits, GroupSize, Asymmetric ? 1 : 0,
                                        x, int32_t(num_tokens), int32_t(in_features), values,
                                        scales, zeros, bias, int32_t(out_features), y,
                                        ctx.stream(), ctx.scratch(), ctx.scratch_len()),
            "quantized_linear");
}

namespace detail {
// x as a quantized linear's input: plain, or RMS-normalized with norm_weight.
inline attnc_cuda_linear_input linear_input(const void *x, int64_t in_features,
                                            const float *norm_weight, float norm_offset,
                                            float norm_eps) {
  attnc_cuda_linear_input input{};
  input.kind = norm_weight ? ATTNC_CUDA_INPUT_RMS_NORM : ATTNC_CUDA_INPUT_PLAIN;
  input.x = x;
  input.x_stride = in_features;
  input.norm_weight = norm_weight;
  input.norm_offset = norm_offset;
  input.norm_eps = norm_eps;
  return input;
}
} // namespace detail

// quantized_linear whose x is rms_norm(x, norm_weight, norm_offset, norm_eps)
// when norm_weight is not nullptr, and whose output is added to residual
// (may be nullptr) as residual_add would: the decode step's norm and
// residual add cost no launch of their own (attnc_cuda_quantized_linear_fused).
// scratch [num_tokens, in_features]: where the normalized x goes when the
// pieces run separately (more than 8 tokens, f32).
template <int Bits, int GroupSize, bool Asymmetric, typename T>
void quantized_linear_fused(Context &ctx, const T *x, const float *norm_weight, float norm_offset,
                            float norm_eps, typename detail::NoDeduce<T>::type *scratch,
                            int64_t num_tokens, int64_t in_features,
                            const void *values, const float *scales, const uint8_t *zeros,
                            const typename detail::NoDeduce<T>::type *bias, int64_t out_features,
                            const typename detail::NoDeduce<T>::type *residual, T *y) {
  if (!detail::linear_shape_ok(ctx, "quantized_linear_fused", num_tokens, in_features, out_features))
    return;
  const attnc_cuda_linear_input input =
      detail::linear_input(x, in_features, norm_weight, norm_offset, norm_eps);
  ctx.check(attnc_cuda_quantized_linear_fused(
                detail::dtype_of<T>(), Bits, GroupSize, Asymmetric ? 1 : 0, &input,
                int32_t(num_tokens), int32_t(in_features), values, scales, zeros, bias, residual,
                int32_t(out_features), scratch, y, ctx.stream(), ctx.scratch(), ctx.scratch_len()),
            "quantized_linear_fused");
}

// A fused QKV quantized linear (out_features = (num_heads + 2 kv_heads) *
// HeadDim: query heads, key heads, value heads) followed by rope_kv_append
// of its column ranges, in one call: the query heads rotated into query
// [num_tokens, num_heads * HeadDim], the keys rotated and the values written
// to the cache. x normalized as in quantized_linear_fused when norm_weight
// is not nullptr. The product is not stored where the linear's kernel does
// the rotation (attnc_cuda_quantized_linear_rope_kv: w4 / w8, f16 / bf16, a
// half-split rotation of whole heads, a model-dtype cache); product
// [num_tokens, out_features] is where it goes when the pieces run.
template <int Bits, int GroupSize, bool Asymmetric, int PageSize, int HeadDim, int RotaryDim,
          RopeStyle Style, KvType KV = KvType::Model, typename T>
void quantized_linear_rope_kv(Context &ctx, const T *x, const float *norm_weight,
                              float norm_offset, float norm_eps,
                              typename detail::NoDeduce<T>::type *scratch, int64_t num_tokens,
                              int64_t in_features, const void *values, const float *scales,
                              const uint8_t *zeros,
                              const typename detail::NoDeduce<T>::type *bias,
                              int64_t out_features, typename detail::NoDeduce<T>::type *product,
                              typename detail::NoDeduce<T>::type *query, int num_heads,
                              const int32_t *positions, const float *inv_freq, int32_t num_seqs,
                              const int32_t *query_start, const int32_t *block_table,
                              int32_t blocks_per_seq, void *layer_cache, int32_t kv_heads) {
  static_assert(RotaryDim > 0 && RotaryDim % 2 == 0 && RotaryDim <= HeadDim,
                "rotary_dim must be even and within head_dim");
  if (!detail::linear_shape_ok(ctx, "quantized_linear_rope_kv", num_tokens, in_features, out_features))
    return;
  if (!block_table && num_tokens > 0)
    return void(ctx.fail("quantized_linear_rope_kv",
                         "no block table (a cache group past Context's num_groups?)"));
  const attnc_cuda_linear_input input =
      detail::linear_input(x, in_features, norm_weight, norm_offset, norm_eps);
  attnc_cuda_rope_kv_output out{};
  out.style = detail::style_code<Style>();
  out.head_dim = HeadDim;
  out.rotary_dim = RotaryDim;
  out.num_heads = num_heads;
  out.num_kv_heads = kv_heads;
  out.positions = positions;
  out.inv_freq = inv_freq;
  out.query = query;
  out.num_seqs = num_seqs;
  out.query_start = query_start;
  out.block_table = block_table;
  out.blocks_per_seq = blocks_per_seq;
  out.page_size = PageSize;
  out.kv_type = int32_t(KV);
  out.layer_cache = layer_cache;
  ctx.check(attnc_cuda_quantized_linear_rope_kv(
                detail::dtype_of<T>(), Bits, GroupSize, Asymmetric ? 1 : 0, &input,
                int32_t(num_tokens), int32_t(in_features), values, scales, zeros, bias, &out,
                int32_t(out_features), scratch, product, ctx.stream(), ctx.scratch(),
                ctx.scratch_len()),
            "quantized_linear_rope_kv");
}

// gated_activation<Act> of a fused gate+up quantized linear (out_features =
// 2 x the gate's width, the gate's rows first) in one call: y [num_tokens,
// out_features / 2], x normalized as in quantized_linear_fused when
// norm_weight is not nullptr. The product [num_tokens, out_features] is not
// stored where the linear's kernel applies the activation
// (attnc_cuda_quantized_linear_gated: w4 / w8, f16 / bf16); product is where
// it goes when the pieces run (f32, 8-bit groups).
template <Activation Act, int Bits, int GroupSize, bool Asymmetric, typename T>
void quantized_linear_gated(Context &ctx, const T *x, const float *norm_weight, float norm_offset,
                            float norm_eps, typename detail::NoDeduce<T>::type *scratch,
                            int64_t num_tokens, int64_t in_features, const void *values,
                            const float *scales, const uint8_t *zeros,
                            const typename detail::NoDeduce<T>::type *bias, int64_t out_features,
                            typename detail::NoDeduce<T>::type *product, T *y) {
  if (!detail::linear_shape_ok(ctx, "quantized_linear_gated", num_tokens, in_features, out_features))
    return;
  const attnc_cuda_linear_input input =
      detail::linear_input(x, in_features, norm_weight, norm_offset, norm_eps);
  ctx.check(attnc_cuda_quantized_linear_gated(
                detail::dtype_of<T>(), Bits, GroupSize, Asymmetric ? 1 : 0, &input,
                int32_t(num_tokens), int32_t(in_features), values, scales, zeros, bias,
                detail::act_code<Act>(), int32_t(out_features), scratch, product, y, ctx.stream(),
                ctx.scratch(), ctx.scratch_len()),
            "quantized_linear_gated");
}

// ---- Elementwise.h ----

template <Activation Act, typename T>
void activation(Context &ctx, const T *x, T *y, int64_t n) {
  if (ctx.failed())
    return;
  ctx.check(attnc_cuda_activation(detail::dtype_of<T>(), detail::act_code<Act>(), x, y, n,
                                  ctx.stream(), ctx.scratch(), ctx.scratch_len()),
            "activation");
}

template <Activation Act, typename T>
void gated_activation(Context &ctx, const T *gate, int64_t gate_stride, const T *up,
                      int64_t up_stride, T *out, int64_t rows, int64_t width) {
  if (ctx.failed())
    return;
  if (!detail::fits_i32(rows) || !detail::fits_i32(width))
    return void(ctx.fail("gated_activation", "shape out of range"));
  ctx.check(attnc_cuda_gated_activation(detail::dtype_of<T>(), detail::act_code<Act>(), gate,
                                        gate_stride, up, up_stride, out, int32_t(rows),
                                        int32_t(width), ctx.stream(), ctx.scratch(),
                                        ctx.scratch_len()),
            "gated_activation");
}

template <Activation Act, typename T>
void gated_activation_fused(Context &ctx, const T *gate_up, T *out, int64_t rows, int64_t width) {
  gated_activation<Act>(ctx, gate_up, 2 * width, gate_up + width, 2 * width, out, rows, width);
}

// Returns true: ids are checked on the device; a bad id zeroes its row and
// finish_step fails the step ("a token id is outside the vocabulary" when ids
// are the step's token_ids).
template <typename T>
bool embedding(Context &ctx, const int32_t *ids, int64_t num_tokens, const T *table,
               int64_t vocab, int64_t dim, float scale, T *out) {
  if (ctx.failed())
    return true;
  if (!detail::fits_i32(num_tokens) || !detail::fits_i32(dim))
    return ctx.fail("embedding", "shape out of range"), true;
  int32_t *bad = ctx.report_slot(ids == ctx.device().token_ids
                                     ? "a token id is outside the vocabulary"
                                     : "embedding: an index is outside the table");
  if (!bad)
    return true;
  ctx.check(attnc_cuda_embedding(detail::dtype_of<T>(), ids, int32_t(num_tokens), table, vocab,
                                 int32_t(dim), scale, out, bad, ctx.stream(), ctx.scratch(),
                                 ctx.scratch_len()),
            "embedding");
  return true;
}

// out = a + b (f32, rounded once); out may alias a or b.
template <typename T> void residual_add(Context &ctx, const T *a, const T *b, T *out, int64_t n) {
  if (ctx.failed())
    return;
  ctx.check(attnc_cuda_add_scaled(detail::dtype_of<T>(), a, b, 1.0f, out, n, ctx.stream(),
                                  ctx.scratch(), ctx.scratch_len()),
            "residual_add");
}

// out = a + b * scale (f32, rounded once); out may alias a or b.
template <typename T>
void residual_add_scaled(Context &ctx, const T *a, const T *b, T *out, int64_t n, float scale) {
  if (ctx.failed())
    return;
  ctx.check(attnc_cuda_add_scaled(detail::dtype_of<T>(), a, b, scale, out, n, ctx.stream(),
                                  ctx.scratch(), ctx.scratch_len()),
            "residual_add_scaled");
}

template <typename T> void scale_inplace(Context &ctx, T *x, int64_t n, float scale) {
  if (ctx.failed())
    return;
  ctx.check(attnc_cuda_scale(detail::dtype_of<T>(), x, scale, x, n, ctx.stream(), ctx.scratch(),
                             ctx.scratch_len()),
            "scale_inplace");
}

// x = cap * tanh(x / cap), in place.
template <typename T> void softcap(Context &ctx, T *x, int64_t n, float cap) {
  if (ctx.failed())
    return;
  ctx.check(attnc_cuda_softcap(detail::dtype_of<T>(), x, cap, x, n, ctx.stream(), ctx.scratch(),
                               ctx.scratch_len()),
            "softcap");
}

// ---- Copy.h (any element type) ----

// dst[0:n] = src[0:n] (the CPU target's memcpy between activations).
template <typename T> void copy(Context &ctx, T *dst, const T *src, int64_t n) {
  if (ctx.failed() || n <= 0)
    return;
  ctx.check_cuda(cudaMemcpyAsync(dst, src, sizeof(T) * size_t(n), cudaMemcpyDeviceToDevice,
                                 ctx.stream()),
                 "copy");
}

template <typename T>
void copy_rows(Context &ctx, const T *src, int64_t src_stride, T *dst, int64_t dst_stride,
               int64_t rows, int64_t width) {
  if (ctx.failed() || rows <= 0 || width <= 0)
    return;
  ctx.check_cuda(cudaMemcpy2DAsync(dst, sizeof(T) * size_t(dst_stride), src,
                                   sizeof(T) * size_t(src_stride), sizeof(T) * size_t(width),
                                   size_t(rows), cudaMemcpyDeviceToDevice, ctx.stream()),
                 "copy_rows");
}

// Returns true: indices (device) are checked on the device; a bad one zeroes
// its row and finish_step fails the step.
template <typename T>
bool gather_rows(Context &ctx, const T *src, int64_t src_rows, const int32_t *index,
                 int64_t count, int64_t width, T *dst) {
  if (ctx.failed())
    return true;
  if (!detail::fits_i32(count))
    return ctx.fail("gather_rows", "count out of range"), true;
  int32_t *bad = ctx.report_slot(index == ctx.device().logit_tokens
                                     ? "a logit token index is outside the step"
                                     : "gather_rows: an index is outside the source");
  if (!bad)
    return true;
  ctx.check(attnc_cuda_gather_rows(int32_t(sizeof(T)), src, src_rows, index, int32_t(count),
                                   width, dst, bad, ctx.stream(), ctx.scratch(),
                                   ctx.scratch_len()),
            "gather_rows");
  return true;
}

// ---- Rope.h: x [num_tokens, num_heads, HeadDim] rotated in place ----

template <typename T, int HeadDim, int RotaryDim, RopeStyle Style>
void rope(Context &ctx, T *x, int64_t num_tokens, int num_heads, const int32_t *positions,
          const float *inv_freq) {
  static_assert(RotaryDim > 0 && RotaryDim % 2 == 0 && RotaryDim <= HeadDim,
                "rotary_dim must be even and within head_dim");
  if (ctx.failed())
    return;
  if (!detail::fits_i32(num_tokens))
    return void(ctx.fail("rope", "num_tokens out of range"));
  ctx.check(attnc_cuda_rope_kv_append(detail::dtype_of<T>(), detail::style_code<Style>(), HeadDim,
                                      RotaryDim, num_heads, 0, int32_t(num_tokens), positions,
                                      inv_freq, x, int64_t(num_heads) * HeadDim, nullptr, 0,
                                      nullptr, 0,
                                      nullptr, 0, 0, nullptr, nullptr, 0, 0,
                                      ATTNC_CUDA_KV_MODEL, nullptr, ctx.stream(), ctx.scratch(),
                                      ctx.scratch_len()),
            "rope");
}

// cos_table / sin_table: device f32 [table_rows, RotaryDim / 2]. table_rows
// (0 = not checked) bounds the positions: a token past it is left unrotated
// and finish_step fails the step.
template <typename T, int HeadDim, int RotaryDim, RopeStyle Style>
void rope_from_table(Context &ctx, T *x, int64_t num_tokens, int num_heads,
                     const int32_t *positions, const float *cos_table, const float *sin_table,
                     int64_t table_rows = 0) {
  static_assert(RotaryDim > 0 && RotaryDim % 2 == 0 && RotaryDim <= HeadDim,
                "rotary_dim must be even and within head_dim");
  if (ctx.failed())
    return;
  if (!detail::fits_i32(num_tokens))
    return void(ctx.fail("rope_from_table", "num_tokens out of range"));
  int32_t *bad = nullptr;
  if (table_rows > 0 && !(bad = ctx.report_slot("rope_from_table: a position is outside the table")))
    return;
  ctx.check(attnc_cuda_rope_table(detail::dtype_of<T>(), detail::style_code<Style>(), HeadDim,
                                  RotaryDim, num_heads, int32_t(num_tokens), positions, cos_table,
                                  sin_table, table_rows > 0 ? table_rows : INT64_MAX, x,
                                  int64_t(num_heads) * HeadDim, bad, ctx.stream(), ctx.scratch(),
                                  ctx.scratch_len()),
            "rope_from_table");
}

// ---- PagedKV.h ----

template <typename T, int PageSize, int HeadDim, int VHeadDim, KvType KV = KvType::Model>
void kv_append(Context &ctx, const T *key, const T *value, int64_t num_tokens,
               const int32_t *positions, int32_t num_seqs, const int32_t *query_start,
               const int32_t *block_table, int32_t blocks_per_seq, void *layer_cache,
               int32_t kv_heads) {
  if (ctx.failed())
    return;
  if (!detail::fits_i32(num_tokens))
    return void(ctx.fail("kv_append", "num_tokens out of range"));
  if (!block_table && num_tokens > 0)
    return void(ctx.fail("kv_append", "no block table (a cache group past Context's num_groups?)"));
  ctx.check(attnc_cuda_kv_append_typed(detail::dtype_of<T>(), int32_t(KV), HeadDim, VHeadDim,
                                       kv_heads, PageSize, key, value, int32_t(num_tokens),
                                       positions, num_seqs, query_start, block_table,
                                       blocks_per_seq, layer_cache, ctx.stream(), ctx.scratch(),
                                       ctx.scratch_len()),
            "kv_append");
}

// rope() of the keys followed by kv_append() in one launch (key itself is not
// modified), as attnrt::cpu::rope_kv_append (key_stride / value_stride and
// query_source too); query (may be nullptr) is rotated in place with the same
// angles, or written rotated from query_source. inv_freq: device f32
// [RotaryDim / 2].
template <typename T, int PageSize, int HeadDim, int VHeadDim, int RotaryDim, RopeStyle Style,
          KvType KV = KvType::Model>
void rope_kv_append(Context &ctx, T *query, int num_heads, const T *key, const T *value,
                    int64_t num_tokens, const int32_t *positions, const float *inv_freq,
                    int32_t num_seqs, const int32_t *query_start, const int32_t *block_table,
                    int32_t blocks_per_seq, void *layer_cache, int32_t kv_heads,
                    int64_t key_stride = 0, int64_t value_stride = 0,
                    const T *query_source = nullptr, int64_t query_source_stride = 0) {
  static_assert(RotaryDim > 0 && RotaryDim % 2 == 0 && RotaryDim <= HeadDim,
                "rotary_dim must be even and within head_dim");
  static_assert(VHeadDim == HeadDim, "the fused kernel needs v_head_dim == head_dim");
  if (ctx.failed())
    return;
  if (!detail::fits_i32(num_tokens))
    return void(ctx.fail("rope_kv_append", "num_tokens out of range"));
  if (!block_table && num_tokens > 0)
    return void(ctx.fail("rope_kv_append",
                         "no block table (a cache group past Context's num_groups?)"));
  const int32_t query_heads = query ? num_heads : 0;
  ctx.check(attnc_cuda_rope_kv_append(
                detail::dtype_of<T>(), detail::style_code<Style>(), HeadDim, RotaryDim,
                query_heads, kv_heads, int32_t(num_tokens), positions, inv_freq, query,
                int64_t(query_heads) * HeadDim, query ? query_source : nullptr,
                query_source_stride ? query_source_stride : int64_t(query_heads) * HeadDim, key,
                key_stride ? key_stride : int64_t(kv_heads) * HeadDim, value,
                value_stride ? value_stride : int64_t(kv_heads) * VHeadDim, num_seqs, query_start,
                block_table, blocks_per_seq,
                PageSize, int32_t(KV), layer_cache, ctx.stream(), ctx.scratch(),
                ctx.scratch_len()),
            "rope_kv_append");
}

// ---- Attention.h ----

// runtime/PagedAttentionArgs.h, with device pointers. positions,
// query_start and context_len must be the step's (begin_step's arrays): the
// plan is made from their host copies.
using attnrt::PagedAttentionArgs;

// Layers of one config (heads, window, causality) share one plan per step.
template <typename T, int HeadDim, int VHeadDim, int GroupSize, int PageSize,
          KvType KV = KvType::Model>
void paged_attention(Context &ctx, const PagedAttentionArgs<T> &args) {
  if (ctx.failed())
    return;
  if (!attention_supported(HeadDim, VHeadDim, GroupSize))
    return void(ctx.fail("paged_attention",
                         "head_dim must be 16, 32, 64, 128 or 256 with v_head_dim == head_dim and group size "
                         "1..128 on CUDA"));
  if (!args.block_table && args.num_tokens > 0)
    return void(ctx.fail("paged_attention",
                         "no block table (a cache group past Context's num_groups?)"));
  const attnc_step_args &d = ctx.device();
  if (args.positions != d.positions || args.query_start != d.query_start ||
      args.context_len != d.context_len || args.num_seqs != d.num_seqs ||
      args.num_tokens != d.num_tokens)
    return void(ctx.fail("paged_attention", "metadata must be the step's (begin_step's arrays)"));
  attnc_cuda_attention_config config{};
  config.dtype = detail::dtype_of<T>();
  config.head_dim = HeadDim;
  config.num_kv_heads = args.num_kv_heads;
  config.group_size = GroupSize;
  config.page_size = PageSize;
  config.causal = args.causal ? 1 : 0;
  config.window = args.window;
  config.split_tokens = 0;
  config.kv_type = int32_t(KV);
  const attnc_cuda_attention_plan *plan = ctx.attention_plan(config);
  if (!plan)
    return;
  attnc_cuda_attention_args a{};
  a.query = args.query;
  a.out = args.out;
  a.positions = args.positions;
  a.context_len = args.context_len;
  a.block_table = args.block_table;
  a.blocks_per_seq = args.blocks_per_seq;
  a.layer_cache = args.layer_cache;
  a.scale = args.scale;
  a.softcap = args.softcap;
  ctx.check(attnc_cuda_paged_attention(plan, &a, ctx.stream(), ctx.scratch(), ctx.scratch_len()),
            "paged_attention");
}

// host_logits[0:n] = float(src[0:n]): converted on the device now, copied to
// host_logits (host memory) by finish_step, which is when it may be read.
template <typename T>
void copy_logits(Context &ctx, float *host_logits, const T *src, int64_t n) {
  if (ctx.failed() || n <= 0)
    return;
  float *buffer = ctx.logits_buffer(host_logits, n);
  if (!buffer)
    return;
  ctx.check(attnc_cuda_to_f32(detail::dtype_of<T>(), src, buffer, n, ctx.stream(),
                              ctx.scratch(), ctx.scratch_len()),
            "copy_logits");
}

// host_argmax[0:rows] = the greedy tokens of src's rows of `vocab` logits
// (runtime/ModelABI.h, attnc_step_args.argmax), computed on the device now and
// copied by finish_step: rows integers cross to the host instead of rows x vocab
// floats.
template <typename T>
void argmax_logits(Context &ctx, int32_t *host_argmax, const T *src, int64_t rows, int64_t vocab) {
  if (ctx.failed() || rows <= 0)
    return;
  float *buffer = ctx.logits_buffer(host_argmax, rows);
  if (!buffer)
    return;
  ctx.check(attnc_cuda_argmax_rows(detail::dtype_of<T>(), src, rows, static_cast<int32_t>(vocab),
                                   reinterpret_cast<int32_t *>(buffer), ctx.stream(),
                                   ctx.scratch(), ctx.scratch_len()),
            "argmax_logits");
}

// The step's result: greedy tokens where the runtime asked for them
// (ATTNC_FEATURE_ARGMAX), else the rows of logits.
template <typename T>
void logits_out(Context &ctx, const attnc_step_args *a, const T *src, int64_t rows, int64_t vocab) {
  if (a->argmax)
    argmax_logits(ctx, a->argmax, src, rows, vocab);
  else
    copy_logits(ctx, a->logits, src, rows * vocab);
}

} // namespace attnrt::cuda

#endif // ATTNC_RUNTIME_CUDA_STEP_H
