// End-to-end tests of the engine over the fake model (FakeModel.cpp), whose
// logits hash every K/V entry a query reads through the block tables: any
// scheduling, paging or window bug changes the generated tokens.
#include "runtime/Engine.h"

#include "runtime/Error.h"
#include "runtime/Manifest.h"
#include "runtime/Version.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <unistd.h>

namespace attnrt_test {
void writeFakeArtifact(const std::string &dir, std::uint64_t weightsSeed, bool ownsCache = false);
}

namespace {

using attnrt::Engine;
using attnrt::EngineOptions;
using attnrt::RequestParams;
using attnrt::RequestState;

constexpr int kVocab = 64, kMaxContext = 96, kWindow = 6, kPageSize = 4;

std::string artifact(const std::string &tag) {
  std::string dir = ::testing::TempDir() + "attnrt-artifact-" + tag + "-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(dir, 1);
  return dir;
}

const std::string &sharedArtifact() {
  static const std::string dir = artifact("shared");
  return dir;
}

RequestParams request(int length, int salt, int maxNew, float temperature = 0.0f) {
  RequestParams r;
  for (int i = 0; i < length; ++i)
    r.prompt.push_back((i * 13 + salt * 7 + 1) % (kVocab - 1)); // never the poison id 63
  r.maxNewTokens = maxNew;
  r.sampling.temperature = temperature;
  r.sampling.topK = temperature > 0 ? 20 : 0;
  r.sampling.topP = temperature > 0 ? 0.9f : 1.0f;
  r.sampling.seed = static_cast<std::uint64_t>(salt) * 1000 + 17;
  return r;
}

// Generated tokens (and prompt logits) of a request run alone on a roomy engine.
attnrt::RequestResult solo(const RequestParams &params) {
  auto engine = Engine::open(sharedArtifact());
  attnrt::RequestId id = engine->addRequest(params);
  engine->runToCompletion();
  return engine->result(id);
}

attnrt::Error openError(const std::string &dir, EngineOptions options = {}) {
  try {
    Engine::open(dir, options);
  } catch (const attnrt::Error &e) {
    return e;
  }
  return attnrt::Error(attnrt::ErrorCode::Internal, "(opened)");
}

attnrt::Error addError(Engine &engine, const RequestParams &params) {
  try {
    engine.addRequest(params);
  } catch (const attnrt::Error &e) {
    return e;
  }
  return attnrt::Error(attnrt::ErrorCode::Internal, "(added)");
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(Engine, OpensTheArtifactAndGenerates) {
  auto engine = Engine::open(sharedArtifact());
  const attnrt::ModelInfo &info = engine->info();
  EXPECT_EQ(info.vocabSize, kVocab);
  EXPECT_EQ(info.maxContext, kMaxContext);
  EXPECT_EQ(info.pageSize, kPageSize);
  EXPECT_EQ(info.numGroups, 2);
  EXPECT_EQ(info.attncVersion, attnrt::kAttncVersion);
  EXPECT_GT(info.kvPagesPerGroup, 0);
  attnrt::RequestId id = engine->addRequest(request(10, 1, 12));
  engine->runToCompletion();
  const attnrt::RequestResult &r = engine->result(id);
  EXPECT_EQ(r.state, RequestState::Finished);
  EXPECT_EQ(r.reason, attnrt::FinishReason::Length);
  ASSERT_EQ(r.tokens.size(), 12u);
  for (std::int32_t t : r.tokens)
    EXPECT_TRUE(t >= 0 && t < kVocab);
  // Deterministic, and dependent on the weights.
  EXPECT_EQ(solo(request(10, 1, 12)).tokens, r.tokens);
  std::string other = ::testing::TempDir() + "attnrt-artifact-seed2-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(other, 2);
  auto engine2 = Engine::open(other);
  attnrt::RequestId id2 = engine2->addRequest(request(10, 1, 12));
  engine2->runToCompletion();
  EXPECT_NE(engine2->result(id2).tokens, r.tokens);
  for (std::int32_t g = 0; g < 2; ++g)
    EXPECT_EQ(engine->cache().allocator(g).numUsed(), 0) << "pages leaked";
}

TEST(Engine, EightSequencesJoiningAndLeavingMatchTheirSoloRuns) {
  std::vector<RequestParams> params;
  for (int i = 0; i < 8; ++i) {
    RequestParams p = request(2 + i * 6, i, 3 + (i * 7) % 17, i % 3 == 2 ? 0.8f : 0.0f);
    p.wantPromptLogits = i % 2 == 0;
    params.push_back(p);
  }
  EngineOptions options;
  options.maxBatchTokens = 12; // forces chunked prefill next to decodes
  auto engine = Engine::open(sharedArtifact(), options);
  std::map<int, attnrt::RequestId> ids;
  std::size_t windowPeak = 0;
  for (int step = 0; engine->numUnfinished() > 0 || ids.size() < params.size(); ++step) {
    if (step % 3 == 0 && ids.size() < params.size()) {
      int next = static_cast<int>(ids.size());
      ids[next] = engine->addRequest(params[next]);
    }
    engine->step();
    windowPeak = std::max<std::size_t>(windowPeak, engine->cache().allocator(1).numUsed());
    ASSERT_LT(step, 1000);
  }
  for (auto [index, id] : ids) {
    const attnrt::RequestResult &batched = engine->result(id);
    attnrt::RequestResult alone = solo(params[index]);
    ASSERT_EQ(batched.state, RequestState::Finished) << batched.error;
    EXPECT_EQ(batched.tokens, alone.tokens) << "sequence " << index;
    EXPECT_EQ(batched.tokens.size(), static_cast<std::size_t>(params[index].maxNewTokens));
    if (params[index].wantPromptLogits) {
      EXPECT_EQ(batched.promptLogits.size(), params[index].prompt.size() * kVocab);
      EXPECT_EQ(batched.promptLogits, alone.promptLogits) << "sequence " << index;
    }
  }
  // The windowed group held far fewer pages than the full one would need.
  EXPECT_LE(windowPeak, 8u * ((kWindow - 1 + 12) / kPageSize + 2));
  EXPECT_EQ(engine->cache().allocator(0).numUsed(), 0);
  EXPECT_EQ(engine->cache().allocator(1).numUsed(), 0);
}

TEST(Engine, TinyPagePoolForcesPreemptionAndOutputsStillMatch) {
  EngineOptions options;
  options.kvPages = 14; // 56 tokens per group for four sequences of 30-40
  options.maxBatchTokens = 16;
  auto engine = Engine::open(sharedArtifact(), options);
  std::vector<RequestParams> params = {request(12, 1, 20), request(20, 2, 15, 1.0f),
                                       request(7, 3, 30), request(16, 4, 18)};
  params[1].wantPromptLogits = true;
  std::vector<attnrt::RequestId> ids;
  for (const RequestParams &p : params)
    ids.push_back(engine->addRequest(p));
  engine->runToCompletion();
  EXPECT_GT(engine->numPreemptions(), 0) << "the pool was meant to force preemption";
  for (std::size_t i = 0; i < params.size(); ++i) {
    const attnrt::RequestResult &r = engine->result(ids[i]);
    ASSERT_EQ(r.state, RequestState::Finished) << r.error;
    attnrt::RequestResult alone = solo(params[i]);
    EXPECT_EQ(r.tokens, alone.tokens) << "sequence " << i;
    EXPECT_EQ(r.promptLogits, alone.promptLogits) << "sequence " << i;
  }
}

TEST(Engine, ARequestThatCannotFitFailsWhileTheOthersFinish) {
  EngineOptions options;
  options.kvPages = 10; // 40 tokens per group
  auto engine = Engine::open(sharedArtifact(), options);
  // Rejected at once: the prompt alone exceeds the full-attention pool.
  attnrt::Error e = addError(*engine, request(45, 9, 1));
  EXPECT_EQ(e.code(), attnrt::ErrorCode::OutOfPages);
  EXPECT_TRUE(contains(e.what(), "45")) << e.what();
  // Accepted, but grows past the pool mid-run.
  attnrt::RequestId a = engine->addRequest(request(5, 1, 8));
  attnrt::RequestId big = engine->addRequest(request(30, 2, 30));
  attnrt::RequestId b = engine->addRequest(request(6, 3, 10));
  engine->runToCompletion();
  const attnrt::RequestResult &failed = engine->result(big);
  EXPECT_EQ(failed.state, RequestState::Failed);
  EXPECT_TRUE(contains(failed.error, "KV pages exhausted")) << failed.error;
  EXPECT_EQ(engine->result(a).tokens, solo(request(5, 1, 8)).tokens);
  EXPECT_EQ(engine->result(b).tokens, solo(request(6, 3, 10)).tokens);
  EXPECT_EQ(engine->result(a).state, RequestState::Finished);
  EXPECT_EQ(engine->cache().allocator(0).numUsed(), 0);
}

TEST(Engine, BadRequestsAreRejectedNamingTheValue) {
  auto engine = Engine::open(sharedArtifact());
  RequestParams outOfVocab = request(5, 1, 4);
  outOfVocab.prompt[3] = kVocab;
  attnrt::Error e = addError(*engine, outOfVocab);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(e.what(), "64")) << e.what();
  EXPECT_TRUE(contains(e.what(), "index 3")) << e.what();
  outOfVocab.prompt[3] = -7;
  EXPECT_TRUE(contains(addError(*engine, outOfVocab).what(), "-7"));

  attnrt::Error tooLong = addError(*engine, request(kMaxContext + 1, 1, 1));
  EXPECT_EQ(tooLong.code(), attnrt::ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(tooLong.what(), "97")) << tooLong.what();
  EXPECT_TRUE(contains(tooLong.what(), "96")) << tooLong.what();

  EXPECT_EQ(addError(*engine, request(0, 1, 1)).code(), attnrt::ErrorCode::InvalidArgument);
  RequestParams badSampling = request(3, 1, 1, 1.0f);
  badSampling.sampling.topP = 0.0f;
  EXPECT_TRUE(contains(addError(*engine, badSampling).what(), "top_p"));
  RequestParams badStop = request(3, 1, 1);
  badStop.stopToken = 1000;
  EXPECT_TRUE(contains(addError(*engine, badStop).what(), "1000"));
  RequestParams negative = request(3, 1, -1);
  EXPECT_EQ(addError(*engine, negative).code(), attnrt::ErrorCode::InvalidArgument);

  // Nothing was queued, and the engine still works.
  EXPECT_EQ(engine->numUnfinished(), 0u);
  attnrt::RequestId id = engine->addRequest(request(4, 2, 3));
  engine->runToCompletion();
  EXPECT_EQ(engine->result(id).tokens.size(), 3u);
  EXPECT_THROW(engine->result(12345), attnrt::Error);
}

TEST(Engine, StopTokenAndContextLimitEndGeneration) {
  attnrt::RequestResult free = solo(request(8, 5, 20));
  ASSERT_EQ(free.tokens.size(), 20u);
  RequestParams stopping = request(8, 5, 20);
  stopping.stopToken = free.tokens[4];
  std::size_t firstStop = std::find(free.tokens.begin(), free.tokens.end(), free.tokens[4]) - free.tokens.begin();
  attnrt::RequestResult stopped = solo(stopping);
  EXPECT_EQ(stopped.reason, attnrt::FinishReason::Stop);
  EXPECT_EQ(stopped.tokens,
            std::vector<std::int32_t>(free.tokens.begin(), free.tokens.begin() + firstStop + 1));

  attnrt::RequestResult full = solo(request(kMaxContext - 2, 1, 10));
  EXPECT_EQ(full.reason, attnrt::FinishReason::ContextFull);
  EXPECT_EQ(full.tokens.size(), 2u);

  // max_new_tokens 0: prompt logits only.
  RequestParams logitsOnly = request(5, 2, 0);
  logitsOnly.wantPromptLogits = true;
  attnrt::RequestResult scored = solo(logitsOnly);
  EXPECT_EQ(scored.state, RequestState::Finished);
  EXPECT_TRUE(scored.tokens.empty());
  EXPECT_EQ(scored.promptLogits.size(), 5u * kVocab);
}

TEST(Engine, PromptLogitsEndWithTheRowTheFirstTokenIsSampledFrom) {
  RequestParams p = request(9, 4, 1);
  p.wantPromptLogits = true;
  attnrt::RequestResult r = solo(p);
  ASSERT_EQ(r.promptLogits.size(), 9u * kVocab);
  const float *last = r.promptLogits.data() + 8 * kVocab;
  EXPECT_EQ(std::max_element(last, last + kVocab) - last, r.tokens[0]);
  // Rows differ by position (the model sees different contexts).
  EXPECT_FALSE(std::equal(last, last + kVocab, r.promptLogits.data() + 7 * kVocab));
}

TEST(Engine, WindowPagesAreReleasedDuringALongSequence) {
  EngineOptions options;
  options.maxBatchTokens = 8;
  auto engine = Engine::open(sharedArtifact(), options);
  attnrt::RequestId id = engine->addRequest(request(40, 6, 50));
  std::size_t peakWindow = 0, peakFull = 0;
  while (engine->numUnfinished() > 0) {
    engine->step();
    peakWindow = std::max<std::size_t>(peakWindow, engine->cache().allocator(1).numUsed());
    peakFull = std::max<std::size_t>(peakFull, engine->cache().allocator(0).numUsed());
  }
  EXPECT_EQ(engine->result(id).state, RequestState::Finished) << engine->result(id).error;
  EXPECT_EQ(peakFull, 90u / kPageSize);             // ceil(89 cached / 4) pages
  EXPECT_LE(peakWindow, (kWindow - 1 + 8) / kPageSize + 2); // window + one chunk
}

TEST(Engine, ReleasingAnUnfinishedRequestFreesItsPages) {
  auto engine = Engine::open(sharedArtifact());
  attnrt::RequestId id = engine->addRequest(request(20, 1, 30));
  engine->step();
  EXPECT_GT(engine->cache().allocator(0).numUsed(), 0);
  engine->releaseRequest(id);
  EXPECT_EQ(engine->cache().allocator(0).numUsed(), 0);
  EXPECT_EQ(engine->numUnfinished(), 0u);
  EXPECT_THROW(engine->releaseRequest(id), attnrt::Error);
}

TEST(Engine, AFailingModelStepFailsItsRequestsOnly) {
  auto engine = Engine::open(sharedArtifact());
  attnrt::RequestId good = engine->addRequest(request(4, 1, 10));
  engine->step(); // good is now decoding
  RequestParams poisoned = request(4, 2, 3);
  poisoned.prompt[0] = kVocab - 1; // the fake model fails on this token at position 0
  attnrt::RequestId bad = engine->addRequest(poisoned);
  EXPECT_THROW(engine->step(), attnrt::Error);
  EXPECT_EQ(engine->result(bad).state, RequestState::Failed);
  EXPECT_TRUE(contains(engine->result(bad).error, "poisoned")) << engine->result(bad).error;
  // The decode shared that step, so it failed too; a new request runs fine.
  EXPECT_EQ(engine->result(good).state, RequestState::Failed);
  attnrt::RequestId after = engine->addRequest(request(4, 1, 10));
  engine->runToCompletion();
  EXPECT_EQ(engine->result(after).tokens, solo(request(4, 1, 10)).tokens);
}

// ---- artifacts that must not open ------------------------------------------

void flipByte(const std::string &path, std::size_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char c;
  file.get(c);
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(c ^ 0x01));
}

TEST(Engine, CorruptWeightsAreRefused) {
  std::string dir = artifact("corrupt");
  flipByte(dir + "/weights.bin", 1000);
  attnrt::Error e = openError(dir);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::Corrupt);
  EXPECT_TRUE(contains(e.what(), "checksum mismatch")) << e.what();
  EXPECT_TRUE(contains(e.what(), "weights.bin")) << e.what();
}

TEST(Engine, TruncatedWeightsAreRefused) {
  std::string dir = artifact("truncated");
  ASSERT_EQ(::truncate((dir + "/weights.bin").c_str(), 1000), 0);
  attnrt::Error e = openError(dir);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::Corrupt);
  EXPECT_TRUE(contains(e.what(), "truncated")) << e.what();
  ASSERT_EQ(::truncate((dir + "/weights.bin").c_str(), 0), 0);
  EXPECT_TRUE(contains(openError(dir).what(), "truncated"));
}

void editManifest(const std::string &dir, const std::string &from, const std::string &to) {
  std::ifstream in(dir + "/manifest.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  std::ofstream(dir + "/manifest.json") << text;
}

TEST(Engine, AWeightStrippedArtifactIsRefusedWithTheCommandThatPacksIt) {
  std::string dir = artifact("stripped");
  editManifest(dir, "\"weights\": {", "\"weights\": {\"stripped\": true, ");
  attnrt::Error e = openError(dir);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::Io);
  EXPECT_TRUE(contains(e.what(), "--strip-weights")) << e.what();
  EXPECT_TRUE(contains(e.what(), "attnc pack " + dir + " --from MODEL.onnx")) << e.what();
}

TEST(Engine, ManifestFromAnotherVersionIsRefused) {
  std::string dir = artifact("version");
  editManifest(dir, std::string("\"") + attnrt::kAttncVersion + "\"", "\"0.0.1-old\"");
  attnrt::Error e = openError(dir);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::Version);
  EXPECT_TRUE(contains(e.what(), "0.0.1-old")) << e.what();
  EXPECT_TRUE(contains(e.what(), attnrt::kAttncVersion)) << e.what();

  std::string abi = artifact("abi");
  editManifest(abi, "\"abi_version\": " + std::to_string(ATTNC_MODEL_ABI_VERSION),
               "\"abi_version\": " + std::to_string(ATTNC_MODEL_ABI_VERSION + 1));
  EXPECT_EQ(openError(abi).code(), attnrt::ErrorCode::Version);
}

TEST(Engine, InconsistentOrIncompleteArtifactsAreRefused) {
  std::string dir = artifact("disagree");
  editManifest(dir, "\"vocab_size\": 64", "\"vocab_size\": 65");
  attnrt::Error e = openError(dir);
  EXPECT_EQ(e.code(), attnrt::ErrorCode::Corrupt);
  EXPECT_TRUE(contains(e.what(), "vocab_size")) << e.what();

  std::string noModel = artifact("nomodel");
  ::unlink((noModel + "/libmodel.so").c_str());
  EXPECT_EQ(openError(noModel).code(), attnrt::ErrorCode::Model);

  std::string noManifest = artifact("nomanifest");
  ::unlink((noManifest + "/manifest.json").c_str());
  attnrt::Error missing = openError(noManifest);
  EXPECT_EQ(missing.code(), attnrt::ErrorCode::Io);
  EXPECT_TRUE(contains(missing.what(), "manifest.json")) << missing.what();

  std::string notAModel = artifact("notamodel");
  std::ofstream(notAModel + "/libmodel.so") << "garbage";
  EXPECT_EQ(openError(notAModel).code(), attnrt::ErrorCode::Model);

  EngineOptions tiny;
  tiny.kvCacheBytes = 10; // less than one page
  EXPECT_EQ(openError(sharedArtifact(), tiny).code(), attnrt::ErrorCode::OutOfPages);
  EngineOptions badThreads;
  badThreads.numThreads = 0;
  EXPECT_EQ(openError(sharedArtifact(), badThreads).code(), attnrt::ErrorCode::InvalidArgument);
}

TEST(Engine, KvCacheBytesSizeThePools) {
  EngineOptions options;
  // Page bytes per layer: 4 tokens * 1 head * (2 + 1) * 4 bytes = 48; 3 layers.
  options.kvCacheBytes = 48 * 3 * 20 + 100;
  auto engine = Engine::open(sharedArtifact(), options);
  EXPECT_EQ(engine->info().kvPagesPerGroup, 20);
  EXPECT_EQ(engine->cache().allocator(0).numPages(), 20);
}

} // namespace

// A device model (target "cuda") allocates its own KV pools: the engine asks
// it for one per layer, passes them to every step, and frees them before the
// instance is destroyed. The fake's pools are host memory, so the tokens must
// equal the host-allocated run's.
TEST(Engine, ADeviceModelAllocatesAndFreesItsOwnKvPools) {
  std::string dir = ::testing::TempDir() + "attnrt-artifact-owncache-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(dir, 1, /*ownsCache=*/true);
  std::vector<std::int32_t> tokens;
  {
    auto engine = Engine::open(dir);
    EXPECT_EQ(engine->info().target, "cuda");
    attnrt::RequestId id = engine->addRequest(request(10, 1, 12));
    attnrt::RequestId other = engine->addRequest(request(30, 2, 8));
    engine->runToCompletion();
    EXPECT_EQ(engine->result(other).state, RequestState::Finished);
    tokens = engine->result(id).tokens;
  }
  EXPECT_EQ(tokens, solo(request(10, 1, 12)).tokens);

  // The pools it handed out were freed: open again, count, close.
  std::string library = dir + "/libmodel.so";
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto live = reinterpret_cast<int (*)()>(dlsym(handle, "attnrt_fake_live_caches"));
  ASSERT_NE(live, nullptr);
  {
    auto engine = Engine::open(dir);
    EXPECT_EQ(live(), 3) << "one pool per layer";
  }
  EXPECT_EQ(live(), 0) << "pools leaked";
  dlclose(handle);
}

// A device model with ATTNC_FEATURE_ARGMAX (the fake's device flavour) is
// asked for greedy tokens instead of logits in steps whose rows are all
// greedy and keep no prompt logits; other steps get logits as before. Tokens
// must equal the host flavour's, where the engine's sampler picks them.
TEST(Engine, ADeviceModelsGreedyTokensReplaceItsLogitsWhereTheyCan) {
  std::string dir = ::testing::TempDir() + "attnrt-artifact-argmax-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(dir, 1, /*ownsCache=*/true);
  auto engine = Engine::open(dir);
  // The engine's copy of the library (dlopen of a loaded path returns it).
  void *handle = dlopen((dir + "/libmodel.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto argmaxRows = reinterpret_cast<int (*)()>(dlsym(handle, "attnrt_fake_argmax_rows"));
  ASSERT_NE(argmaxRows, nullptr);

  auto run = [&](const std::vector<RequestParams> &params) {
    std::vector<attnrt::RequestId> ids;
    for (const RequestParams &p : params)
      ids.push_back(engine->addRequest(p));
    engine->runToCompletion();
    std::vector<attnrt::RequestResult> results;
    for (attnrt::RequestId id : ids)
      results.push_back(engine->result(id));
    return results;
  };
  const RequestParams greedy = request(10, 1, 12), sampled = request(12, 2, 9, 0.8f);
  RequestParams greedyTopK1 = request(7, 3, 5, 0.8f);
  greedyTopK1.sampling.topK = 1;
  RequestParams withPromptLogits = request(9, 4, 6);
  withPromptLogits.wantPromptLogits = true;

  // Greedy alone: every generated token is one argmax row.
  int before = argmaxRows();
  std::vector<attnrt::RequestResult> r = run({greedy, greedyTopK1});
  EXPECT_EQ(r[0].tokens, solo(greedy).tokens);
  EXPECT_EQ(r[1].tokens, solo(greedyTopK1).tokens);
  EXPECT_EQ(argmaxRows() - before, 12 + 5);

  // A sampled request, alone or sharing steps with a greedy one, and prompt
  // logits: logits rows, the same tokens as the host flavour's.
  before = argmaxRows();
  r = run({sampled});
  EXPECT_EQ(r[0].tokens, solo(sampled).tokens);
  EXPECT_EQ(argmaxRows(), before);
  r = run({sampled, greedy});
  EXPECT_EQ(r[0].tokens, solo(sampled).tokens);
  EXPECT_EQ(r[1].tokens, solo(greedy).tokens);
  before = argmaxRows();
  r = run({withPromptLogits});
  const attnrt::RequestResult expected = solo(withPromptLogits);
  EXPECT_EQ(r[0].tokens, expected.tokens);
  EXPECT_EQ(r[0].promptLogits, expected.promptLogits);
  // Its prefill row keeps logits; its 5 decode steps are greedy-only.
  EXPECT_EQ(argmaxRows() - before, 5);
  dlclose(handle);
}

// A NaN among a row's logits fails that request (its message names the
// token), whether the engine's sampler or the model's argmax meets it, also
// with the next decode already queued; a request beside it finishes.
TEST(Engine, ANaNLogitFailsItsRequestOnEitherPath) {
  std::string dir = ::testing::TempDir() + "attnrt-artifact-nan-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(dir, 1, /*ownsCache=*/true);
  EngineOptions ahead;
  ahead.overlapSteps = true;
  // Host sampler; device argmax; device argmax with the next decode queued
  // ahead (its token from the NaN row reads as 0, and its result is dropped).
  for (int path = 0; path < 3; ++path) {
    const std::string &artifactDir = path == 0 ? sharedArtifact() : dir;
    auto engine = Engine::open(artifactDir, path == 2 ? ahead : EngineOptions{});
    RequestParams broken = request(4, 5, 6);
    broken.prompt[0] = kVocab - 2; // the fake's NaN poison: (62, 63) at positions 0, 1
    broken.prompt[1] = kVocab - 1;
    attnrt::RequestId bad = engine->addRequest(broken);
    attnrt::RequestId good = engine->addRequest(request(6, 1, 8));
    engine->runToCompletion();
    const attnrt::RequestResult &r = engine->result(bad);
    EXPECT_EQ(r.state, RequestState::Failed) << artifactDir;
    EXPECT_TRUE(contains(r.error, "NaN") && contains(r.error, "for token 5"))
        << artifactDir << ": " << r.error;
    EXPECT_EQ(engine->result(good).state, RequestState::Finished) << artifactDir;
    EXPECT_EQ(engine->result(good).tokens, solo(request(6, 1, 8)).tokens) << artifactDir;
    if (path == 2)
      EXPECT_GT(engine->stats().overlapped, 0);
  }
}

// A device model that overlaps steps (the fake's device flavour), asked to
// (EngineOptions::overlapSteps): greedy decodes are queued one step ahead,
// their input tokens taken on the "device" from the step before. The tokens
// must equal the host flavour's, however requests end (length, stop token:
// the step queued past it is discarded), join or are released while a step
// is queued.
TEST(Engine, DecodesQueuedAheadGiveTheHostFlavoursTokens) {
  std::string dir = ::testing::TempDir() + "attnrt-artifact-ahead-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(dir, 1, /*ownsCache=*/true);

  EngineOptions ahead;
  ahead.overlapSteps = true;
  // One request alone: every decode but none of the prefill is queued ahead.
  {
    auto engine = Engine::open(dir, ahead);
    const RequestParams alone = request(5, 1, 40);
    attnrt::RequestId id = engine->addRequest(alone);
    engine->runToCompletion();
    EXPECT_EQ(engine->result(id).tokens, solo(alone).tokens);
    EXPECT_EQ(engine->stats().steps, 40);
    EXPECT_EQ(engine->stats().overlapped, 39);
    EXPECT_EQ(engine->cache().allocator(0).numUsed(), 0);
    // Off (the default): one step at a time, the same tokens.
    auto serial = Engine::open(dir);
    attnrt::RequestId again = serial->addRequest(alone);
    serial->runToCompletion();
    EXPECT_EQ(serial->result(again).tokens, engine->result(id).tokens);
    EXPECT_EQ(serial->stats().steps, 40);
    EXPECT_EQ(serial->stats().overlapped, 0);
  }
  // A stop token: the step queued after it ran and is thrown away.
  {
    const attnrt::RequestResult free = solo(request(8, 5, 20));
    RequestParams stopping = request(8, 5, 20);
    stopping.stopToken = free.tokens[4];
    const std::size_t stop =
        std::find(free.tokens.begin(), free.tokens.end(), free.tokens[4]) - free.tokens.begin();
    auto engine = Engine::open(dir, ahead);
    attnrt::RequestId id = engine->addRequest(stopping);
    engine->runToCompletion();
    const attnrt::RequestResult &r = engine->result(id);
    EXPECT_EQ(r.reason, attnrt::FinishReason::Stop);
    EXPECT_EQ(r.tokens, std::vector<std::int32_t>(free.tokens.begin(),
                                                  free.tokens.begin() + stop + 1));
    EXPECT_EQ(engine->stats().steps, static_cast<std::int64_t>(stop) + 2);
    EXPECT_EQ(engine->cache().allocator(0).numUsed(), 0);
    EXPECT_EQ(engine->cache().allocator(1).numUsed(), 0);
  }
  // Many: greedy ones with and without stop tokens, a sampled one (never
  // ahead), joining every few steps, one released mid-run.
  std::vector<RequestParams> params;
  for (int i = 0; i < 7; ++i) {
    RequestParams p = request(3 + i * 5, 10 + i, 6 + (i * 5) % 19, i == 3 ? 0.8f : 0.0f);
    if (i % 2 == 1) {
      const attnrt::RequestResult free = solo(p);
      p.stopToken = free.tokens[static_cast<std::size_t>(i) % free.tokens.size()];
    }
    params.push_back(p);
  }
  EngineOptions options = ahead;
  options.maxBatchTokens = 12;
  auto engine = Engine::open(dir, options);
  std::vector<attnrt::RequestId> ids;
  attnrt::RequestId released = engine->addRequest(request(10, 30, 50));
  for (int step = 0; engine->numUnfinished() > 0 || ids.size() < params.size(); ++step) {
    if (step % 4 == 0 && ids.size() < params.size())
      ids.push_back(engine->addRequest(params[ids.size()]));
    if (step == 9) {
      const std::vector<std::int32_t> sofar = engine->result(released).tokens;
      ASSERT_FALSE(sofar.empty());
      const attnrt::RequestResult full = solo(request(10, 30, 50));
      EXPECT_EQ(sofar, std::vector<std::int32_t>(full.tokens.begin(),
                                                  full.tokens.begin() + sofar.size()));
      engine->releaseRequest(released);
    }
    engine->step();
    ASSERT_LT(step, 1000);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const attnrt::RequestResult &r = engine->result(ids[i]);
    const attnrt::RequestResult alone = solo(params[i]);
    ASSERT_EQ(r.state, RequestState::Finished) << r.error;
    EXPECT_EQ(r.tokens, alone.tokens) << "request " << i;
    EXPECT_EQ(r.reason, alone.reason) << "request " << i;
  }
  EXPECT_GT(engine->stats().overlapped, 20);
  EXPECT_EQ(engine->cache().allocator(0).numUsed(), 0);
  EXPECT_EQ(engine->cache().allocator(1).numUsed(), 0);
}

// ATTNC_OVERLAP_STEPS=1 / 0 overrides the option; another value is named on
// stderr and the option kept.
TEST(Engine, TheOverlapVariableOverridesTheOptionAndATypoIsNamed) {
  std::string dir =
      ::testing::TempDir() + "attnrt-artifact-ahead-env-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(dir, 1, /*ownsCache=*/true);
  auto overlapped = [&](const char *setting, bool option) {
    ::setenv("ATTNC_OVERLAP_STEPS", setting, 1);
    EngineOptions options;
    options.overlapSteps = option;
    auto engine = Engine::open(dir, options);
    ::unsetenv("ATTNC_OVERLAP_STEPS");
    engine->addRequest(request(5, 1, 6));
    engine->runToCompletion();
    return engine->stats().overlapped;
  };
  EXPECT_EQ(overlapped("1", false), 5);
  EXPECT_EQ(overlapped("0", true), 0);
  ::testing::internal::CaptureStderr();
  const std::int64_t kept = overlapped("yes", true);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(kept, 5);
  EXPECT_TRUE(contains(said, "ATTNC_OVERLAP_STEPS='yes'")) << said;
}

// Pages too few for every sequence: the steps queued ahead never preempt
// (the next normal step does), and the tokens still equal solo runs.
TEST(Engine, DecodesQueuedAheadLeavePreemptionToTheNextStep) {
  std::string dir =
      ::testing::TempDir() + "attnrt-artifact-ahead-pages-" + std::to_string(::getpid());
  attnrt_test::writeFakeArtifact(dir, 1, /*ownsCache=*/true);
  EngineOptions options;
  options.kvPages = 14;
  options.maxBatchTokens = 16;
  options.overlapSteps = true;
  auto engine = Engine::open(dir, options);
  std::vector<RequestParams> params = {request(12, 1, 20), request(20, 2, 15),
                                       request(7, 3, 30), request(16, 4, 18)};
  std::vector<attnrt::RequestId> ids;
  for (const RequestParams &p : params)
    ids.push_back(engine->addRequest(p));
  engine->runToCompletion();
  EXPECT_GT(engine->numPreemptions(), 0) << "the pool was meant to force preemption";
  EXPECT_GT(engine->stats().overlapped, 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const attnrt::RequestResult &r = engine->result(ids[i]);
    ASSERT_EQ(r.state, RequestState::Finished) << r.error;
    EXPECT_EQ(r.tokens, solo(params[i]).tokens) << "sequence " << i;
  }
}
