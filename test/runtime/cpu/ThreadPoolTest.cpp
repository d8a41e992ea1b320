// ThreadPool: every index runs exactly once, for any thread count, grain and
// range; nested loops run inline; back-to-back jobs do not mix.
#include "runtime/cpu/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace attnrt::cpu {
namespace {

TEST(ThreadPool, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {0, 1, 7, 64, 1000}) {
      for (int64_t grain : {-1, 0, 1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(n + 10);
        pool.parallel_for(10, 10 + n, grain, [&](int64_t b, int64_t e) {
          ASSERT_LE(b, e);
          if (grain > 0) {
            ASSERT_EQ((b - 10) % grain, 0) << "chunks start on grain boundaries";
            ASSERT_LE(e - b, grain);
          }
          for (int64_t i = b; i < e; ++i)
            hits[i].fetch_add(1);
        });
        for (int64_t i = 0; i < n + 10; ++i)
          ASSERT_EQ(hits[i].load(), i >= 10 ? 1 : 0)
              << "threads " << threads << " n " << n << " grain " << grain << " index " << i;
      }
    }
  }
}

TEST(ThreadPool, NestedParallelForRunsInline) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> hits(64 * 32);
  pool.parallel_for(0, 64, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      pool.parallel_for(0, 32, 4, [&](int64_t b2, int64_t e2) {
        for (int64_t j = b2; j < e2; ++j)
          hits[i * 32 + j].fetch_add(1);
      });
  });
  for (auto &h : hits)
    ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPool, ManyShortJobsInARow) {
  ThreadPool pool(4);
  std::vector<int64_t> data(256, 0);
  for (int round = 0; round < 2000; ++round)
    pool.parallel_for(0, 256, 16, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        data[i] += i;
    });
  for (int64_t i = 0; i < 256; ++i)
    ASSERT_EQ(data[i], 2000 * i);
}

TEST(ThreadPool, DefaultsToHardwareConcurrency) {
  ThreadPool pool(0);
  EXPECT_GE(pool.num_threads(), 1);
}

} // namespace
} // namespace attnrt::cpu
