// A CUPTI activity tracer for any CUDA process (attnc_bench, attnc-run, a
// test): the CUDA driver loads it through CUDA_INJECTION64_PATH and calls
// InitializeInjection; it records every kernel (graph-launched ones too, with
// their graph) and every memcpy with the GPU's own start / end timestamps,
// and writes them as CSV when the process exits:
//
//   kind,start_ns,end_ns,stream,graph,graph_node,detail
//   K,...,kernel name (demangled, templates and arguments kept)
//   M,...,copy kind (1 HtoD, 2 DtoH, 8 DtoD, ...) and bytes ("2:131072")
//
// Unlike ncu, which serializes kernels and replays them, this shows a step as
// it runs: overlaps under programmatic dependent launch (a kernel starting
// before the one it depends on ends), the gaps between kernels, and the idle
// time between replayed graphs. bench/kernel_timeline.py reads the file.
//
// Build (on a machine with the CUDA toolkit):
//   c++ -O2 -std=c++17 -shared -fPIC -I/usr/local/cuda/include bench/kernel_trace.cpp
//       -L/usr/local/cuda/lib64 -lcupti -o libkernel_trace.so    (one line)
// Use:
//   CUDA_INJECTION64_PATH=$PWD/libkernel_trace.so ATTNC_TRACE_OUT=trace.csv COMMAND...
// ATTNC_TRACE_MAX (default 2,000,000) bounds the records written.
#include <cupti.h>

#include <cxxabi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace {

std::mutex lock;
std::FILE *out = nullptr;
long long written = 0, limit = 2000000, dropped = 0;

std::string demangle(const char *name) {
  if (!name)
    return "?";
  int status = 0;
  char *plain = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string s = status == 0 && plain ? plain : name;
  std::free(plain);
  for (char &c : s)
    if (c == ',' || c == '\n')
      c = ';'; // one CSV field
  return s;
}

void CUPTIAPI bufferRequested(uint8_t **buffer, size_t *size, size_t *maxRecords) {
  *size = 16u << 20;
  *buffer = static_cast<uint8_t *>(std::aligned_alloc(8, *size));
  *maxRecords = 0; // as many as fit
}

void CUPTIAPI bufferCompleted(CUcontext, uint32_t, uint8_t *buffer, size_t, size_t valid) {
  std::lock_guard<std::mutex> hold(lock);
  CUpti_Activity *record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (!out || written >= limit) {
      ++dropped;
      continue;
    }
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL ||
        record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
      const auto *k = reinterpret_cast<const CUpti_ActivityKernel10 *>(record);
      std::fprintf(out, "K,%llu,%llu,%u,%u,%llu,%s\n", (unsigned long long)k->start,
                   (unsigned long long)k->end, k->streamId, k->graphId,
                   (unsigned long long)k->graphNodeId, demangle(k->name).c_str());
      ++written;
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
      const auto *m = reinterpret_cast<const CUpti_ActivityMemcpy6 *>(record);
      std::fprintf(out, "M,%llu,%llu,%u,%u,%llu,%u:%llu\n", (unsigned long long)m->start,
                   (unsigned long long)m->end, m->streamId, m->graphId,
                   (unsigned long long)m->graphNodeId, unsigned(m->copyKind),
                   (unsigned long long)m->bytes);
      ++written;
    }
  }
  std::free(buffer);
}

void finish() {
  cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  std::lock_guard<std::mutex> hold(lock);
  if (out) {
    std::fclose(out);
    out = nullptr;
  }
  if (dropped)
    std::fprintf(stderr, "kernel_trace: %lld records beyond ATTNC_TRACE_MAX dropped\n", dropped);
}

bool check(CUptiResult r, const char *what) {
  if (r == CUPTI_SUCCESS)
    return true;
  const char *message = nullptr;
  cuptiGetResultString(r, &message);
  std::fprintf(stderr, "kernel_trace: %s: %s\n", what, message ? message : "?");
  return false;
}

} // namespace

extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
  const char *path = std::getenv("ATTNC_TRACE_OUT");
  if (const char *max = std::getenv("ATTNC_TRACE_MAX")) {
    char *end = nullptr;
    const long long n = std::strtoll(max, &end, 10);
    if (end == max || *end != '\0' || n <= 0) {
      std::fprintf(stderr, "kernel_trace: ATTNC_TRACE_MAX must be a positive count, got '%s'\n",
                   max);
      return 0;
    }
    limit = n;
  }
  out = std::fopen(path ? path : "kernel_trace.csv", "w");
  if (!out) {
    std::fprintf(stderr, "kernel_trace: cannot write %s\n", path ? path : "kernel_trace.csv");
    return 0;
  }
  std::fprintf(out, "kind,start_ns,end_ns,stream,graph,graph_node,detail\n");
  if (!check(cuptiActivityRegisterCallbacks(bufferRequested, bufferCompleted), "callbacks") ||
      !check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "kernel records") ||
      !check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY), "memcpy records"))
    return 0;
  // Buffers also go out every 200 ms: records must not wait for the exit
  // alone (the CUDA runtime may tear its contexts down before `finish`).
  cuptiActivityFlushPeriod(200);
  std::atexit(finish);
  return 1;
}
