// The C API over attnrt::Engine: every entry point catches everything.
#include "runtime/attnrt.h"

#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/Version.h"

#include <algorithm>
#include <cstring>
#include <new>

struct attnrt_engine {
  std::unique_ptr<attnrt::Engine> engine;
};

namespace {

void writeMessage(char *buffer, size_t length, const std::string &message) {
  if (!buffer || length == 0)
    return;
  size_t n = std::min(length - 1, message.size());
  std::memcpy(buffer, message.data(), n);
  buffer[n] = '\0';
}

// Runs `body`, mapping exceptions to a status and a message.
template <typename Body>
attnrt_status guarded(char *error, size_t errorLen, Body &&body) {
  writeMessage(error, errorLen, "");
  try {
    body();
    return ATTNRT_OK;
  } catch (const attnrt::Error &e) {
    writeMessage(error, errorLen, e.what());
    return static_cast<attnrt_status>(e.code());
  } catch (const std::bad_alloc &) {
    writeMessage(error, errorLen, "out of memory");
    return ATTNRT_ERR_INTERNAL;
  } catch (const std::exception &e) {
    writeMessage(error, errorLen, std::string("internal error: ") + e.what());
    return ATTNRT_ERR_INTERNAL;
  } catch (...) {
    writeMessage(error, errorLen, "internal error: unknown exception");
    return ATTNRT_ERR_INTERNAL;
  }
}

void require(const void *pointer, const char *name) {
  if (!pointer)
    throw attnrt::Error(attnrt::ErrorCode::InvalidArgument, std::string(name) + " is NULL");
}

attnrt::Engine &engineOf(const attnrt_engine *handle) {
  require(handle, "engine");
  require(handle->engine.get(), "engine");
  return *handle->engine;
}

} // namespace

extern "C" {

const char *attnrt_version(void) { return ATTNC_VERSION_STRING; }

const char *attnrt_status_name(attnrt_status status) {
  switch (status) {
  case ATTNRT_OK: return "ok";
  case ATTNRT_ERR_INVALID_ARGUMENT: return "invalid argument";
  case ATTNRT_ERR_IO: return "I/O error";
  case ATTNRT_ERR_VERSION: return "version mismatch";
  case ATTNRT_ERR_CORRUPT: return "corrupt artifact";
  case ATTNRT_ERR_MODEL: return "model error";
  case ATTNRT_ERR_OUT_OF_PAGES: return "out of KV pages";
  case ATTNRT_ERR_NOT_FOUND: return "not found";
  case ATTNRT_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

void attnrt_engine_options_init(attnrt_engine_options *options) {
  if (!options)
    return;
  *options = attnrt_engine_options{};
  options->num_threads = 1;
}

void attnrt_request_params_init(attnrt_request_params *params) {
  if (!params)
    return;
  *params = attnrt_request_params{};
  params->max_new_tokens = 16;
  params->sampling.top_p = 1.0f;
}

attnrt_status attnrt_engine_open(const char *artifact_dir, const attnrt_engine_options *options,
                                 attnrt_engine **engine, char *error, size_t error_len) {
  return guarded(error, error_len, [&] {
    require(artifact_dir, "artifact_dir");
    require(engine, "engine");
    *engine = nullptr;
    attnrt::EngineOptions opts;
    if (options) {
      opts.numThreads = options->num_threads;
      opts.kvPages = options->kv_pages;
      opts.kvCacheBytes = options->kv_cache_bytes;
      opts.maxBatchTokens = options->max_batch_tokens;
      opts.overlapSteps = options->overlap_steps != 0;
    }
    auto handle = std::make_unique<attnrt_engine>();
    handle->engine = attnrt::Engine::open(artifact_dir, opts);
    *engine = handle.release();
  });
}

void attnrt_engine_close(attnrt_engine *engine) {
  try {
    delete engine;
  } catch (...) {
  }
}

attnrt_status attnrt_engine_info(const attnrt_engine *engine, attnrt_model_info *info,
                                 char *error, size_t error_len) {
  return guarded(error, error_len, [&] {
    const attnrt::ModelInfo &src = engineOf(engine).info();
    require(info, "info");
    *info = attnrt_model_info{};
    writeMessage(info->attnc_version, sizeof info->attnc_version, src.attncVersion);
    writeMessage(info->target, sizeof info->target, src.target);
    info->num_layers = src.numLayers;
    info->vocab_size = src.vocabSize;
    info->max_context = src.maxContext;
    info->page_size = src.pageSize;
    info->max_batch_tokens = src.maxBatchTokens;
    info->num_groups = src.numGroups;
    info->kv_pages_per_group = src.kvPagesPerGroup;
  });
}

attnrt_status attnrt_engine_get_stats(const attnrt_engine *engine, attnrt_engine_stats *stats,
                                      char *error, size_t error_len) {
  return guarded(error, error_len, [&] {
    attnrt::EngineStats src = engineOf(engine).stats();
    require(stats, "stats");
    stats->steps = src.steps;
    stats->tokens = src.tokens;
    stats->generated = src.generated;
    stats->preemptions = src.preemptions;
    stats->waiting = src.waiting;
    stats->running = src.running;
    stats->kv_pages_used = src.kvPagesUsed;
    stats->kv_pages_total = src.kvPagesTotal;
    stats->overlapped = src.overlapped;
  });
}

attnrt_status attnrt_add_request(attnrt_engine *engine, const attnrt_request_params *params,
                                 int64_t *request_id, char *error, size_t error_len) {
  return guarded(error, error_len, [&] {
    attnrt::Engine &e = engineOf(engine);
    require(params, "params");
    require(request_id, "request_id");
    if (params->prompt_len < 0 || (params->prompt_len > 0 && !params->prompt))
      throw attnrt::Error(attnrt::ErrorCode::InvalidArgument,
                          "prompt_len " + std::to_string(params->prompt_len) +
                              " with a " + (params->prompt ? "non-NULL" : "NULL") + " prompt");
    attnrt::RequestParams request;
    request.prompt.assign(params->prompt, params->prompt + params->prompt_len);
    request.maxNewTokens = params->max_new_tokens;
    request.sampling.temperature = params->sampling.temperature;
    request.sampling.topK = params->sampling.top_k;
    request.sampling.topP = params->sampling.top_p;
    request.sampling.seed = params->sampling.seed;
    if (params->has_stop_token)
      request.stopToken = params->stop_token;
    request.wantPromptLogits = params->want_prompt_logits != 0;
    *request_id = e.addRequest(request);
  });
}

attnrt_status attnrt_step(attnrt_engine *engine, int32_t *num_unfinished, char *error,
                          size_t error_len) {
  return guarded(error, error_len, [&] {
    attnrt::Engine &e = engineOf(engine);
    if (num_unfinished)
      *num_unfinished = static_cast<int32_t>(e.numUnfinished());
    std::size_t left = e.step();
    if (num_unfinished)
      *num_unfinished = static_cast<int32_t>(left);
  });
}

attnrt_status attnrt_run(attnrt_engine *engine, char *error, size_t error_len) {
  return guarded(error, error_len, [&] { engineOf(engine).runToCompletion(); });
}

attnrt_status attnrt_request_status(const attnrt_engine *engine, int64_t request_id,
                                    attnrt_request_state *state, attnrt_finish_reason *reason,
                                    int32_t *num_tokens, char *error, size_t error_len) {
  return guarded(error, error_len, [&] {
    const attnrt::RequestResult &r = engineOf(engine).result(request_id);
    if (state)
      *state = static_cast<attnrt_request_state>(r.state);
    if (reason)
      *reason = static_cast<attnrt_finish_reason>(r.reason);
    if (num_tokens)
      *num_tokens = static_cast<int32_t>(r.tokens.size());
  });
}

attnrt_status attnrt_request_message(const attnrt_engine *engine, int64_t request_id,
                                     char *message, size_t message_len, char *error,
                                     size_t error_len) {
  return guarded(error, error_len, [&] {
    writeMessage(message, message_len, engineOf(engine).result(request_id).error);
  });
}

attnrt_status attnrt_request_tokens(const attnrt_engine *engine, int64_t request_id,
                                    int32_t *tokens, int32_t capacity, int32_t *count,
                                    char *error, size_t error_len) {
  return guarded(error, error_len, [&] {
    const attnrt::RequestResult &r = engineOf(engine).result(request_id);
    if (capacity < 0 || (capacity > 0 && !tokens))
      throw attnrt::Error(attnrt::ErrorCode::InvalidArgument,
                          "tokens buffer: capacity " + std::to_string(capacity));
    std::size_t n = std::min(r.tokens.size(), static_cast<std::size_t>(capacity));
    std::copy_n(r.tokens.begin(), n, tokens);
    if (count)
      *count = static_cast<int32_t>(r.tokens.size());
  });
}

attnrt_status attnrt_request_prompt_logits(const attnrt_engine *engine, int64_t request_id,
                                           float *logits, uint64_t capacity, uint64_t *count,
                                           char *error, size_t error_len) {
  return guarded(error, error_len, [&] {
    const attnrt::RequestResult &r = engineOf(engine).result(request_id);
    if (capacity > 0 && !logits)
      throw attnrt::Error(attnrt::ErrorCode::InvalidArgument, "logits buffer is NULL");
    std::size_t n = static_cast<std::size_t>(
        std::min<uint64_t>(r.promptLogits.size(), capacity));
    std::copy_n(r.promptLogits.begin(), n, logits);
    if (count)
      *count = r.promptLogits.size();
  });
}

attnrt_status attnrt_release_request(attnrt_engine *engine, int64_t request_id, char *error,
                                     size_t error_len) {
  return guarded(error, error_len, [&] { engineOf(engine).releaseRequest(request_id); });
}

} // extern "C"
