// RUN: attnc-opt %s -split-input-file -attn-flash-tiling | FileCheck %s
// RUN: not attnc-opt %s -split-input-file -attn-flash-tiling=target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET

// TARGET: unknown target 'tpu' (supported: cpu)

// Head dim 16: a K and a V row are 128 bytes, so 128 keys fill the 16 KiB
// tile budget (the cap); head dim 128 gets 16 keys per tile.
// CHECK-LABEL: func.func @per_head_dim
// CHECK: attn.paged_attention {{.*}}head_dim = 16 : i64{{.*}}query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64}
// CHECK: attn.paged_attention {{.*}}head_dim = 128 : i64{{.*}}query_block = 16 : i64, scale = 0.0883883461 : f32, split_kv = 512 : i64, tile_kv = 16 : i64}
func.func @per_head_dim(%q16: tensor<?x4x16xf32>, %k16: tensor<?x2x16xf32>,
                        %q128: tensor<?x4x128xf32>, %k128: tensor<?x2x128xf32>)
    -> (tensor<?x4x16xf32>, tensor<?x4x128xf32>) {
  %a = attn.paged_attention %q16, %k16, %k16 {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32>
  %b = attn.paged_attention %q128, %k128, %k128 {cache_group = 0 : i64, head_dim = 128 : i64, layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.0883883461 : f32} : (tensor<?x4x128xf32>, tensor<?x2x128xf32>, tensor<?x2x128xf32>) -> tensor<?x4x128xf32>
  return %a, %b : tensor<?x4x16xf32>, tensor<?x4x128xf32>
}

// -----

// Head dim 64: 512-byte rows, 32 keys per tile; a windowed layer is tiled the
// same way (its bounds clamp the tile loop at run time).
// CHECK-LABEL: func.func @head_dim_64_windowed
// CHECK: attn.paged_attention {{.*}}split_kv = 512 : i64, tile_kv = 32 : i64, window = 8 : i64}
func.func @head_dim_64_windowed(%q: tensor<?x8x64xf32>, %k: tensor<?x1x64xf32>) -> tensor<?x8x64xf32> {
  %a = attn.paged_attention %q, %k, %k {cache_group = 1 : i64, head_dim = 64 : i64, layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 1 : i64, scale = 1.250000e-01 : f32, window = 8 : i64} : (tensor<?x8x64xf32>, tensor<?x1x64xf32>, tensor<?x1x64xf32>) -> tensor<?x8x64xf32>
  return %a : tensor<?x8x64xf32>
}

// -----

// Must not fire: graph-level attention (before KV-cache insertion) is not tiled.
// CHECK-LABEL: func.func @graph_level_untouched
// CHECK: attn.attention
// CHECK-NOT: tile_kv
func.func @graph_level_untouched(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x2x16xf32>) -> tensor<?x?x4x16xf32> {
  %a = attn.attention %q, %k, %k {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>) -> tensor<?x?x4x16xf32>
  return %a : tensor<?x?x4x16xf32>
}
