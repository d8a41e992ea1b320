// RUN: attnc-opt %s -split-input-file -attn-raise-positions | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-positions | attnc-opt -split-input-file | FileCheck %s

// The exporter's position ids: Unsqueeze(Range(0, seq, 1), [0]) with seq read
// from the input ids' shape; the Range and its length computation go away.
// CHECK-LABEL: func.func @position_ids
// CHECK-NOT: onnx.Range
// CHECK-NOT: onnx.Shape
// CHECK-NOT: onnx.Squeeze
// CHECK-NOT: onnx.Unsqueeze
// CHECK: %[[P:.*]] = attn.positions %arg0 : (tensor<?x?xi64>) -> tensor<1x?xi64>
// CHECK: return %[[P]]
func.func @position_ids(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<1x?xi64> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos : tensor<1x?xi64>
}

// -----

// seq read from the attention mask (same dim_params as the ids, as in the HF
// exports) names the first [batch, seq] integer input; a Range also used
// elsewhere (the causal mask) stays for that use.
// CHECK-LABEL: func.func @seq_from_mask_shared_range
// CHECK: %[[R:.*]] = onnx.Range
// CHECK: %[[P:.*]] = attn.positions %arg0 : (tensor<?x?xi64>) -> tensor<1x?xi64>
// CHECK: onnx.Unsqueeze(%[[R]], %{{.*}}) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
// CHECK: return %[[P]]
func.func @seq_from_mask_shared_range(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}, %mask: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> (tensor<1x?xi64>, tensor<?x1xi64>) {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%mask) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %col = onnx.Unsqueeze(%r, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  return %pos, %col : tensor<1x?xi64>, tensor<?x1xi64>
}

// -----

// Positions that start at 1 (or at a past length) are not 0 .. seq-1.
// CHECK-LABEL: func.func @start_not_zero
// CHECK-NOT: attn.positions
// CHECK: onnx.Range
// CHECK: onnx.Unsqueeze
func.func @start_not_zero(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<1x?xi64> {
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c1, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos : tensor<1x?xi64>
}

// -----

// A step of 2 skips positions.
// CHECK-LABEL: func.func @delta_not_one
// CHECK-NOT: attn.positions
// CHECK: onnx.Range
// CHECK: onnx.Unsqueeze
func.func @delta_not_one(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<1x?xi64> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c2) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos : tensor<1x?xi64>
}

// -----

// A constant length (0 .. 15) is not provably the seq dim, even when the
// function has a [batch, seq] input.
// CHECK-LABEL: func.func @constant_length
// CHECK-NOT: attn.positions
// CHECK: onnx.Range
// CHECK: onnx.Unsqueeze
func.func @constant_length(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<1x?xi64> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %c16 = onnx.Constant() {value = dense<16> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %r = onnx.Range(%c0, %c16, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos : tensor<1x?xi64>
}

// -----

// 0 .. batch-1 (the ids' dim 0) is a batch index, not positions.
// CHECK-LABEL: func.func @batch_length
// CHECK-NOT: attn.positions
// CHECK: onnx.Shape(%arg0) {end = 1 : i64}
// CHECK: onnx.Range
// CHECK: onnx.Unsqueeze
func.func @batch_length(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<1x?xi64> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%ids) {end = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %batch = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %batch, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos : tensor<1x?xi64>
}

// -----

// Unsqueezed on axis 1 the range is a [seq, 1] column (the causal mask's
// query index), not [1, seq] positions.
// CHECK-LABEL: func.func @unsqueeze_axis_one
// CHECK-NOT: attn.positions
// CHECK: onnx.Range
// CHECK: onnx.Unsqueeze({{.*}}) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
func.func @unsqueeze_axis_one(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<?x1xi64> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax1) : (tensor<?xi64>, tensor<1xi64>) -> tensor<?x1xi64>
  return %pos : tensor<?x1xi64>
}

// -----

// A boolean mask of the same [batch, seq] shape listed first is not a token
// grid attn.positions can take: the i64 ids are.
// CHECK-LABEL: func.func @bool_mask_before_ids
// CHECK: %[[P:.*]] = attn.positions %arg1 : (tensor<?x?xi64>) -> tensor<1x?xi64>
// CHECK: return %[[P]]
func.func @bool_mask_before_ids(%mask: tensor<?x?xi1> {onnx.dim_params = ["batch", "seq"]}, %ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}) -> tensor<1x?xi64> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%mask) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi1>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%r, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos : tensor<1x?xi64>
}

// -----

// A graph with past_key_values offsets its positions by the past length (read
// off a past input's shape): Unsqueeze(Add(Range(0, seq, 1), past), [0]) is
// attn.positions with that offset, in either Add operand order.
// CHECK-LABEL: func.func @past_offset
// CHECK-NOT: onnx.Range
// CHECK: %[[PAST:.*]] = onnx.Squeeze
// CHECK-NOT: onnx.Range
// CHECK: %[[P:.*]] = attn.positions %arg0 offset(%[[PAST]]) : (tensor<?x?xi64>, tensor<i64>) -> tensor<1x?xi64>
// CHECK: %[[P2:.*]] = attn.positions %arg0 offset(%[[PAST]]) : (tensor<?x?xi64>, tensor<i64>) -> tensor<1x?xi64>
// CHECK: return %[[P]], %[[P2]]
func.func @past_offset(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}, %pk: tensor<?x2x?x16xf32> {onnx.dim_params = ["batch", "", "past", ""]}) -> (tensor<1x?xi64>, tensor<1x?xi64>) {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %ps = onnx.Shape(%pk) {end = 3 : i64, start = 2 : i64} : (tensor<?x2x?x16xf32>) -> tensor<1xi64>
  %past = onnx.Squeeze(%ps, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %shape = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %shifted = onnx.Add(%r, %past) : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%shifted, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %shifted2 = onnx.Add(%past, %r) : (tensor<i64>, tensor<?xi64>) -> tensor<?xi64>
  %pos2 = onnx.Unsqueeze(%shifted2, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos, %pos2 : tensor<1x?xi64>, tensor<1x?xi64>
}

// -----

// Must not fire: a Range plus a per-position vector is not an offset.
// CHECK-LABEL: func.func @vector_offset
// CHECK-NOT: attn.positions
// CHECK: onnx.Add
// CHECK: onnx.Unsqueeze
func.func @vector_offset(%ids: tensor<?x?xi64> {onnx.dim_params = ["batch", "seq"]}, %shift: tensor<?xi64> {onnx.dim_params = ["seq"]}) -> tensor<1x?xi64> {
  %c0 = onnx.Constant() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %ax0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %shape = onnx.Shape(%ids) {end = 2 : i64, start = 1 : i64} : (tensor<?x?xi64>) -> tensor<1xi64>
  %seq = onnx.Squeeze(%shape, %none) : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range(%c0, %seq, %c1) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %shifted = onnx.Add(%r, %shift) : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze(%shifted, %ax0) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %pos : tensor<1x?xi64>
}
