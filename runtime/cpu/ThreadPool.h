// A persistent thread pool for the CPU kernels. One pool is created per model
// instance (attnc_model_desc::create's num_threads) and every kernel of a step
// runs its parallel loops on it.
//
// Determinism: parallel_for only decides *which thread* runs a chunk, never how
// a chunk is computed. Kernels split their work into chunks whose boundaries do
// not depend on the number of threads, so results are bitwise identical for 1
// or N threads.
//
// Latency: a decode step calls a few hundred short parallel loops, so idle
// workers spin for a short while (kSpinMicros) before sleeping on a condition
// variable; a loop issued within that window starts without a futex wake-up.
#ifndef ATTNC_RUNTIME_CPU_THREADPOOL_H
#define ATTNC_RUNTIME_CPU_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace attnrt::cpu {

class ThreadPool {
public:
  // How long an idle worker polls for the next loop before it sleeps.
  static constexpr int kSpinMicros = 50;

  // num_threads counts the calling thread: a pool of N starts N - 1 workers
  // and the caller of parallel_for works too. num_threads <= 0 means
  // std::thread::hardware_concurrency().
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(chunk_begin, chunk_end) over [begin, end) split into chunks of
  // `grain` indices (the last one shorter); returns when all chunks are done.
  // Chunks are handed out dynamically (an atomic counter), so uneven chunks
  // (causal attention) balance themselves. grain <= 0 picks about four chunks
  // per thread. fn must not throw. A parallel_for called from inside a chunk
  // (nesting) runs inline on the calling thread. Calls from several threads
  // on one pool are serialised.
  template <typename Fn>
  void parallel_for(int64_t begin, int64_t end, int64_t grain, Fn &&fn) {
    using FnType = std::remove_reference_t<Fn>;
    run(begin, end, grain,
        [](void *ctx, int64_t b, int64_t e) { (*static_cast<FnType *>(ctx))(b, e); },
        const_cast<void *>(static_cast<const void *>(&fn)));
  }

private:
  using ChunkFn = void (*)(void *ctx, int64_t begin, int64_t end);
  void run(int64_t begin, int64_t end, int64_t grain, ChunkFn fn, void *ctx);
  void worker_loop();
  void work_on_current_job();
  // Waits until generation_ differs from `seen` or the pool stops.
  void wait_for_job(uint64_t seen);

  std::vector<std::thread> workers_;
  std::mutex mutex_;             // guards sleeping on wake_
  std::condition_variable wake_; // workers past their spin sleep here
  std::atomic<uint64_t> generation_{0}; // bumped (under mutex_) per job
  std::atomic<bool> stopping_{false};
  std::atomic<int> busy_workers_{0}; // workers still inside the current job

  // The current job; written by the caller before the generation bump that
  // publishes it, read by workers after they observe that bump.
  ChunkFn job_fn_ = nullptr;
  void *job_ctx_ = nullptr;
  int64_t job_begin_ = 0, job_end_ = 0, job_grain_ = 1;
  std::atomic<int64_t> next_chunk_{0};
  std::mutex run_mutex_; // one job at a time if several threads share a pool
};

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_THREADPOOL_H
