// A read-only memory mapping of a whole file. Weights are never copied: the
// importer, the weight loader and the packer all view them through this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace attnrt {

class MappedFile {
public:
  // Maps `path` read-only. Returns nullptr and fills `error` (naming the file
  // and the reason) when the file cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::string &path,
                                                std::string &error);

  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const std::uint8_t *data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string &path() const { return path_; }

  // True when [offset, offset + length) lies inside the file (overflow-safe).
  bool contains(std::uint64_t offset, std::uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

private:
  MappedFile(std::string path, const std::uint8_t *data, std::size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const std::uint8_t *data_;
  std::size_t size_;
};

} // namespace attnrt
