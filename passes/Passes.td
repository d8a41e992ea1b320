#ifndef ATTNC_PASSES
#define ATTNC_PASSES

include "mlir/Pass/PassBase.td"

def InferShapes : Pass<"attn-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Symbolic shape inference and folding of shape subgraphs";
  let description = [{
    Infers the rank, static dims and element type of every value of an
    imported ONNX graph, tracking dynamic dims symbolically (the graph's
    dim_params such as batch and seq, and products/sums of them).
    Integer shape computations (Shape, Gather, Slice, Concat, Unsqueeze,
    Squeeze, Cast, arithmetic on shape values) are evaluated symbolically:
    those that turn out constant become `onnx.Constant`, and a Reshape whose
    target is known symbolically gets a constant target that copies dims from
    its input (0) and infers at most one (-1). Dead shape subgraphs disappear.
  }];
  let dependentDialects = ["::attnc::onnx_dialect::OnnxDialect"];
  let options = [
    Option<"annotate", "annotate", "bool", /*default=*/"false",
           "attach each op's symbolic result shapes as `onnx.symbolic_shape`">
  ];
}

#endif // ATTNC_PASSES
