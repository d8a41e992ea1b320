// ONNX importer: ModelProto -> `func.func @main` of `onnx` ops.
//
// Rules (see dialects/Onnx/OnnxBase.td for the dialect side):
//  * The model is parsed from a mapped file; initializers become
//    `onnx.Constant` ops. Small ones are inline dense attributes, large ones
//    are resource blobs that point into the mapped external-data file (or into
//    the parsed model for raw_data kept inside the .onnx) - never a copy.
//  * Every problem found before building IR is reported, not just the first:
//    all unsupported ops (node, domain, opset), all undefined inputs, all
//    subgraphs. Then the built function is verified, so wrong ranks or types
//    are reported against the node that has them.
//  * Symbolic dims (dim_param) become dynamic dims; their names are kept as
//    the `onnx.dim_params` argument attribute so shape inference can track
//    them.
#include "compiler/Import/OnnxImporter.h"

#include "dialects/Onnx/OnnxOps.h"
#include "dialects/Onnx/OnnxTypes.h"
#include "runtime/MappedFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <map>
#include <utility>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {
namespace {

// Opsets of the default domain whose operator semantics attnc implements.
constexpr int64_t kMinDefaultOpset = 13;
constexpr int64_t kMaxDefaultOpset = 24;
constexpr int64_t kMaxComMicrosoftOpset = 1;

// Default-domain operators introduced after kMinDefaultOpset.
int64_t sinceOpset(llvm::StringRef opType) {
  return llvm::StringSwitch<int64_t>(opType)
      .Case("Trilu", 14)
      .Case("CastLike", 15)
      .Case("LayerNormalization", 17)
      .Case("Gelu", 20)
      .Cases("Attention", "RotaryEmbedding", "RMSNormalization", 23)
      .Default(kMinDefaultOpset);
}

bool isDefaultDomain(llvm::StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

std::string displayDomain(llvm::StringRef domain) {
  return isDefaultDomain(domain) ? "ai.onnx" : domain.str();
}

// Keeps the memory that resource blobs point into alive for as long as MLIR
// holds the blobs (the mapped files and the parsed model).
using Keepalive = std::shared_ptr<const void>;

class Importer {
public:
  Importer(llvm::StringRef path, MLIRContext &ctx, const ImportOptions &options)
      : path(path.str()), ctx(ctx), options(options), builder(&ctx) {
    modelDir = llvm::sys::path::parent_path(path).str();
    if (modelDir.empty())
      modelDir = ".";
  }

  OwningOpRef<ModuleOp> run();

private:
  // --- diagnostics --------------------------------------------------------
  Location fileLoc() { return FileLineColLoc::get(&ctx, path, 0, 0); }
  Location nodeLoc(const onnx::NodeProto &node, size_t index) {
    std::string name = node.name().empty()
                           ? llvm::formatv("{0}#{1}", node.op_type(), index).str()
                           : node.name();
    return NameLoc::get(StringAttr::get(&ctx, name), fileLoc());
  }
  Location valueLoc(llvm::StringRef name) {
    return NameLoc::get(StringAttr::get(&ctx, name), fileLoc());
  }
  InFlightDiagnostic error(Location loc) { return emitError(loc); }

  // --- stages -------------------------------------------------------------
  LogicalResult parseModel();
  LogicalResult checkModel();
  LogicalResult checkNodes();
  LogicalResult importInitializers(OpBuilder &b);
  LogicalResult importNodes(OpBuilder &b);
  LogicalResult importNode(OpBuilder &b, const onnx::NodeProto &node, size_t index);

  // --- conversions ----------------------------------------------------------
  FailureOr<Type> valueInfoType(const onnx::ValueInfoProto &info,
                                SmallVectorImpl<StringRef> *dimParams = nullptr);
  FailureOr<ElementsAttr> tensorToAttr(const onnx::TensorProto &tensor,
                                       Location loc, bool inlineAlways);
  FailureOr<NamedAttribute> convertAttribute(const onnx::AttributeProto &attr,
                                             Location loc);
  FailureOr<Type> inferResultElementType(const onnx::NodeProto &node,
                                         ArrayRef<Value> operands,
                                         ArrayRef<NamedAttribute> attrs,
                                         unsigned resultIndex, Location loc);
  std::optional<std::string> mlirOpName(const onnx::NodeProto &node);
  int64_t opsetOf(llvm::StringRef domain) {
    auto it = opsets.find(isDefaultDomain(domain) ? "" : domain.str());
    return it == opsets.end() ? -1 : it->second;
  }
  FailureOr<std::shared_ptr<const attnrt::MappedFile>>
  mapExternalFile(llvm::StringRef location, llvm::StringRef tensorName, Location loc);
  Value noValue(OpBuilder &b);

  std::string path, modelDir;
  MLIRContext &ctx;
  const ImportOptions &options;
  Builder builder;

  std::shared_ptr<const attnrt::MappedFile> modelFile;
  std::shared_ptr<onnx::ModelProto> model;
  std::map<std::string, int64_t> opsets; // "" is the default domain
  llvm::StringMap<const onnx::ValueInfoProto *> valueInfos;
  llvm::StringMap<Value> values;
  llvm::StringMap<std::shared_ptr<const attnrt::MappedFile>> externalFiles;
  llvm::StringSet<> missingExternalFiles; // absent, allowed by the options
  Value none;
};

//===----------------------------------------------------------------------===//
// Parsing and model-level checks
//===----------------------------------------------------------------------===//

LogicalResult Importer::parseModel() {
  std::string err;
  modelFile = attnrt::MappedFile::open(path, err);
  if (!modelFile)
    return error(fileLoc()) << err;
  if (modelFile->size() == 0)
    return error(fileLoc()) << "'" << path << "' is empty, not an ONNX model";
  if (modelFile->size() > size_t(INT_MAX))
    return error(fileLoc()) << "'" << path
                            << "' is larger than 2 GiB; protobuf cannot hold it: "
                               "store the weights as ONNX external data";

  model = std::make_shared<onnx::ModelProto>();
  google::protobuf::io::ArrayInputStream stream(modelFile->data(),
                                                int(modelFile->size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!model->ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    return error(fileLoc()) << "'" << path
                            << "' is not a valid ONNX model: the protobuf "
                               "cannot be parsed (truncated or not ONNX)";
  return success();
}

LogicalResult Importer::checkModel() {
  // Arbitrary bytes sometimes parse as a protobuf with unknown fields; a real
  // model always has an IR version, an opset and a graph.
  if (model->ir_version() <= 0 || !model->has_graph())
    return error(fileLoc()) << "'" << path
                            << "' is not an ONNX model: it has no "
                            << (model->ir_version() <= 0 ? "ir_version" : "graph");
  if (model->ir_version() < 3 || model->ir_version() > 14)
    return error(fileLoc()) << "unsupported ONNX IR version " << model->ir_version()
                            << " (attnc reads IR versions 3 to 14)";
  if (model->opset_import_size() == 0)
    return error(fileLoc()) << "model has no opset_import";
  for (const auto &opset : model->opset_import())
    opsets[isDefaultDomain(opset.domain()) ? "" : opset.domain()] = opset.version();

  bool ok = true;
  if (auto it = opsets.find(""); it != opsets.end() &&
      (it->second < kMinDefaultOpset || it->second > kMaxDefaultOpset)) {
    error(fileLoc()) << "unsupported opset: ai.onnx version " << it->second
                     << " (attnc supports ai.onnx opsets " << kMinDefaultOpset
                     << " to " << kMaxDefaultOpset << ")";
    ok = false;
  }
  if (auto it = opsets.find("com.microsoft");
      it != opsets.end() && it->second > kMaxComMicrosoftOpset) {
    error(fileLoc()) << "unsupported opset: com.microsoft version " << it->second
                     << " (attnc supports version " << kMaxComMicrosoftOpset << ")";
    ok = false;
  }

  const onnx::GraphProto &graph = model->graph();
  if (graph.node_size() == 0 || graph.output_size() == 0) {
    error(fileLoc()) << "graph '" << graph.name() << "' is empty: it has "
                     << graph.node_size() << " nodes and " << graph.output_size()
                     << " outputs";
    ok = false;
  }
  return success(ok);
}

std::optional<std::string> Importer::mlirOpName(const onnx::NodeProto &node) {
  llvm::StringRef domain = node.domain(), opType = node.op_type();
  std::string name;
  if (isDefaultDomain(domain))
    name = "onnx." + opType.str();
  else if (domain == "com.microsoft")
    name = "onnx.ms." + opType.str();
  else
    return std::nullopt;
  if (RegisteredOperationName::lookup(name, &ctx))
    return name;
  // onnxruntime registers SimplifiedLayerNormalization in the default domain,
  // but some tools emit it under com.microsoft.
  if (domain == "com.microsoft" && opType == "SimplifiedLayerNormalization")
    return std::string("onnx.SimplifiedLayerNormalization");
  return std::nullopt;
}

// Everything wrong with the nodes is reported in one run.
LogicalResult Importer::checkNodes() {
  const onnx::GraphProto &graph = model->graph();
  llvm::StringSet<> localFunctions;
  for (const auto &fn : model->functions())
    localFunctions.insert((fn.domain() + "::" + fn.name()));

  bool ok = true;
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    Location loc = nodeLoc(node, index);
    std::string domain = displayDomain(node.domain());
    int64_t opset = opsetOf(node.domain());
    if (localFunctions.contains(node.domain() + "::" + node.op_type())) {
      error(loc) << "node calls the model-local function '" << node.op_type()
                 << "' (domain '" << domain
                 << "'); inline model functions before import";
      ok = false;
      continue;
    }
    if (opset < 0) {
      error(loc) << "node uses domain '" << domain
                 << "', which the model does not import (no opset_import entry)";
      ok = false;
      continue;
    }
    // Checked before the op itself: If/Loop/Scan are not ops of the dialect,
    // and "has a subgraph" says why better than "unsupported op".
    if (auto sub = llvm::find_if(node.attribute(),
                                 [](const onnx::AttributeProto &attr) {
                                   return attr.type() == onnx::AttributeProto::GRAPH ||
                                          attr.type() == onnx::AttributeProto::GRAPHS ||
                                          attr.has_g() || attr.graphs_size() > 0;
                                 });
        sub != node.attribute().end()) {
      error(loc) << "op '" << node.op_type() << "' has a subgraph (attribute '"
                 << sub->name() << "'); control flow (If/Loop/Scan) is not supported";
      ok = false;
      continue;
    }
    if (!mlirOpName(node)) {
      error(loc) << "unsupported op '" << node.op_type() << "' (domain '" << domain
                 << "', opset " << opset << ")";
      ok = false;
      continue;
    }
    if (isDefaultDomain(node.domain()) && opset < sinceOpset(node.op_type())) {
      error(loc) << "op '" << node.op_type() << "' needs ai.onnx opset "
                 << sinceOpset(node.op_type()) << " but the model imports opset "
                 << opset;
      ok = false;
    }
  }
  return success(ok);
}

//===----------------------------------------------------------------------===//
// Types and tensors
//===----------------------------------------------------------------------===//

FailureOr<Type> Importer::valueInfoType(const onnx::ValueInfoProto &info,
                                        SmallVectorImpl<StringRef> *dimParams) {
  Location loc = valueLoc(info.name());
  if (!info.has_type())
    return failure();
  const onnx::TypeProto &type = info.type();
  if (!type.has_tensor_type())
    return error(loc) << "value '" << info.name()
                      << "' is not a tensor (sequence, map and optional types "
                         "are not supported)";
  const auto &tensorType = type.tensor_type();
  Type elt = od::elementTypeFromOnnx(&ctx, tensorType.elem_type());
  if (!elt)
    return error(loc) << "value '" << info.name() << "' has unsupported element type "
                      << od::onnxDataTypeName(tensorType.elem_type());
  if (!tensorType.has_shape())
    return Type(UnrankedTensorType::get(elt));
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0)
        return error(loc) << "value '" << info.name() << "' has negative dimension "
                          << dim.dim_value();
      shape.push_back(dim.dim_value());
    } else {
      shape.push_back(ShapedType::kDynamic);
    }
    if (dimParams)
      dimParams->push_back(dim.has_dim_param() ? StringRef(dim.dim_param())
                                               : StringRef());
  }
  return Type(RankedTensorType::get(shape, elt));
}

FailureOr<std::shared_ptr<const attnrt::MappedFile>>
Importer::mapExternalFile(llvm::StringRef location, llvm::StringRef tensorName,
                          Location loc) {
  if (location.empty())
    return error(loc) << "initializer '" << tensorName
                      << "' stores external data but names no location";
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         ".."))
    return error(loc) << "initializer '" << tensorName << "': external data location '"
                      << location << "' must be a path inside the model's directory";
  auto it = externalFiles.find(location);
  if (it != externalFiles.end())
    return it->second;
  llvm::SmallString<256> full(modelDir);
  llvm::sys::path::append(full, location);
  std::string err;
  auto file = attnrt::MappedFile::open(full.str().str(), err);
  if (!file)
    return error(loc) << "initializer '" << tensorName
                      << "': external data file is missing or unreadable: " << err;
  externalFiles[location] = file;
  return file;
}

// Converts the typed repeated fields of a TensorProto into raw little-endian
// bytes (the layout raw_data has).
template <typename Dst, typename Field>
static std::shared_ptr<std::vector<char>> packField(const Field &field) {
  auto bytes = std::make_shared<std::vector<char>>(field.size() * sizeof(Dst));
  Dst *out = reinterpret_cast<Dst *>(bytes->data());
  for (int i = 0; i < field.size(); ++i)
    out[i] = static_cast<Dst>(field.Get(i));
  return bytes;
}

FailureOr<ElementsAttr> Importer::tensorToAttr(const onnx::TensorProto &tensor,
                                               Location loc, bool inlineAlways) {
  const std::string &name = tensor.name();
  int32_t dataType = tensor.data_type();
  Type elt = od::elementTypeFromOnnx(&ctx, dataType);
  // INT4 / UINT4 are stored two a byte (element 2i in the low nibble); MLIR
  // (and the weight plan) keep one a byte, so they are unpacked below.
  bool nibbles = dataType == int32_t(od::OnnxDataType::Int4) ||
                 dataType == int32_t(od::OnnxDataType::UInt4);
  unsigned width = nibbles ? 1 : od::onnxDataTypeByteWidth(dataType);
  if (!elt || width == 0)
    return error(loc) << "tensor '" << name << "' has unsupported data type "
                      << od::onnxDataTypeName(dataType);
  SmallVector<int64_t> shape;
  int64_t numElements = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && numElements > INT64_MAX / d))
      return error(loc) << "tensor '" << name << "' has invalid dimension " << d;
    shape.push_back(d);
    numElements *= d;
  }
  auto type = RankedTensorType::get(shape, elt);
  if (numElements > INT64_MAX / int64_t(width))
    return error(loc) << "tensor '" << name << "' of type " << type
                      << " is too large";
  uint64_t expectedBytes = uint64_t(numElements) * width;
  uint64_t storedBytes = nibbles ? (uint64_t(numElements) + 1) / 2 : expectedBytes;

  // Find the bytes without copying where the format allows it.
  const char *data = nullptr;
  Keepalive owner;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = UINT64_MAX;
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset" || entry.key() == "length") {
        char *end = nullptr;
        uint64_t v = std::strtoull(entry.value().c_str(), &end, 10);
        if (entry.value().empty() || *end != '\0')
          return error(loc) << "initializer '" << name << "': external data "
                            << entry.key() << " '" << entry.value()
                            << "' is not a number";
        (entry.key() == "offset" ? offset : length) = v;
      }
    }
    if (options.allowMissingExternalData && !location.empty()) {
      llvm::SmallString<256> full(modelDir);
      llvm::sys::path::append(full, location);
      if (!llvm::sys::fs::exists(full)) {
        if (missingExternalFiles.insert(location).second)
          emitWarning(loc) << "external data file '" << location
                           << "' is absent; compiling without the weights it holds";
        auto handle = DenseResourceElementsHandle::getManagerInterface(&ctx).insert(name);
        return ElementsAttr(DenseResourceElementsAttr::get(type, handle));
      }
    }
    auto file = mapExternalFile(location, name, loc);
    if (failed(file))
      return failure();
    if (length == UINT64_MAX)
      length = offset <= (*file)->size() ? (*file)->size() - offset : 0;
    if (!(*file)->contains(offset, length))
      return error(loc) << "initializer '" << name << "': external data at offset "
                        << offset << " with length " << length
                        << " lies past the end of '" << location << "' ("
                        << (*file)->size() << " bytes)";
    if (length != storedBytes)
      return error(loc) << "initializer '" << name << "': external data length "
                        << length << " does not match its type " << type << " ("
                        << storedBytes << " bytes)";
    data = reinterpret_cast<const char *>((*file)->data() + offset);
    owner = *file;
  } else if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != storedBytes)
      return error(loc) << "tensor '" << name << "' has " << tensor.raw_data().size()
                        << " bytes of raw_data but its type " << type << " needs "
                        << storedBytes;
    data = tensor.raw_data().data();
    owner = model; // raw_data lives inside the parsed model
  } else {
    std::shared_ptr<std::vector<char>> bytes;
    size_t count = 0;
    switch (static_cast<od::OnnxDataType>(dataType)) {
    case od::OnnxDataType::Float:
      bytes = packField<float>(tensor.float_data()); count = tensor.float_data_size(); break;
    case od::OnnxDataType::Double:
      bytes = packField<double>(tensor.double_data()); count = tensor.double_data_size(); break;
    case od::OnnxDataType::Int64:
      bytes = packField<int64_t>(tensor.int64_data()); count = tensor.int64_data_size(); break;
    case od::OnnxDataType::UInt32: case od::OnnxDataType::UInt64:
      bytes = width == 4 ? packField<uint32_t>(tensor.uint64_data())
                         : packField<uint64_t>(tensor.uint64_data());
      count = tensor.uint64_data_size(); break;
    case od::OnnxDataType::Int32:
      bytes = packField<int32_t>(tensor.int32_data()); count = tensor.int32_data_size(); break;
    case od::OnnxDataType::Int16: case od::OnnxDataType::UInt16:
    case od::OnnxDataType::Float16: case od::OnnxDataType::BFloat16:
      // 16-bit types are stored one per int32 (their bit pattern).
      bytes = packField<uint16_t>(tensor.int32_data()); count = tensor.int32_data_size(); break;
    default: // 8-bit types and bool, one per int32
      bytes = packField<uint8_t>(tensor.int32_data()); count = tensor.int32_data_size(); break;
    }
    if (count != (nibbles ? storedBytes : uint64_t(numElements)))
      return error(loc) << "tensor '" << name << "' holds " << count
                        << " values but its type " << type << " needs "
                        << (nibbles ? storedBytes : uint64_t(numElements));
    data = bytes->data();
    owner = bytes;
  }
  if (nibbles) {
    // One element a byte, its low nibble (the two's complement nibble for INT4).
    auto unpacked = std::make_shared<std::vector<char>>(expectedBytes);
    const auto *packed = reinterpret_cast<const uint8_t *>(data);
    for (uint64_t i = 0; i < expectedBytes; ++i)
      (*unpacked)[i] = char((packed[i / 2] >> (4 * (i % 2))) & 0xF);
    data = unpacked->data();
    owner = unpacked;
  }

  ArrayRef<char> raw(data, expectedBytes);
  if (elt.isInteger(1)) {
    // MLIR stores i1 tensors bit-packed; build them element by element.
    SmallVector<bool> bits(raw.begin(), raw.end());
    return ElementsAttr(DenseElementsAttr::get(type, ArrayRef<bool>(bits)));
  }
  if (inlineAlways || numElements <= options.inlineElementLimit) {
    // getFromRawBuffer copies; this is only for small tensors.
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, raw));
  }
  size_t alignment = width;
  while (alignment > 1 && reinterpret_cast<uintptr_t>(data) % alignment != 0)
    alignment /= 2;
  AsmResourceBlob blob(
      raw, alignment,
      [keep = std::move(owner)](void *, size_t, size_t) mutable { keep.reset(); },
      /*dataIsMutable=*/false);
  std::string blobName = name.empty() ? "tensor" : name;
  return ElementsAttr(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

FailureOr<NamedAttribute> Importer::convertAttribute(const onnx::AttributeProto &attr,
                                                     Location loc) {
  StringAttr name = builder.getStringAttr(attr.name());
  if (!attr.ref_attr_name().empty())
    return error(loc) << "attribute '" << attr.name()
                      << "' refers to a function attribute; only top-level graphs "
                         "are supported";
  switch (attr.type()) {
  case onnx::AttributeProto::INT:
    return NamedAttribute(name, builder.getI64IntegerAttr(attr.i()));
  case onnx::AttributeProto::FLOAT:
    return NamedAttribute(name, builder.getF32FloatAttr(attr.f()));
  case onnx::AttributeProto::STRING:
    return NamedAttribute(name, builder.getStringAttr(attr.s()));
  case onnx::AttributeProto::INTS:
    return NamedAttribute(name, builder.getDenseI64ArrayAttr(llvm::to_vector(attr.ints())));
  case onnx::AttributeProto::FLOATS:
    return NamedAttribute(name, builder.getDenseF32ArrayAttr(llvm::to_vector(attr.floats())));
  case onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> strings;
    for (const auto &s : attr.strings())
      strings.push_back(builder.getStringAttr(s));
    return NamedAttribute(name, builder.getArrayAttr(strings));
  }
  case onnx::AttributeProto::TENSOR: {
    auto value = tensorToAttr(attr.t(), loc, /*inlineAlways=*/false);
    if (failed(value))
      return failure();
    return NamedAttribute(name, *value);
  }
  default:
    return error(loc) << "attribute '" << attr.name() << "' has unsupported kind "
                      << onnx::AttributeProto::AttributeType_Name(attr.type());
  }
}

// The element type of a node output that the model gives no type for.
// Shapes are left to the attn-infer-shapes pass.
FailureOr<Type> Importer::inferResultElementType(const onnx::NodeProto &node,
                                                 ArrayRef<Value> operands,
                                                 ArrayRef<NamedAttribute> attrs,
                                                 unsigned resultIndex, Location loc) {
  auto attrNamed = [&](StringRef n) -> Attribute {
    for (const NamedAttribute &a : attrs)
      if (a.getName() == n)
        return a.getValue();
    return {};
  };
  auto operandElt = [&](unsigned i) -> Type {
    if (i >= operands.size() || isa<NoneType>(operands[i].getType()))
      return {};
    return getElementTypeOrSelf(operands[i].getType());
  };
  llvm::StringRef op = node.op_type();
  Builder b(&ctx);
  Type elt = llvm::StringSwitch<std::function<Type()>>(op)
      .Cases("Shape", "Size", "ArgMax", [&] { return b.getI64Type(); })
      .Cases("Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
             [&] { return b.getI1Type(); })
      .Cases("And", "Or", "Xor", "Not", "IsNaN", "IsInf", [&] { return b.getI1Type(); })
      .Case("Cast", [&]() -> Type {
        auto to = dyn_cast_or_null<IntegerAttr>(attrNamed("to"));
        return to ? od::elementTypeFromOnnx(&ctx, to.getInt()) : Type();
      })
      .Case("CastLike", [&] { return operandElt(1); })
      .Case("Where", [&] { return operandElt(1); })
      .Case("DequantizeLinear", [&]() -> Type {
        if (auto to = dyn_cast_or_null<IntegerAttr>(attrNamed("output_dtype")))
          return od::elementTypeFromOnnx(&ctx, to.getInt());
        return operandElt(1); // the scale's type
      })
      .Case("QuantizeLinear", [&]() -> Type {
        if (auto to = dyn_cast_or_null<IntegerAttr>(attrNamed("output_dtype")))
          return od::elementTypeFromOnnx(&ctx, to.getInt());
        if (Type zp = operandElt(2))
          return zp;
        return b.getIntegerType(8, /*isSigned=*/false); // ONNX's default uint8
      })
      .Case("ConstantOfShape", [&]() -> Type {
        if (auto v = dyn_cast_or_null<ElementsAttr>(attrNamed("value")))
          return v.getElementType();
        return b.getF32Type();
      })
      .Case("LayerNormalization", [&]() -> Type {
        return resultIndex == 0 ? operandElt(0) : b.getF32Type();
      })
      .Default([&] { return operandElt(0); })();
  if (!elt)
    return error(loc) << "cannot tell the element type of output '"
                      << node.output(resultIndex)
                      << "': the model has no value_info for it";
  return elt;
}

//===----------------------------------------------------------------------===//
// Building the function
//===----------------------------------------------------------------------===//

Value Importer::noValue(OpBuilder &b) {
  if (!none)
    none = od::NoValueOp::create(b, fileLoc(), b.getNoneType());
  return none;
}

LogicalResult Importer::importInitializers(OpBuilder &b) {
  bool ok = true;
  for (const auto &init : model->graph().initializer()) {
    Location loc = valueLoc(init.name());
    if (init.name().empty()) {
      error(loc) << "an initializer has no name";
      ok = false;
      continue;
    }
    auto value = tensorToAttr(init, loc, /*inlineAlways=*/false);
    if (failed(value)) {
      ok = false;
      continue;
    }
    values[init.name()] =
        od::ConstantOp::create(b, loc, value->getType(), *value).getResult();
  }
  return success(ok);
}

// Operand/result counts of a registered op, read from its ODS traits so the
// importer needs no table of its own. std::nullopt means variadic.
template <template <typename> class Zero, template <typename> class One,
          template <unsigned> class N, size_t... Is>
static std::optional<unsigned> fixedCount(RegisteredOperationName info,
                                          std::index_sequence<Is...>) {
  if (info.hasTrait<Zero>())
    return 0u;
  if (info.hasTrait<One>())
    return 1u;
  std::optional<unsigned> count;
  ((info.hasTrait<N<Is + 2>::template Impl>() ? (void)(count = Is + 2) : (void)0), ...);
  return count;
}
static std::optional<unsigned> fixedOperandCount(RegisteredOperationName info) {
  return fixedCount<OpTrait::ZeroOperands, OpTrait::OneOperand, OpTrait::NOperands>(
      info, std::make_index_sequence<16>());
}
static std::optional<unsigned> fixedResultCount(RegisteredOperationName info) {
  return fixedCount<OpTrait::ZeroResults, OpTrait::OneResult, OpTrait::NResults>(
      info, std::make_index_sequence<8>());
}

LogicalResult Importer::importNode(OpBuilder &b, const onnx::NodeProto &node,
                                   size_t index) {
  Location loc = nodeLoc(node, index);
  auto info = *RegisteredOperationName::lookup(*mlirOpName(node), &ctx);

  // ONNX graphs are SSA: a second definition would silently replace the first.
  for (const std::string &out : node.output())
    if (!out.empty() && values.count(out))
      return error(loc) << "output '" << out
                        << "' is already defined (graph input, initializer or "
                           "another node's output)";

  // Constant nodes: every value_* form becomes one `value` attribute.
  if (node.op_type() == "Constant" && isDefaultDomain(node.domain())) {
    if (node.attribute_size() != 1 || node.output_size() != 1)
      return error(loc) << "Constant node must have exactly one value attribute and one output";
    const auto &attr = node.attribute(0);
    ElementsAttr value;
    if (attr.name() == "value") {
      auto v = tensorToAttr(attr.t(), loc, /*inlineAlways=*/false);
      if (failed(v))
        return failure();
      value = *v;
    } else if (attr.name() == "value_float") {
      value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()), attr.f());
    } else if (attr.name() == "value_floats") {
      auto floats = llvm::to_vector(attr.floats());
      value = DenseElementsAttr::get(
          RankedTensorType::get({int64_t(floats.size())}, b.getF32Type()),
          ArrayRef<float>(floats));
    } else if (attr.name() == "value_int") {
      value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                     int64_t(attr.i()));
    } else if (attr.name() == "value_ints") {
      auto ints = llvm::to_vector(attr.ints());
      value = DenseElementsAttr::get(
          RankedTensorType::get({int64_t(ints.size())}, b.getI64Type()),
          ArrayRef<int64_t>(ints));
    } else {
      return error(loc) << "Constant attribute '" << attr.name()
                        << "' is not supported (strings and sparse tensors)";
    }
    values[node.output(0)] = od::ConstantOp::create(b, loc, value.getType(), value);
    return success();
  }

  SmallVector<Value> operands;
  for (const std::string &input : node.input())
    operands.push_back(input.empty() ? noValue(b) : values.lookup(input));

  SmallVector<NamedAttribute> attrs;
  ArrayRef<StringAttr> known = info.getAttributeNames();
  for (const auto &attr : node.attribute()) {
    // Reductions before opset 18 carry `axes` as an attribute; the dialect
    // has the opset-18 form with an `axes` input.
    if (attr.name() == "axes" && attr.type() == onnx::AttributeProto::INTS &&
        node.op_type().rfind("Reduce", 0) == 0 && node.op_type() != "ReduceSum" &&
        opsetOf(node.domain()) < 18) {
      auto axes = llvm::to_vector(attr.ints());
      auto value = DenseElementsAttr::get(
          RankedTensorType::get({int64_t(axes.size())}, b.getI64Type()),
          ArrayRef<int64_t>(axes));
      while (operands.size() < 2)
        operands.push_back(noValue(b));
      operands[1] = od::ConstantOp::create(b, loc, value.getType(), value);
      continue;
    }
    if (!llvm::is_contained(known, attr.name()))
      return error(loc) << "op '" << node.op_type() << "' has unknown attribute '"
                        << attr.name() << "'";
    auto converted = convertAttribute(attr, loc);
    if (failed(converted))
      return failure();
    attrs.push_back(*converted);
  }

  if (auto fixed = fixedOperandCount(info)) {
    if (operands.size() > *fixed)
      return error(loc) << "op '" << node.op_type() << "' takes at most " << *fixed
                        << " inputs, but the node has " << operands.size();
    while (operands.size() < *fixed)
      operands.push_back(noValue(b));
  }

  unsigned numResults = node.output_size();
  if (auto fixed = fixedResultCount(info)) {
    if (numResults > *fixed)
      return error(loc) << "op '" << node.op_type() << "' has at most " << *fixed
                        << " outputs, but the node has " << numResults;
    numResults = *fixed;
  }
  SmallVector<Type> resultTypes;
  for (unsigned i = 0; i < numResults; ++i) {
    if (i >= unsigned(node.output_size()) || node.output(i).empty()) {
      resultTypes.push_back(b.getNoneType());
      continue;
    }
    if (const onnx::ValueInfoProto *vi = valueInfos.lookup(node.output(i));
        vi && vi->has_type()) {
      auto type = valueInfoType(*vi);
      if (failed(type))
        return failure();
      resultTypes.push_back(*type);
      continue;
    }
    auto elt = inferResultElementType(node, operands, attrs, i, loc);
    if (failed(elt))
      return failure();
    resultTypes.push_back(UnrankedTensorType::get(*elt));
  }

  OperationState state(loc, info);
  state.addOperands(operands);
  state.addTypes(resultTypes);
  state.addAttributes(attrs);
  Operation *op = b.create(state);
  // An attribute of the wrong kind (say perm given as INT) does not fit the
  // op's property and would be dropped without a word; the op would then use
  // its default, or crash on a missing required value.
  for (const NamedAttribute &attr : attrs) {
    if (op->getInherentAttr(attr.getName()) == attr.getValue())
      continue;
    auto proto = llvm::find_if(node.attribute(), [&](const auto &a) {
      return a.name() == attr.getName().getValue();
    });
    op->erase();
    return error(loc) << "attribute '" << attr.getName().getValue() << "' of op '"
                      << node.op_type() << "' has the wrong kind ("
                      << onnx::AttributeProto::AttributeType_Name(proto->type())
                      << ")";
  }
  for (auto [i, name] : llvm::enumerate(node.output()))
    if (!name.empty() && i < op->getNumResults())
      values[name] = op->getResult(i);
  return success();
}

// Nodes are imported in dependency order. ONNX requires topologically sorted
// graphs, but some tools write them otherwise; a node waits until its inputs
// exist. Whatever never becomes ready names its undefined inputs.
LogicalResult Importer::importNodes(OpBuilder &b) {
  const onnx::GraphProto &graph = model->graph();
  std::vector<size_t> pending(graph.node_size());
  std::iota(pending.begin(), pending.end(), 0);
  bool ok = true;
  while (!pending.empty()) {
    std::vector<size_t> waiting;
    for (size_t i : pending) {
      const onnx::NodeProto &node = graph.node(i);
      bool ready = llvm::all_of(node.input(), [&](const std::string &in) {
        return in.empty() || values.count(in);
      });
      if (!ready) {
        waiting.push_back(i);
        continue;
      }
      if (failed(importNode(b, node, i)))
        ok = false;
      // A failed node still defines its outputs (as nothing) so that one
      // error does not cascade into "undefined input" errors downstream.
      for (const std::string &out : node.output())
        if (!out.empty() && !values.count(out))
          values[out] = noValue(b);
    }
    if (waiting.size() == pending.size()) {
      for (size_t i : waiting) {
        const onnx::NodeProto &node = graph.node(i);
        for (const std::string &in : node.input())
          if (!in.empty() && !values.count(in))
            error(nodeLoc(node, i))
                << "input '" << in << "' of op '" << node.op_type()
                << "' is not defined: no graph input, initializer or node "
                   "output has that name (or the graph has a cycle)";
      }
      return failure();
    }
    pending = std::move(waiting);
  }
  return success(ok);
}

OwningOpRef<ModuleOp> Importer::run() {
  ctx.loadDialect<func::FuncDialect, od::OnnxDialect>();
  if (failed(parseModel()) || failed(checkModel()) || failed(checkNodes()))
    return nullptr;
  const onnx::GraphProto &graph = model->graph();
  for (const auto *list : {&graph.input(), &graph.output(), &graph.value_info()})
    for (const auto &vi : *list)
      valueInfos[vi.name()] = &vi;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  OpBuilder b(module->getBodyRegion());

  // Module-level facts later stages and `attnc inspect` report.
  SmallVector<NamedAttribute> opsetAttrs;
  for (auto &[domain, version] : opsets)
    opsetAttrs.push_back(b.getNamedAttr(domain.empty() ? "ai.onnx" : domain,
                                        b.getI64IntegerAttr(version)));
  (*module)->setAttr("onnx.opset_import", b.getDictionaryAttr(opsetAttrs));
  (*module)->setAttr("onnx.ir_version", b.getI64IntegerAttr(model->ir_version()));
  if (!model->producer_name().empty())
    (*module)->setAttr("onnx.producer",
                       b.getStringAttr(model->producer_version().empty()
                                           ? model->producer_name()
                                           : model->producer_name() + " " +
                                                 model->producer_version()));

  // Graph inputs that are not initializers become function arguments.
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<std::string> argNames;
  bool ok = true;
  for (const auto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    SmallVector<StringRef> dimParams;
    auto type = valueInfoType(input, &dimParams);
    if (failed(type)) {
      if (!input.has_type())
        error(valueLoc(input.name())) << "graph input '" << input.name() << "' has no type";
      ok = false;
      continue;
    }
    SmallVector<NamedAttribute> attrs{
        b.getNamedAttr("onnx.name", b.getStringAttr(input.name()))};
    if (llvm::any_of(dimParams, [](StringRef p) { return !p.empty(); }))
      attrs.push_back(b.getNamedAttr("onnx.dim_params", b.getStrArrayAttr(dimParams)));
    argTypes.push_back(*type);
    argAttrs.push_back(b.getDictionaryAttr(attrs));
    argNames.push_back(input.name());
  }
  if (!ok)
    return nullptr;

  auto func = func::FuncOp::create(b, fileLoc(), "main",
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttrs(i, argAttrs[i]);
    values[name] = entry->getArgument(i);
  }

  OpBuilder body = OpBuilder::atBlockBegin(entry);
  if (failed(importInitializers(body)) || failed(importNodes(body)))
    return nullptr;

  SmallVector<Value> results;
  SmallVector<Attribute> resultAttrs;
  for (const auto &output : graph.output()) {
    Value v = values.lookup(output.name());
    if (!v) {
      error(valueLoc(output.name()))
          << "graph output '" << output.name() << "' is not produced by any node";
      return nullptr;
    }
    results.push_back(v);
    resultAttrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("onnx.name", b.getStringAttr(output.name()))}));
  }
  func::ReturnOp::create(body, fileLoc(), results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> importOnnxModel(llvm::StringRef path, MLIRContext &context,
                                      const ImportOptions &options) {
  return Importer(path, context, options).run();
}

} // namespace attnc
