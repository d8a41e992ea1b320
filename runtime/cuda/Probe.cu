// The probe buffer of measurement builds (Probe.cuh); empty otherwise.
#include "Probe.cuh"

#if ATTNC_CUDA_PROBE
#include <cstdio>
#include <cstdlib>

namespace attnrt::cuda::probe {
namespace {
Buffer *g_host_view = nullptr; // the device buffer's address

// At exit: the records written, as raw Record structs, to $ATTNC_PROBE_OUT.
void dump() {
  const char *path = std::getenv("ATTNC_PROBE_OUT");
  if (!path || !g_host_view || cudaDeviceSynchronize() != cudaSuccess)
    return;
  unsigned long long count = 0;
  if (cudaMemcpy(&count, &g_host_view->count, sizeof count, cudaMemcpyDeviceToHost) != cudaSuccess)
    return;
  const unsigned long long n = count < kCapacity ? count : kCapacity;
  Record *host = static_cast<Record *>(std::malloc(n * sizeof(Record) + 1));
  if (!host || cudaMemcpy(host, g_host_view->records, n * sizeof(Record),
                          cudaMemcpyDeviceToHost) != cudaSuccess)
    return;
  FILE *f = std::fopen(path, "wb");
  const bool ok = f && std::fwrite(host, sizeof(Record), n, f) == n;
  if (f)
    std::fclose(f);
  if (ok)
    std::fprintf(stderr, "attnc probe: %llu records to %s (%llu written)\n", n, path, count);
  else
    std::fprintf(stderr, "attnc probe: cannot write ATTNC_PROBE_OUT=%s\n", path);
  std::free(host);
}
} // namespace

Buffer *shared_buffer() {
  static Buffer *buffer = [] {
    Buffer *b = nullptr;
    if (!std::getenv("ATTNC_PROBE_OUT") || cudaMalloc(&b, sizeof(Buffer)) != cudaSuccess ||
        cudaMemset(b, 0, sizeof(unsigned long long)) != cudaSuccess)
      return static_cast<Buffer *>(nullptr);
    g_host_view = b;
    std::atexit(dump); // after the CUDA runtime's own exit handler was registered: runs first
    return b;
  }();
  return buffer;
}

} // namespace attnrt::cuda::probe
#endif
