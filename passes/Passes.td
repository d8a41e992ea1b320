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


def RaiseNorms : Pass<"attn-raise-norms", "::mlir::func::FuncOp"> {
  let summary = "Raise RMSNorm and LayerNorm forms to attn.rms_norm / attn.layer_norm";
  let description = [{
    Recognises the decomposed RMSNorm (Pow/ReduceMean/Add/Sqrt/Reciprocal or
    Div/Mul, with the Gemma `1 + weight` form), ONNX RMSNormalization-23,
    onnxruntime SimplifiedLayerNormalization and ONNX LayerNormalization
    (and its decomposition) over the last dim with constant weights.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def RaiseLinears : Pass<"attn-raise-linears", "::mlir::func::FuncOp"> {
  let summary = "Raise MatMul/Gemm with constant weights (+ bias Add) to attn.linear";
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def RaiseActivations : Pass<"attn-raise-activations", "::mlir::func::FuncOp"> {
  let summary = "Raise SiLU, GELU (exact, tanh) and gated forms to attn activations";
  let description = [{
    x * Sigmoid(x) -> silu; Gelu ops and their Erf / Tanh decompositions ->
    gelu / gelu_tanh; act(a) * b -> attn.gated_activation; and
    Gather(constant table, ids) -> attn.embedding.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def RaiseRope : Pass<"attn-raise-rope", "::mlir::func::FuncOp"> {
  let summary = "Raise rotary position embeddings to attn.rope";
  let description = [{
    Recognises the rotate-half decomposition the exporters write
    (x * cos + Concat(-x2, x1) * sin, cos/sin from inv_freq x positions),
    partial rotary (Slice / Concat around it), and the fused ONNX
    RotaryEmbedding-23 and com.microsoft RotaryEmbedding ops.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def ClassifyMasks : Pass<"attn-classify-masks", "::mlir::func::FuncOp"> {
  let summary = "Classify attention mask subgraphs (causal, sliding window, padding)";
  let description = [{
    For every attention score mask (the boolean or additive mask that reaches
    a Softmax through Add or Where), decides whether it is causal, causal with
    a sliding window of w tokens, and whether it also masks padding from an
    attention_mask input, and records the result on the consuming op as
    `attn.mask`. A mask that cannot be classified is an error naming the node.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def RaiseAttention : Pass<"attn-raise-attention", "::mlir::func::FuncOp"> {
  let summary = "Raise attention to attn.attention";
  let description = [{
    Fused forms: ONNX Attention (opset 23/24) and com.microsoft
    GroupQueryAttention / MultiHeadAttention become attn.attention with
    token-major q/k/v.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def RaiseResiduals : Pass<"attn-raise-residuals", "::mlir::func::FuncOp"> {
  let summary = "Raise the residual stream's Adds to attn.residual_add";
  let description = [{
    An Add of two [batch, seq, hidden] activations of one type where one side
    is a sublayer's output (an attn.linear projection, or an attn norm for
    post-norm models such as Gemma) becomes attn.residual_add(stream, update).
    Run after the other raising passes: it recognises sublayer outputs by the
    attn ops they already are.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

#endif // ATTNC_PASSES
