// Timing harness for bench/cpu_vs_ort.py (CPU artifacts) and bench/gpu_e2e.py
// (CUDA artifacts): opens one attnc artifact through the C++ wrapper of
// libattnrt (runtime/attnrt.hpp) and answers timing requests read from
// stdin, one JSON object per line on stdout, so the Python driver can
// interleave attnc and baseline repetitions. A step returns after the
// sampler has read the logits back, so host clocks time device work too.
//
//   attnc_bench ARTIFACT_DIR THREADS KV_PAGES
//
// stdin lines:
//   prefill IDS           one sequence (IDS: comma-separated token ids),
//                         max_new_tokens 1: the time of the steps from the
//                         prompt until its first token is sampled.
//   decode D IDS [IDS..]  one sequence per IDS; after all of them are
//                         prefilled (untimed), the time of the steps that
//                         generate the next D tokens of every sequence
//                         (greedy), B * D tokens in all.
//   logits PATH IDS       one sequence, max_new_tokens 1, prompt logits kept:
//                         writes [len(IDS), vocab] float32 (raw) to PATH.
//   quit
// decode replies also carry step_ms, the wall time of every timed step.
// Every reply carries the generated tokens of each sequence, for the
// agreement check against onnxruntime.
#include "runtime/attnrt.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::int32_t> parseIds(const std::string &text) {
  std::vector<std::int32_t> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    ids.push_back(static_cast<std::int32_t>(std::stol(item)));
  return ids;
}

std::string tokensJson(const attnrt::Session &s, const std::vector<std::int64_t> &ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out += i ? ",[" : "[";
    auto toks = s.tokens(ids[i]);
    for (std::size_t j = 0; j < toks.size(); ++j)
      out += (j ? "," : "") + std::to_string(toks[j]);
    out += "]";
  }
  return out + "]";
}

std::int64_t generated(const attnrt::Session &s) { return s.stats().generated; }

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: attnc_bench ARTIFACT_DIR THREADS KV_PAGES\n");
    return 2;
  }
  attnrt_engine_options options;
  attnrt_engine_options_init(&options);
  options.num_threads = std::atoi(argv[2]);
  options.kv_pages = std::atoll(argv[3]);
  try {
    attnrt::Session session(argv[1], &options);
    const auto info = session.info();
    std::printf("{\"ready\":true,\"target\":\"%s\",\"vocab\":%d,\"max_batch_tokens\":%d,\"page_size\":%d,"
                "\"kv_pages\":%lld}\n",
                info.target, info.vocab_size, info.max_batch_tokens, info.page_size,
                static_cast<long long>(info.kv_pages_per_group));
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream in(line);
      std::string cmd;
      in >> cmd;
      if (cmd == "quit")
        break;
      int newTokens = 0;
      std::string logitsPath;
      if (cmd == "decode")
        in >> newTokens;
      else if (cmd == "logits")
        in >> logitsPath;
      else if (cmd != "prefill") {
        std::printf("{\"error\":\"unknown command\"}\n");
        std::fflush(stdout);
        continue;
      }
      std::vector<std::int64_t> ids;
      attnrt::GenerateOptions g;
      g.maxNewTokens = cmd == "decode" ? newTokens + 1 : 1;
      g.wantPromptLogits = cmd == "logits";
      std::string group;
      std::size_t promptTokens = 0;
      while (in >> group) {
        auto prompt = parseIds(group);
        promptTokens += prompt.size();
        ids.push_back(session.addRequest(prompt, g));
      }
      const int batch = static_cast<int>(ids.size());
      const std::int64_t gen0 = generated(session);
      double seconds = 0;
      int timedSteps = 0;
      std::vector<double> stepMs;
      if (cmd == "prefill" || cmd == "logits") {
        auto t0 = Clock::now();
        while (session.step() > 0)
          ++timedSteps;
        ++timedSteps;
        seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      } else {
        // Untimed: the prompt steps, until every sequence has its first token.
        int left = 1;
        while (generated(session) - gen0 < batch && left > 0)
          left = session.step();
        auto t0 = Clock::now();
        auto last = t0;
        while (left > 0) {
          left = session.step();
          ++timedSteps;
          auto now = Clock::now();
          stepMs.push_back(std::chrono::duration<double, std::milli>(now - last).count());
          last = now;
        }
        seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      }
      for (auto id : ids)
        if (session.state(id) != ATTNRT_REQUEST_FINISHED)
          throw std::runtime_error("request failed: " + session.message(id));
      if (cmd == "logits") {
        auto logits = session.promptLogits(ids[0]);
        std::FILE *f = std::fopen(logitsPath.c_str(), "wb");
        if (!f || std::fwrite(logits.data(), sizeof(float), logits.size(), f) != logits.size())
          throw std::runtime_error("cannot write " + logitsPath);
        std::fclose(f);
      }
      std::string steps = "[";
      for (std::size_t i = 0; i < stepMs.size(); ++i)
        steps += (i ? "," : "") + std::to_string(stepMs[i]);
      steps += "]";
      std::printf("{\"cmd\":\"%s\",\"batch\":%d,\"prompt_tokens\":%zu,\"new_tokens\":%d,"
                  "\"seconds\":%.9f,\"steps\":%d,\"step_ms\":%s,\"tokens\":%s}\n",
                  cmd.c_str(), batch, promptTokens, newTokens, seconds, timedSteps,
                  steps.c_str(), tokensJson(session, ids).c_str());
      std::fflush(stdout);
      for (auto id : ids)
        session.release(id);
    }
  } catch (const std::exception &e) {
    std::printf("{\"error\":\"%s\"}\n", e.what());
    return 1;
  }
  return 0;
}
