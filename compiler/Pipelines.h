// Named pass pipelines, shared by attnc (compile) and attnc-opt (by flag).
#pragma once

#include "mlir/Pass/PassManager.h"

namespace attnc {

// Imported onnx graph -> attn building blocks: symbolic shapes first (the
// patterns match on ranked types), then norms, linears, activations, RoPE,
// mask classification (an unclassifiable mask fails the pipeline), attention
// (decomposed and fused forms) and the residual stream.
void buildRaisePipeline(mlir::OpPassManager &pm);

// Registers the pipelines above under their flags (attn-raise).
void registerPipelines();

} // namespace attnc
