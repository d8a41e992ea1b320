// What summing a split-K product costs at batch-1 decode: the price of fusing
// the down projection into the gate_up GEMV.
//
// Fused, each gate_up tile (8 intermediate rows of the 1.1B model's 5,632)
// would multiply its 8 act(gate) * up values by the matching 8 columns of
// down's weight and add a partial [2048] to the layer's output, so the down
// kernel, its launch boundary and its ramp go (~6 us a layer of a ~30 us
// 4-bit layer, BENCHMARKS.md). The partials must be summed across the grid;
// this measures that sum alone, with the fused kernel's grid (704 tiles over
// 264 blocks, two per SM on an H100), each partial a cheap hash of (tile, n):
//   red-tile-v4    every tile adds its partial: red.global.add.v4.f32
//   red-block-v4   each block first sums its tiles' partials in registers,
//                  then adds once (v4)
//   red-block-f32  the same with scalar red.global.add.f32
//   partials+sum   each block stores its partial (deterministic), a second
//                  kernel sums the 264 rows (launched with programmatic
//                  dependent launch, so its blocks wait, resident)
//   store-only     each block stores its partial, no sum (the floor)
//   cluster8-v4    blocks in clusters of 8 (thread-block clusters, sm_90):
//                  each block sums its tiles in registers, the cluster sums
//                  its 8 partials through distributed shared memory (block r
//                  owns outputs [256 r, 256 r + 256)), then one red.v4 per
//                  output and cluster: 8x fewer global reductions
// Every sum is checked against a double-precision sum on the host (relative
// error 1e-4: f32 sums of 704 terms in any order). Prints the median time of a launch
// (graphs of 50 launches, 9 samples) per variant.
//
//   nvcc -O3 -std=c++17 -arch=sm_90a -I. bench/split_k_reduce.cu -o split_k_reduce
//   ./split_k_reduce
#include "bench/CudaCheck.cuh"
#include "runtime/cuda/DependentLaunch.cuh"

#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace dependent_launch = attnrt::cuda::dependent_launch;

namespace {

constexpr int kN = 2048, kTiles = 704, kThreads = 256;

// A partial product element: any cheap function of (tile, n) in [-1, 1).
__host__ __device__ inline float partial(int tile, int n) {
  unsigned h = unsigned(tile) * 2654435761u ^ unsigned(n) * 2246822519u;
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  return float(h & 0xffffu) / 32768.f - 1.f;
}

__device__ inline void red_v4(float *p, float4 v) {
  asm volatile("red.global.add.v4.f32 [%0], {%1, %2, %3, %4};" ::"l"(p), "f"(v.x), "f"(v.y),
               "f"(v.z), "f"(v.w)
               : "memory");
}

__device__ inline float4 tile_part(int tile, int n0) {
  return make_float4(partial(tile, n0), partial(tile, n0 + 1), partial(tile, n0 + 2),
                     partial(tile, n0 + 3));
}

__host__ __device__ inline void add4(float4 &a, float4 v) {
  a.x += v.x, a.y += v.y, a.z += v.z, a.w += v.w;
}

enum Mode { kRedTileV4, kRedBlockV4, kRedBlockF32, kPartials, kStoreOnly, kCluster8V4 };

template <int M> __global__ void __launch_bounds__(kThreads) accumulate(float *y, float *rows) {
  dependent_launch::allow_dependents();
  dependent_launch::wait_for_producers();
  float4 acc[2] = {make_float4(0, 0, 0, 0), make_float4(0, 0, 0, 0)};
  for (int tile = blockIdx.x; tile < kTiles; tile += gridDim.x) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int n0 = 4 * (threadIdx.x + kThreads * h);
      const float4 v = tile_part(tile, n0);
      if constexpr (M == kRedTileV4) {
        red_v4(y + n0, v);
      } else {
        add4(acc[h], v);
      }
    }
  }
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int n0 = 4 * (threadIdx.x + kThreads * h);
    if constexpr (M == kRedBlockV4) {
      red_v4(y + n0, acc[h]);
    } else if constexpr (M == kRedBlockF32) {
      atomicAdd(y + n0, acc[h].x);
      atomicAdd(y + n0 + 1, acc[h].y);
      atomicAdd(y + n0 + 2, acc[h].z);
      atomicAdd(y + n0 + 3, acc[h].w);
    } else if constexpr (M == kPartials || M == kStoreOnly) {
      *reinterpret_cast<float4 *>(rows + int64_t(blockIdx.x) * kN + n0) = acc[h];
    }
  }
}

// Partials summed inside clusters of kCluster blocks, then one red.v4 per
// output and cluster. The grid is a whole number of clusters.
constexpr int kCluster = 8;
__global__ void __launch_bounds__(kThreads) accumulate_cluster(float *y) {
  namespace cg = cooperative_groups;
  dependent_launch::allow_dependents();
  dependent_launch::wait_for_producers();
  __shared__ float4 mine[2 * kThreads]; // this block's partial, [kN / 4]
  float4 acc[2] = {make_float4(0, 0, 0, 0), make_float4(0, 0, 0, 0)};
  for (int tile = blockIdx.x; tile < kTiles; tile += gridDim.x)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const float4 v = tile_part(tile, 4 * (threadIdx.x + kThreads * h));
      add4(acc[h], v);
    }
#pragma unroll
  for (int h = 0; h < 2; ++h)
    mine[threadIdx.x + kThreads * h] = acc[h];
  cg::cluster_group cluster = cg::this_cluster();
  cluster.sync(); // every block's partial is in its shared memory
  // Block r sums float4s [r * kSlice, (r + 1) * kSlice) over the cluster.
  constexpr int kSlice = 2 * kThreads / kCluster; // float4s a block owns
  const int r = int(cluster.block_rank());
  if (threadIdx.x < kSlice) {
    const int i = r * kSlice + int(threadIdx.x);
    float4 sum = make_float4(0, 0, 0, 0);
    for (int b = 0; b < kCluster; ++b) {
      const float4 v = cluster.map_shared_rank(mine, b)[i];
      add4(sum, v);
    }
    red_v4(y + 4 * i, sum);
  }
  cluster.sync(); // peers may still read this block's shared memory
}

// y[n] = sum of the blocks' rows; 16 outputs a block, the rows over its threads.
__global__ void __launch_bounds__(kThreads) sum_rows(const float *rows, int num_rows, float *y) {
  dependent_launch::allow_dependents();
  dependent_launch::wait_for_producers();
  __shared__ float4 part[kThreads][4];
  const int n0 = blockIdx.x * 16;
  float4 a[4] = {};
  for (int r = threadIdx.x; r < num_rows; r += kThreads)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float4 v = __ldcg(reinterpret_cast<const float4 *>(rows + int64_t(r) * kN + n0) + i);
      add4(a[i], v);
    }
#pragma unroll
  for (int i = 0; i < 4; ++i)
    part[threadIdx.x][i] = a[i];
  __syncthreads();
  if (threadIdx.x < 16) { // output n0 + t: component t % 4 of float4 t / 4
    float s = 0.f;
    for (int r = 0; r < kThreads; ++r) {
      const float4 v = part[r][threadIdx.x / 4];
      s += (&v.x)[threadIdx.x % 4];
    }
    y[n0 + threadIdx.x] = s;
  }
}

struct Variant {
  const char *name;
  int mode;
};

} // namespace

int main() {
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  const int blocks = 2 * sms;
  std::printf("%s, %d SMs; %d tiles over %d blocks, %d outputs\n", prop.name, sms, kTiles, blocks,
              kN);

  std::vector<double> want(kN, 0.0);
  for (int t = 0; t < kTiles; ++t)
    for (int n = 0; n < kN; ++n)
      want[n] += partial(t, n);

  float *y = nullptr, *rows = nullptr;
  CHECK(cudaMalloc(&y, kN * sizeof(float)));
  CHECK(cudaMalloc(&rows, size_t(blocks) * kN * sizeof(float)));
  cudaStream_t st;
  CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));

  const Variant variants[] = {{"red-tile-v4", kRedTileV4},
                              {"red-block-v4", kRedBlockV4},
                              {"red-block-f32", kRedBlockF32},
                              {"partials+sum", kPartials},
                              {"store-only", kStoreOnly},
                              {"cluster8-v4", kCluster8V4}};
  static_assert(2 * kThreads % kCluster == 0 && 2 * kThreads / kCluster <= kThreads,
                "a cluster's blocks split the outputs evenly");
  if (blocks % kCluster != 0) {
    std::printf("%d blocks are not whole clusters of %d\n", blocks, kCluster);
    return 1;
  }
  // One launch of a variant (zeroing y first where it accumulates).
  auto accumulates = [](int mode) {
    return mode == kRedTileV4 || mode == kRedBlockV4 || mode == kRedBlockF32 ||
           mode == kCluster8V4;
  };
  auto launch = [&](int mode) {
    if (accumulates(mode))
      CHECK(cudaMemsetAsync(y, 0, kN * sizeof(float), st));
    switch (mode) {
    case kCluster8V4: {
      cudaLaunchConfig_t config{};
      config.gridDim = dim3(blocks);
      config.blockDim = dim3(kThreads);
      config.stream = st;
      cudaLaunchAttribute attribute[2];
      attribute[0].id = cudaLaunchAttributeClusterDimension;
      attribute[0].val.clusterDim.x = kCluster;
      attribute[0].val.clusterDim.y = 1;
      attribute[0].val.clusterDim.z = 1;
      attribute[1].id = cudaLaunchAttributeProgrammaticStreamSerialization;
      attribute[1].val.programmaticStreamSerializationAllowed = 1;
      config.attrs = attribute;
      config.numAttrs = dependent_launch::enabled() ? 2 : 1;
      CHECK(cudaLaunchKernelEx(&config, accumulate_cluster, y));
      break;
    }
    case kRedTileV4:
      dependent_launch::launch_early(accumulate<kRedTileV4>, dim3(blocks), dim3(kThreads), 0, st,
                                     y, rows);
      break;
    case kRedBlockV4:
      dependent_launch::launch_early(accumulate<kRedBlockV4>, dim3(blocks), dim3(kThreads), 0, st,
                                     y, rows);
      break;
    case kRedBlockF32:
      dependent_launch::launch_early(accumulate<kRedBlockF32>, dim3(blocks), dim3(kThreads), 0,
                                     st, y, rows);
      break;
    case kPartials:
      dependent_launch::launch_early(accumulate<kPartials>, dim3(blocks), dim3(kThreads), 0, st, y,
                                     rows);
      dependent_launch::launch_early(sum_rows, dim3(kN / 16), dim3(kThreads), 0, st,
                                     static_cast<const float *>(rows), blocks, y);
      break;
    default:
      dependent_launch::launch_early(accumulate<kStoreOnly>, dim3(blocks), dim3(kThreads), 0, st,
                                     y, rows);
    }
    CHECK(cudaGetLastError());
  };

  // The memset alone, in the same graphs, is subtracted from the accumulating variants.
  auto time_graph = [&](auto &&body) {
    constexpr int kLaunches = 50, kSamples = 9;
    cudaGraph_t g;
    cudaGraphExec_t ge;
    CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeGlobal));
    for (int i = 0; i < kLaunches; ++i)
      body();
    CHECK(cudaStreamEndCapture(st, &g));
    CHECK(cudaGraphInstantiate(&ge, g, 0));
    CHECK(cudaGraphLaunch(ge, st));
    CHECK(cudaStreamSynchronize(st));
    cudaEvent_t a, b;
    CHECK(cudaEventCreate(&a));
    CHECK(cudaEventCreate(&b));
    std::vector<float> us;
    for (int s = 0; s < kSamples; ++s) {
      CHECK(cudaEventRecord(a, st));
      CHECK(cudaGraphLaunch(ge, st));
      CHECK(cudaEventRecord(b, st));
      CHECK(cudaEventSynchronize(b));
      float ms = 0.f;
      CHECK(cudaEventElapsedTime(&ms, a, b));
      us.push_back(1000.f * ms / kLaunches);
    }
    CHECK(cudaGraphExecDestroy(ge));
    CHECK(cudaGraphDestroy(g));
    CHECK(cudaEventDestroy(a));
    CHECK(cudaEventDestroy(b));
    std::sort(us.begin(), us.end());
    return us[us.size() / 2];
  };
  const float memset_us =
      time_graph([&] { CHECK(cudaMemsetAsync(y, 0, kN * sizeof(float), st)); });
  std::printf("memset of y: %.2f us a launch (subtracted below where a variant zeroes y)\n",
              memset_us);

  int failures = 0;
  for (const Variant &v : variants) {
    launch(v.mode);
    CHECK(cudaStreamSynchronize(st));
    double worst = 0.0;
    if (v.mode != kStoreOnly) {
      std::vector<float> got(kN);
      CHECK(cudaMemcpy(got.data(), y, kN * sizeof(float), cudaMemcpyDeviceToHost));
      for (int n = 0; n < kN; ++n)
        worst = std::max(worst, std::abs(got[n] - want[n]) / std::max(1.0, std::abs(want[n])));
      if (!(worst <= 1e-4)) {
        std::printf("%-14s FAILED: relative error %.3g\n", v.name, worst);
        ++failures;
        continue;
      }
    }
    const float us = time_graph([&] { launch(v.mode); }) - (accumulates(v.mode) ? memset_us : 0.f);
    std::printf("%-14s %6.2f us a launch   (max relative error %.1e)\n", v.name, us, worst);
  }
  CHECK(cudaFree(y));
  CHECK(cudaFree(rows));
  return failures ? 1 : 0;
}
