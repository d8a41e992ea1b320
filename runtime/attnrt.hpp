// Thin C++17 wrapper over the C API (attnrt.h): RAII ownership of the engine,
// std::vector in and out, and attnrt::ApiError thrown on any failing status.
// Header-only; it uses nothing but attnrt.h, so it is what a service embeds.
#pragma once

#include "runtime/attnrt.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnrt {

class ApiError : public std::runtime_error {
public:
  ApiError(attnrt_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  attnrt_status status() const { return status_; }

private:
  attnrt_status status_;
};

struct GenerateOptions {
  std::int32_t maxNewTokens = 16;
  float temperature = 0.0f; // 0 = greedy
  std::int32_t topK = 0;
  float topP = 1.0f;
  std::uint64_t seed = 0;
  std::optional<std::int32_t> stopToken;
  bool wantPromptLogits = false;
};

class Session {
public:
  explicit Session(const std::string &artifactDir, const attnrt_engine_options *options = nullptr) {
    char error[1024];
    check(attnrt_engine_open(artifactDir.c_str(), options, &engine_, error, sizeof error), error);
  }
  ~Session() { attnrt_engine_close(engine_); }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  Session(Session &&other) noexcept : engine_(other.engine_) { other.engine_ = nullptr; }
  Session &operator=(Session &&other) noexcept {
    if (this != &other) {
      attnrt_engine_close(engine_);
      engine_ = other.engine_;
      other.engine_ = nullptr;
    }
    return *this;
  }

  attnrt_model_info info() const {
    attnrt_model_info result;
    char error[1024];
    check(attnrt_engine_info(engine_, &result, error, sizeof error), error);
    return result;
  }

  attnrt_engine_stats stats() const {
    attnrt_engine_stats result;
    char error[1024];
    check(attnrt_engine_get_stats(engine_, &result, error, sizeof error), error);
    return result;
  }

  std::int64_t addRequest(const std::vector<std::int32_t> &prompt,
                          const GenerateOptions &options = {}) {
    attnrt_request_params params;
    attnrt_request_params_init(&params);
    params.prompt = prompt.data();
    params.prompt_len = static_cast<std::int32_t>(prompt.size());
    params.max_new_tokens = options.maxNewTokens;
    params.sampling.temperature = options.temperature;
    params.sampling.top_k = options.topK;
    params.sampling.top_p = options.topP;
    params.sampling.seed = options.seed;
    params.has_stop_token = options.stopToken.has_value();
    params.stop_token = options.stopToken.value_or(0);
    params.want_prompt_logits = options.wantPromptLogits;
    std::int64_t id = 0;
    char error[1024];
    check(attnrt_add_request(engine_, &params, &id, error, sizeof error), error);
    return id;
  }

  // One step; returns the number of unfinished requests.
  std::int32_t step() {
    std::int32_t left = 0;
    char error[1024];
    check(attnrt_step(engine_, &left, error, sizeof error), error);
    return left;
  }
  void run() {
    char error[1024];
    check(attnrt_run(engine_, error, sizeof error), error);
  }

  attnrt_request_state state(std::int64_t id) const {
    attnrt_request_state result;
    char error[1024];
    check(attnrt_request_status(engine_, id, &result, nullptr, nullptr, error, sizeof error),
          error);
    return result;
  }
  attnrt_finish_reason finishReason(std::int64_t id) const {
    attnrt_finish_reason result;
    char error[1024];
    check(attnrt_request_status(engine_, id, nullptr, &result, nullptr, error, sizeof error),
          error);
    return result;
  }
  // Why the request failed; empty unless state() is ATTNRT_REQUEST_FAILED.
  std::string message(std::int64_t id) const {
    char message[2048];
    char error[1024];
    check(attnrt_request_message(engine_, id, message, sizeof message, error, sizeof error),
          error);
    return message;
  }
  std::vector<std::int32_t> tokens(std::int64_t id) const {
    std::int32_t count = 0;
    char error[1024];
    check(attnrt_request_tokens(engine_, id, nullptr, 0, &count, error, sizeof error), error);
    std::vector<std::int32_t> result(static_cast<std::size_t>(count));
    check(attnrt_request_tokens(engine_, id, result.data(), count, &count, error, sizeof error),
          error);
    return result;
  }
  // [prompt_len * vocab] floats, row-major, when the request asked for them.
  std::vector<float> promptLogits(std::int64_t id) const {
    std::uint64_t count = 0;
    char error[1024];
    check(attnrt_request_prompt_logits(engine_, id, nullptr, 0, &count, error, sizeof error),
          error);
    std::vector<float> result(static_cast<std::size_t>(count));
    check(attnrt_request_prompt_logits(engine_, id, result.data(), count, &count, error,
                                       sizeof error),
          error);
    return result;
  }
  void release(std::int64_t id) {
    char error[1024];
    check(attnrt_release_request(engine_, id, error, sizeof error), error);
  }

  attnrt_engine *handle() const { return engine_; }

private:
  static void check(attnrt_status status, const char *error) {
    if (status != ATTNRT_OK)
      throw ApiError(status, std::string(attnrt_status_name(status)) + ": " + error);
  }

  attnrt_engine *engine_ = nullptr;
};

} // namespace attnrt
