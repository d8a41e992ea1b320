// The `attn` dialect, graph level: what a decoder layer is made of - norms,
// linears, RoPE, one attention op, activations - raised from imported ONNX.
// Every later pass (KV-cache insertion, quantization, flash tiling, codegen)
// works on these ops.
//
// Layout conventions (token-major, so the ragged token step of the KV-cache
// pass is a reshape away):
//   hidden states  [batch, seq, hidden]
//   per-head q/k/v [batch, seq, heads, head_dim]
//   positions      [batch, seq] integers
#ifndef ATTNC_ATTN_OPS
#define ATTNC_ATTN_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let summary = "transformer building blocks: attention, RoPE, norms, linears";
  let cppNamespace = "::attnc::attn";
  let useDefaultAttributePrinterParser = 1;
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, !listconcat(traits, [Pure])>;

def Attn_FloatTensor : TensorOf<[F16, BF16, F32, F64]>;
def Attn_IntTensor : TensorOf<[I32, I64]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Attn_RopeStyle : I32EnumAttr<"RopeStyle", "how RoPE pairs the rotated dims", [
  // (x[i], x[i + rotary_dim/2]): LLaMA, Mistral, Qwen, Gemma, GPT-NeoX.
  I32EnumAttrCase<"half_split", 0>,
  // (x[2i], x[2i+1]): GPT-J, some ONNX RotaryEmbedding exports.
  I32EnumAttrCase<"interleaved", 1>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::attnc::attn";
}
def Attn_RopeStyleAttr : EnumAttr<Attn_Dialect, Attn_RopeStyle, "rope_style">;

def Attn_Activation : I32EnumAttr<"Activation", "elementwise activation", [
  I32EnumAttrCase<"silu", 0>,
  I32EnumAttrCase<"gelu", 1>,       // exact, erf-based
  I32EnumAttrCase<"gelu_tanh", 2>,  // tanh approximation
  I32EnumAttrCase<"relu", 3>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::attnc::attn";
}
def Attn_ActivationAttr : EnumAttr<Attn_Dialect, Attn_Activation, "activation">;

def Attn_WeightLayout : I32EnumAttr<"WeightLayout", "how a linear's weight is stored", [
  // [out_features, in_features]: torch nn.Linear, Gemm transB=1.
  I32EnumAttrCase<"out_in", 0>,
  // [in_features, out_features]: what ONNX MatMul multiplies by.
  I32EnumAttrCase<"in_out", 1>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::attnc::attn";
}
def Attn_WeightLayoutAttr : EnumAttr<Attn_Dialect, Attn_WeightLayout, "weight_layout">;

// A quantized KV cache (attn-quantize-kv-cache): what a layer's pages store
// instead of the model's dtype. Values are runtime/QuantizedKV.h's KvType
// codes (ModelABI.h ATTNC_KV_*); the page layout and rounding are that file's.
def Attn_KvCacheType : I32EnumAttr<"KvCacheType", "what a quantized KV cache stores", [
  // int8 codes, an f32 scale per (token, kv head) of K and of V.
  I32EnumAttrCase<"int8", 1>,
  // e4m3fn (OCP FP8) codes, an f32 scale per (token, kv head) of K and of V.
  I32EnumAttrCase<"fp8_e4m3", 2>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::attnc::attn";
}
def Attn_KvCacheTypeAttr : EnumAttr<Attn_Dialect, Attn_KvCacheType, "kv_cache_type">;

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Attn_AttentionOp : Attn_Op<"attention", [AttrSizedOperandSegments]> {
  let summary = "multi-head attention with grouped KV heads (MHA, GQA, MQA)";
  let description = [{
    softmax(softcap(scale * q k^T) + mask) v per head; query head h reads KV
    head h / (num_heads / num_kv_heads), so MHA and MQA are the two ends of
    the same op and K/V are never materialised per query head.

    query [batch, seq, num_heads, head_dim], key [batch, kv_seq, num_kv_heads,
    head_dim], value [batch, kv_seq, num_kv_heads, v_head_dim], result
    [batch, seq, num_heads, v_head_dim]. Query i sits at key position
    kv_seq - seq + i (queries are the last `seq` tokens).

    Masking, all recorded here so the mask subgraph disappears:
      causal        key j is visible to query i only if j <= pos(i);
      window = w>0  ... and pos(i) - j < w (the w most recent keys, itself
                    included); 0 means no window;
      sink_tokens   the first n keys stay visible through the window
                    (StreamingLLM);
      key_padding_mask [batch, kv_seq] i1: false keys are invisible (from an
                    attention_mask input);
      bias          an additive bias broadcastable to
                    [batch, num_heads, seq, kv_seq] (ALiBi, relative bias).
    softcap = c>0 applies c * tanh(s / c) to the scaled scores (Gemma-2).
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                   Attn_FloatTensor:$value,
                   Optional<TensorOf<[I1]>>:$key_padding_mask,
                   Optional<Attn_FloatTensor>:$bias,
                   I64Attr:$num_heads, I64Attr:$num_kv_heads, I64Attr:$head_dim,
                   F32Attr:$scale,
                   DefaultValuedAttr<BoolAttr, "true">:$causal,
                   DefaultValuedAttr<I64Attr, "0">:$window,
                   DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                   DefaultValuedAttr<I64Attr, "0">:$sink_tokens);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`padding` `(` $key_padding_mask^ `)`)?
    (`bias` `(` $bias^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    // Query heads per KV head.
    int64_t getGroupSize() { return getNumHeadsAttr().getInt() / getNumKvHeadsAttr().getInt(); }
  }];
}

//===----------------------------------------------------------------------===//
// Position embedding, norms
//===----------------------------------------------------------------------===//

def Attn_RopeOp : Attn_Op<"rope", [AttrSizedOperandSegments]> {
  let summary = "rotary position embedding on the first rotary_dim dims of each head";
  let description = [{
    x [batch, seq, heads, head_dim] with positions [batch, seq] (graph
    level), or x [tokens, heads, head_dim] with positions [tokens] (a step
    function after KV-cache insertion). The angle of
    pair k at position p is p * theta^(-2k / rotary_dim), or comes from the
    tables cos/sin [max_positions, rotary_dim / 2] (for scaled RoPE
    variants); dims past rotary_dim pass through (partial rotary).
  }];
  let arguments = (ins Attn_FloatTensor:$x, Attn_IntTensor:$positions,
                   Optional<Attn_FloatTensor>:$cos_table,
                   Optional<Attn_FloatTensor>:$sin_table,
                   Attn_RopeStyleAttr:$style, I64Attr:$rotary_dim,
                   OptionalAttr<F32Attr>:$theta);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $x `,` $positions (`tables` `(` $cos_table^ `,` $sin_table `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_RmsNormOp : Attn_Op<"rms_norm"> {
  let summary = "x / sqrt(mean(x^2) + epsilon) * (weight + weight_offset) over the last dim";
  let description = [{
    weight_offset is 1 for Gemma's `1 + weight` form, 0 otherwise. Applied to
    [batch, seq, heads, head_dim] it is a per-head q/k norm (Qwen3, Gemma-3).
  }];
  let arguments = (ins Attn_FloatTensor:$x, Attn_FloatTensor:$weight,
                   F32Attr:$epsilon,
                   DefaultValuedAttr<F32Attr, "0.0f">:$weight_offset);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$x `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_LayerNormOp : Attn_Op<"layer_norm"> {
  let summary = "(x - mean) / sqrt(var + epsilon) * weight + bias over the last dim";
  let arguments = (ins Attn_FloatTensor:$x, Attn_FloatTensor:$weight,
                   Optional<Attn_FloatTensor>:$bias, F32Attr:$epsilon);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $x `,` $weight (`bias` `(` $bias^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear layers, activations, embedding, residual
//===----------------------------------------------------------------------===//

def Attn_LinearOp : Attn_Op<"linear"> {
  let summary = "x W^T + b with a constant weight";
  let description = [{
    x [..., in_features]; weight [out, in] (out_in) or [in, out] (in_out),
    bias [out]. Fused projections (QKV, gate+up) are one linear whose output
    is split afterwards.
  }];
  let arguments = (ins Attn_FloatTensor:$x, Attn_FloatTensor:$weight,
                   Optional<Attn_FloatTensor>:$bias,
                   Attn_WeightLayoutAttr:$weight_layout);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $x `,` $weight (`bias` `(` $bias^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getInFeatures();
    int64_t getOutFeatures();
  }];
}

def Attn_QuantizedLinearOp : Attn_Op<"quantized_linear", [AttrSizedOperandSegments]> {
  let summary = "x dequant(W)^T + b with a weight-only quantized weight";
  let description = [{
    The weight W [N, K] (out_in) stored the way the quantized-linear kernels
    read it (runtime/QuantizedWeights.h; runtime/pack quantizeWeight):
      bits 8: values i8 [N, K], scales f32 [N] (group_size 0), w = q * s;
      bits 4: values ui8 (or i8) [N, K / 2], two nibbles a byte (element 2j
              low), scales f32 [N, K / group_size] (group_size 32, 64 or
              128), w = (u - 8) * s, or (u - z) * s with zero points
              zeros ui8 [N, K / group_size].
    bias [N] in x's type. x [..., K] -> [..., N]. The operands are weights
    (usually the results of an attn.weight_quantize).
  }];
  let arguments = (ins Attn_FloatTensor:$x, TensorOf<[I8, UI8]>:$values,
                   TensorOf<[F32]>:$scales, Optional<TensorOf<[UI8]>>:$zeros,
                   Optional<Attn_FloatTensor>:$bias, I64Attr:$bits, I64Attr:$group_size);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $x `,` $values `,` $scales (`zeros` `(` $zeros^ `)`)? (`bias` `(` $bias^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getInFeatures();
    int64_t getOutFeatures();
  }];
}

def Attn_ActivationOp : Attn_Op<"activation",
    [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "elementwise activation";
  let arguments = (ins Attn_FloatTensor:$x, Attn_ActivationAttr:$kind);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$kind $x attr-dict `:` functional-type(operands, results)";
}

def Attn_GatedActivationOp : Attn_Op<"gated_activation",
    [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "act(gate) * up (SwiGLU, GeGLU)";
  let arguments = (ins Attn_FloatTensor:$gate, Attn_FloatTensor:$up,
                   Attn_ActivationAttr:$kind);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$kind $gate `,` $up attr-dict `:` functional-type(operands, results)";
}

def Attn_EmbeddingOp : Attn_Op<"embedding"> {
  let summary = "row lookup: table [vocab, hidden], ids [batch, seq] -> [batch, seq, hidden]";
  let description = [{
    `scale`, when present, multiplies every looked-up row (Gemma scales its
    embeddings by sqrt(hidden)).
  }];
  let arguments = (ins Attn_FloatTensor:$table, Attn_IntTensor:$ids,
                   OptionalAttr<F32Attr>:$scale);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$table `,` $ids attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_ResidualAddOp : Attn_Op<"residual_add",
    [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "the residual stream: hidden + sublayer output";
  let description = [{
    residual + update, or residual + scale * update with `scale` (Granite's
    residual_multiplier scales every sublayer output before its add).
  }];
  let arguments = (ins Attn_FloatTensor:$residual, Attn_FloatTensor:$update,
                   OptionalAttr<F32Attr>:$scale);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$residual `,` $update attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_ResidualAddRmsNormOp : Attn_Op<"residual_add_rms_norm"> {
  let summary = "the residual stream's add fused with the RMSNorm that reads it";
  let description = [{
    sum = residual + update (attn.residual_add without scale) and output =
    rms_norm(sum) with `weight`, `epsilon`, `weight_offset` (attn.rms_norm):
    the hidden states are read once for both (attn-fuse-residual-norm).
  }];
  let arguments = (ins Attn_FloatTensor:$residual, Attn_FloatTensor:$update,
                   Attn_FloatTensor:$weight, F32Attr:$epsilon,
                   DefaultValuedAttr<F32Attr, "0.0f">:$weight_offset);
  let results = (outs Attn_FloatTensor:$sum, Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $residual `,` $update `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_LogitSoftcapOp : Attn_Op<"logit_softcap",
    [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "cap * tanh(x / cap): Gemma-2's final logit soft-capping";
  let arguments = (ins Attn_FloatTensor:$x, F32Attr:$cap);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_LogitScaleOp : Attn_Op<"logit_scale",
    [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "x * scale: the final logits scaled (Granite: 1 / logits_scaling)";
  let arguments = (ins Attn_FloatTensor:$x, F32Attr:$scale);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_PositionsOp : Attn_Op<"positions", [Pure]> {
  let summary = "the position of every token of a [batch, seq] token grid";
  let description = [{
    Positions 0 .. seq-1 of the tokens in `tokens` (dim 1), as [1, seq]
    (every row starts at 0) or [batch, seq]. With `offset` (a scalar: the
    past length of a graph exported with past_key_values inputs) they are
    offset .. offset+seq-1. Exporters compute them with Range/Unsqueeze;
    KV-cache insertion replaces this op by the step's per-token positions.
  }];
  let arguments = (ins Attn_IntTensor:$tokens, Optional<Attn_IntTensor>:$offset);
  let results = (outs Attn_IntTensor:$positions);
  let assemblyFormat = [{
    $tokens (`offset` `(` $offset^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Step level (after KV-cache insertion): a flat, ragged batch of tokens
//===----------------------------------------------------------------------===//

def Attn_PagedAttentionOp : Attn_Op<"paged_attention"> {
  let summary = "causal attention of a step's tokens over the paged KV cache";
  let description = [{
    query [tokens, num_heads, head_dim], key [tokens, num_kv_heads, head_dim],
    value [tokens, num_kv_heads, v_head_dim]: the step's tokens, sequences
    concatenated. The step's metadata (runtime/ModelABI.h: sequence
    boundaries, context lengths, block tables) says which sequence each token
    belongs to. The op appends key/value to layer `layer`'s pages (cache group
    `cache_group`), then attends each query at position p over its sequence's
    cached keys at positions in [p - window + 1, p] (window 0: [0, p]), with
    the attention op's scale and softcap. result [tokens, num_heads,
    v_head_dim].

    With kv_cache_type (attn-quantize-kv-cache) the layer's pages hold
    quantized K/V (runtime/QuantizedKV.h): each appended (token, kv head)
    vector becomes 1-byte codes and an f32 scale, and the attention reads
    code * scale. Without it the cache stores the operands' element type.
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                   Attn_FloatTensor:$value,
                   I64Attr:$layer, I64Attr:$cache_group,
                   I64Attr:$num_heads, I64Attr:$num_kv_heads, I64Attr:$head_dim,
                   F32Attr:$scale,
                   DefaultValuedAttr<I64Attr, "0">:$window,
                   DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                   OptionalAttr<Attn_KvCacheTypeAttr>:$kv_cache_type);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getGroupSize() { return getNumHeadsAttr().getInt() / getNumKvHeadsAttr().getInt(); }
  }];
}

//===----------------------------------------------------------------------===//
// Flash attention: the tiled form of attn.paged_attention (attn-flash-tiling)
//===----------------------------------------------------------------------===//

def Attn_FlashAttentionOp : Attn_Op<"flash_attention",
    [SingleBlock]> {
  let summary = "paged attention as an online-softmax loop over KV tiles";
  let description = [{
    The semantics of attn.paged_attention (same operands, result and
    attributes: the step's key/value are appended to layer `layer`'s pages,
    then every query attends over its sequence's cached keys) with the loop
    spelled out. The op cuts the step into work items: all query heads of one
    KV head for a block of `query_block` tokens of one sequence and, when a
    sequence has at most `query_block` tokens in the step (decode), a slice of
    its keys cut at multiples of `split_kv` (flash-decoding). query_block and
    split_kv 0: chosen per step by the target's planner (CUDA: from the
    step's shape and the multiprocessor count). The body runs
    once per item with
      %queries  [rows, head_dim]  the item's query rows (token-major, then head)
      %key_begin, %key_end        the keys any row of the item may see (causal
                                  and window bounds, the split's slice); the
                                  tile loop runs over these only, so fully
                                  masked tiles are never visited
    and yields the item's online-softmax state (running max [rows], running
    sum [rows], unnormalised accumulator [rows, v_head_dim]). The op then
    writes acc / sum per row (zeros for a row without visible keys), after
    merging the states of a split item's slices.

    With rope_style, rotary_dim and rope_theta (attn-fuse-rope-kv-append) the
    step's key enters un-rotated: the op applies attn.rope (those attributes,
    the step's token positions) to it as it appends it to the cache, one
    kernel on both targets; with rope_query too, the query enters un-rotated
    and gets the same rotation before attending.

    kv_cache_type: as on attn.paged_attention (a quantized cache; the keys
    are quantized after their fused rotation).
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                   Attn_FloatTensor:$value,
                   I64Attr:$layer, I64Attr:$cache_group,
                   I64Attr:$num_heads, I64Attr:$num_kv_heads, I64Attr:$head_dim,
                   F32Attr:$scale,
                   DefaultValuedAttr<I64Attr, "0">:$window,
                   DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                   I64Attr:$tile_kv, I64Attr:$query_block, I64Attr:$split_kv,
                   OptionalAttr<Attn_RopeStyleAttr>:$rope_style,
                   OptionalAttr<I64Attr>:$rotary_dim,
                   OptionalAttr<F32Attr>:$rope_theta,
                   UnitAttr:$rope_query,
                   OptionalAttr<Attn_KvCacheTypeAttr>:$kv_cache_type);
  let results = (outs Attn_FloatTensor:$output);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` functional-type(operands, results) $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getGroupSize() { return getNumHeadsAttr().getInt() / getNumKvHeadsAttr().getInt(); }
    int64_t getVHeadDim() {
      return ::llvm::cast<::mlir::RankedTensorType>(getValue().getType()).getDimSize(2);
    }
    // Whether the op rotates the new keys as it appends them.
    bool hasKeyRope() { return getRopeStyle().has_value(); }
  }];
}

def Attn_FlashYieldOp : Attn_Op<"flash_yield",
    [Terminator, HasParent<"FlashAttentionOp">]> {
  let summary = "the online-softmax state a flash_attention work item ends with";
  let arguments = (ins Variadic<AnyRankedTensor>:$state);
  let assemblyFormat = "$state attr-dict `:` type($state)";
}

def Attn_SoftmaxStateInitOp : Attn_Op<"softmax_state_init"> {
  let summary = "the empty online-softmax state of a work item's query rows";
  let description = [{
    queries [rows, head_dim] -> running max [rows] = -inf, running sum [rows]
    = 0, accumulator [rows, v_head_dim] = 0. Only inside attn.flash_attention.
  }];
  let arguments = (ins AnyRankedTensor:$queries);
  let results = (outs AnyRankedTensor:$max, AnyRankedTensor:$sum, AnyRankedTensor:$acc);
  let assemblyFormat = "$queries attr-dict `:` type($queries) `->` type(results)";
  let hasVerifier = 1;
}

def Attn_LoadKvTileOp : Attn_Op<"load_kv_tile"> {
  let summary = "the cached keys and values of one KV tile of the work item's sequence";
  let description = [{
    Keys and values at positions [start, start + tile_kv) of the enclosing
    flash_attention's layer and KV head, read through the sequence's block
    table; positions outside the item's keys are not read (and are masked by
    the ops that use the tile). `start` is a multiple of tile_kv, so a tile
    covers whole pages or an even part of one. keys [tile_kv, head_dim],
    values [tile_kv, v_head_dim]. Only inside attn.flash_attention.
  }];
  let arguments = (ins Index:$start);
  let results = (outs AnyRankedTensor:$keys, AnyRankedTensor:$values);
  let assemblyFormat = "$start attr-dict `:` type(results)";
  let hasVerifier = 1;
}

def Attn_TileScoresOp : Attn_Op<"tile_scores"> {
  let summary = "scale * Q Kᵀ of a work item's query rows against one KV tile";
  let description = [{
    queries [rows, head_dim], keys [tile_kv, head_dim] -> scores [rows,
    tile_kv]. A score a row may not see (beyond its causal or window bound,
    outside the item's keys) is masked: it counts as -inf in
    attn.online_softmax. Only inside attn.flash_attention.
  }];
  let arguments = (ins AnyRankedTensor:$queries, AnyRankedTensor:$keys, F32Attr:$scale);
  let results = (outs AnyRankedTensor:$scores);
  let assemblyFormat = "$queries `,` $keys attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_OnlineSoftmaxOp : Attn_Op<"online_softmax"> {
  let summary = "one tile's update of a running softmax state";
  let description = [{
    scores [rows, tile_kv], values [tile_kv, v_head_dim] and the state (max,
    sum [rows], acc [rows, v_head_dim]) -> the new state:
      m' = max(m, max_j s_j)
      l' = l * exp(m - m') + sum_j exp(s_j - m')
      acc' = acc * exp(m - m') + sum_j exp(s_j - m') v_j
    over the unmasked scores of each row (a row without any keeps its state).
  }];
  let arguments = (ins AnyRankedTensor:$scores, AnyRankedTensor:$values,
                   AnyRankedTensor:$max, AnyRankedTensor:$sum, AnyRankedTensor:$acc);
  let results = (outs AnyRankedTensor:$new_max, AnyRankedTensor:$new_sum,
                      AnyRankedTensor:$new_acc);
  let assemblyFormat = [{
    $scores `,` $values `,` $max `,` $sum `,` $acc attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_SelectTokensOp : Attn_Op<"select_tokens", [Pure]> {
  let summary = "the rows of the step's tokens whose logits are wanted";
  let description = [{
    x [tokens, ...], indices [n] (into 0 .. tokens-1) -> [n, ...]. KV-cache
    insertion puts it before the final norm and lm_head, so logits are only
    computed for the tokens the runtime asks for.
  }];
  let arguments = (ins Attn_FloatTensor:$x, Attn_IntTensor:$indices);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$x `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Weight transforms
//===----------------------------------------------------------------------===//

def Attn_WeightConcatOp : Attn_Op<"weight_concat", [Pure]> {
  let summary = "concatenation of constant weights (fused projections)";
  let description = [{
    A weight transform: its inputs are constants (or other weight
    transforms). It is never materialised in the IR; the artifact's packer
    (runtime/pack) evaluates it when it writes the weights, so compiling from
    the graph and packing where the weights live give the same bytes.
  }];
  let arguments = (ins Variadic<Attn_FloatTensor>:$inputs, I64Attr:$axis);
  let results = (outs Attn_FloatTensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightQuantizeOp : Attn_Op<"weight_quantize", [Pure]> {
  let summary = "weight-only round-to-nearest quantization of a constant weight";
  let description = [{
    A weight transform like attn.weight_concat: never materialised in the
    IR, evaluated by the packer (runtime/pack quantizeWeight). The weight is
    [out, in] (out_in) or [in, out] (in_out); the results are always out_in:
    values (i8 [N, K] for 8 bits, ui8 [N, K / 2] for 4), scales f32 [N]
    (group_size 0) or [N, K / group_size], and with `asymmetric` (4-bit only)
    zero points ui8 [N, K / group_size].
  }];
  let arguments = (ins Attn_FloatTensor:$weight, I64Attr:$bits, I64Attr:$group_size,
                   UnitAttr:$asymmetric, Attn_WeightLayoutAttr:$weight_layout);
  let results = (outs TensorOf<[I8, UI8]>:$values, TensorOf<[F32]>:$scales,
                 Optional<TensorOf<[UI8]>>:$zeros);
  let assemblyFormat = "$weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightReshapeOp : Attn_Op<"weight_reshape", [Pure]> {
  let summary = "a constant weight's bytes under another static shape";
  let description = [{
    A weight transform (runtime/pack reshape): same element type and count.
    Pre-quantized weights (MatMulNBits' [N, blocks, blob] values, flat
    scales) take the shapes attn.quantized_linear reads this way.
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightBroadcastOp : Attn_Op<"weight_broadcast", [Pure]> {
  let summary = "a constant weight's elements repeated over trailing dimensions";
  let description = [{
    A weight transform (runtime/pack broadcast): the result's leading
    dimensions are the input's shape, and each input element fills the
    trailing ones (a rank-0 input fills the result). A DequantizeLinear's
    per-tensor or per-column scale and zero point become the per-row [N] or
    per-group [N, K / group] operands of attn.quantized_linear this way.
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightUnpackNibblesOp : Attn_Op<"weight_unpack_nibbles", [Pure]> {
  let summary = "packed 4-bit values to one byte each";
  let description = [{
    A weight transform (runtime/pack unpackNibbles): ui8 [rows, cols] from a
    ui8 input of rows * ceil(cols / 2) bytes, each row's even column in the
    low nibble (MatMulNBits' packed zero points -> attn.quantized_linear's
    one zero point a byte).
  }];
  let arguments = (ins StaticShapeTensorOf<[UI8]>:$input);
  let results = (outs StaticShapeTensorOf<[UI8]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightTransposeOp : Attn_Op<"weight_transpose", [Pure]> {
  let summary = "a constant 2-D weight transposed";
  let description = [{
    A weight transform (runtime/pack transpose2d): [rows, cols] -> [cols,
    rows], same element type. A DequantizeLinear's [K, N] codes become
    attn.quantized_linear's [N, K] rows this way.
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightWidenNibblesOp : Attn_Op<"weight_widen_nibbles", [Pure]> {
  let summary = "4-bit values (i4 / ui4, one a byte) to unsigned bytes";
  let description = [{
    A weight transform (runtime/pack widenNibbles): ui8 of the input's shape,
    ui4 values as they are, i4 values q as q + 8 (in [0, 15]: the unsigned
    nibbles of runtime/QuantizedWeights.h, whose symmetric zero point is 8).
  }];
  let arguments = (ins StaticShapeTensorOf<[I<4>, UI<4>]>:$input);
  let results = (outs StaticShapeTensorOf<[UI8]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightToUnsignedOp : Attn_Op<"weight_to_unsigned", [Pure]> {
  let summary = "int8 codes q as unsigned bytes q + 128";
  let description = [{
    A weight transform (runtime/pack toUnsigned), same shape: the int8
    codes and zero points of a DequantizeLinear with nonzero zero points
    become the unsigned codes of the w8gGa kernels ((q + 128) - (z + 128) =
    q - z).
  }];
  let arguments = (ins StaticShapeTensorOf<[I8]>:$input);
  let results = (outs StaticShapeTensorOf<[UI8]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightPackNibblesOp : Attn_Op<"weight_pack_nibbles", [Pure]> {
  let summary = "values in [0, 15], one a byte, packed two a byte";
  let description = [{
    A weight transform (runtime/pack packNibbles), the inverse of
    attn.weight_unpack_nibbles: ui8 [rows, ceil(cols / 2)] from ui8 [rows,
    cols], each row's even column in the low nibble.
  }];
  let arguments = (ins StaticShapeTensorOf<[UI8]>:$input);
  let results = (outs StaticShapeTensorOf<[UI8]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_WeightCastOp : Attn_Op<"weight_cast", [Pure]> {
  let summary = "a constant float weight in another float type";
  let description = [{
    A weight transform (runtime/pack castFloat) between f32, f16 and bf16,
    same shape: f16 / bf16 scales of pre-quantized weights to the f32 that
    attn.quantized_linear reads.
  }];
  let arguments = (ins StaticShapeTensorOf<[F32, F16, BF16]>:$input);
  let results = (outs StaticShapeTensorOf<[F32, F16, BF16]>:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // ATTNC_ATTN_OPS
