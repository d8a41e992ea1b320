#include "compiler/Registry.h"

#include "dialects/Attention/AttnDialect.h"
#include "dialects/Onnx/OnnxDialect.h"
#include "compiler/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/Passes.h"

namespace attnc {

void registerAllDialects(mlir::DialectRegistry &registry) {
  // scf and arith spell the flash-attention tile loop (attn-flash-tiling).
  registry.insert<mlir::func::FuncDialect, mlir::scf::SCFDialect, mlir::arith::ArithDialect,
                  onnx_dialect::OnnxDialect, attn::AttnDialect>();
}

void registerAllPasses() {
  static bool registered = [] {
    registerAttncPasses();
    registerPipelines();
    // Generic clean-up passes that attnc pipelines use.
    mlir::registerCanonicalizerPass();
    mlir::registerCSEPass();
    mlir::registerSymbolDCEPass();
    return true;
  }();
  (void)registered;
}

} // namespace attnc
