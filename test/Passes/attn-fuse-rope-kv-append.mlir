// RUN: attnc-opt %s -split-input-file -attn-fuse-rope-kv-append | FileCheck %s
// Idempotent: a second run finds nothing more to fuse.
// RUN: attnc-opt %s -split-input-file -attn-fuse-rope-kv-append -attn-fuse-rope-kv-append | FileCheck %s

// LLaMA-style layer: q and k rotated alike at the step's positions, each
// rotation read only by the attention. Both ropes move into the op: the key
// and the query enter un-rotated, the op carries the rotation.
// CHECK-LABEL: func.func @fused_query_and_key
// CHECK-NOT: attn.rope
// CHECK: attn.flash_attention %arg3, %arg4, %arg5 {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_query, rope_style = #attn<rope_style half_split>, rope_theta = 1.000000e+04 : f32, rotary_dim = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64}
// CHECK-NOT: attn.rope
func.func @fused_query_and_key(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  %qr = attn.rope %q, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x4x16xf32>, tensor<?xi64>) -> tensor<?x4x16xf32>
  %kr = attn.rope %k, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %0 = attn.flash_attention %qr, %kr, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x4x16xf32>
}

// -----

// Partial interleaved rotary (GPT-J style, 8 of 16 dims), MHA.
// CHECK-LABEL: func.func @fused_partial_interleaved
// CHECK-NOT: attn.rope
// CHECK: attn.flash_attention %arg3, %arg4, %arg5 {{{.*}}rope_query, rope_style = #attn<rope_style interleaved>, rope_theta = 5.000000e+05 : f32, rotary_dim = 8 : i64
func.func @fused_partial_interleaved(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %qr = attn.rope %q, %pos {rotary_dim = 8 : i64, style = #attn<rope_style interleaved>, theta = 5.000000e+05 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %kr = attn.rope %k, %pos {rotary_dim = 8 : i64, style = #attn<rope_style interleaved>, theta = 5.000000e+05 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %0 = attn.flash_attention %qr, %kr, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// The key is fused; the query stays a rope of its own: its rotated value is
// also returned (the rotation must still exist).
// CHECK-LABEL: func.func @query_used_elsewhere
// CHECK: %[[QR:.*]] = attn.rope %arg3, %arg1
// CHECK-NOT: attn.rope
// CHECK: attn.flash_attention %[[QR]], %arg4, %arg5
// CHECK-NOT: rope_query
// CHECK-SAME: rope_style = #attn<rope_style half_split>
func.func @query_used_elsewhere(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> (tensor<?x4x16xf32>, tensor<?x4x16xf32>) {
  %qr = attn.rope %q, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x4x16xf32>, tensor<?xi64>) -> tensor<?x4x16xf32>
  %kr = attn.rope %k, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %0 = attn.flash_attention %qr, %kr, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0, %qr : tensor<?x4x16xf32>, tensor<?x4x16xf32>
}

// -----

// The query is rotated differently (another theta): the key is fused alone.
// CHECK-LABEL: func.func @query_rotated_differently
// CHECK: %[[QR:.*]] = attn.rope %arg3, %arg1 {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+06 : f32}
// CHECK: attn.flash_attention %[[QR]], %arg4, %arg5
// CHECK-NOT: rope_query
// CHECK-SAME: rope_theta = 1.000000e+04 : f32
func.func @query_rotated_differently(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  %qr = attn.rope %q, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+06 : f32} : (tensor<?x4x16xf32>, tensor<?xi64>) -> tensor<?x4x16xf32>
  %kr = attn.rope %k, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %0 = attn.flash_attention %qr, %kr, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x4x16xf32>
}

// -----

// Must not fire: the rotated key is also read elsewhere (returned), so it has
// to exist; neither rope moves (the query only rides along with a fused key).
// CHECK-LABEL: func.func @key_used_elsewhere
// CHECK: %[[QR:.*]] = attn.rope %arg3
// CHECK: %[[KR:.*]] = attn.rope %arg4
// CHECK: attn.flash_attention %[[QR]], %[[KR]], %arg5
// CHECK-NOT: rope_
// CHECK: return
func.func @key_used_elsewhere(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> (tensor<?x4x16xf32>, tensor<?x2x16xf32>) {
  %qr = attn.rope %q, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x4x16xf32>, tensor<?xi64>) -> tensor<?x4x16xf32>
  %kr = attn.rope %k, %pos {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %0 = attn.flash_attention %qr, %kr, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0, %kr : tensor<?x4x16xf32>, tensor<?x2x16xf32>
}

// -----

// Must not fire: table-driven RoPE (scaled variants' cos/sin tables) has no
// fused kernel and stays a rope_from_table call.
// CHECK-LABEL: func.func @table_rope
// CHECK: attn.rope %arg3, %arg1 tables
// CHECK: attn.rope %arg4, %arg1 tables
// CHECK: attn.flash_attention
// CHECK-NOT: rope_
// CHECK: return
func.func @table_rope(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %cos: tensor<64x8xf32>, %sin: tensor<64x8xf32>) -> tensor<?x4x16xf32> {
  %qr = attn.rope %q, %pos tables(%cos, %sin) {rotary_dim = 16 : i64, style = #attn<rope_style half_split>} : (tensor<?x4x16xf32>, tensor<?xi64>, tensor<64x8xf32>, tensor<64x8xf32>) -> tensor<?x4x16xf32>
  %kr = attn.rope %k, %pos tables(%cos, %sin) {rotary_dim = 16 : i64, style = #attn<rope_style half_split>} : (tensor<?x2x16xf32>, tensor<?xi64>, tensor<64x8xf32>, tensor<64x8xf32>) -> tensor<?x2x16xf32>
  %0 = attn.flash_attention %qr, %kr, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x4x16xf32>
}

// -----

// Must not fire: a rotation at positions other than the step's (the cache
// append writes at the step's positions).
// CHECK-LABEL: func.func @other_positions
// CHECK: attn.rope %arg4, %arg6
// CHECK: attn.flash_attention
// CHECK-NOT: rope_
// CHECK: return
func.func @other_positions(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %shifted: tensor<?xi64>) -> tensor<?x4x16xf32> {
  %kr = attn.rope %k, %shifted {rotary_dim = 16 : i64, style = #attn<rope_style half_split>, theta = 1.000000e+04 : f32} : (tensor<?x2x16xf32>, tensor<?xi64>) -> tensor<?x2x16xf32>
  %0 = attn.flash_attention %q, %kr, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x4x16xf32>
}

// -----

// Must not fire: no rope at all (GPT-2's learned positions).
// CHECK-LABEL: func.func @no_rope
// CHECK: attn.flash_attention %arg3, %arg4, %arg5
// CHECK-NOT: rope_
// CHECK: return
func.func @no_rope(%ids: tensor<?xi64> {attn.step_input = "token_ids"}, %pos: tensor<?xi64> {attn.step_input = "positions"}, %logit_rows: tensor<?xi64> {attn.step_input = "logit_tokens"}, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  %0 = attn.flash_attention %q, %k, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x4x16xf32>
}
