// Ops of the `onnx` dialect. See OnnxBase.td for the conventions (operand
// order, optional inputs as `none`, attribute kinds).
#ifndef ATTNC_ONNX_OPS
#define ATTNC_ONNX_OPS

include "dialects/Onnx/OnnxBase.td"

//===----------------------------------------------------------------------===//
// Op classes. A verifier hook `verifyXxx(op)` in OnnxOps.cpp is shared by a
// whole class, so each rule is written once.
//===----------------------------------------------------------------------===//

// Elementwise with numpy broadcasting; operands and result share an element type.
class Onnx_ArithmeticOp<string name>
    : Onnx_Op<name, [SameOperandsAndResultElementType]> {
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$C);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyBroadcastBinary(*this); }";
}

// Comparisons: operands share an element type; the result is bool.
class Onnx_CompareOp<string name>
    : Onnx_Op<name, [SameOperandsElementType]> {
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs Onnx_BoolTensor:$C);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyBroadcastBinary(*this); }";
}

class Onnx_LogicalOp<string name> : Onnx_Op<name> {
  let arguments = (ins Onnx_BoolTensor:$A, Onnx_BoolTensor:$B);
  let results = (outs Onnx_BoolTensor:$C);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyBroadcastBinary(*this); }";
}

// Elementwise unary: same shape and element type in and out.
class Onnx_UnaryOp<string name, Type elt = AnyTensor>
    : Onnx_Op<name, [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let arguments = (ins elt:$X);
  let results = (outs elt:$Y);
}

// Elementwise predicates (IsNaN, IsInf): same shape, bool result.
class Onnx_PredicateOp<string name>
    : Onnx_Op<name, [SameOperandsAndResultShape]> {
  let arguments = (ins Onnx_FloatTensor:$X);
  let results = (outs Onnx_BoolTensor:$Y);
}

// Variadic elementwise with broadcasting (Max, Min, Sum, Mean).
class Onnx_VariadicElementwiseOp<string name>
    : Onnx_Op<name, [SameOperandsAndResultElementType]> {
  let arguments = (ins Variadic<AnyTensor>:$data_0);
  let results = (outs AnyTensor:$result);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyVariadicElementwise(*this); }";
}

// Reductions; `axes` is an input (opset 18 form). Older attribute forms are
// upgraded by the importer.
class Onnx_ReduceOp<string name> : Onnx_Op<name> {
  let arguments = (ins AnyTensor:$data, Onnx_I64TensorOrNone:$axes,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$noop_with_empty_axes);
  let results = (outs AnyTensor:$reduced);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyReduce(*this); }";
}

//===----------------------------------------------------------------------===//
// Graph plumbing
//===----------------------------------------------------------------------===//

def Onnx_NoValueOp : Onnx_Op<"NoValue"> {
  let summary = "an omitted optional input";
  let results = (outs NoneType:$none);
}

def Onnx_ConstantOp : Onnx_Op<"Constant", [ConstantLike]> {
  let summary = "a constant tensor (Constant nodes and initializers)";
  let description = [{
    Every ONNX value form (value, value_float(s), value_int(s)) and every
    initializer is imported as `value`. Large initializers are resource blobs
    that point into the mapped model or external-data file.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Onnx_IdentityOp : Onnx_UnaryOp<"Identity">;

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Onnx_AddOp : Onnx_ArithmeticOp<"Add">;
def Onnx_SubOp : Onnx_ArithmeticOp<"Sub">;
def Onnx_MulOp : Onnx_ArithmeticOp<"Mul">;
def Onnx_DivOp : Onnx_ArithmeticOp<"Div">;
def Onnx_ModOp : Onnx_Op<"Mod", [SameOperandsAndResultElementType]> {
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, DefaultValuedAttr<I64Attr, "0">:$fmod);
  let results = (outs AnyTensor:$C);
  let hasVerifier = 1;
}
// Pow's exponent may have another element type (T, T1 -> T).
def Onnx_PowOp : Onnx_Op<"Pow"> {
  let arguments = (ins AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$Z);
  let hasVerifier = 1;
}

def Onnx_EqualOp : Onnx_CompareOp<"Equal">;
def Onnx_LessOp : Onnx_CompareOp<"Less">;
def Onnx_LessOrEqualOp : Onnx_CompareOp<"LessOrEqual">;
def Onnx_GreaterOp : Onnx_CompareOp<"Greater">;
def Onnx_GreaterOrEqualOp : Onnx_CompareOp<"GreaterOrEqual">;

def Onnx_AndOp : Onnx_LogicalOp<"And">;
def Onnx_OrOp : Onnx_LogicalOp<"Or">;
def Onnx_XorOp : Onnx_LogicalOp<"Xor">;
def Onnx_NotOp : Onnx_UnaryOp<"Not", Onnx_BoolTensor>;

def Onnx_NegOp : Onnx_UnaryOp<"Neg">;
def Onnx_AbsOp : Onnx_UnaryOp<"Abs">;
def Onnx_SignOp : Onnx_UnaryOp<"Sign">;
def Onnx_SqrtOp : Onnx_UnaryOp<"Sqrt", Onnx_FloatTensor>;
def Onnx_ReciprocalOp : Onnx_UnaryOp<"Reciprocal", Onnx_FloatTensor>;
def Onnx_ExpOp : Onnx_UnaryOp<"Exp", Onnx_FloatTensor>;
def Onnx_LogOp : Onnx_UnaryOp<"Log", Onnx_FloatTensor>;
def Onnx_TanhOp : Onnx_UnaryOp<"Tanh", Onnx_FloatTensor>;
def Onnx_SigmoidOp : Onnx_UnaryOp<"Sigmoid", Onnx_FloatTensor>;
def Onnx_ErfOp : Onnx_UnaryOp<"Erf", Onnx_FloatTensor>;
def Onnx_CosOp : Onnx_UnaryOp<"Cos", Onnx_FloatTensor>;
def Onnx_SinOp : Onnx_UnaryOp<"Sin", Onnx_FloatTensor>;
def Onnx_FloorOp : Onnx_UnaryOp<"Floor", Onnx_FloatTensor>;
def Onnx_CeilOp : Onnx_UnaryOp<"Ceil", Onnx_FloatTensor>;
def Onnx_RoundOp : Onnx_UnaryOp<"Round", Onnx_FloatTensor>;
def Onnx_ReluOp : Onnx_UnaryOp<"Relu">;
def Onnx_SoftplusOp : Onnx_UnaryOp<"Softplus", Onnx_FloatTensor>;
def Onnx_IsNaNOp : Onnx_PredicateOp<"IsNaN">;
def Onnx_IsInfOp : Onnx_PredicateOp<"IsInf"> {
  let arguments = (ins Onnx_FloatTensor:$X,
                   DefaultValuedAttr<I64Attr, "1">:$detect_negative,
                   DefaultValuedAttr<I64Attr, "1">:$detect_positive);
}

def Onnx_GeluOp : Onnx_Op<"Gelu", [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "GELU (opset 20); approximate is \"none\" or \"tanh\"";
  let arguments = (ins Onnx_FloatTensor:$X, DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}
def Onnx_LeakyReluOp : Onnx_Op<"LeakyRelu", [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let arguments = (ins Onnx_FloatTensor:$X, DefaultValuedAttr<F32Attr, "0.01f">:$alpha);
  let results = (outs Onnx_FloatTensor:$Y);
}

def Onnx_MaxOp : Onnx_VariadicElementwiseOp<"Max">;
def Onnx_MinOp : Onnx_VariadicElementwiseOp<"Min">;
def Onnx_SumOp : Onnx_VariadicElementwiseOp<"Sum">;
def Onnx_MeanOp : Onnx_VariadicElementwiseOp<"Mean">;

def Onnx_WhereOp : Onnx_Op<"Where"> {
  let arguments = (ins Onnx_BoolTensor:$condition, AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

def Onnx_CastOp : Onnx_Op<"Cast"> {
  let summary = "element type conversion; `to` is an ONNX TensorProto data type";
  let arguments = (ins AnyTensor:$input, I64Attr:$to,
                   DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}
def Onnx_CastLikeOp : Onnx_Op<"CastLike"> {
  let arguments = (ins AnyTensor:$input, AnyTensor:$target_type,
                   DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

// Linear (de)quantization: per tensor (scalar scale), per axis (1-D scale
// along `axis`) or blocked (opset 21: scale has x's rank, x's `axis` dim
// split into blocks of block_size).
def Onnx_DequantizeLinearOp : Onnx_Op<"DequantizeLinear"> {
  let arguments = (ins AnyTensor:$x, Onnx_FloatTensor:$x_scale,
                   Onnx_TensorOrNone:$x_zero_point,
                   DefaultValuedAttr<I64Attr, "1">:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$block_size,
                   OptionalAttr<I64Attr>:$output_dtype);
  let results = (outs Onnx_FloatTensor:$y);
  let hasVerifier = 1;
}
def Onnx_QuantizeLinearOp : Onnx_Op<"QuantizeLinear"> {
  let arguments = (ins Onnx_FloatTensor:$x, Onnx_FloatTensor:$y_scale,
                   Onnx_TensorOrNone:$y_zero_point,
                   DefaultValuedAttr<I64Attr, "1">:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$block_size,
                   OptionalAttr<I64Attr>:$output_dtype,
                   DefaultValuedAttr<I64Attr, "1">:$saturate,
                   OptionalAttr<I64Attr>:$precision);
  let results = (outs AnyTensor:$y);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra, normalisation, activation with axes
//===----------------------------------------------------------------------===//

def Onnx_MatMulOp : Onnx_Op<"MatMul", [SameOperandsAndResultElementType]> {
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
}

def Onnx_GemmOp : Onnx_Op<"Gemm"> {
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, Onnx_TensorOrNone:$C,
                   DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0f">:$beta,
                   DefaultValuedAttr<I64Attr, "0">:$transA,
                   DefaultValuedAttr<I64Attr, "0">:$transB);
  let results = (outs AnyTensor:$Y);
  let hasVerifier = 1;
}

def Onnx_SoftmaxOp : Onnx_Op<"Softmax", [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let arguments = (ins Onnx_FloatTensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Onnx_FloatTensor:$output);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyAxisOfInput(*this, getAxis(), getInput()); }";
}
def Onnx_LogSoftmaxOp : Onnx_Op<"LogSoftmax", [SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let arguments = (ins Onnx_FloatTensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Onnx_FloatTensor:$output);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyAxisOfInput(*this, getAxis(), getInput()); }";
}

def Onnx_LayerNormalizationOp : Onnx_Op<"LayerNormalization"> {
  let arguments = (ins Onnx_FloatTensor:$X, Onnx_FloatTensor:$Scale, Onnx_TensorOrNone:$B,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon,
                   DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs Onnx_FloatTensor:$Y, Onnx_TensorOrNone:$Mean, Onnx_TensorOrNone:$InvStdDev);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyNormalization(*this, getAxis(), getX(), getY(), getEpsilon()); }";
}

def Onnx_RMSNormalizationOp : Onnx_Op<"RMSNormalization"> {
  let summary = "RMSNormalization (opset 23)";
  let arguments = (ins Onnx_FloatTensor:$X, Onnx_FloatTensor:$scale,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon,
                   DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyNormalization(*this, getAxis(), getX(), getY(), getEpsilon()); }";
}

def Onnx_SimplifiedLayerNormalizationOp : Onnx_Op<"SimplifiedLayerNormalization"> {
  let summary = "RMS norm as onnxruntime registers it (default domain, contrib)";
  let arguments = (ins Onnx_FloatTensor:$X, Onnx_FloatTensor:$scale,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon,
                   DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs Onnx_FloatTensor:$Y, Onnx_TensorOrNone:$inv_std_var);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyNormalization(*this, getAxis(), getX(), getY(), getEpsilon()); }";
}

def Onnx_ReduceMeanOp : Onnx_ReduceOp<"ReduceMean">;
def Onnx_ReduceSumOp : Onnx_ReduceOp<"ReduceSum">;
def Onnx_ReduceMaxOp : Onnx_ReduceOp<"ReduceMax">;
def Onnx_ReduceMinOp : Onnx_ReduceOp<"ReduceMin">;
def Onnx_ReduceProdOp : Onnx_ReduceOp<"ReduceProd">;
def Onnx_ReduceL2Op : Onnx_ReduceOp<"ReduceL2">;

def Onnx_ArgMaxOp : Onnx_Op<"ArgMax"> {
  let arguments = (ins AnyTensor:$data, DefaultValuedAttr<I64Attr, "0">:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs Onnx_I64Tensor:$reduced);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyAxisOfInput(*this, getAxis(), getData()); }";
}

def Onnx_CumSumOp : Onnx_Op<"CumSum"> {
  let arguments = (ins AnyTensor:$x, Onnx_IntTensor:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$exclusive,
                   DefaultValuedAttr<I64Attr, "0">:$reverse);
  let results = (outs AnyTensor:$y);
  let hasVerifier = 1;
}

def Onnx_TriluOp : Onnx_Op<"Trilu"> {
  let arguments = (ins AnyTensor:$input, Onnx_I64TensorOrNone:$k,
                   DefaultValuedAttr<I64Attr, "1">:$upper);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

def Onnx_ShapeOp : Onnx_Op<"Shape"> {
  let arguments = (ins AnyTensor:$data, DefaultValuedAttr<I64Attr, "0">:$start,
                   OptionalAttr<I64Attr>:$end);
  let results = (outs Onnx_I64Tensor:$shape);
  let hasVerifier = 1;
}
def Onnx_SizeOp : Onnx_Op<"Size"> {
  let arguments = (ins AnyTensor:$data);
  let results = (outs Onnx_I64Tensor:$size);
}

def Onnx_ReshapeOp : Onnx_Op<"Reshape"> {
  let arguments = (ins AnyTensor:$data, Onnx_I64Tensor:$shape,
                   DefaultValuedAttr<I64Attr, "0">:$allowzero);
  let results = (outs AnyTensor:$reshaped);
  let hasVerifier = 1;
}

def Onnx_TransposeOp : Onnx_Op<"Transpose", [SameOperandsAndResultElementType]> {
  let arguments = (ins AnyTensor:$data, OptionalAttr<DenseI64ArrayAttr>:$perm);
  let results = (outs AnyTensor:$transposed);
  let hasVerifier = 1;
}

def Onnx_UnsqueezeOp : Onnx_Op<"Unsqueeze"> {
  let arguments = (ins AnyTensor:$data, Onnx_I64Tensor:$axes);
  let results = (outs AnyTensor:$expanded);
  let hasVerifier = 1;
}
def Onnx_SqueezeOp : Onnx_Op<"Squeeze"> {
  let arguments = (ins AnyTensor:$data, Onnx_I64TensorOrNone:$axes);
  let results = (outs AnyTensor:$squeezed);
  let hasVerifier = 1;
}
def Onnx_FlattenOp : Onnx_Op<"Flatten", [SameOperandsAndResultElementType]> {
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

def Onnx_ConcatOp : Onnx_Op<"Concat"> {
  let arguments = (ins Variadic<AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyTensor:$concat_result);
  let hasVerifier = 1;
}

def Onnx_SplitOp : Onnx_Op<"Split"> {
  let arguments = (ins AnyTensor:$input, Onnx_I64TensorOrNone:$split,
                   DefaultValuedAttr<I64Attr, "0">:$axis,
                   OptionalAttr<I64Attr>:$num_outputs);
  let results = (outs Variadic<AnyTensor>:$outputs);
  let hasVerifier = 1;
}

def Onnx_SliceOp : Onnx_Op<"Slice"> {
  let arguments = (ins AnyTensor:$data, Onnx_IntTensor:$starts, Onnx_IntTensor:$ends,
                   AnyTypeOf<[Onnx_IntTensor, NoneType]>:$axes,
                   AnyTypeOf<[Onnx_IntTensor, NoneType]>:$steps);
  let results = (outs AnyTensor:$output);
}

def Onnx_GatherOp : Onnx_Op<"Gather"> {
  let arguments = (ins AnyTensor:$data, Onnx_IntTensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyAxisOfInput(*this, getAxis(), getData()); }";
}
def Onnx_GatherElementsOp : Onnx_Op<"GatherElements"> {
  let arguments = (ins AnyTensor:$data, Onnx_IntTensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
  let extraClassDefinition = "::mlir::LogicalResult $cppClass::verify() { return verifyAxisOfInput(*this, getAxis(), getData()); }";
}
def Onnx_GatherNDOp : Onnx_Op<"GatherND"> {
  let arguments = (ins AnyTensor:$data, Onnx_I64Tensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs AnyTensor:$output);
}
def Onnx_ScatterNDOp : Onnx_Op<"ScatterND"> {
  let arguments = (ins AnyTensor:$data, Onnx_I64Tensor:$indices, AnyTensor:$updates,
                   DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

def Onnx_ExpandOp : Onnx_Op<"Expand"> {
  let arguments = (ins AnyTensor:$input, Onnx_I64Tensor:$shape);
  let results = (outs AnyTensor:$output);
}
def Onnx_TileOp : Onnx_Op<"Tile"> {
  let arguments = (ins AnyTensor:$input, Onnx_I64Tensor:$repeats);
  let results = (outs AnyTensor:$output);
}
def Onnx_PadOp : Onnx_Op<"Pad"> {
  let arguments = (ins AnyTensor:$data, Onnx_I64Tensor:$pads, Onnx_TensorOrNone:$constant_value,
                   AnyTypeOf<[Onnx_IntTensor, NoneType]>:$axes,
                   DefaultValuedStrAttr<StrAttr, "constant">:$mode);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

def Onnx_RangeOp : Onnx_Op<"Range"> {
  let arguments = (ins AnyTensor:$start, AnyTensor:$limit, AnyTensor:$delta);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

def Onnx_ConstantOfShapeOp : Onnx_Op<"ConstantOfShape"> {
  let arguments = (ins Onnx_I64Tensor:$input, OptionalAttr<ElementsAttr>:$value);
  let results = (outs AnyTensor:$output);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused attention-level operators (ONNX opset 23/24)
//===----------------------------------------------------------------------===//

def Onnx_AttentionOp : Onnx_Op<"Attention"> {
  let summary = "scaled dot-product attention (opset 23; nonpad_kv_seqlen from 24)";
  let arguments = (ins Onnx_FloatTensor:$Q, Onnx_FloatTensor:$K, Onnx_FloatTensor:$V,
                   Onnx_TensorOrNone:$attn_mask, Onnx_TensorOrNone:$past_key,
                   Onnx_TensorOrNone:$past_value, Onnx_TensorOrNone:$nonpad_kv_seqlen,
                   DefaultValuedAttr<I64Attr, "0">:$is_causal,
                   OptionalAttr<I64Attr>:$kv_num_heads,
                   OptionalAttr<I64Attr>:$q_num_heads,
                   DefaultValuedAttr<I64Attr, "0">:$qk_matmul_output_mode,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                   OptionalAttr<I64Attr>:$softmax_precision);
  let results = (outs Onnx_FloatTensor:$Y, Onnx_TensorOrNone:$present_key,
                 Onnx_TensorOrNone:$present_value, Onnx_TensorOrNone:$qk_matmul_output);
  let hasVerifier = 1;
}

def Onnx_RotaryEmbeddingOp : Onnx_Op<"RotaryEmbedding"> {
  let summary = "rotary position embedding (opset 23)";
  let arguments = (ins Onnx_FloatTensor:$X, Onnx_FloatTensor:$cos_cache,
                   Onnx_FloatTensor:$sin_cache, Onnx_TensorOrNone:$position_ids,
                   DefaultValuedAttr<I64Attr, "0">:$interleaved,
                   OptionalAttr<I64Attr>:$num_heads,
                   DefaultValuedAttr<I64Attr, "0">:$rotary_embedding_dim);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// com.microsoft contrib operators (onnxruntime), mnemonic prefix `ms.`
//===----------------------------------------------------------------------===//

def Onnx_MsGroupQueryAttentionOp : Onnx_Op<"ms.GroupQueryAttention"> {
  let summary = "com.microsoft GroupQueryAttention";
  let arguments = (ins Onnx_FloatTensor:$query, Onnx_TensorOrNone:$key,
                   Onnx_TensorOrNone:$value, Onnx_TensorOrNone:$past_key,
                   Onnx_TensorOrNone:$past_value, Onnx_TensorOrNone:$seqlens_k,
                   Onnx_TensorOrNone:$total_sequence_length,
                   Onnx_TensorOrNone:$cos_cache, Onnx_TensorOrNone:$sin_cache,
                   Onnx_TensorOrNone:$position_ids, Onnx_TensorOrNone:$attention_bias,
                   Onnx_TensorOrNone:$head_sink,
                   I64Attr:$num_heads, I64Attr:$kv_num_heads,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                   DefaultValuedAttr<I64Attr, "-1">:$local_window_size,
                   DefaultValuedAttr<I64Attr, "0">:$do_rotary,
                   DefaultValuedAttr<I64Attr, "0">:$rotary_interleaved,
                   OptionalAttr<I64Attr>:$smooth_softmax,
                   OptionalAttr<I64Attr>:$qk_output);
  let results = (outs Onnx_FloatTensor:$output, Onnx_TensorOrNone:$present_key,
                 Onnx_TensorOrNone:$present_value, Onnx_TensorOrNone:$output_qk);
  let hasVerifier = 1;
}

def Onnx_MsMultiHeadAttentionOp : Onnx_Op<"ms.MultiHeadAttention"> {
  let summary = "com.microsoft MultiHeadAttention";
  let arguments = (ins Onnx_FloatTensor:$query, Onnx_TensorOrNone:$key,
                   Onnx_TensorOrNone:$value, Onnx_TensorOrNone:$bias,
                   Onnx_TensorOrNone:$key_padding_mask, Onnx_TensorOrNone:$attention_bias,
                   Onnx_TensorOrNone:$past_key, Onnx_TensorOrNone:$past_value,
                   Onnx_TensorOrNone:$past_sequence_length,
                   Onnx_TensorOrNone:$cache_indirection,
                   I64Attr:$num_heads,
                   DefaultValuedAttr<F32Attr, "-10000.0f">:$mask_filter_value,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<I64Attr, "0">:$unidirectional);
  let results = (outs Onnx_FloatTensor:$output, Onnx_TensorOrNone:$present_key,
                 Onnx_TensorOrNone:$present_value, Onnx_TensorOrNone:$qk);
  let hasVerifier = 1;
}

def Onnx_MsRotaryEmbeddingOp : Onnx_Op<"ms.RotaryEmbedding"> {
  let summary = "com.microsoft RotaryEmbedding";
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_IntTensor:$position_ids,
                   Onnx_FloatTensor:$cos_cache, Onnx_FloatTensor:$sin_cache,
                   DefaultValuedAttr<I64Attr, "0">:$interleaved,
                   DefaultValuedAttr<I64Attr, "0">:$is_packed_batching,
                   DefaultValuedAttr<I64Attr, "0">:$num_heads,
                   DefaultValuedAttr<I64Attr, "0">:$rotary_embedding_dim,
                   DefaultValuedAttr<F32Attr, "1.0f">:$scale);
  let results = (outs Onnx_FloatTensor:$output);
  let hasVerifier = 1;
}

def Onnx_MsSkipSimplifiedLayerNormalizationOp
    : Onnx_Op<"ms.SkipSimplifiedLayerNormalization"> {
  let summary = "com.microsoft residual add + RMS norm";
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_FloatTensor:$skip,
                   Onnx_FloatTensor:$gamma, Onnx_TensorOrNone:$bias,
                   DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs Onnx_FloatTensor:$output, Onnx_TensorOrNone:$mean,
                 Onnx_TensorOrNone:$inv_std_var, Onnx_TensorOrNone:$input_skip_bias_sum);
  let hasVerifier = 1;
}

def Onnx_MsSkipLayerNormalizationOp : Onnx_Op<"ms.SkipLayerNormalization"> {
  let summary = "com.microsoft residual add + LayerNorm";
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_FloatTensor:$skip,
                   Onnx_FloatTensor:$gamma, Onnx_TensorOrNone:$beta,
                   Onnx_TensorOrNone:$bias,
                   DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs Onnx_FloatTensor:$output, Onnx_TensorOrNone:$mean,
                 Onnx_TensorOrNone:$inv_std_var, Onnx_TensorOrNone:$input_skip_bias_sum);
  let hasVerifier = 1;
}

def Onnx_MsMatMulNBitsOp : Onnx_Op<"ms.MatMulNBits"> {
  let summary = "com.microsoft block-quantized weight MatMul (A x dequant(B)^T)";
  let arguments = (ins Onnx_FloatTensor:$A, TensorOf<[UI8]>:$B, Onnx_FloatTensor:$scales,
                   Onnx_TensorOrNone:$zero_points, Onnx_TensorOrNone:$g_idx,
                   Onnx_TensorOrNone:$bias,
                   I64Attr:$K, I64Attr:$N,
                   DefaultValuedAttr<I64Attr, "4">:$bits,
                   I64Attr:$block_size,
                   DefaultValuedAttr<I64Attr, "0">:$accuracy_level);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}

#endif // ATTNC_ONNX_OPS
