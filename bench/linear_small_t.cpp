// Micro-benchmark behind a BENCHMARKS.md finding: attnrt::cpu::linear at a
// few tokens per step (batched decode). Streams the 32 layer linears of the
// bench model (per layer: qkv 768x512, o 512x512, gate+up 3072x512, down
// 512x1536; 96.5 MB, above the L3)
// through linear() at T = 1, 2, 4, 8 and compares with the same column
// blocks done as T separate sgemv calls (weights of a 64-column block stay
// in L2 between the T calls). Build and run: see bench/README.md.
#include "runtime/cpu/Linear.h"
#include "runtime/cpu/ThreadPool.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace attnrt::cpu;

struct Shape { int64_t N, K; };

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  ThreadPool pool(threads);
  std::vector<Shape> shapes;
  for (int l = 0; l < 8; ++l) {  // qkv, o, gate+up, down of the bench model
    shapes.push_back({768, 512});
    shapes.push_back({512, 512});
    shapes.push_back({3072, 512});
    shapes.push_back({512, 1536});
  }
  std::vector<std::vector<float>> w;
  size_t bytes = 0;
  for (auto s : shapes) {
    w.emplace_back(s.N * s.K);
    for (auto &v : w.back()) v = (std::rand() % 1000) * 1e-4f;
    bytes += s.N * s.K * 4;
  }
  std::vector<float> x(8 * 3072, 0.01f), y(8 * 3072);
  auto pass = [&](int T, bool perToken) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      const int64_t N = shapes[i].N, K = shapes[i].K;
      if (!perToken) {
        linear(pool, x.data(), T, K, w[i].data(), nullptr, N, y.data());
        continue;
      }
      const int64_t block = 64, nblocks = (N + block - 1) / block;
      pool.parallel_for(0, nblocks, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t n0 = b * block, nb = std::min(block, N - n0);
          for (int t = 0; t < T; ++t)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, nb, K, 1.0f, w[i].data() + n0 * K, K,
                        x.data() + t * K, 1, 0.0f, y.data() + t * N + n0, 1);
        }
      });
    }
  };
  std::printf("weights %.1f MB, %d threads\n", bytes / 1e6, threads);
  for (int T : {1, 2, 4, 8}) {
    for (bool perToken : {false, true}) {
      pass(T, perToken);  // warm
      std::vector<double> ms;
      for (int r = 0; r < 7; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        pass(T, perToken);
        ms.push_back(std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("T=%d %-28s median %6.2f ms  (%.2f GB/s of weights)\n", T,
                  perToken ? "T x sgemv per 64-col block" : "attnrt linear()", ms[3],
                  bytes / ms[3] / 1e6);
    }
  }
}
