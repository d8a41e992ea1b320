#include "runtime/pack/Calibrate.h"

#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/Manifest.h"
#include "runtime/cpu/Linear.h"
#include "runtime/pack/Calibration.h"
#include "runtime/pack/Parallel.h"
#include "runtime/pack/WeightPlan.h"

#include <dlfcn.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace attnrt::pack {
namespace {

std::string readText(const std::string &path, const char *what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::Io, "cannot read " + std::string(what) + " " + path + ": " +
                                   std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One token sequence per non-empty line; ids separated by commas or blanks.
std::vector<std::vector<std::int32_t>> readTokenFile(const std::string &path) {
  std::string text = readText(path, "calibration tokens");
  std::vector<std::vector<std::int32_t>> sequences;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream ids(line);
    std::vector<std::int32_t> sequence;
    std::string id;
    while (ids >> id) {
      char *end = nullptr;
      errno = 0;
      long long v = std::strtoll(id.c_str(), &end, 10);
      if (*end != '\0' || errno == ERANGE || v < 0 || v > INT32_MAX)
        throw Error(ErrorCode::InvalidArgument, path + ":" + std::to_string(number) + ": '" +
                                                    id + "' is not a token id");
      sequence.push_back(std::int32_t(v));
    }
    if (!sequence.empty())
      sequences.push_back(std::move(sequence));
  }
  if (sequences.empty())
    throw Error(ErrorCode::InvalidArgument, path + " holds no token sequence");
  return sequences;
}

// The sums of x x^T per weight blob the linears were called with.
class LinearInputs {
public:
  LinearInputs(const std::uint8_t *weights, std::uint64_t bytes, std::int64_t threads)
      : base_(weights), bytes_(bytes), threads_(std::max<std::int64_t>(1, threads)) {}

  static void observe(void *self, const float *x, std::int64_t tokens, std::int64_t in,
                      const float *weight, std::int64_t /*out*/) {
    static_cast<LinearInputs *>(self)->add(x, tokens, in, weight);
  }

  // Observations by offset of the weight in weights.bin; a weight outside
  // it (none the code generator emits) is counted and reported.
  struct Sum {
    std::int64_t inFeatures = 0, tokens = 0;
    // [K, K], i <= j filled. f32 like the file: 4 K^2 bytes a linear, held
    // for every linear of the model at once (the 1.1B benchmark model: ~4 GB).
    std::vector<float> upper;
  };
  std::map<std::uint64_t, Sum> sums;
  std::int64_t foreign = 0;
  std::string mismatch; // a weight seen with two input sizes

private:
  void add(const float *x, std::int64_t tokens, std::int64_t k, const float *weight) {
    const auto *w = reinterpret_cast<const std::uint8_t *>(weight);
    if (w < base_ || w >= base_ + bytes_) {
      ++foreign;
      return;
    }
    Sum &sum = sums[std::uint64_t(w - base_)];
    if (sum.inFeatures == 0) {
      sum.inFeatures = k;
      sum.upper.assign(std::size_t(k * k), 0.0f);
    } else if (sum.inFeatures != k) {
      mismatch = "the weight at offset " + std::to_string(w - base_) + " was read with " +
                 std::to_string(sum.inFeatures) + " and " + std::to_string(k) + " inputs";
      return;
    }
    sum.tokens += tokens;
    // Rows of the sums split over threads (row i dealt to thread i % T; each
    // element summed over the tokens in order, whatever T); four tokens at a
    // time, so one pass over a row of sums serves them all.
    const std::int64_t threads =
        tokens * k * k < (1 << 22) ? 1 : std::min<std::int64_t>(threads_, k);
    auto accumulate = [&](std::int64_t first) {
      constexpr std::int64_t kTokens = 4;
      for (std::int64_t t0 = 0; t0 < tokens; t0 += kTokens) {
        const std::int64_t nt = std::min(kTokens, tokens - t0);
        const float *rows[kTokens];
        for (std::int64_t t = 0; t < kTokens; ++t)
          rows[t] = x + (t0 + std::min(t, nt - 1)) * k;
        const float keep[kTokens] = {1.0f, nt > 1 ? 1.0f : 0.0f, nt > 2 ? 1.0f : 0.0f,
                                     nt > 3 ? 1.0f : 0.0f};
        for (std::int64_t i = first; i < k; i += threads) {
          const float a0 = rows[0][i] * keep[0], a1 = rows[1][i] * keep[1],
                      a2 = rows[2][i] * keep[2], a3 = rows[3][i] * keep[3];
          float *row = &sum.upper[std::size_t(i * k)];
          for (std::int64_t j = i; j < k; ++j)
            row[j] += a0 * rows[0][j] + a1 * rows[1][j] + a2 * rows[2][j] + a3 * rows[3][j];
        }
      }
    };
    detail::runShares(threads, accumulate);
  }

  const std::uint8_t *base_;
  std::uint64_t bytes_;
  std::int64_t threads_; // the model's: the step waits while the sums run
};

struct Options {
  std::string artifact, tokens, output;
  std::int32_t threads = 0;
};

Status calibrate(const Options &options, std::size_t &linearsWritten, std::int64_t &tokensRun) {
  Manifest manifest = loadManifest(artifactPath(options.artifact, "manifest.json"));
  if (manifest.target != "cpu")
    return Status::failure(options.artifact + " is a " + manifest.target +
                           " artifact; calibration runs a CPU one (attnc compile MODEL.onnx -o "
                           "DIR --target cpu)");
  const WeightPlan plan = loadArtifactPlan(options.artifact);
  std::vector<std::vector<std::int32_t>> sequences = readTokenFile(options.tokens);

  EngineOptions engineOptions;
  engineOptions.numThreads =
      options.threads > 0 ? options.threads
                          : std::int32_t(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_ptr<Engine> engine = Engine::open(options.artifact, engineOptions);
  using Install = void (*)(attnrt_cpu_linear_observer, void *);
  auto install = reinterpret_cast<Install>(
      dlsym(engine->libraryHandle(), "attnrt_cpu_observe_linears"));
  if (!install)
    return Status::failure(options.artifact +
                           "/libmodel.so has no linear observer (built by an older attnc?); "
                           "recompile it");
  LinearInputs inputs(static_cast<const std::uint8_t *>(engine->weightsData()),
                      manifest.weights.bytes, engineOptions.numThreads);
  install(&LinearInputs::observe, &inputs);
  struct Uninstall {
    Install install;
    ~Uninstall() { install(nullptr, nullptr); }
  } uninstall{install};

  tokensRun = 0;
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    RequestParams request;
    request.prompt = sequences[i];
    request.maxNewTokens = 1;  // the prefill only: the sampled token is never run
    request.wantPromptLogits = true; // the lm_head reads every position
    RequestId id;
    try {
      id = engine->addRequest(request);
    } catch (const Error &e) {
      return Status::failure(options.tokens + ": sequence " + std::to_string(i + 1) + ": " +
                             e.what());
    }
    engine->runToCompletion();
    const RequestResult &result = engine->result(id);
    if (result.state == RequestState::Failed)
      return Status::failure(options.tokens + ": sequence " + std::to_string(i + 1) + ": " +
                             result.error);
    engine->releaseRequest(id);
    tokensRun += std::int64_t(sequences[i].size());
  }
  if (!inputs.mismatch.empty())
    return Status::failure(inputs.mismatch);
  if (inputs.foreign > 0)
    return Status::failure(std::to_string(inputs.foreign) +
                           " linear call(s) read a weight outside weights.bin: their "
                           "statistics cannot be named");
  if (inputs.sums.empty())
    return Status::failure(options.artifact + " ran no linear layer");

  Calibration calibration;
  for (auto &[offset, sum] : inputs.sums) {
    auto blob = std::find_if(plan.blobs.begin(), plan.blobs.end(),
                             [&](const PlannedBlob &b) { return b.offset == offset; });
    std::vector<std::string> names;
    if (blob != plan.blobs.end())
      names = initializerNames(blob->source);
    if (names.empty())
      return Status::failure("a linear's weight (offset " + std::to_string(offset) +
                             " of weights.bin) is no initializer of the model in " +
                             artifactPath(options.artifact, kWeightPlanFile));
    LinearInputStatistics linear;
    linear.weights = std::move(names);
    linear.inFeatures = sum.inFeatures;
    linear.tokens = sum.tokens;
    const std::int64_t k = sum.inFeatures;
    linear.xtx.resize(std::size_t(k * k));
    for (std::int64_t i = 0; i < k; ++i)
      for (std::int64_t j = i; j < k; ++j)
        linear.xtx[std::size_t(i * k + j)] = linear.xtx[std::size_t(j * k + i)] =
            sum.upper[std::size_t(i * k + j)];
    sum.upper = {};
    // Linears of one input (q, k and v not fused) share one entry.
    auto same = std::find_if(calibration.linears.begin(), calibration.linears.end(),
                             [&](const LinearInputStatistics &other) {
                               return other.inFeatures == linear.inFeatures &&
                                      other.tokens == linear.tokens && other.xtx == linear.xtx;
                             });
    if (same != calibration.linears.end())
      same->weights.insert(same->weights.end(), linear.weights.begin(), linear.weights.end());
    else
      calibration.linears.push_back(std::move(linear));
  }
  linearsWritten = calibration.linears.size();
  return writeCalibration(options.output, calibration);
}

constexpr const char *kUsage =
    "usage: %s ARTIFACT --tokens FILE -o OUT [--threads N]\n"
    "\n"
    "Runs ARTIFACT (compiled for the CPU) over the calibration token sequences of FILE\n"
    "(one a line, ids separated by commas or blanks) and writes to OUT the statistics of\n"
    "every linear's input (sum of x x^T) that `attnc compile --quantize SCHEME\n"
    "--calibration OUT` quantizes against (GPTQ). A quantized ARTIFACT gives the inputs its\n"
    "quantized layers produce (a second GPTQ pass against them). --threads: the model's\n"
    "threads (default: one per core).\n";

} // namespace

int calibrateCommand(int argc, char **argv) noexcept {
  const char *prog = argc > 0 ? argv[0] : "attnc calibrate";
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag, std::string &out) {
      const std::string prefix = std::string(flag) + "=";
      if (arg == flag && i + 1 < argc) {
        out = argv[++i];
        return true;
      }
      if (arg.rfind(prefix, 0) == 0) {
        out = arg.substr(prefix.size());
        return true;
      }
      return false;
    };
    std::string threads;
    if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, prog);
      return 0;
    }
    if (value("--tokens", options.tokens) || value("-o", options.output))
      continue;
    if (value("--threads", threads)) {
      char *end = nullptr;
      long v = std::strtol(threads.c_str(), &end, 10);
      if (threads.empty() || *end != '\0' || v < 1 || v > 1024) {
        std::fprintf(stderr, "%s: error: --threads: expected an integer in [1, 1024], got '%s'\n",
                     prog, threads.c_str());
        return 2;
      }
      options.threads = std::int32_t(v);
    } else if (!arg.empty() && arg[0] != '-' && options.artifact.empty()) {
      options.artifact = arg;
    } else {
      std::fprintf(stderr, "%s: error: unexpected argument '%s'\n", prog, arg.c_str());
      std::fprintf(stderr, kUsage, prog);
      return 2;
    }
  }
  const char *missing = options.artifact.empty() ? "no ARTIFACT directory"
                        : options.tokens.empty() ? "no calibration tokens (--tokens FILE)"
                        : options.output.empty() ? "no output file (-o OUT)"
                                                 : nullptr;
  if (missing) {
    std::fprintf(stderr, "%s: error: %s\n", prog, missing);
    std::fprintf(stderr, kUsage, prog);
    return 2;
  }
  std::size_t linears = 0;
  std::int64_t tokens = 0;
  Status status = Status::success();
  try {
    status = calibrate(options, linears, tokens);
  } catch (const std::exception &e) {
    status = Status::failure(e.what());
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", prog, status.message().c_str());
    return 1;
  }
  std::printf("calibrated %s: %lld tokens, statistics of %zu linear inputs written to %s\n",
              options.artifact.c_str(), static_cast<long long>(tokens), linears,
              options.output.c_str());
  return 0;
}

} // namespace attnrt::pack
