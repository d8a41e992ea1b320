// Micro-benchmark behind a BENCHMARKS.md finding: attnrt::cpu::linear (f32,
// OpenBLAS sgemm per 128-column block, which repacks the weights on every
// call) against a oneDNN matmul whose weights were reordered once into the
// primitive's own layout (what a CPU prefill with weights packed at load
// would run), on the bench model's linears (qkv 768x512, o 512x512, gate+up
// 3072x512, down 512x1536) at T = 128 and 512 tokens, two rounds, medians
// of 15 calls, same process. Needs Debian's libdnnl-dev (oneDNN 2.6); not
// part of the build. Run with OMP_WAIT_POLICY=PASSIVE: oneDNN's idle OpenMP
// threads otherwise spin beside the pool's and slow the OpenBLAS side. Build
// and run: see bench/README.md.
#include "runtime/cpu/Linear.h"
#include "runtime/cpu/ThreadPool.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace attnrt::cpu;

namespace {

template <typename Fn> double median_seconds(int reps, Fn &&fn) {
  fn(); // warm up
  std::vector<double> v;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    v.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  ThreadPool pool(threads);
  using dnnl::memory;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  const int shapes[][2] = {{768, 512}, {512, 512}, {3072, 512}, {512, 1536}}; // N, K
  for (int round = 0; round < 2; ++round)
    for (int T : {128, 512})
      for (const auto &s : shapes) {
        const int N = s[0], K = s[1];
        std::vector<float> x(size_t(T) * K), w(size_t(N) * K), y(size_t(T) * N),
            y_dnnl(size_t(T) * N);
        for (float &v : x)
          v = dist(rng);
        for (float &v : w)
          v = dist(rng);
        // y [T, N] = x [T, K] . W^T: W [N, K] row-major is W^T [K, N] in "ba".
        const memory::desc x_desc({T, K}, memory::data_type::f32, memory::format_tag::ab);
        const memory::desc w_any({K, N}, memory::data_type::f32, memory::format_tag::any);
        const memory::desc w_rows({K, N}, memory::data_type::f32, memory::format_tag::ba);
        const memory::desc y_desc({T, N}, memory::data_type::f32, memory::format_tag::ab);
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(x_desc, w_any, y_desc), eng);
        memory w_mem(w_rows, eng, w.data()), w_packed(pd.weights_desc(), eng);
        dnnl::reorder(w_mem, w_packed).execute(strm, w_mem, w_packed); // once, as at load
        strm.wait();
        memory x_mem(x_desc, eng, x.data()), y_mem(y_desc, eng, y_dnnl.data());
        const dnnl::matmul matmul(pd);
        const double ours = median_seconds(15, [&] {
          linear(pool, x.data(), T, K, w.data(), nullptr, N, y.data());
        });
        const double onednn = median_seconds(15, [&] {
          matmul.execute(strm, {{DNNL_ARG_SRC, x_mem}, {DNNL_ARG_WEIGHTS, w_packed},
                                {DNNL_ARG_DST, y_mem}});
          strm.wait();
        });
        double diff = 0, peak = 0;
        for (size_t i = 0; i < y.size(); ++i) {
          diff = std::max(diff, double(std::fabs(y[i] - y_dnnl[i])));
          peak = std::max(peak, double(std::fabs(y[i])));
        }
        const double gflop = 2.0 * T * N * K / 1e9;
        std::printf("T=%4d N=%4d K=%4d  linear %6.1f GFLOP/s | oneDNN prepacked %6.1f GFLOP/s "
                    "(x%.2f) | max diff / max %.1e | %s\n",
                    T, N, K, gflop / ours, gflop / onednn, ours / onednn, diff / peak,
                    pd.impl_info_str());
      }
  return 0;
}
