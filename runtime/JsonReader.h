// Typed access to the JSON files of an artifact (manifest.json,
// weights.plan.json): every failure is an attnrt::Error (Corrupt) naming the
// file and the key path ("layers[2].group"), so a hand-edited or truncated
// file is reported where it is wrong. Internal to libattnrt and the packer.
#pragma once

#include "runtime/Error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>

namespace attnrt {

using Json = nlohmann::ordered_json;

class JsonReader {
public:
  explicit JsonReader(std::string file) : file_(std::move(file)) {}

  // The top-level object of `text`.
  Json parseObject(const std::string &text) const {
    Json root;
    try {
      root = Json::parse(text);
    } catch (const Json::exception &e) {
      throw Error(ErrorCode::Corrupt, file_ + ": not valid JSON: " + e.what());
    }
    if (!root.is_object())
      throw Error(ErrorCode::Corrupt, file_ + ": expected a JSON object at the top level");
    return root;
  }

  [[noreturn]] void fail(const std::string &key, const std::string &what) const {
    throw Error(ErrorCode::Corrupt, file_ + ": key '" + key + "': " + what);
  }

  const Json &member(const Json &object, const std::string &path, const char *key) const {
    if (!object.is_object())
      fail(path, "expected an object");
    auto it = object.find(key);
    if (it == object.end())
      fail(join(path, key), "missing");
    return *it;
  }

  std::string string(const Json &object, const std::string &path, const char *key) const {
    const Json &value = member(object, path, key);
    if (!value.is_string())
      fail(join(path, key), "expected a string, got " + std::string(value.type_name()));
    return value.get<std::string>();
  }

  std::int64_t integer(const Json &object, const std::string &path, const char *key,
                       std::int64_t min,
                       std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
    return integerValue(member(object, path, key), join(path, key), min, max);
  }

  std::int64_t integerValue(const Json &value, const std::string &full, std::int64_t min,
                            std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
    if (!value.is_number_integer())
      fail(full, "expected an integer, got " + std::string(value.type_name()));
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      fail(full, "value " + value.dump() + " out of range");
    std::int64_t result = value.get<std::int64_t>();
    if (result < min || result > max)
      fail(full, "value " + std::to_string(result) +
                     (max == std::numeric_limits<std::int64_t>::max()
                          ? " is below " + std::to_string(min)
                          : " outside [" + std::to_string(min) + ", " + std::to_string(max) + "]"));
    return result;
  }

  static std::string join(const std::string &path, const char *key) {
    return path.empty() ? key : path + "." + key;
  }

private:
  std::string file_;
};

} // namespace attnrt
