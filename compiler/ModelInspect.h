// `attnc inspect`: what a raised model is, layer by layer. The JSON keys are
// a stable contract (documented in README.md); later checks read them.
#pragma once

#include "runtime/QuantizedKV.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

// Reads the attn ops of a raised module: one entry per attn.attention (in
// program order, i.e. per layer) plus model totals. The KV-cache totals
// (bytes per token, per page of the default page size) are those of a cache
// of `kvType` (the model's dtype, or `attnc compile --kv-cache`'s codes and
// scales, runtime/QuantizedKV.h).
llvm::json::Object inspectModel(mlir::ModuleOp module,
                                attnrt::KvType kvType = attnrt::KvType::Model);

// The same report as a table for people.
void printInspectReport(const llvm::json::Object &report, llvm::StringRef modelPath,
                        llvm::raw_ostream &os);

} // namespace attnc
