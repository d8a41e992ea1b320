#include "runtime/pack/ArtifactPacker.h"

#include "runtime/Error.h"
#include "runtime/Manifest.h"
#include "runtime/WeightLoader.h"
#include "runtime/pack/OnnxInitializers.h"
#include "runtime/pack/WeightPlan.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace attnrt::pack {
namespace {

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// A file written under a temporary name in the target's directory and renamed
// over the target only when complete; removed if abandoned.
class StagedFile {
public:
  ~StagedFile() {
    if (mapping_ && mapping_ != MAP_FAILED)
      ::munmap(mapping_, size_);
    if (fd_ >= 0)
      ::close(fd_);
    if (!committed_ && !path_.empty())
      ::unlink(path_.c_str());
  }

  Status create(const std::string &target, std::uint64_t size) {
    target_ = target;
    std::size_t slash = target.rfind('/');
    std::string dir = slash == std::string::npos ? "." : target.substr(0, slash);
    std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
    std::string pattern = dir + "/." + base + ".partial.XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    fd_ = ::mkstemp(name.data());
    if (fd_ < 0)
      return failure("cannot create a staging file in " + dir);
    path_ = name.data();
    ::fchmod(fd_, 0644);
    size_ = size;
    if (size != 0) {
      if (::ftruncate(fd_, off_t(size)) != 0)
        return failure("cannot size " + path_ + " to " + std::to_string(size) + " bytes");
      mapping_ = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
      if (mapping_ == MAP_FAILED)
        return failure("cannot map " + path_);
    }
    return Status::success();
  }

  void *data() { return size_ ? mapping_ : nullptr; }

  Status write(const std::string &bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return failure("cannot write " + path_);
      done += std::size_t(n);
    }
    return Status::success();
  }

  // Flushes to disk, then renames over the target.
  Status commit() {
    if (size_ && ::msync(mapping_, size_, MS_SYNC) != 0)
      return failure("cannot write " + path_);
    if (::fsync(fd_) != 0)
      return failure("cannot write " + path_);
    if (::rename(path_.c_str(), target_.c_str()) != 0)
      return failure("cannot rename " + path_ + " to " + target_);
    committed_ = true;
    return Status::success();
  }

private:
  Status failure(const std::string &what) {
    return Status::failure(what + ": " + std::strerror(errno));
  }

  std::string target_, path_;
  int fd_ = -1;
  void *mapping_ = nullptr;
  std::uint64_t size_ = 0;
  bool committed_ = false;
};

Status pack(const std::string &dir, const std::string &modelPath,
            const std::string &calibrationPath, PackReport &report) {
  std::string manifestPath = artifactPath(dir, "manifest.json");
  if (!exists(manifestPath))
    return Status::failure(dir + " is not an attnc artifact (no manifest.json)");
  Manifest manifest = loadManifest(manifestPath);  // refuses another attnc version

  WeightPlan plan = loadArtifactPlan(dir);
  if (plan.weightsBytes != manifest.weights.bytes)
    return Status::failure(artifactPath(dir, kWeightPlanFile) + " describes " +
                           std::to_string(plan.weightsBytes) +
                           " bytes of weights but manifest.json says " +
                           std::to_string(manifest.weights.bytes));

  Calibration calibration;
  if (!calibrationPath.empty())
    if (Status s = readCalibration(calibrationPath, calibration); !s.ok())
      return s;

  std::unique_ptr<OnnxInitializers> initializers;
  if (Status s = OnnxInitializers::open(modelPath, initializers); !s.ok())
    return s;

  std::string weightsPath = artifactPath(dir, manifest.weights.file);
  report.repacked = !manifest.weights.stripped && exists(weightsPath);
  StagedFile weights;
  if (Status s = weights.create(weightsPath, plan.weightsBytes); !s.ok())
    return s;
  if (Status s = evaluatePlan(plan, *initializers, weights.data(), plan.weightsBytes,
                              calibrationPath.empty() ? nullptr : &calibration);
      !s.ok())
    return Status::failure(modelPath + ": " + s.message());
  std::uint64_t checksum = weightsChecksum(weights.data(), plan.weightsBytes);
  if (Status s = weights.commit(); !s.ok())
    return s;

  manifest.weights.xxh3 = checksum;
  manifest.weights.stripped = false;
  StagedFile manifestFile;
  if (Status s = manifestFile.create(manifestPath, 0); !s.ok())
    return s;
  if (Status s = manifestFile.write(serializeManifest(manifest)); !s.ok())
    return s;
  if (Status s = manifestFile.commit(); !s.ok())
    return s;

  report.bytes = plan.weightsBytes;
  report.xxh3 = checksum;
  report.blobs = plan.blobs.size();
  return Status::success();
}

constexpr const char *kPackUsage =
    "usage: %s ARTIFACT --from MODEL.onnx [--calibration FILE]\n"
    "\n"
    "Builds ARTIFACT/weights.bin from MODEL.onnx (and its external data files) by the\n"
    "artifact's weight plan (weights.plan.json), as `attnc compile` would have, and\n"
    "records its checksum in ARTIFACT/manifest.json. For artifacts compiled with\n"
    "`attnc compile --strip-weights`; an artifact that has weights is packed again.\n"
    "An artifact compiled with --calibration (GPTQ) needs the same statistics file.\n";

} // namespace

Status packArtifact(const std::string &artifactDir, const std::string &modelPath,
                    const std::string &calibrationPath, PackReport &report) noexcept {
  try {
    return pack(artifactDir, modelPath, calibrationPath, report);
  } catch (const Error &e) {
    return Status::failure(e.what());
  } catch (const std::exception &e) {
    return Status::failure(std::string("unexpected failure: ") + e.what());
  }
}

int packCommand(int argc, char **argv) noexcept {
  const char *prog = argc > 0 ? argv[0] : "attnc-pack";
  std::string artifact, model, calibration;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(kPackUsage, prog);
      return 0;
    }
    if (arg == "--from" && i + 1 < argc) {
      model = argv[++i];
    } else if (arg.rfind("--from=", 0) == 0) {
      model = arg.substr(7);
    } else if (arg == "--calibration" && i + 1 < argc) {
      calibration = argv[++i];
    } else if (arg.rfind("--calibration=", 0) == 0) {
      calibration = arg.substr(14);
    } else if (!arg.empty() && arg[0] != '-' && artifact.empty()) {
      artifact = arg;
    } else {
      std::fprintf(stderr, "%s: error: unexpected argument '%s'\n", prog, arg.c_str());
      std::fprintf(stderr, kPackUsage, prog);
      return 2;
    }
  }
  if (artifact.empty() || model.empty()) {
    std::fprintf(stderr, "%s: error: %s\n", prog,
                 artifact.empty() ? "no ARTIFACT directory" : "no model (--from MODEL.onnx)");
    std::fprintf(stderr, kPackUsage, prog);
    return 2;
  }
  PackReport report;
  Status status = packArtifact(artifact, model, calibration, report);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", prog, status.message().c_str());
    return 1;
  }
  std::printf("%s %s: %llu bytes in %zu blobs, xxh3_64 %s\n",
              report.repacked ? "repacked" : "packed", artifact.c_str(),
              static_cast<unsigned long long>(report.bytes), report.blobs,
              formatXxh3(report.xxh3).c_str());
  return 0;
}

} // namespace attnrt::pack
