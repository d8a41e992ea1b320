// The initializers of an ONNX model file, for the packer: the model is parsed
// from a read-only mapping, external data files (location / offset / length,
// relative to the model's directory) are mapped on first use, and an
// initializer's bytes are viewed in place. Only initializers whose data sits
// in typed protobuf fields (float_data, ...) are converted, hence copied.
#pragma once

#include "runtime/pack/WeightPlan.h"

#include <memory>
#include <string>

namespace attnrt::pack {

class OnnxInitializers : public InitializerSource {
public:
  // Maps and parses `modelPath`; fails naming the file when it cannot be read
  // or is not an ONNX model.
  static Status open(const std::string &modelPath, std::unique_ptr<OnnxInitializers> &out);
  ~OnnxInitializers() override;

  // Fails naming the initializer: absent from the model, another dtype or
  // shape (both given), external data file missing or shorter than its
  // offset + length, data of the wrong size.
  Status lookup(const std::string &name, const std::string &dtype,
                const std::vector<std::int64_t> &shape, TensorView &view) override;

  std::size_t externalFilesMapped() const;

private:
  struct Impl;
  explicit OnnxInitializers(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace attnrt::pack
