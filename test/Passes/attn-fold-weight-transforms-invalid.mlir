// RUN: attnc-opt %s -split-input-file -attn-fold-weight-transforms -verify-diagnostics

// A weight printed with --elide-weights has no bytes left to fold: the
// evaluator names the blob instead of inventing data.
func.func @elided_blob() -> tensor<3x2xf32> {
  // expected-error @+1 {{the data of resource blob '__elided__' is not available (elided weights?)}}
  %a = onnx.Constant() {value = dense_resource<__elided__> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %b = onnx.Constant() {value = dense<[[5.0, 6.0]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %w = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  return %w : tensor<3x2xf32>
}

// -----

// A blob whose size does not match its type is reported, not read past its end.
func.func @short_blob() -> tensor<3x2xf32> {
  // expected-error @+1 {{resource blob 'w_short' holds 8 bytes but 'tensor<2x2xf32>' needs 16}}
  %a = onnx.Constant() {value = dense_resource<w_short> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %b = onnx.Constant() {value = dense<[[5.0, 6.0]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %w = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  return %w : tensor<3x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w_short: "0x040000000000803F00000040"
    }
  }
#-}
