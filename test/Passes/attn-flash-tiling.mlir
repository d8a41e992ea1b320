// RUN: attnc-opt %s -split-input-file -attn-flash-tiling | FileCheck %s
// RUN: attnc-opt %s -split-input-file -attn-flash-tiling=target=cuda | FileCheck %s --check-prefix=CUDA
// RUN: not attnc-opt %s -split-input-file -attn-flash-tiling=target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET

// TARGET: unknown target 'tpu' (supported: cpu, cuda)

// Every paged attention becomes a flash_attention whose body is the
// online-softmax loop over KV tiles: the state starts empty, the loop runs
// from the item's first key rounded down to a tile boundary to its last key
// (so fully masked tiles are never visited) and carries (max, sum, acc)
// through load -> scores -> update. Tile sizes: head dim 16 means a K and a
// V row of 128 bytes, so 128 keys fill the 16 KiB budget (the cap).
// CHECK-LABEL: func.func @per_head_dim
// With target=cuda: the CUDA kernels' 64-key tiles whatever the head dim; query blocks and
// flash-decoding splits are left to the planner per step (0).
// CUDA-LABEL: func.func @per_head_dim
// CUDA: attn.flash_attention {{.*}}head_dim = 16 : i64{{.*}}query_block = 0 : i64, scale = 2.500000e-01 : f32, split_kv = 0 : i64, tile_kv = 64 : i64}
// CUDA: attn.load_kv_tile {{.*}} : tensor<64x16xf32>, tensor<64x16xf32>
// CUDA: attn.flash_attention {{.*}}head_dim = 128 : i64{{.*}}query_block = 0 : i64, {{.*}}split_kv = 0 : i64, tile_kv = 64 : i64}
// CHECK-NOT: attn.paged_attention
// CHECK: %[[A:.*]] = attn.flash_attention %{{.*}} {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, query_block = 16 : i64, scale = 2.500000e-01 : f32, split_kv = 512 : i64, tile_kv = 128 : i64}
// CHECK-NEXT: ^bb0(%[[Q:.*]]: tensor<?x16xf32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index):
// CHECK-NEXT:   %[[M0:.*]], %[[L0:.*]], %[[ACC0:.*]] = attn.softmax_state_init %[[Q]] : tensor<?x16xf32> -> tensor<?xf32>, tensor<?xf32>, tensor<?x16xf32>
// CHECK-NEXT:   %[[TILE:.*]] = arith.constant 128 : index
// CHECK-NEXT:   %[[DIV:.*]] = arith.divui %[[BEGIN]], %[[TILE]]
// CHECK-NEXT:   %[[FIRST:.*]] = arith.muli %[[DIV]], %[[TILE]]
// CHECK-NEXT:   %[[S:.*]]:3 = scf.for %[[START:.*]] = %[[FIRST]] to %[[END]] step %[[TILE]] iter_args(%[[M:.*]] = %[[M0]], %[[L:.*]] = %[[L0]], %[[ACC:.*]] = %[[ACC0]])
// CHECK-NEXT:     %[[K:.*]], %[[V:.*]] = attn.load_kv_tile %[[START]] : tensor<128x16xf32>, tensor<128x16xf32>
// CHECK-NEXT:     %[[SC:.*]] = attn.tile_scores %[[Q]], %[[K]] {scale = 2.500000e-01 : f32} : (tensor<?x16xf32>, tensor<128x16xf32>) -> tensor<?x128xf32>
// CHECK-NEXT:     %[[M1:.*]], %[[L1:.*]], %[[ACC1:.*]] = attn.online_softmax %[[SC]], %[[V]], %[[M]], %[[L]], %[[ACC]]
// CHECK-NEXT:     scf.yield %[[M1]], %[[L1]], %[[ACC1]]
// CHECK-NEXT:   }
// CHECK-NEXT:   attn.flash_yield %[[S]]#0, %[[S]]#1, %[[S]]#2
// Head dim 128 gets 16 keys per tile.
// CHECK: attn.flash_attention {{.*}}head_dim = 128 : i64{{.*}}query_block = 16 : i64, scale = 0.0883883461 : f32, split_kv = 512 : i64, tile_kv = 16 : i64}
// CHECK: attn.load_kv_tile {{.*}} : tensor<16x128xf32>, tensor<16x128xf32>
func.func @per_head_dim(%q16: tensor<?x4x16xf32>, %k16: tensor<?x2x16xf32>,
                        %q128: tensor<?x4x128xf32>, %k128: tensor<?x2x128xf32>)
    -> (tensor<?x4x16xf32>, tensor<?x4x128xf32>) {
  %a = attn.paged_attention %q16, %k16, %k16 {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x16xf32>
  %b = attn.paged_attention %q128, %k128, %k128 {cache_group = 0 : i64, head_dim = 128 : i64, layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.0883883461 : f32} : (tensor<?x4x128xf32>, tensor<?x2x128xf32>, tensor<?x2x128xf32>) -> tensor<?x4x128xf32>
  return %a, %b : tensor<?x4x16xf32>, tensor<?x4x128xf32>
}

// -----

// Head dim 64: 512-byte rows, 32 keys per tile. A windowed, softcapped layer:
// the window is an attribute the work items' key bounds honour (the loop is
// the same), and the softcap becomes an attn.logit_softcap of each tile's
// scores before the update.
// CHECK-LABEL: func.func @head_dim_64_windowed_softcap
// CHECK: attn.flash_attention {{.*}}softcap = 3.000000e+01 : f32, split_kv = 512 : i64, tile_kv = 32 : i64, window = 8 : i64}
// CHECK: %[[SC:.*]] = attn.tile_scores
// CHECK-NEXT: %[[CAP:.*]] = attn.logit_softcap %[[SC]] {cap = 3.000000e+01 : f32} : (tensor<?x32xf32>) -> tensor<?x32xf32>
// CHECK-NEXT: attn.online_softmax %[[CAP]],
func.func @head_dim_64_windowed_softcap(%q: tensor<?x8x64xf32>, %k: tensor<?x1x64xf32>) -> tensor<?x8x64xf32> {
  %a = attn.paged_attention %q, %k, %k {cache_group = 1 : i64, head_dim = 64 : i64, layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 1 : i64, scale = 1.250000e-01 : f32, softcap = 30.0 : f32, window = 8 : i64} : (tensor<?x8x64xf32>, tensor<?x1x64xf32>, tensor<?x1x64xf32>) -> tensor<?x8x64xf32>
  return %a : tensor<?x8x64xf32>
}

// -----

// Must not fire: no softcap op for a layer without softcap. A V head dim
// differing from K's sizes the accumulator and the value tile (rows of
// 4 * (16 + 32) bytes: 64 keys per tile).
// CHECK-LABEL: func.func @no_softcap_wide_value
// CHECK: attn.softmax_state_init {{.*}} -> tensor<?xf32>, tensor<?xf32>, tensor<?x32xf32>
// CHECK: attn.load_kv_tile {{.*}} : tensor<64x16xf32>, tensor<64x32xf32>
// CHECK-NOT: attn.logit_softcap
// CHECK: attn.flash_yield
func.func @no_softcap_wide_value(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x32xf32>) -> tensor<?x2x32xf32> {
  %a = attn.paged_attention %q, %k, %v {cache_group = 0 : i64, head_dim = 16 : i64, layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x32xf32>) -> tensor<?x2x32xf32>
  return %a : tensor<?x2x32xf32>
}

// -----

// Must not fire: graph-level attention (before KV-cache insertion) is not tiled.
// CHECK-LABEL: func.func @graph_level_untouched
// CHECK: attn.attention
// CHECK-NOT: attn.flash_attention
// CHECK-NOT: tile_kv
func.func @graph_level_untouched(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x2x16xf32>) -> tensor<?x?x4x16xf32> {
  %a = attn.attention %q, %k, %k {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>) -> tensor<?x?x4x16xf32>
  return %a : tensor<?x?x4x16xf32>
}
