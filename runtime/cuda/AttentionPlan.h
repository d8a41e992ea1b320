// What an attention plan hands its kernels (internal to runtime/cuda): the
// work items the planner cut a step into, the merge groups of flash-decoding
// splits, and the launch parameters every attention kernel shares. Used by
// Attention.cu (the planner, the tensor-core kernels, which also merge) and
// AttentionF32.cu (the f32 kernel, which takes the same items).
#ifndef ATTNC_RUNTIME_CUDA_ATTENTION_PLAN_H
#define ATTNC_RUNTIME_CUDA_ATTENTION_PLAN_H

#include <cuda_runtime.h>

#include <cstdint>

namespace attnrt::cuda::attention {

constexpr int kTileKeys = 64; // keys per online-softmax tile (all kernels)

// One CTA's work (with blockIdx.y the kv head): query tokens [t_begin, t_end)
// of sequence `seq` against keys [key_lo, key_hi]. Rows of the item are
// (token, head of the kv group) pairs, token-major.
struct WorkItem {
  int32_t seq;
  int32_t t_begin, t_end; // query tokens
  int32_t key_lo, key_hi; // keys any row of the item needs, inclusive (empty: lo > hi)
  int32_t partial;        // -1: writes out; else base row of its partial states (kv head 0)
  int32_t group;          // partial >= 0: its merge group (index into the plan's groups)
  // Keys <= stable_hi are not written by any kernel of the step (the step's
  // own keys start past it): the kernel may load them before its producers
  // finish.
  int32_t stable_hi;
};

struct MergeGroup {        // the key slices of one sequence's query block
  int32_t t_begin, rows;   // rows = tokens * group_size
  int32_t first_partial;   // partial row of slice 0, kv head 0
  int32_t num_parts;
  int32_t part_stride;     // rows * kv_heads
};

struct KernelParams {
  const void *query;
  void *out;
  const int32_t *positions;
  const int32_t *context_len;
  const int32_t *block_table;
  const char *cache;
  int64_t page_bytes;
  int32_t kv_type; // ATTNC_CUDA_KV_*: model dtype, or codes + scales (runtime/QuantizedKV.h)
  int32_t blocks_per_seq;
  int32_t num_kv_heads;
  int32_t group_size;
  int32_t page_size;
  uint32_t page_magic; // k / page_size == (umulhi(k, magic) + k) >> page_shift, k < 2^31
  int32_t page_shift;
  int32_t causal;
  int32_t window;
  float scale_log2;  // scale * log2(e), used when softcap == 0
  float scale;
  float softcap;
  float *partial_max; // log2 domain
  float *partial_sum;
  float *partial_acc;
  // Flash-decoding: the last slice of a group to finish merges the group
  // (counters [groups][num_kv_heads], zero between launches: the merger
  // resets its own).
  const MergeGroup *merge_groups;
  int32_t *merge_done;
  // Set by the launch: grid (kv heads, items) rather than (items, kv heads)
  // (fixed grids of graph capture).
  int32_t heads_on_x;
};

// Launch counts. A plan made for graph capture launches a fixed grid and
// keeps the step's real counts in device memory (refreshed before every
// replay): CTAs at or past *count return at once. nullptr: the grid is exact.
struct LaunchCount {
  int grid;
  const int32_t *count;
};

// The f32 attention (AttentionF32.cu): CUDA cores, f32 storage and
// arithmetic, same items and semantics as the tensor-core kernels; items
// never split (partial == -1: the planner does not split f32 steps).
// Grid (count.grid, num_kv_heads).
cudaError_t launch_attention_f32(const KernelParams &p, const WorkItem *items, LaunchCount count,
                                 int head_dim, cudaStream_t stream);

} // namespace attnrt::cuda::attention

#endif // ATTNC_RUNTIME_CUDA_ATTENTION_PLAN_H
