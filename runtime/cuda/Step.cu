// attnrt::cuda::Context (Step.h): the stream, cuBLASLt context, step
// metadata upload, error recording, device reports, attention plans and
// logits staging of one model instance.
#include "Step.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

namespace attnrt::cuda {

namespace {

constexpr int kMaxReports = 64; // reporting kernels per step
constexpr size_t kScratch = 512;
constexpr int kMaxGroups = 64; // device_tables entries: those past num_groups stay null

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

  // Step metadata: pinned staging and its device copy (same layout).
  int32_t *staging = nullptr, *device_meta = nullptr;
  size_t meta_capacity = 0; // int32 elements of both
  attnc_step_args host{}, device{};
  std::vector<const int32_t *> device_tables;
  const int32_t *host_query_start = nullptr, *host_context_len = nullptr,
                *host_positions = nullptr; // in staging
  bool in_step = false;

  // First error of the step (or of create-time alloc/upload), and when.
  std::string error;
  int64_t error_op = -1;
  int64_t op = 0; // reporting kernels and errors numbered in program order
  char scratch[kScratch] = {};

  // Reports: device pairs, their pinned copies, messages, op numbers.
  int32_t *device_reports = nullptr, *host_reports = nullptr;
  int num_reports = 0;
  const char *report_message[kMaxReports] = {};
  int64_t report_op[kMaxReports] = {};

  struct PlanEntry {
    attnc_cuda_attention_config config;
    attnc_cuda_attention_plan *plan;
  };
  std::vector<PlanEntry> plans; // of the current step

  // Logits: device f32 buffer, pinned staging, regions waiting for end_step.
  float *device_logits = nullptr, *host_logits = nullptr;
  int64_t logits_capacity = 0, logits_used = 0;
  struct Pending {
    float *dst;
    int64_t offset, n;
  };
  std::vector<Pending> pending;

  bool record(const char *op_name, const char *message) {
    if (error.empty()) {
      error = std::string(op_name) + ": " + message;
      error_op = op;
    }
    ++op;
    return false;
  }

  void destroy_plans() {
    for (PlanEntry &p : plans)
      attnc_cuda_attention_plan_destroy(p.plan);
    plans.clear();
  }

  // Waits for the copies of the pending regions and hands them to their
  // destinations. Needs the stream drained.
  cudaError_t flush_logits() {
    cudaError_t e = cudaSuccess;
    for (const Pending &p : pending) {
      e = cudaMemcpyAsync(host_logits + p.offset, device_logits + p.offset, sizeof(float) * p.n,
                          cudaMemcpyDeviceToHost, stream);
      if (e != cudaSuccess)
        break;
    }
    if (e == cudaSuccess)
      e = cudaStreamSynchronize(stream);
    if (e == cudaSuccess)
      for (const Pending &p : pending)
        std::memcpy(p.dst, host_logits + p.offset, sizeof(float) * p.n);
    pending.clear();
    logits_used = 0;
    return e;
  }

  ~Impl() {
    if (stream)
      cudaStreamSynchronize(stream);
    destroy_plans();
    for (void *p : allocations)
      cudaFree(p);
    cudaFreeHost(staging);
    cudaFree(device_meta);
    cudaFree(device_reports);
    cudaFreeHost(host_reports);
    cudaFree(device_logits);
    cudaFreeHost(host_logits);
    attnc_cuda_linear_destroy(linear);
    if (stream)
      cudaStreamDestroy(stream);
  }
};

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;

std::unique_ptr<Context> Context::create(char *error, size_t error_len, int32_t num_groups,
                                         int32_t page_size, size_t linear_workspace_bytes) {
  if (num_groups < 1 || num_groups > kMaxGroups || page_size < 0) {
    set_message(error, error_len, "cuda context: need 1 <= num_groups <= %d, page_size >= 0",
                kMaxGroups);
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->num_groups = num_groups;
  impl->page_size = page_size;
  // A blocking stream: the attention planner uploads plans with cudaMemcpy
  // on the legacy default stream, which this orders before our kernels.
  cudaError_t e = cudaStreamCreate(&impl->stream);
  if (e == cudaSuccess)
    e = cudaMalloc(&impl->device_reports, sizeof(int32_t) * 2 * kMaxReports);
  if (e == cudaSuccess)
    e = cudaHostAlloc(reinterpret_cast<void **>(&impl->host_reports),
                      sizeof(int32_t) * 2 * kMaxReports, cudaHostAllocDefault);
  if (e != cudaSuccess) {
    set_message(error, error_len, "cuda context: %s", cudaGetErrorString(e));
    return nullptr;
  }
  if (attnc_cuda_linear_create(linear_workspace_bytes, &impl->linear, error, error_len))
    return nullptr;
  impl->device_tables.assign(kMaxGroups, nullptr);
  return std::unique_ptr<Context>(new Context(std::move(impl)));
}

cudaStream_t Context::stream() const { return impl_->stream; }
int32_t Context::num_groups() const { return impl_->num_groups; }
int32_t Context::page_size() const { return impl_->page_size; }
const attnc_step_args &Context::host() const { return impl_->host; }
const attnc_step_args &Context::device() const { return impl_->device; }
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
  // The previous step's copies and plans may still be in use.
  cudaStreamSynchronize(m.stream);
  m.destroy_plans();
  m.pending.clear();
  m.logits_used = 0;
  m.error.clear();
  m.error_op = -1;
  m.op = 0;
  m.num_reports = 0;
  m.in_step = true;
  m.host = attnc_step_args{};
  m.device = attnc_step_args{};
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
      (S > 0 && !h->context_len) || (N > 0 && (!h->logit_tokens || !h->logits)) ||
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

  // One staging area, sections in ABI order.
  const size_t table = size_t(S) * size_t(bps);
  const size_t o_ids = 0, o_pos = o_ids + round4(T), o_qs = o_pos + round4(T),
               o_ctx = o_qs + round4(size_t(S) + 1), o_tab = o_ctx + round4(S),
               o_log = o_tab + round4(table) * size_t(G), total = o_log + round4(N);
  if (total > m.meta_capacity) {
    cudaFreeHost(m.staging);
    cudaFree(m.device_meta);
    m.staging = nullptr;
    m.device_meta = nullptr;
    m.meta_capacity = 0;
    const size_t cap = std::max<size_t>(total + total / 2, 4096);
    cudaError_t e = cudaHostAlloc(reinterpret_cast<void **>(&m.staging), cap * 4,
                                  cudaHostAllocDefault);
    if (e == cudaSuccess)
      e = cudaMalloc(&m.device_meta, cap * 4);
    if (!check_cuda(e, "begin_step"))
      return nullptr;
    m.meta_capacity = cap;
  }
  int32_t *st = m.staging;
  auto put = [&](size_t off, const int32_t *src, size_t n) {
    if (n)
      std::memcpy(st + off, src, n * 4);
  };
  put(o_ids, h->token_ids, size_t(T));
  put(o_pos, h->positions, size_t(T));
  put(o_qs, h->query_start, size_t(S) + 1);
  put(o_ctx, h->context_len, size_t(S));
  for (int32_t g = 0; g < G; ++g)
    put(o_tab + round4(table) * size_t(g), table ? h->block_tables[g] : nullptr, table);
  put(o_log, h->logit_tokens, size_t(N));
  if (!check_cuda(cudaMemcpyAsync(m.device_meta, st, total * 4, cudaMemcpyHostToDevice, m.stream),
                  "begin_step"))
    return nullptr;
  m.host_positions = st + o_pos;
  m.host_query_start = st + o_qs;
  m.host_context_len = st + o_ctx;

  attnc_step_args &d = m.device;
  d = *h;
  int32_t *dm = m.device_meta;
  d.token_ids = dm + o_ids;
  d.positions = dm + o_pos;
  d.query_start = dm + o_qs;
  d.context_len = dm + o_ctx;
  for (int32_t g = 0; g < G; ++g)
    m.device_tables[size_t(g)] = dm + o_tab + round4(table) * size_t(g);
  d.block_tables = m.device_tables.data();
  d.logit_tokens = dm + o_log;
  return &d;
}

int32_t *Context::report_slot(const char *message) {
  Impl &m = *impl_;
  if (failed())
    return nullptr;
  if (m.num_reports == kMaxReports) {
    fail("step", "too many reporting kernels in one step");
    return nullptr;
  }
  const int i = m.num_reports++;
  m.report_message[i] = message;
  m.report_op[i] = m.op++;
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
  if (attnc_cuda_attention_plan_create(&c, m.host.num_seqs, m.host_query_start,
                                       m.host_context_len, m.host_positions, &plan, scratch(),
                                       scratch_len())) {
    check(1, "paged_attention");
    return nullptr;
  }
  m.plans.push_back({c, plan});
  return plan;
}

float *Context::logits_buffer(float *host_dst, int64_t n) {
  Impl &m = *impl_;
  if (!host_dst) {
    fail("copy_logits", "no destination");
    return nullptr;
  }
  if (m.logits_used + n > m.logits_capacity) {
    // Regions already queued finish first; then the buffers can be replaced.
    if (!check_cuda(m.flush_logits(), "copy_logits"))
      return nullptr;
    if (n > m.logits_capacity) {
      cudaFree(m.device_logits);
      cudaFreeHost(m.host_logits);
      m.device_logits = m.host_logits = nullptr;
      m.logits_capacity = 0;
      cudaError_t e = cudaMalloc(&m.device_logits, sizeof(float) * size_t(n));
      if (e == cudaSuccess)
        e = cudaHostAlloc(reinterpret_cast<void **>(&m.host_logits), sizeof(float) * size_t(n),
                          cudaHostAllocDefault);
      if (!check_cuda(e, "copy_logits"))
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

int Context::end_step(char *error, size_t error_len) {
  Impl &m = *impl_;
  cudaError_t e = cudaSuccess;
  if (m.num_reports > 0)
    e = cudaMemcpyAsync(m.host_reports, m.device_reports, sizeof(int32_t) * 2 * m.num_reports,
                        cudaMemcpyDeviceToHost, m.stream);
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(m.stream);
  if (e == cudaSuccess && !m.pending.empty())
    e = m.flush_logits();
  m.in_step = false;
  if (e != cudaSuccess) { // a fault: the reports cannot be trusted
    cudaGetLastError();
    std::string what = std::string("step: ") + cudaGetErrorString(e);
    if (!m.error.empty())
      what += " (after " + m.error + ")";
    set_message(error, error_len, "%s", what.c_str());
    return 1;
  }
  // The earliest of: a bad-id report, the recorded error.
  for (int i = 0; i < m.num_reports; ++i) {
    if (m.error_op >= 0 && m.report_op[i] > m.error_op)
      break;
    if (m.host_reports[2 * i] > 0) {
      set_message(error, error_len, "%s (%d bad, the last at index %d)", m.report_message[i],
                  m.host_reports[2 * i], m.host_reports[2 * i + 1]);
      return 1;
    }
  }
  if (!m.error.empty()) {
    set_message(error, error_len, "%s", m.error.c_str());
    return 1;
  }
  return 0;
}

} // namespace attnrt::cuda
