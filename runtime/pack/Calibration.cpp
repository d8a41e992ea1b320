#include "runtime/pack/Calibration.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace attnrt::pack {
namespace {

constexpr char kMagic[8] = {'A', 'T', 'T', 'N', 'C', 'A', 'L', '1'};
// Sanity limits: a corrupt count must not become a huge allocation.
constexpr std::uint64_t kMaxNameBytes = 1 << 16;
constexpr std::uint64_t kMaxInFeatures = 1 << 17;

struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

class Reader {
public:
  Reader(std::FILE *f, const std::string &path) : f_(f), path_(path) {}

  bool bytes(void *out, std::size_t n) { return std::fread(out, 1, n, f_) == n; }
  bool u64(std::uint64_t &v) { return bytes(&v, sizeof v); }
  Status truncated(const std::string &what) const {
    return Status::failure(path_ + ": truncated calibration file (reading " + what + ")");
  }
  Status corrupt(const std::string &what) const {
    return Status::failure(path_ + ": corrupt calibration file: " + what);
  }

private:
  std::FILE *f_;
  const std::string &path_;
};

} // namespace

const LinearInputStatistics *Calibration::find(const std::string &name) const {
  for (const LinearInputStatistics &linear : linears)
    for (const std::string &weight : linear.weights)
      if (weight == name)
        return &linear;
  return nullptr;
}

Status writeCalibration(const std::string &path, const Calibration &calibration) {
  File f(std::fopen(path.c_str(), "wb"));
  if (!f)
    return Status::failure("cannot write " + path + ": " + std::strerror(errno));
  bool ok = std::fwrite(kMagic, 1, sizeof kMagic, f.get()) == sizeof kMagic;
  auto u64 = [&](std::uint64_t v) { ok = ok && std::fwrite(&v, sizeof v, 1, f.get()) == 1; };
  u64(calibration.linears.size());
  for (const LinearInputStatistics &linear : calibration.linears) {
    if (linear.xtx.size() != std::size_t(linear.inFeatures * linear.inFeatures))
      return Status::failure("calibration statistics of " +
                             (linear.weights.empty() ? std::string("?") : linear.weights[0]) +
                             " hold " + std::to_string(linear.xtx.size()) +
                             " values, not in_features^2");
    u64(linear.weights.size());
    for (const std::string &name : linear.weights) {
      u64(name.size());
      ok = ok && std::fwrite(name.data(), 1, name.size(), f.get()) == name.size();
    }
    u64(std::uint64_t(linear.inFeatures));
    u64(std::uint64_t(linear.tokens));
    ok = ok && std::fwrite(linear.xtx.data(), sizeof(float), linear.xtx.size(), f.get()) ==
                   linear.xtx.size();
  }
  if (std::fflush(f.get()) != 0)
    ok = false;
  if (!ok)
    return Status::failure("cannot write " + path + ": " + std::strerror(errno));
  return Status::success();
}

Status readCalibration(const std::string &path, Calibration &calibration) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f)
    return Status::failure("cannot read calibration statistics " + path + ": " +
                           std::strerror(errno));
  // The file's size bounds every allocation: a corrupt in_features must not
  // become a huge buffer.
  std::uint64_t size = 0;
  if (std::fseek(f.get(), 0, SEEK_END) == 0) {
    const long end = std::ftell(f.get());
    size = end > 0 ? std::uint64_t(end) : 0;
  }
  std::rewind(f.get());
  Reader in(f.get(), path);
  char magic[sizeof kMagic];
  if (!in.bytes(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    return Status::failure(path + " is not an attnc calibration file (written by attnc "
                                  "calibrate)");
  std::uint64_t count = 0;
  if (!in.u64(count))
    return in.truncated("the linear count");
  calibration.linears.clear();
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string which = "linear " + std::to_string(i);
    LinearInputStatistics linear;
    std::uint64_t names = 0;
    if (!in.u64(names))
      return in.truncated(which);
    if (names == 0 || names > 1024)
      return in.corrupt(which + " names " + std::to_string(names) + " weights");
    for (std::uint64_t n = 0; n < names; ++n) {
      std::uint64_t length = 0;
      if (!in.u64(length))
        return in.truncated(which);
      if (length > kMaxNameBytes)
        return in.corrupt(which + " has a name of " + std::to_string(length) + " bytes");
      std::string name(length, '\0');
      if (!in.bytes(name.data(), length))
        return in.truncated(which);
      linear.weights.push_back(std::move(name));
    }
    std::uint64_t inFeatures = 0, tokens = 0;
    if (!in.u64(inFeatures) || !in.u64(tokens))
      return in.truncated(which);
    if (inFeatures == 0 || inFeatures > kMaxInFeatures)
      return in.corrupt(linear.weights[0] + ": in_features " + std::to_string(inFeatures));
    linear.inFeatures = std::int64_t(inFeatures);
    linear.tokens = std::int64_t(tokens);
    const long at = std::ftell(f.get());
    if (at < 0 || inFeatures * inFeatures * sizeof(float) > size - std::uint64_t(at))
      return in.truncated(linear.weights[0] + "'s statistics");
    linear.xtx.resize(inFeatures * inFeatures);
    if (!in.bytes(linear.xtx.data(), linear.xtx.size() * sizeof(float)))
      return in.truncated(linear.weights[0] + "'s statistics");
    calibration.linears.push_back(std::move(linear));
  }
  char extra;
  if (in.bytes(&extra, 1))
    return in.corrupt("bytes after the last linear");
  return Status::success();
}

} // namespace attnrt::pack
