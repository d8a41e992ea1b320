#include "runtime/Sampler.h"

#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using attnrt::SamplingParams;

SamplingParams params(float temperature, std::int32_t topK = 0, float topP = 1.0f,
                      std::uint64_t seed = 0) {
  SamplingParams p;
  p.temperature = temperature;
  p.topK = topK;
  p.topP = topP;
  p.seed = seed;
  return p;
}

TEST(Sampler, GreedyPicksTheLowestIndexAmongEqualMaxima) {
  std::vector<float> logits = {0.5f, 3.0f, -1.0f, 3.0f, 2.9f};
  attnrt::SamplerRng rng(1);
  EXPECT_EQ(attnrt::argmaxToken(logits.data(), 5), 1);
  EXPECT_EQ(attnrt::sampleToken(logits.data(), 5, params(0.0f), rng), 1);
  std::vector<float> negative = {-5.0f, -2.0f, -2.0f};
  EXPECT_EQ(attnrt::argmaxToken(negative.data(), 3), 1);
  // top_k = 1 is greedy whatever the temperature.
  EXPECT_EQ(attnrt::sampleToken(logits.data(), 5, params(2.0f, 1), rng), 1);
}

TEST(Sampler, NaNLogitsAreAnErrorNotAToken) {
  std::vector<float> logits = {0.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f};
  attnrt::SamplerRng rng(1);
  EXPECT_THROW(attnrt::sampleToken(logits.data(), 3, params(0.0f), rng), attnrt::Error);
  EXPECT_THROW(attnrt::sampleToken(logits.data(), 3, params(1.0f), rng), attnrt::Error);
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> plusInf = {0.0f, inf, 1.0f};
  EXPECT_THROW(attnrt::sampleToken(plusInf.data(), 3, params(0.0f), rng), attnrt::Error);
  std::vector<float> allMasked = {-inf, -inf};
  EXPECT_THROW(attnrt::sampleToken(allMasked.data(), 2, params(1.0f), rng), attnrt::Error);
  // -inf masks a token: it is never sampled.
  std::vector<float> masked = {0.0f, -inf, 0.0f};
  for (int i = 0; i < 1000; ++i) {
    EXPECT_NE(attnrt::sampleToken(masked.data(), 3, params(1.0f), rng), 1);
    EXPECT_NE(attnrt::sampleToken(masked.data(), 3, params(1.0f, 0, 0.99f), rng), 1);
  }
}

// A model's own greedy tokens (ModelABI.h, attnc_step_args.argmax): a token
// passes through; a bad row's code is the sampler's error, naming the token;
// a value outside the vocabulary is the model's error, named.
TEST(Sampler, AModelsArgmaxIsATokenOrTheErrorItsRowHeld) {
  auto message = [](std::int32_t value) {
    try {
      attnrt::modelArgmaxToken(value, 64);
    } catch (const attnrt::Error &e) {
      EXPECT_EQ(e.code(), attnrt::ErrorCode::Model);
      return std::string(e.what());
    }
    return std::string("(a token)");
  };
  EXPECT_EQ(attnrt::modelArgmaxToken(0, 64), 0);
  EXPECT_EQ(attnrt::modelArgmaxToken(63, 64), 63);
  EXPECT_NE(message(-1 - 5).find("NaN or +inf logit for token 5"), std::string::npos)
      << message(-1 - 5);
  EXPECT_NE(message(-64).find("for token 63"), std::string::npos) << message(-64);
  // The same words the sampler uses for a row of -inf.
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> allMasked = {-inf, -inf};
  std::string sampler;
  try {
    attnrt::argmaxToken(allMasked.data(), 2);
  } catch (const attnrt::Error &e) {
    sampler = e.what();
  }
  EXPECT_EQ(message(std::numeric_limits<std::int32_t>::min()), sampler);
  for (std::int32_t outside : {64, 1000, -65})
    EXPECT_NE(message(outside).find("greedy token " + std::to_string(outside) +
                                    " outside the vocabulary of 64"),
              std::string::npos)
        << message(outside);
}

// The greedy pick scans in vector lanes: every length (tails included), the
// maximum or a bad value at every kind of position, ties across lanes and
// blocks, -0 against +0, against a plain first-index loop.
TEST(Sampler, GreedyMatchesAPlainScanAtEveryLengthAndPosition) {
  const float inf = std::numeric_limits<float>::infinity();
  std::mt19937 gen(std::random_device{}());
  std::uniform_real_distribution<float> value(-8.0f, 8.0f);
  auto reference = [](const std::vector<float> &row) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < row.size(); ++i)
      if (row[i] > row[best])
        best = i;
    return static_cast<std::int32_t>(best);
  };
  attnrt::SamplerRng rng(1);
  for (std::int32_t n : {1, 3, 15, 16, 17, 31, 32, 33, 47, 64, 100, 1000, 32000, 32003}) {
    std::vector<float> row(static_cast<std::size_t>(n));
    for (int trial = 0; trial < 40; ++trial) {
      for (float &v : row)
        v = value(gen);
      std::uniform_int_distribution<std::int32_t> at(0, n - 1);
      switch (trial % 5) {
      case 1: // a tie: two (or more) equal maxima anywhere
        row[static_cast<std::size_t>(at(gen))] = 9.0f;
        row[static_cast<std::size_t>(at(gen))] = 9.0f;
        break;
      case 2: // the maximum in the tail or the last entry
        row[static_cast<std::size_t>(n - 1 - at(gen) % std::min(n, 15))] = 10.0f;
        break;
      case 3: // -0 and +0 as the maximum: equal, the first wins
        for (float &v : row)
          v = -std::fabs(v) - 1.0f;
        row[static_cast<std::size_t>(at(gen))] = -0.0f;
        row[static_cast<std::size_t>(at(gen))] = 0.0f;
        break;
      case 4: // masked entries, the rest finite
        for (std::size_t i = 0; i < row.size(); i += 3)
          row[i] = -inf;
        row[static_cast<std::size_t>(at(gen))] = 1.0f;
        break;
      }
      ASSERT_EQ(attnrt::argmaxToken(row.data(), n), reference(row)) << "n=" << n << " trial=" << trial;
      ASSERT_EQ(attnrt::sampleToken(row.data(), n, params(0.0f), rng), reference(row));
      // One NaN or +inf anywhere is an error, whatever else the row holds.
      const std::int32_t badAt = at(gen);
      for (float bad : {std::numeric_limits<float>::quiet_NaN(), inf}) {
        std::vector<float> broken = row;
        broken[static_cast<std::size_t>(badAt)] = bad;
        try {
          attnrt::argmaxToken(broken.data(), n);
          ADD_FAILURE() << "n=" << n << ": " << bad << " at " << badAt << " accepted";
        } catch (const attnrt::Error &e) {
          EXPECT_NE(std::string(e.what()).find("token " + std::to_string(badAt)), std::string::npos)
              << e.what();
        }
      }
    }
    std::vector<float> masked(static_cast<std::size_t>(n), -inf);
    EXPECT_THROW(attnrt::argmaxToken(masked.data(), n), attnrt::Error) << "n=" << n;
  }
}

TEST(Sampler, RejectsBadParameters) {
  EXPECT_THROW(attnrt::validateSamplingParams(params(-0.1f)), attnrt::Error);
  EXPECT_THROW(attnrt::validateSamplingParams(params(std::nanf(""))), attnrt::Error);
  EXPECT_THROW(attnrt::validateSamplingParams(params(1.0f, -1)), attnrt::Error);
  EXPECT_THROW(attnrt::validateSamplingParams(params(1.0f, 0, 0.0f)), attnrt::Error);
  EXPECT_THROW(attnrt::validateSamplingParams(params(1.0f, 0, 1.5f)), attnrt::Error);
  EXPECT_NO_THROW(attnrt::validateSamplingParams(params(0.7f, 40, 0.9f)));
}

TEST(Sampler, TemperatureDistributionIsTheSoftmax) {
  std::vector<float> logits = {1.0f, 2.0f, 0.0f, 2.0f};
  auto dist = attnrt::samplingDistribution(logits.data(), 4, params(0.5f));
  ASSERT_EQ(dist.size(), 4u);
  double z = std::exp(2.0) + std::exp(4.0) + std::exp(0.0) + std::exp(4.0);
  std::map<int, double> byToken;
  double total = 0;
  for (auto &entry : dist) {
    byToken[entry.token] = entry.probability;
    total += entry.probability;
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_NEAR(byToken[0], std::exp(2.0) / z, 1e-9);
  EXPECT_NEAR(byToken[1], std::exp(4.0) / z, 1e-9);
  EXPECT_NEAR(byToken[2], 1.0 / z, 1e-9);
  // Most likely first, ties by lower id.
  EXPECT_EQ(dist[0].token, 1);
  EXPECT_EQ(dist[1].token, 3);
}

TEST(Sampler, TopKKeepsExactlyTheKMostLikely) {
  std::vector<float> logits = {0.1f, 5.0f, 3.0f, 4.0f, -2.0f, 4.0f};
  auto dist = attnrt::samplingDistribution(logits.data(), 6, params(1.0f, 3));
  ASSERT_EQ(dist.size(), 3u);
  EXPECT_EQ(dist[0].token, 1);
  EXPECT_EQ(dist[1].token, 3); // 3 and 5 tie; the lower id is kept first
  EXPECT_EQ(dist[2].token, 5);
  double z = std::exp(5.0) + 2 * std::exp(4.0);
  EXPECT_NEAR(dist[0].probability, std::exp(5.0) / z, 1e-9);
  // Sampling never leaves the kept set.
  attnrt::SamplerRng rng(3);
  for (int i = 0; i < 2000; ++i) {
    int token = attnrt::sampleToken(logits.data(), 6, params(1.0f, 3), rng);
    EXPECT_TRUE(token == 1 || token == 3 || token == 5) << token;
  }
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  // Probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 at temperature 1.
  std::vector<float> logits = {std::log(0.0625f), std::log(0.5f), std::log(0.125f),
                               std::log(0.25f), std::log(0.0625f)};
  for (float topP : {0.3f, 0.5f, 0.6f, 0.75f, 0.8f, 0.9f, 0.99f}) {
    auto dist = attnrt::samplingDistribution(logits.data(), 5, params(1.0f, 0, topP));
    // Recompute the kept mass before renormalisation from the full softmax.
    auto full = attnrt::samplingDistribution(logits.data(), 5, params(1.0f));
    double mass = 0;
    for (std::size_t i = 0; i < dist.size(); ++i) {
      EXPECT_EQ(dist[i].token, full[i].token);
      mass += full[i].probability;
    }
    EXPECT_GE(mass, topP - 1e-6) << "top_p " << topP;
    double withoutLast = mass - full[dist.size() - 1].probability;
    EXPECT_LT(withoutLast, topP) << "top_p " << topP << " kept more than needed";
    double total = 0;
    for (auto &entry : dist)
      total += entry.probability;
    EXPECT_NEAR(total, 1.0, 1e-9);
  }
  EXPECT_EQ(attnrt::samplingDistribution(logits.data(), 5, params(1.0f, 0, 0.5f)).size(), 1u);
  EXPECT_EQ(attnrt::samplingDistribution(logits.data(), 5, params(1.0f, 0, 0.75f)).size(), 2u);
  // top-k applies first, then top-p within it.
  EXPECT_EQ(attnrt::samplingDistribution(logits.data(), 5, params(1.0f, 2, 0.99f)).size(), 2u);
}

TEST(Sampler, SampleFrequenciesMatchTheDistribution) {
  std::vector<float> logits = {0.0f, 1.0f, 2.0f, 0.5f};
  SamplingParams p = params(0.8f, 0, 0.95f);
  auto dist = attnrt::samplingDistribution(logits.data(), 4, p);
  attnrt::SamplerRng rng(42);
  const int draws = 200000;
  std::map<int, int> counts;
  for (int i = 0; i < draws; ++i)
    ++counts[attnrt::sampleToken(logits.data(), 4, p, rng)];
  std::size_t seenTokens = 0;
  for (auto &entry : dist) {
    double observed = static_cast<double>(counts[entry.token]) / draws;
    double sigma = std::sqrt(entry.probability * (1 - entry.probability) / draws);
    EXPECT_NEAR(observed, entry.probability, 5 * sigma + 1e-9) << "token " << entry.token;
    seenTokens += counts[entry.token] > 0;
  }
  EXPECT_EQ(seenTokens, counts.size()) << "sampled a token outside the top-p set";
}

TEST(Sampler, PlainTemperatureFrequenciesMatchTheSoftmax) {
  std::vector<float> logits = {0.3f, -1.0f, 1.2f, 0.0f, 0.9f};
  SamplingParams p = params(1.3f);
  auto dist = attnrt::samplingDistribution(logits.data(), 5, p);
  attnrt::SamplerRng rng(9);
  const int draws = 200000;
  std::map<int, int> counts;
  for (int i = 0; i < draws; ++i)
    ++counts[attnrt::sampleToken(logits.data(), 5, p, rng)];
  for (auto &entry : dist) {
    double observed = static_cast<double>(counts[entry.token]) / draws;
    double sigma = std::sqrt(entry.probability * (1 - entry.probability) / draws);
    EXPECT_NEAR(observed, entry.probability, 5 * sigma) << "token " << entry.token;
  }
}

TEST(Sampler, TopPOverALargeFlatVocabularyKeepsEnoughTokens) {
  // 5000 equal logits: top_p 0.9 needs 4500 tokens, far beyond the first
  // sorted prefix, so the prefix has to grow.
  std::vector<float> logits(5000, 1.0f);
  logits[4321] = 1.5f;
  auto dist = attnrt::samplingDistribution(logits.data(), 5000, params(1.0f, 0, 0.9f));
  double z = 4999.0 + std::exp(0.5);
  double mass = std::exp(0.5) / z;
  std::size_t expected = 1;
  while (mass < 0.9) {
    mass += 1.0 / z;
    ++expected;
  }
  EXPECT_EQ(dist.size(), expected);
  EXPECT_EQ(dist[0].token, 4321);
  EXPECT_EQ(dist[1].token, 0); // ties: lowest ids first
  EXPECT_EQ(dist.back().token, static_cast<std::int32_t>(expected - 1));
}

TEST(Sampler, SeedsAreReproducibleAndDistinct) {
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i)
    logits[i] = static_cast<float>(std::sin(i * 1.3));
  auto run = [&](std::uint64_t seed) {
    attnrt::SamplerRng rng(seed);
    std::vector<int> tokens;
    for (int i = 0; i < 64; ++i)
      tokens.push_back(attnrt::sampleToken(logits.data(), 100, params(1.0f, 0, 1.0f, seed), rng));
    return tokens;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
  // The stream is fixed by the seed alone (portable, not std:: distributions).
  attnrt::SamplerRng a(123), b(123);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(a.next(), b.next());
  attnrt::SamplerRng u(5);
  for (int i = 0; i < 1000; ++i) {
    double x = u.uniform();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
  }
}

TEST(Sampler, HigherTemperatureFlattens) {
  std::vector<float> logits = {0.0f, 1.0f, 2.0f};
  auto cold = attnrt::samplingDistribution(logits.data(), 3, params(0.25f));
  auto hot = attnrt::samplingDistribution(logits.data(), 3, params(4.0f));
  EXPECT_GT(cold[0].probability, 0.98);
  EXPECT_LT(hot[0].probability, 0.5);
  EXPECT_EQ(cold[0].token, 2);
}

} // namespace
