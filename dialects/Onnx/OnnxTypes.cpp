#include "dialects/Onnx/OnnxTypes.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace attnc::onnx_dialect {

Type elementTypeFromOnnx(MLIRContext *ctx, int64_t dataType) {
  Builder b(ctx);
  switch (static_cast<OnnxDataType>(dataType)) {
  case OnnxDataType::Float: return b.getF32Type();
  case OnnxDataType::Double: return b.getF64Type();
  case OnnxDataType::Float16: return b.getF16Type();
  case OnnxDataType::BFloat16: return b.getBF16Type();
  case OnnxDataType::Float8E4M3FN: return b.getType<Float8E4M3FNType>();
  case OnnxDataType::Float8E4M3FNUZ: return b.getType<Float8E4M3FNUZType>();
  case OnnxDataType::Float8E5M2: return b.getType<Float8E5M2Type>();
  case OnnxDataType::Float8E5M2FNUZ: return b.getType<Float8E5M2FNUZType>();
  case OnnxDataType::Bool: return b.getI1Type();
  // Signed integers are signless in MLIR; unsigned ones keep their signedness
  // so that uint8 weights and int8 weights stay distinguishable.
  case OnnxDataType::Int8: return b.getIntegerType(8);
  case OnnxDataType::Int16: return b.getIntegerType(16);
  case OnnxDataType::Int32: return b.getIntegerType(32);
  case OnnxDataType::Int64: return b.getIntegerType(64);
  case OnnxDataType::Int4: return b.getIntegerType(4);
  case OnnxDataType::UInt8: return b.getIntegerType(8, /*isSigned=*/false);
  case OnnxDataType::UInt16: return b.getIntegerType(16, false);
  case OnnxDataType::UInt32: return b.getIntegerType(32, false);
  case OnnxDataType::UInt64: return b.getIntegerType(64, false);
  case OnnxDataType::UInt4: return b.getIntegerType(4, false);
  default: return nullptr;
  }
}

std::optional<OnnxDataType> onnxDataTypeOf(Type t) {
  if (t.isF32()) return OnnxDataType::Float;
  if (t.isF64()) return OnnxDataType::Double;
  if (t.isF16()) return OnnxDataType::Float16;
  if (t.isBF16()) return OnnxDataType::BFloat16;
  if (isa<Float8E4M3FNType>(t)) return OnnxDataType::Float8E4M3FN;
  if (isa<Float8E4M3FNUZType>(t)) return OnnxDataType::Float8E4M3FNUZ;
  if (isa<Float8E5M2Type>(t)) return OnnxDataType::Float8E5M2;
  if (isa<Float8E5M2FNUZType>(t)) return OnnxDataType::Float8E5M2FNUZ;
  auto it = dyn_cast<IntegerType>(t);
  if (!it) return std::nullopt;
  bool isUnsigned = it.isUnsigned();
  switch (it.getWidth()) {
  case 1: return OnnxDataType::Bool;
  case 4: return isUnsigned ? OnnxDataType::UInt4 : OnnxDataType::Int4;
  case 8: return isUnsigned ? OnnxDataType::UInt8 : OnnxDataType::Int8;
  case 16: return isUnsigned ? OnnxDataType::UInt16 : OnnxDataType::Int16;
  case 32: return isUnsigned ? OnnxDataType::UInt32 : OnnxDataType::Int32;
  case 64: return isUnsigned ? OnnxDataType::UInt64 : OnnxDataType::Int64;
  default: return std::nullopt;
  }
}

std::string onnxDataTypeName(int64_t dataType) {
  static const char *const names[] = {
      "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32",
      "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64",
      "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
      "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"};
  if (dataType >= 0 && dataType < int64_t(std::size(names)))
    return names[dataType];
  return "data type " + std::to_string(dataType);
}

unsigned onnxDataTypeByteWidth(int64_t dataType) {
  switch (static_cast<OnnxDataType>(dataType)) {
  case OnnxDataType::Bool: case OnnxDataType::Int8: case OnnxDataType::UInt8:
  case OnnxDataType::Float8E4M3FN: case OnnxDataType::Float8E4M3FNUZ:
  case OnnxDataType::Float8E5M2: case OnnxDataType::Float8E5M2FNUZ:
    return 1;
  case OnnxDataType::Int16: case OnnxDataType::UInt16:
  case OnnxDataType::Float16: case OnnxDataType::BFloat16:
    return 2;
  case OnnxDataType::Int32: case OnnxDataType::UInt32: case OnnxDataType::Float:
    return 4;
  case OnnxDataType::Int64: case OnnxDataType::UInt64: case OnnxDataType::Double:
    return 8;
  default:
    return 0;
  }
}

} // namespace attnc::onnx_dialect
