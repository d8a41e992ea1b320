// RUN: attnc-opt %s -split-input-file -attn-quantize-kv-cache | FileCheck %s --check-prefixes=CHECK,INT8
// RUN: attnc-opt %s -split-input-file -attn-quantize-kv-cache=type=fp8 | FileCheck %s --check-prefixes=CHECK,FP8
// fp8_e4m3 is the same type by its full name; a second run changes nothing.
// RUN: attnc-opt %s -split-input-file -attn-quantize-kv-cache=type=fp8_e4m3 -attn-quantize-kv-cache=type=fp8 | FileCheck %s --check-prefixes=CHECK,FP8
// The compile pipeline's order: tiling and the fused RoPE append keep the type.
// RUN: attnc-opt %s -split-input-file -attn-quantize-kv-cache -attn-flash-tiling -attn-fuse-rope-kv-append | FileCheck %s --check-prefix=TILED

// A step function with two layers in two cache groups (a windowed one):
// every paged attention's cache is quantized, nothing else changes.
// CHECK-LABEL: func.func @step
// CHECK: attn.rope
// CHECK: attn.rope
// INT8: attn.paged_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, kv_cache_type = #attn<kv_cache_type int8>, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32}
// INT8: attn.paged_attention %{{.*}}, %{{.*}}, %{{.*}} {cache_group = 1 : i64, head_dim = 16 : i64, kv_cache_type = #attn<kv_cache_type int8>, layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32, window = 4 : i64}
// FP8: attn.paged_attention {{.*}}kv_cache_type = #attn<kv_cache_type fp8_e4m3>, layer = 0
// FP8: attn.paged_attention {{.*}}kv_cache_type = #attn<kv_cache_type fp8_e4m3>, layer = 1
// TILED-LABEL: func.func @step
// TILED-NOT: attn.rope
// TILED: attn.flash_attention %arg3, %arg4, %arg5 {{{.*}}kv_cache_type = #attn<kv_cache_type int8>, layer = 0 : i64, {{.*}}rope_query, rope_style = #attn<rope_style half_split>
// TILED: attn.load_kv_tile
// TILED: attn.flash_attention {{.*}}kv_cache_type = #attn<kv_cache_type int8>, layer = 1 : i64, {{.*}}window = 4 : i64
func.func @step(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> (tensor<?x4x16xf32>, tensor<?x4x16xf32>) {
  %qr = attn.rope %q, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x4x16xf32>, tensor<?xi64>) -> tensor<?x4x16xf32>
  %kr = attn.rope %k, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %0 = attn.paged_attention %qr, %kr, %v {layer = 0, cache_group = 0, num_heads = 4, num_kv_heads = 2, head_dim = 16, scale = 0.25 : f32} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32>
  %1 = attn.paged_attention %0, %k, %v {layer = 1, cache_group = 1, num_heads = 4, num_kv_heads = 2, head_dim = 16, scale = 0.25 : f32, window = 4} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32>
  return %0, %1 : tensor<?x4x16xf32>, tensor<?x4x16xf32>
}

// -----

// Already tiled: the flash_attention's cache is quantized in place, its
// body (which works on dequantized f32 tiles) untouched.
// CHECK-LABEL: func.func @tiled
// INT8: attn.flash_attention {{.*}}kv_cache_type = #attn<kv_cache_type int8>
// FP8: attn.flash_attention {{.*}}kv_cache_type = #attn<kv_cache_type fp8_e4m3>
// CHECK-NEXT: ^bb0
// CHECK-NEXT: attn.softmax_state_init
func.func @tiled(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  %0 = attn.flash_attention %q, %k, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x4x16xf32>
}

// -----

// Must not fire: a graph-level attention has no KV cache yet (the pass runs
// after attn-insert-kv-cache).
// CHECK-LABEL: func.func @graph_level
// CHECK-NOT: kv_cache_type
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 64 : i64, num_heads = 8 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32}
// CHECK-NOT: kv_cache_type
func.func @graph_level(%q: tensor<2x16x8x64xf32>, %k: tensor<2x16x2x64xf32>, %v: tensor<2x16x2x64xf32>) -> tensor<2x16x8x64xf32> {
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<2x16x8x64xf32>, tensor<2x16x2x64xf32>, tensor<2x16x2x64xf32>) -> tensor<2x16x8x64xf32>
  return %0 : tensor<2x16x8x64xf32>
}

// -----

// Must not fire: a function without attention (nothing to quantize).
// CHECK-LABEL: func.func @no_attention
// CHECK-NOT: kv_cache_type
// CHECK: attn.rms_norm
func.func @no_attention(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = attn.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}
