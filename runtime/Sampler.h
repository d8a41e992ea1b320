// Next-token sampling: greedy, temperature, top-k, top-p.
//
// Every sequence owns its own SamplerRng, seeded from its request, and draws
// from it exactly once per sampled token. Given the same logits a sequence
// therefore produces the same tokens whether it runs alone, batched with
// others, or is preempted and recomputed.
#pragma once

#include <cstdint>
#include <vector>

namespace attnrt {

struct SamplingParams {
  float temperature = 0.0f; // 0 = greedy (argmax, lowest token id on ties)
  std::int32_t topK = 0;    // keep the k most likely tokens; 0 = all
  float topP = 1.0f;        // keep the smallest set of most likely tokens with mass >= top_p
  std::uint64_t seed = 0;
};

// Throws attnrt::Error (InvalidArgument) naming the bad field: temperature
// must be finite and >= 0, top_k >= 0, top_p in (0, 1].
void validateSamplingParams(const SamplingParams &params);

// Whether the parameters pick the argmax token (temperature 0 or top_k 1):
// no rng draw, and a model's own argmax (ATTNC_FEATURE_ARGMAX) gives it.
bool isGreedy(const SamplingParams &params);

// xoshiro256** seeded through splitmix64: small, fast, and the same stream on
// every platform and standard library (std:: distributions are not).
class SamplerRng {
public:
  explicit SamplerRng(std::uint64_t seed = 0);
  std::uint64_t next();
  double uniform(); // in [0, 1), 53 random bits

private:
  std::uint64_t state_[4];
};

struct TokenProbability {
  std::int32_t token;
  double probability;
};

// Index of the largest logit, the lowest index among equal ones. Throws
// attnrt::Error (Model) if a logit is NaN or +inf, or all are -inf (-inf
// alone is a mask and fine); the sampling functions below check the same.
std::int32_t argmaxToken(const float *logits, std::int32_t vocabSize);

// The token a model computed itself (attnc_step_args.argmax, runtime/ModelABI.h:
// ATTNC_FEATURE_ARGMAX). Throws attnrt::Error (Model) for a row the model
// reported bad (a NaN or +inf, or only -inf), worded as argmaxToken words it,
// or for a value outside the vocabulary.
std::int32_t modelArgmaxToken(std::int32_t value, std::int32_t vocabSize);

// The distribution sampling draws from after temperature, top-k and top-p:
// the kept tokens, most likely first (ties: lower id first), probabilities
// summing to 1. For temperature 0 it is the argmax token with probability 1.
std::vector<TokenProbability> samplingDistribution(const float *logits, std::int32_t vocabSize,
                                                   const SamplingParams &params);

// Draws one token (exactly one rng draw unless greedy, which draws none).
std::int32_t sampleToken(const float *logits, std::int32_t vocabSize,
                         const SamplingParams &params, SamplerRng &rng);

} // namespace attnrt
