// Every op of the attn dialect parses, verifies and prints back to the same
// form, through both the custom and the generic syntax, in the forms the
// raising passes produce (MHA/GQA/MQA, masks, RoPE variants, norms, linears).
// RUN: attnc-opt %s -split-input-file | attnc-opt -split-input-file | FileCheck %s
// RUN: attnc-opt %s -split-input-file --mlir-print-op-generic | attnc-opt -split-input-file | FileCheck %s
//
// Coverage: the set of ops used below must equal the set defined in
// AttnOps.td (every `def ..Op` there is an op), so adding an op without a
// round-trip case fails this test.
// RUN: attnc-opt %s -split-input-file --mlir-print-op-generic | %python -c 'import re, sys; td = open(sys.argv[1]).read(); defs = set(re.findall(r"^def Attn_\w+Op\s*:\s*Attn_Op<\"([\w.]+)\"", td, re.M)); n = len(re.findall(r"^def \w+Op\s*:", td, re.M)); used = set(re.findall(r"\"attn\.([\w.]+)\"", sys.stdin.read())); print("ops in AttnOps.td without a round-trip case:", sorted(defs - used)); print("ops used here but not in AttnOps.td:", sorted(used - defs)); print("op defs the pattern did not understand:", n - len(defs)); sys.exit(defs != used or n != len(defs) or not defs)' %S/../../dialects/Attention/AttnOps.td

// MHA (num_heads == num_kv_heads), causal by default, no mask or bias: the
// defaults (causal, window, softcap, sink_tokens) are not printed.
// CHECK-LABEL: func.func @attention_mha
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 64 : i64, num_heads = 8 : i64, num_kv_heads = 8 : i64, scale = 1.250000e-01 : f32} : (tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>) -> tensor<2x16x8x64xf32>
func.func @attention_mha(%q: tensor<2x16x8x64xf32>, %k: tensor<2x16x8x64xf32>, %v: tensor<2x16x8x64xf32>) -> tensor<2x16x8x64xf32> {
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 8, head_dim = 64, scale = 0.125 : f32} : (tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>) -> tensor<2x16x8x64xf32>
  return %0 : tensor<2x16x8x64xf32>
}

// -----

// GQA (4 query heads per KV head) with a key padding mask and an ALiBi-style
// bias broadcast over batch and seq; queries are the last 4 of 16 positions.
// CHECK-LABEL: func.func @attention_gqa_mask_bias
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} padding(%{{.*}}) bias(%{{.*}}) {head_dim = 128 : i64, num_heads = 8 : i64, num_kv_heads = 2 : i64, scale = 0.0883883461 : f32} : (tensor<2x4x8x128xbf16>, tensor<2x16x2x128xbf16>, tensor<2x16x2x128xbf16>, tensor<2x16xi1>, tensor<1x8x1x16xbf16>) -> tensor<2x4x8x128xbf16>
func.func @attention_gqa_mask_bias(%q: tensor<2x4x8x128xbf16>, %k: tensor<2x16x2x128xbf16>, %v: tensor<2x16x2x128xbf16>, %mask: tensor<2x16xi1>, %bias: tensor<1x8x1x16xbf16>) -> tensor<2x4x8x128xbf16> {
  %0 = attn.attention %q, %k, %v padding(%mask) bias(%bias) {num_heads = 8, num_kv_heads = 2, head_dim = 128, scale = 0.0883883461 : f32} : (tensor<2x4x8x128xbf16>, tensor<2x16x2x128xbf16>, tensor<2x16x2x128xbf16>, tensor<2x16xi1>, tensor<1x8x1x16xbf16>) -> tensor<2x4x8x128xbf16>
  return %0 : tensor<2x4x8x128xbf16>
}

// -----

// GQA with only a padding mask, and with only a bias: each optional operand
// stands alone (operandSegmentSizes in the generic form).
// CHECK-LABEL: func.func @attention_gqa_one_optional
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} padding(%{{.*}}) {head_dim = 64 : i64, num_heads = 6 : i64, num_kv_heads = 3 : i64, scale = 1.250000e-01 : f32} : (tensor<1x?x6x64xf16>, tensor<1x?x3x64xf16>, tensor<1x?x3x64xf16>, tensor<1x?xi1>) -> tensor<1x?x6x64xf16>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) {head_dim = 64 : i64, num_heads = 6 : i64, num_kv_heads = 3 : i64, scale = 1.250000e-01 : f32} : (tensor<1x?x6x64xf16>, tensor<1x?x3x64xf16>, tensor<1x?x3x64xf16>, tensor<1x6x?x?xf16>) -> tensor<1x?x6x64xf16>
func.func @attention_gqa_one_optional(%q: tensor<1x?x6x64xf16>, %k: tensor<1x?x3x64xf16>, %v: tensor<1x?x3x64xf16>, %mask: tensor<1x?xi1>, %bias: tensor<1x6x?x?xf16>) -> (tensor<1x?x6x64xf16>, tensor<1x?x6x64xf16>) {
  %0 = attn.attention %q, %k, %v padding(%mask) {num_heads = 6, num_kv_heads = 3, head_dim = 64, scale = 0.125 : f32} : (tensor<1x?x6x64xf16>, tensor<1x?x3x64xf16>, tensor<1x?x3x64xf16>, tensor<1x?xi1>) -> tensor<1x?x6x64xf16>
  %1 = attn.attention %q, %k, %v bias(%bias) {num_heads = 6, num_kv_heads = 3, head_dim = 64, scale = 0.125 : f32} : (tensor<1x?x6x64xf16>, tensor<1x?x3x64xf16>, tensor<1x?x3x64xf16>, tensor<1x6x?x?xf16>) -> tensor<1x?x6x64xf16>
  return %0, %1 : tensor<1x?x6x64xf16>, tensor<1x?x6x64xf16>
}

// -----

// MQA (one KV head), non-causal (encoder / prefix attention), and a value
// head_dim different from the query/key head_dim.
// CHECK-LABEL: func.func @attention_mqa_noncausal
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = false, head_dim = 64 : i64, num_heads = 16 : i64, num_kv_heads = 1 : i64, scale = 1.250000e-01 : f32} : (tensor<?x?x16x64xf16>, tensor<?x?x1x64xf16>, tensor<?x?x1x32xf16>) -> tensor<?x?x16x32xf16>
func.func @attention_mqa_noncausal(%q: tensor<?x?x16x64xf16>, %k: tensor<?x?x1x64xf16>, %v: tensor<?x?x1x32xf16>) -> tensor<?x?x16x32xf16> {
  %0 = attn.attention %q, %k, %v {num_heads = 16, num_kv_heads = 1, head_dim = 64, scale = 0.125 : f32, causal = false} : (tensor<?x?x16x64xf16>, tensor<?x?x1x64xf16>, tensor<?x?x1x32xf16>) -> tensor<?x?x16x32xf16>
  return %0 : tensor<?x?x16x32xf16>
}

// -----

// Sliding window (Mistral) with StreamingLLM sink tokens; causal is the
// default and a window needs it; explicit defaults are elided when printed.
// CHECK-LABEL: func.func @attention_window_sinks
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 128 : i64, num_heads = 32 : i64, num_kv_heads = 8 : i64, scale = 0.0883883461 : f32, window = 4096 : i64} : (tensor<1x?x32x128xf32>, tensor<1x?x8x128xf32>, tensor<1x?x8x128xf32>) -> tensor<1x?x32x128xf32>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 128 : i64, num_heads = 32 : i64, num_kv_heads = 8 : i64, scale = 0.0883883461 : f32, sink_tokens = 4 : i64, window = 1024 : i64} : (tensor<1x?x32x128xf32>, tensor<1x?x8x128xf32>, tensor<1x?x8x128xf32>) -> tensor<1x?x32x128xf32>
func.func @attention_window_sinks(%q: tensor<1x?x32x128xf32>, %k: tensor<1x?x8x128xf32>, %v: tensor<1x?x8x128xf32>) -> (tensor<1x?x32x128xf32>, tensor<1x?x32x128xf32>) {
  %0 = attn.attention %q, %k, %v {num_heads = 32, num_kv_heads = 8, head_dim = 128, scale = 0.0883883461 : f32, causal = true, window = 4096, softcap = 0.0 : f32, sink_tokens = 0} : (tensor<1x?x32x128xf32>, tensor<1x?x8x128xf32>, tensor<1x?x8x128xf32>) -> tensor<1x?x32x128xf32>
  %1 = attn.attention %q, %k, %v {num_heads = 32, num_kv_heads = 8, head_dim = 128, scale = 0.0883883461 : f32, window = 1024, sink_tokens = 4} : (tensor<1x?x32x128xf32>, tensor<1x?x8x128xf32>, tensor<1x?x8x128xf32>) -> tensor<1x?x32x128xf32>
  return %0, %1 : tensor<1x?x32x128xf32>, tensor<1x?x32x128xf32>
}

// -----

// Gemma-2: logit softcap together with a sliding window, scale not 1/sqrt(d).
// CHECK-LABEL: func.func @attention_softcap
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 256 : i64, num_heads = 8 : i64, num_kv_heads = 4 : i64, scale = 6.250000e-02 : f32, softcap = 5.000000e+01 : f32, window = 4096 : i64} : (tensor<?x?x8x256xbf16>, tensor<?x?x4x256xbf16>, tensor<?x?x4x256xbf16>) -> tensor<?x?x8x256xbf16>
func.func @attention_softcap(%q: tensor<?x?x8x256xbf16>, %k: tensor<?x?x4x256xbf16>, %v: tensor<?x?x4x256xbf16>) -> tensor<?x?x8x256xbf16> {
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 4, head_dim = 256, scale = 0.0625 : f32, softcap = 50.0 : f32, window = 4096} : (tensor<?x?x8x256xbf16>, tensor<?x?x4x256xbf16>, tensor<?x?x4x256xbf16>) -> tensor<?x?x8x256xbf16>
  return %0 : tensor<?x?x8x256xbf16>
}

// -----

// Unranked and fully dynamic operands (an import before shape inference):
// nothing static to check, the attributes alone carry heads and head_dim.
// CHECK-LABEL: func.func @attention_unranked
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} padding(%{{.*}}) bias(%{{.*}}) {head_dim = 64 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi1>, tensor<*xf32>) -> tensor<*xf32>
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} padding(%{{.*}}) bias(%{{.*}}) {head_dim = 64 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32} : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?xi1>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
func.func @attention_unranked(%q: tensor<*xf32>, %k: tensor<*xf32>, %v: tensor<*xf32>, %mask: tensor<*xi1>, %bias: tensor<*xf32>, %dq: tensor<?x?x?x?xf32>, %dk: tensor<?x?x?x?xf32>, %dv: tensor<?x?x?x?xf32>, %dmask: tensor<?x?xi1>, %dbias: tensor<?x?x?x?xf32>) -> (tensor<*xf32>, tensor<?x?x?x?xf32>) {
  %0 = attn.attention %q, %k, %v padding(%mask) bias(%bias) {num_heads = 4, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi1>, tensor<*xf32>) -> tensor<*xf32>
  %1 = attn.attention %dq, %dk, %dv padding(%dmask) bias(%dbias) {num_heads = 4, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?xi1>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %0, %1 : tensor<*xf32>, tensor<?x?x?x?xf32>
}

// -----

// RoPE from theta, LLaMA half-split pairing, full head_dim, i64 positions.
// CHECK-LABEL: func.func @rope_half_split_theta
// CHECK: attn.rope %{{.*}}, %{{.*}} {rotary_dim = 128 : i64, style = #attn<rope_style half_split>, theta = 5.000000e+05 : f32} : (tensor<1x?x32x128xf32>, tensor<1x?xi64>) -> tensor<1x?x32x128xf32>
func.func @rope_half_split_theta(%x: tensor<1x?x32x128xf32>, %pos: tensor<1x?xi64>) -> tensor<1x?x32x128xf32> {
  %0 = attn.rope %x, %pos {style = #attn<rope_style half_split>, rotary_dim = 128, theta = 500000.0 : f32} : (tensor<1x?x32x128xf32>, tensor<1x?xi64>) -> tensor<1x?x32x128xf32>
  return %0 : tensor<1x?x32x128xf32>
}

// -----

// RoPE from cos/sin tables [max_positions, rotary_dim / 2] (scaled RoPE),
// GPT-J interleaved pairing, i32 positions.
// CHECK-LABEL: func.func @rope_interleaved_tables
// CHECK: attn.rope %{{.*}}, %{{.*}} tables(%{{.*}}, %{{.*}}) {rotary_dim = 64 : i64, style = #attn<rope_style interleaved>} : (tensor<2x16x16x64xf16>, tensor<2x16xi32>, tensor<2048x32xf16>, tensor<2048x32xf16>) -> tensor<2x16x16x64xf16>
func.func @rope_interleaved_tables(%x: tensor<2x16x16x64xf16>, %pos: tensor<2x16xi32>, %cos: tensor<2048x32xf16>, %sin: tensor<2048x32xf16>) -> tensor<2x16x16x64xf16> {
  %0 = attn.rope %x, %pos tables(%cos, %sin) {style = #attn<rope_style interleaved>, rotary_dim = 64} : (tensor<2x16x16x64xf16>, tensor<2x16xi32>, tensor<2048x32xf16>, tensor<2048x32xf16>) -> tensor<2x16x16x64xf16>
  return %0 : tensor<2x16x16x64xf16>
}

// -----

// Partial rotary (GPT-NeoX, Phi: rotary_dim < head_dim), with theta and with
// tables of rotary_dim / 2 columns; positions broadcast over batch ([1, seq]).
// CHECK-LABEL: func.func @rope_partial
// CHECK: attn.rope %{{.*}}, %{{.*}} {rotary_dim = 32 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x?x32x80xf32>, tensor<1x?xi64>) -> tensor<?x?x32x80xf32>
// CHECK: attn.rope %{{.*}}, %{{.*}} tables(%{{.*}}, %{{.*}}) {rotary_dim = 32 : i64, style = #attn<rope_style half_split>} : (tensor<?x?x32x80xf32>, tensor<1x?xi64>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x32x80xf32>
func.func @rope_partial(%x: tensor<?x?x32x80xf32>, %pos: tensor<1x?xi64>, %cos: tensor<?x16xf32>, %sin: tensor<?x16xf32>) -> (tensor<?x?x32x80xf32>, tensor<?x?x32x80xf32>) {
  %0 = attn.rope %x, %pos {style = #attn<rope_style half_split>, rotary_dim = 32, theta = 10000.0 : f32} : (tensor<?x?x32x80xf32>, tensor<1x?xi64>) -> tensor<?x?x32x80xf32>
  %1 = attn.rope %x, %pos tables(%cos, %sin) {style = #attn<rope_style half_split>, rotary_dim = 32} : (tensor<?x?x32x80xf32>, tensor<1x?xi64>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x32x80xf32>
  return %0, %1 : tensor<?x?x32x80xf32>, tensor<?x?x32x80xf32>
}

// -----

// Step-level RoPE (after KV-cache insertion): x [tokens, heads, head_dim]
// with one position per token, from theta and from tables.
// CHECK-LABEL: func.func @rope_tokens
// CHECK: attn.rope %{{.*}}, %{{.*}} {rotary_dim = 64 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x8x64xf32>, tensor<?xi64>) -> tensor<?x8x64xf32>
// CHECK: attn.rope %{{.*}}, %{{.*}} tables(%{{.*}}, %{{.*}}) {rotary_dim = 32 : i64, style = #attn<rope_style interleaved>} : (tensor<5x8x64xf32>, tensor<5xi32>, tensor<2048x16xf32>, tensor<2048x16xf32>) -> tensor<5x8x64xf32>
func.func @rope_tokens(%x: tensor<?x8x64xf32>, %pos: tensor<?xi64>, %xs: tensor<5x8x64xf32>, %pos32: tensor<5xi32>, %cos: tensor<2048x16xf32>, %sin: tensor<2048x16xf32>) -> (tensor<?x8x64xf32>, tensor<5x8x64xf32>) {
  %0 = attn.rope %x, %pos {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<?x8x64xf32>, tensor<?xi64>) -> tensor<?x8x64xf32>
  %1 = attn.rope %xs, %pos32 tables(%cos, %sin) {style = #attn<rope_style interleaved>, rotary_dim = 32} : (tensor<5x8x64xf32>, tensor<5xi32>, tensor<2048x16xf32>, tensor<2048x16xf32>) -> tensor<5x8x64xf32>
  return %0, %1 : tensor<?x8x64xf32>, tensor<5x8x64xf32>
}

// -----

// RoPE on unranked x, positions and tables: only the attributes are checked.
// CHECK-LABEL: func.func @rope_unranked
// CHECK: attn.rope %{{.*}}, %{{.*}} {rotary_dim = 64 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
// CHECK: attn.rope %{{.*}}, %{{.*}} tables(%{{.*}}, %{{.*}}) {rotary_dim = 64 : i64, style = #attn<rope_style interleaved>} : (tensor<*xf32>, tensor<*xi64>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
func.func @rope_unranked(%x: tensor<*xf32>, %pos: tensor<*xi64>, %cos: tensor<*xf32>, %sin: tensor<*xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %0 = attn.rope %x, %pos {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %1 = attn.rope %x, %pos tables(%cos, %sin) {style = #attn<rope_style interleaved>, rotary_dim = 64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %0, %1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// RMSNorm on hidden states (weight_offset 0 is the default, elided), Gemma's
// `1 + weight` form, a per-head q/k norm on [b, s, h, d] (Qwen3), and an
// unranked input.
// CHECK-LABEL: func.func @rms_norm
// CHECK: attn.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x4096xf32>, tensor<4096xf32>) -> tensor<?x?x4096xf32>
// CHECK: attn.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32, weight_offset = 1.000000e+00 : f32} : (tensor<?x?x4096xf32>, tensor<4096xf32>) -> tensor<?x?x4096xf32>
// CHECK: attn.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<?x?x32x128xf32>, tensor<128xf32>) -> tensor<?x?x32x128xf32>
// CHECK: attn.rms_norm %{{.*}}, %{{.*}} {epsilon = 0.000000e+00 : f32} : (tensor<*xf32>, tensor<?xf32>) -> tensor<*xf32>
func.func @rms_norm(%x: tensor<?x?x4096xf32>, %w: tensor<4096xf32>, %q: tensor<?x?x32x128xf32>, %qw: tensor<128xf32>, %u: tensor<*xf32>, %uw: tensor<?xf32>) -> (tensor<?x?x4096xf32>, tensor<?x?x4096xf32>, tensor<?x?x32x128xf32>, tensor<*xf32>) {
  %0 = attn.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : (tensor<?x?x4096xf32>, tensor<4096xf32>) -> tensor<?x?x4096xf32>
  %1 = attn.rms_norm %x, %w {epsilon = 1.0e-6 : f32, weight_offset = 1.0 : f32} : (tensor<?x?x4096xf32>, tensor<4096xf32>) -> tensor<?x?x4096xf32>
  %2 = attn.rms_norm %q, %qw {epsilon = 1.0e-6 : f32} : (tensor<?x?x32x128xf32>, tensor<128xf32>) -> tensor<?x?x32x128xf32>
  %3 = attn.rms_norm %u, %uw {epsilon = 0.0 : f32} : (tensor<*xf32>, tensor<?xf32>) -> tensor<*xf32>
  return %0, %1, %2, %3 : tensor<?x?x4096xf32>, tensor<?x?x4096xf32>, tensor<?x?x32x128xf32>, tensor<*xf32>
}

// -----

// LayerNorm with bias (GPT-2) and without (StarCoder2-style bias-free), and
// with unranked operands.
// CHECK-LABEL: func.func @layer_norm
// CHECK: attn.layer_norm %{{.*}}, %{{.*}} bias(%{{.*}}) {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>, tensor<768xf16>) -> tensor<?x?x768xf16>
// CHECK: attn.layer_norm %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>) -> tensor<?x?x768xf16>
// CHECK: attn.layer_norm %{{.*}}, %{{.*}} bias(%{{.*}}) {epsilon = 9.99999974E-6 : f32} : (tensor<*xf16>, tensor<*xf16>, tensor<*xf16>) -> tensor<*xf16>
func.func @layer_norm(%x: tensor<?x?x768xf16>, %w: tensor<768xf16>, %b: tensor<768xf16>, %u: tensor<*xf16>, %uw: tensor<*xf16>) -> (tensor<?x?x768xf16>, tensor<?x?x768xf16>, tensor<*xf16>) {
  %0 = attn.layer_norm %x, %w bias(%b) {epsilon = 1.0e-5 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>, tensor<768xf16>) -> tensor<?x?x768xf16>
  %1 = attn.layer_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<?x?x768xf16>, tensor<768xf16>) -> tensor<?x?x768xf16>
  %2 = attn.layer_norm %u, %uw bias(%uw) {epsilon = 1.0e-5 : f32} : (tensor<*xf16>, tensor<*xf16>, tensor<*xf16>) -> tensor<*xf16>
  return %0, %1, %2 : tensor<?x?x768xf16>, tensor<?x?x768xf16>, tensor<*xf16>
}

// -----

// Linear with an [out, in] weight (nn.Linear) and with an [in, out] weight
// (ONNX MatMul), each with and without bias; a fused QKV projection.
// CHECK-LABEL: func.func @linear
// CHECK: attn.linear %{{.*}}, %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1536x512xf32>) -> tensor<?x?x1536xf32>
// CHECK: attn.linear %{{.*}}, %{{.*}} bias(%{{.*}}) {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1536x512xf32>, tensor<1536xf32>) -> tensor<?x?x1536xf32>
// CHECK: attn.linear %{{.*}}, %{{.*}} {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x512xf32>, tensor<512x2048xf32>) -> tensor<?x?x2048xf32>
// CHECK: attn.linear %{{.*}}, %{{.*}} bias(%{{.*}}) {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x512xf32>, tensor<512x2048xf32>, tensor<2048xf32>) -> tensor<?x?x2048xf32>
func.func @linear(%x: tensor<?x?x512xf32>, %wqkv: tensor<1536x512xf32>, %bqkv: tensor<1536xf32>, %wup: tensor<512x2048xf32>, %bup: tensor<2048xf32>) -> (tensor<?x?x1536xf32>, tensor<?x?x1536xf32>, tensor<?x?x2048xf32>, tensor<?x?x2048xf32>) {
  %0 = attn.linear %x, %wqkv {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1536x512xf32>) -> tensor<?x?x1536xf32>
  %1 = attn.linear %x, %wqkv bias(%bqkv) {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1536x512xf32>, tensor<1536xf32>) -> tensor<?x?x1536xf32>
  %2 = attn.linear %x, %wup {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x512xf32>, tensor<512x2048xf32>) -> tensor<?x?x2048xf32>
  %3 = attn.linear %x, %wup bias(%bup) {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x512xf32>, tensor<512x2048xf32>, tensor<2048xf32>) -> tensor<?x?x2048xf32>
  return %0, %1, %2, %3 : tensor<?x?x1536xf32>, tensor<?x?x1536xf32>, tensor<?x?x2048xf32>, tensor<?x?x2048xf32>
}

// -----

// Linear on 2-D tokens, on an unranked input and result (only the weight
// must be static), and with a dynamic-size bias.
// CHECK-LABEL: func.func @linear_shapes
// CHECK: attn.linear %{{.*}}, %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<7x64xbf16>, tensor<32x64xbf16>) -> tensor<7x32xbf16>
// CHECK: attn.linear %{{.*}}, %{{.*}} bias(%{{.*}}) {weight_layout = #attn<weight_layout in_out>} : (tensor<*xbf16>, tensor<64x32xbf16>, tensor<?xbf16>) -> tensor<*xbf16>
func.func @linear_shapes(%x: tensor<7x64xbf16>, %w: tensor<32x64xbf16>, %u: tensor<*xbf16>, %wt: tensor<64x32xbf16>, %b: tensor<?xbf16>) -> (tensor<7x32xbf16>, tensor<*xbf16>) {
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<7x64xbf16>, tensor<32x64xbf16>) -> tensor<7x32xbf16>
  %1 = attn.linear %u, %wt bias(%b) {weight_layout = #attn<weight_layout in_out>} : (tensor<*xbf16>, tensor<64x32xbf16>, tensor<?xbf16>) -> tensor<*xbf16>
  return %0, %1 : tensor<7x32xbf16>, tensor<*xbf16>
}

// -----

// Every activation kind, on static, dynamic and unranked tensors.
// CHECK-LABEL: func.func @activation
// CHECK: attn.activation silu %{{.*}} : (tensor<2x16x1024xf32>) -> tensor<2x16x1024xf32>
// CHECK: attn.activation gelu %{{.*}} : (tensor<?x?x1024xf32>) -> tensor<?x?x1024xf32>
// CHECK: attn.activation gelu_tanh %{{.*}} : (tensor<*xf16>) -> tensor<*xf16>
// CHECK: attn.activation relu %{{.*}} : (tensor<2x16x1024xf32>) -> tensor<2x16x1024xf32>
func.func @activation(%x: tensor<2x16x1024xf32>, %d: tensor<?x?x1024xf32>, %u: tensor<*xf16>) -> (tensor<2x16x1024xf32>, tensor<?x?x1024xf32>, tensor<*xf16>, tensor<2x16x1024xf32>) {
  %0 = attn.activation silu %x : (tensor<2x16x1024xf32>) -> tensor<2x16x1024xf32>
  %1 = attn.activation gelu %d : (tensor<?x?x1024xf32>) -> tensor<?x?x1024xf32>
  %2 = attn.activation gelu_tanh %u : (tensor<*xf16>) -> tensor<*xf16>
  %3 = attn.activation relu %x : (tensor<2x16x1024xf32>) -> tensor<2x16x1024xf32>
  return %0, %1, %2, %3 : tensor<2x16x1024xf32>, tensor<?x?x1024xf32>, tensor<*xf16>, tensor<2x16x1024xf32>
}

// -----

// SwiGLU (LLaMA), GeGLU with tanh GELU (Gemma) and exact GELU, ReGLU;
// dynamic and unranked shapes.
// CHECK-LABEL: func.func @gated_activation
// CHECK: attn.gated_activation silu %{{.*}}, %{{.*}} : (tensor<?x?x11008xbf16>, tensor<?x?x11008xbf16>) -> tensor<?x?x11008xbf16>
// CHECK: attn.gated_activation gelu_tanh %{{.*}}, %{{.*}} : (tensor<?x?x11008xbf16>, tensor<?x?x11008xbf16>) -> tensor<?x?x11008xbf16>
// CHECK: attn.gated_activation gelu %{{.*}}, %{{.*}} : (tensor<*xbf16>, tensor<*xbf16>) -> tensor<*xbf16>
// CHECK: attn.gated_activation relu %{{.*}}, %{{.*}} : (tensor<*xbf16>, tensor<*xbf16>) -> tensor<*xbf16>
func.func @gated_activation(%g: tensor<?x?x11008xbf16>, %u: tensor<?x?x11008xbf16>, %ug: tensor<*xbf16>, %uu: tensor<*xbf16>) -> (tensor<?x?x11008xbf16>, tensor<?x?x11008xbf16>, tensor<*xbf16>, tensor<*xbf16>) {
  %0 = attn.gated_activation silu %g, %u : (tensor<?x?x11008xbf16>, tensor<?x?x11008xbf16>) -> tensor<?x?x11008xbf16>
  %1 = attn.gated_activation gelu_tanh %g, %u : (tensor<?x?x11008xbf16>, tensor<?x?x11008xbf16>) -> tensor<?x?x11008xbf16>
  %2 = attn.gated_activation gelu %ug, %uu : (tensor<*xbf16>, tensor<*xbf16>) -> tensor<*xbf16>
  %3 = attn.gated_activation relu %ug, %uu : (tensor<*xbf16>, tensor<*xbf16>) -> tensor<*xbf16>
  return %0, %1, %2, %3 : tensor<?x?x11008xbf16>, tensor<?x?x11008xbf16>, tensor<*xbf16>, tensor<*xbf16>
}

// -----

// Token embedding with i64 and i32 ids, static and dynamic, and unranked ids.
// CHECK-LABEL: func.func @embedding
// CHECK: attn.embedding %{{.*}}, %{{.*}} : (tensor<32000x4096xf16>, tensor<?x?xi64>) -> tensor<?x?x4096xf16>
// CHECK: attn.embedding %{{.*}}, %{{.*}} : (tensor<32000x4096xf16>, tensor<2x16xi32>) -> tensor<2x16x4096xf16>
// CHECK: attn.embedding %{{.*}}, %{{.*}} : (tensor<32000x4096xf16>, tensor<*xi64>) -> tensor<*xf16>
func.func @embedding(%table: tensor<32000x4096xf16>, %ids: tensor<?x?xi64>, %ids32: tensor<2x16xi32>, %uids: tensor<*xi64>) -> (tensor<?x?x4096xf16>, tensor<2x16x4096xf16>, tensor<*xf16>) {
  %0 = attn.embedding %table, %ids : (tensor<32000x4096xf16>, tensor<?x?xi64>) -> tensor<?x?x4096xf16>
  %1 = attn.embedding %table, %ids32 : (tensor<32000x4096xf16>, tensor<2x16xi32>) -> tensor<2x16x4096xf16>
  %2 = attn.embedding %table, %uids : (tensor<32000x4096xf16>, tensor<*xi64>) -> tensor<*xf16>
  return %0, %1, %2 : tensor<?x?x4096xf16>, tensor<2x16x4096xf16>, tensor<*xf16>
}

// -----

// Gemma's scaled embedding (rows times sqrt(hidden)); scale is printed only
// when present.
// CHECK-LABEL: func.func @embedding_scale
// CHECK: attn.embedding %{{.*}}, %{{.*}} {scale = 4.800000e+01 : f32} : (tensor<256000x2304xbf16>, tensor<?x?xi64>) -> tensor<?x?x2304xbf16>
// CHECK: attn.embedding %{{.*}}, %{{.*}} {scale = 5.000000e-01 : f32} : (tensor<256000x2304xbf16>, tensor<*xi32>) -> tensor<*xbf16>
func.func @embedding_scale(%table: tensor<256000x2304xbf16>, %ids: tensor<?x?xi64>, %uids: tensor<*xi32>) -> (tensor<?x?x2304xbf16>, tensor<*xbf16>) {
  %0 = attn.embedding %table, %ids {scale = 48.0 : f32} : (tensor<256000x2304xbf16>, tensor<?x?xi64>) -> tensor<?x?x2304xbf16>
  %1 = attn.embedding %table, %uids {scale = 0.5 : f32} : (tensor<256000x2304xbf16>, tensor<*xi32>) -> tensor<*xbf16>
  return %0, %1 : tensor<?x?x2304xbf16>, tensor<*xbf16>
}

// -----

// Positions of a [batch, seq] token grid, as one row broadcast over batch
// ([1, seq]) or per row ([batch, seq]); i32 tokens, i64 positions; a static grid.
// CHECK-LABEL: func.func @positions
// CHECK: attn.positions %{{.*}} : (tensor<?x?xi64>) -> tensor<1x?xi64>
// CHECK: attn.positions %{{.*}} : (tensor<?x?xi64>) -> tensor<?x?xi64>
// CHECK: attn.positions %{{.*}} : (tensor<?x?xi32>) -> tensor<1x?xi64>
// CHECK: attn.positions %{{.*}} : (tensor<4x16xi64>) -> tensor<4x16xi32>
func.func @positions(%ids: tensor<?x?xi64>, %ids32: tensor<?x?xi32>, %grid: tensor<4x16xi64>) -> (tensor<1x?xi64>, tensor<?x?xi64>, tensor<1x?xi64>, tensor<4x16xi32>) {
  %0 = attn.positions %ids : (tensor<?x?xi64>) -> tensor<1x?xi64>
  %1 = attn.positions %ids : (tensor<?x?xi64>) -> tensor<?x?xi64>
  %2 = attn.positions %ids32 : (tensor<?x?xi32>) -> tensor<1x?xi64>
  %3 = attn.positions %grid : (tensor<4x16xi64>) -> tensor<4x16xi32>
  return %0, %1, %2, %3 : tensor<1x?xi64>, tensor<?x?xi64>, tensor<1x?xi64>, tensor<4x16xi32>
}

// -----

// Positions after a cached prefix: offset (the past length) .. offset + seq - 1.
// CHECK-LABEL: func.func @positions_offset
// CHECK: attn.positions %{{.*}} offset(%{{.*}}) : (tensor<?x?xi64>, tensor<i64>) -> tensor<1x?xi64>
// CHECK: attn.positions %{{.*}} offset(%{{.*}}) : (tensor<?x?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
func.func @positions_offset(%ids: tensor<?x?xi64>, %past: tensor<i64>, %past1: tensor<1xi64>) -> (tensor<1x?xi64>, tensor<1x?xi64>) {
  %0 = attn.positions %ids offset(%past) : (tensor<?x?xi64>, tensor<i64>) -> tensor<1x?xi64>
  %1 = attn.positions %ids offset(%past1) : (tensor<?x?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  return %0, %1 : tensor<1x?xi64>, tensor<1x?xi64>
}

// -----

// Gemma-2's final logit softcap on dynamic, static and unranked logits.
// CHECK-LABEL: func.func @logit_softcap
// CHECK: attn.logit_softcap %{{.*}} {cap = 3.000000e+01 : f32} : (tensor<?x?x256000xf32>) -> tensor<?x?x256000xf32>
// CHECK: attn.logit_softcap %{{.*}} {cap = 5.000000e-01 : f32} : (tensor<2x4x16xbf16>) -> tensor<2x4x16xbf16>
// CHECK: attn.logit_softcap %{{.*}} {cap = 3.000000e+01 : f32} : (tensor<*xf16>) -> tensor<*xf16>
func.func @logit_softcap(%x: tensor<?x?x256000xf32>, %s: tensor<2x4x16xbf16>, %u: tensor<*xf16>) -> (tensor<?x?x256000xf32>, tensor<2x4x16xbf16>, tensor<*xf16>) {
  %0 = attn.logit_softcap %x {cap = 30.0 : f32} : (tensor<?x?x256000xf32>) -> tensor<?x?x256000xf32>
  %1 = attn.logit_softcap %s {cap = 0.5 : f32} : (tensor<2x4x16xbf16>) -> tensor<2x4x16xbf16>
  %2 = attn.logit_softcap %u {cap = 30.0 : f32} : (tensor<*xf16>) -> tensor<*xf16>
  return %0, %1, %2 : tensor<?x?x256000xf32>, tensor<2x4x16xbf16>, tensor<*xf16>
}

// -----

// Fused-projection weights: Q/K/V [out, in] stacked on axis 0, gate/up
// [in, out] side by side on axis 1, a single input, and a concat of a concat.
// CHECK-LABEL: func.func @weight_concat
// CHECK: attn.weight_concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<64x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>) -> tensor<128x64xf32>
// CHECK: attn.weight_concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<64x128xbf16>, tensor<64x128xbf16>) -> tensor<64x256xbf16>
// CHECK: attn.weight_concat %{{.*}} {axis = 0 : i64} : (tensor<64xf32>) -> tensor<64xf32>
// CHECK: %[[AB:.*]] = attn.weight_concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<64xf32>, tensor<32xf32>) -> tensor<96xf32>
// CHECK: attn.weight_concat %[[AB]], %{{.*}} {axis = 0 : i64} : (tensor<96xf32>, tensor<32xf32>) -> tensor<128xf32>
func.func @weight_concat(%wq: tensor<64x64xf32>, %wk: tensor<32x64xf32>, %wv: tensor<32x64xf32>, %wg: tensor<64x128xbf16>, %wu: tensor<64x128xbf16>, %bq: tensor<64xf32>, %bk: tensor<32xf32>, %bv: tensor<32xf32>) -> (tensor<128x64xf32>, tensor<64x256xbf16>, tensor<64xf32>, tensor<128xf32>) {
  %0 = attn.weight_concat %wq, %wk, %wv {axis = 0 : i64} : (tensor<64x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>) -> tensor<128x64xf32>
  %1 = attn.weight_concat %wg, %wu {axis = 1 : i64} : (tensor<64x128xbf16>, tensor<64x128xbf16>) -> tensor<64x256xbf16>
  %2 = attn.weight_concat %bq {axis = 0 : i64} : (tensor<64xf32>) -> tensor<64xf32>
  %qk = attn.weight_concat %bq, %bk {axis = 0 : i64} : (tensor<64xf32>, tensor<32xf32>) -> tensor<96xf32>
  %3 = attn.weight_concat %qk, %bv {axis = 0 : i64} : (tensor<96xf32>, tensor<32xf32>) -> tensor<128xf32>
  return %0, %1, %2, %3 : tensor<128x64xf32>, tensor<64x256xbf16>, tensor<64xf32>, tensor<128xf32>
}

// -----

// Pre-quantized (MatMulNBits) weights into the quantized_linear layout.
// CHECK-LABEL: func.func @nbits_weight_transforms
// CHECK: attn.weight_reshape %{{.*}} : (tensor<32x2x16xui8>) -> tensor<32x32xui8>
// CHECK: attn.weight_reshape %{{.*}} : (tensor<64xf32>) -> tensor<32x2xf32>
// CHECK: attn.weight_unpack_nibbles %{{.*}} : (tensor<32xui8>) -> tensor<32x2xui8>
func.func @nbits_weight_transforms(%b: tensor<32x2x16xui8>, %s: tensor<64xf32>, %z: tensor<32xui8>) -> (tensor<32x32xui8>, tensor<32x2xf32>, tensor<32x2xui8>) {
  %0 = attn.weight_reshape %b : (tensor<32x2x16xui8>) -> tensor<32x32xui8>
  %1 = attn.weight_reshape %s : (tensor<64xf32>) -> tensor<32x2xf32>
  %2 = attn.weight_unpack_nibbles %z : (tensor<32xui8>) -> tensor<32x2xui8>
  return %0, %1, %2 : tensor<32x32xui8>, tensor<32x2xf32>, tensor<32x2xui8>
}

// -----

// DequantizeLinear weights (int4 / uint4 codes [K, N], f16 scales) into the
// quantized_linear layout.
// CHECK-LABEL: func.func @dq_weight_transforms
// CHECK: attn.weight_transpose %{{.*}} : (tensor<64x32xi4>) -> tensor<32x64xi4>
// CHECK: attn.weight_widen_nibbles %{{.*}} : (tensor<32x64xi4>) -> tensor<32x64xui8>
// CHECK: attn.weight_pack_nibbles %{{.*}} : (tensor<32x64xui8>) -> tensor<32x32xui8>
// CHECK: attn.weight_cast %{{.*}} : (tensor<2x32xf16>) -> tensor<2x32xf32>
func.func @dq_weight_transforms(%q: tensor<64x32xi4>, %s: tensor<2x32xf16>) -> (tensor<32x32xui8>, tensor<2x32xf32>) {
  %0 = attn.weight_transpose %q : (tensor<64x32xi4>) -> tensor<32x64xi4>
  %1 = attn.weight_widen_nibbles %0 : (tensor<32x64xi4>) -> tensor<32x64xui8>
  %2 = attn.weight_pack_nibbles %1 : (tensor<32x64xui8>) -> tensor<32x32xui8>
  %3 = attn.weight_cast %s : (tensor<2x32xf16>) -> tensor<2x32xf32>
  return %2, %3 : tensor<32x32xui8>, tensor<2x32xf32>
}

// Per-tensor and per-column DequantizeLinear scales and zero points repeated
// into the kernels' [N] and [N, groups].
// CHECK-LABEL: func.func @broadcast_weight_transforms
// CHECK: attn.weight_broadcast %{{.*}} : (tensor<f32>) -> tensor<32xf32>
// CHECK: attn.weight_broadcast %{{.*}} : (tensor<32xui8>) -> tensor<32x4xui8>
// CHECK: attn.weight_to_unsigned %{{.*}} : (tensor<32x64xi8>) -> tensor<32x64xui8>
func.func @broadcast_weight_transforms(%s: tensor<f32>, %z: tensor<32xui8>, %q: tensor<32x64xi8>) -> (tensor<32xf32>, tensor<32x4xui8>, tensor<32x64xui8>) {
  %0 = attn.weight_broadcast %s : (tensor<f32>) -> tensor<32xf32>
  %1 = attn.weight_broadcast %z : (tensor<32xui8>) -> tensor<32x4xui8>
  %2 = attn.weight_to_unsigned %q : (tensor<32x64xi8>) -> tensor<32x64xui8>
  return %0, %1, %2 : tensor<32xf32>, tensor<32x4xui8>, tensor<32x64xui8>
}

// -----

// Step-level attention over the paged KV cache: GQA 8/2 with the defaults
// (full attention, no softcap) elided, a windowed Gemma-2-style layer with a
// softcap in cache group 1, MQA with a value head_dim of its own, and static
// token counts.
// CHECK-LABEL: func.func @paged_attention
// CHECK: attn.paged_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 64 : i64, layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
// CHECK: attn.paged_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 1 : i64, head_dim = 64 : i64, layer = 1 : i64, num_heads = 8 : i64, num_kv_heads = 2 : i64, scale = 6.250000e-02 : f32, softcap = 5.000000e+01 : f32, window = 4096 : i64} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
// CHECK: attn.paged_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 64 : i64, layer = 2 : i64, num_heads = 16 : i64, num_kv_heads = 1 : i64, scale = 1.250000e-01 : f32} : (tensor<3x16x64xbf16>, tensor<3x1x64xbf16>, tensor<3x1x32xbf16>) -> tensor<3x16x32xbf16>
func.func @paged_attention(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>, %q1: tensor<3x16x64xbf16>, %k1: tensor<3x1x64xbf16>, %v1: tensor<3x1x32xbf16>) -> (tensor<?x8x64xf32>, tensor<?x8x64xf32>, tensor<3x16x32xbf16>) {
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, window = 0, softcap = 0.0 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  %1 = attn.paged_attention %q, %k, %v {layer = 1, cache_group = 1, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.0625 : f32, window = 4096, softcap = 50.0 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  %2 = attn.paged_attention %q1, %k1, %v1 {layer = 2, cache_group = 0, num_heads = 16, num_kv_heads = 1, head_dim = 64, scale = 0.125 : f32} : (tensor<3x16x64xbf16>, tensor<3x1x64xbf16>, tensor<3x1x32xbf16>) -> tensor<3x16x32xbf16>
  return %0, %1, %2 : tensor<?x8x64xf32>, tensor<?x8x64xf32>, tensor<3x16x32xbf16>
}

// -----

// The tiled form attn-flash-tiling writes: a flash_attention whose body is the
// online-softmax loop over KV tiles (state init, tile load, scores, softcap,
// update), MQA with a value head dim of its own.
// CHECK-LABEL: func.func @flash_attention
// CHECK: attn.flash_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 1 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x4x16xf32>, tensor<?x1x16xf32>, tensor<?x1x32xf32>) -> tensor<?x4x32xf32> {
// CHECK: attn.softmax_state_init %{{.*}} : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>
// CHECK: attn.load_kv_tile %{{.*}} : tensor<64x16xf32>, tensor<64x32xf32>
// CHECK: attn.tile_scores %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32} : (tensor<?x16xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
// CHECK: attn.logit_softcap %{{.*}} {cap = 3.000000e+01 : f32} : (tensor<?x64xf32>) -> tensor<?x64xf32>
// CHECK: attn.online_softmax %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<64x32xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>)
// CHECK: attn.flash_yield %{{.*}}, %{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>
func.func @flash_attention(%q: tensor<?x4x16xf32>, %k: tensor<?x1x16xf32>, %v: tensor<?x1x32xf32>) -> tensor<?x4x32xf32> {
  %0 = attn.flash_attention %q, %k, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 1 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x4x16xf32>, tensor<?x1x16xf32>, tensor<?x1x32xf32>) -> tensor<?x4x32xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %begin: index, %end: index):
    %m0, %l0, %acc0 = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>
    %tile = arith.constant 64 : index
    %state:3 = scf.for %start = %begin to %end step %tile iter_args(%m = %m0, %l = %l0, %acc = %acc0) -> (tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>) {
      %keys, %values = attn.load_kv_tile %start : tensor<64x16xf32>, tensor<64x32xf32>
      %s = attn.tile_scores %qs, %keys {scale = 2.500000e-01 : f32} : (tensor<?x16xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
      %c = attn.logit_softcap %s {cap = 3.000000e+01 : f32} : (tensor<?x64xf32>) -> tensor<?x64xf32>
      %m1, %l1, %acc1 = attn.online_softmax %c, %values, %m, %l, %acc : (tensor<?x64xf32>, tensor<64x32xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>)
      scf.yield %m1, %l1, %acc1 : tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>
    }
    attn.flash_yield %state#0, %state#1, %state#2 : tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>
  }
  return %0 : tensor<?x4x32xf32>
}

// -----

// attn-fuse-rope-kv-append's form: the key (and with rope_query the query)
// enter un-rotated and the op carries the rotation.
// CHECK-LABEL: func.func @flash_attention_key_rope
// CHECK: attn.flash_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_query, rope_style = #attn<rope_style half_split>, rope_theta = 1.000000e+04 : f32, rotary_dim = 8 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64}
// CHECK: attn.flash_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_style = #attn<rope_style interleaved>, rope_theta = 5.000000e+05 : f32, rotary_dim = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64}
func.func @flash_attention_key_rope(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>) -> (tensor<?x4x16xf32>, tensor<?x4x16xf32>) {
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_query, rope_style = #attn<rope_style half_split>, rope_theta = 1.000000e+04 : f32, rotary_dim = 8 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  %1 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_style = #attn<rope_style interleaved>, rope_theta = 5.000000e+05 : f32, rotary_dim = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0, %1 : tensor<?x4x16xf32>, tensor<?x4x16xf32>
}

// -----

// A residual add fused with the RMSNorm of its sum: both results, Gemma's
// weight offset kept, the default offset elided.
// CHECK-LABEL: func.func @residual_add_rms_norm
// CHECK: attn.residual_add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32, weight_offset = 1.000000e+00 : f32} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
// CHECK: attn.residual_add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<2x3x64xbf16>, tensor<2x3x64xbf16>, tensor<64xbf16>) -> (tensor<2x3x64xbf16>, tensor<2x3x64xbf16>)
func.func @residual_add_rms_norm(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>, %w: tensor<64xf32>, %c: tensor<2x3x64xbf16>, %wc: tensor<64xbf16>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<2x3x64xbf16>) {
  %s, %n = attn.residual_add_rms_norm %a, %b, %w {epsilon = 1.0e-6 : f32, weight_offset = 1.0 : f32} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
  %s2, %n2 = attn.residual_add_rms_norm %c, %c, %wc {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32} : (tensor<2x3x64xbf16>, tensor<2x3x64xbf16>, tensor<64xbf16>) -> (tensor<2x3x64xbf16>, tensor<2x3x64xbf16>)
  return %s, %n, %n2 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<2x3x64xbf16>
}

// -----

// The rows whose logits are wanted, from [tokens, hidden] activations (i64 or
// i32 indices), static rows, and unranked x.
// CHECK-LABEL: func.func @select_tokens
// CHECK: attn.select_tokens %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<?xi64>) -> tensor<?x64xf32>
// CHECK: attn.select_tokens %{{.*}}, %{{.*}} : (tensor<7x64xbf16>, tensor<2xi32>) -> tensor<2x64xbf16>
// CHECK: attn.select_tokens %{{.*}}, %{{.*}} : (tensor<*xf32>, tensor<?xi64>) -> tensor<*xf32>
func.func @select_tokens(%x: tensor<?x64xf32>, %idx: tensor<?xi64>, %xs: tensor<7x64xbf16>, %idx32: tensor<2xi32>, %u: tensor<*xf32>) -> (tensor<?x64xf32>, tensor<2x64xbf16>, tensor<*xf32>) {
  %0 = attn.select_tokens %x, %idx : (tensor<?x64xf32>, tensor<?xi64>) -> tensor<?x64xf32>
  %1 = attn.select_tokens %xs, %idx32 : (tensor<7x64xbf16>, tensor<2xi32>) -> tensor<2x64xbf16>
  %2 = attn.select_tokens %u, %idx : (tensor<*xf32>, tensor<?xi64>) -> tensor<*xf32>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<2x64xbf16>, tensor<*xf32>
}

// -----

// The residual stream, static, dynamic and unranked.
// CHECK-LABEL: func.func @residual_add
// CHECK: attn.residual_add %{{.*}}, %{{.*}} : (tensor<2x16x512xf32>, tensor<2x16x512xf32>) -> tensor<2x16x512xf32>
// CHECK: attn.residual_add %{{.*}}, %{{.*}} : (tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
// CHECK: attn.residual_add %{{.*}}, %{{.*}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
func.func @residual_add(%a: tensor<2x16x512xf32>, %b: tensor<2x16x512xf32>, %c: tensor<?x?x512xf32>, %d: tensor<?x?x512xf32>, %u: tensor<*xf32>, %v: tensor<*xf32>) -> (tensor<2x16x512xf32>, tensor<?x?x512xf32>, tensor<*xf32>) {
  %0 = attn.residual_add %a, %b : (tensor<2x16x512xf32>, tensor<2x16x512xf32>) -> tensor<2x16x512xf32>
  %1 = attn.residual_add %c, %d : (tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  %2 = attn.residual_add %u, %v : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %0, %1, %2 : tensor<2x16x512xf32>, tensor<?x?x512xf32>, tensor<*xf32>
}

// -----

// A LLaMA-style decoder layer chained from the ops above: the types flow from
// one op to the next (GQA 4/2, head_dim 16, hidden 64); reshapes stay onnx
// ops, as after raising.
// CHECK-LABEL: func.func @decoder_layer
// CHECK: %[[N:.*]] = attn.rms_norm %[[H:[^,]*]], %{{.*}} {epsilon = 9.99999974E-6 : f32}
// CHECK: attn.linear %[[N]], %{{.*}} {weight_layout = #attn<weight_layout out_in>} : (tensor<1x?x64xf32>, tensor<128x64xf32>) -> tensor<1x?x128xf32>
// CHECK: %[[QR:.*]] = attn.rope %{{.*}}, %{{.*}} {rotary_dim = 16 : i64
// CHECK: %[[KR:.*]] = attn.rope
// CHECK: %[[A:.*]] = attn.attention %[[QR]], %[[KR]], %{{.*}} {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32}
// CHECK: %[[O:.*]] = attn.linear
// CHECK: attn.residual_add %[[H]], %[[O]]
func.func @decoder_layer(%h: tensor<1x?x64xf32>, %pos: tensor<1x?xi64>, %ln: tensor<64xf32>, %wqkv: tensor<128x64xf32>, %wo: tensor<64x64xf32>, %shape: tensor<3xi64>,
                         %q: tensor<1x?x4x16xf32>, %k: tensor<1x?x2x16xf32>, %v: tensor<1x?x2x16xf32>) -> (tensor<1x?x128xf32>, tensor<1x?x64xf32>) {
  %n = attn.rms_norm %h, %ln {epsilon = 1.0e-5 : f32} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  %qkv = attn.linear %n, %wqkv {weight_layout = #attn<weight_layout out_in>} : (tensor<1x?x64xf32>, tensor<128x64xf32>) -> tensor<1x?x128xf32>
  %qr = attn.rope %q, %pos {style = #attn<rope_style half_split>, rotary_dim = 16, theta = 10000.0 : f32} : (tensor<1x?x4x16xf32>, tensor<1x?xi64>) -> tensor<1x?x4x16xf32>
  %kr = attn.rope %k, %pos {style = #attn<rope_style half_split>, rotary_dim = 16, theta = 10000.0 : f32} : (tensor<1x?x2x16xf32>, tensor<1x?xi64>) -> tensor<1x?x2x16xf32>
  %a = attn.attention %qr, %kr, %v {num_heads = 4, num_kv_heads = 2, head_dim = 16, scale = 0.25 : f32} : (tensor<1x?x4x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>) -> tensor<1x?x4x16xf32>
  %flat = onnx.Reshape(%a, %shape) : (tensor<1x?x4x16xf32>, tensor<3xi64>) -> tensor<1x?x64xf32>
  %o = attn.linear %flat, %wo {weight_layout = #attn<weight_layout out_in>} : (tensor<1x?x64xf32>, tensor<64x64xf32>) -> tensor<1x?x64xf32>
  %r = attn.residual_add %h, %o : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
  return %qkv, %r : tensor<1x?x128xf32>, tensor<1x?x64xf32>
}

// -----

// Granite's scaled residual (residual + scale * update) and logit scale.
// CHECK-LABEL: func.func @granite_scales
// CHECK: attn.residual_add %{{.*}}, %{{.*}} {scale = 2.200000e-01 : f32} : (tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
// CHECK: attn.logit_scale %{{.*}} {scale = 1.250000e-01 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
// CHECK: attn.logit_scale %{{.*}} {scale = -2.000000e+00 : f32} : (tensor<*xf16>) -> tensor<*xf16>
func.func @granite_scales(%c: tensor<?x?x512xf32>, %d: tensor<?x?x512xf32>, %x: tensor<?x?x256xf32>, %u: tensor<*xf16>) -> (tensor<?x?x512xf32>, tensor<?x?x256xf32>, tensor<*xf16>) {
  %0 = attn.residual_add %c, %d {scale = 0.22 : f32} : (tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  %1 = attn.logit_scale %x {scale = 0.125 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %2 = attn.logit_scale %u {scale = -2.0 : f32} : (tensor<*xf16>) -> tensor<*xf16>
  return %0, %1, %2 : tensor<?x?x512xf32>, tensor<?x?x256xf32>, tensor<*xf16>
}

// -----

// Weight-only quantized linears: 8-bit per output channel, 4-bit groups of
// 32 with a bias, 4-bit asymmetric (zero points) on 3-D activations.
// CHECK-LABEL: func.func @quantized_linear
// CHECK: attn.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x64xf32>, tensor<96x64xi8>, tensor<96xf32>) -> tensor<?x96xf32>
// CHECK: attn.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<96x32xui8>, tensor<96x2xf32>, tensor<96xf32>) -> tensor<?x96xf32>
// CHECK: attn.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} zeros(%{{.*}}) {bits = 4 : i64, group_size = 32 : i64} : (tensor<2x?x64xf16>, tensor<96x32xui8>, tensor<96x2xf32>, tensor<96x2xui8>) -> tensor<2x?x96xf16>
func.func @quantized_linear(%x: tensor<?x64xf32>, %xh: tensor<2x?x64xf16>, %v8: tensor<96x64xi8>, %s8: tensor<96xf32>, %v4: tensor<96x32xui8>, %s4: tensor<96x2xf32>, %z4: tensor<96x2xui8>, %b: tensor<96xf32>) -> (tensor<?x96xf32>, tensor<?x96xf32>, tensor<2x?x96xf16>) {
  %0 = attn.quantized_linear %x, %v8, %s8 {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x64xf32>, tensor<96x64xi8>, tensor<96xf32>) -> tensor<?x96xf32>
  %1 = attn.quantized_linear %x, %v4, %s4 bias(%b) {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<96x32xui8>, tensor<96x2xf32>, tensor<96xf32>) -> tensor<?x96xf32>
  %2 = attn.quantized_linear %xh, %v4, %s4 zeros(%z4) {bits = 4 : i64, group_size = 32 : i64} : (tensor<2x?x64xf16>, tensor<96x32xui8>, tensor<96x2xf32>, tensor<96x2xui8>) -> tensor<2x?x96xf16>
  return %0, %1, %2 : tensor<?x96xf32>, tensor<?x96xf32>, tensor<2x?x96xf16>
}

// -----

// The quantization weight transform: 8-bit per channel of an [out, in]
// weight, 4-bit groups of an [in, out] one (results out_in), asymmetric.
// CHECK-LABEL: func.func @weight_quantize
// CHECK: attn.weight_quantize %{{.*}} {bits = 8 : i64, group_size = 0 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<96x64xf32>) -> (tensor<96x64xi8>, tensor<96xf32>)
// CHECK: attn.weight_quantize %{{.*}} {bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout in_out>} : (tensor<64x96xbf16>) -> (tensor<96x32xui8>, tensor<96x2xf32>)
// CHECK: attn.weight_quantize %{{.*}} {asymmetric, bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<96x64xf32>) -> (tensor<96x32xui8>, tensor<96x2xf32>, tensor<96x2xui8>)
func.func @weight_quantize(%w: tensor<96x64xf32>, %t: tensor<64x96xbf16>) -> (tensor<96x64xi8>, tensor<96xf32>, tensor<96x32xui8>, tensor<96x2xf32>, tensor<96x2xui8>) {
  %v8, %s8 = attn.weight_quantize %w {bits = 8 : i64, group_size = 0 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<96x64xf32>) -> (tensor<96x64xi8>, tensor<96xf32>)
  %v4, %s4 = attn.weight_quantize %t {bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout in_out>} : (tensor<64x96xbf16>) -> (tensor<96x32xui8>, tensor<96x2xf32>)
  %va, %sa, %za = attn.weight_quantize %w {asymmetric, bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<96x64xf32>) -> (tensor<96x32xui8>, tensor<96x2xf32>, tensor<96x2xui8>)
  return %v8, %s8, %va, %sa, %za : tensor<96x64xi8>, tensor<96xf32>, tensor<96x32xui8>, tensor<96x2xf32>, tensor<96x2xui8>
}

// -----

// A quantized KV cache (attn-quantize-kv-cache): int8 on a paged attention,
// fp8 (e4m3) on a tiled one with the fused key rotation, in f16.
// CHECK-LABEL: func.func @quantized_kv_cache
// CHECK: attn.paged_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 64 : i64, kv_cache_type = #attn<kv_cache_type int8>, layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
// CHECK: attn.flash_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, kv_cache_type = #attn<kv_cache_type fp8_e4m3>, layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 0 : i64, rope_query, rope_style = #attn<rope_style half_split>, rope_theta = 1.000000e+04 : f32, rotary_dim = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 0 : i64, tile_kv = 64 : i64} : (tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>) -> tensor<?x4x16xf16> {
func.func @quantized_kv_cache(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>, %hq: tensor<?x4x16xf16>, %hk: tensor<?x2x16xf16>) -> (tensor<?x8x64xf32>, tensor<?x4x16xf16>) {
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, kv_cache_type = #attn<kv_cache_type int8>} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  %1 = attn.flash_attention %hq, %hk, %hk {cache_group = 0 : i64, head_dim = 16 : i64, kv_cache_type = #attn<kv_cache_type fp8_e4m3>, layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 0 : i64, rope_query, rope_style = #attn<rope_style half_split>, rope_theta = 1.000000e+04 : f32, rotary_dim = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 0 : i64, tile_kv = 64 : i64} : (tensor<?x4x16xf16>, tensor<?x2x16xf16>, tensor<?x2x16xf16>) -> tensor<?x4x16xf16> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0, %1 : tensor<?x8x64xf32>, tensor<?x4x16xf16>
}
