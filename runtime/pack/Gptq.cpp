#include "runtime/pack/Gptq.h"

#include "runtime/pack/Parallel.h"
#include "runtime/pack/QuantizerCore.h"
#include "runtime/pack/WeightPlan.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

namespace attnrt::pack {
namespace {

constexpr double kDampingFraction = 0.01;
constexpr int kDampingAttempts = 6;
// Rows quantized together: one sweep over the inverse-Hessian factor serves
// all of them (it is K^2 floats; a row alone would stream it from memory).
constexpr std::int64_t kRowTile = 16;
// Coordinate-descent sweeps over a row's 4-bit codes after GPTQ (refineCodes).
constexpr int kRefineSweeps = 4;

// Runs body(r0, r1) over [begin, end) cut into tiles of `tile` rows, the
// tiles dealt round-robin to up to one thread per core (a tile's rows are
// computed by one thread in a fixed order: the result does not depend on the
// thread count). Little work runs here.
template <typename Body>
void forEachTile(std::int64_t begin, std::int64_t end, std::int64_t tile, std::int64_t workPerRow,
                 const Body &body) {
  if (end <= begin)
    return;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::int64_t tiles = (end - begin + tile - 1) / tile;
  const std::int64_t threads = (end - begin) * workPerRow < (1 << 20)
                                   ? 1
                                   : std::min<std::int64_t>(std::int64_t(cores), tiles);
  detail::runShares(threads, [&](std::int64_t t) {
    for (std::int64_t i = t; i < tiles; i += threads)
      body(begin + i * tile, std::min(end, begin + (i + 1) * tile));
  });
}

// The factorizations go by blocks of kBlock columns and tiles of kTile rows
// (column tiles for the inverse): a row of the factor is read once per tile
// it updates, from cache, where the unblocked loops streamed whole prefixes
// of rows from memory for every element. K = 5632 on 2 cores: ~50 s -> 13 s,
// now at the double-precision SSE2 peak of the portable build.
constexpr std::int64_t kBlock = 64, kTile = 16;

double dot(const double *a, const double *b, std::int64_t n) {
  double s = 0;
  for (std::int64_t k = 0; k < n; ++k)
    s += a[k] * b[k];
  return s;
}

// In-place lower Cholesky factor of the row-major SPD matrix a [n, n]
// (right-looking by column blocks; the upper triangle is left as it was).
// False if a pivot is not positive.
bool choleskyLower(std::vector<double> &matrix, std::int64_t n) {
  double *a = matrix.data();
  for (std::int64_t k0 = 0; k0 < n; k0 += kBlock) {
    const std::int64_t k1 = std::min(k0 + kBlock, n), width = k1 - k0;
    // The diagonal block (every earlier block already applied to it).
    for (std::int64_t j = k0; j < k1; ++j) {
      double *rowJ = a + j * n;
      const double d = rowJ[j] - dot(rowJ + k0, rowJ + k0, j - k0);
      if (!(d > 0))
        return false;
      rowJ[j] = std::sqrt(d);
      for (std::int64_t i = j + 1; i < k1; ++i) {
        double *rowI = a + i * n;
        rowI[j] = (rowI[j] - dot(rowI + k0, rowJ + k0, j - k0)) / rowJ[j];
      }
    }
    // The panel below it.
    forEachTile(k1, n, kTile, width * width / 2, [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t i = r0; i < r1; ++i) {
        double *rowI = a + i * n;
        for (std::int64_t j = k0; j < k1; ++j) {
          const double *rowJ = a + j * n;
          rowI[j] = (rowI[j] - dot(rowI + k0, rowJ + k0, j - k0)) / rowJ[j];
        }
      }
    });
    // The trailing matrix's lower triangle, minus the panel times its
    // transpose; column j's panel row serves a whole tile of rows.
    forEachTile(k1, n, kTile, (n - k1) * width / 2, [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t j = k1; j < r1; ++j) {
        const double *panelJ = a + j * n + k0;
        for (std::int64_t i = std::max(r0, j); i < r1; ++i)
          a[i * n + j] -= dot(a + i * n + k0, panelJ, width);
      }
    });
  }
  return true;
}

// X = L^-1 for the lower triangular L (row-major): row i of L X = I gives
// X_i = (e_i - sum_{k<i} L_ik X_k) / L_ii, in k order. Rows go by blocks:
// the rows above a block are applied to it by column tiles in parallel (so
// the lower triangle of X is read once per block, not once per row), then the
// block's own rows in order.
std::vector<double> lowerInverse(const std::vector<double> &lower, std::int64_t n) {
  constexpr std::int64_t kColumns = 256;
  const double *l = lower.data();
  std::vector<double> inverse(static_cast<std::size_t>(n * n), 0.0);
  double *x = inverse.data();
  for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const std::int64_t i1 = std::min(i0 + kBlock, n);
    forEachTile(0, i0, kColumns, (i1 - i0) * i0 / 2, [&](std::int64_t j0, std::int64_t j1) {
      for (std::int64_t k = j0; k < i0; ++k) { // X_kj = 0 for j > k
        const double *xk = x + k * n;
        const std::int64_t hi = std::min(k + 1, j1);
        for (std::int64_t i = i0; i < i1; ++i) {
          const double c = l[i * n + k];
          double *xi = x + i * n;
          for (std::int64_t j = j0; j < hi; ++j)
            xi[j] -= c * xk[j];
        }
      }
    });
    for (std::int64_t i = i0; i < i1; ++i) {
      double *xi = x + i * n;
      for (std::int64_t k = i0; k < i; ++k) {
        const double c = l[i * n + k];
        const double *xk = x + k * n;
        for (std::int64_t j = 0; j <= k; ++j)
          xi[j] -= c * xk[j];
      }
      xi[i] += 1.0;
      for (std::int64_t j = 0; j <= i; ++j)
        xi[j] /= l[i * n + i];
    }
  }
  return inverse;
}

} // namespace

bool detail::inverseHessianFactor(const std::vector<double> &h, std::int64_t n,
                                  std::vector<float> &u) {
  std::vector<double> m(static_cast<std::size_t>(n * n));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      m[std::size_t(i * n + j)] = h[std::size_t((n - 1 - i) * n + (n - 1 - j))];
  if (!choleskyLower(m, n))
    return false;
  const std::vector<double> x = lowerInverse(m, n);
  u.assign(std::size_t(n * n), 0.0f);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = i; j < n; ++j)
      u[std::size_t(i * n + j)] = float(x[std::size_t((n - 1 - i) * n + (n - 1 - j))]);
  return true;
}

std::int64_t detail::refineCodes(const std::vector<double> &h, std::int64_t n,
                                const float *w, std::int64_t *codes, const GroupCode *groupCodes,
                                std::int64_t group, const std::vector<bool> &skip, int sweeps) {
  auto dequantized = [&](std::int64_t k, std::int64_t q) {
    const GroupCode &c = groupCodes[k / group];
    return double(q - c.zero) * double(c.scale);
  };
  std::vector<double> e(static_cast<std::size_t>(n)), he(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k)
    e[std::size_t(k)] = double(w[k]) - dequantized(k, codes[k]);
  for (std::int64_t i = 0; i < n; ++i) {
    const double *row = &h[std::size_t(i * n)];
    double sum = 0;
    for (std::int64_t j = 0; j < n; ++j)
      sum += row[j] * e[std::size_t(j)];
    he[std::size_t(i)] = sum;
  }
  std::int64_t moves = 0;
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    std::int64_t before = moves;
    for (std::int64_t k = 0; k < n; ++k) {
      if (skip[std::size_t(k)])
        continue;
      const GroupCode &c = groupCodes[k / group];
      const double hkk = h[std::size_t(k * n + k)];
      for (int d : {1, -1}) {
        if (codes[k] + d < c.qmin || codes[k] + d > c.qmax)
          continue;
        // e -= delta at k: e^T H e changes by delta (delta H_kk - 2 (H e)_k).
        const double delta = double(d) * double(c.scale);
        if (delta * (delta * hkk - 2.0 * he[std::size_t(k)]) >= -1e-12 * delta * delta * hkk)
          continue;
        codes[k] += d;
        e[std::size_t(k)] -= delta;
        const double *row = &h[std::size_t(k * n)]; // H is symmetric: column k
        for (std::int64_t i = 0; i < n; ++i)
          he[std::size_t(i)] -= delta * row[i];
        ++moves;
        break;
      }
    }
    if (moves == before)
      break;
  }
  return moves;
}

Status gptqQuantizeWeight(const TensorView &weight, const std::string &weightDtype,
                          const QuantizeParams &params, const LinearInputStatistics &statistics,
                          QuantizedWeight &out) {
  if (!isCastableFloat(weightDtype))
    return Status::failure("quantize reads f32, f16 or bf16 weights, not " + weightDtype);
  const std::size_t inSize = weightDtype == "f32" ? 4 : 2;
  if (weight.elementSize != inSize || weight.shape.size() != 2 ||
      (!weight.data && weight.numElements() != 0))
    return Status::failure("GPTQ needs a 2-D " + weightDtype + " weight");
  QuantizeParams rtn = params;
  rtn.method = QuantizeMethod::RoundToNearest;
  std::string dtype;
  Tensor *parts[] = {&out.values, &out.scales, &out.zeros};
  for (QuantizedPart part : {QuantizedPart::Values, QuantizedPart::Scales, QuantizedPart::Zeros}) {
    Tensor &t = *parts[int(part)];
    t = Tensor{};
    if (part == QuantizedPart::Zeros && !params.asymmetric)
      continue;
    if (Status s = quantizedPartShape(weight.shape, rtn, part, t.shape, dtype); !s.ok())
      return s;
    t.elementSize = dtypeSize(dtype);
    t.bytes.assign(std::size_t(t.view().numElements()) * t.elementSize, 0);
  }
  const std::int64_t rows = weight.shape[0], cols = weight.shape[1];
  if (statistics.inFeatures != cols)
    return Status::failure("the calibration statistics are for " +
                           std::to_string(statistics.inFeatures) +
                           " input features, the weight has " + std::to_string(cols));
  if (statistics.xtx.size() != std::size_t(cols * cols))
    return Status::failure("the calibration statistics hold " +
                           std::to_string(statistics.xtx.size()) + " values, not " +
                           std::to_string(cols) + "^2");
  if (statistics.tokens <= 0)
    return Status::failure("the calibration statistics summed no tokens");
  if (rows == 0 || cols == 0)
    return Status::success();

  // H (any positive scale: the damping is relative), symmetrized.
  const std::int64_t n = cols;
  std::vector<double> h(static_cast<std::size_t>(n * n));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const double v = 0.5 * (double(statistics.xtx[std::size_t(i * n + j)]) +
                              double(statistics.xtx[std::size_t(j * n + i)]));
      if (!std::isfinite(v))
        return Status::failure("the calibration statistics hold a non-finite value at [" +
                               std::to_string(i) + ", " + std::to_string(j) + "]");
      h[std::size_t(i * n + j)] = v;
    }
  // Inputs no token reached get the live inputs' mean diagonal (their own
  // rows decoupled): a diagonal of 1 would set the damping by H's scale.
  std::vector<bool> dead(std::size_t(n), false);
  std::int64_t live = 0;
  double liveSum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = h[std::size_t(i * n + i)];
    if (d > 0) {
      liveSum += d;
      ++live;
    } else {
      dead[std::size_t(i)] = true;
    }
  }
  const double liveMean = live > 0 ? liveSum / double(live) : 1.0;
  for (std::int64_t i = 0; i < n; ++i)
    if (dead[std::size_t(i)]) {
      for (std::int64_t j = 0; j < n; ++j)
        h[std::size_t(i * n + j)] = h[std::size_t(j * n + i)] = 0;
      h[std::size_t(i * n + i)] = liveMean;
    }
  const std::int64_t group = params.groupSize > 0 ? params.groupSize : cols;
  const std::int64_t groups = cols / group;
  // The order the input dimensions are quantized in: with a code per output
  // channel (w8), by decreasing H_kk (the paper's act-order: the inputs carrying the
  // most energy are rounded first, while the most dimensions are left to
  // absorb their error); over the 13 trained fixtures it lowered the KL on
  // 49 of 65 fixture-seeds and the max logit error on 44 (BENCHMARKS.md).
  // Grouped codes keep the columns in order: a group is a contiguous run of
  // K in the kernels' layout (and where one group spans the row, act-order
  // measured no better: KL lower on 20 of 39 at w4g128).
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    order[std::size_t(i)] = i;
  if (params.groupSize == 0) {
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return h[std::size_t(a * n + a)] > h[std::size_t(b * n + b)];
    });
    std::vector<double> permuted(h.size());
    std::vector<bool> deadPermuted(dead.size());
    for (std::int64_t i = 0; i < n; ++i) {
      deadPermuted[std::size_t(i)] = dead[std::size_t(order[std::size_t(i)])];
      for (std::int64_t j = 0; j < n; ++j)
        permuted[std::size_t(i * n + j)] =
            h[std::size_t(order[std::size_t(i)] * n + order[std::size_t(j)])];
    }
    h.swap(permuted);
    dead.swap(deadPermuted);
  }
  std::vector<float> u;
  double damping = kDampingFraction * liveMean;
  bool factored = false;
  for (int attempt = 0; attempt < kDampingAttempts && !factored; ++attempt, damping *= 10) {
    std::vector<double> damped = h;
    for (std::int64_t i = 0; i < n; ++i)
      damped[std::size_t(i * n + i)] += damping;
    factored = detail::inverseHessianFactor(damped, n, u);
    if (factored)
      h.swap(damped); // from here on H is the one factored (the refinement's objective)
  }
  if (!factored)
    return Status::failure("the calibration statistics stay singular after damping");

  const auto *src = static_cast<const std::uint8_t *>(weight.data);
  auto *values = out.values.bytes.data();
  auto *scales = reinterpret_cast<float *>(out.scales.bytes.data());
  auto *zeros = params.asymmetric ? out.zeros.bytes.data() : nullptr;

  // Rows [r0, r1) of one tile; on a non-finite weight, its position in bad.
  auto quantizeTile = [&](std::int64_t r0, std::int64_t r1, std::int64_t &badRow,
                          std::int64_t &badCol) {
    const std::int64_t tile = r1 - r0;
    std::vector<float> w(static_cast<std::size_t>(tile * n));
    for (std::int64_t r = 0; r < tile; ++r)
      for (std::int64_t k = 0; k < n; ++k) {
        const float v = detail::loadFloat(
            src + std::size_t((r0 + r) * n + order[std::size_t(k)]) * inSize, weightDtype);
        if (!std::isfinite(v)) {
          badRow = r0 + r, badCol = order[std::size_t(k)];
          return;
        }
        w[std::size_t(r * n + k)] = v;
      }
    std::vector<detail::GroupCode> code(static_cast<std::size_t>(tile));
    std::vector<float> error(static_cast<std::size_t>(tile));
    // The tile's codes and group codes (in the quantization order), stored
    // once refined.
    std::vector<std::int64_t> codes(static_cast<std::size_t>(tile * n));
    std::vector<detail::GroupCode> groupCodes(static_cast<std::size_t>(tile * groups));
    for (std::int64_t k = 0; k < n; ++k) {
      if (k % group == 0) {
        const std::int64_t g = k / group;
        for (std::int64_t r = 0; r < tile; ++r) {
          code[std::size_t(r)] =
              detail::chooseGroupCode(params, &w[std::size_t(r * n + k)], group);
          groupCodes[std::size_t(r * groups + g)] = code[std::size_t(r)];
          const std::int64_t index = (r0 + r) * groups + g;
          scales[index] = code[std::size_t(r)].scale;
          if (zeros)
            zeros[index] = std::uint8_t(code[std::size_t(r)].zero);
        }
      }
      const float *uk = &u[std::size_t(k * n)];
      for (std::int64_t r = 0; r < tile; ++r) {
        const detail::GroupCode &c = code[std::size_t(r)];
        const float wk = w[std::size_t(r * n + k)];
        if (!std::isfinite(wk)) { // statistics so extreme the updates overflowed
          badRow = r0 + r, badCol = order[std::size_t(k)];
          return;
        }
        const std::int64_t q =
            detail::roundClamped(double(wk) / double(c.scale), c.zero, c.qmin, c.qmax);
        codes[std::size_t(r * n + k)] = q;
        const float dequantized = float(double(q - c.zero) * double(c.scale));
        error[std::size_t(r)] = dead[std::size_t(k)] ? 0.0f : (wk - dequantized) / uk[k];
      }
      for (std::int64_t r = 0; r < tile; ++r) {
        const float e = error[std::size_t(r)];
        if (e == 0.0f)
          continue;
        float *wr = &w[std::size_t(r * n)];
        for (std::int64_t j = k + 1; j < n; ++j)
          wr[j] -= e * uk[j];
      }
    }
    if (params.bits == 4) {
      std::vector<float> original(static_cast<std::size_t>(n));
      for (std::int64_t r = 0; r < tile; ++r) {
        for (std::int64_t k = 0; k < n; ++k)
          original[std::size_t(k)] = detail::loadFloat(
              src + std::size_t((r0 + r) * n + order[std::size_t(k)]) * inSize, weightDtype);
        detail::refineCodes(h, n, original.data(), &codes[std::size_t(r * n)],
                            &groupCodes[std::size_t(r * groups)], group, dead, kRefineSweeps);
      }
    }
    for (std::int64_t r = 0; r < tile; ++r)
      for (std::int64_t k = 0; k < n; ++k)
        detail::storeCode(params, values, (r0 + r) * n + order[std::size_t(k)],
                          codes[std::size_t(r * n + k)]);
  };

  const std::int64_t tiles = (rows + kRowTile - 1) / kRowTile;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::int64_t threads = std::min<std::int64_t>(std::int64_t(cores), tiles);
  std::vector<std::int64_t> badRow(std::size_t(threads), -1), badCol(std::size_t(threads), -1);
  std::atomic<std::int64_t> next{0}; // tiles taken in turn: rows cost alike
  detail::runShares(threads, [&](std::int64_t t) {
    for (std::int64_t i = next++; i < tiles; i = next++)
      if (badRow[std::size_t(t)] < 0)
        quantizeTile(i * kRowTile, std::min(rows, (i + 1) * kRowTile), badRow[std::size_t(t)],
                     badCol[std::size_t(t)]);
  });
  return detail::nonFiniteWeight(badRow, badCol);
}

} // namespace attnrt::pack
