// Every op of the onnx dialect parses, verifies and prints back to the same
// form, through both the custom and the generic syntax.
// RUN: attnc-opt %s -split-input-file | attnc-opt -split-input-file | FileCheck %s
// RUN: attnc-opt %s -split-input-file --mlir-print-op-generic | attnc-opt -split-input-file | FileCheck %s
//
// Coverage: the set of ops used below must equal the set defined in
// OnnxOps.td (every `def` there is an op), so adding an op without a
// round-trip case fails this test.
// RUN: attnc-opt %s -split-input-file --mlir-print-op-generic | %python -c 'import re, sys; td = open(sys.argv[1]).read(); defs = set(re.findall(r"^def Onnx_\w+\s*:\s*Onnx_\w+<\"([\w.]+)\"", td, re.M)); n = len(re.findall(r"^def ", td, re.M)); used = set(re.findall(r"\"onnx\.([\w.]+)\"", sys.stdin.read())); print("ops in OnnxOps.td without a round-trip case:", sorted(defs - used)); print("ops used here but not in OnnxOps.td:", sorted(used - defs)); print("defs the pattern did not understand:", n - len(defs)); sys.exit(defs != used or n != len(defs))' %S/../../dialects/Onnx/OnnxOps.td

// Omitted optional inputs are `none` values; constants keep dense, splat and
// resource-blob values (large initializers are imported as resources).
// CHECK-LABEL: func.func @plumbing
// CHECK: %[[NONE:.*]] = onnx.NoValue() : () -> none
// CHECK: onnx.Constant() {value = dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
// CHECK: onnx.Constant() {value = dense<7> : tensor<i64>} : () -> tensor<i64>
// CHECK: onnx.Constant() {value = dense<0.000000e+00> : tensor<4x8xf16>} : () -> tensor<4x8xf16>
// CHECK: onnx.Constant() {value = dense_resource<weight> : tensor<2xf32>} : () -> tensor<2xf32>
// CHECK: onnx.Identity(%{{.*}}) : (tensor<?x?xbf16>) -> tensor<?x?xbf16>
// CHECK: onnx.Identity(%{{.*}}) : (tensor<*xi64>) -> tensor<*xi64>
// CHECK: return %[[NONE]]
func.func @plumbing(%x: tensor<?x?xbf16>, %u: tensor<*xi64>) -> (none, tensor<2x2xf32>, tensor<i64>, tensor<4x8xf16>, tensor<2xf32>, tensor<?x?xbf16>, tensor<*xi64>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.Constant() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %1 = onnx.Constant() {value = dense<7> : tensor<i64>} : () -> tensor<i64>
  %2 = onnx.Constant() {value = dense<0.0> : tensor<4x8xf16>} : () -> tensor<4x8xf16>
  %3 = onnx.Constant() {value = dense_resource<weight> : tensor<2xf32>} : () -> tensor<2xf32>
  %4 = onnx.Identity(%x) : (tensor<?x?xbf16>) -> tensor<?x?xbf16>
  %5 = onnx.Identity(%u) : (tensor<*xi64>) -> tensor<*xi64>
  return %none, %0, %1, %2, %3, %4, %5 : none, tensor<2x2xf32>, tensor<i64>, tensor<4x8xf16>, tensor<2xf32>, tensor<?x?xbf16>, tensor<*xi64>
}

{-#
  dialect_resources: {
    builtin: {
      weight: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// Binary arithmetic with numpy broadcasting, dynamic and unranked shapes.
// CHECK-LABEL: func.func @arithmetic
// CHECK: onnx.Add(%{{.*}}, %{{.*}}) : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK: onnx.Sub(%{{.*}}, %{{.*}}) : (tensor<1x?xf32>, tensor<3x1xf32>) -> tensor<3x?xf32>
// CHECK: onnx.Mul(%{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<4xf32>) -> tensor<*xf32>
// CHECK: onnx.Div(%{{.*}}, %{{.*}}) : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
// CHECK: onnx.Mod(%{{.*}}, %{{.*}}) : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
// CHECK: onnx.Mod(%{{.*}}, %{{.*}}) {fmod = 1 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK: onnx.Pow(%{{.*}}, %{{.*}}) : (tensor<?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
func.func @arithmetic(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %c: tensor<1x?xf32>, %d: tensor<3x1xf32>, %u: tensor<*xf32>, %s: tensor<f32>, %i: tensor<?xi64>, %j: tensor<i64>) -> (tensor<?x4xf32>, tensor<3x?xf32>, tensor<*xf32>, tensor<?x4xf32>, tensor<?xi64>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = onnx.Add(%a, %b) : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = onnx.Sub(%c, %d) : (tensor<1x?xf32>, tensor<3x1xf32>) -> tensor<3x?xf32>
  %2 = onnx.Mul(%u, %b) : (tensor<*xf32>, tensor<4xf32>) -> tensor<*xf32>
  %3 = onnx.Div(%a, %s) : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %4 = onnx.Mod(%i, %j) : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %5 = onnx.Mod(%a, %b) {fmod = 1 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %6 = onnx.Pow(%a, %j) : (tensor<?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<?x4xf32>, tensor<3x?xf32>, tensor<*xf32>, tensor<?x4xf32>, tensor<?xi64>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Comparisons produce i1 and broadcast like arithmetic.
// CHECK-LABEL: func.func @comparisons
// CHECK: onnx.Equal(%{{.*}}, %{{.*}}) : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
// CHECK: onnx.Less(%{{.*}}, %{{.*}}) : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xi1>
// CHECK: onnx.LessOrEqual(%{{.*}}, %{{.*}}) : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xi1>
// CHECK: onnx.Greater(%{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<1x?xf32>) -> tensor<*xi1>
// CHECK: onnx.GreaterOrEqual(%{{.*}}, %{{.*}}) : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
func.func @comparisons(%a: tensor<?x?xi64>, %b: tensor<i64>, %c: tensor<?x1xf32>, %d: tensor<1x?xf32>, %u: tensor<*xf32>) -> (tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x?xi1>, tensor<*xi1>, tensor<?x?xi1>) {
  %0 = onnx.Equal(%a, %b) : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %1 = onnx.Less(%c, %d) : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xi1>
  %2 = onnx.LessOrEqual(%c, %d) : (tensor<?x1xf32>, tensor<1x?xf32>) -> tensor<?x?xi1>
  %3 = onnx.Greater(%u, %d) : (tensor<*xf32>, tensor<1x?xf32>) -> tensor<*xi1>
  %4 = onnx.GreaterOrEqual(%a, %b) : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  return %0, %1, %2, %3, %4 : tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x?xi1>, tensor<*xi1>, tensor<?x?xi1>
}

// -----

// Boolean logic on i1 tensors.
// CHECK-LABEL: func.func @logical
// CHECK: onnx.And(%{{.*}}, %{{.*}}) : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
// CHECK: onnx.Or(%{{.*}}, %{{.*}}) : (tensor<?x?xi1>, tensor<*xi1>) -> tensor<*xi1>
// CHECK: onnx.Xor(%{{.*}}, %{{.*}}) : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
// CHECK: onnx.Not(%{{.*}}) : (tensor<?x?xi1>) -> tensor<?x?xi1>
func.func @logical(%a: tensor<?x?xi1>, %b: tensor<1x?xi1>, %u: tensor<*xi1>) -> (tensor<?x?xi1>, tensor<*xi1>, tensor<?x?xi1>, tensor<?x?xi1>) {
  %0 = onnx.And(%a, %b) : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
  %1 = onnx.Or(%a, %u) : (tensor<?x?xi1>, tensor<*xi1>) -> tensor<*xi1>
  %2 = onnx.Xor(%a, %b) : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
  %3 = onnx.Not(%a) : (tensor<?x?xi1>) -> tensor<?x?xi1>
  return %0, %1, %2, %3 : tensor<?x?xi1>, tensor<*xi1>, tensor<?x?xi1>, tensor<?x?xi1>
}

// -----

// Elementwise unary ops keep shape and element type (any or float types).
// CHECK-LABEL: func.func @unary
// CHECK: onnx.Neg(%{{.*}}) : (tensor<?x8xi64>) -> tensor<?x8xi64>
// CHECK: onnx.Abs(%{{.*}}) : (tensor<?x8xi64>) -> tensor<?x8xi64>
// CHECK: onnx.Sign(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Sqrt(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Reciprocal(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Exp(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Log(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Tanh(%{{.*}}) : (tensor<*xbf16>) -> tensor<*xbf16>
// CHECK: onnx.Sigmoid(%{{.*}}) : (tensor<*xbf16>) -> tensor<*xbf16>
// CHECK: onnx.Erf(%{{.*}}) : (tensor<*xbf16>) -> tensor<*xbf16>
// CHECK: onnx.Cos(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Sin(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Floor(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Ceil(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Round(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Relu(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
// CHECK: onnx.Softplus(%{{.*}}) : (tensor<?x8xf16>) -> tensor<?x8xf16>
func.func @unary(%i: tensor<?x8xi64>, %x: tensor<?x8xf16>, %u: tensor<*xbf16>) {
  %0 = onnx.Neg(%i) : (tensor<?x8xi64>) -> tensor<?x8xi64>
  %1 = onnx.Abs(%i) : (tensor<?x8xi64>) -> tensor<?x8xi64>
  %2 = onnx.Sign(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %3 = onnx.Sqrt(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %4 = onnx.Reciprocal(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %5 = onnx.Exp(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %6 = onnx.Log(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %7 = onnx.Tanh(%u) : (tensor<*xbf16>) -> tensor<*xbf16>
  %8 = onnx.Sigmoid(%u) : (tensor<*xbf16>) -> tensor<*xbf16>
  %9 = onnx.Erf(%u) : (tensor<*xbf16>) -> tensor<*xbf16>
  %10 = onnx.Cos(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %11 = onnx.Sin(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %12 = onnx.Floor(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %13 = onnx.Ceil(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %14 = onnx.Round(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %15 = onnx.Relu(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  %16 = onnx.Softplus(%x) : (tensor<?x8xf16>) -> tensor<?x8xf16>
  return
}

// -----

// Float predicates return i1 of the same shape; IsInf keeps its attributes.
// CHECK-LABEL: func.func @predicates
// CHECK: onnx.IsNaN(%{{.*}}) : (tensor<?x?xf32>) -> tensor<?x?xi1>
// CHECK: onnx.IsInf(%{{.*}}) : (tensor<?x?xf32>) -> tensor<?x?xi1>
// CHECK: onnx.IsInf(%{{.*}}) {detect_negative = 0 : i64} : (tensor<*xf64>) -> tensor<*xi1>
func.func @predicates(%x: tensor<?x?xf32>, %u: tensor<*xf64>) -> (tensor<?x?xi1>, tensor<?x?xi1>, tensor<*xi1>) {
  %0 = onnx.IsNaN(%x) : (tensor<?x?xf32>) -> tensor<?x?xi1>
  %1 = onnx.IsInf(%x) : (tensor<?x?xf32>) -> tensor<?x?xi1>
  %2 = onnx.IsInf(%u) {detect_negative = 0 : i64, detect_positive = 1 : i64} : (tensor<*xf64>) -> tensor<*xi1>
  return %0, %1, %2 : tensor<?x?xi1>, tensor<?x?xi1>, tensor<*xi1>
}

// -----

// Activations with attributes: Gelu (none/tanh) and LeakyRelu alpha.
// CHECK-LABEL: func.func @activations
// CHECK: onnx.Gelu(%{{.*}}) : (tensor<?x?x4096xf16>) -> tensor<?x?x4096xf16>
// CHECK: onnx.Gelu(%{{.*}}) {approximate = "tanh"} : (tensor<?x?x4096xf16>) -> tensor<?x?x4096xf16>
// CHECK: onnx.LeakyRelu(%{{.*}}) {alpha = 2.000000e-01 : f32} : (tensor<*xf32>) -> tensor<*xf32>
func.func @activations(%x: tensor<?x?x4096xf16>, %u: tensor<*xf32>) -> (tensor<?x?x4096xf16>, tensor<?x?x4096xf16>, tensor<*xf32>) {
  %0 = onnx.Gelu(%x) {approximate = "none"} : (tensor<?x?x4096xf16>) -> tensor<?x?x4096xf16>
  %1 = onnx.Gelu(%x) {approximate = "tanh"} : (tensor<?x?x4096xf16>) -> tensor<?x?x4096xf16>
  %2 = onnx.LeakyRelu(%u) {alpha = 0.2 : f32} : (tensor<*xf32>) -> tensor<*xf32>
  return %0, %1, %2 : tensor<?x?x4096xf16>, tensor<?x?x4096xf16>, tensor<*xf32>
}

// -----

// Variadic elementwise ops take one or more broadcastable inputs.
// CHECK-LABEL: func.func @variadic_elementwise
// CHECK: onnx.Max(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x4xf32>, tensor<4xf32>, tensor<f32>) -> tensor<?x4xf32>
// CHECK: onnx.Min(%{{.*}}) : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK: onnx.Sum(%{{.*}}, %{{.*}}) : (tensor<?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
// CHECK: onnx.Mean(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x4xf32>, tensor<4xf32>, tensor<?x1xf32>, tensor<f32>) -> tensor<?x4xf32>
func.func @variadic_elementwise(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %s: tensor<f32>, %u: tensor<*xf32>, %c: tensor<?x1xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<*xf32>, tensor<?x4xf32>) {
  %0 = onnx.Max(%a, %b, %s) : (tensor<?x4xf32>, tensor<4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %1 = onnx.Min(%a) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = onnx.Sum(%a, %u) : (tensor<?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %3 = onnx.Mean(%a, %b, %c, %s) : (tensor<?x4xf32>, tensor<4xf32>, tensor<?x1xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<*xf32>, tensor<?x4xf32>
}

// -----

// Where broadcasts a bool condition against both branches (attention masks).
// CHECK-LABEL: func.func @where
// CHECK: onnx.Where(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<1x1x?x?xi1>, tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<?x8x?x?xf32>
// CHECK: onnx.Where(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<*xi1>, tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<*xf32>
func.func @where(%c: tensor<1x1x?x?xi1>, %x: tensor<?x8x?x?xf32>, %y: tensor<f32>, %u: tensor<*xi1>) -> (tensor<?x8x?x?xf32>, tensor<*xf32>) {
  %0 = onnx.Where(%c, %x, %y) : (tensor<1x1x?x?xi1>, tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<?x8x?x?xf32>
  %1 = onnx.Where(%u, %x, %y) : (tensor<*xi1>, tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<*xf32>
  return %0, %1 : tensor<?x8x?x?xf32>, tensor<*xf32>
}

// -----

// Linear (de)quantization per tensor, per axis and blocked (opset 21), with
// and without a zero point.
// CHECK-LABEL: func.func @quantize_linear
// CHECK: onnx.DequantizeLinear(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<64x32xi8>, tensor<f32>, none) -> tensor<64x32xf32>
// CHECK: onnx.DequantizeLinear(%{{.*}}, %{{.*}}, %{{.*}}) {axis = 0 : i64} : (tensor<64x32xui8>, tensor<64xf16>, tensor<64xui8>) -> tensor<64x32xf16>
// CHECK: onnx.DequantizeLinear(%{{.*}}, %{{.*}}, %{{.*}}) {block_size = 16 : i64} : (tensor<64x32xi4>, tensor<64x2xf32>, none) -> tensor<64x32xf32>
// CHECK: onnx.QuantizeLinear(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x32xf32>, tensor<f32>, tensor<ui8>) -> tensor<?x32xui8>
func.func @quantize_linear(%q8: tensor<64x32xi8>, %u8: tensor<64x32xui8>, %q4: tensor<64x32xi4>,
                           %s: tensor<f32>, %sa: tensor<64xf16>, %za: tensor<64xui8>,
                           %sb: tensor<64x2xf32>, %x: tensor<?x32xf32>, %z: tensor<ui8>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.DequantizeLinear(%q8, %s, %none) : (tensor<64x32xi8>, tensor<f32>, none) -> tensor<64x32xf32>
  %1 = onnx.DequantizeLinear(%u8, %sa, %za) {axis = 0 : i64} : (tensor<64x32xui8>, tensor<64xf16>, tensor<64xui8>) -> tensor<64x32xf16>
  %2 = onnx.DequantizeLinear(%q4, %sb, %none) {block_size = 16 : i64} : (tensor<64x32xi4>, tensor<64x2xf32>, none) -> tensor<64x32xf32>
  %3 = onnx.QuantizeLinear(%x, %s, %z) : (tensor<?x32xf32>, tensor<f32>, tensor<ui8>) -> tensor<?x32xui8>
  return
}

// -----

// Cast's `to` is a TensorProto data type matching the result element type;
// CastLike takes its element type from the second operand.
// CHECK-LABEL: func.func @casts
// CHECK: onnx.Cast(%{{.*}}) {to = 1 : i64} : (tensor<?x?xf16>) -> tensor<?x?xf32>
// CHECK: onnx.Cast(%{{.*}}) {to = 7 : i64} : (tensor<?x?xf16>) -> tensor<?x?xi64>
// CHECK: onnx.Cast(%{{.*}}) {to = 9 : i64} : (tensor<*xi64>) -> tensor<*xi1>
// CHECK: onnx.Cast(%{{.*}}) {saturate = 0 : i64, to = 17 : i64} : (tensor<?x?xf16>) -> tensor<?x?xf8E4M3FN>
// CHECK: onnx.Cast(%{{.*}}) {to = 2 : i64} : (tensor<?x?xf16>) -> tensor<?x?xui8>
// CHECK: onnx.CastLike(%{{.*}}, %{{.*}}) : (tensor<*xi64>, tensor<f16>) -> tensor<*xf16>
func.func @casts(%x: tensor<?x?xf16>, %u: tensor<*xi64>, %t: tensor<f16>) {
  %0 = onnx.Cast(%x) {to = 1 : i64} : (tensor<?x?xf16>) -> tensor<?x?xf32>
  %1 = onnx.Cast(%x) {to = 7 : i64} : (tensor<?x?xf16>) -> tensor<?x?xi64>
  %2 = onnx.Cast(%u) {to = 9 : i64} : (tensor<*xi64>) -> tensor<*xi1>
  %3 = onnx.Cast(%x) {to = 17 : i64, saturate = 0 : i64} : (tensor<?x?xf16>) -> tensor<?x?xf8E4M3FN>
  %4 = onnx.Cast(%x) {to = 2 : i64} : (tensor<?x?xf16>) -> tensor<?x?xui8>
  %5 = onnx.CastLike(%u, %t) : (tensor<*xi64>, tensor<f16>) -> tensor<*xf16>
  return
}

// -----

// MatMul: batched x 2-D weight, broadcast batch dims, vector operands.
// CHECK-LABEL: func.func @matmul
// CHECK: onnx.MatMul(%{{.*}}, %{{.*}}) : (tensor<?x?x4096xf16>, tensor<4096x11008xf16>) -> tensor<?x?x11008xf16>
// CHECK: onnx.MatMul(%{{.*}}, %{{.*}}) : (tensor<?x32x?x128xf16>, tensor<?x32x128x?xf16>) -> tensor<?x32x?x?xf16>
// CHECK: onnx.MatMul(%{{.*}}, %{{.*}}) : (tensor<4096xf16>, tensor<4096x11008xf16>) -> tensor<11008xf16>
// CHECK: onnx.MatMul(%{{.*}}, %{{.*}}) : (tensor<*xf16>, tensor<4096x11008xf16>) -> tensor<*xf16>
func.func @matmul(%a: tensor<?x?x4096xf16>, %w: tensor<4096x11008xf16>, %q: tensor<?x32x?x128xf16>, %k: tensor<?x32x128x?xf16>, %v: tensor<4096xf16>, %u: tensor<*xf16>) {
  %0 = onnx.MatMul(%a, %w) : (tensor<?x?x4096xf16>, tensor<4096x11008xf16>) -> tensor<?x?x11008xf16>
  %1 = onnx.MatMul(%q, %k) : (tensor<?x32x?x128xf16>, tensor<?x32x128x?xf16>) -> tensor<?x32x?x?xf16>
  %2 = onnx.MatMul(%v, %w) : (tensor<4096xf16>, tensor<4096x11008xf16>) -> tensor<11008xf16>
  %3 = onnx.MatMul(%u, %w) : (tensor<*xf16>, tensor<4096x11008xf16>) -> tensor<*xf16>
  return
}

// -----

// Gemm with the optional bias omitted (none) and given, transposed B.
// CHECK-LABEL: func.func @gemm
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Gemm(%{{.*}}, %{{.*}}, %[[NONE]]) : (tensor<?x768xf32>, tensor<768x3072xf32>, none) -> tensor<?x3072xf32>
// CHECK: onnx.Gemm(%{{.*}}, %{{.*}}, %{{.*}}) {alpha = 5.000000e-01 : f32, transB = 1 : i64} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
func.func @gemm(%a: tensor<?x768xf32>, %b: tensor<768x3072xf32>, %bt: tensor<3072x768xf32>, %c: tensor<3072xf32>) -> (tensor<?x3072xf32>, tensor<?x3072xf32>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.Gemm(%a, %b, %none) : (tensor<?x768xf32>, tensor<768x3072xf32>, none) -> tensor<?x3072xf32>
  %1 = onnx.Gemm(%a, %bt, %c) {alpha = 0.5 : f32, beta = 1.0 : f32, transA = 0 : i64, transB = 1 : i64} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
  return %0, %1 : tensor<?x3072xf32>, tensor<?x3072xf32>
}

// -----

// Softmax / LogSoftmax over the default last axis and an explicit one.
// CHECK-LABEL: func.func @softmax
// CHECK: onnx.Softmax(%{{.*}}) : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
// CHECK: onnx.Softmax(%{{.*}}) {axis = 1 : i64} : (tensor<*xf32>) -> tensor<*xf32>
// CHECK: onnx.LogSoftmax(%{{.*}}) {axis = -4 : i64} : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
func.func @softmax(%x: tensor<?x32x?x?xf32>, %u: tensor<*xf32>) -> (tensor<?x32x?x?xf32>, tensor<*xf32>, tensor<?x32x?x?xf32>) {
  %0 = onnx.Softmax(%x) {axis = -1 : i64} : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
  %1 = onnx.Softmax(%u) {axis = 1 : i64} : (tensor<*xf32>) -> tensor<*xf32>
  %2 = onnx.LogSoftmax(%x) {axis = -4 : i64} : (tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>
  return %0, %1, %2 : tensor<?x32x?x?xf32>, tensor<*xf32>, tensor<?x32x?x?xf32>
}

// -----

// Normalizations: LayerNormalization with omitted bias and optional outputs,
// and with f32 Mean/InvStdDev; RMSNormalization; ORT's SimplifiedLayerNorm.
// CHECK-LABEL: func.func @normalization
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.LayerNormalization(%{{.*}}, %{{.*}}, %[[NONE]]) {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>, none) -> (tensor<?x?x768xf16>, none, none)
// CHECK: onnx.LayerNormalization(%{{.*}}, %{{.*}}, %{{.*}}) {axis = 2 : i64} : (tensor<?x?x768xf16>, tensor<768xf16>, tensor<768xf16>) -> (tensor<?x?x768xf16>, tensor<?x?x1xf32>, tensor<?x?x1xf32>)
// CHECK: onnx.RMSNormalization(%{{.*}}, %{{.*}}) {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>) -> tensor<?x?x768xf16>
// CHECK: onnx.SimplifiedLayerNormalization(%{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<768xf32>) -> (tensor<*xf32>, none)
func.func @normalization(%x: tensor<?x?x768xf16>, %g: tensor<768xf16>, %u: tensor<*xf32>, %g32: tensor<768xf32>) {
  %none = onnx.NoValue() : () -> none
  %0:3 = onnx.LayerNormalization(%x, %g, %none) {epsilon = 1.0e-6 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>, none) -> (tensor<?x?x768xf16>, none, none)
  %1:3 = onnx.LayerNormalization(%x, %g, %g) {axis = 2 : i64, stash_type = 1 : i64} : (tensor<?x?x768xf16>, tensor<768xf16>, tensor<768xf16>) -> (tensor<?x?x768xf16>, tensor<?x?x1xf32>, tensor<?x?x1xf32>)
  %2 = onnx.RMSNormalization(%x, %g) {epsilon = 1.0e-6 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>) -> tensor<?x?x768xf16>
  %3:2 = onnx.SimplifiedLayerNormalization(%u, %g32) {axis = -1 : i64} : (tensor<*xf32>, tensor<768xf32>) -> (tensor<*xf32>, none)
  return
}

// -----

// Reductions take `axes` as an input (opset 18); none means all axes.
// CHECK-LABEL: func.func @reductions
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.ReduceMean(%{{.*}}, %{{.*}}) : (tensor<?x?x768xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
// CHECK: onnx.ReduceSum(%{{.*}}, %[[NONE]]) {keepdims = 0 : i64} : (tensor<?x?x768xf32>, none) -> tensor<f32>
// CHECK: onnx.ReduceMax(%{{.*}}, %{{.*}}) {keepdims = 0 : i64} : (tensor<?x?x768xf32>, tensor<1xi64>) -> tensor<?x?xf32>
// CHECK: onnx.ReduceMin(%{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<?xi64>) -> tensor<*xf32>
// CHECK: onnx.ReduceProd(%{{.*}}, %[[NONE]]) {noop_with_empty_axes = 1 : i64} : (tensor<?x?x768xf32>, none) -> tensor<?x?x768xf32>
// CHECK: onnx.ReduceL2(%{{.*}}, %{{.*}}) : (tensor<?x?x768xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
func.func @reductions(%x: tensor<?x?x768xf32>, %u: tensor<*xf32>, %dyn: tensor<?xi64>) {
  %none = onnx.NoValue() : () -> none
  %axes = onnx.Constant() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %0 = onnx.ReduceMean(%x, %axes) {keepdims = 1 : i64} : (tensor<?x?x768xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  %1 = onnx.ReduceSum(%x, %none) {keepdims = 0 : i64} : (tensor<?x?x768xf32>, none) -> tensor<f32>
  %2 = onnx.ReduceMax(%x, %axes) {keepdims = 0 : i64} : (tensor<?x?x768xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  %3 = onnx.ReduceMin(%u, %dyn) : (tensor<*xf32>, tensor<?xi64>) -> tensor<*xf32>
  %4 = onnx.ReduceProd(%x, %none) {noop_with_empty_axes = 1 : i64} : (tensor<?x?x768xf32>, none) -> tensor<?x?x768xf32>
  %5 = onnx.ReduceL2(%x, %axes) : (tensor<?x?x768xf32>, tensor<1xi64>) -> tensor<?x?x1xf32>
  return
}

// -----

// ArgMax (i64 result), CumSum with a scalar axis input, Trilu with and
// without k (causal-mask construction).
// CHECK-LABEL: func.func @indexing_math
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.ArgMax(%{{.*}}) {axis = -1 : i64, keepdims = 0 : i64} : (tensor<?x?x32000xf32>) -> tensor<?x?xi64>
// CHECK: onnx.CumSum(%{{.*}}, %{{.*}}) : (tensor<?x?xi64>, tensor<i32>) -> tensor<?x?xi64>
// CHECK: onnx.CumSum(%{{.*}}, %{{.*}}) {exclusive = 1 : i64, reverse = 1 : i64} : (tensor<*xf32>, tensor<i64>) -> tensor<*xf32>
// CHECK: onnx.Trilu(%{{.*}}, %[[NONE]]) {upper = 0 : i64} : (tensor<?x?xf32>, none) -> tensor<?x?xf32>
// CHECK: onnx.Trilu(%{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<i64>) -> tensor<*xf32>
func.func @indexing_math(%logits: tensor<?x?x32000xf32>, %mask: tensor<?x?xi64>, %a32: tensor<i32>, %u: tensor<*xf32>, %a64: tensor<i64>, %m: tensor<?x?xf32>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.ArgMax(%logits) {axis = -1 : i64, keepdims = 0 : i64} : (tensor<?x?x32000xf32>) -> tensor<?x?xi64>
  %1 = onnx.CumSum(%mask, %a32) : (tensor<?x?xi64>, tensor<i32>) -> tensor<?x?xi64>
  %2 = onnx.CumSum(%u, %a64) {exclusive = 1 : i64, reverse = 1 : i64} : (tensor<*xf32>, tensor<i64>) -> tensor<*xf32>
  %3 = onnx.Trilu(%m, %none) {upper = 0 : i64} : (tensor<?x?xf32>, none) -> tensor<?x?xf32>
  %4 = onnx.Trilu(%u, %a64) : (tensor<*xf32>, tensor<i64>) -> tensor<*xf32>
  return
}

// -----

// Shape (with start/end), Size, Reshape (with allowzero) and Expand.
// CHECK-LABEL: func.func @shapes
// CHECK: onnx.Shape(%{{.*}}) : (tensor<?x?x768xf32>) -> tensor<3xi64>
// CHECK: onnx.Shape(%{{.*}}) {end = -1 : i64, start = 1 : i64} : (tensor<*xf32>) -> tensor<?xi64>
// CHECK: onnx.Size(%{{.*}}) : (tensor<*xf32>) -> tensor<i64>
// CHECK: onnx.Reshape(%{{.*}}, %{{.*}}) : (tensor<?x?x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
// CHECK: onnx.Reshape(%{{.*}}, %{{.*}}) {allowzero = 1 : i64} : (tensor<*xf32>, tensor<?xi64>) -> tensor<*xf32>
// CHECK: onnx.Expand(%{{.*}}, %{{.*}}) : (tensor<1x1x?x?xi1>, tensor<4xi64>) -> tensor<?x?x?x?xi1>
func.func @shapes(%x: tensor<?x?x768xf32>, %u: tensor<*xf32>, %s4: tensor<4xi64>, %sd: tensor<?xi64>, %m: tensor<1x1x?x?xi1>) {
  %0 = onnx.Shape(%x) : (tensor<?x?x768xf32>) -> tensor<3xi64>
  %1 = onnx.Shape(%u) {start = 1 : i64, end = -1 : i64} : (tensor<*xf32>) -> tensor<?xi64>
  %2 = onnx.Size(%u) : (tensor<*xf32>) -> tensor<i64>
  %3 = onnx.Reshape(%x, %s4) : (tensor<?x?x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
  %4 = onnx.Reshape(%u, %sd) {allowzero = 1 : i64} : (tensor<*xf32>, tensor<?xi64>) -> tensor<*xf32>
  %5 = onnx.Expand(%m, %s4) : (tensor<1x1x?x?xi1>, tensor<4xi64>) -> tensor<?x?x?x?xi1>
  return
}

// -----

// Transpose with and without perm; Unsqueeze/Squeeze with axes inputs
// (Squeeze's is optional); Flatten.
// CHECK-LABEL: func.func @layout
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Transpose(%{{.*}}) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
// CHECK: onnx.Transpose(%{{.*}}) : (tensor<?x768xf32>) -> tensor<768x?xf32>
// CHECK: onnx.Transpose(%{{.*}}) {perm = array<i64: 1, 0>} : (tensor<*xf32>) -> tensor<*xf32>
// CHECK: onnx.Unsqueeze(%{{.*}}, %{{.*}}) : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x1x1x?xi64>
// CHECK: onnx.Squeeze(%{{.*}}, %{{.*}}) : (tensor<?x1x1x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
// CHECK: onnx.Squeeze(%{{.*}}, %[[NONE]]) : (tensor<*xf32>, none) -> tensor<*xf32>
// CHECK: onnx.Flatten(%{{.*}}) {axis = 2 : i64} : (tensor<?x?x12x64xf32>) -> tensor<?x768xf32>
func.func @layout(%x: tensor<?x?x12x64xf32>, %m: tensor<?x768xf32>, %u: tensor<*xf32>, %ids: tensor<?x?xi64>, %ax: tensor<2xi64>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x12x64xf32>) -> tensor<?x12x?x64xf32>
  %1 = onnx.Transpose(%m) : (tensor<?x768xf32>) -> tensor<768x?xf32>
  %2 = onnx.Transpose(%u) {perm = array<i64: 1, 0>} : (tensor<*xf32>) -> tensor<*xf32>
  %3 = onnx.Unsqueeze(%ids, %ax) : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x1x1x?xi64>
  %4 = onnx.Squeeze(%3, %ax) : (tensor<?x1x1x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
  %5 = onnx.Squeeze(%u, %none) : (tensor<*xf32>, none) -> tensor<*xf32>
  %6 = onnx.Flatten(%x) {axis = 2 : i64} : (tensor<?x?x12x64xf32>) -> tensor<?x768xf32>
  return
}

// -----

// Concat of one, two and three inputs (KV-cache append), unranked allowed.
// CHECK-LABEL: func.func @concat
// CHECK: onnx.Concat(%{{.*}}, %{{.*}}) {axis = 2 : i64} : (tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>) -> tensor<?x8x?x64xf16>
// CHECK: onnx.Concat(%{{.*}}, %{{.*}}, %{{.*}}) {axis = -1 : i64} : (tensor<?x8x?x64xf16>, tensor<*xf16>, tensor<1x8x1x64xf16>) -> tensor<?x8x?x?xf16>
// CHECK: onnx.Concat(%{{.*}}) {axis = 0 : i64} : (tensor<3xi64>) -> tensor<3xi64>
func.func @concat(%past: tensor<?x8x?x64xf16>, %new: tensor<?x8x?x64xf16>, %u: tensor<*xf16>, %one: tensor<1x8x1x64xf16>, %s: tensor<3xi64>) {
  %0 = onnx.Concat(%past, %new) {axis = 2 : i64} : (tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>) -> tensor<?x8x?x64xf16>
  %1 = onnx.Concat(%past, %u, %one) {axis = -1 : i64} : (tensor<?x8x?x64xf16>, tensor<*xf16>, tensor<1x8x1x64xf16>) -> tensor<?x8x?x?xf16>
  %2 = onnx.Concat(%s) {axis = 0 : i64} : (tensor<3xi64>) -> tensor<3xi64>
  return
}

// -----

// Split by a `split` input, by num_outputs (opset 18) and into equal parts
// by the result count (opset 13); a single-output split.
// CHECK-LABEL: func.func @split
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Split(%{{.*}}, %{{.*}}) {axis = -1 : i64} : (tensor<?x?x3072xf16>, tensor<3xi64>) -> (tensor<?x?x2048xf16>, tensor<?x?x512xf16>, tensor<?x?x512xf16>)
// CHECK: onnx.Split(%{{.*}}, %[[NONE]]) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<?x?x3072xf16>, none) -> (tensor<?x?x1536xf16>, tensor<?x?x1536xf16>)
// CHECK: onnx.Split(%{{.*}}, %[[NONE]]) : (tensor<*xf16>, none) -> (tensor<*xf16>, tensor<*xf16>)
// CHECK: onnx.Split(%{{.*}}, %{{.*}}) : (tensor<*xf16>, tensor<?xi64>) -> tensor<*xf16>
func.func @split(%qkv: tensor<?x?x3072xf16>, %sizes: tensor<3xi64>, %u: tensor<*xf16>, %dyn: tensor<?xi64>) {
  %none = onnx.NoValue() : () -> none
  %0:3 = onnx.Split(%qkv, %sizes) {axis = -1 : i64} : (tensor<?x?x3072xf16>, tensor<3xi64>) -> (tensor<?x?x2048xf16>, tensor<?x?x512xf16>, tensor<?x?x512xf16>)
  %1:2 = onnx.Split(%qkv, %none) {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<?x?x3072xf16>, none) -> (tensor<?x?x1536xf16>, tensor<?x?x1536xf16>)
  %2:2 = onnx.Split(%u, %none) : (tensor<*xf16>, none) -> (tensor<*xf16>, tensor<*xf16>)
  %3 = onnx.Split(%u, %dyn) : (tensor<*xf16>, tensor<?xi64>) -> tensor<*xf16>
  return
}

// -----

// Slice with omitted axes/steps (none) and with i32 index inputs.
// CHECK-LABEL: func.func @slice
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Slice(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]]) : (tensor<?x?x768xf32>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<?x?x768xf32>
// CHECK: onnx.Slice(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>) -> tensor<*xf32>
func.func @slice(%x: tensor<?x?x768xf32>, %s: tensor<1xi64>, %e: tensor<1xi64>, %u: tensor<*xf32>, %i: tensor<1xi32>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.Slice(%x, %s, %e, %none, %none) : (tensor<?x?x768xf32>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<?x?x768xf32>
  %1 = onnx.Slice(%u, %i, %i, %i, %i) : (tensor<*xf32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>) -> tensor<*xf32>
  return
}

// -----

// Gather (embedding lookup), GatherElements, GatherND, ScatterND.
// CHECK-LABEL: func.func @gather_scatter
// CHECK: onnx.Gather(%{{.*}}, %{{.*}}) : (tensor<32000x4096xf16>, tensor<?x?xi64>) -> tensor<?x?x4096xf16>
// CHECK: onnx.Gather(%{{.*}}, %{{.*}}) {axis = -1 : i64} : (tensor<*xf16>, tensor<i32>) -> tensor<*xf16>
// CHECK: onnx.GatherElements(%{{.*}}, %{{.*}}) {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x1xi64>) -> tensor<?x1xf32>
// CHECK: onnx.GatherND(%{{.*}}, %{{.*}}) {batch_dims = 1 : i64} : (tensor<?x?x4096xf16>, tensor<?x1xi64>) -> tensor<?x4096xf16>
// CHECK: onnx.ScatterND(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x?xf32>, tensor<?x2xi64>, tensor<?xf32>) -> tensor<?x?xf32>
// CHECK: onnx.ScatterND(%{{.*}}, %{{.*}}, %{{.*}}) {reduction = "add"} : (tensor<?x?xf32>, tensor<?x2xi64>, tensor<?xf32>) -> tensor<?x?xf32>
func.func @gather_scatter(%emb: tensor<32000x4096xf16>, %ids: tensor<?x?xi64>, %u: tensor<*xf16>, %i: tensor<i32>, %d: tensor<?x?xf32>, %ix: tensor<?x1xi64>, %h: tensor<?x?x4096xf16>, %ix2: tensor<?x2xi64>, %up: tensor<?xf32>) {
  %0 = onnx.Gather(%emb, %ids) : (tensor<32000x4096xf16>, tensor<?x?xi64>) -> tensor<?x?x4096xf16>
  %1 = onnx.Gather(%u, %i) {axis = -1 : i64} : (tensor<*xf16>, tensor<i32>) -> tensor<*xf16>
  %2 = onnx.GatherElements(%d, %ix) {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x1xi64>) -> tensor<?x1xf32>
  %3 = onnx.GatherND(%h, %ix) {batch_dims = 1 : i64} : (tensor<?x?x4096xf16>, tensor<?x1xi64>) -> tensor<?x4096xf16>
  %4 = onnx.ScatterND(%d, %ix2, %up) {reduction = "none"} : (tensor<?x?xf32>, tensor<?x2xi64>, tensor<?xf32>) -> tensor<?x?xf32>
  %5 = onnx.ScatterND(%d, %ix2, %up) {reduction = "add"} : (tensor<?x?xf32>, tensor<?x2xi64>, tensor<?xf32>) -> tensor<?x?xf32>
  return
}

// -----

// Tile and Pad (constant value and axes omitted or given, other modes).
// CHECK-LABEL: func.func @tile_pad
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Tile(%{{.*}}, %{{.*}}) : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: onnx.Pad(%{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]]) : (tensor<?x?xf32>, tensor<4xi64>, none, none) -> tensor<?x?xf32>
// CHECK: onnx.Pad(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {mode = "reflect"} : (tensor<*xf32>, tensor<2xi64>, tensor<f32>, tensor<1xi32>) -> tensor<*xf32>
func.func @tile_pad(%x: tensor<?x?xf32>, %r: tensor<2xi64>, %p: tensor<4xi64>, %u: tensor<*xf32>, %cv: tensor<f32>, %ax: tensor<1xi32>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.Tile(%x, %r) : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %1 = onnx.Pad(%x, %p, %none, %none) {mode = "constant"} : (tensor<?x?xf32>, tensor<4xi64>, none, none) -> tensor<?x?xf32>
  %2 = onnx.Pad(%u, %r, %cv, %ax) {mode = "reflect"} : (tensor<*xf32>, tensor<2xi64>, tensor<f32>, tensor<1xi32>) -> tensor<*xf32>
  return
}

// -----

// Range over scalars (position ids) and ConstantOfShape with and without
// value (the default is f32 zero).
// CHECK-LABEL: func.func @generators
// CHECK: onnx.Range(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
// CHECK: onnx.Range(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<f32>, tensor<f32>) -> tensor<*xf32>
// CHECK: onnx.ConstantOfShape(%{{.*}}) {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
// CHECK: onnx.ConstantOfShape(%{{.*}}) : (tensor<?xi64>) -> tensor<*xf32>
// CHECK: onnx.ConstantOfShape(%{{.*}}) {value = dense<0xFF800000> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
func.func @generators(%s: tensor<i64>, %l: tensor<i64>, %d: tensor<i64>, %us: tensor<*xf32>, %f: tensor<f32>, %shape: tensor<2xi64>, %dyn: tensor<?xi64>) {
  %0 = onnx.Range(%s, %l, %d) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %1 = onnx.Range(%us, %f, %f) : (tensor<*xf32>, tensor<f32>, tensor<f32>) -> tensor<*xf32>
  %2 = onnx.ConstantOfShape(%shape) {value = dense<1> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
  %3 = onnx.ConstantOfShape(%dyn) : (tensor<?xi64>) -> tensor<*xf32>
  %4 = onnx.ConstantOfShape(%shape) {value = dense<0xFF800000> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

// ONNX Attention (opset 23/24), 4-D GQA with a KV cache, causal, optional
// inputs/outputs omitted.
// CHECK-LABEL: func.func @attention_4d
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Attention(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %{{.*}}, %{{.*}}, %[[NONE]]) {is_causal = 1 : i64, scale = 1.250000e-01 : f32} : (tensor<?x32x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none) -> (tensor<?x32x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none)
func.func @attention_4d(%q: tensor<?x32x?x128xf16>, %k: tensor<?x8x?x128xf16>, %v: tensor<?x8x?x128xf16>, %pk: tensor<?x8x?x128xf16>, %pv: tensor<?x8x?x128xf16>) {
  %none = onnx.NoValue() : () -> none
  %0:4 = onnx.Attention(%q, %k, %v, %none, %pk, %pv, %none) {is_causal = 1 : i64, scale = 0.125 : f32} : (tensor<?x32x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none) -> (tensor<?x32x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none)
  return
}

// -----

// ONNX Attention with 3-D inputs and head counts, a float mask, softcap,
// nonpad_kv_seqlen (opset 24) and the qk_matmul_output result.
// CHECK-LABEL: func.func @attention_3d
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.Attention(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]], %{{.*}}) {kv_num_heads = 2 : i64, q_num_heads = 8 : i64, qk_matmul_output_mode = 3 : i64, softcap = 5.000000e+01 : f32, softmax_precision = 1 : i64} : (tensor<?x?x512xf32>, tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<?x1x?x?xf32>, none, none, tensor<?xi64>) -> (tensor<?x?x512xf32>, none, none, tensor<?x8x?x?xf32>)
func.func @attention_3d(%q: tensor<?x?x512xf32>, %k: tensor<?x?x128xf32>, %v: tensor<?x?x128xf32>, %mask: tensor<?x1x?x?xf32>, %lens: tensor<?xi64>) {
  %none = onnx.NoValue() : () -> none
  %0:4 = onnx.Attention(%q, %k, %v, %mask, %none, %none, %lens) {q_num_heads = 8 : i64, kv_num_heads = 2 : i64, qk_matmul_output_mode = 3 : i64, softcap = 50.0 : f32, softmax_precision = 1 : i64} : (tensor<?x?x512xf32>, tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<?x1x?x?xf32>, none, none, tensor<?xi64>) -> (tensor<?x?x512xf32>, none, none, tensor<?x8x?x?xf32>)
  return
}

// -----

// ONNX RotaryEmbedding: 4-D X with gathered 3-D caches, and 3-D X with
// num_heads, position_ids and 2-D caches (partial, interleaved).
// CHECK-LABEL: func.func @rotary_embedding
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.RotaryEmbedding(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]]) : (tensor<?x32x?x128xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>, none) -> tensor<?x32x?x128xf16>
// CHECK: onnx.RotaryEmbedding(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {interleaved = 1 : i64, num_heads = 32 : i64, rotary_embedding_dim = 64 : i64} : (tensor<?x?x4096xf16>, tensor<4096x32xf16>, tensor<4096x32xf16>, tensor<?x?xi64>) -> tensor<?x?x4096xf16>
func.func @rotary_embedding(%x4: tensor<?x32x?x128xf16>, %c3: tensor<?x?x64xf16>, %x3: tensor<?x?x4096xf16>, %c2: tensor<4096x32xf16>, %pos: tensor<?x?xi64>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.RotaryEmbedding(%x4, %c3, %c3, %none) : (tensor<?x32x?x128xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>, none) -> tensor<?x32x?x128xf16>
  %1 = onnx.RotaryEmbedding(%x3, %c2, %c2, %pos) {interleaved = 1 : i64, num_heads = 32 : i64, rotary_embedding_dim = 64 : i64} : (tensor<?x?x4096xf16>, tensor<4096x32xf16>, tensor<4096x32xf16>, tensor<?x?xi64>) -> tensor<?x?x4096xf16>
  return
}

// -----

// com.microsoft GroupQueryAttention as onnxruntime-genai exports it: KV cache,
// seqlens_k/total_sequence_length, fused rotary, sliding window.
// CHECK-LABEL: func.func @ms_group_query_attention
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.ms.GroupQueryAttention(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]], %[[NONE]]) {do_rotary = 1 : i64, kv_num_heads = 8 : i64, local_window_size = 4096 : i64, num_heads = 32 : i64} : (tensor<?x?x4096xf16>, tensor<?x?x1024xf16>, tensor<?x?x1024xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>, tensor<i32>, tensor<4096x64xf16>, tensor<4096x64xf16>, none, none, none) -> (tensor<?x?x4096xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none)
// CHECK: onnx.ms.GroupQueryAttention(%{{.*}}, %[[NONE]], %[[NONE]], %[[NONE]], %[[NONE]], %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]], %[[NONE]], %[[NONE]], %[[NONE]]) {kv_num_heads = 32 : i64, num_heads = 32 : i64, scale = 1.250000e-01 : f32, softcap = 3.000000e+01 : f32} : (tensor<*xf32>, none, none, none, none, tensor<?xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<*xf32>, none, none, none)
func.func @ms_group_query_attention(%q: tensor<?x?x4096xf16>, %k: tensor<?x?x1024xf16>, %v: tensor<?x?x1024xf16>, %pk: tensor<?x8x?x128xf16>, %pv: tensor<?x8x?x128xf16>, %seqlens: tensor<?xi32>, %total: tensor<i32>, %cos: tensor<4096x64xf16>, %sin: tensor<4096x64xf16>, %packed: tensor<*xf32>) {
  %none = onnx.NoValue() : () -> none
  %0:4 = onnx.ms.GroupQueryAttention(%q, %k, %v, %pk, %pv, %seqlens, %total, %cos, %sin, %none, %none, %none) {num_heads = 32 : i64, kv_num_heads = 8 : i64, do_rotary = 1 : i64, local_window_size = 4096 : i64} : (tensor<?x?x4096xf16>, tensor<?x?x1024xf16>, tensor<?x?x1024xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>, tensor<i32>, tensor<4096x64xf16>, tensor<4096x64xf16>, none, none, none) -> (tensor<?x?x4096xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, none)
  %1:4 = onnx.ms.GroupQueryAttention(%packed, %none, %none, %none, %none, %seqlens, %total, %none, %none, %none, %none, %none) {num_heads = 32 : i64, kv_num_heads = 32 : i64, scale = 0.125 : f32, softcap = 30.0 : f32, local_window_size = -1 : i64} : (tensor<*xf32>, none, none, none, none, tensor<?xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<*xf32>, none, none, none)
  return
}

// -----

// com.microsoft MultiHeadAttention with separate K/V and an attention bias.
// CHECK-LABEL: func.func @ms_multi_head_attention
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.ms.MultiHeadAttention(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]], %{{.*}}, %[[NONE]], %[[NONE]], %[[NONE]], %[[NONE]]) {num_heads = 12 : i64, unidirectional = 1 : i64} : (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>, none, none, tensor<?x12x?x?xf32>, none, none, none, none) -> (tensor<?x?x768xf32>, none, none, none)
func.func @ms_multi_head_attention(%q: tensor<?x?x768xf32>, %k: tensor<?x?x768xf32>, %v: tensor<?x?x768xf32>, %bias: tensor<?x12x?x?xf32>) {
  %none = onnx.NoValue() : () -> none
  %0:4 = onnx.ms.MultiHeadAttention(%q, %k, %v, %none, %none, %bias, %none, %none, %none, %none) {num_heads = 12 : i64, unidirectional = 1 : i64} : (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>, none, none, tensor<?x12x?x?xf32>, none, none, none, none) -> (tensor<?x?x768xf32>, none, none, none)
  return
}

// -----

// com.microsoft RotaryEmbedding (position_ids first, 2-D caches).
// CHECK-LABEL: func.func @ms_rotary_embedding
// CHECK: onnx.ms.RotaryEmbedding(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x32x?x128xf16>, tensor<?x?xi64>, tensor<4096x64xf16>, tensor<4096x64xf16>) -> tensor<?x32x?x128xf16>
// CHECK: onnx.ms.RotaryEmbedding(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {interleaved = 1 : i64, num_heads = 32 : i64, rotary_embedding_dim = 64 : i64} : (tensor<?x?x4096xf16>, tensor<1xi64>, tensor<4096x32xf16>, tensor<4096x32xf16>) -> tensor<?x?x4096xf16>
func.func @ms_rotary_embedding(%x4: tensor<?x32x?x128xf16>, %pos: tensor<?x?xi64>, %c: tensor<4096x64xf16>, %x3: tensor<?x?x4096xf16>, %p1: tensor<1xi64>, %c32: tensor<4096x32xf16>) {
  %0 = onnx.ms.RotaryEmbedding(%x4, %pos, %c, %c) : (tensor<?x32x?x128xf16>, tensor<?x?xi64>, tensor<4096x64xf16>, tensor<4096x64xf16>) -> tensor<?x32x?x128xf16>
  %1 = onnx.ms.RotaryEmbedding(%x3, %p1, %c32, %c32) {interleaved = 1 : i64, num_heads = 32 : i64, rotary_embedding_dim = 64 : i64} : (tensor<?x?x4096xf16>, tensor<1xi64>, tensor<4096x32xf16>, tensor<4096x32xf16>) -> tensor<?x?x4096xf16>
  return
}

// -----

// com.microsoft skip (residual) normalizations with the optional outputs.
// CHECK-LABEL: func.func @ms_skip_norms
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.ms.SkipSimplifiedLayerNormalization(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]]) {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x4096xf16>, tensor<?x?x4096xf16>, tensor<4096xf16>, none) -> (tensor<?x?x4096xf16>, none, none, tensor<?x?x4096xf16>)
// CHECK: onnx.ms.SkipLayerNormalization(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>) -> (tensor<?x768xf32>, none, none, none)
func.func @ms_skip_norms(%x: tensor<?x?x4096xf16>, %g: tensor<4096xf16>, %t: tensor<?x768xf32>, %w: tensor<768xf32>) {
  %none = onnx.NoValue() : () -> none
  %0:4 = onnx.ms.SkipSimplifiedLayerNormalization(%x, %x, %g, %none) {epsilon = 1.0e-6 : f32} : (tensor<?x?x4096xf16>, tensor<?x?x4096xf16>, tensor<4096xf16>, none) -> (tensor<?x?x4096xf16>, none, none, tensor<?x?x4096xf16>)
  %1:4 = onnx.ms.SkipLayerNormalization(%t, %w, %w, %w, %w) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>) -> (tensor<?x768xf32>, none, none, none)
  return
}

// -----

// com.microsoft MatMulNBits: 4-bit, block 32, packed 3-D and flat B.
// CHECK-LABEL: func.func @ms_matmul_nbits
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: onnx.ms.MatMulNBits(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]]) {K = 4096 : i64, N = 11008 : i64, accuracy_level = 4 : i64, block_size = 32 : i64} : (tensor<?x?x4096xf16>, tensor<11008x128x16xui8>, tensor<1409024xf16>, tensor<?xui8>, none, none) -> tensor<?x?x11008xf16>
// CHECK: onnx.ms.MatMulNBits(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[NONE]], %{{.*}}) {K = 768 : i64, N = 256 : i64, bits = 8 : i64, block_size = 128 : i64} : (tensor<*xf32>, tensor<196608xui8>, tensor<256x6xf32>, none, none, tensor<256xf32>) -> tensor<*xf32>
func.func @ms_matmul_nbits(%a: tensor<?x?x4096xf16>, %b: tensor<11008x128x16xui8>, %s: tensor<1409024xf16>, %zp: tensor<?xui8>, %u: tensor<*xf32>, %b8: tensor<196608xui8>, %s8: tensor<256x6xf32>, %bias: tensor<256xf32>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.ms.MatMulNBits(%a, %b, %s, %zp, %none, %none) {K = 4096 : i64, N = 11008 : i64, bits = 4 : i64, block_size = 32 : i64, accuracy_level = 4 : i64} : (tensor<?x?x4096xf16>, tensor<11008x128x16xui8>, tensor<1409024xf16>, tensor<?xui8>, none, none) -> tensor<?x?x11008xf16>
  %1 = onnx.ms.MatMulNBits(%u, %b8, %s8, %none, %none, %bias) {K = 768 : i64, N = 256 : i64, bits = 8 : i64, block_size = 128 : i64} : (tensor<*xf32>, tensor<196608xui8>, tensor<256x6xf32>, none, none, tensor<256xf32>) -> tensor<*xf32>
  return
}

// -----

// Must-accept: verifiers skip rank/shape rules on unranked values (imported
// values are unranked until shape inference).
// CHECK-LABEL: func.func @unranked_inputs_accepted
// CHECK: onnx.MatMul(%{{.*}}, %{{.*}}) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
// CHECK: onnx.Gemm
// CHECK: onnx.Transpose(%{{.*}}) {perm = array<i64: 0, 2, 1, 3>} : (tensor<*xf32>) -> tensor<*xf32>
// CHECK: onnx.Concat(%{{.*}}, %{{.*}}) {axis = 7 : i64}
// CHECK: onnx.Softmax(%{{.*}}) {axis = 5 : i64}
// CHECK: onnx.Gather(%{{.*}}, %{{.*}}) {axis = -9 : i64}
// CHECK: onnx.LayerNormalization(%{{.*}}, %{{.*}}, %{{.*}}) {axis = 3 : i64}
// CHECK: onnx.Split(%{{.*}}, %{{.*}}) {axis = 4 : i64}
// CHECK: onnx.Reshape
// CHECK: onnx.Range
// CHECK: onnx.ConstantOfShape
// CHECK: onnx.Trilu
// CHECK: onnx.CumSum
// CHECK: onnx.Shape
// CHECK: onnx.ReduceMean
// CHECK: onnx.Attention
// CHECK: onnx.RotaryEmbedding
// CHECK: onnx.ms.GroupQueryAttention
// CHECK: onnx.ms.MultiHeadAttention
// CHECK: onnx.ms.RotaryEmbedding
// CHECK: onnx.ms.SkipSimplifiedLayerNormalization
// CHECK: onnx.ms.MatMulNBits
func.func @unranked_inputs_accepted(%x: tensor<*xf32>, %i: tensor<*xi64>, %i32: tensor<*xi32>, %b: tensor<*xui8>) {
  %none = onnx.NoValue() : () -> none
  %0 = onnx.MatMul(%x, %x) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %1 = onnx.Gemm(%x, %x, %x) {transA = 1 : i64} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %2 = onnx.Transpose(%x) {perm = array<i64: 0, 2, 1, 3>} : (tensor<*xf32>) -> tensor<*xf32>
  %3 = onnx.Concat(%x, %x) {axis = 7 : i64} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %4 = onnx.Softmax(%x) {axis = 5 : i64} : (tensor<*xf32>) -> tensor<*xf32>
  %5 = onnx.Gather(%x, %i) {axis = -9 : i64} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %6:3 = onnx.LayerNormalization(%x, %x, %x) {axis = 3 : i64} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> (tensor<*xf32>, none, none)
  %7:3 = onnx.Split(%x, %i) {axis = 4 : i64} : (tensor<*xf32>, tensor<*xi64>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  %8 = onnx.Reshape(%x, %i) : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %9 = onnx.Range(%x, %x, %x) : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %10 = onnx.ConstantOfShape(%i) {value = dense<1.0> : tensor<1xf32>} : (tensor<*xi64>) -> tensor<*xf32>
  %11 = onnx.Trilu(%x, %i) : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %12 = onnx.CumSum(%x, %i32) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %13 = onnx.Shape(%x) : (tensor<*xf32>) -> tensor<*xi64>
  %14 = onnx.ReduceMean(%x, %i) {keepdims = 0 : i64} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %15:4 = onnx.Attention(%x, %x, %x, %x, %x, %x, %none) : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, none) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, none)
  %16 = onnx.RotaryEmbedding(%x, %x, %x, %i) : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %17:4 = onnx.ms.GroupQueryAttention(%x, %x, %x, %x, %x, %i32, %i32, %x, %x, %i, %x, %x) {num_heads = 4 : i64, kv_num_heads = 2 : i64, do_rotary = 1 : i64} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi32>, tensor<*xi32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>, tensor<*xf32>, tensor<*xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  %18:4 = onnx.ms.MultiHeadAttention(%x, %x, %x, %x, %i32, %x, %x, %x, %i32, %i32) {num_heads = 4 : i64} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi32>, tensor<*xi32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  %19 = onnx.ms.RotaryEmbedding(%x, %i, %x, %x) : (tensor<*xf32>, tensor<*xi64>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %20:4 = onnx.ms.SkipSimplifiedLayerNormalization(%x, %x, %x, %x) : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  %21 = onnx.ms.MatMulNBits(%x, %b, %x, %none, %none, %none) {K = 64 : i64, N = 64 : i64, block_size = 16 : i64} : (tensor<*xf32>, tensor<*xui8>, tensor<*xf32>, none, none, none) -> tensor<*xf32>
  return
}
