// RUN: attnc-opt %s -split-input-file -attn-infer-shapes | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-infer-shapes=annotate | FileCheck %s --check-prefix=SYM

// The head split of attention: Shape -> Gather -> Concat -> Reshape with the
// symbolic batch and seq dims folds to a constant target that copies them.
// CHECK-LABEL: func.func @split_heads
// CHECK-NOT: onnx.Shape
// CHECK-NOT: onnx.Gather
// CHECK-NOT: onnx.Concat
// CHECK: %[[T:.*]] = onnx.Constant() {value = dense<[0, 0, 4, 16]> : tensor<4xi64>}
// CHECK: onnx.Reshape(%arg0, %[[T]]) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// SYM-LABEL: func.func @split_heads
// SYM: onnx.Reshape{{.*}}onnx.symbolic_shape = ["[batch, seq, 4, 16]"]
func.func @split_heads(%x: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> tensor<*xf32> {
  %shape = onnx.Shape(%x) : (tensor<?x?x64xf32>) -> tensor<3xi64>
  %i0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %i1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %b = onnx.Gather(%shape, %i0) : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = onnx.Gather(%shape, %i1) : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %heads = onnx.Constant() {value = dense<[4, 16]> : tensor<2xi64>} : () -> tensor<2xi64>
  %target = onnx.Concat(%b, %s, %heads) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %y = onnx.Reshape(%x, %target) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Flattening batch and seq: the product batch*seq cannot be copied from one
// input dim, so it becomes the single inferred (-1) dim.
// CHECK-LABEL: func.func @flatten_tokens
// CHECK: %[[T:.*]] = onnx.Constant() {value = dense<[-1, 64]> : tensor<2xi64>}
// CHECK: onnx.Reshape(%arg0, %[[T]]) : (tensor<?x?x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
// SYM-LABEL: func.func @flatten_tokens
// SYM: onnx.Reshape{{.*}}onnx.symbolic_shape = ["[batch*seq, 64]"]
func.func @flatten_tokens(%x: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> tensor<*xf32> {
  %shape = onnx.Shape(%x) {end = 2 : i64} : (tensor<?x?x64xf32>) -> tensor<2xi64>
  %axes = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %n = onnx.ReduceProd(%shape, %axes) : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %n2 = onnx.Mul(%n, %n) : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %i0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %i1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %b = onnx.Gather(%shape, %i0) : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = onnx.Gather(%shape, %i1) : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %bs = onnx.Mul(%b, %s) : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %c = onnx.Constant() {value = dense<64> : tensor<1xi64>} : () -> tensor<1xi64>
  %target = onnx.Concat(%bs, %c) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %y = onnx.Reshape(%x, %target) : (tensor<?x?x64xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// A shape computation on static dims is a constant.
// CHECK-LABEL: func.func @static_shape_folds
// CHECK: %[[C:.*]] = onnx.Constant() {value = dense<[2, 12]> : tensor<2xi64>}
// CHECK-NOT: onnx.Shape
// CHECK: return %[[C]]
func.func @static_shape_folds(%x: tensor<2x3x4xf32>) -> tensor<*xi64> {
  %shape = onnx.Shape(%x) : (tensor<2x3x4xf32>) -> tensor<*xi64>
  %i0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %rest = onnx.Constant() {value = dense<[1, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %b = onnx.Gather(%shape, %i0) : (tensor<*xi64>, tensor<1xi64>) -> tensor<*xi64>
  %r = onnx.Gather(%shape, %rest) : (tensor<*xi64>, tensor<2xi64>) -> tensor<*xi64>
  %axes = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %p = onnx.ReduceProd(%r, %axes) : (tensor<*xi64>, tensor<1xi64>) -> tensor<*xi64>
  %out = onnx.Concat(%b, %p) {axis = 0 : i64} : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %out : tensor<*xi64>
}

// -----

// Expanding to the input's own shape is a no-op and disappears.
// CHECK-LABEL: func.func @expand_to_own_shape
// CHECK-NOT: onnx.Expand
// CHECK: return %arg0
func.func @expand_to_own_shape(%x: tensor<?x?xf32> {onnx.dim_params = ["batch", "seq"]}) -> tensor<?x?xf32> {
  %shape = onnx.Shape(%x) : (tensor<?x?xf32>) -> tensor<2xi64>
  %y = onnx.Expand(%x, %shape) : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Must not fire: a target read from a graph input is runtime data.
// CHECK-LABEL: func.func @runtime_target_stays
// CHECK: onnx.Reshape(%arg0, %arg1)
func.func @runtime_target_stays(%x: tensor<?x64xf32>, %t: tensor<2xi64>) -> tensor<*xf32> {
  %y = onnx.Reshape(%x, %t) : (tensor<?x64xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Must not fire: two target dims that are neither constant nor copies of the
// input's dims cannot both be inferred, so the symbolic chain stays.
// CHECK-LABEL: func.func @two_unknown_dims_stay
// CHECK: onnx.Concat
// CHECK: onnx.Reshape
func.func @two_unknown_dims_stay(%x: tensor<?x?xf32> {onnx.dim_params = ["a", "b"]}) -> tensor<*xf32> {
  %shape = onnx.Shape(%x) : (tensor<?x?xf32>) -> tensor<2xi64>
  %i0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %i1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %a = onnx.Gather(%shape, %i0) : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %b = onnx.Gather(%shape, %i1) : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %target = onnx.Concat(%b, %a) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %y = onnx.Reshape(%x, %target) : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Shapes flow through unranked imports: MatMul batch broadcast, Transpose,
// Softmax and a keepdims reduction get ranked types; the function type follows.
// CHECK-LABEL: func.func @infers_ranks
// CHECK-SAME: -> tensor<?x4x?x1xf32>
// CHECK: onnx.Transpose{{.*}}-> tensor<?x4x16x?xf32>
// CHECK: onnx.MatMul{{.*}}-> tensor<?x4x?x?xf32>
// CHECK: onnx.Softmax{{.*}}-> tensor<?x4x?x?xf32>
// CHECK: onnx.ReduceMean{{.*}}-> tensor<?x4x?x1xf32>
// SYM-LABEL: func.func @infers_ranks
// SYM: onnx.MatMul{{.*}}onnx.symbolic_shape = ["[batch, 4, seq, seq]"]
func.func @infers_ranks(%q: tensor<?x4x?x16xf32> {onnx.dim_params = ["batch", "", "seq", ""]}) -> tensor<*xf32> {
  %kt = onnx.Transpose(%q) {perm = array<i64: 0, 1, 3, 2>} : (tensor<?x4x?x16xf32>) -> tensor<*xf32>
  %s = onnx.MatMul(%q, %kt) : (tensor<?x4x?x16xf32>, tensor<*xf32>) -> tensor<*xf32>
  %p = onnx.Softmax(%s) : (tensor<*xf32>) -> tensor<*xf32>
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %m = onnx.ReduceMean(%p, %axes) : (tensor<*xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %m : tensor<*xf32>
}

// -----

// Slicing a shape value keeps its symbolic contents (Shape(x)[1:] here), and
// Range(0, seq) has length seq.
// CHECK-LABEL: func.func @slice_and_range
// CHECK: onnx.Range{{.*}}-> tensor<?xi64>
// SYM-LABEL: func.func @slice_and_range
// SYM: onnx.Range{{.*}}onnx.symbolic_shape = ["[seq]"]
// SYM: onnx.Expand{{.*}}onnx.symbolic_shape = ["[batch, seq]"]
func.func @slice_and_range(%x: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<*xi64> {
  %shape = onnx.Shape(%x) : (tensor<?x?xi64>) -> tensor<2xi64>
  %st = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %en = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %seq1 = onnx.Slice(%shape, %st, %en, %none, %none) : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<*xi64>
  %zero = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %one = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %seq = onnx.Squeeze(%seq1, %ax) : (tensor<*xi64>, tensor<1xi64>) -> tensor<*xi64>
  %pos = onnx.Range(%zero, %seq, %one) : (tensor<i64>, tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %e = onnx.Expand(%pos, %shape) : (tensor<*xi64>, tensor<2xi64>) -> tensor<*xi64>
  return %e : tensor<*xi64>
}

// -----

// The dynamo exporter's reshapes carry allowzero=1. Without a literal zero in
// the target, allowzero changes nothing, so the folded target may copy dims
// (0) and the op switches to allowzero=0.
// CHECK-LABEL: func.func @allowzero_without_zeros_folds
// CHECK: %[[T:.*]] = onnx.Constant() {value = dense<[0, 0, 4, 16]> : tensor<4xi64>}
// CHECK: onnx.Reshape(%arg0, %[[T]]) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// CHECK-NOT: allowzero = 1
func.func @allowzero_without_zeros_folds(%x: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> tensor<*xf32> {
  %shape = onnx.Shape(%x) {end = 2 : i64} : (tensor<?x?x64xf32>) -> tensor<2xi64>
  %heads = onnx.Constant() {value = dense<[4, 16]> : tensor<2xi64>} : () -> tensor<2xi64>
  %target = onnx.Concat(%shape, %heads) {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %y = onnx.Reshape(%x, %target) {allowzero = 1 : i64} : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// Must not fire: with allowzero=1 a literal zero in the target means an empty
// dim, which a folded 0 (copy) would change.
// CHECK-LABEL: func.func @allowzero_with_literal_zero_stays
// CHECK: onnx.Concat
// CHECK: onnx.Reshape{{.*}}allowzero = 1
func.func @allowzero_with_literal_zero_stays(%x: tensor<?x?x64xf32> {onnx.dim_params = ["batch", "seq", ""]}) -> tensor<*xf32> {
  %shape = onnx.Shape(%x) {end = 2 : i64} : (tensor<?x?x64xf32>) -> tensor<2xi64>
  %tail = onnx.Constant() {value = dense<[0, 16]> : tensor<2xi64>} : () -> tensor<2xi64>
  %target = onnx.Concat(%shape, %tail) {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %y = onnx.Reshape(%x, %target) {allowzero = 1 : i64} : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// With past_key_values inputs (optimum naming) the attention mask covers the
// past and the new tokens: its own length symbol is bound to past + seq.
// SYM-LABEL: func.func @past_attention_mask
// SYM: onnx.Cast{{.*}}onnx.symbolic_shape = ["[batch, past + seq]"]
func.func @past_attention_mask(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "past_seq"], onnx.name = "attention_mask"}, %pk: tensor<?x2x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.key"}) -> tensor<?x?xi1> {
  %b = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  return %b : tensor<?x?xi1>
}

// -----

// Must not fire: without past inputs, or when the mask's length symbol is
// shared with another input, it stays as it is.
// SYM-LABEL: func.func @mask_without_past
// SYM: onnx.Cast{{.*}}onnx.symbolic_shape = ["[batch, total]"]
// SYM-LABEL: func.func @mask_length_shared
// SYM: onnx.Cast{{.*}}onnx.symbolic_shape = ["[batch, total]"]
func.func @mask_without_past(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "total"], onnx.name = "attention_mask"}) -> tensor<?x?xi1> {
  %b = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  return %b : tensor<?x?xi1>
}
func.func @mask_length_shared(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"], onnx.name = "input_ids"}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "total"], onnx.name = "attention_mask"}, %pk: tensor<?x2x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.key"}, %other: tensor<?xf32> {onnx.dim_params = ["total"], onnx.name = "other"}) -> tensor<?x?xi1> {
  %b = onnx.Cast(%mask) {to = 9 : i64} : (tensor<?x?xi64>) -> tensor<?x?xi1>
  return %b : tensor<?x?xi1>
}
