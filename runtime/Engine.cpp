#include "runtime/Engine.h"

#include "runtime/Error.h"
#include "runtime/MappedFile.h"
#include "runtime/QuantizedKV.h"
#include "runtime/Version.h"
#include "runtime/WeightLoader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace attnrt {

// Owns what libmodel.so hands out, torn down in reverse: instance, weights
// (the instance reads them), then the library (its code runs destroy).
class Engine::ModelLibrary {
public:
  ~ModelLibrary() {
    if (instance && desc && desc->free_cache)
      for (void *base : deviceCaches)
        desc->free_cache(instance, base);
    if (instance && desc && desc->destroy)
      desc->destroy(instance);
    weights.reset();
    if (handle)
      dlclose(handle);
  }
  void *handle = nullptr;
  const attnc_model_desc *desc = nullptr;
  std::shared_ptr<const MappedFile> weights;
  void *instance = nullptr;
  std::vector<void *> deviceCaches; // KV pools the instance allocated (alloc_cache)
};

namespace {

template <typename T>
void expectSame(const std::string &what, T fromManifest, T fromModel) {
  if (fromManifest != fromModel)
    throw Error(ErrorCode::Corrupt, "manifest.json and libmodel.so disagree on " + what +
                                        ": " + std::to_string(fromManifest) + " vs " +
                                        std::to_string(fromModel));
}

// Checks libmodel.so's description against the manifest it shipped with.
void checkModelMatchesManifest(const attnc_model_desc &desc, const Manifest &m) {
  expectSame("num_layers", m.architecture.numLayers, desc.num_layers);
  expectSame("vocab_size", m.architecture.vocabSize, desc.vocab_size);
  expectSame("hidden_size", m.architecture.hiddenSize, desc.hidden_size);
  expectSame("max_context", m.architecture.maxContext, desc.max_context);
  expectSame("page_size", m.pageSize, desc.page_size);
  expectSame("max_batch_tokens", m.maxBatchTokens, desc.max_batch_tokens);
  expectSame("the number of cache groups", static_cast<std::int32_t>(m.cacheGroups.size()),
             desc.num_groups);
  expectSame<std::uint64_t>("weights bytes", m.weights.bytes, desc.weights_bytes);
  if (desc.target == nullptr || m.target != desc.target)
    throw Error(ErrorCode::Corrupt, "manifest.json and libmodel.so disagree on the target: " +
                                        m.target + " vs " +
                                        (desc.target ? desc.target : "(null)"));
  if (desc.num_groups <= 0 || desc.groups == nullptr || desc.num_layers <= 0 ||
      desc.layers == nullptr)
    throw Error(ErrorCode::Model, "libmodel.so describes no cache groups or no layers");
  if (!desc.create || !desc.step || !desc.destroy)
    throw Error(ErrorCode::Model, "libmodel.so lacks its create, step or destroy function");
  for (std::int32_t g = 0; g < desc.num_groups; ++g)
    expectSame("cache_groups[" + std::to_string(g) + "].window", m.cacheGroups[g].window,
               desc.groups[g].window);
  for (std::int32_t l = 0; l < desc.num_layers; ++l) {
    const attnc_layer_cache &a = m.layers[l], &b = desc.layers[l];
    std::string at = "layers[" + std::to_string(l) + "].";
    expectSame(at + "group", a.group, b.group);
    expectSame(at + "kv_heads", a.kv_heads, b.kv_heads);
    expectSame(at + "head_dim", a.head_dim, b.head_dim);
    expectSame(at + "v_head_dim", a.v_head_dim, b.v_head_dim);
    expectSame(at + "elem_bytes", a.elem_bytes, b.elem_bytes);
    expectSame(at + "kv_type", a.kv_type, b.kv_type);
  }
}

static_assert(ATTNC_KV_MODEL == static_cast<int>(KvType::Model) &&
                  ATTNC_KV_INT8 == static_cast<int>(KvType::Int8) &&
                  ATTNC_KV_FP8_E4M3 == static_cast<int>(KvType::Fp8E4M3),
              "ModelABI.h's ATTNC_KV_* codes are QuantizedKV.h's KvType");

// The one page-size formula (runtime/QuantizedKV.h), scales included.
std::uint64_t pageBytes(const attnc_layer_cache &layer, std::int32_t pageSize) {
  return static_cast<std::uint64_t>(
      kvquant::page_bytes(static_cast<KvType>(layer.kv_type), pageSize, layer.kv_heads,
                          layer.head_dim, layer.v_head_dim, layer.elem_bytes));
}

// EngineOptions::overlapSteps, unless ATTNC_OVERLAP_STEPS says 1 or 0. Any
// other value is named on stderr (a typo must not switch it unseen).
bool overlapSetting(bool option) {
  const char *v = std::getenv("ATTNC_OVERLAP_STEPS");
  if (!v || !*v)
    return option;
  if (std::strcmp(v, "0") == 0 || std::strcmp(v, "1") == 0)
    return v[0] == '1';
  std::fprintf(stderr, "attnrt: ATTNC_OVERLAP_STEPS='%s' is neither 1 nor 0; steps %s\n", v,
               option ? "overlap (the engine option)" : "run one at a time (the engine option)");
  return option;
}

constexpr std::uint64_t kDefaultCacheCap = 1ull << 30;
constexpr std::size_t kCacheAlignment = 64;

} // namespace

std::unique_ptr<Engine> Engine::open(const std::string &artifactDir,
                                     const EngineOptions &options) {
  if (options.numThreads <= 0)
    throw Error(ErrorCode::InvalidArgument,
                "threads must be positive, got " + std::to_string(options.numThreads));
  if (options.kvPages < 0 || options.kvPages > std::numeric_limits<std::int32_t>::max())
    throw Error(ErrorCode::InvalidArgument,
                "KV pages must be in [1, 2^31), got " + std::to_string(options.kvPages));
  if (options.maxBatchTokens < 0)
    throw Error(ErrorCode::InvalidArgument, "max batch tokens must be positive, got " +
                                                std::to_string(options.maxBatchTokens));

  std::unique_ptr<Engine> engine(new Engine());
  engine->manifest_ = loadManifest(artifactPath(artifactDir, "manifest.json"));
  const Manifest &m = engine->manifest_;
  if (m.weights.stripped)
    throw Error(ErrorCode::Io,
                artifactDir + ": the artifact was compiled with --strip-weights and has no " +
                    m.weights.file + " yet; run `attnc pack " + artifactDir +
                    " --from MODEL.onnx` (or attnc-pack) where the model's weights are");

  auto model = std::make_unique<ModelLibrary>();
  std::string libraryPath = artifactPath(artifactDir, "libmodel.so");
  model->handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!model->handle) {
    const char *why = dlerror();
    throw Error(ErrorCode::Model, "cannot load " + libraryPath + ": " + (why ? why : "unknown"));
  }
  void *entry = dlsym(model->handle, ATTNC_MODEL_ENTRY_SYMBOL);
  if (!entry)
    throw Error(ErrorCode::Model, libraryPath + ": no symbol " ATTNC_MODEL_ENTRY_SYMBOL
                                                " (not an attnc model, or another ABI)");
  model->desc = reinterpret_cast<attnc_model_entry_fn>(entry)();
  const attnc_model_desc *desc = model->desc;
  if (!desc)
    throw Error(ErrorCode::Model, libraryPath + ": " ATTNC_MODEL_ENTRY_SYMBOL " returned null");
  if (desc->abi_version != ATTNC_MODEL_ABI_VERSION || !desc->attnc_version ||
      std::strcmp(desc->attnc_version, kAttncVersion) != 0)
    throw Error(ErrorCode::Version,
                libraryPath + ": built by attnc " +
                    (desc->attnc_version ? desc->attnc_version : "(unknown)") + " (model ABI " +
                    std::to_string(desc->abi_version) + ") but this runtime is attnc " +
                    kAttncVersion + " (model ABI " + std::to_string(ATTNC_MODEL_ABI_VERSION) +
                    ")");
  checkModelMatchesManifest(*desc, m);
  if ((desc->alloc_cache == nullptr) != (desc->free_cache == nullptr))
    throw Error(ErrorCode::Model, libraryPath + ": alloc_cache and free_cache come in pairs");
  if ((desc->features & ATTNC_FEATURE_OVERLAP) && (!desc->submit || !desc->finish))
    throw Error(ErrorCode::Model,
                libraryPath + ": a model with ATTNC_FEATURE_OVERLAP needs submit and finish");
  if (m.target != "cpu" && !desc->alloc_cache)
    throw Error(ErrorCode::Model, libraryPath + ": a '" + m.target +
                                      "' model must allocate its own KV cache (alloc_cache)");

  model->weights = loadWeights(artifactPath(artifactDir, m.weights.file), m.weights);

  char error[1024] = {0};
  if (desc->create(model->weights->data(), model->weights->size(), options.numThreads,
                   &model->instance, error, sizeof error) != 0) {
    model->instance = nullptr;
    throw Error(ErrorCode::Model, libraryPath + ": create failed: " +
                                      (error[0] ? std::string(error) : "(no message)"));
  }

  // KV page pools: the same number of pages in every group.
  std::uint64_t bytesPerPageAllLayers = 0;
  for (const attnc_layer_cache &layer : m.layers)
    bytesPerPageAllLayers += pageBytes(layer, m.pageSize);
  std::int64_t pages = options.kvPages;
  if (pages == 0 && options.kvCacheBytes > 0) {
    pages = static_cast<std::int64_t>(std::min<std::uint64_t>(
        options.kvCacheBytes / bytesPerPageAllLayers, std::numeric_limits<std::int32_t>::max()));
    if (pages == 0)
      throw Error(ErrorCode::OutOfPages,
                  "a KV cache of " + std::to_string(options.kvCacheBytes) +
                      " bytes cannot hold one page per layer (" +
                      std::to_string(bytesPerPageAllLayers) + " bytes)");
  }
  if (pages == 0) {
    // 64-bit: both operands may be near INT32_MAX in a hostile manifest.
    std::int64_t pageSize = m.pageSize;
    std::int64_t perSequence = (std::int64_t{m.architecture.maxContext} + pageSize - 1) / pageSize;
    std::int64_t perStep = (std::int64_t{desc->max_batch_tokens} + pageSize - 1) / pageSize + 1;
    std::int64_t cap = static_cast<std::int64_t>(kDefaultCacheCap / bytesPerPageAllLayers);
    pages = std::max<std::int64_t>(std::min(4 * perSequence, cap), perStep);
  }
  for (const attnc_layer_cache &layer : m.layers) {
    std::uint64_t bytes = static_cast<std::uint64_t>(pages) * pageBytes(layer, m.pageSize);
    if (desc->alloc_cache) { // device memory, owned by the instance
      void *base = nullptr;
      if (desc->alloc_cache(model->instance, bytes, &base, error, sizeof error) != 0 || !base)
        throw Error(ErrorCode::OutOfPages,
                    "cannot allocate " + std::to_string(bytes) + " bytes of KV cache for " +
                        std::to_string(pages) + " pages: " +
                        (error[0] ? std::string(error) : "(no message)") + "; ask for fewer pages");
      model->deviceCaches.push_back(base);
      engine->layerCache_.push_back(base);
      continue;
    }
    std::unique_ptr<std::uint8_t[]> storage(new (std::nothrow)
                                                std::uint8_t[bytes + kCacheAlignment]());
    if (!storage)
      throw Error(ErrorCode::OutOfPages, "cannot allocate " + std::to_string(bytes) +
                                             " bytes of KV cache for " + std::to_string(pages) +
                                             " pages; ask for fewer pages");
    std::uintptr_t base = reinterpret_cast<std::uintptr_t>(storage.get());
    std::uintptr_t aligned = (base + kCacheAlignment - 1) & ~(kCacheAlignment - 1);
    engine->layerCache_.push_back(reinterpret_cast<void *>(aligned));
    engine->cacheStorage_.push_back(std::move(storage));
  }
  std::vector<CacheGroupConfig> groups;
  for (const attnc_cache_group &group : m.cacheGroups)
    groups.push_back({group.window, static_cast<std::int32_t>(pages)});
  engine->cache_ = std::make_unique<KVCacheManager>(m.pageSize, groups);

  std::int32_t maxBatchTokens = desc->max_batch_tokens;
  if (options.maxBatchTokens > 0)
    maxBatchTokens = std::min(maxBatchTokens, options.maxBatchTokens);
  engine->scheduler_ = std::make_unique<Scheduler>(
      SchedulerConfig{maxBatchTokens, desc->max_context}, *engine->cache_);

  ModelInfo &info = engine->info_;
  info.attncVersion = m.attncVersion;
  info.target = m.target;
  info.numLayers = desc->num_layers;
  info.vocabSize = desc->vocab_size;
  info.maxContext = desc->max_context;
  info.pageSize = desc->page_size;
  info.maxBatchTokens = maxBatchTokens;
  info.numGroups = desc->num_groups;
  info.kvPagesPerGroup = pages;
  engine->overlap_ =
      (desc->features & ATTNC_FEATURE_OVERLAP) != 0 && overlapSetting(options.overlapSteps);
  engine->model_ = std::move(model);
  return engine;
}

Engine::~Engine() {
  if (inflight_) // the model wants every submitted step finished
    discard(*inflight_);
}

RequestId Engine::addRequest(const RequestParams &params) {
  const std::int32_t vocab = info_.vocabSize;
  if (params.prompt.empty())
    throw Error(ErrorCode::InvalidArgument, "the prompt is empty");
  for (std::size_t i = 0; i < params.prompt.size(); ++i)
    if (params.prompt[i] < 0 || params.prompt[i] >= vocab)
      throw Error(ErrorCode::InvalidArgument,
                  "prompt token id " + std::to_string(params.prompt[i]) + " at index " +
                      std::to_string(i) + " is outside the vocabulary [0, " +
                      std::to_string(vocab) + ")");
  if (params.prompt.size() > static_cast<std::size_t>(info_.maxContext))
    throw Error(ErrorCode::InvalidArgument,
                "the prompt has " + std::to_string(params.prompt.size()) +
                    " tokens but the model's context is " + std::to_string(info_.maxContext) +
                    " tokens");
  if (params.maxNewTokens < 0)
    throw Error(ErrorCode::InvalidArgument,
                "max_new_tokens must be >= 0, got " + std::to_string(params.maxNewTokens));
  if (params.stopToken && (*params.stopToken < 0 || *params.stopToken >= vocab))
    throw Error(ErrorCode::InvalidArgument,
                "stop token id " + std::to_string(*params.stopToken) +
                    " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  validateSamplingParams(params.sampling);

  RequestId id = nextId_;
  scheduler_->add(id, params.prompt, params.wantPromptLogits);
  ++nextId_;
  Request &r = requests_[id];
  r.params = params;
  r.rng = SamplerRng(params.sampling.seed);
  if (params.wantPromptLogits)
    r.result.promptLogits.reserve(params.prompt.size() * static_cast<std::size_t>(vocab));
  return id;
}

Engine::Request &Engine::request(RequestId id) {
  auto it = requests_.find(id);
  if (it == requests_.end())
    throw Error(ErrorCode::NotFound, "no request with id " + std::to_string(id));
  return it->second;
}

const void *Engine::weightsData() const { return model_->weights->data(); }
void *Engine::libraryHandle() const { return model_->handle; }

const RequestResult &Engine::result(RequestId id) const {
  auto it = requests_.find(id);
  if (it == requests_.end())
    throw Error(ErrorCode::NotFound, "no request with id " + std::to_string(id));
  return it->second.result;
}

void Engine::releaseRequest(RequestId id) {
  request(id); // throws for unknown ids
  scheduler_->remove(id);
  requests_.erase(id);
}

void Engine::finish(RequestId id, Request &r, FinishReason reason) {
  r.result.state = RequestState::Finished;
  r.result.reason = reason;
  scheduler_->remove(id);
}

void Engine::failRequest(RequestId id, const std::string &message) {
  auto it = requests_.find(id);
  if (it != requests_.end()) {
    it->second.result.state = RequestState::Failed;
    it->second.result.error = message;
  }
  scheduler_->remove(id);
}

std::size_t Engine::step() {
  Submitted *current = inflight_;
  inflight_ = nullptr;
  if (!current) {
    StepPlan plan = scheduler_->schedule();
    for (const SequenceFailure &failure : plan.failed)
      failRequest(failure.seq, failure.message);
    if (plan.empty())
      return scheduler_->numSequences();
    // Preempted first: a sequence preempted and readmitted in one step runs.
    for (SeqId seq : plan.preempted)
      if (requests_.count(seq) && scheduler_->has(seq))
        request(seq).result.state = RequestState::Waiting;
    for (SeqId seq : plan.seqs)
      request(seq).result.state = RequestState::Running;
    current = &submitted_[0];
    current->plan = std::move(plan);
    current->tokenSource.clear();
    std::string message;
    if (!submit(*current, message)) {
      // The cache pages this step wrote are unspecified, so its sequences
      // cannot continue; the others never shared pages with them.
      for (SeqId seq : current->plan.seqs)
        failRequest(seq, message);
      throw Error(ErrorCode::Model, message);
    }
  }

  std::string aheadFailure;
  Submitted *next = overlap_ ? submitAhead(*current, aheadFailure) : nullptr;
  try {
    readBack(*current, next != nullptr || !aheadFailure.empty());
  } catch (const Error &) {
    if (next) // its sequences are the failed step's
      discard(*next);
    throw;
  }
  if (!aheadFailure.empty()) // its requests failed in submitAhead
    throw Error(ErrorCode::Model, aheadFailure);
  if (next) {
    bool wanted = false;
    for (SeqId seq : next->plan.seqs)
      wanted = wanted || scheduler_->has(seq);
    if (wanted)
      inflight_ = next;
    else
      discard(*next); // every sequence of it ended in the step before
  }
  return scheduler_->numSequences();
}

bool Engine::submit(Submitted &s, std::string &message) {
  const StepPlan &plan = s.plan;
  const std::int32_t vocab = info_.vocabSize;
  std::vector<const std::int32_t *> tables;
  for (const std::vector<std::int32_t> &table : plan.blockTables)
    tables.push_back(table.data());
  // A model with ATTNC_FEATURE_ARGMAX returns greedy tokens instead of rows
  // of logits when that is all the step needs: every row is sampled
  // greedily and none is a prompt logit kept for the caller. A device model
  // then copies N integers back instead of N x vocab floats, and nothing
  // scans them here.
  const attnc_model_desc *desc = model_->desc;
  s.modelArgmax = (desc->features & ATTNC_FEATURE_ARGMAX) != 0 && !plan.logitRows.empty();
  for (std::size_t i = 0; s.modelArgmax && i < plan.logitRows.size(); ++i) {
    const LogitRow &row = plan.logitRows[i];
    s.modelArgmax = !row.promptLogit && isGreedy(request(row.seq).params.sampling);
  }
  // Not cleared: the step writes every row asked for (zeroing them cost a
  // pass over N x vocab floats per step: ~15 us at 16 rows of 32k).
  if (s.modelArgmax)
    s.argmax.resize(plan.logitTokens.size());
  else
    s.logits.resize(plan.logitTokens.size() * static_cast<std::size_t>(vocab));

  attnc_step_args args{};
  args.num_tokens = static_cast<std::int32_t>(plan.tokenIds.size());
  args.token_ids = plan.tokenIds.data();
  args.positions = plan.positions.data();
  args.num_seqs = static_cast<std::int32_t>(plan.seqs.size());
  args.query_start = plan.queryStart.data();
  args.context_len = plan.contextLen.data();
  args.blocks_per_seq = plan.blocksPerSeq;
  args.block_tables = tables.data();
  args.layer_cache = layerCache_.data();
  args.num_logits = static_cast<std::int32_t>(plan.logitTokens.size());
  args.logit_tokens = plan.logitTokens.data();
  args.logits = s.modelArgmax ? nullptr : s.logits.data();
  args.argmax = s.modelArgmax ? s.argmax.data() : nullptr;
  args.token_source = s.tokenSource.empty() ? nullptr : s.tokenSource.data();

  char error[1024] = {0};
  int rc = overlap_ ? desc->submit(model_->instance, &args, error, sizeof error)
                    : desc->step(model_->instance, &args, error, sizeof error);
  if (rc == 0)
    return true;
  message = "model step failed: " + (error[0] ? std::string(error) : std::string("(no message)"));
  return false;
}

Engine::Submitted *Engine::submitAhead(const Submitted &current, std::string &failure) {
  if (!current.modelArgmax)
    return nullptr;
  // The tokens `current` samples must all go on: none may end its request by
  // length (a stop token cannot be known, and is handled when read back).
  for (const LogitRow &row : current.plan.logitRows) {
    auto it = requests_.find(row.seq);
    if (it == requests_.end() || it->second.result.state != RequestState::Running)
      continue; // ended since (a step queued ahead): not in the next step
    const Request &r = it->second;
    const std::size_t generated = r.result.tokens.size() + 1;
    if (!row.sample || generated >= static_cast<std::size_t>(r.params.maxNewTokens) ||
        r.params.prompt.size() + generated >= static_cast<std::size_t>(info_.maxContext))
      return nullptr;
  }
  Submitted &next = &current == &submitted_[0] ? submitted_[1] : submitted_[0];
  next.plan = scheduler_->scheduleAhead(current.plan, /*placeholder=*/0);
  if (next.plan.empty())
    return nullptr;
  // A decode: token b is sequence b's, whose input is the greedy token of
  // its row in `current`.
  std::unordered_map<SeqId, std::int32_t> rowOf; // a batch of hundreds: no quadratic search
  for (std::size_t i = 0; i < current.plan.logitRows.size(); ++i)
    if (current.plan.logitRows[i].sample)
      rowOf[current.plan.logitRows[i].seq] = static_cast<std::int32_t>(i);
  next.tokenSource.assign(next.plan.tokenIds.size(), -1);
  for (std::size_t b = 0; b < next.plan.seqs.size(); ++b) {
    auto row = rowOf.find(next.plan.seqs[b]);
    if (row == rowOf.end()) // scheduleAhead only plans sequences `current` samples
      throw Error(ErrorCode::Internal, "engine: sequence " + std::to_string(next.plan.seqs[b]) +
                                           " was planned ahead without a row to read its token");
    next.tokenSource[b] = row->second;
  }
  if (!submit(next, failure)) {
    for (SeqId seq : next.plan.seqs)
      failRequest(seq, failure);
    return nullptr;
  }
  ++overlapped_;
  return &next;
}

void Engine::discard(Submitted &s) {
  char error[1024] = {0};
  if (overlap_) // a failure here follows the step before it, already reported
    model_->desc->finish(model_->instance, error, sizeof error);
  ++steps_;
  tokens_ += static_cast<std::int64_t>(s.plan.tokenIds.size());
}

void Engine::readBack(Submitted &s, bool followed) {
  const StepPlan &plan = s.plan;
  const std::int32_t vocab = info_.vocabSize;
  char error[1024] = {0};
  if (overlap_ && model_->desc->finish(model_->instance, error, sizeof error) != 0) {
    std::string message =
        "model step failed: " + (error[0] ? std::string(error) : std::string("(no message)"));
    for (SeqId seq : plan.seqs)
      failRequest(seq, message);
    throw Error(ErrorCode::Model, message);
  }
  if (!followed)
    scheduler_->commit(plan);
  ++steps_;
  tokens_ += static_cast<std::int64_t>(plan.tokenIds.size());

  for (std::size_t i = 0; i < plan.logitRows.size(); ++i) {
    const LogitRow &row = plan.logitRows[i];
    auto it = requests_.find(row.seq);
    if (it == requests_.end() || it->second.result.state != RequestState::Running)
      continue; // released, or ended while this step was queued
    Request &r = it->second;
    const float *rowLogits =
        s.modelArgmax ? nullptr : s.logits.data() + i * static_cast<std::size_t>(vocab);
    if (row.promptLogit)
      r.result.promptLogits.insert(r.result.promptLogits.end(), rowLogits, rowLogits + vocab);
    if (!row.sample)
      continue;
    if (static_cast<std::int32_t>(r.result.tokens.size()) >= r.params.maxNewTokens) {
      finish(row.seq, r, FinishReason::Length); // max_new_tokens == 0: prompt logits only
      continue;
    }
    std::int32_t token;
    try {
      token = s.modelArgmax ? modelArgmaxToken(s.argmax[i], vocab)
                            : sampleToken(rowLogits, vocab, r.params.sampling, r.rng);
    } catch (const Error &e) {
      failRequest(row.seq, e.what());
      continue;
    }
    r.result.tokens.push_back(token);
    ++generated_;
    std::size_t length = r.params.prompt.size() + r.result.tokens.size();
    if (r.params.stopToken && token == *r.params.stopToken)
      finish(row.seq, r, FinishReason::Stop);
    else if (static_cast<std::int32_t>(r.result.tokens.size()) == r.params.maxNewTokens)
      finish(row.seq, r, FinishReason::Length);
    else if (length >= static_cast<std::size_t>(info_.maxContext))
      finish(row.seq, r, FinishReason::ContextFull);
    else if (followed) // the step queued ahead reads it on the device
      scheduler_->setLastToken(row.seq, token);
    else
      scheduler_->appendToken(row.seq, token);
  }
}

EngineStats Engine::stats() const {
  EngineStats s;
  s.steps = steps_;
  s.tokens = tokens_;
  s.generated = generated_;
  s.preemptions = scheduler_->numPreemptions();
  s.overlapped = overlapped_;
  s.waiting = static_cast<std::int64_t>(scheduler_->numWaiting());
  s.running = static_cast<std::int64_t>(scheduler_->numRunning());
  for (std::int32_t g = 0; g < cache_->numGroups(); ++g) {
    s.kvPagesUsed += cache_->allocator(g).numUsed();
    s.kvPagesTotal += cache_->allocator(g).numPages();
  }
  return s;
}

void Engine::runToCompletion() {
  std::optional<Error> firstFailure;
  while (scheduler_->numSequences() > 0) {
    try {
      step();
    } catch (const Error &e) {
      if (e.code() != ErrorCode::Model)
        throw;
      if (!firstFailure)
        firstFailure = e;
    }
  }
  if (firstFailure)
    throw *firstFailure;
}

} // namespace attnrt
