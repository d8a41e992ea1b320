// Rough timings of the CPU kernels (not a test; see BENCHMARKS.md conventions
// for recorded numbers). Usage: attnrt-cpu-kernel-bench [threads [pool|quant]]
// (pool: only the parallel_for overhead; quant: up to the quantized linears)
#include "runtime/cpu/Attention.h"
#include "runtime/cpu/Linear.h"
#include "runtime/cpu/PagedKV.h"
#include "runtime/cpu/QuantLinear.h"
#include "runtime/cpu/Rope.h"

#include <cblas.h>

#include <atomic>
#include <chrono>
#include <string>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

using namespace attnrt::cpu;

namespace {

template <typename Fn> double best_seconds(int reps, Fn &&fn) {
  fn(); // warm up
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

std::vector<float> random_floats(size_t n, std::mt19937 &rng) {
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

void bench_decode_linear(int N, int K, std::mt19937 &rng) {
  configure_blas_threads();
  const auto w = random_floats(size_t(N) * K, rng), x = random_floats(K, rng);
  std::vector<float> y(N);
  const double gemv = best_seconds(20, [&] {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, w.data(), K, x.data(), 1, 0.0f, y.data(), 1);
  });
  const double gemm = best_seconds(20, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, N, K, 1.0f, x.data(), K, w.data(), K,
                0.0f, y.data(), N);
  });
  const double gb = double(N) * K * 4 / 1e9;
  std::printf("T=1 %dx%d, one BLAS call, 1 thread: sgemv %.3f ms (%.1f GB/s), sgemm %.3f ms (%.1f GB/s)\n",
              N, K, gemv * 1e3, gb / gemv, gemm * 1e3, gb / gemm);
}

void bench_linear(ThreadPool &pool, int T, int N, int K, std::mt19937 &rng) {
  const auto w = random_floats(size_t(N) * K, rng), x = random_floats(size_t(T) * K, rng);
  std::vector<float> y(size_t(T) * N);
  const double s = best_seconds(10, [&] { linear(pool, x.data(), T, K, w.data(), nullptr, N, y.data()); });
  std::printf("linear T=%d N=%d K=%d, %d threads: %.3f ms, %.1f GFLOP/s, %.1f GB/s of weights\n", T, N,
              K, pool.num_threads(), s * 1e3, 2.0 * T * N * K / s / 1e9, double(N) * K * 4 / s / 1e9);
  // Baseline: one whole-matrix OpenBLAS call on OpenBLAS's own threads.
  openblas_set_num_threads(pool.num_threads());
  const double whole = best_seconds(10, [&] {
    if (T == 1)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, w.data(), K, x.data(), 1, 0.0f, y.data(), 1);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, N, K, 1.0f, x.data(), K, w.data(), K,
                  0.0f, y.data(), N);
  });
  openblas_set_num_threads(1);
  std::printf("  baseline: one OpenBLAS call, %d OpenBLAS threads: %.3f ms, %.1f GFLOP/s\n",
              pool.num_threads(), whole * 1e3, 2.0 * T * N * K / whole / 1e9);
}

// quantized_linear against the dense f32 linear on the same shape. The packed
// bytes are random (speed does not depend on the values). Each kernel cycles
// through enough copies of its weights (>= 96 MB) that they come from DRAM,
// as the layers of a real model do, not from the last-level cache. GB/s
// counts the weight bytes a call reads: values, scales (and zero points) for
// the quantized kernels, N x K floats for the dense one.
constexpr double kStreamBytes = 96e6;

int copies_for(double bytes) { return std::max(1, int(std::ceil(kStreamBytes / bytes))); }

template <int Bits, int GroupSize>
void bench_quantized(ThreadPool &pool, int T, int N, int K, const std::vector<float> &x,
                     std::vector<float> &y, double dense_seconds, std::mt19937 &rng) {
  const int64_t value_bytes = Bits == 8 ? int64_t(N) * K : int64_t(N) * K / 2;
  const int64_t groups = GroupSize == 0 ? 1 : K / GroupSize;
  const double bytes = double(value_bytes + int64_t(N) * groups * 4);
  const int copies = copies_for(bytes);
  std::vector<std::vector<uint8_t>> values(copies);
  std::vector<std::vector<float>> scales(copies);
  for (int c = 0; c < copies; ++c) {
    values[c].resize(static_cast<size_t>(value_bytes));
    for (uint8_t &v : values[c])
      v = uint8_t(rng());
    scales[c] = random_floats(size_t(N) * groups, rng);
  }
  const double s = best_seconds(5, [&] {
    for (int c = 0; c < copies; ++c)
      quantized_linear<Bits, GroupSize, false>(pool, x.data(), T, K, values[c].data(),
                                               scales[c].data(), nullptr, nullptr, N, y.data());
  }) / copies;
  std::printf("  %s: %.3f ms, %.1f GB/s of weights, %.1f GFLOP/s, %.2fx the f32 speed\n",
              Bits == 8 ? "w8    " : "w4g128", s * 1e3, bytes / s / 1e9, 2.0 * T * N * K / s / 1e9,
              dense_seconds / s);
}

void bench_quantized_linear(ThreadPool &pool, int T, int N, int K, std::mt19937 &rng) {
  const int copies = copies_for(double(N) * K * 4);
  std::vector<std::vector<float>> w(copies);
  for (auto &c : w)
    c = random_floats(size_t(N) * K, rng);
  const auto x = random_floats(size_t(T) * K, rng);
  std::vector<float> y(size_t(T) * N);
  const double dense = best_seconds(5, [&] {
    for (const auto &c : w)
      linear(pool, x.data(), T, K, c.data(), nullptr, N, y.data());
  }) / copies;
  std::printf("quantized linear T=%d N=%d K=%d, %d threads\n  f32   : %.3f ms, %.1f GB/s of weights, "
              "%.1f GFLOP/s\n",
              T, N, K, pool.num_threads(), dense * 1e3, double(N) * K * 4 / dense / 1e9,
              2.0 * T * N * K / dense / 1e9);
  bench_quantized<8, 0>(pool, T, N, K, x, y, dense, rng);
  bench_quantized<4, 128>(pool, T, N, K, x, y, dense, rng);
}

template <int HeadDim, int Group, int PageSize, int Tile>
void bench_attention(ThreadPool &pool, int num_seqs, int context, int queries_per_seq, int kv_heads,
                     std::mt19937 &rng) {
  const int heads = kv_heads * Group;
  const int blocks = (context + PageSize - 1) / PageSize;
  const int64_t page_floats = int64_t(PageSize) * kv_heads * 2 * HeadDim;
  std::vector<float> cache = random_floats(size_t(num_seqs) * blocks * page_floats, rng);
  std::vector<int32_t> table(size_t(num_seqs) * blocks);
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), rng);
  std::vector<int32_t> query_start(num_seqs + 1), context_len(num_seqs, context), positions;
  for (int s = 0; s < num_seqs; ++s) {
    query_start[s + 1] = query_start[s] + queries_per_seq;
    for (int i = 0; i < queries_per_seq; ++i)
      positions.push_back(context - queries_per_seq + i);
  }
  const int64_t T = query_start[num_seqs];
  const auto q = random_floats(size_t(T) * heads * HeadDim, rng);
  std::vector<float> out(size_t(T) * heads * HeadDim);
  PagedAttentionArgs<float> args{q.data(), out.data(), T, positions.data(), num_seqs,
                                 query_start.data(), context_len.data(), table.data(), blocks,
                                 cache.data(), kv_heads, 1.0f / std::sqrt(float(HeadDim))};
  const double s = best_seconds(5, [&] {
    paged_attention<float, HeadDim, HeadDim, Group, PageSize, Tile>(pool, args);
  });
  // Causal pairs: each query at position p sees p + 1 keys.
  double pairs = 0;
  for (int i = 0; i < queries_per_seq; ++i)
    pairs += context - queries_per_seq + i + 1;
  const double flops = 4.0 * pairs * num_seqs * heads * HeadDim;
  const double kv_bytes = double(num_seqs) * context * kv_heads * 2 * HeadDim * 4;
  std::printf("attention hd%d %d/%d heads, %d seqs x %d queries, context %d, %d threads: %.3f ms, "
              "%.1f GFLOP/s, KV %.1f GB/s\n",
              HeadDim, heads, kv_heads, num_seqs, queries_per_seq, context, pool.num_threads(),
              s * 1e3, flops / s / 1e9, kv_bytes / s / 1e9);
}

// RoPE of q and k plus the KV append, as three calls (copies, rotations in
// place, append) and as the fused rope_kv_append, for `num_seqs` sequences of
// `tokens_per_seq` tokens each.
template <int HeadDim, int PageSize>
void bench_rope_append(ThreadPool &pool, int num_seqs, int tokens_per_seq, int heads, int kv_heads,
                       std::mt19937 &rng) {
  const int64_t T = int64_t(num_seqs) * tokens_per_seq;
  const int blocks = (tokens_per_seq + 1000 + PageSize - 1) / PageSize;
  std::vector<int32_t> positions(T), query_start(num_seqs + 1), block_table(num_seqs * blocks);
  for (int s = 0; s <= num_seqs; ++s)
    query_start[s] = s * tokens_per_seq;
  for (int64_t t = 0; t < T; ++t)
    positions[t] = 1000 + int32_t(t % tokens_per_seq); // appended after 1000 cached tokens
  std::iota(block_table.begin(), block_table.end(), 0);
  std::vector<float> cache(size_t(num_seqs) * blocks * PageSize * kv_heads * 2 * HeadDim);
  std::vector<float> inv_freq(HeadDim / 2);
  rope_inv_freq(10000.0, HeadDim, inv_freq.data());
  const std::vector<float> q = random_floats(T * heads * HeadDim, rng);
  const std::vector<float> k = random_floats(T * kv_heads * HeadDim, rng);
  const std::vector<float> v = random_floats(T * kv_heads * HeadDim, rng);
  std::vector<float> q_rot(q.size()), k_rot(k.size()), q_work(q.size());
  const double separate = best_seconds(20, [&] {
    std::copy(q.begin(), q.end(), q_rot.begin());
    rope<float, HeadDim, HeadDim, RopeStyle::HalfSplit>(pool, q_rot.data(), T, heads,
                                                        positions.data(), inv_freq.data());
    std::copy(k.begin(), k.end(), k_rot.begin());
    rope<float, HeadDim, HeadDim, RopeStyle::HalfSplit>(pool, k_rot.data(), T, kv_heads,
                                                        positions.data(), inv_freq.data());
    kv_append<float, PageSize, HeadDim, HeadDim>(pool, k_rot.data(), v.data(), T, positions.data(),
                                                 num_seqs, query_start.data(), block_table.data(),
                                                 blocks, cache.data(), kv_heads);
  });
  const double fused = best_seconds(20, [&] {
    std::copy(q.begin(), q.end(), q_work.begin()); // the caller's projection output
    rope_kv_append<float, PageSize, HeadDim, HeadDim, HeadDim, RopeStyle::HalfSplit>(
        pool, q_work.data(), heads, k.data(), v.data(), T, positions.data(), inv_freq.data(),
        num_seqs, query_start.data(), block_table.data(), blocks, cache.data(), kv_heads);
  });
  std::printf("rope+kv_append hd %d, %d/%d heads, %d seqs x %d tokens, %d threads: "
              "separate %.3f ms, fused %.3f ms (the fused time includes re-copying q)\n",
              HeadDim, heads, kv_heads, num_seqs, tokens_per_seq, pool.num_threads(),
              separate * 1e3, fused * 1e3);
}

// Cost of one parallel_for with trivial chunks: the floor under every kernel
// call of a decode step.
void bench_pool_overhead(ThreadPool &pool) {
  std::atomic<int64_t> sink{0};
  const int calls = 20000;
  const double s = best_seconds(3, [&] {
    for (int c = 0; c < calls; ++c)
      pool.parallel_for(0, 4 * pool.num_threads(), 1, [&](int64_t b, int64_t) {
        sink.fetch_add(b, std::memory_order_relaxed);
      });
  });
  std::printf("parallel_for overhead, %d threads: %.2f us per call\n", pool.num_threads(),
              s / calls * 1e6);
}

} // namespace

int main(int argc, char **argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  std::mt19937 rng(1);
  ThreadPool pool(threads);
  bench_pool_overhead(pool);
  if (argc > 2 && std::string(argv[2]) == "pool")
    return 0;
  // The MLP projections of a 1.1B Llama (TinyLlama): decode and a batch of 16.
  for (int T : {1, 16}) {
    bench_quantized_linear(pool, T, 5632, 2048, rng);
    bench_quantized_linear(pool, T, 2048, 5632, rng);
  }
  if (argc > 2 && std::string(argv[2]) == "quant")
    return 0;
  bench_decode_linear(1024, 1024, rng);
  bench_decode_linear(4096, 4096, rng);
  bench_linear(pool, 1, 4096, 4096, rng);
  bench_linear(pool, 16, 4096, 4096, rng);
  bench_linear(pool, 128, 4096, 4096, rng);
  bench_linear(pool, 512, 4096, 4096, rng);
  bench_attention<128, 4, 16, 64>(pool, 1, 4096, 1, 8, rng);   // decode, long context
  bench_attention<128, 4, 16, 64>(pool, 16, 1024, 1, 8, rng);  // decode batch
  bench_attention<128, 4, 16, 64>(pool, 1, 1024, 1024, 8, rng); // causal prefill
  bench_attention<64, 1, 16, 64>(pool, 1, 1024, 1024, 12, rng); // MHA prefill (GPT-2 like)
  bench_rope_append<128, 16>(pool, 16, 1, 32, 8, rng);   // decode batch
  bench_rope_append<128, 16>(pool, 1, 2048, 32, 8, rng);  // prefill
  return 0;
}
