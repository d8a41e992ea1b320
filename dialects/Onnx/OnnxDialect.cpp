#include "dialects/Onnx/OnnxDialect.h"
#include "dialects/Onnx/OnnxOps.h"

using namespace mlir;
using namespace attnc::onnx_dialect;

#include "dialects/Onnx/OnnxDialect.cpp.inc"

void OnnxDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Onnx/OnnxOps.cpp.inc"
      >();
}
