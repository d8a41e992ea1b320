#include "runtime/Sampler.h"

#include "runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

namespace attnrt {

void validateSamplingParams(const SamplingParams &params) {
  if (!std::isfinite(params.temperature) || params.temperature < 0.0f)
    throw Error(ErrorCode::InvalidArgument,
                "temperature must be a finite number >= 0, got " +
                    std::to_string(params.temperature));
  if (params.topK < 0)
    throw Error(ErrorCode::InvalidArgument,
                "top_k must be >= 0 (0 = off), got " + std::to_string(params.topK));
  if (!(params.topP > 0.0f && params.topP <= 1.0f))
    throw Error(ErrorCode::InvalidArgument,
                "top_p must be in (0, 1], got " + std::to_string(params.topP));
}

namespace {
std::uint64_t splitmix64(std::uint64_t &x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// A row's largest value and where it first occurs, and whether the row holds
// a NaN or +inf and any finite value: a pass for the maximum (four vectors of
// four lanes, GCC / Clang vector extensions: SSE2 on any x86-64, NEON on ARM;
// `v > m ? v : m` is one max instruction, NaN lanes noted on the side), then
// a search for its first occurrence, 16 entries per test, which stops there.
// Done scalar, checking and picking from a 32k-entry row took tens of
// microseconds a step, a large part of a GPU decode step; against one pass
// that also carried every lane's first index (a select per vector), the
// engine's whole step around bench/null_model.cpp goes from 9.3 to 4.3 us
// (BENCHMARKS.md, "The runtime's own time per step").
struct RowScan {
  float max;
  std::int32_t first; // of the maximum (-0 and +0 equal)
  bool bad, anyFinite;
};

RowScan scanRow(const float *logits, std::int32_t n) {
  using F4 = float __attribute__((vector_size(16)));
  using I4 = std::int32_t __attribute__((vector_size(16)));
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr int V = 4; // vectors per block of 16 entries
  F4 max[V];
  I4 nan[V];
  for (int k = 0; k < V; ++k) {
    max[k] = F4{-inf, -inf, -inf, -inf};
    nan[k] = I4{0, 0, 0, 0};
  }
  const std::int32_t blocks = n / (4 * V) * (4 * V);
  for (std::int32_t i = 0; i < blocks; i += 4 * V)
    for (int k = 0; k < V; ++k) {
      F4 v;
      std::memcpy(&v, logits + i + 4 * k, sizeof v);
      max[k] = v > max[k] ? v : max[k]; // NaN compares false: skipped
      nan[k] |= v != v;
    }
  RowScan r{-inf, n, false, false};
  for (int k = 0; k < V; ++k)
    for (int l = 0; l < 4; ++l) {
      r.max = std::max(r.max, max[k][l]);
      r.bad |= nan[k][l] != 0;
    }
  for (std::int32_t i = blocks; i < n; ++i) {
    r.bad |= std::isnan(logits[i]);
    r.max = std::max(r.max, logits[i]);
  }
  // +inf would be the maximum; any finite value makes it more than -inf.
  r.bad |= r.max == inf;
  r.anyFinite = r.max > -inf;
  if (r.bad) // rejected: where the maximum lies does not matter
    return r;
  const F4 m = {r.max, r.max, r.max, r.max};
  std::int32_t i = 0;
  for (; i < blocks; i += 4 * V) {
    F4 v[V];
    std::memcpy(v, logits + i, sizeof v);
    const I4 hit = (v[0] == m) | (v[1] == m) | (v[2] == m) | (v[3] == m);
    if ((hit[0] | hit[1] | hit[2] | hit[3]) != 0)
      break;
  }
  for (; i < n; ++i)
    if (logits[i] == r.max) {
      r.first = i;
      break;
    }
  return r;
}

// The errors of a row no token can be taken from: a NaN or +inf (`what`) at
// a token, or nothing but -inf.
[[noreturn]] void throwBadLogit(const char *what, std::int32_t token) {
  throw Error(ErrorCode::Model, std::string("the model produced a ") + what +
                                    " logit for token " + std::to_string(token));
}
[[noreturn]] void throwNoFiniteLogit() {
  throw Error(ErrorCode::Model, "every logit is -inf: no token can be sampled");
}

// Throws what a bad row holds: the first NaN or +inf, or no finite value.
void rejectRow(const float *logits, std::int32_t vocabSize, const RowScan &scan) {
  for (std::int32_t i = 0; scan.bad && i < vocabSize; ++i)
    if (std::isnan(logits[i]) || logits[i] == std::numeric_limits<float>::infinity())
      throwBadLogit(std::isnan(logits[i]) ? "NaN" : "+inf", i);
  if (!scan.anyFinite)
    throwNoFiniteLogit();
}

// The row's scan, once it is known to be samplable.
RowScan checkLogits(const float *logits, std::int32_t vocabSize) {
  if (vocabSize <= 0)
    throw Error(ErrorCode::Internal, "sampler: vocabulary size " + std::to_string(vocabSize));
  // -inf is a legitimate mask; NaN and +inf mean the model broke, and a
  // row of nothing but -inf leaves no token to pick.
  const RowScan scan = scanRow(logits, vocabSize);
  if (scan.bad || !scan.anyFinite)
    rejectRow(logits, vocabSize, scan);
  return scan;
}
} // namespace

SamplerRng::SamplerRng(std::uint64_t seed) {
  for (std::uint64_t &word : state_)
    word = splitmix64(seed);
}

std::uint64_t SamplerRng::next() {
  std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double SamplerRng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::int32_t argmaxToken(const float *logits, std::int32_t vocabSize) {
  return checkLogits(logits, vocabSize).first; // the first of equal maxima
}

std::int32_t modelArgmaxToken(std::int32_t value, std::int32_t vocabSize) {
  if (value >= 0 && value < vocabSize)
    return value;
  if (value == std::numeric_limits<std::int32_t>::min())
    throwNoFiniteLogit();
  if (value < 0 && -1 - value < vocabSize)
    throwBadLogit("NaN or +inf", -1 - value); // the encoding does not say which
  throw Error(ErrorCode::Model, "the model returned greedy token " + std::to_string(value) +
                                    " outside the vocabulary of " + std::to_string(vocabSize));
}

bool isGreedy(const SamplingParams &params) {
  return params.temperature == 0.0f || params.topK == 1;
}

namespace {

// exp((logit - max) / temperature) for the given tokens, and their sum.
double softmaxWeights(const float *logits, const std::vector<std::int32_t> &tokens,
                      double invTemperature, std::vector<double> &weights) {
  float maxLogit = logits[tokens[0]];
  for (std::int32_t token : tokens)
    maxLogit = std::max(maxLogit, logits[token]);
  weights.resize(tokens.size());
  double total = 0.0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    weights[i] = std::exp((static_cast<double>(logits[tokens[i]]) - maxLogit) * invTemperature);
    total += weights[i];
  }
  return total;
}

// The kept tokens with normalised probabilities, most likely first (ties:
// lower id first). Only as much of the vocabulary is sorted as needed: the
// top k for top-k, and for top-p a prefix that grows until it holds the mass.
std::vector<TokenProbability> keptTokens(const float *logits, std::int32_t vocabSize,
                                         const SamplingParams &params) {
  auto moreLikely = [&](std::int32_t a, std::int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::vector<std::int32_t> order(static_cast<std::size_t>(vocabSize));
  std::iota(order.begin(), order.end(), 0);
  if (params.topK > 0 && params.topK < vocabSize) {
    auto kth = order.begin() + params.topK;
    std::nth_element(order.begin(), kth, order.end(), moreLikely);
    order.resize(static_cast<std::size_t>(params.topK));
  }
  double invTemperature = 1.0 / static_cast<double>(params.temperature);
  std::vector<double> weights;
  double total = softmaxWeights(logits, order, invTemperature, weights);

  std::size_t sorted = order.size();
  double mass = 1.0;
  if (params.topP < 1.0f) {
    // Grow the sorted prefix (x8 each time) until it reaches top_p; the
    // typical distribution needs only a few hundred tokens out of 100k+.
    std::size_t prefix = std::min<std::size_t>(order.size(), 256);
    while (true) {
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(prefix),
                        order.end(), moreLikely);
      double accumulated = 0.0;
      std::size_t keep = 0;
      while (keep < prefix && accumulated < static_cast<double>(params.topP)) {
        accumulated += std::exp((static_cast<double>(logits[order[keep]]) -
                                 logits[order[0]]) * invTemperature) / total;
        ++keep;
      }
      if (accumulated >= static_cast<double>(params.topP) || prefix == order.size()) {
        sorted = keep;
        mass = accumulated;
        break;
      }
      prefix = std::min(order.size(), prefix * 8);
    }
    order.resize(sorted);
  } else {
    std::sort(order.begin(), order.end(), moreLikely);
  }

  std::vector<TokenProbability> dist;
  dist.reserve(order.size());
  double top = logits[order[0]];
  for (std::int32_t token : order)
    dist.push_back({token, std::exp((static_cast<double>(logits[token]) - top) * invTemperature) /
                               total / mass});
  return dist;
}

} // namespace

std::vector<TokenProbability> samplingDistribution(const float *logits, std::int32_t vocabSize,
                                                   const SamplingParams &params) {
  validateSamplingParams(params);
  if (isGreedy(params))
    return {{argmaxToken(logits, vocabSize), 1.0}};
  checkLogits(logits, vocabSize);
  return keptTokens(logits, vocabSize, params);
}

std::int32_t sampleToken(const float *logits, std::int32_t vocabSize,
                         const SamplingParams &params, SamplerRng &rng) {
  validateSamplingParams(params);
  if (isGreedy(params))
    return argmaxToken(logits, vocabSize);
  checkLogits(logits, vocabSize);
  double u = rng.uniform();
  if (params.topK == 0 && params.topP >= 1.0f) {
    // Plain temperature: no ordering needed, walk the vocabulary by id.
    std::vector<std::int32_t> all(static_cast<std::size_t>(vocabSize));
    std::iota(all.begin(), all.end(), 0);
    std::vector<double> weights;
    double total = softmaxWeights(logits, all, 1.0 / static_cast<double>(params.temperature), weights);
    double target = u * total, cumulative = 0.0;
    std::int32_t last = 0;
    for (std::int32_t token = 0; token < vocabSize; ++token) {
      if (weights[static_cast<std::size_t>(token)] == 0.0)
        continue;
      last = token;
      cumulative += weights[static_cast<std::size_t>(token)];
      if (target < cumulative)
        return token;
    }
    return last; // u within rounding of 1
  }
  std::vector<TokenProbability> dist = keptTokens(logits, vocabSize, params);
  double cumulative = 0.0;
  for (const TokenProbability &entry : dist) {
    cumulative += entry.probability;
    if (u < cumulative)
      return entry.token;
  }
  return dist.back().token; // u within rounding of 1
}

} // namespace attnrt
