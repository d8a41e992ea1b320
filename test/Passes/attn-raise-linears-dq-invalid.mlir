// RUN: attnc-opt %s -split-input-file -attn-raise-linears -verify-diagnostics

// A DequantizeLinear of constants feeding a MatMul's weight that maps onto no
// quantized-linear scheme is refused at the node (its location names the
// ONNX node): nothing else computes it.

func.func @int4_per_column(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<64x16xi4>} : () -> tensor<64x16xi4>
  %s = onnx.Constant() {value = dense<0.5> : tensor<16xf32>} : () -> tensor<16xf32>
  // expected-error @+1 {{cannot import DequantizeLinear as MatMul's weight: 4-bit codes need blocks along K (block_size 32, 64 or 128 on axis 0), got one scale per axis 1}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 1 : i64} : (tensor<64x16xi4>, tensor<16xf32>, none) -> tensor<64x16xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @block_16(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<64x16xi4>} : () -> tensor<64x16xi4>
  %s = onnx.Constant() {value = dense<0.5> : tensor<4x16xf32>} : () -> tensor<4x16xf32>
  // expected-error @+1 {{cannot import DequantizeLinear as MatMul's weight: block_size=16 is not supported (32, 64 or 128)}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64, block_size = 16 : i64} : (tensor<64x16xi4>, tensor<4x16xf32>, none) -> tensor<64x16xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Blocks along N (axis 1) are not groups of the kernels' K.
func.func @blocks_along_n(%x: tensor<?x32xf32>) -> tensor<?x64xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<32x64xi4>} : () -> tensor<32x64xi4>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32x2xf32>} : () -> tensor<32x2xf32>
  // expected-error @+1 {{blocks must run along K (axis 0), got axis 1}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 1 : i64, block_size = 32 : i64} : (tensor<32x64xi4>, tensor<32x2xf32>, none) -> tensor<32x64xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x32xf32>, tensor<32x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @int16_codes(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<32x8xi16>} : () -> tensor<32x8xi16>
  %s = onnx.Constant() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  // expected-error @+1 {{codes of type i16 are not supported (int4, uint4 or int8)}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 1 : i64} : (tensor<32x8xi16>, tensor<8xf32>, none) -> tensor<32x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x32xf32>, tensor<32x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// One scale per row of the [K, N] codes (axis 0) is no layout of the kernels.
func.func @int8_per_row(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<32x8xi8>} : () -> tensor<32x8xi8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<32xf32>} : () -> tensor<32xf32>
  // expected-error @+1 {{8-bit codes need one scale per output column (axis 1, scale [N=8]), one per tensor, or blocks along K, got axis 0 and a scale tensor<32xf32>}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64} : (tensor<32x8xi8>, tensor<32xf32>, none) -> tensor<32x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x32xf32>, tensor<32x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// int8 with zero points by column: the zero points become groups along K too.
func.func @int8_zero_points_odd_k(%x: tensor<?x48xf32>) -> tensor<?x8xf32> {
  %q = onnx.Constant() {value = dense<1> : tensor<48x8xi8>} : () -> tensor<48x8xi8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %z = onnx.Constant() {value = dense<3> : tensor<8xi8>} : () -> tensor<8xi8>
  // expected-error @+1 {{int8 codes with zero points and one scale per column need K divisible by 32 (their zero points become the kernels' groups of 32, 64 or 128), got K=48}}
  %w = onnx.DequantizeLinear(%q, %s, %z) {axis = 1 : i64} : (tensor<48x8xi8>, tensor<8xf32>, tensor<8xi8>) -> tensor<48x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x48xf32>, tensor<48x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// uint8 by column: the zero points become groups along K, which must exist.
func.func @uint8_per_column_odd_k(%x: tensor<?x48xf32>) -> tensor<?x8xf32> {
  %q = onnx.Constant() {value = dense<1> : tensor<48x8xui8>} : () -> tensor<48x8xui8>
  %s = onnx.Constant() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %z = onnx.Constant() {value = dense<128> : tensor<8xui8>} : () -> tensor<8xui8>
  // expected-error @+1 {{uint8 codes and one scale per column need K divisible by 32 (their zero points become the kernels' groups of 32, 64 or 128), got K=48}}
  %w = onnx.DequantizeLinear(%q, %s, %z) {axis = 1 : i64} : (tensor<48x8xui8>, tensor<8xf32>, tensor<8xui8>) -> tensor<48x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x48xf32>, tensor<48x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// K is not a multiple of the block: the last block is partial.
func.func @partial_block(%x: tensor<?x48xf32>) -> tensor<?x8xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<48x8xi4>} : () -> tensor<48x8xi4>
  %s = onnx.Constant() {value = dense<0.5> : tensor<2x8xf32>} : () -> tensor<2x8xf32>
  // expected-error @+1 {{K=48 is not a multiple of block_size=32}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64, block_size = 32 : i64} : (tensor<48x8xi4>, tensor<2x8xf32>, none) -> tensor<48x8xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x48xf32>, tensor<48x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The scale's N disagrees with the codes' (the onnx verifier checks only the
// blocked axis).
func.func @scale_wrong_n(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<64x16xi4>} : () -> tensor<64x16xi4>
  %s = onnx.Constant() {value = dense<0.5> : tensor<2x8xf32>} : () -> tensor<2x8xf32>
  // expected-error @+1 {{the scale tensor<2x8xf32> must be [K / block_size, N] = [2, 16]}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64, block_size = 32 : i64} : (tensor<64x16xi4>, tensor<2x8xf32>, none) -> tensor<64x16xf32>
  %y = onnx.MatMul(%x, %w) : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @f64_scale(%x: tensor<?x64xf64>) -> tensor<?x16xf64> {
  %none = onnx.NoValue() : () -> none
  %q = onnx.Constant() {value = dense<1> : tensor<64x16xi4>} : () -> tensor<64x16xi4>
  %s = onnx.Constant() {value = dense<0.5> : tensor<2x16xf64>} : () -> tensor<2x16xf64>
  // expected-error @+1 {{the scale must be f32, f16 or bf16, got tensor<2x16xf64>}}
  %w = onnx.DequantizeLinear(%q, %s, %none) {axis = 0 : i64, block_size = 32 : i64} : (tensor<64x16xi4>, tensor<2x16xf64>, none) -> tensor<64x16xf64>
  %y = onnx.MatMul(%x, %w) : (tensor<?x64xf64>, tensor<64x16xf64>) -> tensor<?x16xf64>
  return %y : tensor<?x16xf64>
}
