// ONNX TensorProto data types <-> MLIR element types. Kept free of the ONNX
// protobuf headers so the dialect does not depend on libonnx.
#pragma once

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace attnc::onnx_dialect {

// TensorProto.DataType values (onnx.proto).
enum class OnnxDataType : int32_t {
  Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5,
  Int32 = 6, Int64 = 7, String = 8, Bool = 9, Float16 = 10, Double = 11,
  UInt32 = 12, UInt64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16,
  Float8E4M3FN = 17, Float8E4M3FNUZ = 18, Float8E5M2 = 19, Float8E5M2FNUZ = 20,
  UInt4 = 21, Int4 = 22,
};

// The MLIR element type for an ONNX data type, or null if attnc does not
// support it (strings, complex numbers).
mlir::Type elementTypeFromOnnx(mlir::MLIRContext *context, int64_t dataType);

// The ONNX data type of an MLIR element type, if it has one.
std::optional<OnnxDataType> onnxDataTypeOf(mlir::Type elementType);

// "FLOAT", "INT64", ... or "data type <n>" for values outside the enum.
std::string onnxDataTypeName(int64_t dataType);

// Bytes per element in raw_data; 0 for sub-byte (4-bit) and unsupported types.
unsigned onnxDataTypeByteWidth(int64_t dataType);

} // namespace attnc::onnx_dialect
