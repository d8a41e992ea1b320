#include "runtime/cpu/ThreadPool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace attnrt::cpu {

namespace {
// Set while a thread executes chunks, so that a nested parallel_for runs
// inline instead of deadlocking on the busy pool.
thread_local bool inside_parallel_region = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
} // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0)
    num_threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(num_threads - 1);
  for (int i = 0; i + 1 < num_threads; ++i)
    workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

void ThreadPool::work_on_current_job() {
  const int64_t num_chunks = (job_end_ - job_begin_ + job_grain_ - 1) / job_grain_;
  for (;;) {
    const int64_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= num_chunks)
      return;
    const int64_t b = job_begin_ + chunk * job_grain_;
    job_fn_(job_ctx_, b, std::min(job_end_, b + job_grain_));
  }
}

void ThreadPool::wait_for_job(uint64_t seen) {
  auto ready = [&] {
    return generation_.load(std::memory_order_acquire) != seen ||
           stopping_.load(std::memory_order_acquire);
  };
  // Poll first: the next loop of a step usually comes within microseconds.
  const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  for (int i = 0;; ++i) {
    if (ready())
      return;
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= spin_until)
      break;
  }
  // The bump happens under mutex_, so checking under it cannot miss one.
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, ready);
}

void ThreadPool::worker_loop() {
  inside_parallel_region = true; // workers only ever run chunks
  uint64_t seen = 0;
  for (;;) {
    wait_for_job(seen);
    if (stopping_.load(std::memory_order_acquire))
      return;
    seen = generation_.load(std::memory_order_acquire);
    work_on_current_job();
    busy_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(int64_t begin, int64_t end, int64_t grain, ChunkFn fn, void *ctx) {
  if (end <= begin)
    return;
  const int64_t count = end - begin;
  if (grain <= 0)
    grain = std::max<int64_t>(1, (count + 4 * num_threads() - 1) / (4 * num_threads()));
  // Inline when there is nothing to share or when nested inside a chunk.
  if (workers_.empty() || count <= grain || inside_parallel_region) {
    for (int64_t b = begin; b < end; b += grain)
      fn(ctx, b, std::min(end, b + grain));
    return;
  }

  std::lock_guard<std::mutex> one_job(run_mutex_);
  job_fn_ = fn;
  job_ctx_ = ctx;
  job_begin_ = begin;
  job_end_ = end;
  job_grain_ = grain;
  next_chunk_.store(0, std::memory_order_relaxed);
  busy_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release); // publishes the job
  }
  wake_.notify_all();

  inside_parallel_region = true;
  work_on_current_job();
  inside_parallel_region = false;

  // Every worker must leave the job before the next run() overwrites job_*.
  // Stragglers finish at most one chunk, so poll (yielding once it drags on).
  for (int i = 0; busy_workers_.load(std::memory_order_acquire) != 0; ++i) {
    if (i < 4096)
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

} // namespace attnrt::cpu
