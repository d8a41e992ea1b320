#include "runtime/Manifest.h"

#include "runtime/Error.h"
#include "runtime/JsonReader.h"
#include "runtime/QuantizedKV.h"
#include "runtime/Version.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <limits>
#include <sstream>

namespace attnrt {

// Json (runtime/JsonReader.h) is ordered_json: manifests are written in
// schema order and compile_options round-trips unchanged.

std::string formatXxh3(std::uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4)
    text[static_cast<std::size_t>(i)] = digits[value & 0xf];
  return text;
}

bool parseXxh3(const std::string &text, std::uint64_t &value) {
  if (text.size() != 16)
    return false;
  std::uint64_t result = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return false;
    result = (result << 4) | static_cast<std::uint64_t>(digit);
  }
  value = result;
  return true;
}

namespace {

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

} // namespace

Manifest parseManifest(const std::string &text, const std::string &fileName) {
  JsonReader read(fileName);
  Json root = read.parseObject(text);

  Manifest m;
  // Versions first: another version's manifest may legitimately differ below.
  m.attncVersion = read.string(root, "", "attnc_version");
  m.abiVersion = static_cast<std::uint32_t>(
      read.integer(root, "", "abi_version", 0, std::numeric_limits<std::uint32_t>::max()));
  if (m.attncVersion != kAttncVersion || m.abiVersion != ATTNC_MODEL_ABI_VERSION)
    throw Error(ErrorCode::Version,
                fileName + ": built by attnc " + m.attncVersion + " (model ABI " +
                    std::to_string(m.abiVersion) + ") but this runtime is attnc " +
                    kAttncVersion + " (model ABI " + std::to_string(ATTNC_MODEL_ABI_VERSION) +
                    "); recompile the model with this attnc");

  m.target = read.string(root, "", "target");
  if (m.target != "cpu" && m.target != "cuda")
    read.fail("target", "expected \"cpu\" or \"cuda\", got \"" + m.target + "\"");
  m.dtype = read.string(root, "", "dtype");

  const Json &arch = read.member(root, "", "architecture");
  if (!arch.is_object())
    read.fail("architecture", "expected an object");
  if (arch.contains("name"))
    m.architecture.name = read.string(arch, "architecture", "name");
  auto positive = [&](const Json &object, const std::string &path, const char *key) {
    return static_cast<std::int32_t>(read.integer(object, path, key, 1, kInt32Max));
  };
  m.architecture.numLayers = positive(arch, "architecture", "num_layers");
  m.architecture.hiddenSize = positive(arch, "architecture", "hidden_size");
  m.architecture.numHeads = positive(arch, "architecture", "num_heads");
  m.architecture.numKvHeads = positive(arch, "architecture", "num_kv_heads");
  m.architecture.headDim = positive(arch, "architecture", "head_dim");
  m.architecture.vocabSize = positive(arch, "architecture", "vocab_size");
  m.architecture.maxContext = positive(arch, "architecture", "max_context");

  m.pageSize = positive(root, "", "page_size");
  m.maxBatchTokens = positive(root, "", "max_batch_tokens");

  const Json &groups = read.member(root, "", "cache_groups");
  if (!groups.is_array() || groups.empty())
    read.fail("cache_groups", "expected a non-empty array");
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::string path = "cache_groups[" + std::to_string(i) + "]";
    attnc_cache_group group{};
    group.window = static_cast<std::int32_t>(read.integer(groups[i], path, "window", 0, kInt32Max));
    m.cacheGroups.push_back(group);
  }

  const Json &layers = read.member(root, "", "layers");
  if (!layers.is_array())
    read.fail("layers", "expected an array");
  if (layers.size() != static_cast<std::size_t>(m.architecture.numLayers))
    read.fail("layers", "has " + std::to_string(layers.size()) +
                            " entries but architecture.num_layers is " +
                            std::to_string(m.architecture.numLayers));
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string path = "layers[" + std::to_string(i) + "]";
    attnc_layer_cache layer{};
    layer.group = static_cast<std::int32_t>(
        read.integer(layers[i], path, "group", 0, static_cast<std::int64_t>(m.cacheGroups.size()) - 1));
    layer.kv_heads = positive(layers[i], path, "kv_heads");
    layer.head_dim = positive(layers[i], path, "head_dim");
    layer.v_head_dim = positive(layers[i], path, "v_head_dim");
    layer.elem_bytes = static_cast<std::int32_t>(read.integer(layers[i], path, "elem_bytes", 1, 8));
    KvType kvType = KvType::Model;
    if (layers[i].contains("kv_type")) {
      const std::string name = read.string(layers[i], path, "kv_type");
      if (!kvquant::parse_kv_type(name.c_str(), kvType))
        read.fail(path + ".kv_type", "expected \"model\", \"int8\" or \"fp8_e4m3\", got \"" +
                                         name + "\"");
      if (kvType != KvType::Model && layer.elem_bytes != 1)
        read.fail(path + ".elem_bytes", "a " + name + " cache stores 1 byte per element, got " +
                                            std::to_string(layer.elem_bytes));
    }
    layer.kv_type = static_cast<std::int32_t>(kvType);
    m.layers.push_back(layer);
  }

  const Json &weights = read.member(root, "", "weights");
  m.weights.file = read.string(weights, "weights", "file");
  if (m.weights.file.empty() || m.weights.file.find('/') != std::string::npos)
    read.fail("weights.file", "expected a plain file name in the artifact directory, got \"" +
                                  m.weights.file + "\"");
  m.weights.bytes = static_cast<std::uint64_t>(
      read.integer(weights, "weights", "bytes", 0, std::numeric_limits<std::int64_t>::max()));
  std::string checksum = read.string(weights, "weights", "xxh3_64");
  if (!parseXxh3(checksum, m.weights.xxh3))
    read.fail("weights.xxh3_64", "expected 16 hex digits, got \"" + checksum + "\"");
  if (weights.contains("stripped")) {
    if (!weights["stripped"].is_boolean())
      read.fail("weights.stripped", "expected true or false");
    m.weights.stripped = weights["stripped"].get<bool>();
  }

  const Json &options = read.member(root, "", "compile_options");
  if (!options.is_object())
    read.fail("compile_options", "expected an object");
  m.compileOptionsJson = options.dump();
  return m;
}

std::string artifactPath(const std::string &dir, const std::string &file) {
  if (dir.empty() || dir.back() == '/')
    return dir + file;
  return dir + "/" + file;
}

Manifest loadManifest(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::Io, path + ": cannot open the manifest");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw Error(ErrorCode::Io, path + ": cannot read the manifest");
  return parseManifest(text.str(), path);
}

std::string serializeManifest(const Manifest &m) {
  Json root = Json::object();
  root["attnc_version"] = m.attncVersion;
  root["abi_version"] = m.abiVersion;
  root["target"] = m.target;
  root["dtype"] = m.dtype;
  Json arch = Json::object();
  if (!m.architecture.name.empty())
    arch["name"] = m.architecture.name;
  arch["num_layers"] = m.architecture.numLayers;
  arch["hidden_size"] = m.architecture.hiddenSize;
  arch["num_heads"] = m.architecture.numHeads;
  arch["num_kv_heads"] = m.architecture.numKvHeads;
  arch["head_dim"] = m.architecture.headDim;
  arch["vocab_size"] = m.architecture.vocabSize;
  arch["max_context"] = m.architecture.maxContext;
  root["architecture"] = arch;
  root["page_size"] = m.pageSize;
  root["max_batch_tokens"] = m.maxBatchTokens;
  Json groups = Json::array();
  for (const attnc_cache_group &group : m.cacheGroups)
    groups.push_back({{"window", group.window}});
  root["cache_groups"] = groups;
  Json layers = Json::array();
  for (const attnc_layer_cache &layer : m.layers)
    layers.push_back({{"group", layer.group},
                      {"kv_heads", layer.kv_heads},
                      {"head_dim", layer.head_dim},
                      {"v_head_dim", layer.v_head_dim},
                      {"elem_bytes", layer.elem_bytes},
                      {"kv_type", kvquant::kv_type_name(static_cast<KvType>(layer.kv_type))}});
  root["layers"] = layers;
  root["weights"] = {{"file", m.weights.file},
                     {"bytes", m.weights.bytes},
                     {"xxh3_64", formatXxh3(m.weights.xxh3)}};
  if (m.weights.stripped)
    root["weights"]["stripped"] = true;
  Json options = Json::parse(m.compileOptionsJson, nullptr, /*allow_exceptions=*/false);
  root["compile_options"] = options.is_object() ? options : Json::object();
  // Replace invalid UTF-8 in user strings instead of throwing.
  return root.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

} // namespace attnrt
