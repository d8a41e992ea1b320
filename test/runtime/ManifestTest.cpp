#include "runtime/Manifest.h"

#include "runtime/Error.h"
#include "runtime/Version.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

namespace {

attnrt::Manifest sampleManifest() {
  attnrt::Manifest m;
  m.attncVersion = attnrt::kAttncVersion;
  m.abiVersion = ATTNC_MODEL_ABI_VERSION;
  m.target = "cpu";
  m.dtype = "f16";
  m.architecture = {"gemma2", 3, 64, 4, 2, 16, 256, 512};
  m.pageSize = 16;
  m.maxBatchTokens = 128;
  m.cacheGroups = {{0}, {4096}};
  m.layers = {{0, 2, 16, 16, 2, ATTNC_KV_MODEL}, {1, 2, 16, 16, 1, ATTNC_KV_FP8_E4M3},
              {0, 2, 16, 8, 1, ATTNC_KV_INT8}};
  m.weights.bytes = 123456789;
  m.weights.xxh3 = 0x0123456789abcdefull;
  m.compileOptionsJson = R"({"quantize":"int8","opt_level":3})";
  return m;
}

// Parses after `edit` changed the JSON; returns the error (code, message).
std::pair<attnrt::ErrorCode, std::string> parseEdited(std::function<void(nlohmann::json &)> edit) {
  nlohmann::json j = nlohmann::json::parse(attnrt::serializeManifest(sampleManifest()));
  edit(j);
  try {
    attnrt::parseManifest(j.dump(), "art/manifest.json");
  } catch (const attnrt::Error &e) {
    return {e.code(), e.what()};
  }
  return {attnrt::ErrorCode::Internal, "(no error)"};
}

TEST(Manifest, RoundTripsEveryField) {
  attnrt::Manifest m = sampleManifest();
  std::string text = attnrt::serializeManifest(m);
  attnrt::Manifest back = attnrt::parseManifest(text, "manifest.json");
  EXPECT_EQ(back.attncVersion, m.attncVersion);
  EXPECT_EQ(back.abiVersion, m.abiVersion);
  EXPECT_EQ(back.target, "cpu");
  EXPECT_EQ(back.dtype, "f16");
  EXPECT_EQ(back.architecture.name, "gemma2");
  EXPECT_EQ(back.architecture.numLayers, 3);
  EXPECT_EQ(back.architecture.hiddenSize, 64);
  EXPECT_EQ(back.architecture.numHeads, 4);
  EXPECT_EQ(back.architecture.numKvHeads, 2);
  EXPECT_EQ(back.architecture.headDim, 16);
  EXPECT_EQ(back.architecture.vocabSize, 256);
  EXPECT_EQ(back.architecture.maxContext, 512);
  EXPECT_EQ(back.pageSize, 16);
  EXPECT_EQ(back.maxBatchTokens, 128);
  ASSERT_EQ(back.cacheGroups.size(), 2u);
  EXPECT_EQ(back.cacheGroups[1].window, 4096);
  ASSERT_EQ(back.layers.size(), 3u);
  EXPECT_EQ(back.layers[2].group, 0);
  EXPECT_EQ(back.layers[2].v_head_dim, 8);
  EXPECT_EQ(back.layers[2].elem_bytes, 1);
  EXPECT_EQ(back.layers[0].kv_type, ATTNC_KV_MODEL);
  EXPECT_EQ(back.layers[1].kv_type, ATTNC_KV_FP8_E4M3);
  EXPECT_EQ(back.layers[2].kv_type, ATTNC_KV_INT8);
  EXPECT_EQ(back.weights.file, "weights.bin");
  EXPECT_EQ(back.weights.bytes, 123456789u);
  EXPECT_EQ(back.weights.xxh3, 0x0123456789abcdefull);
  EXPECT_EQ(nlohmann::json::parse(back.compileOptionsJson),
            nlohmann::json::parse(m.compileOptionsJson));
  // Serialization is stable.
  EXPECT_EQ(attnrt::serializeManifest(back), text);
  // The checksum is written as 16 hex digits.
  EXPECT_NE(text.find("\"0123456789abcdef\""), std::string::npos);
}

// Manifests without "kv_type" (and layers of the model's dtype) read as
// unquantized caches.
TEST(Manifest, KvTypeDefaultsToTheModelsDtype) {
  nlohmann::json j = nlohmann::json::parse(attnrt::serializeManifest(sampleManifest()));
  EXPECT_EQ(j["layers"][0]["kv_type"], "model");
  EXPECT_EQ(j["layers"][1]["kv_type"], "fp8_e4m3");
  EXPECT_EQ(j["layers"][2]["kv_type"], "int8");
  j["layers"][0].erase("kv_type");
  EXPECT_EQ(attnrt::parseManifest(j.dump(), "manifest.json").layers[0].kv_type, ATTNC_KV_MODEL);
}

TEST(Manifest, StrippedWeightsRoundTripAndDefaultToAbsent) {
  attnrt::Manifest m = sampleManifest();
  EXPECT_EQ(attnrt::serializeManifest(m).find("stripped"), std::string::npos);
  EXPECT_FALSE(attnrt::parseManifest(attnrt::serializeManifest(m), "manifest.json").weights.stripped);
  m.weights.stripped = true;
  std::string text = attnrt::serializeManifest(m);
  EXPECT_TRUE(attnrt::parseManifest(text, "manifest.json").weights.stripped);
  std::string bad = text;
  bad.replace(bad.find("\"stripped\": true"), 16, "\"stripped\": 1");
  try {
    attnrt::parseManifest(bad, "manifest.json");
    FAIL() << "a non-boolean \"stripped\" was accepted";
  } catch (const attnrt::Error &e) {
    EXPECT_NE(std::string(e.what()).find("weights.stripped"), std::string::npos) << e.what();
  }
}

TEST(Manifest, SerializerDoesNotThrowOnOddButValidInput) {
  attnrt::Manifest m = sampleManifest();
  m.compileOptionsJson = "not json";
  m.architecture.name = "bad\xff utf8";
  std::string text;
  EXPECT_NO_THROW(text = attnrt::serializeManifest(m));
  EXPECT_NO_THROW(attnrt::parseManifest(text, "m.json"));
}

TEST(Manifest, OtherVersionsGetAVersionError) {
  auto [code, message] = parseEdited([](nlohmann::json &j) {
    j["attnc_version"] = "9.9.9";
    j.erase("layers"); // another version's schema: must not matter
  });
  EXPECT_EQ(code, attnrt::ErrorCode::Version);
  EXPECT_NE(message.find("9.9.9"), std::string::npos) << message;
  EXPECT_NE(message.find(attnrt::kAttncVersion), std::string::npos) << message;
  EXPECT_NE(message.find("art/manifest.json"), std::string::npos) << message;

  std::tie(code, message) = parseEdited([](nlohmann::json &j) { j["abi_version"] = 99; });
  EXPECT_EQ(code, attnrt::ErrorCode::Version);
  EXPECT_NE(message.find("99"), std::string::npos) << message;
}

TEST(Manifest, ErrorsNameTheFileAndTheKey) {
  struct Case {
    std::function<void(nlohmann::json &)> edit;
    const char *key;
  };
  std::vector<Case> cases = {
      {[](nlohmann::json &j) { j.erase("target"); }, "target"},
      {[](nlohmann::json &j) { j["target"] = "tpu"; }, "target"},
      {[](nlohmann::json &j) { j["page_size"] = 0; }, "page_size"},
      {[](nlohmann::json &j) { j["page_size"] = "16"; }, "page_size"},
      {[](nlohmann::json &j) { j["architecture"]["vocab_size"] = -3; }, "architecture.vocab_size"},
      {[](nlohmann::json &j) { j["architecture"].erase("max_context"); }, "architecture.max_context"},
      {[](nlohmann::json &j) { j["layers"][1]["group"] = 5; }, "layers[1].group"},
      {[](nlohmann::json &j) { j["layers"].erase(0); }, "layers"},
      {[](nlohmann::json &j) { j["layers"][2]["kv_type"] = "int4"; }, "layers[2].kv_type"},
      {[](nlohmann::json &j) { j["layers"][2]["kv_type"] = 1; }, "layers[2].kv_type"},
      {[](nlohmann::json &j) { j["layers"][1]["elem_bytes"] = 2; }, "layers[1].elem_bytes"},
      {[](nlohmann::json &j) { j["cache_groups"] = nlohmann::json::array(); }, "cache_groups"},
      {[](nlohmann::json &j) { j["cache_groups"][0]["window"] = -1; }, "cache_groups[0].window"},
      {[](nlohmann::json &j) { j["weights"]["xxh3_64"] = "xyz"; }, "weights.xxh3_64"},
      {[](nlohmann::json &j) { j["weights"]["file"] = "../etc/passwd"; }, "weights.file"},
      {[](nlohmann::json &j) { j["weights"]["bytes"] = 1.5; }, "weights.bytes"},
      {[](nlohmann::json &j) { j["compile_options"] = 3; }, "compile_options"},
  };
  for (const Case &c : cases) {
    auto [code, message] = parseEdited(c.edit);
    EXPECT_EQ(code, attnrt::ErrorCode::Corrupt) << message;
    EXPECT_NE(message.find(std::string("'") + c.key + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("art/manifest.json"), std::string::npos) << message;
  }
}

TEST(Manifest, MalformedTextAndMissingFileAreClearErrors) {
  for (const char *text : {"", "{", "[1,2]", "{\"attnc_version\": 1}", "\x01\x02"}) {
    try {
      attnrt::parseManifest(text, "x/manifest.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const attnrt::Error &e) {
      EXPECT_NE(std::string(e.what()).find("x/manifest.json"), std::string::npos) << e.what();
    }
  }
  try {
    attnrt::loadManifest("/nonexistent/manifest.json");
    ADD_FAILURE();
  } catch (const attnrt::Error &e) {
    EXPECT_EQ(e.code(), attnrt::ErrorCode::Io);
  }
}

TEST(Manifest, ChecksumText) {
  std::uint64_t value = 0;
  EXPECT_EQ(attnrt::formatXxh3(0xfull), "000000000000000f");
  EXPECT_TRUE(attnrt::parseXxh3("FFFFFFFFFFFFFFFF", value));
  EXPECT_EQ(value, ~0ull);
  EXPECT_FALSE(attnrt::parseXxh3("123", value));
  EXPECT_FALSE(attnrt::parseXxh3("0123456789abcdeg", value));
}

} // namespace
