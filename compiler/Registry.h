// The one registry of attnc's dialects and passes. Every tool (attnc,
// attnc-opt, tests) calls these, so they all see the same compiler.
#pragma once

#include "mlir/IR/DialectRegistry.h"

namespace attnc {

// Registers every dialect attnc produces or consumes.
void registerAllDialects(mlir::DialectRegistry &registry);

// Registers every attnc pass (and pipeline) with the global pass registry,
// so they are available by flag in attnc-opt and in pipeline strings.
void registerAllPasses();

} // namespace attnc
