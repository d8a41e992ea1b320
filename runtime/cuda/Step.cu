// attnrt::cuda::Context (Step.h): the stream, cuBLASLt context, step
// metadata upload, error recording, device reports, attention plans and
// logits staging of one model instance.
#include "Step.h"

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

namespace attnrt::cuda {

namespace {

constexpr int kMaxReports = 64; // reporting kernels per step
constexpr size_t kScratch = 512;
constexpr int kMaxGroups = 64; // device_tables entries: those past num_groups stay null
constexpr size_t kMaxGraphs = 64; // decode shapes with a graph (or a failed capture)

size_t round4(size_t n) { return (n + 3) / 4 * 4; } // int32 sections 16-byte aligned

void set_message(char *error, size_t error_len, const char *fmt, ...) {
  if (!error || !error_len)
    return;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(error, error_len, fmt, ap);
  va_end(ap);
}

__attribute__((format(printf, 1, 2))) std::string format(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

} // namespace

struct Context::Impl {
  int32_t num_groups = 1, page_size = 0;
  cudaStream_t stream = nullptr;
  attnc_cuda_linear_ctx *linear = nullptr;
  std::unordered_set<void *> allocations; // through alloc()

  // Step metadata: its device copy (one: steps read it in queue order) and
  // a pinned staging area per slot (below), same layout.
  int32_t *device_meta = nullptr;
  size_t meta_capacity = 0; // int32 elements
  attnc_step_args host{}, device{};
  std::vector<const int32_t *> device_tables;
  const int32_t *host_query_start = nullptr, *host_context_len = nullptr,
                *host_positions = nullptr; // in staging
  bool in_step = false;
  bool begun = false; // begin_step passed its checks: submit_step queues the step

  struct PlanEntry {
    attnc_cuda_attention_config config;
    attnc_cuda_attention_plan *plan;
  };
  struct Pending {
    void *dst; // host: into attnc_step_args.logits or .argmax
    int64_t offset, n;
  };
  // A step's reporting kernels: the message of each device pair and its op
  // number (the step being built, a queued step, a graph's capture).
  struct Reports {
    int count = 0;
    const char *message[kMaxReports] = {};
    int64_t op[kMaxReports] = {};
  };

  // Steps submitted and not finished: at most two, one per slot, so that the
  // runtime can queue a step while the one before it runs. A slot holds what
  // the step's host side needs until finish_step: its pinned staging (read
  // by the queued metadata copy), the pinned copies of its reports and
  // logits, what it recorded, its eager attention plans, and an event after
  // its last copy.
  struct Slot {
    bool queued = false;
    int32_t *staging = nullptr;
    size_t staging_capacity = 0; // int32 elements
    int32_t *host_reports = nullptr;
    float *host_logits = nullptr;
    int64_t host_logits_capacity = 0;
    cudaEvent_t done = nullptr;
    std::string error;
    int64_t error_op = -1;
    Reports reports;
    std::vector<Pending> pending;
    std::vector<PlanEntry> plans;
    int timing = -1; // its ReplayTimes record, or -1
  };
  Slot slots[2];
  int slot = 0;           // the step being built
  int queue[2] = {};      // queued slots, oldest first
  int num_queued = 0;
  // The greedy tokens of the step submitted last, on the device (what a
  // token_source reads): its argmax region of the logits buffer.
  const int32_t *last_argmax = nullptr;
  int32_t last_argmax_rows = 0;

  // First error of the step (or of create-time alloc/upload), and when.
  std::string error;
  int64_t error_op = -1;
  int64_t op = 0; // reporting kernels and errors numbered in program order
  char scratch[kScratch] = {};

  // Reports: device pairs (copied to the slot's pinned ones), messages, op
  // numbers.
  int32_t *device_reports = nullptr;
  Reports reports;

  std::vector<PlanEntry> plans; // eager plans of the step being built

  // Logits: device f32 buffer (one: steps write it in queue order, and each
  // queues its copy back before the next can write), regions waiting for
  // finish_step (rows of logits, or greedy tokens: 4-byte elements either way).
  float *device_logits = nullptr;
  int64_t logits_capacity = 0, logits_used = 0;
  std::vector<Pending> pending;

  // CUDA graphs of decode steps, one per shape. A shape's first step runs
  // eagerly on fixed-grid attention plans (made then), its second is
  // captured, later ones replay; the bookkeeping the wrappers did while
  // capturing (reports, logits regions) is replayed with the graph.
  struct Graph {
    int32_t num_tokens, num_logits, blocks_per_seq;
    bool argmax; // greedy tokens instead of logits rows
    std::vector<void *> caches; // layer_cache[0, num_layers): the graph's kernels hold them
    int steps = 0;              // begun with this shape
    bool failed = false;        // capture failed: eager from now on
    std::vector<PlanEntry> plans;
    cudaGraphExec_t exec = nullptr;
    Reports reports;
    int64_t ops = 0;
    struct Region {
      int64_t at, offset, n; // host: logits (or argmax) + at; device: logits buffer + offset
      bool argmax;
    };
    std::vector<Region> pending;
    int64_t logits_used = 0; // of the logits buffer, by the regions
  };
  enum class Mode { Eager, Capture, Replay };
  int32_t num_layers = 0;
  bool graphs_enabled = false;
  std::vector<std::unique_ptr<Graph>> graphs;
  Graph *graph = nullptr; // the current step's shape (nullptr: not a graph step)
  Mode mode = Mode::Eager;
  GraphStats stats;

  // ATTNC_CUDA_STEP_TIMES=1: where a replayed decode step's time goes,
  // summarized on stderr when the context goes (medians, microseconds).
  // GPU: events around the graph launch, and the GPU's idle gap from the
  // previous finished replay's end to this one's start. Host: the caller
  // between steps (finish_step's return to begin_step: sampling,
  // scheduling), begin_step up to the launch (metadata, plans), the launch
  // call, and finish_step's wait (the graph's rest, the logits copy).
  struct ReplayTimes {
    using Clock = std::chrono::steady_clock;
    static constexpr int kRing = 4; // records: two steps queued and the one before
    struct Record {
      cudaEvent_t start = nullptr, end = nullptr;
      double caller = -1, prepare = 0, launch = 0;
    };
    Record ring[kRing];
    int next = 0;          // the record the next replay takes
    int building = -1;     // the step being built's record, if it replays
    int last_finished = -1; // the record of the replay finished before, if any
    Clock::time_point step_begin, launch_begin, last_return;
    bool returned = false;
    std::vector<double> gpu, gap, caller, prepare, launch, wait;

    static double us(Clock::time_point a, Clock::time_point b) {
      return std::chrono::duration<double, std::micro>(b - a).count();
    }
    bool create() {
      for (Record &r : ring)
        if (cudaEventCreate(&r.start) != cudaSuccess || cudaEventCreate(&r.end) != cudaSuccess)
          return false;
      return true;
    }
    void destroy() {
      for (Record &r : ring) {
        if (r.start)
          cudaEventDestroy(r.start);
        if (r.end)
          cudaEventDestroy(r.end);
      }
    }
    // run_step, around a replay's launch: false if the events failed.
    bool before_launch(cudaStream_t stream) {
      building = next;
      next = (next + 1) % kRing;
      Record &r = ring[building];
      r.caller = returned ? us(last_return, step_begin) : -1;
      launch_begin = Clock::now();
      r.prepare = us(step_begin, launch_begin);
      return cudaEventRecord(r.start, stream) == cudaSuccess;
    }
    bool after_launch(cudaStream_t stream) {
      Record &r = ring[building];
      r.launch = us(launch_begin, Clock::now());
      return cudaEventRecord(r.end, stream) == cudaSuccess;
    }
    // finish_step after its wait: the numbers of record `at` (-1: the step
    // was not a timed replay).
    void finish(int at, bool ok, Clock::time_point wait_begin) {
      const Clock::time_point now = Clock::now();
      float ms = 0;
      if (ok && at >= 0 && cudaEventElapsedTime(&ms, ring[at].start, ring[at].end) == cudaSuccess) {
        const Record &r = ring[at];
        gpu.push_back(1e3 * ms);
        if (last_finished >= 0 &&
            cudaEventElapsedTime(&ms, ring[last_finished].end, r.start) == cudaSuccess) {
          gap.push_back(1e3 * ms);
          if (r.caller >= 0)
            caller.push_back(r.caller);
        }
        prepare.push_back(r.prepare);
        launch.push_back(r.launch);
        wait.push_back(us(wait_begin, now));
        last_finished = at;
      } else {
        last_finished = -1;
      }
      last_return = now;
      returned = true;
    }
    void report() const {
      if (gpu.empty())
        return;
      auto median = [](std::vector<double> v) {
        if (v.empty())
          return 0.0;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
      };
      std::fprintf(stderr,
                   "attnc cuda: %zu graph replays, median us: GPU %.1f (min %.1f), GPU idle "
                   "before it %.1f; host: caller %.1f, begin_step %.1f, launch %.1f, end_step "
                   "wait %.1f\n",
                   gpu.size(), median(gpu), *std::min_element(gpu.begin(), gpu.end()),
                   median(gap), median(caller), median(prepare), median(launch), median(wait));
    }
  };
  bool time_replays = false;
  ReplayTimes times;

  Graph *graph_for(const attnc_step_args &h) {
    for (auto &g : graphs)
      if (g->num_tokens == h.num_tokens && g->num_logits == h.num_logits &&
          g->blocks_per_seq == h.blocks_per_seq && g->argmax == (h.argmax != nullptr) &&
          std::equal(g->caches.begin(), g->caches.end(), h.layer_cache))
        return g.get();
    if (graphs.size() == kMaxGraphs)
      return nullptr;
    auto g = std::make_unique<Graph>();
    g->num_tokens = h.num_tokens;
    g->num_logits = h.num_logits;
    g->blocks_per_seq = h.blocks_per_seq;
    g->argmax = h.argmax != nullptr;
    g->caches.assign(h.layer_cache, h.layer_cache + num_layers);
    graphs.push_back(std::move(g));
    return graphs.back().get();
  }

  // Device buffers a graph captured were replaced: capture again.
  void drop_graph_execs() {
    for (auto &g : graphs)
      if (g->exec) {
        cudaGraphExecDestroy(g->exec);
        g->exec = nullptr;
      }
  }

  void reset_step_records() {
    error.clear();
    error_op = -1;
    op = 0;
    reports.count = 0;
    pending.clear();
    logits_used = 0;
  }

  bool record(const char *op_name, const char *message) {
    if (error.empty()) {
      error = std::string(op_name) + ": " + message;
      error_op = op;
    }
    ++op;
    return false;
  }

  static void destroy_plans(std::vector<PlanEntry> &list) {
    for (PlanEntry &p : list)
      attnc_cuda_attention_plan_destroy(p.plan);
    list.clear();
  }

  // The slot's pinned logits hold at least n elements.
  cudaError_t reserve_host_logits(Slot &sl, int64_t n) {
    if (n <= sl.host_logits_capacity)
      return cudaSuccess;
    cudaFreeHost(sl.host_logits);
    sl.host_logits = nullptr;
    sl.host_logits_capacity = 0;
    cudaError_t e = cudaHostAlloc(reinterpret_cast<void **>(&sl.host_logits),
                                  sizeof(float) * size_t(n), cudaHostAllocDefault);
    if (e == cudaSuccess)
      sl.host_logits_capacity = n;
    return e;
  }

  // Queues the copies of the step's pending regions into the slot's pinned
  // logits (behind the step's work).
  cudaError_t queue_logits_copies(Slot &sl) {
    cudaError_t e = reserve_host_logits(sl, logits_used);
    for (const Pending &p : pending) {
      if (e != cudaSuccess)
        break;
      e = cudaMemcpyAsync(sl.host_logits + p.offset, device_logits + p.offset,
                          sizeof(float) * p.n, cudaMemcpyDeviceToHost, stream);
    }
    return e;
  }

  // The step being built hands its regions so far to their destinations now
  // (the device buffer is about to be replaced): copies, a wait, the memcpys.
  cudaError_t flush_logits() {
    Slot &sl = slots[slot];
    cudaError_t e = queue_logits_copies(sl);
    if (e == cudaSuccess)
      e = cudaStreamSynchronize(stream);
    if (e == cudaSuccess)
      for (const Pending &p : pending)
        std::memcpy(p.dst, sl.host_logits + p.offset, 4 * p.n);
    pending.clear();
    logits_used = 0;
    return e;
  }

  ~Impl() {
    if (stream)
      cudaStreamSynchronize(stream);
    times.report();
    times.destroy();
    destroy_plans(plans);
    drop_graph_execs();
    for (auto &g : graphs)
      destroy_plans(g->plans);
    for (void *p : allocations)
      cudaFree(p);
    for (Slot &sl : slots) {
      destroy_plans(sl.plans);
      cudaFreeHost(sl.staging);
      cudaFreeHost(sl.host_reports);
      cudaFreeHost(sl.host_logits);
      if (sl.done)
        cudaEventDestroy(sl.done);
    }
    cudaFree(device_meta);
    cudaFree(device_reports);
    cudaFree(device_logits);
    attnc_cuda_linear_destroy(linear);
    if (stream)
      cudaStreamDestroy(stream);
  }
};

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;

std::unique_ptr<Context> Context::create(char *error, size_t error_len, int32_t num_groups,
                                         int32_t page_size, int32_t num_layers,
                                         size_t linear_workspace_bytes) {
  if (num_groups < 1 || num_groups > kMaxGroups || page_size < 0 || num_layers < 0) {
    set_message(error, error_len,
                "cuda context: need 1 <= num_groups <= %d, page_size >= 0, num_layers >= 0",
                kMaxGroups);
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->num_groups = num_groups;
  impl->page_size = page_size;
  impl->num_layers = num_layers;
  const char *graphs = std::getenv("ATTNC_CUDA_GRAPHS");
  impl->graphs_enabled =
      num_layers > 0 && page_size > 0 && !(graphs && std::strcmp(graphs, "0") == 0);
  // A blocking stream: the attention planner uploads plans with cudaMemcpy
  // on the legacy default stream, which this orders before our kernels.
  cudaError_t e = cudaStreamCreate(&impl->stream);
  if (e == cudaSuccess)
    e = cudaMalloc(&impl->device_reports, sizeof(int32_t) * 2 * kMaxReports);
  for (Impl::Slot &sl : impl->slots) {
    if (e == cudaSuccess)
      e = cudaHostAlloc(reinterpret_cast<void **>(&sl.host_reports),
                        sizeof(int32_t) * 2 * kMaxReports, cudaHostAllocDefault);
    if (e == cudaSuccess) // no timing: cheaper to record and wait for
      e = cudaEventCreateWithFlags(&sl.done, cudaEventDisableTiming);
  }
  if (e != cudaSuccess) {
    set_message(error, error_len, "cuda context: %s", cudaGetErrorString(e));
    return nullptr;
  }
  if (attnc_cuda_linear_create(linear_workspace_bytes, &impl->linear, error, error_len))
    return nullptr;
  const char *times = std::getenv("ATTNC_CUDA_STEP_TIMES");
  impl->time_replays =
      impl->graphs_enabled && times && std::strcmp(times, "1") == 0 && impl->times.create();
  impl->device_tables.assign(kMaxGroups, nullptr);
  return std::unique_ptr<Context>(new Context(std::move(impl)));
}

cudaStream_t Context::stream() const { return impl_->stream; }
int32_t Context::num_groups() const { return impl_->num_groups; }
int32_t Context::page_size() const { return impl_->page_size; }
const attnc_step_args &Context::host() const { return impl_->host; }
const attnc_step_args &Context::device() const { return impl_->device; }
Context::GraphStats Context::graph_stats() const { return impl_->stats; }
bool Context::failed() const { return !impl_->error.empty(); }
const char *Context::error() const { return impl_->error.c_str(); }
char *Context::scratch() { return impl_->scratch; }
size_t Context::scratch_len() const { return kScratch; }
attnc_cuda_linear_ctx *Context::linear() const { return impl_->linear; }

bool Context::fail(const char *op, const char *message) { return impl_->record(op, message); }

bool Context::check(int rc, const char *op) {
  if (rc == 0)
    return true;
  impl_->scratch[kScratch - 1] = '\0';
  return impl_->record(op, impl_->scratch[0] ? impl_->scratch : "failed");
}

bool Context::check_cuda(cudaError_t e, const char *op) {
  if (e == cudaSuccess)
    return true;
  cudaGetLastError(); // clear a non-sticky error so later steps start clean
  return impl_->record(op, cudaGetErrorString(e));
}

void *Context::alloc(size_t bytes) {
  void *p = nullptr;
  if (!check_cuda(cudaMalloc(&p, bytes ? bytes : 1), "alloc"))
    return nullptr;
  impl_->allocations.insert(p);
  // Zero-filled (the KV cache contract); on the legacy stream, which our
  // blocking stream's later work waits for.
  if (!check_cuda(cudaMemset(p, 0, bytes ? bytes : 1), "alloc")) {
    free(p);
    return nullptr;
  }
  return p;
}

void *Context::upload(const void *host_src, size_t bytes) {
  void *p = alloc(bytes);
  if (p && !upload(p, host_src, bytes)) {
    free(p);
    return nullptr;
  }
  return p;
}

void Context::free(void *device_ptr) {
  if (device_ptr && impl_->allocations.erase(device_ptr)) {
    cudaStreamSynchronize(impl_->stream); // work in flight may still use it
    cudaFree(device_ptr);
  }
}

bool Context::upload(void *device_dst, const void *host_src, size_t bytes) {
  if (bytes == 0)
    return true;
  cudaError_t e = cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice,
                                  impl_->stream);
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(impl_->stream);
  return check_cuda(e, "upload");
}

const attnc_step_args *Context::begin_step(const attnc_step_args *h) {
  Impl &m = *impl_;
  if (m.time_replays) {
    m.times.step_begin = Impl::ReplayTimes::Clock::now();
    m.times.building = -1;
  }
  // A step that was begun and never submitted (its ops failed) may still
  // have work queued that reads its slot's staging and its eager plans.
  if (m.begun || !m.plans.empty()) {
    cudaStreamSynchronize(m.stream);
    Impl::destroy_plans(m.plans);
  }
  m.reset_step_records();
  m.graph = nullptr;
  m.mode = Impl::Mode::Eager;
  m.in_step = true;
  m.begun = false;
  m.host = attnc_step_args{};
  m.device = attnc_step_args{};
  // The step takes the slot no queued step holds.
  if (m.num_queued == 2) {
    m.record("begin_step", "two steps are submitted and not finished; finish one first");
    return nullptr;
  }
  m.slot = m.num_queued == 1 ? m.queue[0] ^ 1 : 0;
  Impl::Slot &sl = m.slots[m.slot];
  if (!h) {
    m.record("begin_step", "no step arguments");
    return nullptr;
  }
  m.host = *h;
  const int32_t T = h->num_tokens, S = h->num_seqs, N = h->num_logits, bps = h->blocks_per_seq;
  const int32_t G = m.num_groups;
  auto bad = [&](const std::string &message) -> const attnc_step_args * {
    m.record("begin_step", message.c_str());
    return nullptr;
  };
  if (T < 0 || S < 0 || N < 0 || bps < 0)
    return bad(format("negative count (tokens %d, sequences %d, logits %d, blocks_per_seq %d)", T, S, N,
               bps));
  if ((T > 0 && (!h->token_ids || !h->positions)) || !h->query_start ||
      (S > 0 && !h->context_len) || (N > 0 && (!h->logit_tokens || (!h->logits && !h->argmax))) ||
      (S > 0 && bps > 0 && !h->block_tables))
    return bad(format("missing array"));
  if (S > 0 && bps > 0)
    for (int32_t g = 0; g < G; ++g)
      if (!h->block_tables[g])
        return bad(format("missing block table of group %d", g));
  if (h->query_start[0] != 0 || h->query_start[S] != T)
    return bad(format("query_start must run from 0 to num_tokens (%d)", T));
  for (int32_t s = 0; s < S; ++s) {
    const int32_t q0 = h->query_start[s], q1 = h->query_start[s + 1];
    if (q1 < q0)
      return bad(format("query_start decreases at sequence %d", s));
    for (int32_t t = q0; t < q1; ++t) {
      const int32_t pos = h->positions[t];
      if (pos < 0 || pos >= h->context_len[s])
        return bad(format("token %d: position %d outside [0, context_len %d)", t, pos,
                   h->context_len[s]));
      if (m.page_size > 0) {
        const int32_t block = pos / m.page_size;
        if (block >= bps)
          return bad(format("token %d: position %d needs block %d of %d", t, pos, block, bps));
        for (int32_t g = 0; g < G; ++g)
          if (h->block_tables[g][int64_t(s) * bps + block] < 0)
            return bad(format("token %d: position %d has no page in group %d", t, pos, g));
      }
    }
  }
  for (int32_t i = 0; i < N; ++i)
    if (h->logit_tokens[i] < 0 || h->logit_tokens[i] >= T)
      return bad(format("logit token %d (index %d) is outside the step's %d tokens", h->logit_tokens[i],
                 i, T));
  // Tokens from the greedy tokens of the step submitted before (still on the
  // device: the copy below and the patch run behind that step's work).
  const int32_t *source = h->token_source;
  for (int32_t t = 0; source && t < T; ++t)
    if (source[t] < -1 || (source[t] >= 0 && source[t] >= m.last_argmax_rows))
      return bad(format("token_source[%d] = %d, but the step before has %d greedy tokens", t,
                        source[t], m.last_argmax_rows));

  // One staging area, sections in ABI order.
  // A decode step may run as its shape's graph. Its block tables go up with
  // a power-of-two stride (-1 padded), so that a growing context changes the
  // shape (the stride the kernels were captured with) only at powers of two.
  bool decode = m.graphs_enabled && T > 0 && T == S && bps > 0;
  for (int32_t s = 0; decode && s < S; ++s)
    decode = h->query_start[s + 1] - h->query_start[s] == 1;
  int32_t stride = bps;
  if (decode)
    for (stride = 1; stride < bps; stride *= 2) {
    }
  const size_t table = size_t(S) * size_t(stride);
  const size_t o_ids = 0, o_pos = o_ids + round4(T), o_qs = o_pos + round4(T),
               o_ctx = o_qs + round4(size_t(S) + 1), o_tab = o_ctx + round4(S),
               o_log = o_tab + round4(table) * size_t(G), o_src = o_log + round4(N),
               total = o_src + (source ? round4(T) : 0);
  if (total > m.meta_capacity) {
    cudaStreamSynchronize(m.stream); // a queued step may still read the old buffer
    m.drop_graph_execs();             // they read the old buffer
    cudaFree(m.device_meta);
    m.device_meta = nullptr;
    m.meta_capacity = 0;
    const size_t cap = std::max<size_t>(total + total / 2, 4096);
    if (!check_cuda(cudaMalloc(&m.device_meta, cap * 4), "begin_step"))
      return nullptr;
    m.meta_capacity = cap;
  }
  if (total > sl.staging_capacity) { // the slot's own step has finished
    cudaFreeHost(sl.staging);
    sl.staging = nullptr;
    sl.staging_capacity = 0;
    const size_t cap = std::max<size_t>(total + total / 2, 4096);
    if (!check_cuda(cudaHostAlloc(reinterpret_cast<void **>(&sl.staging), cap * 4,
                                  cudaHostAllocDefault),
                    "begin_step"))
      return nullptr;
    sl.staging_capacity = cap;
  }
  int32_t *st = sl.staging;
  auto put = [&](size_t off, const int32_t *src, size_t n) {
    if (n)
      std::memcpy(st + off, src, n * 4);
  };
  put(o_ids, h->token_ids, size_t(T));
  put(o_pos, h->positions, size_t(T));
  put(o_qs, h->query_start, size_t(S) + 1);
  put(o_ctx, h->context_len, size_t(S));
  for (int32_t g = 0; g < G; ++g)
    for (int32_t s = 0; s < S && bps > 0; ++s) {
      int32_t *row = st + o_tab + round4(table) * size_t(g) + size_t(s) * size_t(stride);
      std::memcpy(row, h->block_tables[g] + size_t(s) * size_t(bps), size_t(bps) * 4);
      std::fill(row + bps, row + stride, -1);
    }
  put(o_log, h->logit_tokens, size_t(N));
  if (source)
    put(o_src, source, size_t(T));
  if (!check_cuda(cudaMemcpyAsync(m.device_meta, st, total * 4, cudaMemcpyHostToDevice, m.stream),
                  "begin_step"))
    return nullptr;
  if (source && !check(attnc_cuda_tokens_from_rows(m.device_meta + o_ids, m.device_meta + o_src,
                                                   m.last_argmax, T, m.stream, scratch(),
                                                   scratch_len()),
                       "begin_step"))
    return nullptr;
  m.host_positions = st + o_pos;
  m.host_query_start = st + o_qs;
  m.host_context_len = st + o_ctx;

  attnc_step_args &d = m.device;
  d = *h;
  d.token_source = nullptr; // applied to token_ids above
  d.blocks_per_seq = stride;
  int32_t *dm = m.device_meta;
  d.token_ids = dm + o_ids;
  d.positions = dm + o_pos;
  d.query_start = dm + o_qs;
  d.context_len = dm + o_ctx;
  for (int32_t g = 0; g < G; ++g)
    m.device_tables[size_t(g)] = dm + o_tab + round4(table) * size_t(g);
  d.block_tables = m.device_tables.data();
  d.logit_tokens = dm + o_log;

  // A decode step: its shape's graph (plans refreshed here, ahead of it).
  Impl::Graph *g = decode ? m.graph_for(d) : nullptr;
  if (g && !g->failed) {
    m.graph = g;
    m.mode = g->exec ? Impl::Mode::Replay : g->steps > 0 ? Impl::Mode::Capture : Impl::Mode::Eager;
    ++g->steps;
    if (m.mode != Impl::Mode::Eager)
      for (Impl::PlanEntry &p : g->plans)
        if (!check(attnc_cuda_attention_plan_update(p.plan, S, m.host_query_start,
                                                    m.host_context_len, m.host_positions,
                                                    m.stream, scratch(), scratch_len()),
                   "paged_attention"))
          return nullptr;
  }
  m.begun = true;
  return &d;
}

int Context::run_step_impl(int (*ops)(void *), void *closure) {
  Impl &m = *impl_;
  Impl::Graph *g = m.graph;
  if (!g || m.mode == Impl::Mode::Eager)
    return ops(closure);
  if (m.mode == Impl::Mode::Replay) {
    Impl::ReplayTimes &t = m.times;
    bool timed = m.time_replays && t.before_launch(m.stream);
    if (!check_cuda(cudaGraphLaunch(g->exec, m.stream), "graph launch"))
      return 0; // finish_step reports it
    timed = timed && t.after_launch(m.stream);
    if (m.time_replays && !timed)
      t.building = -1;
    m.reports = g->reports;
    m.op = g->ops;
    for (const Impl::Graph::Region &r : g->pending)
      m.pending.push_back({r.argmax ? static_cast<void *>(m.host.argmax + r.at)
                                    : static_cast<void *>(m.host.logits + r.at),
                           r.offset, r.n});
    m.logits_used = g->logits_used;
    ++m.stats.replayed;
    return 0;
  }
  // Capture. Anything that cannot be captured (or fails) makes this shape
  // eager for good, and the step runs again eagerly.
  cudaGraph_t graph = nullptr;
  cudaError_t e = cudaStreamBeginCapture(m.stream, cudaStreamCaptureModeThreadLocal);
  int rc = 0;
  if (e == cudaSuccess) {
    rc = ops(closure);
    e = cudaStreamEndCapture(m.stream, &graph);
  }
  bool ok = rc == 0 && e == cudaSuccess && !failed();
  std::vector<Impl::Graph::Region> pending;
  for (const Impl::Pending &p : m.pending) {
    // Regions at or after the step's logits (or argmax) pointer only: a
    // replay's step brings its own pointer.
    const bool argmax = m.host.argmax != nullptr;
    const void *base = argmax ? static_cast<const void *>(m.host.argmax)
                              : static_cast<const void *>(m.host.logits);
    const intptr_t bytes = reinterpret_cast<intptr_t>(p.dst) - reinterpret_cast<intptr_t>(base);
    ok = ok && base && bytes >= 0 && bytes % 4 == 0;
    pending.push_back({int64_t(bytes / 4), p.offset, p.n, argmax});
  }
  cudaGraphExec_t exec = nullptr;
  if (ok)
    ok = cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess;
  if (graph)
    cudaGraphDestroy(graph);
  if (ok)
    ok = cudaGraphLaunch(exec, m.stream) == cudaSuccess;
  if (!ok) {
    if (exec)
      cudaGraphExecDestroy(exec);
    cudaGetLastError();
    if (rc != 0)
      return rc;
    g->failed = true;
    ++m.stats.fell_back;
    m.reset_step_records();
    m.mode = Impl::Mode::Eager;
    return ops(closure); // on the fixed plans, updated in begin_step
  }
  g->exec = exec;
  g->reports = m.reports;
  g->ops = m.op;
  g->pending = std::move(pending);
  g->logits_used = m.logits_used;
  ++m.stats.captured;
  return 0;
}

int32_t *Context::report_slot(const char *message) {
  Impl &m = *impl_;
  if (failed())
    return nullptr;
  if (m.reports.count == kMaxReports) {
    fail("step", "too many reporting kernels in one step");
    return nullptr;
  }
  const int i = m.reports.count++;
  m.reports.message[i] = message;
  m.reports.op[i] = m.op++;
  return m.device_reports + 2 * i;
}

const attnc_cuda_attention_plan *
Context::attention_plan(const attnc_cuda_attention_config &c) {
  Impl &m = *impl_;
  if (!m.in_step) {
    fail("paged_attention", "called outside a step");
    return nullptr;
  }
  for (const Impl::PlanEntry &p : m.plans)
    if (std::memcmp(&p.config, &c, sizeof(c)) == 0)
      return p.plan;
  attnc_cuda_attention_plan *plan = nullptr;
  if (Impl::Graph *g = m.graph) { // fixed plans, kept with the shape's graph
    for (const Impl::PlanEntry &p : g->plans)
      if (std::memcmp(&p.config, &c, sizeof(c)) == 0)
        return p.plan;
    if (m.mode != Impl::Mode::Eager) { // cannot allocate while capturing
      fail("paged_attention", "a layer configuration the shape's first step did not have");
      return nullptr;
    }
    const attnc_step_args &h = m.host;
    if (attnc_cuda_attention_plan_create_fixed(&c, h.num_seqs, m.device.blocks_per_seq * m.page_size,
                                               &plan, scratch(), scratch_len()) ||
        (g->plans.push_back({c, plan}),
         attnc_cuda_attention_plan_update(plan, h.num_seqs, m.host_query_start,
                                          m.host_context_len, m.host_positions, m.stream,
                                          scratch(), scratch_len()))) {
      check(1, "paged_attention");
      return nullptr;
    }
    return plan;
  }
  if (attnc_cuda_attention_plan_create(&c, m.host.num_seqs, m.host_query_start,
                                       m.host_context_len, m.host_positions, &plan, scratch(),
                                       scratch_len())) {
    check(1, "paged_attention");
    return nullptr;
  }
  m.plans.push_back({c, plan});
  return plan;
}

float *Context::logits_buffer(void *host_dst, int64_t n) {
  Impl &m = *impl_;
  if (!host_dst) {
    fail("copy_logits", "no destination");
    return nullptr;
  }
  if (m.logits_used + n > m.logits_capacity) {
    // Regions already queued finish first; then the buffers can be replaced.
    if (!check_cuda(m.flush_logits(), "copy_logits"))
      return nullptr;
    if (n > m.logits_capacity) { // (the flush waited for every queued step)
      m.drop_graph_execs(); // they write the old buffer
      cudaFree(m.device_logits);
      m.device_logits = nullptr;
      m.logits_capacity = 0;
      if (!check_cuda(cudaMalloc(&m.device_logits, sizeof(float) * size_t(n)), "copy_logits"))
        return nullptr;
      m.logits_capacity = n;
    }
  }
  const int64_t offset = (m.logits_used + 3) / 4 * 4; // 16-byte aligned regions
  if (offset + n > m.logits_capacity) {
    if (!check_cuda(m.flush_logits(), "copy_logits"))
      return nullptr;
    return logits_buffer(host_dst, n);
  }
  m.pending.push_back({host_dst, offset, n});
  m.logits_used = offset + n;
  return m.device_logits + offset;
}

int Context::submit_step(char *error, size_t error_len) {
  Impl &m = *impl_;
  m.in_step = false;
  if (!m.begun) { // refused by begin_step: nothing of it is queued
    set_message(error, error_len, "%s", m.error.empty() ? "step: not begun" : m.error.c_str());
    return 1;
  }
  m.begun = false;
  Impl::Slot &sl = m.slots[m.slot];
  cudaError_t e = cudaSuccess;
  if (m.reports.count > 0)
    e = cudaMemcpyAsync(sl.host_reports, m.device_reports, sizeof(int32_t) * 2 * m.reports.count,
                        cudaMemcpyDeviceToHost, m.stream);
  if (e == cudaSuccess)
    e = m.queue_logits_copies(sl);
  if (e == cudaSuccess)
    e = cudaEventRecord(sl.done, m.stream);
  if (e != cudaSuccess) {
    cudaGetLastError();
    m.record("step", cudaGetErrorString(e));
  }
  // The step is queued: what finish_step needs moves to its slot.
  sl.queued = true;
  sl.error = std::move(m.error);
  sl.error_op = m.error_op;
  sl.reports = m.reports;
  sl.pending.swap(m.pending);
  sl.plans.swap(m.plans);
  sl.timing = m.time_replays ? m.times.building : -1;
  m.queue[m.num_queued++] = m.slot;
  // Its greedy tokens stay in the logits buffer until the next step writes
  // it (a region flushed early went with the buffer it was in).
  m.last_argmax = nullptr;
  m.last_argmax_rows = 0;
  for (const Impl::Pending &p : sl.pending)
    if (sl.error.empty() && m.host.argmax && p.dst == m.host.argmax) {
      m.last_argmax = reinterpret_cast<const int32_t *>(m.device_logits + p.offset);
      m.last_argmax_rows = int32_t(p.n);
    }
  m.reset_step_records();
  return 0;
}

int Context::finish_step(char *error, size_t error_len) {
  Impl &m = *impl_;
  if (m.num_queued == 0) {
    set_message(error, error_len, "step: finish without a submitted step");
    return 1;
  }
  Impl::Slot &sl = m.slots[m.queue[0]];
  m.queue[0] = m.queue[1];
  --m.num_queued;
  const auto wait_begin = Impl::ReplayTimes::Clock::now();
  cudaError_t e = cudaEventSynchronize(sl.done);
  if (m.time_replays)
    m.times.finish(sl.timing, e == cudaSuccess, wait_begin);
  sl.queued = false;
  Impl::destroy_plans(sl.plans); // its kernels are done
  std::vector<Impl::Pending> pending;
  pending.swap(sl.pending);
  if (e != cudaSuccess) { // a fault: the reports cannot be trusted
    cudaGetLastError();
    std::string what = std::string("step: ") + cudaGetErrorString(e);
    if (!sl.error.empty())
      what += " (after " + sl.error + ")";
    set_message(error, error_len, "%s", what.c_str());
    return 1;
  }
  for (const Impl::Pending &p : pending)
    std::memcpy(p.dst, sl.host_logits + p.offset, 4 * p.n);
  // The earliest of: a bad-id report, the recorded error.
  for (int i = 0; i < sl.reports.count; ++i) {
    if (sl.error_op >= 0 && sl.reports.op[i] > sl.error_op)
      break;
    if (sl.host_reports[2 * i] > 0) {
      set_message(error, error_len, "%s (%d bad, the last at index %d)", sl.reports.message[i],
                  sl.host_reports[2 * i], sl.host_reports[2 * i + 1]);
      return 1;
    }
  }
  if (!sl.error.empty()) {
    set_message(error, error_len, "%s", sl.error.c_str());
    return 1;
  }
  return 0;
}

int Context::end_step(char *error, size_t error_len) {
  return submit_step(error, error_len) ? 1 : finish_step(error, error_len);
}

} // namespace attnrt::cuda
