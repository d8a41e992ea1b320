// The engine: one loaded artifact (manifest.json, libmodel.so, weights.bin),
// its KV page pools, the scheduler and the per-request state. It turns
// requests into model steps: schedule, run the model's step function, sample,
// append, finish. Single-threaded: the model parallelises inside a step.
//
// Errors are attnrt::Error (Error.h). A problem with one request (bad token
// id, prompt too long, cannot fit in the KV cache, NaN logits) fails that
// request only; the others go on.
#pragma once

#include "runtime/BlockTable.h"
#include "runtime/Manifest.h"
#include "runtime/ModelABI.h"
#include "runtime/Sampler.h"
#include "runtime/Scheduler.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnrt {

class MappedFile;

struct EngineOptions {
  std::int32_t numThreads = 1;
  // KV pages per cache group. 0: derived from kvCacheBytes, or the default
  // (enough for 4 sequences of max_context tokens, capped at 1 GiB of cache
  // and raised to at least one step's worth of pages).
  std::int64_t kvPages = 0;
  std::uint64_t kvCacheBytes = 0; // total over all layers; used when kvPages == 0
  std::int32_t maxBatchTokens = 0; // 0 = the model's; otherwise at most the model's
  // Queue greedy decodes one step ahead on models that overlap steps
  // (ATTNC_FEATURE_OVERLAP), so that the device does not wait for the host
  // between them. Off by default: on the H200 it made the 1.1B w8 / w4g128
  // decode 2-3% faster but f16 6% slower (BENCHMARKS.md). The environment's
  // ATTNC_OVERLAP_STEPS=1 / 0 overrides it.
  bool overlapSteps = false;
};

// Generation ends at max_new_tokens, after the stop token, or once prompt +
// generated reaches max_context (the token sampled last is never fed back to
// the model, so it may be the (max_context + 1)-th when the prompt fills the
// context).
struct RequestParams {
  std::vector<std::int32_t> prompt;
  std::int32_t maxNewTokens = 16;
  SamplingParams sampling;            // temperature 0 = greedy
  std::optional<std::int32_t> stopToken; // generation ends after emitting it
  bool wantPromptLogits = false;      // keep the logits of every prompt position
};

enum class RequestState { Waiting, Running, Finished, Failed };
enum class FinishReason { None, Length, Stop, ContextFull };

struct RequestResult {
  RequestState state = RequestState::Waiting;
  FinishReason reason = FinishReason::None;
  std::vector<std::int32_t> tokens;  // generated tokens (the stop token included)
  std::vector<float> promptLogits;   // [prompt_len, vocab] row-major when asked for
  std::string error;                 // why it failed
};

struct ModelInfo {
  std::string attncVersion;
  std::string target;
  std::int32_t numLayers = 0;
  std::int32_t vocabSize = 0;
  std::int32_t maxContext = 0;
  std::int32_t pageSize = 0;
  std::int32_t maxBatchTokens = 0; // effective (after EngineOptions)
  std::int32_t numGroups = 0;
  std::int64_t kvPagesPerGroup = 0;
};

using RequestId = std::int64_t;

struct EngineStats {
  std::int64_t steps = 0;       // model steps run
  std::int64_t tokens = 0;      // tokens those steps processed (prefill + decode + recompute)
  std::int64_t generated = 0;   // tokens sampled
  std::int64_t preemptions = 0; // sequences preempted by recompute
  std::int64_t waiting = 0;     // requests queued, not (re)admitted yet
  std::int64_t running = 0;     // requests holding KV pages
  std::int64_t kvPagesUsed = 0; // over all cache groups
  std::int64_t kvPagesTotal = 0;
  // Steps queued ahead: submitted before the step before them was read back
  // (models with ATTNC_FEATURE_OVERLAP; counted in steps too).
  std::int64_t overlapped = 0;
};

class Engine {
public:
  // Opens an artifact directory. Throws attnrt::Error: Io (missing files),
  // Version (other attnc version or ABI), Corrupt (bad manifest, weights that
  // fail the size/checksum check, manifest and libmodel.so disagreeing), Model
  // (libmodel.so cannot be loaded or created), OutOfPages (KV cache too small).
  static std::unique_ptr<Engine> open(const std::string &artifactDir,
                                      const EngineOptions &options = {});
  ~Engine();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  // Validates and queues a request. Throws attnrt::Error (InvalidArgument or
  // OutOfPages) naming the offending value; nothing is queued then.
  RequestId addRequest(const RequestParams &params);
  // Runs one step. Returns how many requests are still waiting or running.
  // If the model's step fails, the requests of that step fail with its
  // message, the others stay queued, and attnrt::Error (Model) is thrown.
  // With a model that overlaps steps (ATTNC_FEATURE_OVERLAP), a greedy
  // decode also queues the next decode before reading this one's tokens
  // (the device then never waits for the host between them): a call reads
  // one step back and may leave the next one in flight.
  std::size_t step();
  // Steps until every request finished or failed. Model step failures fail
  // their requests and the loop goes on; the first one is rethrown at the end.
  void runToCompletion();

  // Throws attnrt::Error (NotFound) for unknown ids.
  const RequestResult &result(RequestId id) const;
  // Forgets a request; an unfinished one is cancelled and its pages freed.
  void releaseRequest(RequestId id);

  const ModelInfo &info() const { return info_; }
  std::size_t numUnfinished() const { return scheduler_->numSequences(); }
  // The weights the model reads (weights.bin as mapped) and the dlopen
  // handle of its libmodel.so: for tools that look into a model's steps
  // (`attnc calibrate` maps linear weights back to their plan entries).
  const void *weightsData() const;
  void *libraryHandle() const;
  std::int64_t numPreemptions() const { return scheduler_->numPreemptions(); }
  EngineStats stats() const;
  const KVCacheManager &cache() const { return *cache_; }

private:
  struct Request {
    RequestParams params;
    RequestResult result;
    SamplerRng rng;
  };
  class ModelLibrary; // dlopen handle + instance

  // A step handed to the model, until its tokens are read back.
  struct Submitted {
    StepPlan plan;
    bool modelArgmax = false;              // greedy tokens instead of logits rows
    std::vector<std::int32_t> tokenSource; // [T] rows of the step before; empty: none
    std::vector<float> logits;
    std::vector<std::int32_t> argmax;
  };

  Engine() = default;
  // Hands `s` to the model (runs it, for a model that does not overlap).
  // False with `message` when the model refused it; nothing ran then.
  bool submit(Submitted &s, std::string &message);
  // The step after `current`, queued before `current` is read back, when the
  // scheduler can plan it now (Scheduler::scheduleAhead); nullptr otherwise.
  // `failure` gets the model's message if it refused the step.
  Submitted *submitAhead(const Submitted &current, std::string &failure);
  // Waits for `s` (overlapping models) and samples and appends its tokens;
  // `followed`: the step after it was planned ahead, so `s` is committed and
  // its sequences end in placeholders. Throws Error (Model) after failing its
  // requests if the step failed.
  void readBack(Submitted &s, bool followed);
  // Waits for a step whose results are not wanted (its sequences ended, or
  // failed with the step before it).
  void discard(Submitted &s);
  Request &request(RequestId id);
  void finish(RequestId id, Request &r, FinishReason reason);
  void failRequest(RequestId id, const std::string &message);

  Manifest manifest_;
  ModelInfo info_;
  std::unique_ptr<ModelLibrary> model_;
  std::vector<void *> layerCache_;                     // [num_layers] page pools
  std::vector<std::unique_ptr<std::uint8_t[]>> cacheStorage_;
  std::unique_ptr<KVCacheManager> cache_;
  std::unique_ptr<Scheduler> scheduler_;
  std::map<RequestId, Request> requests_;
  RequestId nextId_ = 1;
  std::int64_t steps_ = 0, tokens_ = 0, generated_ = 0;
  std::int64_t overlapped_ = 0;
  bool overlap_ = false;      // the model has ATTNC_FEATURE_OVERLAP
  Submitted submitted_[2];    // a step and the one queued ahead of its read-back
  Submitted *inflight_ = nullptr; // submitted, not read back yet (overlap_ only)
};

} // namespace attnrt
