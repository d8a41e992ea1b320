// ONNX ModelProto -> `onnx` dialect. See OnnxImporter.cpp for the rules.
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace attnc {

struct ImportOptions {
  // Initializers with at most this many elements become inline dense
  // attributes (shape constants, scalars, masks) that folding reads directly;
  // larger ones are resource blobs viewing the mapped file without a copy.
  int64_t inlineElementLimit = 64;
  // A weight-stripped compile needs no initializer bytes: an external data
  // file that is absent then yields resource blobs without data (the
  // importer warns once per file) instead of an error. A pass that must read
  // such a weight (a RoPE table it matches, say) fails to match it.
  bool allowMissingExternalData = false;
};

// Imports the ONNX model at `path` into a module holding `func.func @main`.
// External-data files are resolved next to the model and mapped, not read.
// Problems are reported on the context's diagnostic engine (all unsupported
// ops of a model in one go) and yield a null module.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(llvm::StringRef path, mlir::MLIRContext &context,
                const ImportOptions &options = {});

} // namespace attnc
