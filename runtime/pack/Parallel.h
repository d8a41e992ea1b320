// Runs work(t) for t in [0, threads) on that many threads (this one
// included) and returns when all are done. If the system refuses a thread,
// the shares not started run here, in order: callers split work so that the
// result does not depend on which thread ran a share. Internal to
// runtime/pack (the quantizers and the calibration run).
#pragma once

#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace attnrt::pack::detail {

template <typename Work> void runShares(std::int64_t threads, const Work &work) {
  struct Joiner { // threads are joined however this returns
    std::vector<std::thread> pool;
    ~Joiner() {
      for (std::thread &t : pool)
        t.join();
    }
  } joiner;
  std::int64_t spawned = 1;
  try {
    joiner.pool.reserve(std::size_t(threads > 1 ? threads - 1 : 0));
    for (; spawned < threads; ++spawned)
      joiner.pool.emplace_back([&work, spawned] { work(spawned); });
  } catch (const std::exception &) {
    // No more threads (or no memory for them): the rest run here.
  }
  work(0);
  for (std::int64_t t = spawned; t < threads; ++t)
    work(t);
}

} // namespace attnrt::pack::detail
