#include "runtime/pack/OnnxInitializers.h"

#include "runtime/MappedFile.h"
#include "runtime/pack/OnnxProto.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <cstdlib>
#include <list>
#include <map>
#include <unordered_map>

namespace attnrt::pack {
namespace {

// The plan's dtype of an ONNX TensorProto data type; empty when unsupported.
std::string dtypeOfOnnx(std::int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT: return "f32";
  case onnx::TensorProto::UINT8: return "u8";
  case onnx::TensorProto::INT8: return "i8";
  case onnx::TensorProto::UINT16: return "u16";
  case onnx::TensorProto::INT16: return "i16";
  case onnx::TensorProto::INT32: return "i32";
  case onnx::TensorProto::INT64: return "i64";
  case onnx::TensorProto::BOOL: return "bool";
  case onnx::TensorProto::FLOAT16: return "f16";
  case onnx::TensorProto::DOUBLE: return "f64";
  case onnx::TensorProto::UINT32: return "u32";
  case onnx::TensorProto::UINT64: return "u64";
  case onnx::TensorProto::BFLOAT16: return "bf16";
  // UINT4 (21) and INT4 (22), newer than the packer's onnx.proto: one a
  // byte here, two a byte in the model.
  case 21: return "u4";
  case 22: return "i4";
  default: return "";
  }
}

// A typed repeated field as the raw little-endian bytes raw_data would hold.
template <typename Element, typename Field>
std::vector<std::uint8_t> packField(const Field &field) {
  std::vector<std::uint8_t> bytes(std::size_t(field.size()) * sizeof(Element));
  auto *out = reinterpret_cast<Element *>(bytes.data());
  for (int i = 0; i < field.size(); ++i)
    out[i] = static_cast<Element>(field.Get(i));
  return bytes;
}

bool insideDirectory(const std::string &location) {
  if (location.empty() || location.front() == '/')
    return false;
  std::size_t begin = 0;
  while (begin <= location.size()) {
    std::size_t end = location.find('/', begin);
    if (end == std::string::npos)
      end = location.size();
    if (location.compare(begin, end - begin, "..") == 0 && end - begin == 2)
      return false;
    begin = end + 1;
  }
  return true;
}

} // namespace

struct OnnxInitializers::Impl {
  std::string modelPath, modelDir;
  std::shared_ptr<const MappedFile> modelFile;
  onnx::ModelProto model;
  std::unordered_map<std::string, const onnx::TensorProto *> byName;
  std::map<std::string, std::shared_ptr<const MappedFile>> externalFiles;
  std::list<std::vector<std::uint8_t>> converted;  // typed-field data, owned

  Status mapExternal(const std::string &name, const std::string &location,
                     std::shared_ptr<const MappedFile> &file) {
    if (!insideDirectory(location))
      return Status::failure("initializer '" + name + "': external data location '" + location +
                             "' must be a relative path inside the model's directory");
    auto it = externalFiles.find(location);
    if (it != externalFiles.end()) {
      file = it->second;
      return Status::success();
    }
    std::string error;
    file = MappedFile::open(modelDir + "/" + location, error);
    if (!file)
      return Status::failure("initializer '" + name + "': external data file '" + location +
                             "' is missing or unreadable: " + error);
    externalFiles[location] = file;
    return Status::success();
  }

  Status bytesOf(const onnx::TensorProto &t, std::size_t expected, const void *&data) {
    const std::string &name = t.name();
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      std::string location;
      std::uint64_t offset = 0, length = UINT64_MAX;
      for (const auto &entry : t.external_data()) {
        if (entry.key() == "location") {
          location = entry.value();
        } else if (entry.key() == "offset" || entry.key() == "length") {
          char *end = nullptr;
          std::uint64_t v = std::strtoull(entry.value().c_str(), &end, 10);
          if (entry.value().empty() || *end != '\0')
            return Status::failure("initializer '" + name + "': external data " + entry.key() +
                                   " '" + entry.value() + "' is not a number");
          (entry.key() == "offset" ? offset : length) = v;
        }
      }
      std::shared_ptr<const MappedFile> file;
      if (Status s = mapExternal(name, location, file); !s.ok())
        return s;
      if (length == UINT64_MAX)
        length = offset <= file->size() ? file->size() - offset : expected;
      if (!file->contains(offset, length))
        return Status::failure("initializer '" + name + "': external data file '" + location +
                               "' is too short: the data lies at [" + std::to_string(offset) +
                               ", " + std::to_string(offset + length) + ") but the file has " +
                               std::to_string(file->size()) + " bytes");
      if (length != expected)
        return Status::failure("initializer '" + name + "': external data length " +
                               std::to_string(length) + " but its type needs " +
                               std::to_string(expected) + " bytes");
      data = file->data() + offset;
      return Status::success();
    }
    if (t.has_raw_data()) {
      if (t.raw_data().size() != expected)
        return Status::failure("initializer '" + name + "' has " +
                               std::to_string(t.raw_data().size()) +
                               " bytes of raw_data but its type needs " + std::to_string(expected));
      data = t.raw_data().data();
      return Status::success();
    }
    std::vector<std::uint8_t> bytes;
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: bytes = packField<float>(t.float_data()); break;
    case onnx::TensorProto::DOUBLE: bytes = packField<double>(t.double_data()); break;
    case onnx::TensorProto::INT64: bytes = packField<std::int64_t>(t.int64_data()); break;
    case onnx::TensorProto::UINT32: bytes = packField<std::uint32_t>(t.uint64_data()); break;
    case onnx::TensorProto::UINT64: bytes = packField<std::uint64_t>(t.uint64_data()); break;
    case onnx::TensorProto::INT32: bytes = packField<std::int32_t>(t.int32_data()); break;
    // 16-bit types are stored one per int32 (their bit pattern), 8-bit ones too.
    case onnx::TensorProto::INT16: case onnx::TensorProto::UINT16:
    case onnx::TensorProto::FLOAT16: case onnx::TensorProto::BFLOAT16:
      bytes = packField<std::uint16_t>(t.int32_data()); break;
    default: bytes = packField<std::uint8_t>(t.int32_data()); break;
    }
    if (bytes.size() != expected)
      return Status::failure("initializer '" + name + "' holds " + std::to_string(bytes.size()) +
                             " bytes of typed data but its type needs " +
                             std::to_string(expected));
    data = converted.emplace_back(std::move(bytes)).data();
    return Status::success();
  }
};

OnnxInitializers::OnnxInitializers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OnnxInitializers::~OnnxInitializers() = default;

Status OnnxInitializers::open(const std::string &modelPath,
                              std::unique_ptr<OnnxInitializers> &out) {
  auto impl = std::make_unique<Impl>();
  impl->modelPath = modelPath;
  std::size_t slash = modelPath.rfind('/');
  impl->modelDir = slash == std::string::npos ? "." : modelPath.substr(0, slash);
  if (impl->modelDir.empty())
    impl->modelDir = "/";
  std::string error;
  impl->modelFile = MappedFile::open(modelPath, error);
  if (!impl->modelFile)
    return Status::failure(error);
  if (impl->modelFile->size() > std::size_t(INT_MAX))
    return Status::failure(modelPath + " is larger than 2 GiB; protobuf cannot hold it: store "
                                       "the weights as ONNX external data");
  google::protobuf::io::ArrayInputStream stream(impl->modelFile->data(),
                                                int(impl->modelFile->size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(INT_MAX);
  if (impl->modelFile->size() == 0 || !impl->model.ParseFromCodedStream(&coded) ||
      !coded.ConsumedEntireMessage() || !impl->model.has_graph())
    return Status::failure(modelPath + " is not an ONNX model (truncated, or another format)");
  for (const onnx::TensorProto &t : impl->model.graph().initializer())
    impl->byName.emplace(t.name(), &t);
  out.reset(new OnnxInitializers(std::move(impl)));
  return Status::success();
}

Status OnnxInitializers::lookup(const std::string &name, const std::string &dtype,
                                const std::vector<std::int64_t> &shape, TensorView &view) {
  auto it = impl_->byName.find(name);
  if (it == impl_->byName.end())
    return Status::failure("initializer '" + name +
                           "' is not in the model (was the artifact compiled from another one?)");
  const onnx::TensorProto &t = *it->second;
  std::string haveDtype = dtypeOfOnnx(t.data_type());
  std::vector<std::int64_t> haveShape(t.dims().begin(), t.dims().end());
  if (haveDtype != dtype || haveShape != shape)
    return Status::failure("initializer '" + name + "' is " +
                           (haveDtype.empty() ? "data type " + std::to_string(t.data_type())
                                              : haveDtype) +
                           " " + formatShape(haveShape) + " but the artifact expects " + dtype +
                           " " + formatShape(shape));
  std::size_t expected = dtypeSize(dtype);
  for (std::int64_t d : shape)
    expected *= std::size_t(d);
  bool nibbles = dtype == "i4" || dtype == "u4";
  const void *data = nullptr;
  if (Status s = impl_->bytesOf(t, nibbles ? (expected + 1) / 2 : expected, data); !s.ok())
    return s;
  if (nibbles) {
    // ONNX packs two 4-bit values a byte (element 2i low); the plan holds one
    // a byte, its low nibble, as the compiler's import does.
    const auto *packed = static_cast<const std::uint8_t *>(data);
    std::vector<std::uint8_t> &unpacked = impl_->converted.emplace_back(expected);
    for (std::size_t i = 0; i < expected; ++i)
      unpacked[i] = std::uint8_t((packed[i / 2] >> (4 * (i % 2))) & 0xF);
    data = unpacked.data();
  }
  view = TensorView{data, shape, dtypeSize(dtype)};
  return Status::success();
}

std::size_t OnnxInitializers::externalFilesMapped() const { return impl_->externalFiles.size(); }

} // namespace attnrt::pack
