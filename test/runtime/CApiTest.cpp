// The C API and its C++ wrapper: statuses, messages, no exception escapes.
#include "runtime/attnrt.h"
#include "runtime/attnrt.hpp"

#include "runtime/Engine.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>
#include <unistd.h>

namespace attnrt_test {
void writeFakeArtifact(const std::string &dir, std::uint64_t weightsSeed, bool ownsCache = false);
}

namespace {

std::string artifactDir() {
  static const std::string dir = [] {
    std::string d = ::testing::TempDir() + "attnrt-capi-" + std::to_string(::getpid());
    attnrt_test::writeFakeArtifact(d, 1);
    return d;
  }();
  return dir;
}

TEST(CApi, OpenFailureGivesStatusAndMessage) {
  attnrt_engine *engine = reinterpret_cast<attnrt_engine *>(0x1);
  char error[256];
  attnrt_status status = attnrt_engine_open("/nonexistent/dir", nullptr, &engine, error, sizeof error);
  EXPECT_EQ(status, ATTNRT_ERR_IO);
  EXPECT_EQ(engine, nullptr);
  EXPECT_NE(std::strstr(error, "/nonexistent/dir/manifest.json"), nullptr) << error;
  // Short and absent buffers are safe.
  char tiny[5];
  EXPECT_EQ(attnrt_engine_open("/nonexistent", nullptr, &engine, tiny, sizeof tiny), ATTNRT_ERR_IO);
  EXPECT_EQ(std::strlen(tiny), 4u);
  EXPECT_EQ(attnrt_engine_open("/nonexistent", nullptr, &engine, nullptr, 0), ATTNRT_ERR_IO);
  EXPECT_EQ(attnrt_engine_open(nullptr, nullptr, &engine, error, sizeof error),
            ATTNRT_ERR_INVALID_ARGUMENT);
}

TEST(CApi, GeneratesLikeTheEngine) {
  attnrt_engine *engine = nullptr;
  char error[256];
  attnrt_engine_options options;
  attnrt_engine_options_init(&options);
  options.max_batch_tokens = 8;
  ASSERT_EQ(attnrt_engine_open(artifactDir().c_str(), &options, &engine, error, sizeof error),
            ATTNRT_OK) << error;
  attnrt_model_info info;
  ASSERT_EQ(attnrt_engine_info(engine, &info, error, sizeof error), ATTNRT_OK);
  EXPECT_EQ(info.vocab_size, 64);
  EXPECT_EQ(info.max_batch_tokens, 8);
  EXPECT_STREQ(info.attnc_version, attnrt_version());

  const int32_t prompt[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  attnrt_request_params params;
  attnrt_request_params_init(&params);
  params.prompt = prompt;
  params.prompt_len = 11;
  params.max_new_tokens = 6;
  params.want_prompt_logits = 1;
  int64_t id = 0;
  ASSERT_EQ(attnrt_add_request(engine, &params, &id, error, sizeof error), ATTNRT_OK) << error;
  int32_t left = -1;
  ASSERT_EQ(attnrt_step(engine, &left, error, sizeof error), ATTNRT_OK);
  EXPECT_EQ(left, 1);
  ASSERT_EQ(attnrt_run(engine, error, sizeof error), ATTNRT_OK) << error;

  attnrt_request_state state;
  attnrt_finish_reason reason;
  int32_t count = 0;
  ASSERT_EQ(attnrt_request_status(engine, id, &state, &reason, &count, error, sizeof error), ATTNRT_OK);
  EXPECT_EQ(state, ATTNRT_REQUEST_FINISHED);
  EXPECT_EQ(reason, ATTNRT_FINISH_LENGTH);
  EXPECT_EQ(count, 6);
  int32_t tokens[3];
  ASSERT_EQ(attnrt_request_tokens(engine, id, tokens, 3, &count, error, sizeof error), ATTNRT_OK);
  EXPECT_EQ(count, 6); // total, though only 3 copied
  uint64_t floats = 0;
  ASSERT_EQ(attnrt_request_prompt_logits(engine, id, nullptr, 0, &floats, error, sizeof error), ATTNRT_OK);
  EXPECT_EQ(floats, 11u * 64u);

  // Same through the C++ engine directly.
  auto direct = attnrt::Engine::open(artifactDir());
  attnrt::RequestParams same;
  same.prompt.assign(prompt, prompt + 11);
  same.maxNewTokens = 6;
  attnrt::RequestId directId = direct->addRequest(same);
  direct->runToCompletion();
  EXPECT_EQ(std::vector<int32_t>(tokens, tokens + 3),
            std::vector<int32_t>(direct->result(directId).tokens.begin(),
                                 direct->result(directId).tokens.begin() + 3));

  ASSERT_EQ(attnrt_release_request(engine, id, error, sizeof error), ATTNRT_OK);
  EXPECT_EQ(attnrt_request_status(engine, id, &state, nullptr, nullptr, error, sizeof error),
            ATTNRT_ERR_NOT_FOUND);
  attnrt_engine_close(engine);
  attnrt_engine_close(nullptr);
}

// overlap_steps reaches the engine: a device model (the fake's device
// flavour) queues the decodes of a greedy request ahead, and the stats say
// so; off (the default), none is; the tokens are the same.
TEST(CApi, OverlapStepsIsPassedToTheEngineAndCounted) {
  static const std::string dir = [] {
    std::string d = ::testing::TempDir() + "attnrt-capi-device-" + std::to_string(::getpid());
    attnrt_test::writeFakeArtifact(d, 1, /*ownsCache=*/true);
    return d;
  }();
  auto generate = [&](int32_t overlap, int64_t *overlapped) {
    attnrt_engine *engine = nullptr;
    char error[256];
    attnrt_engine_options options;
    attnrt_engine_options_init(&options);
    EXPECT_EQ(options.overlap_steps, 0);
    options.overlap_steps = overlap;
    EXPECT_EQ(attnrt_engine_open(dir.c_str(), &options, &engine, error, sizeof error), ATTNRT_OK)
        << error;
    const int32_t prompt[] = {3, 1, 4, 1, 5};
    attnrt_request_params params;
    attnrt_request_params_init(&params);
    params.prompt = prompt;
    params.prompt_len = 5;
    params.max_new_tokens = 10;
    int64_t id = 0;
    EXPECT_EQ(attnrt_add_request(engine, &params, &id, error, sizeof error), ATTNRT_OK) << error;
    EXPECT_EQ(attnrt_run(engine, error, sizeof error), ATTNRT_OK) << error;
    std::vector<int32_t> tokens(10);
    int32_t count = 0;
    EXPECT_EQ(attnrt_request_tokens(engine, id, tokens.data(), 10, &count, error, sizeof error),
              ATTNRT_OK);
    attnrt_engine_stats stats;
    EXPECT_EQ(attnrt_engine_get_stats(engine, &stats, error, sizeof error), ATTNRT_OK);
    *overlapped = stats.overlapped;
    attnrt_engine_close(engine);
    return tokens;
  };
  int64_t on = -1, off = -1;
  const std::vector<int32_t> ahead = generate(1, &on), serial = generate(0, &off);
  EXPECT_EQ(on, 9);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(ahead, serial);
}

TEST(CApi, BadArgumentsAreStatusesNotCrashes) {
  char error[256];
  int64_t id;
  attnrt_request_params params;
  attnrt_request_params_init(&params);
  EXPECT_EQ(attnrt_add_request(nullptr, &params, &id, error, sizeof error), ATTNRT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(attnrt_step(nullptr, nullptr, error, sizeof error), ATTNRT_ERR_INVALID_ARGUMENT);
  attnrt_engine *engine = nullptr;
  ASSERT_EQ(attnrt_engine_open(artifactDir().c_str(), nullptr, &engine, error, sizeof error), ATTNRT_OK);
  EXPECT_EQ(attnrt_add_request(engine, nullptr, &id, error, sizeof error), ATTNRT_ERR_INVALID_ARGUMENT);
  params.prompt = nullptr;
  params.prompt_len = 3;
  EXPECT_EQ(attnrt_add_request(engine, &params, &id, error, sizeof error), ATTNRT_ERR_INVALID_ARGUMENT);
  const int32_t bad[] = {1, 99};
  params.prompt = bad;
  params.prompt_len = 2;
  EXPECT_EQ(attnrt_add_request(engine, &params, &id, error, sizeof error), ATTNRT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(error, "99"), nullptr) << error;
  EXPECT_EQ(attnrt_request_tokens(engine, 777, nullptr, 0, nullptr, error, sizeof error),
            ATTNRT_ERR_NOT_FOUND);
  EXPECT_STREQ(attnrt_status_name(ATTNRT_ERR_OUT_OF_PAGES), "out of KV pages");
  attnrt_engine_close(engine);
}

TEST(CApi, ARequestFailingForPagesDoesNotFailTheRun) {
  attnrt_engine_options options;
  attnrt_engine_options_init(&options);
  options.kv_pages = 10;
  attnrt::Session session(artifactDir(), &options);
  attnrt::GenerateOptions longRun;
  longRun.maxNewTokens = 30;
  std::vector<std::int32_t> longPrompt(30, 5);
  std::int64_t big = session.addRequest(longPrompt, longRun);
  std::int64_t small = session.addRequest({1, 2, 3});
  EXPECT_NO_THROW(session.run());
  attnrt_engine_stats stats = session.stats();
  EXPECT_GT(stats.steps, 0);
  EXPECT_GT(stats.preemptions, 0) << "the long request should have preempted the short one";
  EXPECT_EQ(stats.generated, static_cast<std::int64_t>(16 + session.tokens(big).size()));
  EXPECT_GE(stats.tokens, stats.steps);
  EXPECT_EQ(stats.kv_pages_used, 0);
  EXPECT_EQ(stats.kv_pages_total, 20); // 10 pages in each of 2 groups
  EXPECT_EQ(stats.running + stats.waiting, 0);
  EXPECT_EQ(session.state(big), ATTNRT_REQUEST_FAILED);
  EXPECT_NE(session.message(big).find("KV pages exhausted"), std::string::npos) << session.message(big);
  EXPECT_EQ(session.state(small), ATTNRT_REQUEST_FINISHED);
  EXPECT_EQ(session.tokens(small).size(), 16u);
}

TEST(CApi, CppWrapperThrowsApiErrorAndOwnsTheEngine) {
  attnrt::Session session(artifactDir());
  attnrt::GenerateOptions options;
  options.maxNewTokens = 5;
  options.temperature = 0.9f;
  options.seed = 11;
  std::int64_t a = session.addRequest({3, 1, 4, 1, 5}, options);
  std::int64_t b = session.addRequest({3, 1, 4, 1, 5}, options);
  session.run();
  EXPECT_EQ(session.state(a), ATTNRT_REQUEST_FINISHED);
  EXPECT_EQ(session.tokens(a).size(), 5u);
  EXPECT_EQ(session.tokens(a), session.tokens(b)) << "same seed, same tokens";
  EXPECT_TRUE(session.message(a).empty());
  try {
    session.addRequest({70});
    ADD_FAILURE() << "out-of-vocabulary token accepted";
  } catch (const attnrt::ApiError &e) {
    EXPECT_EQ(e.status(), ATTNRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("70"), std::string::npos) << e.what();
  }
  attnrt::Session moved = std::move(session);
  EXPECT_EQ(moved.info().vocab_size, 64);
  EXPECT_THROW(attnrt::Session("/nonexistent"), attnrt::ApiError);
}

} // namespace
