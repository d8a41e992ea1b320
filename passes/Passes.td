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
  let description = [{
    Also com.microsoft MatMulNBits (onnxruntime's pre-quantized weights) with
    constant weights -> attn.quantized_linear over its own bytes (4 bits,
    block_size 32 / 64 / 128; attn.weight_reshape / weight_unpack_nibbles put
    them in the kernels' layout). One it cannot read (other bits or block
    sizes, g_idx, shapes that disagree with K / N) is an error at the node.
  }];
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
    Query positions offset by a past length (graphs with past_key_values) are
    accepted when the offset is provably the scores' kv_seq - seq
    (`kv_aligned = true`: query i at key position kv_seq - seq + i).
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

def RaisePositions : Pass<"attn-raise-positions", "::mlir::func::FuncOp"> {
  let summary = "Raise the exporter's position-id computation to attn.positions";
  let description = [{
    Unsqueeze(Range(0, n, 1), [0]) where n is provably dim 1 (seq) of a
    [batch, seq] integer input becomes attn.positions(input) : [1, seq];
    Unsqueeze(Add(Range(0, n, 1), p), [0]) with p an integer scalar (the past
    length of a graph with past_key_values inputs) becomes
    attn.positions(input) offset(p).
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def SimplifyLayouts : Pass<"attn-simplify-layouts", "::mlir::func::FuncOp"> {
  let summary = "Remove the transposes and reshapes exporters put around raised ops";
  let description = [{
    Composes and cancels Transposes (pushing them below per-row attn ops,
    Split and Slice), turns single-index GatherND into Slice, removes Reshapes
    to a value's own shape and the flatten/unflatten pairs around 2-D
    projections, so that every activation keeps its [batch, seq] dims in front.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def CheckRaised : Pass<"attn-check-raised", "::mlir::func::FuncOp"> {
  let summary = "Fail on any onnx op that raising should have removed";
  let description = [{
    Reports every op outside the allow-list in passes/RaisedForm.h (constants,
    per-token Reshape/Split/Slice, the padding-mask Cast, Adds of attn
    results) as an error naming it.
  }];
}

def InsertKVCache : Pass<"attn-insert-kv-cache", "::mlir::func::FuncOp"> {
  let summary = "Turn a raised (batch, seq) graph into a ragged token step over a paged KV cache";
  let description = [{
    input_ids/attention_mask -> token_ids, positions, logit_tokens; every
    [batch, seq, ...] activation becomes [tokens, ...]; attn.attention becomes
    attn.paged_attention (layer index, cache group per distinct window);
    attn.positions becomes the positions input; logits are computed only for
    logit_tokens (attn.select_tokens before the final norm). Records the page
    size as `attn.page_size` on the function. Graphs exported with
    past_key_values.N.key/value inputs and present.N.key/value outputs
    (optimum naming) map onto the same cache: layer N's KV-cache concat is
    dropped (paged_attention appends and reads), and so are the past inputs
    and the present outputs; any other use of them is an error naming them.
  }];
  let options = [
    Option<"pageSize", "page-size", "int64_t", "16", "tokens per KV-cache page">
  ];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def FlashTiling : Pass<"attn-flash-tiling", "::mlir::func::FuncOp"> {
  let summary = "Tile every paged attention into an online-softmax loop over KV tiles";
  let description = [{
    Rewrites each attn.paged_attention into attn.flash_attention: the tiling
    chosen for the target (tile_kv keys per online-softmax tile, a power of
    two so tiles are page-aligned; query_block query tokens per work item;
    split_kv keys per flash-decoding slice) and the body one work item runs,
    an scf.for over the KV tiles between the item's key bounds (causal and
    window bounds clamp the loop, so fully masked tiles are never visited)
    carrying the running max, running sum and rescaled accumulator through
    attn.load_kv_tile, attn.tile_scores, attn.logit_softcap (only when the
    layer has a softcap) and attn.online_softmax. Code generation translates
    that body into the kernel's tile loop.
  }];
  let options = [
    Option<"target", "target", "std::string", "\"cpu\"", "cpu or cuda">
  ];
  let dependentDialects = ["::attnc::attn::AttnDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def FuseResidualNorm : Pass<"attn-fuse-residual-norm", "::mlir::func::FuncOp"> {
  let summary = "Fuse each residual add with the RMSNorm that reads its sum";
  let description = [{
    attn.residual_add (without scale) whose sum feeds an attn.rms_norm over
    the same last dim becomes one attn.residual_add_rms_norm producing both
    the sum (the residual stream goes on) and the normalised value, so the
    kernels read the hidden states once. Placed where the add was; skipped
    when the norm's weight is not available there.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def FuseRopeKvAppend : Pass<"attn-fuse-rope-kv-append", "::mlir::func::FuncOp"> {
  let summary = "Fuse the new keys' RoPE into the KV-cache append of attn.flash_attention";
  let description = [{
    An attn.flash_attention whose new key is an attn.rope (theta form, the
    step's positions argument) used nowhere else takes the un-rotated key and
    carries the rotation (rope_style, rotary_dim, rope_theta): the targets
    rotate the keys as they write them to the cache, one kernel instead of a
    copy, a rotation and an append. A query rope of the same rotation, used
    only as this op's query, is folded in too (rope_query) and rides on the
    same kernel. Table-driven ropes (cos/sin tables) are left alone. Runs
    after attn-flash-tiling.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def FuseProjections : Pass<"attn-fuse-projections", "::mlir::func::FuncOp"> {
  let summary = "Fuse linears that read the same input (Q/K/V, gate/up) into one linear";
  let description = [{
    attn.linear ops with the same input, weight layout and element type become
    one attn.linear over an attn.weight_concat of their weights (and biases),
    followed by a split of the last axis into the original outputs.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect",
                           "::attnc::onnx_dialect::OnnxDialect"];
}

def FoldWeightTransforms : Pass<"attn-fold-weight-transforms", "::mlir::func::FuncOp"> {
  let summary = "Evaluate weight transforms (attn.weight_concat, ...) into constants";
  let description = [{
    Replaces every attn.weight_concat, weight_quantize, weight_reshape,
    weight_unpack_nibbles, weight_pack_nibbles, weight_widen_nibbles,
    weight_transpose or weight_cast whose inputs
    are constants (or other weight transforms over constants) by onnx.Constant
    ops holding the bytes
    the packer produces for it (compiler/WeightEvaluation, runtime/pack).
    The result is a dense constant, a copy of the weights: for debugging and
    small models only, which is why no pipeline runs it. Weight transforms
    over anything else are left alone.
  }];
  let dependentDialects = ["::attnc::attn::AttnDialect",
                           "::attnc::onnx_dialect::OnnxDialect"];
}

def QuantizeWeights : Pass<"attn-quantize-weights", "::mlir::func::FuncOp"> {
  let summary = "Weight-only round-to-nearest quantization of the linears";
  let description = [{
    Every attn.linear whose weight is a constant (or a weight transform over
    constants, e.g. fused projections' attn.weight_concat) becomes an
    attn.quantized_linear over an attn.weight_quantize of that weight, which
    the packer evaluates (runtime/pack quantizeWeight): the artifact stores
    the quantized bytes, out_in, for either weight layout.
    Schemes: w8 (8-bit, per-output-channel scales), w8gG / w4gG (8 / 4-bit,
    one scale per G inputs: G = 128, 64, 32) and w8gGa / w4gGa (the same,
    asymmetric: a zero point per group). The lm_head (the linear producing the returned logits,
    through softcap / scale) and the embedding table stay in the model's type
    unless asked; a quantized embedding has no kernel yet, so asking for it is
    an error. A group size that does not divide a linear's input dimension is
    an error at that linear.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"w8\"",
           "w8, w8g128, w8g64, w8g32, w4g128, w4g64, w4g32 (a trailing a for zero points)">,
    Option<"includeLmHead", "include-lm-head", "bool", "false",
           "also quantize the lm_head">,
    Option<"includeEmbedding", "include-embedding", "bool", "false",
           "also quantize the embedding table (refused: no quantized embedding kernel)">
  ];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

def QuantizeKvCache : Pass<"attn-quantize-kv-cache", "::mlir::func::FuncOp"> {
  let summary = "Store the KV cache quantized (int8 or fp8 e4m3, scales per token and head)";
  let description = [{
    Sets kv_cache_type on every attn.paged_attention and attn.flash_attention
    (run after attn-insert-kv-cache; attn-flash-tiling and
    attn-fuse-rope-kv-append keep it): each layer's pages then hold 1-byte
    codes plus an f32 scale per (token, kv head) of K and of V, quantized as
    the step appends them and dequantized as attention loads them, in the
    layout and rounding of runtime/QuantizedKV.h. Types: int8, fp8 (e4m3fn;
    also spelled fp8_e4m3). Graph-level attn.attention (no cache yet) is left
    alone; an unknown type is an error.
  }];
  let options = [
    Option<"kvType", "type", "std::string", "\"int8\"", "int8 or fp8 (e4m3)">
  ];
  let dependentDialects = ["::attnc::attn::AttnDialect"];
}

#endif // ATTNC_PASSES
