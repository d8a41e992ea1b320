// RUN: attnc-opt %s -split-input-file -attn-raise-rope | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-raise-rope | attnc-opt -split-input-file | FileCheck %s

// LLaMA's dynamo export: x is the head-major Transpose of [b, s, h, d], so the
// rope takes the Transpose's input and only the result is transposed back;
// the Range positions gain a leading unit dim and all of cos/sin goes.
// CHECK-LABEL: func.func @rotate_half_llama
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x4x8xf32>, %[[POS:.*]]: tensor<?xi64>)
// CHECK-NOT: onnx.Cos
// CHECK-NOT: onnx.Sin
// CHECK-NOT: onnx.Neg
// CHECK-NOT: onnx.MatMul
// CHECK: %[[P:.*]] = onnx.Unsqueeze(%[[POS]], %{{.*}}) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
// CHECK-NEXT: %[[R:.*]] = attn.rope %[[Q]], %[[P]] {rotary_dim = 8 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x4x8xf32>, tensor<1x?xi64>) -> tensor<?x?x4x8xf32>
// CHECK-NEXT: %[[T:.*]] = onnx.Transpose(%[[R]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
// CHECK-NOT: onnx.
// CHECK: return %[[T]]
func.func @rotate_half_llama(%q: tensor<?x?x4x8xf32>, %pos: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a01 = onnx.Constant() {value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %p3 = onnx.Unsqueeze(%pos, %a01) : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %x = onnx.Transpose(%q) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Newer exporters (torch 2.15 with transformers 5.2x) write the outer product
// of positions and inv_freq as a broadcast Mul of the positions unsqueezed to
// [1, seq, 1]: the same rope, the Range positions given a leading unit dim.
// CHECK-LABEL: func.func @rotate_half_broadcast_freqs
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x4x8xf32>, %[[POS:.*]]: tensor<?xi64>)
// CHECK-NOT: onnx.Cos
// CHECK-NOT: onnx.Mul
// CHECK: %[[P:.*]] = onnx.Unsqueeze(%[[POS]], %{{.*}}) : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
// CHECK-NEXT: %[[R:.*]] = attn.rope %[[Q]], %[[P]] {rotary_dim = 8 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x4x8xf32>, tensor<1x?xi64>) -> tensor<?x?x4x8xf32>
// CHECK-NEXT: %[[T:.*]] = onnx.Transpose(%[[R]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
// CHECK-NOT: onnx.
// CHECK: return %[[T]]
func.func @rotate_half_broadcast_freqs(%q: tensor<?x?x4x8xf32>, %pos: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>} : () -> tensor<4xf32>
  %a02 = onnx.Constant() {value = dense<[0, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %p3 = onnx.Unsqueeze(%pos, %a02) : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x?x1xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x?x1xi64>) -> tensor<1x?x1xf32>
  %fr = onnx.Mul(%pf, %inv) : (tensor<1x?x1xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%fr, %fr) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %x = onnx.Transpose(%q) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c4 = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %c4, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %c4, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// The broadcast form with scaled frequencies (linear scaling: every
// inv_freq / 4) is another model: it stays decomposed.
// CHECK-LABEL: func.func @no_fire_broadcast_freqs_scaled
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Add
func.func @no_fire_broadcast_freqs_scaled(%q: tensor<?x?x4x8xf32>, %pos: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[0.25, 0.025, 0.0025, 0.00025]> : tensor<4xf32>} : () -> tensor<4xf32>
  %a02 = onnx.Constant() {value = dense<[0, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %p3 = onnx.Unsqueeze(%pos, %a02) : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x?x1xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x?x1xi64>) -> tensor<1x?x1xf32>
  %fr = onnx.Mul(%pf, %inv) : (tensor<1x?x1xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%fr, %fr) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %x = onnx.Transpose(%q) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c4 = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %c4, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %c4, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Positions that are not integers (here a float input unsqueezed, no Cast
// from an integer tensor) are not token positions: no rope.
// CHECK-LABEL: func.func @no_fire_broadcast_freqs_float_positions
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
func.func @no_fire_broadcast_freqs_float_positions(%q: tensor<?x?x4x8xf32>, %pos: tensor<?xf16>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>} : () -> tensor<4xf32>
  %a02 = onnx.Constant() {value = dense<[0, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %p3 = onnx.Unsqueeze(%pos, %a02) : (tensor<?xf16>, tensor<2xi64>) -> tensor<1x?x1xf16>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x?x1xf16>) -> tensor<1x?x1xf32>
  %fr = onnx.Mul(%pf, %inv) : (tensor<1x?x1xf32>, tensor<4xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%fr, %fr) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %x = onnx.Transpose(%q) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c4 = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %c4, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %c4, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// x computed head-major (here an argument) is transposed in and out; the
// commuted Mul/Add operand orders match too, theta 1e6 (Qwen) is derived from
// inv_freq, and [1, seq] positions are used as they are.
// CHECK-LABEL: func.func @rotate_half_head_major_arg
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x?x8xf32>, %[[POS:.*]]: tensor<1x?xi64>)
// CHECK: %[[IN:.*]] = onnx.Transpose(%[[X]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x8xf32>) -> tensor<?x?x4x8xf32>
// CHECK-NEXT: %[[R:.*]] = attn.rope %[[IN]], %[[POS]] {rotary_dim = 8 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+06 : f32}
// CHECK-NEXT: %[[T:.*]] = onnx.Transpose(%[[R]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
// CHECK-NOT: onnx.Add
// CHECK: return %[[T]]
func.func @rotate_half_head_major_arg(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.0316227766], [0.001], [3.16227766e-05]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%cu, %x) : (tensor<1x1x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%su, %rot) : (tensor<1x1x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%rs, %xc) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Token-major x (cos/sin broadcast over axis 2) needs no transposes.
// CHECK-LABEL: func.func @rotate_half_token_major
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4x8xf32>, %[[POS:.*]]: tensor<1x?xi64>)
// CHECK-NOT: onnx.Transpose(%[[X]])
// CHECK: %[[R:.*]] = attn.rope %[[X]], %[[POS]] {rotary_dim = 8 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x4x8xf32>, tensor<1x?xi64>) -> tensor<?x?x4x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @rotate_half_token_major(%x: tensor<?x?x4x8xf32>, %pos: tensor<1x?xi64>) -> tensor<?x?x4x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x?x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x4x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x?x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x4x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x?x4x4xf32>, tensor<?x?x4x4xf32>) -> tensor<?x?x4x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x?x4x8xf32>, tensor<1x?x1x8xf32>) -> tensor<?x?x4x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x?x4x8xf32>, tensor<1x?x1x8xf32>) -> tensor<?x?x4x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>) -> tensor<?x?x4x8xf32>
  return %y : tensor<?x?x4x8xf32>
}

// -----

// GPT-NeoX's partial rotary: rope of x[..., :8] concatenated with x[..., 8:]
// is one attn.rope with rotary_dim 8 on the whole head; the Slices and the
// Concat go.
// CHECK-LABEL: func.func @partial_rotary
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x?x16xf32>, %[[POS:.*]]: tensor<1x?xi64>)
// CHECK: %[[IN:.*]] = onnx.Transpose(%[[X]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x16xf32>) -> tensor<?x?x4x16xf32>
// CHECK-NEXT: %[[R:.*]] = attn.rope %[[IN]], %[[POS]] {rotary_dim = 8 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x4x16xf32>, tensor<1x?xi64>) -> tensor<?x?x4x16xf32>
// CHECK-NEXT: %[[T:.*]] = onnx.Transpose(%[[R]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
// CHECK-NOT: onnx.Slice
// CHECK-NOT: onnx.Concat
// CHECK: return %[[T]]
func.func @partial_rotary(%xfull: tensor<?x4x?x16xf32>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x16xf32> {
  %r0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %r8 = onnx.Constant() {value = dense<8> : tensor<1xi64>} : () -> tensor<1xi64>
  %r16 = onnx.Constant() {value = dense<16> : tensor<1xi64>} : () -> tensor<1xi64>
  %r3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %none = onnx.NoValue() : () -> none
  %x = onnx.Slice(%xfull, %r0, %r8, %r3, %none) : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x4x?x8xf32>
  %pass = onnx.Slice(%xfull, %r8, %r16, %r3, %none) : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x4x?x8xf32>
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %out = onnx.Concat(%y, %pass) {axis = 3 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x16xf32>
  return %out : tensor<?x4x?x16xf32>
}

// -----

// HF's cos * attention_scaling cast to the model dtype: a scaling of 1 and
// the Cast are no-ops on the rotation, so an f16 model raises too.
// CHECK-LABEL: func.func @rotate_half_unit_scaling_f16
// CHECK-NOT: onnx.Cos
// CHECK-NOT: onnx.Cast
// CHECK: attn.rope %{{.*}}, %arg1 {rotary_dim = 8 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x4x8xf16>, tensor<1x?xi64>) -> tensor<?x?x4x8xf16>
func.func @rotate_half_unit_scaling_f16(%x: tensor<?x4x?x8xf16>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf16> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos32 = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin32 = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %scale = onnx.Constant() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %cosS = onnx.Mul(%cos32, %scale) : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
  %sinS = onnx.Mul(%scale, %sin32) : (tensor<f32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cast(%cosS) {to = 10 : i64} : (tensor<1x?x8xf32>) -> tensor<1x?x8xf16>
  %sin = onnx.Cast(%sinS) {to = 10 : i64} : (tensor<1x?x8xf32>) -> tensor<1x?x8xf16>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf16>, tensor<1xi64>) -> tensor<1x1x?x8xf16>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf16>, tensor<1xi64>) -> tensor<1x1x?x8xf16>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf16>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf16>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf16>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf16>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x8xf16>) -> tensor<?x4x?x8xf16>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x8xf16>, tensor<?x4x?x8xf16>) -> tensor<?x4x?x8xf16>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf16>, tensor<1x1x?x8xf16>) -> tensor<?x4x?x8xf16>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf16>, tensor<1x1x?x8xf16>) -> tensor<?x4x?x8xf16>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf16>, tensor<?x4x?x8xf16>) -> tensor<?x4x?x8xf16>
  return %y : tensor<?x4x?x8xf16>
}

// -----

// RotaryEmbedding-23 on 4-D [b, h, s, d]: the caches become the tables.
// CHECK-LABEL: func.func @rotary_embedding_23_4d
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8x16xf32>, %[[POS:.*]]: tensor<2x8xi64>, %[[COS:.*]]: tensor<32x8xf32>, %[[SIN:.*]]: tensor<32x8xf32>)
// CHECK: %[[IN:.*]] = onnx.Transpose(%[[X]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x8x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK-NEXT: %[[R:.*]] = attn.rope %[[IN]], %[[POS]] tables(%[[COS]], %[[SIN]]) {rotary_dim = 16 : i64, style = #attn<rope_style half_split>} : (tensor<2x8x4x16xf32>, tensor<2x8xi64>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<2x8x4x16xf32>
// CHECK-NEXT: %[[T:.*]] = onnx.Transpose(%[[R]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x4x16xf32>) -> tensor<2x4x8x16xf32>
// CHECK-NEXT: return %[[T]]
func.func @rotary_embedding_23_4d(%x: tensor<2x4x8x16xf32>, %pos: tensor<2x8xi64>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>) -> tensor<2x4x8x16xf32> {
  %y = onnx.RotaryEmbedding(%x, %cos, %sin, %pos) : (tensor<2x4x8x16xf32>, tensor<32x8xf32>, tensor<32x8xf32>, tensor<2x8xi64>) -> tensor<2x4x8x16xf32>
  return %y : tensor<2x4x8x16xf32>
}

// -----

// 3-D RotaryEmbedding-23 with num_heads, interleaved and a partial
// rotary_embedding_dim: reshaped to [b, s, h, d] and back around the rope.
// CHECK-LABEL: func.func @rotary_embedding_23_3d_interleaved
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[POS:.*]]: tensor<?x?xi64>, %[[COS:.*]]: tensor<32x4xf32>, %[[SIN:.*]]: tensor<32x4xf32>)
// CHECK: %[[S1:.*]] = onnx.Constant() {value = dense<[0, 0, 4, 16]> : tensor<4xi64>}
// CHECK-NEXT: %[[IN:.*]] = onnx.Reshape(%[[X]], %[[S1]]) : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// CHECK-NEXT: %[[R:.*]] = attn.rope %[[IN]], %[[POS]] tables(%[[COS]], %[[SIN]]) {rotary_dim = 8 : i64, style = #attn<rope_style interleaved>}
// CHECK-NEXT: %[[S2:.*]] = onnx.Constant() {value = dense<[0, 0, 64]> : tensor<3xi64>}
// CHECK-NEXT: %[[OUT:.*]] = onnx.Reshape(%[[R]], %[[S2]]) : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
// CHECK-NEXT: return %[[OUT]]
func.func @rotary_embedding_23_3d_interleaved(%x: tensor<?x?x64xf32>, %pos: tensor<?x?xi64>, %cos: tensor<32x4xf32>, %sin: tensor<32x4xf32>) -> tensor<?x?x64xf32> {
  %y = onnx.RotaryEmbedding(%x, %cos, %sin, %pos) {interleaved = 1 : i64, num_heads = 4 : i64, rotary_embedding_dim = 8 : i64} : (tensor<?x?x64xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// com.microsoft RotaryEmbedding on [b, s, hidden]; num_heads omitted is
// inferred from the cache width as onnxruntime does.
// CHECK-LABEL: func.func @ms_rotary_embedding
// CHECK: onnx.Reshape(%arg0, %{{.*}}) : (tensor<1x8x64xf32>, tensor<4xi64>) -> tensor<1x8x4x16xf32>
// CHECK-NEXT: attn.rope %{{.*}}, %arg1 tables(%arg2, %arg3) {rotary_dim = 16 : i64, style = #attn<rope_style interleaved>}
// CHECK-NOT: onnx.ms.RotaryEmbedding
// CHECK: onnx.Reshape
// CHECK-NOT: onnx.ms.RotaryEmbedding
// CHECK: attn.rope %{{.*}}, %arg1 tables(%arg2, %arg3) {rotary_dim = 16 : i64, style = #attn<rope_style half_split>}
func.func @ms_rotary_embedding(%x: tensor<1x8x64xf32>, %pos: tensor<1x8xi64>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>) -> (tensor<1x8x64xf32>, tensor<1x8x64xf32>) {
  %y = onnx.ms.RotaryEmbedding(%x, %pos, %cos, %sin) {interleaved = 1 : i64, num_heads = 4 : i64} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<1x8x64xf32>
  %z = onnx.ms.RotaryEmbedding(%x, %pos, %cos, %sin) : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<1x8x64xf32>
  return %y, %z : tensor<1x8x64xf32>, tensor<1x8x64xf32>
}

// -----

// cos and sin of different angle tensors are not one rotation.
// CHECK-LABEL: func.func @no_fire_cos_sin_of_different_angles
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_cos_sin_of_different_angles(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %invb = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1b = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3b = onnx.Unsqueeze(%pos, %a1b) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pfb = onnx.Cast(%p3b) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %frb = onnx.MatMul(%invb, %pfb) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frtb = onnx.Transpose(%frb) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %embb = onnx.Concat(%frtb, %frtb) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%embb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Concat(x1, -x2) is not rotate_half (that is Concat(-x2, x1)).
// CHECK-LABEL: func.func @no_fire_concat_wrong_order
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_concat_wrong_order(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%x1, %nx) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Concat(-x1, x2) negates the wrong half.
// CHECK-LABEL: func.func @no_fire_neg_on_wrong_half
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_neg_on_wrong_half(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x1) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x2) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Halves cut at different points (x[:4] and x[3:7]) do not split the rotary dims.
// CHECK-LABEL: func.func @no_fire_mismatched_slice_points
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_mismatched_slice_points(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<7> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// inv_freq computed at run time gives no theta.
// CHECK-LABEL: func.func @no_fire_inv_freq_not_constant
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_inv_freq_not_constant(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xi64>, %inv: tensor<1x4x1xf32>) -> tensor<?x4x?x8xf32> {
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Scaled RoPE (here the last frequency divided by 8) is not geometric: no
// theta fits, and no tables are invented.
// CHECK-LABEL: func.func @no_fire_scaled_inv_freq
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_scaled_inv_freq(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.000125]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// An attention_scaling other than 1 (YaRN) scales the rotation: not raised.
// CHECK-LABEL: func.func @no_fire_attention_scaling
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_attention_scaling(%x: tensor<?x4x?x8xf16>, %pos: tensor<1x?xi64>) -> tensor<?x4x?x8xf16> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %p3 = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos32 = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin32 = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %scale = onnx.Constant() {value = dense<1.25> : tensor<f32>} : () -> tensor<f32>
  %cosS = onnx.Mul(%cos32, %scale) : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
  %sinS = onnx.Mul(%scale, %sin32) : (tensor<f32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cast(%cosS) {to = 10 : i64} : (tensor<1x?x8xf32>) -> tensor<1x?x8xf16>
  %sin = onnx.Cast(%sinS) {to = 10 : i64} : (tensor<1x?x8xf32>) -> tensor<1x?x8xf16>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf16>, tensor<1xi64>) -> tensor<1x1x?x8xf16>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf16>, tensor<1xi64>) -> tensor<1x1x?x8xf16>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf16>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf16>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf16>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf16>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x8xf16>) -> tensor<?x4x?x8xf16>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x8xf16>, tensor<?x4x?x8xf16>) -> tensor<?x4x?x8xf16>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf16>, tensor<1x1x?x8xf16>) -> tensor<?x4x?x8xf16>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf16>, tensor<1x1x?x8xf16>) -> tensor<?x4x?x8xf16>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf16>, tensor<?x4x?x8xf16>) -> tensor<?x4x?x8xf16>
  return %y : tensor<?x4x?x8xf16>
}

// -----

// Positions that are not an integer tensor cast to float are not traced.
// CHECK-LABEL: func.func @no_fire_float_positions
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
// CHECK: onnx.Neg
// CHECK: onnx.Add
func.func @no_fire_float_positions(%x: tensor<?x4x?x8xf32>, %pos: tensor<1x?xf32>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense<[[[1.0], [0.1], [0.01], [0.001]]]> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %pf = onnx.Unsqueeze(%pos, %a1) : (tensor<1x?xf32>, tensor<1xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

// -----

// Fused forms that attn.rope cannot express stay: RotaryEmbedding-23 with
// pre-gathered 3-D caches (no position_ids), com.microsoft with a scale or
// a 1-D position offset.
// CHECK-LABEL: func.func @no_fire_fused_inexpressible
// CHECK-NOT: attn.rope
// CHECK: onnx.RotaryEmbedding
// CHECK: onnx.ms.RotaryEmbedding
// CHECK: onnx.ms.RotaryEmbedding
func.func @no_fire_fused_inexpressible(%x: tensor<2x4x8x16xf32>, %cos3: tensor<2x8x8xf32>, %sin3: tensor<2x8x8xf32>, %x3: tensor<1x8x64xf32>, %pos: tensor<1x8xi64>, %off: tensor<1xi64>, %cos: tensor<32x8xf32>, %sin: tensor<32x8xf32>) -> (tensor<2x4x8x16xf32>, tensor<1x8x64xf32>, tensor<1x8x64xf32>) {
  %none = onnx.NoValue() : () -> none
  %a = onnx.RotaryEmbedding(%x, %cos3, %sin3, %none) : (tensor<2x4x8x16xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>, none) -> tensor<2x4x8x16xf32>
  %b = onnx.ms.RotaryEmbedding(%x3, %pos, %cos, %sin) {num_heads = 4 : i64, scale = 5.000000e-01 : f32} : (tensor<1x8x64xf32>, tensor<1x8xi64>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<1x8x64xf32>
  %c = onnx.ms.RotaryEmbedding(%x3, %off, %cos, %sin) {num_heads = 4 : i64} : (tensor<1x8x64xf32>, tensor<1xi64>, tensor<32x8xf32>, tensor<32x8xf32>) -> tensor<1x8x64xf32>
  return %a, %b, %c : tensor<2x4x8x16xf32>, tensor<1x8x64xf32>, tensor<1x8x64xf32>
}

// -----

// GPT-J (rotate_every_two, dynamo): x[..., ::2] / x[..., 1::2] stacked as
// (-odd, even) and merged back, sin / cos halves of a precomputed [1, max_pos,
// rotary_dim] table gathered per position and repeat_interleave'd (Unsqueeze,
// Expand, Reshape). Partial rotary: the rope of q[..., :4] concatenated with
// q[..., 4:] is one interleaved attn.rope over q; theta comes from the table.
// CHECK-LABEL: func.func @rotate_every_two_gptj
// CHECK-SAME: (%[[Q:.*]]: tensor<2x3x4x8xf32>, %[[POS:.*]]: tensor<1x3xi64>)
// CHECK-NOT: onnx.GatherElements
// CHECK-NOT: onnx.Neg
// CHECK: %[[R:.*]] = attn.rope %[[Q]], %[[POS]] {rotary_dim = 4 : i64, style = #attn<rope_style interleaved>, theta = 1.000000e+04 : f32} : (tensor<2x3x4x8xf32>, tensor<1x3xi64>) -> tensor<2x3x4x8xf32>
// CHECK-NOT: onnx.
// CHECK: return %[[R]]
func.func @rotate_every_two_gptj(%q: tensor<2x3x4x8xf32>, %pos: tensor<1x3xi64>) -> tensor<2x3x4x8xf32> {
  %table = onnx.Constant() {value = dense<[[[0.00000000e+00, 0.00000000e+00, 1.00000000e+00, 1.00000000e+00], [8.41470985e-01, 9.99983333e-03, 5.40302306e-01, 9.99950000e-01], [9.09297427e-01, 1.99986667e-02, -4.16146837e-01, 9.99800007e-01], [1.41120008e-01, 2.99955002e-02, -9.89992497e-01, 9.99550034e-01]]]> : tensor<1x4x4xf32>} : () -> tensor<1x4x4xf32>
  %a2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %pu = onnx.Unsqueeze(%pos, %a2) : (tensor<1x3xi64>, tensor<1xi64>) -> tensor<1x3x1xi64>
  %rep = onnx.Constant() {value = dense<[1, 1, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
  %idx = onnx.Tile(%pu, %rep) : (tensor<1x3x1xi64>, tensor<3xi64>) -> tensor<1x3x4xi64>
  %sc = onnx.GatherElements(%table, %idx) {axis = 1 : i64} : (tensor<1x4x4xf32>, tensor<1x3x4xi64>) -> tensor<1x3x4xf32>
  %none = onnx.NoValue() : () -> none
  %sp:2 = onnx.Split(%sc, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<1x3x4xf32>, none) -> (tensor<1x3x2xf32>, tensor<1x3x2xf32>)
  %ax = onnx.Constant() {value = dense<[2, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ex = onnx.Constant() {value = dense<[1, 1, 1, 1, 2]> : tensor<5xi64>} : () -> tensor<5xi64>
  %rs = onnx.Constant() {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %sinu = onnx.Unsqueeze(%sp#0, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %sine = onnx.Expand(%sinu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %sinr = onnx.Reshape(%sine, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %cosu = onnx.Unsqueeze(%sp#1, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %cose = onnx.Expand(%cosu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %cosr = onnx.Reshape(%cose, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cr = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %a3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x = onnx.Slice(%q, %c0, %cr, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %pass = onnx.Slice(%q, %cr, %cmax, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %ev = onnx.Slice(%x, %c0, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %od = onnx.Slice(%x, %c1, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %n = onnx.Neg(%od) : (tensor<2x3x4x2xf32>) -> tensor<2x3x4x2xf32>
  %nu = onnx.Unsqueeze(%n, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %eu = onnx.Unsqueeze(%ev, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %st = onnx.Concat(%nu, %eu) {axis = -1 : i64} : (tensor<2x3x4x2x1xf32>, tensor<2x3x4x2x1xf32>) -> tensor<2x3x4x2x2xf32>
  %xs = onnx.Constant() {value = dense<[0, 0, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %rot = onnx.Reshape(%st, %xs) : (tensor<2x3x4x2x2xf32>, tensor<4xi64>) -> tensor<2x3x4x4xf32>
  %xc = onnx.Mul(%x, %cosr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %rsn = onnx.Mul(%rot, %sinr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %y = onnx.Add(%xc, %rsn) : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %out = onnx.Concat(%y, %pass) {axis = -1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x8xf32>
  return %out : tensor<2x3x4x8xf32>
}

// -----

// The same with the table gathered by GatherND of a [max_pos, rotary_dim]
// table (torch 2.15 with transformers 5.2x): the same rope.
// CHECK-LABEL: func.func @rotate_every_two_gptj_gather_nd
// CHECK-SAME: (%[[Q:.*]]: tensor<2x3x4x8xf32>, %[[POS:.*]]: tensor<1x3xi64>)
// CHECK-NOT: onnx.GatherND
// CHECK-NOT: onnx.Neg
// CHECK: %[[R:.*]] = attn.rope %[[Q]], %[[POS]] {rotary_dim = 4 : i64, style = #attn<rope_style interleaved>, theta = 1.000000e+04 : f32} : (tensor<2x3x4x8xf32>, tensor<1x3xi64>) -> tensor<2x3x4x8xf32>
// CHECK-NOT: onnx.
// CHECK: return %[[R]]
func.func @rotate_every_two_gptj_gather_nd(%q: tensor<2x3x4x8xf32>, %pos: tensor<1x3xi64>) -> tensor<2x3x4x8xf32> {
  %table = onnx.Constant() {value = dense<[[0.00000000e+00, 0.00000000e+00, 1.00000000e+00, 1.00000000e+00], [8.41470985e-01, 9.99983333e-03, 5.40302306e-01, 9.99950000e-01], [9.09297427e-01, 1.99986667e-02, -4.16146837e-01, 9.99800007e-01], [1.41120008e-01, 2.99955002e-02, -9.89992497e-01, 9.99550034e-01]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32>
  %a2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %pu = onnx.Unsqueeze(%pos, %a2) : (tensor<1x3xi64>, tensor<1xi64>) -> tensor<1x3x1xi64>
  %sc = onnx.GatherND(%table, %pu) {batch_dims = 0 : i64} : (tensor<4x4xf32>, tensor<1x3x1xi64>) -> tensor<1x3x4xf32>
  %none = onnx.NoValue() : () -> none
  %sp:2 = onnx.Split(%sc, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<1x3x4xf32>, none) -> (tensor<1x3x2xf32>, tensor<1x3x2xf32>)
  %ax = onnx.Constant() {value = dense<[2, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ex = onnx.Constant() {value = dense<[1, 1, 1, 1, 2]> : tensor<5xi64>} : () -> tensor<5xi64>
  %rs = onnx.Constant() {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %sinu = onnx.Unsqueeze(%sp#0, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %sine = onnx.Expand(%sinu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %sinr = onnx.Reshape(%sine, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %cosu = onnx.Unsqueeze(%sp#1, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %cose = onnx.Expand(%cosu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %cosr = onnx.Reshape(%cose, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cr = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %a3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x = onnx.Slice(%q, %c0, %cr, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %pass = onnx.Slice(%q, %cr, %cmax, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %ev = onnx.Slice(%x, %c0, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %od = onnx.Slice(%x, %c1, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %n = onnx.Neg(%od) : (tensor<2x3x4x2xf32>) -> tensor<2x3x4x2xf32>
  %nu = onnx.Unsqueeze(%n, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %eu = onnx.Unsqueeze(%ev, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %st = onnx.Concat(%nu, %eu) {axis = -1 : i64} : (tensor<2x3x4x2x1xf32>, tensor<2x3x4x2x1xf32>) -> tensor<2x3x4x2x2xf32>
  %xs = onnx.Constant() {value = dense<[0, 0, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %rot = onnx.Reshape(%st, %xs) : (tensor<2x3x4x2x2xf32>, tensor<4xi64>) -> tensor<2x3x4x4xf32>
  %xc = onnx.Mul(%x, %cosr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %rsn = onnx.Mul(%rot, %sinr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %y = onnx.Add(%xc, %rsn) : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %out = onnx.Concat(%y, %pass) {axis = -1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x8xf32>
  return %out : tensor<2x3x4x8xf32>
}

// -----

// A GatherND table of scaled frequencies (every angle / 4) is another
// model: it stays decomposed.
// CHECK-LABEL: func.func @no_fire_every_two_gather_nd_scaled
// CHECK-NOT: attn.rope
// CHECK: onnx.GatherND
// CHECK: onnx.Neg
func.func @no_fire_every_two_gather_nd_scaled(%q: tensor<2x3x4x8xf32>, %pos: tensor<1x3xi64>) -> tensor<2x3x4x8xf32> {
  %table = onnx.Constant() {value = dense<[[0.00000000e+00, 0.00000000e+00, 1.00000000e+00, 1.00000000e+00], [2.47403959e-01, 2.49999740e-03, 9.68912422e-01, 9.99996875e-01], [4.79425539e-01, 4.99997917e-03, 8.77582562e-01, 9.99987500e-01], [6.81638760e-01, 7.49992969e-03, 7.31688869e-01, 9.99971875e-01]]> : tensor<4x4xf32>} : () -> tensor<4x4xf32>
  %a2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %pu = onnx.Unsqueeze(%pos, %a2) : (tensor<1x3xi64>, tensor<1xi64>) -> tensor<1x3x1xi64>
  %sc = onnx.GatherND(%table, %pu) {batch_dims = 0 : i64} : (tensor<4x4xf32>, tensor<1x3x1xi64>) -> tensor<1x3x4xf32>
  %none = onnx.NoValue() : () -> none
  %sp:2 = onnx.Split(%sc, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<1x3x4xf32>, none) -> (tensor<1x3x2xf32>, tensor<1x3x2xf32>)
  %ax = onnx.Constant() {value = dense<[2, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ex = onnx.Constant() {value = dense<[1, 1, 1, 1, 2]> : tensor<5xi64>} : () -> tensor<5xi64>
  %rs = onnx.Constant() {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %sinu = onnx.Unsqueeze(%sp#0, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %sine = onnx.Expand(%sinu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %sinr = onnx.Reshape(%sine, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %cosu = onnx.Unsqueeze(%sp#1, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %cose = onnx.Expand(%cosu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %cosr = onnx.Reshape(%cose, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cr = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %a3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x = onnx.Slice(%q, %c0, %cr, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %pass = onnx.Slice(%q, %cr, %cmax, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %ev = onnx.Slice(%x, %c0, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %od = onnx.Slice(%x, %c1, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %n = onnx.Neg(%od) : (tensor<2x3x4x2xf32>) -> tensor<2x3x4x2xf32>
  %nu = onnx.Unsqueeze(%n, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %eu = onnx.Unsqueeze(%ev, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %st = onnx.Concat(%nu, %eu) {axis = -1 : i64} : (tensor<2x3x4x2x1xf32>, tensor<2x3x4x2x1xf32>) -> tensor<2x3x4x2x2xf32>
  %xs = onnx.Constant() {value = dense<[0, 0, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %rot = onnx.Reshape(%st, %xs) : (tensor<2x3x4x2x2xf32>, tensor<4xi64>) -> tensor<2x3x4x4xf32>
  %xc = onnx.Mul(%x, %cosr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %rsn = onnx.Mul(%rot, %sinr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %y = onnx.Add(%xc, %rsn) : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %out = onnx.Concat(%y, %pass) {axis = -1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x8xf32>
  return %out : tensor<2x3x4x8xf32>
}

// -----

// Head-major x (tables unsqueezed at 1), full rotary, commuted Mul/Add
// operands: transposed in and out.
// CHECK-LABEL: func.func @rotate_every_two_head_major
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x3x8xf32>, %[[POS:.*]]: tensor<1x3xi64>)
// CHECK: %[[IN:.*]] = onnx.Transpose(%[[X]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x3x8xf32>) -> tensor<2x3x4x8xf32>
// CHECK-NEXT: %[[R:.*]] = attn.rope %[[IN]], %[[POS]] {rotary_dim = 8 : i64, style = #attn<rope_style interleaved>, theta = 1.000000e+04 : f32}
// CHECK-NEXT: %[[T:.*]] = onnx.Transpose(%[[R]]) {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x8xf32>) -> tensor<2x4x3x8xf32>
// CHECK-NOT: onnx.Add
// CHECK: return %[[T]]
func.func @rotate_every_two_head_major(%q: tensor<2x4x3x8xf32>, %pos: tensor<1x3xi64>) -> tensor<2x4x3x8xf32> {
  %table = onnx.Constant() {value = dense<[[[0.00000000e+00, 0.00000000e+00, 0.00000000e+00, 0.00000000e+00, 1.00000000e+00, 1.00000000e+00, 1.00000000e+00, 1.00000000e+00], [8.41470985e-01, 9.98334166e-02, 9.99983333e-03, 9.99999833e-04, 5.40302306e-01, 9.95004165e-01, 9.99950000e-01, 9.99999500e-01], [9.09297427e-01, 1.98669331e-01, 1.99986667e-02, 1.99999867e-03, -4.16146837e-01, 9.80066578e-01, 9.99800007e-01, 9.99998000e-01], [1.41120008e-01, 2.95520207e-01, 2.99955002e-02, 2.99999550e-03, -9.89992497e-01, 9.55336489e-01, 9.99550034e-01, 9.99995500e-01]]]> : tensor<1x4x8xf32>} : () -> tensor<1x4x8xf32>
  %a2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %pu = onnx.Unsqueeze(%pos, %a2) : (tensor<1x3xi64>, tensor<1xi64>) -> tensor<1x3x1xi64>
  %rep = onnx.Constant() {value = dense<[1, 1, 8]> : tensor<3xi64>} : () -> tensor<3xi64>
  %idx = onnx.Tile(%pu, %rep) : (tensor<1x3x1xi64>, tensor<3xi64>) -> tensor<1x3x8xi64>
  %sc = onnx.GatherElements(%table, %idx) {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<1x3x8xi64>) -> tensor<1x3x8xf32>
  %none = onnx.NoValue() : () -> none
  %sp:2 = onnx.Split(%sc, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<1x3x8xf32>, none) -> (tensor<1x3x4xf32>, tensor<1x3x4xf32>)
  %ax = onnx.Constant() {value = dense<[1, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ex = onnx.Constant() {value = dense<[1, 1, 1, 1, 2]> : tensor<5xi64>} : () -> tensor<5xi64>
  %rs = onnx.Constant() {value = dense<[1, 1, -1, 8]> : tensor<4xi64>} : () -> tensor<4xi64>
  %sinu = onnx.Unsqueeze(%sp#0, %ax) : (tensor<1x3x4xf32>, tensor<2xi64>) -> tensor<1x1x3x4x1xf32>
  %sine = onnx.Expand(%sinu, %ex) : (tensor<1x1x3x4x1xf32>, tensor<5xi64>) -> tensor<1x1x3x4x2xf32>
  %sinr = onnx.Reshape(%sine, %rs) {allowzero = 1 : i64} : (tensor<1x1x3x4x2xf32>, tensor<4xi64>) -> tensor<1x1x3x8xf32>
  %cosu = onnx.Unsqueeze(%sp#1, %ax) : (tensor<1x3x4xf32>, tensor<2xi64>) -> tensor<1x1x3x4x1xf32>
  %cose = onnx.Expand(%cosu, %ex) : (tensor<1x1x3x4x1xf32>, tensor<5xi64>) -> tensor<1x1x3x4x2xf32>
  %cosr = onnx.Reshape(%cose, %rs) {allowzero = 1 : i64} : (tensor<1x1x3x4x2xf32>, tensor<4xi64>) -> tensor<1x1x3x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cr = onnx.Constant() {value = dense<8> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %a3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %ev = onnx.Slice(%q, %c0, %cmax, %a3, %c2) : (tensor<2x4x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x4xf32>
  %od = onnx.Slice(%q, %c1, %cmax, %a3, %c2) : (tensor<2x4x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x4xf32>
  %n = onnx.Neg(%od) : (tensor<2x4x3x4xf32>) -> tensor<2x4x3x4xf32>
  %nu = onnx.Unsqueeze(%n, %am1) : (tensor<2x4x3x4xf32>, tensor<1xi64>) -> tensor<2x4x3x4x1xf32>
  %eu = onnx.Unsqueeze(%ev, %am1) : (tensor<2x4x3x4xf32>, tensor<1xi64>) -> tensor<2x4x3x4x1xf32>
  %st = onnx.Concat(%nu, %eu) {axis = -1 : i64} : (tensor<2x4x3x4x1xf32>, tensor<2x4x3x4x1xf32>) -> tensor<2x4x3x4x2xf32>
  %xs = onnx.Constant() {value = dense<[0, 4, 0, 8]> : tensor<4xi64>} : () -> tensor<4xi64>
  %rot = onnx.Reshape(%st, %xs) : (tensor<2x4x3x4x2xf32>, tensor<4xi64>) -> tensor<2x4x3x8xf32>
  %xc = onnx.Mul(%cosr, %q) : (tensor<1x1x3x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  %rsn = onnx.Mul(%sinr, %rot) : (tensor<1x1x3x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  %y = onnx.Add(%rsn, %xc) : (tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  return %y : tensor<2x4x3x8xf32>
}

// -----

// Must not fire: the pairs are stacked (even, -odd), which is not a rotation
// by +angle.
// CHECK-LABEL: func.func @no_fire_every_two_wrong_pairing
// CHECK-NOT: attn.rope
// CHECK: onnx.Add
func.func @no_fire_every_two_wrong_pairing(%q: tensor<2x3x4x8xf32>, %pos: tensor<1x3xi64>) -> tensor<2x3x4x8xf32> {
  %table = onnx.Constant() {value = dense<[[[0.00000000e+00, 0.00000000e+00, 1.00000000e+00, 1.00000000e+00], [8.41470985e-01, 9.99983333e-03, 5.40302306e-01, 9.99950000e-01], [9.09297427e-01, 1.99986667e-02, -4.16146837e-01, 9.99800007e-01], [1.41120008e-01, 2.99955002e-02, -9.89992497e-01, 9.99550034e-01]]]> : tensor<1x4x4xf32>} : () -> tensor<1x4x4xf32>
  %a2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %pu = onnx.Unsqueeze(%pos, %a2) : (tensor<1x3xi64>, tensor<1xi64>) -> tensor<1x3x1xi64>
  %rep = onnx.Constant() {value = dense<[1, 1, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
  %idx = onnx.Tile(%pu, %rep) : (tensor<1x3x1xi64>, tensor<3xi64>) -> tensor<1x3x4xi64>
  %sc = onnx.GatherElements(%table, %idx) {axis = 1 : i64} : (tensor<1x4x4xf32>, tensor<1x3x4xi64>) -> tensor<1x3x4xf32>
  %none = onnx.NoValue() : () -> none
  %sp:2 = onnx.Split(%sc, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<1x3x4xf32>, none) -> (tensor<1x3x2xf32>, tensor<1x3x2xf32>)
  %ax = onnx.Constant() {value = dense<[2, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ex = onnx.Constant() {value = dense<[1, 1, 1, 1, 2]> : tensor<5xi64>} : () -> tensor<5xi64>
  %rs = onnx.Constant() {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %sinu = onnx.Unsqueeze(%sp#0, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %sine = onnx.Expand(%sinu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %sinr = onnx.Reshape(%sine, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %cosu = onnx.Unsqueeze(%sp#1, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %cose = onnx.Expand(%cosu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %cosr = onnx.Reshape(%cose, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cr = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %a3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x = onnx.Slice(%q, %c0, %cr, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %pass = onnx.Slice(%q, %cr, %cmax, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %ev = onnx.Slice(%x, %c0, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %od = onnx.Slice(%x, %c1, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %n = onnx.Neg(%od) : (tensor<2x3x4x2xf32>) -> tensor<2x3x4x2xf32>
  %nu = onnx.Unsqueeze(%n, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %eu = onnx.Unsqueeze(%ev, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %st = onnx.Concat(%eu, %nu) {axis = -1 : i64} : (tensor<2x3x4x2x1xf32>, tensor<2x3x4x2x1xf32>) -> tensor<2x3x4x2x2xf32>
  %xs = onnx.Constant() {value = dense<[0, 0, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %rot = onnx.Reshape(%st, %xs) : (tensor<2x3x4x2x2xf32>, tensor<4xi64>) -> tensor<2x3x4x4xf32>
  %xc = onnx.Mul(%x, %cosr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %rsn = onnx.Mul(%rot, %sinr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %y = onnx.Add(%xc, %rsn) : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %out = onnx.Concat(%y, %pass) {axis = -1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x8xf32>
  return %out : tensor<2x3x4x8xf32>
}

// -----

// Must not fire: the cos factor reads the table's sin half and vice versa.
// CHECK-LABEL: func.func @no_fire_every_two_swapped_sin_cos
// CHECK-NOT: attn.rope
// CHECK: onnx.Add
func.func @no_fire_every_two_swapped_sin_cos(%q: tensor<2x3x4x8xf32>, %pos: tensor<1x3xi64>) -> tensor<2x3x4x8xf32> {
  %table = onnx.Constant() {value = dense<[[[0.00000000e+00, 0.00000000e+00, 1.00000000e+00, 1.00000000e+00], [8.41470985e-01, 9.99983333e-03, 5.40302306e-01, 9.99950000e-01], [9.09297427e-01, 1.99986667e-02, -4.16146837e-01, 9.99800007e-01], [1.41120008e-01, 2.99955002e-02, -9.89992497e-01, 9.99550034e-01]]]> : tensor<1x4x4xf32>} : () -> tensor<1x4x4xf32>
  %a2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %pu = onnx.Unsqueeze(%pos, %a2) : (tensor<1x3xi64>, tensor<1xi64>) -> tensor<1x3x1xi64>
  %rep = onnx.Constant() {value = dense<[1, 1, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
  %idx = onnx.Tile(%pu, %rep) : (tensor<1x3x1xi64>, tensor<3xi64>) -> tensor<1x3x4xi64>
  %sc = onnx.GatherElements(%table, %idx) {axis = 1 : i64} : (tensor<1x4x4xf32>, tensor<1x3x4xi64>) -> tensor<1x3x4xf32>
  %none = onnx.NoValue() : () -> none
  %sp:2 = onnx.Split(%sc, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<1x3x4xf32>, none) -> (tensor<1x3x2xf32>, tensor<1x3x2xf32>)
  %ax = onnx.Constant() {value = dense<[2, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ex = onnx.Constant() {value = dense<[1, 1, 1, 1, 2]> : tensor<5xi64>} : () -> tensor<5xi64>
  %rs = onnx.Constant() {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %sinu = onnx.Unsqueeze(%sp#1, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %sine = onnx.Expand(%sinu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %sinr = onnx.Reshape(%sine, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %cosu = onnx.Unsqueeze(%sp#0, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %cose = onnx.Expand(%cosu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %cosr = onnx.Reshape(%cose, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cr = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %a3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x = onnx.Slice(%q, %c0, %cr, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %pass = onnx.Slice(%q, %cr, %cmax, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %ev = onnx.Slice(%x, %c0, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %od = onnx.Slice(%x, %c1, %cmax, %a3, %c2) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %n = onnx.Neg(%od) : (tensor<2x3x4x2xf32>) -> tensor<2x3x4x2xf32>
  %nu = onnx.Unsqueeze(%n, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %eu = onnx.Unsqueeze(%ev, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %st = onnx.Concat(%nu, %eu) {axis = -1 : i64} : (tensor<2x3x4x2x1xf32>, tensor<2x3x4x2x1xf32>) -> tensor<2x3x4x2x2xf32>
  %xs = onnx.Constant() {value = dense<[0, 0, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %rot = onnx.Reshape(%st, %xs) : (tensor<2x3x4x2x2xf32>, tensor<4xi64>) -> tensor<2x3x4x4xf32>
  %xc = onnx.Mul(%x, %cosr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %rsn = onnx.Mul(%rot, %sinr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %y = onnx.Add(%xc, %rsn) : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %out = onnx.Concat(%y, %pass) {axis = -1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x8xf32>
  return %out : tensor<2x3x4x8xf32>
}

// -----

// Must not fire: the "odd" / "even" slices are unit-step halves, not stride 2.
// CHECK-LABEL: func.func @no_fire_every_two_unit_stride
// CHECK-NOT: attn.rope
// CHECK: onnx.Add
func.func @no_fire_every_two_unit_stride(%q: tensor<2x3x4x8xf32>, %pos: tensor<1x3xi64>) -> tensor<2x3x4x8xf32> {
  %table = onnx.Constant() {value = dense<[[[0.00000000e+00, 0.00000000e+00, 1.00000000e+00, 1.00000000e+00], [8.41470985e-01, 9.99983333e-03, 5.40302306e-01, 9.99950000e-01], [9.09297427e-01, 1.99986667e-02, -4.16146837e-01, 9.99800007e-01], [1.41120008e-01, 2.99955002e-02, -9.89992497e-01, 9.99550034e-01]]]> : tensor<1x4x4xf32>} : () -> tensor<1x4x4xf32>
  %a2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %pu = onnx.Unsqueeze(%pos, %a2) : (tensor<1x3xi64>, tensor<1xi64>) -> tensor<1x3x1xi64>
  %rep = onnx.Constant() {value = dense<[1, 1, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
  %idx = onnx.Tile(%pu, %rep) : (tensor<1x3x1xi64>, tensor<3xi64>) -> tensor<1x3x4xi64>
  %sc = onnx.GatherElements(%table, %idx) {axis = 1 : i64} : (tensor<1x4x4xf32>, tensor<1x3x4xi64>) -> tensor<1x3x4xf32>
  %none = onnx.NoValue() : () -> none
  %sp:2 = onnx.Split(%sc, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<1x3x4xf32>, none) -> (tensor<1x3x2xf32>, tensor<1x3x2xf32>)
  %ax = onnx.Constant() {value = dense<[2, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %ex = onnx.Constant() {value = dense<[1, 1, 1, 1, 2]> : tensor<5xi64>} : () -> tensor<5xi64>
  %rs = onnx.Constant() {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %sinu = onnx.Unsqueeze(%sp#0, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %sine = onnx.Expand(%sinu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %sinr = onnx.Reshape(%sine, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %cosu = onnx.Unsqueeze(%sp#1, %ax) : (tensor<1x3x2xf32>, tensor<2xi64>) -> tensor<1x3x1x2x1xf32>
  %cose = onnx.Expand(%cosu, %ex) : (tensor<1x3x1x2x1xf32>, tensor<5xi64>) -> tensor<1x3x1x2x2xf32>
  %cosr = onnx.Reshape(%cose, %rs) {allowzero = 1 : i64} : (tensor<1x3x1x2x2xf32>, tensor<4xi64>) -> tensor<1x3x1x4xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %c1 = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %c2 = onnx.Constant() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %cr = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %a3 = onnx.Constant() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x = onnx.Slice(%q, %c0, %cr, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %pass = onnx.Slice(%q, %cr, %cmax, %a3, %c1) : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %ev = onnx.Slice(%x, %c0, %c2, %a3, %c1) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %od = onnx.Slice(%x, %c2, %cmax, %a3, %c1) : (tensor<2x3x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x2xf32>
  %n = onnx.Neg(%od) : (tensor<2x3x4x2xf32>) -> tensor<2x3x4x2xf32>
  %nu = onnx.Unsqueeze(%n, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %eu = onnx.Unsqueeze(%ev, %am1) : (tensor<2x3x4x2xf32>, tensor<1xi64>) -> tensor<2x3x4x2x1xf32>
  %st = onnx.Concat(%nu, %eu) {axis = -1 : i64} : (tensor<2x3x4x2x1xf32>, tensor<2x3x4x2x1xf32>) -> tensor<2x3x4x2x2xf32>
  %xs = onnx.Constant() {value = dense<[0, 0, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64>
  %rot = onnx.Reshape(%st, %xs) : (tensor<2x3x4x2x2xf32>, tensor<4xi64>) -> tensor<2x3x4x4xf32>
  %xc = onnx.Mul(%x, %cosr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %rsn = onnx.Mul(%rot, %sinr) : (tensor<2x3x4x4xf32>, tensor<1x3x1x4xf32>) -> tensor<2x3x4x4xf32>
  %y = onnx.Add(%xc, %rsn) : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %out = onnx.Concat(%y, %pass) {axis = -1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x8xf32>
  return %out : tensor<2x3x4x8xf32>
}

// -----

// inv_freq as an initializer imported as a resource (more than 64 values:
// head_dim > 128, e.g. Gemma's 256; here 4 to keep the test short): its bytes
// are read, and the rope raises as with an inline constant.
// CHECK-LABEL: func.func @inv_freq_resource
// CHECK-NOT: onnx.Cos
// CHECK: attn.rope %{{.*}}, %{{.*}} {rotary_dim = 8 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32}
// CHECK-NOT: onnx.Sin
func.func @inv_freq_resource(%q: tensor<?x?x4x8xf32>, %pos: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense_resource<inv_freq> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a01 = onnx.Constant() {value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %p3 = onnx.Unsqueeze(%pos, %a01) : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %x = onnx.Transpose(%q) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}


{-#
  dialect_resources: {
    builtin: {
      inv_freq: "0x040000000000803fcdcccc3d0ad7233c6f12833a"
    }
  }
#-}

// -----

// Its bytes elided (a weight-stripped compile of an external initializer):
// the values cannot be read, so the rope stays decomposed.
// CHECK-LABEL: func.func @inv_freq_elided
// CHECK-NOT: attn.rope
// CHECK: onnx.Cos
func.func @inv_freq_elided(%q: tensor<?x?x4x8xf32>, %pos: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  %inv = onnx.Constant() {value = dense_resource<__elided__> : tensor<1x4x1xf32>} : () -> tensor<1x4x1xf32>
  %a01 = onnx.Constant() {value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %p3 = onnx.Unsqueeze(%pos, %a01) : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
  %pf = onnx.Cast(%p3) {to = 1 : i64} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
  %fr = onnx.MatMul(%inv, %pf) : (tensor<1x4x1xf32>, tensor<1x1x?xf32>) -> tensor<1x4x?xf32>
  %frt = onnx.Transpose(%fr) {perm = array<i64: 0, 2, 1>} : (tensor<1x4x?xf32>) -> tensor<1x?x4xf32>
  %emb = onnx.Concat(%frt, %frt) {axis = -1 : i64} : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = onnx.Cos(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %sin = onnx.Sin(%emb) : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  %ah = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %cu = onnx.Unsqueeze(%cos, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %su = onnx.Unsqueeze(%sin, %ah) : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %x = onnx.Transpose(%q) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
  %c0 = onnx.Constant() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %clo = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %chi = onnx.Constant() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64>
  %cmax = onnx.Constant() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %am1 = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = onnx.Constant() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %x1 = onnx.Slice(%x, %c0, %clo, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %x2 = onnx.Slice(%x, %chi, %cmax, %am1, %one) : (tensor<?x4x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x4xf32>
  %nx = onnx.Neg(%x2) : (tensor<?x4x?x4xf32>) -> tensor<?x4x?x4xf32>
  %rot = onnx.Concat(%nx, %x1) {axis = -1 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x8xf32>
  %xc = onnx.Mul(%x, %cu) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %rs = onnx.Mul(%rot, %su) : (tensor<?x4x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<?x4x?x8xf32>
  %y = onnx.Add(%xc, %rs) : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %y : tensor<?x4x?x8xf32>
}

