#include "compiler/Pipelines.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"

namespace attnc {

void buildRaisePipeline(mlir::OpPassManager &pm) {
  mlir::OpPassManager &func = pm.nest<mlir::func::FuncOp>();
  func.addPass(createInferShapes());
  func.addPass(createRaiseNorms());
  func.addPass(createRaiseLinears());
  func.addPass(createRaiseActivations());
  func.addPass(createRaiseRope());
  func.addPass(createClassifyMasks());
  func.addPass(createRaiseAttention());
  func.addPass(createRaiseResiduals());
  func.addPass(createFuseProjections());
  func.addPass(createRaisePositions());
  func.addPass(createSimplifyLayouts());
}

void registerPipelines() {
  mlir::PassPipelineRegistration<>(
      "attn-raise", "raise an imported ONNX graph to attn building blocks",
      [](mlir::OpPassManager &pm) { buildRaisePipeline(pm); });
}

} // namespace attnc
