// RUN: attnc-opt %s -attn-quantize-kv-cache=type=int4 -verify-diagnostics

// An unknown KV-cache type is refused, naming the supported ones.
// expected-error @+1 {{attn-quantize-kv-cache: unknown KV-cache type 'int4' (supported: int8, fp8)}}
func.func @unknown_type(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  %0 = attn.paged_attention %q, %k, %k {layer = 0, cache_group = 0, num_heads = 4, num_kv_heads = 2, head_dim = 16, scale = 0.25 : f32} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32>
  return %0 : tensor<?x4x16xf32>
}
