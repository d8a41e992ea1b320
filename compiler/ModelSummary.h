// A human-readable summary of an imported model: what `attnc import
// --summary` prints and what a user checks first.
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

void printImportSummary(mlir::ModuleOp module, llvm::StringRef modelPath,
                        llvm::raw_ostream &os);

// Peak resident set size of this process in bytes (getrusage).
uint64_t peakResidentBytes();

} // namespace attnc
