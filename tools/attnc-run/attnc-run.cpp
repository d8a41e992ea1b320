// attnc-run: run a compiled attnc artifact from the command line.
// See usage() for the flags. Exit status: 0 success, 1 runtime failure
// (artifact refused, request rejected or failed), 2 bad command line.
#include "runtime/attnrt.hpp"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

const char *kUsage = R"(usage: attnc-run ARTIFACT_DIR --tokens IDS [--tokens IDS ...] [options]

Runs a compiled attnc artifact (manifest.json, libmodel.so, weights.bin) and
prints the generated token ids of each sequence, comma-separated, one line per
--tokens group, in the order given. Several --tokens groups run as concurrent
sequences (continuous batching).

  --tokens IDS            prompt token ids, comma-separated (e.g. 1,2,3); repeatable
  --max-new-tokens N      tokens to generate per sequence (default 16)
  --temperature T         sampling temperature; 0 = greedy (the default)
  --top-k K               keep the K most likely tokens (0 = off)
  --top-p P               keep the smallest set with probability mass >= P, in (0, 1]
  --seed S                RNG seed (default 0); sequence i uses seed S + i
                          Without any of the four sampling flags decoding is greedy;
                          --top-k/--top-p/--seed without --temperature imply
                          temperature 1.
  --stop-token ID         stop a sequence after it generates ID (printed)
  --threads N             threads the model may use (default 1)
  --kv-pages N            KV cache pages per cache group (default: the runtime's)
  --max-batch-tokens N    tokens per step (default and upper bound: the model's)
  --dump-logits FILE.npy  write float32 logits of every prompt position, shape
                          [prompt_len, vocab]. With one sequence to FILE.npy;
                          with several, sequence i goes to FILE-i.npy (a
                          trailing .npy of FILE is kept at the end).
  --overlap-steps         queue each greedy decode step before reading the one
                          before (CUDA models; ATTNC_OVERLAP_STEPS overrides)
  --stats                 print steps, tokens, preemptions and throughput to stderr
  --help                  this text

Exit status: 0 on success; 1 if the artifact is refused or any sequence fails
(its line is left empty and the reason goes to stderr; the others are still
printed); 2 for a bad command line.
)";

struct UsageError {
  std::string message;
};

struct Options {
  std::string dir;
  std::vector<std::vector<std::int32_t>> prompts;
  std::int64_t maxNewTokens = 16;
  bool sampling = false;
  double temperature = -1; // unset
  std::int64_t topK = 0;
  double topP = 1.0;
  std::uint64_t seed = 0;
  bool hasStop = false;
  std::int64_t stopToken = 0;
  std::int64_t threads = 1;
  std::int64_t kvPages = 0;
  std::int64_t maxBatchTokens = 0;
  std::string dumpLogits;
  bool stats = false;
  bool overlapSteps = false;
};

std::int64_t parseInteger(const std::string &flag, const std::string &text, std::int64_t min,
                          std::int64_t max) {
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < min || value > max)
    throw UsageError{flag + ": expected an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got '" + text + "'"};
  return value;
}

double parseNumber(const std::string &flag, const std::string &text) {
  errno = 0;
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !(value == value))
    throw UsageError{flag + ": expected a number, got '" + text + "'"};
  return value;
}

std::vector<std::int32_t> parseTokens(const std::string &text) {
  std::vector<std::int32_t> tokens;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    tokens.push_back(static_cast<std::int32_t>(
        parseInteger("--tokens", item, std::numeric_limits<std::int32_t>::min(),
                     std::numeric_limits<std::int32_t>::max())));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return tokens;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  const std::int64_t int32Max = std::numeric_limits<std::int32_t>::max();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--stats") {
      o.stats = true;
      continue;
    }
    if (arg == "--overlap-steps") {
      o.overlapSteps = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!o.dir.empty())
        throw UsageError{"unexpected argument '" + arg + "' (the artifact directory is '" + o.dir + "')"};
      o.dir = arg;
      continue;
    }
    std::string flag = arg, value;
    std::size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      static const char *known[] = {"--tokens", "--max-new-tokens", "--temperature", "--top-k",
                                    "--top-p", "--seed", "--stop-token", "--threads",
                                    "--kv-pages", "--max-batch-tokens", "--dump-logits"};
      bool isKnown = false;
      for (const char *k : known)
        isKnown |= flag == k;
      if (!isKnown)
        throw UsageError{"unknown flag '" + flag + "' (see --help)"};
      if (i + 1 >= argc)
        throw UsageError{flag + ": missing value"};
      value = argv[++i];
    }
    if (flag == "--tokens")
      o.prompts.push_back(parseTokens(value));
    else if (flag == "--max-new-tokens")
      o.maxNewTokens = parseInteger(flag, value, 0, int32Max);
    else if (flag == "--temperature") {
      o.temperature = parseNumber(flag, value);
      if (o.temperature < 0)
        throw UsageError{"--temperature: must be >= 0, got '" + value + "'"};
      o.sampling = true;
    } else if (flag == "--top-k") {
      o.topK = parseInteger(flag, value, 0, int32Max);
      o.sampling = true;
    } else if (flag == "--top-p") {
      o.topP = parseNumber(flag, value);
      if (!(o.topP > 0 && o.topP <= 1))
        throw UsageError{"--top-p: must be in (0, 1], got '" + value + "'"};
      o.sampling = true;
    } else if (flag == "--seed") {
      o.seed = static_cast<std::uint64_t>(
          parseInteger(flag, value, 0, std::numeric_limits<std::int64_t>::max()));
      o.sampling = true;
    } else if (flag == "--stop-token") {
      o.hasStop = true;
      o.stopToken = parseInteger(flag, value, 0, int32Max);
    } else if (flag == "--threads")
      o.threads = parseInteger(flag, value, 1, 1024);
    else if (flag == "--kv-pages")
      o.kvPages = parseInteger(flag, value, 1, int32Max);
    else if (flag == "--max-batch-tokens")
      o.maxBatchTokens = parseInteger(flag, value, 1, int32Max);
    else if (flag == "--dump-logits") {
      if (value.empty())
        throw UsageError{"--dump-logits: empty file name"};
      o.dumpLogits = value;
    } else
      throw UsageError{"unknown flag '" + flag + "' (see --help)"};
  }
  if (o.dir.empty())
    throw UsageError{"missing the artifact directory (see --help)"};
  if (o.prompts.empty())
    throw UsageError{"missing --tokens (see --help)"};
  return o;
}

std::string logitsPath(const std::string &base, std::size_t index, std::size_t count) {
  if (count == 1)
    return base;
  std::string stem = base;
  if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".npy") == 0)
    stem.resize(stem.size() - 4);
  return stem + "-" + std::to_string(index) + ".npy";
}

// NumPy .npy format 1.0: magic, header length, a dict padded to 64 bytes.
bool writeNpy(const std::string &path, const std::vector<float> &data, std::size_t rows,
              std::size_t cols, std::string &error) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::uint16_t headerLen = static_cast<std::uint16_t>(header.size());
  unsigned char len[2] = {static_cast<unsigned char>(headerLen & 0xff),
                          static_cast<unsigned char>(headerLen >> 8)};
  bool ok = std::fwrite(magic, 1, 8, file) == 8 && std::fwrite(len, 1, 2, file) == 2 &&
            std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
            std::fwrite(data.data(), sizeof(float), data.size(), file) == data.size();
  // The format is little-endian; so are the machines the runtime targets.
  ok = std::fclose(file) == 0 && ok;
  if (!ok)
    error = "cannot write '" + path + "': " + std::strerror(errno);
  return ok;
}

int run(const Options &o) {
  attnrt_engine_options engineOptions;
  attnrt_engine_options_init(&engineOptions);
  engineOptions.num_threads = static_cast<std::int32_t>(o.threads);
  engineOptions.kv_pages = o.kvPages;
  engineOptions.max_batch_tokens = static_cast<std::int32_t>(o.maxBatchTokens);
  engineOptions.overlap_steps = o.overlapSteps ? 1 : 0;
  attnrt::Session session(o.dir, &engineOptions);

  // A rejected request (ids outside the vocabulary, a prompt longer than the
  // context) fails alone: its line stays empty, the others still run.
  constexpr std::int64_t kRejected = -1;
  int status = 0;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < o.prompts.size(); ++i) {
    attnrt::GenerateOptions g;
    g.maxNewTokens = static_cast<std::int32_t>(o.maxNewTokens);
    if (o.sampling) {
      g.temperature = static_cast<float>(o.temperature < 0 ? 1.0 : o.temperature);
      g.topK = static_cast<std::int32_t>(o.topK);
      g.topP = static_cast<float>(o.topP);
      g.seed = o.seed + i;
    }
    if (o.hasStop)
      g.stopToken = static_cast<std::int32_t>(o.stopToken);
    g.wantPromptLogits = !o.dumpLogits.empty();
    try {
      ids.push_back(session.addRequest(o.prompts[i], g));
    } catch (const attnrt::ApiError &e) {
      std::fprintf(stderr, "attnc-run: sequence %zu (--tokens #%zu): %s\n", i, i + 1, e.what());
      ids.push_back(kRejected);
      status = 1;
    }
  }

  auto start = std::chrono::steady_clock::now();
  try {
    session.run();
  } catch (const attnrt::ApiError &e) {
    // The failed sequences are reported one by one below.
    status = 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.stats) {
    attnrt_engine_stats st = session.stats();
    std::fprintf(stderr,
                 "attnc-run: %lld steps (%lld overlapped), %lld tokens processed, %lld "
                 "generated, %lld preemptions, %lld KV pages; %.3f s, %.1f generated tokens/s\n",
                 static_cast<long long>(st.steps), static_cast<long long>(st.overlapped),
                 static_cast<long long>(st.tokens), static_cast<long long>(st.generated),
                 static_cast<long long>(st.preemptions), static_cast<long long>(st.kv_pages_total),
                 seconds,
                 seconds > 0 ? static_cast<double>(st.generated) / seconds : 0.0);
  }
  std::int32_t vocab = session.info().vocab_size;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == kRejected) {
      std::fputs("\n", stdout);
      continue;
    }
    if (session.state(ids[i]) != ATTNRT_REQUEST_FINISHED) {
      std::fprintf(stderr, "attnc-run: sequence %zu failed: %s\n", i, session.message(ids[i]).c_str());
      std::fputs("\n", stdout);
      status = 1;
      continue;
    }
    std::string line;
    for (std::int32_t token : session.tokens(ids[i]))
      line += (line.empty() ? "" : ",") + std::to_string(token);
    std::printf("%s\n", line.c_str());
    if (!o.dumpLogits.empty()) {
      std::string path = logitsPath(o.dumpLogits, i, ids.size());
      std::string error;
      if (!writeNpy(path, session.promptLogits(ids[i]), o.prompts[i].size(),
                    static_cast<std::size_t>(vocab), error)) {
        std::fprintf(stderr, "attnc-run: %s\n", error.c_str());
        status = 1;
      }
    }
  }
  return status;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  try {
    options = parseArgs(argc, argv);
  } catch (const UsageError &e) {
    std::fprintf(stderr, "attnc-run: %s\n", e.message.c_str());
    return 2;
  }
  try {
    return run(options);
  } catch (const attnrt::ApiError &e) {
    std::fprintf(stderr, "attnc-run: %s\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "attnc-run: %s\n", e.what());
    return 1;
  }
}
