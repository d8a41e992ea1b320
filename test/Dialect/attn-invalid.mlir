// Every verifier rule of the attn dialect (AttnOps.cpp) and the ODS
// constraints that matter, one rejected case each, with the expected message.
// RUN: attnc-opt %s -split-input-file -verify-diagnostics

// Query heads must split evenly over KV heads (the GQA group size is num_heads / num_kv_heads).
func.func @attention_heads_not_multiple_of_kv_heads(%q: tensor<1x4x6x64xf32>, %k: tensor<1x4x4x64xf32>, %v: tensor<1x4x4x64xf32>) {
  // expected-error @+1 {{num_heads (6) is not a multiple of num_kv_heads (4)}}
  %0 = attn.attention %q, %k, %v {num_heads = 6, num_kv_heads = 4, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x6x64xf32>, tensor<1x4x4x64xf32>, tensor<1x4x4x64xf32>) -> tensor<1x4x6x64xf32>
  return
}

// -----

// Zero KV heads is rejected before the group size divides by it.
func.func @attention_zero_kv_heads(%q: tensor<*xf32>) {
  // expected-error @+1 {{num_heads, num_kv_heads and head_dim must be positive, got 8, 0, 64}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 0, head_dim = 64, scale = 0.125 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// I64Attr getters are unsigned: a negative head count must still read as negative.
func.func @attention_negative_heads(%q: tensor<*xf32>) {
  // expected-error @+1 {{num_heads, num_kv_heads and head_dim must be positive, got -8, -2, 64}}
  %0 = attn.attention %q, %q, %q {num_heads = -8, num_kv_heads = -2, head_dim = 64, scale = 0.125 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// A negative head_dim is rejected like a zero one.
func.func @attention_negative_head_dim(%q: tensor<*xf32>) {
  // expected-error @+1 {{num_heads, num_kv_heads and head_dim must be positive, got 8, 2, -64}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = -64, scale = 0.125 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// A zero scale flattens the softmax to uniform: rejected.
func.func @attention_scale_zero(%q: tensor<*xf32>) {
  // expected-error @+1 {{scale must be positive and finite}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.0 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// A negative scale is rejected too.
func.func @attention_scale_negative(%q: tensor<*xf32>) {
  // expected-error @+1 {{scale must be positive and finite}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = -0.125 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// An infinite scale turns every score into +-inf (NaN after softmax).
func.func @attention_scale_infinite(%q: tensor<*xf32>) {
  // expected-error @+1 {{scale must be positive and finite}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0x7F800000 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// A negative softcap is meaningless (0 means none).
func.func @attention_softcap_negative(%q: tensor<*xf32>) {
  // expected-error @+1 {{softcap must be non-negative and finite (0 means none)}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, softcap = -50.0 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// An infinite softcap computes inf * tanh(s / inf) = NaN.
func.func @attention_softcap_infinite(%q: tensor<*xf32>) {
  // expected-error @+1 {{softcap must be non-negative and finite (0 means none)}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, softcap = 0x7F800000 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// A negative window is rejected, not read as a huge unsigned one.
func.func @attention_window_negative(%q: tensor<*xf32>) {
  // expected-error @+1 {{window must be non-negative (0 means none), got -1}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, window = -1} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// A sliding window is defined relative to the causal position.
func.func @attention_window_without_causal(%q: tensor<*xf32>) {
  // expected-error @+1 {{a sliding window needs causal attention}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, causal = false, window = 128} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// Negative sink_tokens are rejected, not read as a huge unsigned count.
func.func @attention_sink_tokens_negative(%q: tensor<*xf32>) {
  // expected-error @+1 {{sink_tokens must be non-negative, got -4}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, window = 128, sink_tokens = -4} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// Sink tokens only stay visible through a window; without one they are a no-op.
func.func @attention_sink_tokens_without_window(%q: tensor<*xf32>) {
  // expected-error @+1 {{sink_tokens only matter with a sliding window}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, sink_tokens = 4} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// Query, key, value and result share an element type.
func.func @attention_element_type_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf16>) {
  // expected-error @+1 {{query, key, value and result must share an element type}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Query is per-head [batch, seq, heads, head_dim], not flat hidden states.
func.func @attention_query_rank(%q: tensor<1x4x512xf32>, %k: tensor<1x4x2x64xf32>) {
  // expected-error @+1 {{query must have rank 4, got 'tensor<1x4x512xf32>'}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x512xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// The result is per-head too.
func.func @attention_result_rank(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>) {
  // expected-error @+1 {{result must have rank 4, got 'tensor<1x4x512xf32>'}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>) -> tensor<1x4x512xf32>
  return
}

// -----

// Query's heads dim must be num_heads.
func.func @attention_query_heads_mismatch(%q: tensor<1x4x4x64xf32>, %k: tensor<1x4x2x64xf32>) {
  // expected-error @+1 {{query dim 2 is 4 but num_heads is 8}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x4x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Query's last dim must be head_dim.
func.func @attention_query_head_dim_mismatch(%q: tensor<1x4x8x32xf32>, %k: tensor<1x4x2x64xf32>) {
  // expected-error @+1 {{query dim 3 is 32 but head_dim is 64}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x32xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Key's heads dim must be num_kv_heads (here K/V were expanded to MHA).
func.func @attention_key_heads_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x4x2x64xf32>) {
  // expected-error @+1 {{key dim 2 is 8 but num_kv_heads is 2}}
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Key's last dim must be head_dim (q k^T contracts it).
func.func @attention_key_head_dim_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x32xf32>, %v: tensor<1x4x2x64xf32>) {
  // expected-error @+1 {{key dim 3 is 32 but head_dim is 64}}
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x32xf32>, tensor<1x4x2x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Value's heads dim must be num_kv_heads.
func.func @attention_value_heads_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>, %v: tensor<1x4x1x64xf32>) {
  // expected-error @+1 {{value dim 2 is 1 but num_kv_heads is 2}}
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x1x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Result's heads dim must be num_heads (not num_kv_heads).
func.func @attention_result_heads_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>) {
  // expected-error @+1 {{result dim 2 is 2 but num_heads is 8}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>) -> tensor<1x4x2x64xf32>
  return
}

// -----

// Key and value must cover the same kv_seq positions.
func.func @attention_key_value_seq_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x16x2x64xf32>, %v: tensor<1x12x2x64xf32>) {
  // expected-error @+1 {{key dim 1 (16) differs from value dim 1 (12)}}
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x16x2x64xf32>, tensor<1x12x2x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Query and key share the batch.
func.func @attention_query_key_batch_mismatch(%q: tensor<2x4x8x64xf32>, %k: tensor<3x4x2x64xf32>) {
  // expected-error @+1 {{query dim 0 (2) differs from key dim 0 (3)}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<2x4x8x64xf32>, tensor<3x4x2x64xf32>, tensor<3x4x2x64xf32>) -> tensor<2x4x8x64xf32>
  return
}

// -----

// Key and value share the batch.
func.func @attention_key_value_batch_mismatch(%q: tensor<?x4x8x64xf32>, %k: tensor<2x4x2x64xf32>, %v: tensor<3x4x2x64xf32>) {
  // expected-error @+1 {{key dim 0 (2) differs from value dim 0 (3)}}
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x4x8x64xf32>, tensor<2x4x2x64xf32>, tensor<3x4x2x64xf32>) -> tensor<?x4x8x64xf32>
  return
}

// -----

// The result has the query's batch.
func.func @attention_result_batch_mismatch(%q: tensor<2x4x8x64xf32>, %k: tensor<?x4x2x64xf32>) {
  // expected-error @+1 {{query dim 0 (2) differs from result dim 0 (1)}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<2x4x8x64xf32>, tensor<?x4x2x64xf32>, tensor<?x4x2x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// The result has one row per query, not per key.
func.func @attention_result_seq_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x16x2x64xf32>) {
  // expected-error @+1 {{query dim 1 (4) differs from result dim 1 (16)}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x16x2x64xf32>, tensor<1x16x2x64xf32>) -> tensor<1x16x8x64xf32>
  return
}

// -----

// The result's last dim is the value's head dim.
func.func @attention_result_v_head_dim_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>, %v: tensor<1x4x2x32xf32>) {
  // expected-error @+1 {{value dim 3 (32) differs from result dim 3 (64)}}
  %0 = attn.attention %q, %k, %v {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x32xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// The key padding mask is [batch, kv_seq], not an expanded 4-D mask.
func.func @attention_mask_rank(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>, %m: tensor<1x1x4x4xi1>) {
  // expected-error @+1 {{key_padding_mask must have rank 2, got 'tensor<1x1x4x4xi1>'}}
  %0 = attn.attention %q, %k, %k padding(%m) {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>, tensor<1x1x4x4xi1>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// The key padding mask covers every key.
func.func @attention_mask_kv_seq_mismatch(%q: tensor<1x4x8x64xf32>, %k: tensor<1x16x2x64xf32>, %m: tensor<1x4xi1>) {
  // expected-error @+1 {{key_padding_mask dim 1 (4) differs from key dim 1 (16)}}
  %0 = attn.attention %q, %k, %k padding(%m) {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x16x2x64xf32>, tensor<1x16x2x64xf32>, tensor<1x4xi1>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// ODS: the padding mask is boolean (an additive float mask is a bias).
func.func @attention_mask_not_bool(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>, %m: tensor<1x4xf32>) {
  // expected-error @+1 {{operand #3 must be tensor of 1-bit signless integer values, but got 'tensor<1x4xf32>'}}
  %0 = attn.attention %q, %k, %k padding(%m) {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// The bias is 4-D [batch, heads, seq, kv_seq] (possibly with 1s).
func.func @attention_bias_rank(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>, %b: tensor<8x4x4xf32>) {
  // expected-error @+1 {{bias must have rank 4 ([batch, heads, seq, kv_seq] or broadcastable), got 'tensor<8x4x4xf32>'}}
  %0 = attn.attention %q, %k, %k bias(%b) {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>, tensor<8x4x4xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// A bias with one slope per KV head (not per query head) does not broadcast.
func.func @attention_bias_heads_not_broadcastable(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x2x64xf32>, %b: tensor<1x2x1x4xf32>) {
  // expected-error @+1 {{bias dim 1 is 2 but must be 1 or the scores' dim 8 ([batch, num_heads, seq, kv_seq])}}
  %0 = attn.attention %q, %k, %k bias(%b) {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>, tensor<1x2x1x4xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// A bias whose kv_seq dim disagrees with the keys does not broadcast.
func.func @attention_bias_kv_seq_not_broadcastable(%q: tensor<?x?x8x64xf32>, %k: tensor<?x16x2x64xf32>, %b: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{bias dim 3 is 8 but must be 1 or the scores' dim 16 ([batch, num_heads, seq, kv_seq])}}
  %0 = attn.attention %q, %k, %k bias(%b) {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x?x8x64xf32>, tensor<?x16x2x64xf32>, tensor<?x16x2x64xf32>, tensor<?x?x?x8xf32>) -> tensor<?x?x8x64xf32>
  return
}

// -----

// ODS: num_heads, num_kv_heads, head_dim and scale are required.
func.func @attention_missing_scale(%q: tensor<*xf32>) {
  // expected-error @+1 {{requires attribute 'scale'}}
  %0 = attn.attention %q, %q, %q {num_heads = 8, num_kv_heads = 2, head_dim = 64} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// ODS: head counts are i64 attributes.
func.func @attention_heads_not_i64(%q: tensor<*xf32>) {
  // expected-error @+1 {{attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute}}
  %0 = attn.attention %q, %q, %q {num_heads = 8 : i32, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// ODS: attention runs on float tensors.
func.func @attention_integer_query(%q: tensor<*xi32>, %k: tensor<*xf32>) {
  // expected-error @+1 {{operand #0 must be tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<*xi32>'}}
  %0 = attn.attention %q, %k, %k {num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<*xi32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// RoPE rotates pairs of dims: an odd rotary_dim is rejected.
func.func @rope_odd_rotary_dim(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{rotary_dim must be positive and even, got 63}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 63, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// A negative rotary_dim is rejected, not read as a huge unsigned one.
func.func @rope_negative_rotary_dim(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{rotary_dim must be positive and even, got -64}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = -64, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// rotary_dim can be at most head_dim (partial rotary rotates a prefix).
func.func @rope_rotary_dim_exceeds_head_dim(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{rotary_dim 128 exceeds head_dim 64}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 128, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// RoPE applies to per-head [batch, seq, heads, head_dim] or [tokens, heads,
// head_dim], not to hidden states [tokens, hidden].
func.func @rope_x_rank(%x: tensor<4x512xf32>, %p: tensor<4xi64>) {
  // expected-error @+1 {{x must have rank 4 ([batch, seq, heads, head_dim]) or 3 ([tokens, heads, head_dim]), got 'tensor<4x512xf32>'}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<4x512xf32>, tensor<4xi64>) -> tensor<4x512xf32>
  return
}

// -----

// Nor to a rank-5 x.
func.func @rope_x_rank5(%x: tensor<1x4x8x2x32xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{x must have rank 4 ([batch, seq, heads, head_dim]) or 3 ([tokens, heads, head_dim]), got 'tensor<1x4x8x2x32xf32>'}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 32, theta = 10000.0 : f32} : (tensor<1x4x8x2x32xf32>, tensor<1x4xi64>) -> tensor<1x4x8x2x32xf32>
  return
}

// -----

// Step-level x [tokens, heads, head_dim] takes flat positions [tokens], not a
// [batch, seq] grid.
func.func @rope_tokens_positions_rank2(%x: tensor<4x8x64xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{positions must have rank 1, got 'tensor<1x4xi64>'}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<4x8x64xf32>, tensor<1x4xi64>) -> tensor<4x8x64xf32>
  return
}

// -----

// Nor a scalar position.
func.func @rope_tokens_positions_rank0(%x: tensor<?x8x64xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{positions must have rank 1, got 'tensor<i64>'}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<?x8x64xf32>, tensor<i64>) -> tensor<?x8x64xf32>
  return
}

// -----

// One position per token of a step-level x.
func.func @rope_tokens_positions_mismatch(%x: tensor<4x8x64xf32>, %p: tensor<5xi64>) {
  // expected-error @+1 {{positions dim 0 (5) differs from x dim 0 (4)}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<4x8x64xf32>, tensor<5xi64>) -> tensor<4x8x64xf32>
  return
}

// -----

// Positions are [batch, seq].
func.func @rope_positions_rank(%x: tensor<1x4x8x64xf32>, %p: tensor<4xi64>) {
  // expected-error @+1 {{positions must have rank 2, got 'tensor<4xi64>'}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<4xi64>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// One position per token of x.
func.func @rope_positions_seq_mismatch(%x: tensor<1x4x8x64xf32>, %p: tensor<1x5xi64>) {
  // expected-error @+1 {{positions dim 1 (5) differs from x dim 1 (4)}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x5xi64>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// ODS: positions are integers.
func.func @rope_positions_float(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xf32>) {
  // expected-error @+1 {{operand #1 must be tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<1x4xf32>'}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// RoPE keeps x's type.
func.func @rope_result_type(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{result type must equal x's type}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>) -> tensor<1x4x8x64xf16>
  return
}

// -----

// The angles come from theta or from the tables, not both.
func.func @rope_theta_and_tables(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>, %t: tensor<128x32xf32>) {
  // expected-error @+1 {{needs exactly one of theta and cos/sin tables}}
  %0 = attn.rope %x, %p tables(%t, %t) {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 10000.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>, tensor<128x32xf32>, tensor<128x32xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// ... and not from neither.
func.func @rope_neither_theta_nor_tables(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{needs exactly one of theta and cos/sin tables}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// theta <= 1 would make the frequencies grow with the dim index.
func.func @rope_theta_not_greater_than_one(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>) {
  // expected-error @+1 {{theta must be greater than 1}}
  %0 = attn.rope %x, %p {style = #attn<rope_style half_split>, rotary_dim = 64, theta = 1.0 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Tables have rotary_dim / 2 columns (one angle per pair), not rotary_dim.
func.func @rope_table_dim_mismatch(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>, %t: tensor<128x64xf32>) {
  // expected-error @+1 {{cos_table dim 1 is 64 but rotary_dim / 2 is 32}}
  %0 = attn.rope %x, %p tables(%t, %t) {style = #attn<rope_style half_split>, rotary_dim = 64} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>, tensor<128x64xf32>, tensor<128x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// The sin table is checked like the cos table.
func.func @rope_sin_table_rank(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>, %c: tensor<128x32xf32>, %s: tensor<32xf32>) {
  // expected-error @+1 {{sin_table must have rank 2, got 'tensor<32xf32>'}}
  %0 = attn.rope %x, %p tables(%c, %s) {style = #attn<rope_style half_split>, rotary_dim = 64} : (tensor<1x4x8x64xf32>, tensor<1x4xi64>, tensor<128x32xf32>, tensor<32xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// Generic form: a cos table without a sin table is rejected (not a crash).
func.func @rope_cos_without_sin(%x: tensor<1x4x8x64xf32>, %p: tensor<1x4xi64>, %c: tensor<128x32xf32>) {
  // expected-error @+1 {{cos_table and sin_table must be given together}}
  %0 = "attn.rope"(%x, %p, %c) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>, rotary_dim = 64 : i64, style = #attn<rope_style half_split>}> : (tensor<1x4x8x64xf32>, tensor<1x4xi64>, tensor<128x32xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// RMSNorm's epsilon is non-negative.
func.func @rms_norm_negative_epsilon(%x: tensor<?x?x512xf32>, %w: tensor<512xf32>) {
  // expected-error @+1 {{epsilon must be non-negative}}
  %0 = attn.rms_norm %x, %w {epsilon = -1.0e-6 : f32} : (tensor<?x?x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// RMSNorm's weight has the size of the normalised (last) dim.
func.func @rms_norm_weight_size_mismatch(%x: tensor<?x?x512xf32>, %w: tensor<256xf32>) {
  // expected-error @+1 {{weight dim 0 (256) differs from x dim -1 (512)}}
  %0 = attn.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : (tensor<?x?x512xf32>, tensor<256xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// A per-head norm's weight is [head_dim], not [heads, head_dim].
func.func @rms_norm_weight_rank(%x: tensor<?x?x8x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{weight must have rank 1, got 'tensor<8x64xf32>'}}
  %0 = attn.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : (tensor<?x?x8x64xf32>, tensor<8x64xf32>) -> tensor<?x?x8x64xf32>
  return
}

// -----

// A 0-D input has no dim to normalise (and must not crash the verifier).
func.func @rms_norm_scalar_x(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{x must have rank >= 1, got 'tensor<f32>'}}
  %0 = attn.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

// RMSNorm keeps x's type.
func.func @rms_norm_result_type(%x: tensor<?x?x512xf32>, %w: tensor<512xf32>) {
  // expected-error @+1 {{result type must equal x's type}}
  %0 = attn.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : (tensor<?x?x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf16>
  return
}

// -----

// LayerNorm's epsilon is non-negative.
func.func @layer_norm_negative_epsilon(%x: tensor<?x?x512xf32>, %w: tensor<512xf32>) {
  // expected-error @+1 {{epsilon must be non-negative}}
  %0 = attn.layer_norm %x, %w {epsilon = -1.0e-5 : f32} : (tensor<?x?x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// LayerNorm's weight has the size of the normalised dim.
func.func @layer_norm_weight_size_mismatch(%x: tensor<?x?x512xf32>, %w: tensor<511xf32>) {
  // expected-error @+1 {{weight dim 0 (511) differs from x dim -1 (512)}}
  %0 = attn.layer_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<?x?x512xf32>, tensor<511xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// So does its bias.
func.func @layer_norm_bias_size_mismatch(%x: tensor<?x?x512xf32>, %w: tensor<512xf32>, %b: tensor<256xf32>) {
  // expected-error @+1 {{bias dim 0 (256) differs from x dim -1 (512)}}
  %0 = attn.layer_norm %x, %w bias(%b) {epsilon = 1.0e-5 : f32} : (tensor<?x?x512xf32>, tensor<512xf32>, tensor<256xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// LayerNorm keeps x's type.
func.func @layer_norm_result_type(%x: tensor<?x?x512xf32>, %w: tensor<512xf32>) {
  // expected-error @+1 {{result type must equal x's type}}
  %0 = attn.layer_norm %x, %w {epsilon = 1.0e-5 : f32} : (tensor<?x?x512xf32>, tensor<512xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// A linear's weight is a 2-D matrix.
func.func @linear_weight_not_2d(%x: tensor<?x?x512xf32>, %w: tensor<512xf32>) {
  // expected-error @+1 {{weight must be a static 2-D tensor, got 'tensor<512xf32>'}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// A linear's weight is a constant of static shape.
func.func @linear_weight_dynamic(%x: tensor<?x?x512xf32>, %w: tensor<?x512xf32>) {
  // expected-error @+1 {{weight must be a static 2-D tensor, got 'tensor<?x512xf32>'}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<?x512xf32>) -> tensor<?x?x1024xf32>
  return
}

// -----

// out_in: in_features is the weight's dim 1.
func.func @linear_in_features_mismatch_out_in(%x: tensor<?x?x512xf32>, %w: tensor<512x1024xf32>) {
  // expected-error @+1 {{x dim -1 is 512 but the weight's in_features is 1024}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<512x1024xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// in_out: in_features is the weight's dim 0.
func.func @linear_in_features_mismatch_in_out(%x: tensor<?x?x512xf32>, %w: tensor<1024x512xf32>) {
  // expected-error @+1 {{x dim -1 is 512 but the weight's in_features is 1024}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x512xf32>, tensor<1024x512xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// The result's last dim is out_features.
func.func @linear_out_features_mismatch(%x: tensor<?x?x512xf32>, %w: tensor<512x1024xf32>) {
  // expected-error @+1 {{result dim -1 is 512 but the weight's out_features is 1024}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout in_out>} : (tensor<?x?x512xf32>, tensor<512x1024xf32>) -> tensor<?x?x512xf32>
  return
}

// -----

// x and result share an element type.
func.func @linear_element_type_mismatch(%x: tensor<?x?x512xf32>, %w: tensor<1024x512xf32>) {
  // expected-error @+1 {{x and result must share an element type}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1024x512xf32>) -> tensor<?x?x1024xf16>
  return
}

// -----

// A linear keeps the rank of x.
func.func @linear_result_rank(%x: tensor<?x?x512xf32>, %w: tensor<1024x512xf32>) {
  // expected-error @+1 {{result rank 2 differs from x's rank 3}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1024x512xf32>) -> tensor<?x1024xf32>
  return
}

// -----

// A linear keeps the leading (token) dims of x.
func.func @linear_leading_dim_mismatch(%x: tensor<2x16x512xf32>, %w: tensor<1024x512xf32>) {
  // expected-error @+1 {{x dim 1 (16) differs from result dim 1 (8)}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<2x16x512xf32>, tensor<1024x512xf32>) -> tensor<2x8x1024xf32>
  return
}

// -----

// A 0-D x has no in_features dim (and must not crash the verifier).
func.func @linear_scalar_x(%x: tensor<f32>, %w: tensor<4x1xf32>) {
  // expected-error @+1 {{x must have rank >= 1, got 'tensor<f32>'}}
  %0 = attn.linear %x, %w {weight_layout = #attn<weight_layout out_in>} : (tensor<f32>, tensor<4x1xf32>) -> tensor<*xf32>
  return
}

// -----

// The bias has out_features elements.
func.func @linear_bias_size_mismatch(%x: tensor<?x?x512xf32>, %w: tensor<1024x512xf32>, %b: tensor<512xf32>) {
  // expected-error @+1 {{bias dim 0 is 512 but the weight's out_features is 1024}}
  %0 = attn.linear %x, %w bias(%b) {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1024x512xf32>, tensor<512xf32>) -> tensor<?x?x1024xf32>
  return
}

// -----

// The bias is 1-D.
func.func @linear_bias_rank(%x: tensor<?x?x512xf32>, %w: tensor<1024x512xf32>, %b: tensor<1x1024xf32>) {
  // expected-error @+1 {{bias must have rank 1, got 'tensor<1x1024xf32>'}}
  %0 = attn.linear %x, %w bias(%b) {weight_layout = #attn<weight_layout out_in>} : (tensor<?x?x512xf32>, tensor<1024x512xf32>, tensor<1x1024xf32>) -> tensor<?x?x1024xf32>
  return
}

// -----

// ODS: an activation keeps its operand's shape.
func.func @activation_shape_mismatch(%x: tensor<2x512xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = attn.activation silu %x : (tensor<2x512xf32>) -> tensor<2x256xf32>
  return
}

// -----

// ODS: an activation keeps its operand's element type.
func.func @activation_element_type_mismatch(%x: tensor<2x512xf32>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = attn.activation gelu %x : (tensor<2x512xf32>) -> tensor<2x512xf16>
  return
}

// -----

// ODS: only the listed activation kinds parse.
func.func @activation_unknown_kind(%x: tensor<2x512xf32>) {
  // expected-error @+2 {{expected ::attnc::attn::Activation to be one of: silu, gelu, gelu_tanh, relu}}
  // expected-error @+1 {{failed to parse Attn_ActivationAttr parameter 'value' which is to be a `::attnc::attn::Activation`}}
  %0 = attn.activation swish %x : (tensor<2x512xf32>) -> tensor<2x512xf32>
  return
}

// -----

// ODS: gate and up have the same shape (a fused gate+up must be split first).
func.func @gated_activation_shape_mismatch(%g: tensor<?x?x1024xf32>, %u: tensor<?x?x2048xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = attn.gated_activation silu %g, %u : (tensor<?x?x1024xf32>, tensor<?x?x2048xf32>) -> tensor<?x?x1024xf32>
  return
}

// -----

// ODS: gate, up and result share an element type.
func.func @gated_activation_element_type_mismatch(%g: tensor<?x1024xf32>, %u: tensor<?x1024xbf16>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = attn.gated_activation gelu_tanh %g, %u : (tensor<?x1024xf32>, tensor<?x1024xbf16>) -> tensor<?x1024xf32>
  return
}

// -----

// The embedding result adds one (hidden) dim to the ids.
func.func @embedding_result_rank(%t: tensor<1000x512xf32>, %ids: tensor<2x16xi64>) {
  // expected-error @+1 {{result rank must be ids' rank + 1, got 2}}
  %0 = attn.embedding %t, %ids : (tensor<1000x512xf32>, tensor<2x16xi64>) -> tensor<32x512xf32>
  return
}

// -----

// With unranked ids the result still needs a hidden dim (and must not crash the verifier).
func.func @embedding_scalar_result(%t: tensor<1000x512xf32>, %ids: tensor<*xi64>) {
  // expected-error @+1 {{result must have rank >= 1, got 'tensor<f32>'}}
  %0 = attn.embedding %t, %ids : (tensor<1000x512xf32>, tensor<*xi64>) -> tensor<f32>
  return
}

// -----

// The embedding result keeps the ids' dims.
func.func @embedding_ids_dim_mismatch(%t: tensor<1000x512xf32>, %ids: tensor<2x16xi64>) {
  // expected-error @+1 {{ids dim 1 (16) differs from result dim 1 (8)}}
  %0 = attn.embedding %t, %ids : (tensor<1000x512xf32>, tensor<2x16xi64>) -> tensor<2x8x512xf32>
  return
}

// -----

// The table is [vocab, hidden].
func.func @embedding_table_rank(%t: tensor<512xf32>, %ids: tensor<2x16xi64>) {
  // expected-error @+1 {{table must have rank 2, got 'tensor<512xf32>'}}
  %0 = attn.embedding %t, %ids : (tensor<512xf32>, tensor<2x16xi64>) -> tensor<2x16x512xf32>
  return
}

// -----

// The result's last dim is the table's hidden size.
func.func @embedding_hidden_mismatch(%t: tensor<1000x512xf32>, %ids: tensor<2x16xi64>) {
  // expected-error @+1 {{table dim 1 (512) differs from result dim -1 (1000)}}
  %0 = attn.embedding %t, %ids : (tensor<1000x512xf32>, tensor<2x16xi64>) -> tensor<2x16x1000xf32>
  return
}

// -----

// The table and result share an element type.
func.func @embedding_element_type_mismatch(%t: tensor<1000x512xf16>, %ids: tensor<2x16xi64>) {
  // expected-error @+1 {{table and result must share an element type}}
  %0 = attn.embedding %t, %ids : (tensor<1000x512xf16>, tensor<2x16xi64>) -> tensor<2x16x512xf32>
  return
}

// -----

// ODS: ids are integers.
func.func @embedding_float_ids(%t: tensor<1000x512xf32>, %ids: tensor<2x16xf32>) {
  // expected-error @+1 {{operand #1 must be tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2x16xf32>'}}
  %0 = attn.embedding %t, %ids : (tensor<1000x512xf32>, tensor<2x16xf32>) -> tensor<2x16x512xf32>
  return
}

// -----

// ODS: the residual and the update have the same shape.
func.func @residual_add_shape_mismatch(%a: tensor<?x16x512xf32>, %b: tensor<?x8x512xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = attn.residual_add %a, %b : (tensor<?x16x512xf32>, tensor<?x8x512xf32>) -> tensor<?x16x512xf32>
  return
}

// -----

// ODS: the residual and the update share an element type.
func.func @residual_add_element_type_mismatch(%a: tensor<?x512xf32>, %b: tensor<?x512xbf16>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = attn.residual_add %a, %b : (tensor<?x512xf32>, tensor<?x512xbf16>) -> tensor<?x512xf32>
  return
}

// -----

// The positions' tokens are a [batch, seq] grid.
func.func @positions_tokens_rank(%ids: tensor<?x?x?xi64>) {
  // expected-error @+1 {{tokens must have rank 2, got 'tensor<?x?x?xi64>'}}
  %0 = attn.positions %ids : (tensor<?x?x?xi64>) -> tensor<1x?xi64>
  return
}

// -----

// The positions are [1, seq] or [batch, seq], never a flat [seq].
func.func @positions_result_rank(%ids: tensor<?x?xi64>) {
  // expected-error @+1 {{result must have rank 2, got 'tensor<?xi64>'}}
  %0 = attn.positions %ids : (tensor<?x?xi64>) -> tensor<?xi64>
  return
}

// -----

// One position per token: the result's seq dim is the tokens' seq dim.
func.func @positions_seq_mismatch(%ids: tensor<?x16xi64>) {
  // expected-error @+1 {{tokens dim 1 (16) differs from result dim 1 (8)}}
  %0 = attn.positions %ids : (tensor<?x16xi64>) -> tensor<1x8xi64>
  return
}

// -----

// Result rows are 1 (broadcast over batch) or the tokens' batch, nothing else.
func.func @positions_rows_mismatch(%ids: tensor<4x16xi64>) {
  // expected-error @+1 {{result dim 0 (2) must be 1 or the tokens' batch (4)}}
  %0 = attn.positions %ids : (tensor<4x16xi64>) -> tensor<2x16xi64>
  return
}

// -----

// ODS: positions are integers.
func.func @positions_float_result(%ids: tensor<?x?xi64>) {
  // expected-error @+1 {{result #0 must be tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<1x?xf32>'}}
  %0 = attn.positions %ids : (tensor<?x?xi64>) -> tensor<1x?xf32>
  return
}

// -----

// A zero logit cap divides by zero.
func.func @logit_softcap_zero(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{cap must be positive and finite, got 0.000000e+00}}
  %0 = attn.logit_softcap %x {cap = 0.0 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// A negative logit cap flips the logits' order.
func.func @logit_softcap_negative(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{cap must be positive and finite, got -3.000000e+01}}
  %0 = attn.logit_softcap %x {cap = -30.0 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// A NaN cap is not positive either.
func.func @logit_softcap_nan(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{cap must be positive and finite, got nan}}
  %0 = attn.logit_softcap %x {cap = 0x7FC00000 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// An infinite cap makes cap * tanh(x / cap) = inf * 0 = NaN.
func.func @logit_softcap_inf(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{cap must be positive and finite, got INF}}
  %0 = attn.logit_softcap %x {cap = 0x7F800000 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// A negative NaN is rejected too.
func.func @logit_softcap_negative_nan(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{cap must be positive and finite, got nan}}
  %0 = attn.logit_softcap %x {cap = 0xFFC00000 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// ODS: the softcap keeps the logits' shape.
func.func @logit_softcap_shape_mismatch(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = attn.logit_softcap %x {cap = 30.0 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x128xf32>
  return
}

// -----

// A concatenation of nothing has no weight to pack.
func.func @weight_concat_empty() {
  // expected-error @+1 {{needs at least one input}}
  %0 = attn.weight_concat {axis = 0 : i64} : () -> tensor<4x4xf32>
  return
}

// -----

// Every input has the result's rank.
func.func @weight_concat_rank_mismatch(%a: tensor<2x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{input 1 must be a static tensor of rank 2, got 'tensor<4xf32>'}}
  %0 = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Inputs are constants: a dynamic input is not a weight.
func.func @weight_concat_dynamic_input(%a: tensor<2x4xf32>, %b: tensor<?x4xf32>) {
  // expected-error @+1 {{input 1 must be a static tensor of rank 2, got 'tensor<?x4xf32>'}}
  %0 = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x4xf32>, tensor<?x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Off the concatenation axis every input has the result's size.
func.func @weight_concat_dim_mismatch(%a: tensor<2x4xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{input 1 dim 1 is 8 but the result's is 4}}
  %0 = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x4xf32>, tensor<1x8xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Along the axis the inputs add up to the result.
func.func @weight_concat_sum_mismatch(%a: tensor<64x64xf32>, %b: tensor<32x64xf32>) {
  // expected-error @+1 {{inputs sum to 96 along axis 0 but the result has 128}}
  %0 = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<64x64xf32>, tensor<32x64xf32>) -> tensor<128x64xf32>
  return
}

// -----

// The axis is one of the result's dims (no negative ONNX-style axes).
func.func @weight_concat_axis_out_of_range(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = attn.weight_concat %a, %b {axis = 2 : i64} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return
}

// -----

// A negative axis is rejected too.
func.func @weight_concat_axis_negative(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{axis -1 is out of range for rank 2}}
  %0 = attn.weight_concat %a, %b {axis = -1 : i64} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return
}

// -----

// The packer copies bytes: inputs and result share an element type.
func.func @weight_concat_element_type_mismatch(%a: tensor<2x4xf32>, %b: tensor<2x4xf16>) {
  // expected-error @+1 {{inputs and result must share an element type}}
  %0 = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xf16>) -> tensor<4x4xf32>
  return
}

// -----

// The packed weight has a static shape.
func.func @weight_concat_dynamic_result(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{result must have a static shape, got 'tensor<?x4xf32>'}}
  %0 = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

// An unranked result has no static shape either.
func.func @weight_concat_unranked_result(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{result must have a static shape, got 'tensor<*xf32>'}}
  %0 = attn.weight_concat %a, %b {axis = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<*xf32>
  return
}

// -----

// Query heads are grouped over KV heads: 6 is not a multiple of 4.
func.func @paged_attention_heads_not_multiple(%q: tensor<?x6x64xf32>, %k: tensor<?x4x64xf32>, %v: tensor<?x4x64xf32>) {
  // expected-error @+1 {{num_heads (6) is not a multiple of num_kv_heads (4)}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 6, num_kv_heads = 4, head_dim = 64, scale = 0.125 : f32} : (tensor<?x6x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x6x64xf32>
  return
}

// -----

// Head counts and head_dim must be positive.
func.func @paged_attention_zero_kv_heads(%q: tensor<?x8x64xf32>, %k: tensor<?x8x64xf32>, %v: tensor<?x8x64xf32>) {
  // expected-error @+1 {{num_heads, num_kv_heads and head_dim must be positive, got 8, 0, 64}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 0, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x8x64xf32>, tensor<?x8x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// Step-level query is [tokens, heads, head_dim], not the graph's [b, s, h, d].
func.func @paged_attention_query_rank(%q: tensor<1x?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{query must have rank 3, got 'tensor<1x?x8x64xf32>'}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<1x?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// Key rank 3 as well.
func.func @paged_attention_key_rank(%q: tensor<?x8x64xf32>, %k: tensor<?x128xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{key must have rank 3, got 'tensor<?x128xf32>'}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x128xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// Value rank 3 as well.
func.func @paged_attention_value_rank(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<1x?x2x64xf32>) {
  // expected-error @+1 {{value must have rank 3, got 'tensor<1x?x2x64xf32>'}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<1x?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// And the result.
func.func @paged_attention_result_rank(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{result must have rank 3, got 'tensor<?x512xf32>'}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x512xf32>
  return
}

// -----

// The query's heads dim is num_heads.
func.func @paged_attention_query_heads(%q: tensor<?x4x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{query dim 1 is 4 but num_heads is 8}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x4x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// The query's last dim is head_dim.
func.func @paged_attention_query_head_dim(%q: tensor<?x8x32xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{query dim 2 is 32 but head_dim is 64}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x32xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// The key's heads dim is num_kv_heads (the cache stores KV heads only).
func.func @paged_attention_key_heads(%q: tensor<?x8x64xf32>, %k: tensor<?x8x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{key dim 1 is 8 but num_kv_heads is 2}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x8x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// The value's heads dim is num_kv_heads.
func.func @paged_attention_value_heads(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x4x64xf32>) {
  // expected-error @+1 {{value dim 1 is 4 but num_kv_heads is 2}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x4x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// The result's head dim is the value's.
func.func @paged_attention_result_v_head_dim(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x32xf32>) {
  // expected-error @+1 {{value dim 2 (32) differs from result dim 2 (64)}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x32xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// Query, key and value carry the same step tokens.
func.func @paged_attention_tokens_mismatch(%q: tensor<4x8x64xf32>, %k: tensor<5x2x64xf32>, %v: tensor<4x2x64xf32>) {
  // expected-error @+1 {{query dim 0 (4) differs from key dim 0 (5)}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<4x8x64xf32>, tensor<5x2x64xf32>, tensor<4x2x64xf32>) -> tensor<4x8x64xf32>
  return
}

// -----

// A layer index addresses layer_cache[layer]: never negative.
func.func @paged_attention_negative_layer(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{layer and cache_group must be non-negative}}
  %0 = attn.paged_attention %q, %k, %v {layer = -1, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// Nor is a cache group.
func.func @paged_attention_negative_cache_group(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{layer and cache_group must be non-negative}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = -2, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// A negative window is no window size (0 means full attention).
func.func @paged_attention_negative_window(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{window must be non-negative (0 means none), got -4096}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, window = -4096} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// A zero scale flattens the softmax.
func.func @paged_attention_zero_scale(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{scale must be positive and finite}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.0 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// A negative scale inverts it.
func.func @paged_attention_negative_scale(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{scale must be positive and finite}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = -0.125 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// A negative softcap is rejected (0 means none).
func.func @paged_attention_negative_softcap(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{softcap must be non-negative and finite (0 means none)}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, softcap = -50.0 : f32} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// Query, key, value and result share an element type.
func.func @paged_attention_element_type(%q: tensor<?x8x64xf16>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x64xf32>) {
  // expected-error @+1 {{query, key, value and result must share an element type}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32} : (tensor<?x8x64xf16>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// The logit rows are a flat list of token indices.
func.func @select_tokens_indices_rank(%x: tensor<?x64xf32>, %idx: tensor<1x?xi64>) {
  // expected-error @+1 {{indices must have rank 1, got 'tensor<1x?xi64>'}}
  %0 = attn.select_tokens %x, %idx : (tensor<?x64xf32>, tensor<1x?xi64>) -> tensor<?x64xf32>
  return
}

// -----

// x has a token dim to select from.
func.func @select_tokens_x_rank(%x: tensor<f32>, %idx: tensor<?xi64>) {
  // expected-error @+1 {{x must have rank >= 1, got 'tensor<f32>'}}
  %0 = attn.select_tokens %x, %idx : (tensor<f32>, tensor<?xi64>) -> tensor<?xf32>
  return
}

// -----

// The result keeps x's rank: only the token dim changes.
func.func @select_tokens_result_rank(%x: tensor<?x64xf32>, %idx: tensor<?xi64>) {
  // expected-error @+1 {{result rank 3 differs from x's rank 2}}
  %0 = attn.select_tokens %x, %idx : (tensor<?x64xf32>, tensor<?xi64>) -> tensor<?x1x64xf32>
  return
}

// -----

// The dims after the token dim are x's.
func.func @select_tokens_hidden_mismatch(%x: tensor<?x64xf32>, %idx: tensor<?xi64>) {
  // expected-error @+1 {{x dim 1 (64) differs from result dim 1 (32)}}
  %0 = attn.select_tokens %x, %idx : (tensor<?x64xf32>, tensor<?xi64>) -> tensor<?x32xf32>
  return
}

// -----

// One result row per index.
func.func @select_tokens_rows_mismatch(%x: tensor<?x64xf32>, %idx: tensor<2xi64>) {
  // expected-error @+1 {{indices dim 0 (2) differs from result dim 0 (3)}}
  %0 = attn.select_tokens %x, %idx : (tensor<?x64xf32>, tensor<2xi64>) -> tensor<3x64xf32>
  return
}

// -----

// Selecting rows keeps the element type.
func.func @select_tokens_element_type(%x: tensor<?x64xf32>, %idx: tensor<?xi64>) {
  // expected-error @+1 {{x and result must share an element type}}
  %0 = attn.select_tokens %x, %idx : (tensor<?x64xf32>, tensor<?xi64>) -> tensor<?x64xf16>
  return
}

// -----

// ODS: the indices are integers.
func.func @select_tokens_float_indices(%x: tensor<?x64xf32>, %idx: tensor<?xf32>) {
  // expected-error @+1 {{operand #1 must be tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<?xf32>'}}
  %0 = attn.select_tokens %x, %idx : (tensor<?x64xf32>, tensor<?xf32>) -> tensor<?x64xf32>
  return
}

// -----

// The positions offset is one number (the past length), not a vector.
func.func @positions_offset_vector(%ids: tensor<?x?xi64>, %past: tensor<2xi64>) {
  // expected-error @+1 {{offset must be a scalar (rank 0 or [1]), got 'tensor<2xi64>'}}
  %0 = attn.positions %ids offset(%past) : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<1x?xi64>
  return
}

// -----

// A NaN residual scale poisons the stream.
func.func @residual_add_scale_nan(%a: tensor<?x?x8xf32>, %b: tensor<?x?x8xf32>) {
  // expected-error @+1 {{scale must be finite, got nan}}
  %0 = attn.residual_add %a, %b {scale = 0x7FC00000 : f32} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

// An infinite residual scale too.
func.func @residual_add_scale_inf(%a: tensor<?x?x8xf32>, %b: tensor<?x?x8xf32>) {
  // expected-error @+1 {{scale must be finite, got INF}}
  %0 = attn.residual_add %a, %b {scale = 0x7F800000 : f32} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

// A zero logit scale erases the logits.
func.func @logit_scale_zero(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{scale must be finite and nonzero, got 0.000000e+00}}
  %0 = attn.logit_scale %x {scale = 0.0 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// An infinite logit scale (a logits_scaling of 0) is rejected.
func.func @logit_scale_inf(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{scale must be finite and nonzero, got INF}}
  %0 = attn.logit_scale %x {scale = 0x7F800000 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return
}

// -----

// ODS: the logit scale keeps the logits' shape.
func.func @logit_scale_shape_mismatch(%x: tensor<?x?x256xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = attn.logit_scale %x {scale = 0.125 : f32} : (tensor<?x?x256xf32>) -> tensor<?x?x128xf32>
  return
}

// -----

// flash_attention tiles must be a power of two (page-aligned tiles).
func.func @flash_attention_tile_not_power_of_two(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{tile_kv must be a positive power of two, got 48}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 480 : i64, tile_kv = 48 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// Flash-decoding slices are whole tiles.
func.func @flash_attention_split_not_whole_tiles(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{split_kv (100) must be a non-negative multiple of tile_kv (64)}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 100 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// The body yields the whole state: max, sum and accumulator.
func.func @flash_attention_yields_partial_state(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{body must yield (max, sum, acc)}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l : tensor<?xf32>, tensor<?xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// A KV tile has tile_kv rows.
func.func @load_kv_tile_wrong_rows(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    // expected-error @+1 {{keys dim 0 is 32, expected 64}}
    %kt, %vt = attn.load_kv_tile %b : tensor<32x16xf32>, tensor<32x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// Tile ops only exist inside a flash_attention (they read its layer's pages).
func.func @load_kv_tile_outside(%start: index) {
  // expected-error @+1 {{must be inside attn.flash_attention}}
  %kt, %vt = attn.load_kv_tile %start : tensor<64x16xf32>, tensor<64x16xf32>
  return
}

// -----

// The update returns the state in the state's types.
func.func @online_softmax_state_types(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    %kt, %vt = attn.load_kv_tile %b : tensor<64x16xf32>, tensor<64x16xf32>
    %s = attn.tile_scores %qs, %kt {scale = 2.500000e-01 : f32} : (tensor<?x16xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
    // expected-error @+1 {{new sum must have sum's type 'tensor<?xf32>'}}
    %m2, %l2, %acc2 = attn.online_softmax %s, %vt, %m, %l, %acc : (tensor<?x64xf32>, tensor<64x16xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>) -> (tensor<?xf32>, tensor<4xf32>, tensor<?x16xf32>)
    attn.flash_yield %m2, %l2, %acc2 : tensor<?xf32>, tensor<4xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// The fused residual add + RMSNorm keeps one type for inputs and results.
func.func @residual_add_rms_norm_types(%a: tensor<?x64xf32>, %b: tensor<?x32xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{residual, update, sum and output must have one type}}
  %s, %n = attn.residual_add_rms_norm %a, %b, %w {epsilon = 1.0e-6 : f32} : (tensor<?x64xf32>, tensor<?x32xf32>, tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
  return
}

// -----

// Its weight spans the normalised (last) dim.
func.func @residual_add_rms_norm_weight(%a: tensor<?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{weight dim 0 (32) differs from x dim -1 (64)}}
  %s, %n = attn.residual_add_rms_norm %a, %a, %w {epsilon = 1.0e-6 : f32} : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<32xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
  return
}

// -----

// The fused key rotation is complete or absent.
func.func @flash_attention_rope_without_theta(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{rope_style, rotary_dim and rope_theta must be given together}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_style = #attn<rope_style half_split>, rotary_dim = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// The query rides along with a key rotation only.
func.func @flash_attention_rope_query_alone(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{rope_query needs the key rotation (rope_style, rotary_dim, rope_theta)}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_query, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// The rotation covers at most the head.
func.func @flash_attention_rotary_past_head_dim(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{rotary_dim must be positive, even and at most head_dim (16), got 32}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_style = #attn<rope_style half_split>, rope_theta = 1.000000e+04 : f32, rotary_dim = 32 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// Rotated dims come in pairs.
func.func @flash_attention_rotary_odd(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{rotary_dim must be positive, even and at most head_dim (16), got 7}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_style = #attn<rope_style interleaved>, rope_theta = 1.000000e+04 : f32, rotary_dim = 7 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// theta is a positive base.
func.func @flash_attention_rope_theta_not_positive(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  // expected-error @+1 {{rope_theta must be positive and finite, got 0}}
  %0 = attn.flash_attention %q, %k, %k {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, rope_style = #attn<rope_style half_split>, rope_theta = 0.000000e+00 : f32, rotary_dim = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 64 : i64} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  ^bb0(%qs: tensor<?x16xf32>, %b: index, %e: index):
    %m, %l, %acc = attn.softmax_state_init %qs : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
    attn.flash_yield %m, %l, %acc : tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
  }
  return %0 : tensor<?x2x16xf32>
}

// -----

// Only 4- and 8-bit kernels exist.
func.func @quantized_linear_bits(%x: tensor<?x64xf32>, %v: tensor<96x64xi8>, %s: tensor<96xf32>) {
  // expected-error @+1 {{bits must be 4 or 8, got 3}}
  %0 = attn.quantized_linear %x, %v, %s {bits = 3 : i64, group_size = 0 : i64} : (tensor<?x64xf32>, tensor<96x64xi8>, tensor<96xf32>) -> tensor<?x96xf32>
  return
}

// -----

// Groups tile the input dimension exactly.
func.func @quantized_linear_group_not_dividing(%x: tensor<?x96xf32>, %v: tensor<32x48xui8>, %s: tensor<32x2xf32>) {
  // expected-error @+1 {{group_size 64 does not divide the input dimension 96}}
  %0 = attn.quantized_linear %x, %v, %s {bits = 4 : i64, group_size = 64 : i64} : (tensor<?x96xf32>, tensor<32x48xui8>, tensor<32x2xf32>) -> tensor<?x32xf32>
  return
}

// -----

// 4-bit values hold two a byte: [N, K / 2] for x's K.
func.func @quantized_linear_values_shape(%x: tensor<?x64xf32>, %v: tensor<96x64xui8>, %s: tensor<96x2xf32>) {
  // expected-error @+1 {{x dim -1 is 64 but the weight's in_features is 128}}
  %0 = attn.quantized_linear %x, %v, %s {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<96x64xui8>, tensor<96x2xf32>) -> tensor<?x96xf32>
  return
}

// -----

// Symmetric 8-bit values are signed.
func.func @quantized_linear_unsigned_int8(%x: tensor<?x64xf32>, %v: tensor<96x64xui8>, %s: tensor<96xf32>) {
  // expected-error @+1 {{symmetric 8-bit values are signed (i8), got 'tensor<96x64xui8>'}}
  %0 = attn.quantized_linear %x, %v, %s {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x64xf32>, tensor<96x64xui8>, tensor<96xf32>) -> tensor<?x96xf32>
  return
}

// -----

// Group-wise scales: one per group of each output channel.
func.func @quantized_linear_scales_shape(%x: tensor<?x64xf32>, %v: tensor<96x32xui8>, %s: tensor<96xf32>) {
  // expected-error @+1 {{scales must be f32 [96, 2] (one per group), got 'tensor<96xf32>'}}
  %0 = attn.quantized_linear %x, %v, %s {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<96x32xui8>, tensor<96xf32>) -> tensor<?x96xf32>
  return
}

// -----

// Zero points: one per group.
func.func @quantized_linear_zeros_shape(%x: tensor<?x64xf32>, %v: tensor<96x32xui8>, %s: tensor<96x2xf32>, %z: tensor<96x4xui8>) {
  // expected-error @+1 {{zeros must be ui8 [96, 2] (one per group), got 'tensor<96x4xui8>'}}
  %0 = attn.quantized_linear %x, %v, %s zeros(%z) {bits = 4 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<96x32xui8>, tensor<96x2xf32>, tensor<96x4xui8>) -> tensor<?x96xf32>
  return
}

// -----

// Zero points exist only for the group-wise kernels.
func.func @quantized_linear_zeros_int8(%x: tensor<?x64xf32>, %v: tensor<96x64xui8>, %s: tensor<96xf32>, %z: tensor<96xui8>) {
  // expected-error @+1 {{zero points are only supported for weights in groups}}
  %0 = attn.quantized_linear %x, %v, %s zeros(%z) {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x64xf32>, tensor<96x64xui8>, tensor<96xf32>, tensor<96xui8>) -> tensor<?x96xf32>
  return
}

// -----

// 8-bit values with zero points are unsigned (w8gGa).
func.func @quantized_linear_zeros_signed_int8(%x: tensor<?x64xf32>, %v: tensor<96x64xi8>, %s: tensor<96x2xf32>, %z: tensor<96x2xui8>) {
  // expected-error @+1 {{8-bit values with zero points are unsigned (ui8), got 'tensor<96x64xi8>'}}
  %0 = attn.quantized_linear %x, %v, %s zeros(%z) {bits = 8 : i64, group_size = 32 : i64} : (tensor<?x64xf32>, tensor<96x64xi8>, tensor<96x2xf32>, tensor<96x2xui8>) -> tensor<?x96xf32>
  return
}

// -----

// The 8-bit kernels have per-output-channel scales or groups of 32, 64 or 128.
func.func @quantized_linear_int8_groups(%x: tensor<?x64xf32>, %v: tensor<96x64xi8>, %s: tensor<96x4xf32>) {
  // expected-error @+1 {{8-bit weights have one scale per output channel (group_size 0) or groups of 32, 64 or 128, got group_size 16}}
  %0 = attn.quantized_linear %x, %v, %s {bits = 8 : i64, group_size = 16 : i64} : (tensor<?x64xf32>, tensor<96x64xi8>, tensor<96x4xf32>) -> tensor<?x96xf32>
  return
}

// -----

// The 4-bit kernels have groups of 32, 64 or 128.
func.func @quantized_linear_int4_group(%x: tensor<?x64xf32>, %v: tensor<96x32xui8>, %s: tensor<96x4xf32>) {
  // expected-error @+1 {{4-bit weights need group_size 32, 64 or 128 (the kernels' groups), got 16}}
  %0 = attn.quantized_linear %x, %v, %s {bits = 4 : i64, group_size = 16 : i64} : (tensor<?x64xf32>, tensor<96x32xui8>, tensor<96x4xf32>) -> tensor<?x96xf32>
  return
}

// -----

// The bias is added in the activations' type.
func.func @quantized_linear_bias_type(%x: tensor<?x64xf16>, %v: tensor<96x64xi8>, %s: tensor<96xf32>, %b: tensor<96xf32>) {
  // expected-error @+1 {{bias must have x's element type}}
  %0 = attn.quantized_linear %x, %v, %s bias(%b) {bits = 8 : i64, group_size = 0 : i64} : (tensor<?x64xf16>, tensor<96x64xi8>, tensor<96xf32>, tensor<96xf32>) -> tensor<?x96xf16>
  return
}

// -----

// The transform's results follow the weight's [N, K] (here in_out: K = 64).
func.func @weight_quantize_shape(%w: tensor<64x96xf32>) {
  // expected-error @+1 {{values must be [96, 64] for 8-bit [96, 64] weights, got 'tensor<64x96xi8>'}}
  %v, %s = attn.weight_quantize %w {bits = 8 : i64, group_size = 0 : i64, weight_layout = #attn<weight_layout in_out>} : (tensor<64x96xf32>) -> (tensor<64x96xi8>, tensor<96xf32>)
  return
}

// -----

// Asymmetric quantization has zero points, symmetric none.
func.func @weight_quantize_missing_zeros(%w: tensor<96x64xf32>) {
  // expected-error @+1 {{asymmetric quantization has a zeros result}}
  %v, %s = attn.weight_quantize %w {asymmetric, bits = 4 : i64, group_size = 32 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<96x64xf32>) -> (tensor<96x32xui8>, tensor<96x2xf32>)
  return
}

// -----

// A group size that does not divide K is named with both numbers.
func.func @weight_quantize_group(%w: tensor<96x80xf32>) {
  // expected-error @+1 {{group_size 64 does not divide the input dimension 80}}
  %v, %s = attn.weight_quantize %w {bits = 4 : i64, group_size = 64 : i64, weight_layout = #attn<weight_layout out_in>} : (tensor<96x80xf32>) -> (tensor<96x40xui8>, tensor<96x1xf32>)
  return
}

// -----

// weight_reshape keeps the element count and type.
func.func @weight_reshape_count(%a: tensor<4x8xui8>) {
  // expected-error @+1 {{reshape of 'tensor<4x8xui8>' to 'tensor<4x4xui8>' changes the element count}}
  %0 = attn.weight_reshape %a : (tensor<4x8xui8>) -> tensor<4x4xui8>
  return
}

// -----

func.func @weight_reshape_type(%a: tensor<4x8xui8>) {
  // expected-error @+1 {{input and result must share an element type}}
  %0 = attn.weight_reshape %a : (tensor<4x8xui8>) -> tensor<32xi8>
  return
}

// -----

// weight_broadcast repeats elements over trailing dimensions only.
func.func @weight_broadcast_leading(%a: tensor<8xf32>) {
  // expected-error @+1 {{the result 'tensor<4x8xf32>' must begin with the input's shape, 'tensor<8xf32>'}}
  %0 = attn.weight_broadcast %a : (tensor<8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @weight_broadcast_type(%a: tensor<8xf32>) {
  // expected-error @+1 {{input and result must share an element type}}
  %0 = attn.weight_broadcast %a : (tensor<8xf32>) -> tensor<8x2xf16>
  return
}

// -----

func.func @weight_to_unsigned_shape(%a: tensor<4x8xi8>) {
  // expected-error @+1 {{input and result must have the same shape}}
  %0 = attn.weight_to_unsigned %a : (tensor<4x8xi8>) -> tensor<8x4xui8>
  return
}

// -----

// weight_unpack_nibbles reads rows * ceil(cols / 2) bytes.
func.func @weight_unpack_nibbles_count(%a: tensor<8xui8>) {
  // expected-error @+1 {{input 'tensor<8xui8>' must hold rows * ceil(cols / 2) = 6 bytes}}
  %0 = attn.weight_unpack_nibbles %a : (tensor<8xui8>) -> tensor<2x5xui8>
  return
}

// -----

// A quantized KV cache quantizes f32 / f16 / bf16 values (f64 has no codes' reference).
func.func @kv_cache_type_f64(%q: tensor<?x8x64xf64>, %k: tensor<?x2x64xf64>) {
  // expected-error @+1 {{kv_cache_type int8 quantizes f32, f16 or bf16 keys and values, got 'f64'}}
  %0 = attn.paged_attention %q, %k, %k {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, kv_cache_type = #attn<kv_cache_type int8>} : (tensor<?x8x64xf64>, tensor<?x2x64xf64>, tensor<?x2x64xf64>) -> tensor<?x8x64xf64>
  return
}

// -----

// The quantized page layout needs the value head dim.
func.func @kv_cache_type_dynamic_value_dim(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>, %v: tensor<?x2x?xf32>) {
  // expected-error @+1 {{kv_cache_type fp8_e4m3 needs a static value head dim (the page layout)}}
  %0 = attn.paged_attention %q, %k, %v {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, kv_cache_type = #attn<kv_cache_type fp8_e4m3>} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x?xf32>) -> tensor<?x8x?xf32>
  return
}

// -----

// KV-cache types are int8 and fp8_e4m3 only.
func.func @kv_cache_type_unknown(%q: tensor<?x8x64xf32>, %k: tensor<?x2x64xf32>) {
  // expected-error @+2 {{expected ::attnc::attn::KvCacheType to be one of: int8, fp8_e4m3}}
  // expected-error @+1 {{failed to parse Attn_KvCacheTypeAttr parameter 'value'}}
  %0 = attn.paged_attention %q, %k, %k {layer = 0, cache_group = 0, num_heads = 8, num_kv_heads = 2, head_dim = 64, scale = 0.125 : f32, kv_cache_type = #attn<kv_cache_type int4>} : (tensor<?x8x64xf32>, tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x8x64xf32>
  return
}

// -----

// weight_transpose swaps the two dims of a 2-D weight.
func.func @weight_transpose_shape(%a: tensor<4x8xi4>) {
  // expected-error @+1 {{result must be the 2-D input 'tensor<4x8xi4>' transposed, got 'tensor<4x8xi4>'}}
  %0 = attn.weight_transpose %a : (tensor<4x8xi4>) -> tensor<4x8xi4>
  return
}

// -----

// weight_pack_nibbles gives [rows, ceil(cols / 2)].
func.func @weight_pack_nibbles_shape(%a: tensor<2x5xui8>) {
  // expected-error @+1 {{result must be [rows, ceil(cols / 2)] for the input 'tensor<2x5xui8>', got 'tensor<2x2xui8>'}}
  %0 = attn.weight_pack_nibbles %a : (tensor<2x5xui8>) -> tensor<2x2xui8>
  return
}

// -----

func.func @weight_widen_nibbles_shape(%a: tensor<2x4xi4>) {
  // expected-error @+1 {{input and result must have the same shape}}
  %0 = attn.weight_widen_nibbles %a : (tensor<2x4xi4>) -> tensor<8xui8>
  return
}

// -----

func.func @weight_cast_shape(%a: tensor<2x4xf16>) {
  // expected-error @+1 {{input and result must have the same shape}}
  %0 = attn.weight_cast %a : (tensor<2x4xf16>) -> tensor<4x2xf32>
  return
}
