// GPU test of the Step.h layer (attnrt::cuda::Context and the wrappers): a
// small decoder step (embedding, norms, projections, RoPE from inv_freq and
// from tables, KV append, RoPE fused with the KV append, paged attention over
// two cache groups with three layers, elementwise ops, copies, logit gather,
// LM head, copy_logits) run
// through the wrappers is compared bit-exactly with the same kernels called
// through the C API on metadata uploaded by hand; then the error paths:
// out-of-vocabulary ids, bad logit tokens, an unsupported head size (sticky:
// later wrappers do nothing), and a clean step after them. CUDA graphs of
// decode steps over model-dtype, int8 and fp8 caches (fixed plans of a
// quantized cache). The device fp8 encoding (cuda_fp8.h's
// __nv_cvt_float_to_fp8, as the appends use it) against
// kvquant::float_to_e4m3 on every f32 value in [-448, 448].
// Exit: 0 pass, 1 fail, 77 no GPU (ctest SKIP_RETURN_CODE).
#include "Step.h"
#include "KVQuant.cuh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace rt = attnrt::cuda;

namespace {

int failures = 0;
void expect(bool ok, const char *dtype, const std::string &what) {
  if (!ok) {
    ++failures;
    std::printf("FAIL %s: %s\n", dtype, what.c_str());
  } else {
    std::printf("ok   %s: %s\n", dtype, what.c_str());
  }
}

#define CK(call)                                                                                   \
  do {                                                                                             \
    cudaError_t e_ = (call);                                                                       \
    if (e_ != cudaSuccess) {                                                                       \
      std::printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__);        \
      std::exit(1);                                                                                \
    }                                                                                              \
  } while (0)
#define CAPI(call)                                                                                 \
  do {                                                                                             \
    if ((call) != 0) {                                                                             \
      std::printf("C API error at %s:%d: %s\n", __FILE__, __LINE__, err);                          \
      std::exit(1);                                                                                \
    }                                                                                              \
  } while (0)

template <typename T> std::vector<T> random_vec(std::mt19937 &g, size_t n, float scale) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<T> v(n);
  for (auto &x : v)
    x = T(d(g));
  return v;
}

template <typename E> E *dev(const std::vector<E> &h) {
  E *d = nullptr;
  CK(cudaMalloc(&d, sizeof(E) * (h.empty() ? 1 : h.size())));
  if (!h.empty())
    CK(cudaMemcpy(d, h.data(), sizeof(E) * h.size(), cudaMemcpyHostToDevice));
  return d;
}

template <typename E> std::vector<E> host(const E *d, size_t n) {
  std::vector<E> h(n);
  CK(cudaMemcpy(h.data(), d, sizeof(E) * n, cudaMemcpyDeviceToHost));
  return h;
}

template <typename E> bool same(const E *a, const E *b, size_t n) { // bytes: no host operator==
  const std::vector<E> ha = host(a, n), hb = host(b, n);
  return std::memcmp(ha.data(), hb.data(), sizeof(E) * n) == 0;
}

// Model dimensions: 2 query heads of 64 over 1 kv head (GQA group 2).
constexpr int D = 128, H = 2, KVH = 1, HD = 64, ROT = 32, V = 50, P = 16, F = 96, ROWS = 512;
constexpr int LAYERS = 3, PAGES = 24, BPS = 4;
constexpr int64_t PAGE_ELEMS = int64_t(P) * KVH * 2 * HD;

// Weights (device) and the step (host).
template <typename T> struct Model {
  T *table, *wq, *wk, *wv, *wg, *wlm;
  float *norm_w, *ln_b, *inv_freq, *cos, *sin;
};

struct Step {
  std::vector<int32_t> ids, pos, qs, ctx, tables[2], logit_tokens;
};

Step make_step() {
  Step s;
  // seq 0: prompt of 20 tokens from 0; seq 1: one decode token at position 40.
  for (int t = 0; t < 20; ++t)
    s.ids.push_back((t * 7 + 3) % V), s.pos.push_back(t);
  s.ids.push_back(11), s.pos.push_back(40);
  s.qs = {0, 20, 21};
  s.ctx = {20, 41};
  // Group 0 (full): pages 0..1 / 5..7; group 1 (window 8): page -1 below the window.
  s.tables[0] = {0, 1, -1, -1, 5, 6, 7, -1};
  s.tables[1] = {10, 11, -1, -1, -1, 12, 13, -1};
  s.logit_tokens = {19, 20};
  return s;
}

attnc_step_args args_of(Step &s, const int32_t *const *tables, void *const *caches, float *logits) {
  attnc_step_args a{};
  a.num_tokens = int32_t(s.ids.size());
  a.token_ids = s.ids.data();
  a.positions = s.pos.data();
  a.num_seqs = 2;
  a.query_start = s.qs.data();
  a.context_len = s.ctx.data();
  a.blocks_per_seq = BPS;
  a.block_tables = tables;
  a.layer_cache = caches;
  a.num_logits = int32_t(s.logit_tokens.size());
  a.logit_tokens = s.logit_tokens.data();
  a.logits = logits;
  return a;
}

// Activations of one run (device).
template <typename T> struct Buffers {
  T *x, *xn, *q, *k, *v, *att, *h, *gu, *act, *sel, *lg, *tmp;
  static Buffers make(int Tn, int N) {
    Buffers b;
    auto al = [](size_t n) {
      T *p;
      CK(cudaMalloc(&p, sizeof(T) * n));
      CK(cudaMemset(p, 0xff, sizeof(T) * n)); // NaN
      return p;
    };
    b.x = al(Tn * D), b.xn = al(Tn * D), b.q = al(Tn * H * HD), b.k = al(Tn * KVH * HD);
    b.v = al(Tn * KVH * HD), b.att = al(Tn * H * HD), b.h = al(Tn * D), b.gu = al(Tn * 2 * F);
    b.act = al(Tn * F), b.sel = al(N * D), b.lg = al(N * V), b.tmp = al(Tn * D);
    return b;
  }
};

// The step through the wrappers.
template <typename T, rt::KvType KV = rt::KvType::Model>
void run_wrapped(rt::Context &ctx, const Model<T> &m, const attnc_step_args *a, Buffers<T> &b) {
  const int64_t Tn = a->num_tokens;
  rt::embedding(ctx, a->token_ids, Tn, m.table, V, D, 1.0f, b.x);
  rt::rms_norm(ctx, b.x, m.norm_w, 0.0f, 1e-6f, Tn, D, b.xn);
  for (int l = 0; l < LAYERS; ++l) {
    const int group = l == 1 ? 1 : 0;
    rt::linear(ctx, b.xn, Tn, D, m.wq, static_cast<const T *>(nullptr), H * HD, b.q);
    rt::linear(ctx, b.xn, Tn, D, m.wk, static_cast<const T *>(nullptr), KVH * HD, b.k);
    rt::linear(ctx, b.xn, Tn, D, m.wv, m.wq, KVH * HD, b.v); // any bias of the right size
    if (l == 2) { // keys rotated into the cache, the query in place: one launch
      rt::rope_kv_append<T, P, HD, HD, ROT, rt::RopeStyle::HalfSplit, KV>(
          ctx, b.q, H, b.k, b.v, Tn, a->positions, m.inv_freq, a->num_seqs, a->query_start,
          a->block_tables[group], a->blocks_per_seq, a->layer_cache[l], KVH);
    } else {
      rt::rope<T, HD, ROT, rt::RopeStyle::HalfSplit>(ctx, b.q, Tn, H, a->positions, m.inv_freq);
      rt::rope_from_table<T, HD, ROT, rt::RopeStyle::Interleaved>(ctx, b.k, Tn, KVH, a->positions,
                                                                  m.cos, m.sin, ROWS);
      rt::kv_append<T, P, HD, HD, KV>(ctx, b.k, b.v, Tn, a->positions, a->num_seqs,
                                      a->query_start, a->block_tables[group], a->blocks_per_seq,
                                      a->layer_cache[l], KVH);
    }
    rt::PagedAttentionArgs<T> pa;
    pa.query = b.q;
    pa.out = b.att;
    pa.num_tokens = Tn;
    pa.positions = a->positions;
    pa.num_seqs = a->num_seqs;
    pa.query_start = a->query_start;
    pa.context_len = a->context_len;
    pa.block_table = a->block_tables[group];
    pa.blocks_per_seq = a->blocks_per_seq;
    pa.layer_cache = a->layer_cache[l];
    pa.num_kv_heads = KVH;
    pa.scale = 0.125f;
    pa.window = group == 1 ? 8 : 0;
    pa.softcap = l == 2 ? 20.0f : 0.0f;
    rt::paged_attention<T, HD, HD, H / KVH, P, KV>(ctx, pa);
    rt::residual_add_scaled(ctx, b.x, b.att, b.x, Tn * D, 0.5f);
    rt::layer_norm(ctx, b.x, m.norm_w, m.ln_b, 1e-5f, Tn, D, b.xn);
  }
  rt::linear(ctx, b.xn, Tn, D, m.wg, static_cast<const T *>(nullptr), 2 * F, b.gu);
  rt::gated_activation_fused<rt::Activation::Silu>(ctx, b.gu, b.act, Tn, F);
  rt::activation<rt::Activation::GeluTanh>(ctx, b.act, b.act, Tn * F);
  rt::copy_rows(ctx, b.act, F, b.h, D, Tn, F);          // h[:, :F] = act
  rt::copy_rows(ctx, b.x + F, D, b.h + F, D, Tn, D - F); // h[:, F:] = x[:, F:]
  rt::residual_add(ctx, b.h, b.x, b.h, Tn * D);
  rt::residual_add_rms_norm(ctx, b.h, b.x, m.norm_w, 1.0f, 1e-6f, Tn, D, b.tmp, b.xn);
  rt::copy(ctx, b.h, b.xn, Tn * D);
  rt::gather_rows(ctx, b.h, Tn, a->logit_tokens, a->num_logits, D, b.sel);
  rt::linear(ctx, b.sel, a->num_logits, D, m.wlm, static_cast<const T *>(nullptr), V, b.lg);
  rt::scale_inplace(ctx, b.lg, int64_t(a->num_logits) * V, 0.8f);
  rt::softcap(ctx, b.lg, int64_t(a->num_logits) * V, 3.0f);
  rt::logits_out(ctx, a, b.lg, a->num_logits, V); // greedy tokens where a->argmax asks
}

// The same step on the C API, metadata uploaded by hand.
template <typename T>
void run_direct(const Model<T> &m, Step &s, void *const *caches, Buffers<T> &b, float *logits) {
  char err[512] = {};
  const int32_t dt = std::is_same_v<T, __half> ? ATTNC_CUDA_F16 : ATTNC_CUDA_BF16;
  const int Tn = int(s.ids.size()), N = int(s.logit_tokens.size());
  int32_t *ids = dev(s.ids), *pos = dev(s.pos), *qs = dev(s.qs), *ctxl = dev(s.ctx),
          *tab[2] = {dev(s.tables[0]), dev(s.tables[1])}, *lt = dev(s.logit_tokens);
  int32_t *bad = dev(std::vector<int32_t>(2, 0));
  attnc_cuda_linear_ctx *lin;
  CAPI(attnc_cuda_linear_create(0, &lin, err, sizeof(err)));
  cudaStream_t st = nullptr;
  CAPI(attnc_cuda_embedding(dt, ids, Tn, m.table, V, D, 1.0f, b.x, bad, st, err, 512));
  CAPI(attnc_cuda_rms_norm(dt, b.x, m.norm_w, 0.0f, 1e-6f, Tn, D, b.xn, st, err, 512));
  attnc_cuda_attention_plan *plans[2] = {};
  for (int g = 0; g < 2; ++g) {
    attnc_cuda_attention_config c{dt, HD, KVH, H / KVH, P, 1, g == 1 ? 8 : 0, 0, ATTNC_CUDA_KV_MODEL};
    CAPI(attnc_cuda_attention_plan_create(&c, 2, s.qs.data(), s.ctx.data(), s.pos.data(),
                                          &plans[g], err, 512));
  }
  for (int l = 0; l < LAYERS; ++l) {
    const int group = l == 1 ? 1 : 0;
    CAPI(attnc_cuda_linear(lin, dt, b.xn, Tn, D, m.wq, nullptr, H * HD, b.q, st, err, 512));
    CAPI(attnc_cuda_linear(lin, dt, b.xn, Tn, D, m.wk, nullptr, KVH * HD, b.k, st, err, 512));
    CAPI(attnc_cuda_linear(lin, dt, b.xn, Tn, D, m.wv, m.wq, KVH * HD, b.v, st, err, 512));
    if (l == 2) {
      CAPI(attnc_cuda_rope_kv_append(dt, ATTNC_CUDA_ROPE_HALF_SPLIT, HD, ROT, H, KVH, Tn, pos,
                                     m.inv_freq, b.q, H * HD, nullptr, 0, b.k, KVH * HD, b.v,
                                     KVH * HD, 2, qs,
                                     tab[group], BPS, P, ATTNC_CUDA_KV_MODEL, caches[l], st, err,
                                     512));
    } else {
      CAPI(attnc_cuda_rope_kv_append(dt, ATTNC_CUDA_ROPE_HALF_SPLIT, HD, ROT, H, 0, Tn, pos,
                                     m.inv_freq, b.q, H * HD, nullptr, 0, nullptr, 0, nullptr, 0,
                                     0, nullptr,
                                     nullptr, 0, 0, ATTNC_CUDA_KV_MODEL, nullptr, st, err, 512));
      CAPI(attnc_cuda_rope_table(dt, ATTNC_CUDA_ROPE_INTERLEAVED, HD, ROT, KVH, Tn, pos, m.cos,
                                 m.sin, ROWS, b.k, KVH * HD, bad, st, err, 512));
      CAPI(attnc_cuda_kv_append(2, HD, HD, KVH, P, b.k, b.v, Tn, pos, 2, qs, tab[group], BPS,
                                caches[l], st, err, 512));
    }
    attnc_cuda_attention_args aa{b.q, b.att, pos, ctxl, tab[group], BPS, caches[l], 0.125f,
                                 l == 2 ? 20.0f : 0.0f};
    CAPI(attnc_cuda_paged_attention(plans[group], &aa, st, err, 512));
    CAPI(attnc_cuda_add_scaled(dt, b.x, b.att, 0.5f, b.x, int64_t(Tn) * D, st, err, 512));
    CAPI(attnc_cuda_layer_norm(dt, b.x, m.norm_w, m.ln_b, 1e-5f, Tn, D, b.xn, st, err, 512));
  }
  CAPI(attnc_cuda_linear(lin, dt, b.xn, Tn, D, m.wg, nullptr, 2 * F, b.gu, st, err, 512));
  CAPI(attnc_cuda_gated_activation(dt, ATTNC_CUDA_ACT_SILU, b.gu, 2 * F, b.gu + F, 2 * F, b.act,
                                   Tn, F, st, err, 512));
  CAPI(attnc_cuda_activation(dt, ATTNC_CUDA_ACT_GELU_TANH, b.act, b.act, int64_t(Tn) * F, st, err,
                             512));
  CK(cudaMemcpy2D(b.h, D * sizeof(T), b.act, F * sizeof(T), F * sizeof(T), Tn,
                  cudaMemcpyDeviceToDevice));
  CK(cudaMemcpy2D(b.h + F, D * sizeof(T), b.x + F, D * sizeof(T), (D - F) * sizeof(T), Tn,
                  cudaMemcpyDeviceToDevice));
  CAPI(attnc_cuda_add_scaled(dt, b.h, b.x, 1.0f, b.h, int64_t(Tn) * D, st, err, 512));
  CAPI(attnc_cuda_residual_add_rms_norm(dt, b.h, b.x, m.norm_w, 1.0f, 1e-6f, Tn, D, b.tmp, b.xn,
                                        st, err, 512));
  CK(cudaMemcpy(b.h, b.xn, sizeof(T) * Tn * D, cudaMemcpyDeviceToDevice));
  CAPI(attnc_cuda_gather_rows(2, b.h, Tn, lt, N, D, b.sel, bad, st, err, 512));
  CAPI(attnc_cuda_linear(lin, dt, b.sel, N, D, m.wlm, nullptr, V, b.lg, st, err, 512));
  CAPI(attnc_cuda_scale(dt, b.lg, 0.8f, b.lg, int64_t(N) * V, st, err, 512));
  CAPI(attnc_cuda_softcap(dt, b.lg, 3.0f, b.lg, int64_t(N) * V, st, err, 512));
  float *lf;
  CK(cudaMalloc(&lf, sizeof(float) * N * V));
  CAPI(attnc_cuda_to_f32(dt, b.lg, lf, int64_t(N) * V, st, err, 512));
  CK(cudaMemcpy(logits, lf, sizeof(float) * N * V, cudaMemcpyDeviceToHost));
  CK(cudaDeviceSynchronize());
  for (auto *p : plans)
    attnc_cuda_attention_plan_destroy(p);
  attnc_cuda_linear_destroy(lin);
  for (void *p : {(void *)ids, (void *)pos, (void *)qs, (void *)ctxl, (void *)tab[0],
                  (void *)tab[1], (void *)lt, (void *)bad, (void *)lf})
    CK(cudaFree(p));
}

// Random weights, owned by `ctx`.
template <typename T> Model<T> make_model(rt::Context *ctx, std::mt19937 &g) {
  Model<T> m;
  m.table = ctx->alloc_upload(random_vec<T>(g, V * D, 1.0f).data(), V * D);
  m.wq = ctx->alloc_upload(random_vec<T>(g, H * HD * D, 0.09f).data(), H * HD * D);
  m.wk = ctx->alloc_upload(random_vec<T>(g, KVH * HD * D, 0.09f).data(), KVH * HD * D);
  m.wv = ctx->alloc_upload(random_vec<T>(g, KVH * HD * D, 0.09f).data(), KVH * HD * D);
  m.wg = ctx->alloc_upload(random_vec<T>(g, 2 * F * D, 0.09f).data(), 2 * F * D);
  m.wlm = ctx->alloc_upload(random_vec<T>(g, V * D, 0.09f).data(), V * D);
  std::vector<float> nw = random_vec<float>(g, D, 0.1f), lb = random_vec<float>(g, D, 0.1f);
  for (float &w : nw)
    w += 1.0f;
  m.norm_w = ctx->alloc_upload(nw.data(), D);
  m.ln_b = static_cast<float *>(ctx->upload(lb.data(), sizeof(float) * D));
  std::vector<float> inv(ROT / 2), cs(ROWS * ROT / 2), sn(ROWS * ROT / 2);
  rt::rope_inv_freq(10000.0, ROT, inv.data());
  for (int p = 0; p < ROWS; ++p)
    for (int i = 0; i < ROT / 2; ++i)
      cs[p * ROT / 2 + i] = std::cos(p * inv[i]), sn[p * ROT / 2 + i] = std::sin(p * inv[i]);
  m.inv_freq = ctx->alloc_upload(inv.data(), inv.size());
  m.cos = ctx->alloc_upload(cs.data(), cs.size());
  m.sin = ctx->alloc_upload(sn.data(), sn.size());
  return m;
}

template <typename T> void run(const char *name) {
  std::mt19937 g(1234);
  char err[512] = {};
  std::unique_ptr<rt::Context> ctx = rt::Context::create(err, sizeof(err), 2, P);
  expect(ctx != nullptr, name, std::string("create ") + err);
  if (!ctx)
    return;
  const Model<T> m = make_model<T>(ctx.get(), g);
  expect(!ctx->failed(), name, "weights uploaded");

  // Caches: NaN except seq 1's 40 earlier positions (random), identical for both runs.
  std::vector<T> cache0(size_t(PAGES) * PAGE_ELEMS, T(NAN));
  {
    std::vector<T> r = random_vec<T>(g, cache0.size(), 1.0f);
    const int32_t pages[2][3] = {{5, 6, 7}, {-1, 12, 13}};
    for (int gi = 0; gi < 2; ++gi)
      for (int p = 0; p < 40; ++p) {
        const int32_t page = pages[gi][p / P];
        if (page < 0)
          continue;
        for (int kv = 0; kv < 2; ++kv)
          for (int e = 0; e < KVH * HD; ++e) {
            const size_t at = size_t(page) * PAGE_ELEMS + size_t(kv) * P * KVH * HD +
                              size_t(p % P) * KVH * HD + e;
            cache0[at] = r[at];
          }
      }
  }
  // pages[] above maps position blocks 0..2 of seq 1; block 0 of group 1 is released.
  void *caches_a[LAYERS], *caches_b[LAYERS];
  for (int l = 0; l < LAYERS; ++l) {
    caches_a[l] = dev(cache0);
    caches_b[l] = dev(cache0);
  }

  Step s = make_step();
  const int N = int(s.logit_tokens.size()), Tn = int(s.ids.size());
  std::vector<float> logits_a(N * V, -7.0f), logits_b(N * V, -9.0f);
  const int32_t *tables_host[2] = {s.tables[0].data(), s.tables[1].data()};

  // 1. the wrapped step vs the direct one.
  Buffers<T> ba = Buffers<T>::make(Tn, N), bb = Buffers<T>::make(Tn, N);
  attnc_step_args ha = args_of(s, tables_host, caches_a, logits_a.data());
  const attnc_step_args *a = ctx->begin_step(&ha);
  expect(a != nullptr, name, std::string("begin_step ") + ctx->error());
  if (!a)
    return;
  expect(a->token_ids != ha.token_ids && a->logits == ha.logits &&
             a->layer_cache == ha.layer_cache && &ctx->host() != a &&
             ctx->host().token_ids == ha.token_ids,
         name, "begin_step: device arrays, logits and caches passed through, host() kept");
  run_wrapped(*ctx, m, a, ba);
  int rc = ctx->end_step(err, sizeof(err));
  expect(rc == 0, name, std::string("wrapped step end_step: ") + (rc ? err : "0"));
  run_direct(m, s, caches_b, bb, logits_b.data());
  bool finite = true;
  for (float f : logits_a)
    finite = finite && std::isfinite(f);
  expect(finite, name, "logits finite");
  expect(std::memcmp(logits_a.data(), logits_b.data(), sizeof(float) * N * V) == 0, name,
         "logits bit-identical to the C API run");
  bool caches_same = true;
  for (int l = 0; l < LAYERS; ++l)
    caches_same = caches_same && same(static_cast<T *>(caches_a[l]),
                                      static_cast<T *>(caches_b[l]), cache0.size());
  expect(caches_same, name, "KV caches bit-identical to the C API run");
  const bool h_same = same(ba.h, bb.h, size_t(Tn) * D);
  expect(h_same, name, "hidden states bit-identical");

  // 2. a token id outside the vocabulary.
  Step bad_ids = make_step();
  bad_ids.ids[3] = V;
  attnc_step_args hb = args_of(bad_ids, tables_host, caches_a, logits_a.data());
  a = ctx->begin_step(&hb);
  expect(a != nullptr, name, "begin_step accepts ids (checked on the device)");
  if (a)
    run_wrapped(*ctx, m, a, ba);
  rc = ctx->end_step(err, sizeof(err));
  expect(rc != 0 && std::strstr(err, "a token id is outside the vocabulary"), name,
         std::string("bad token id: ") + err);

  // 3. logit token outside the step: refused up front.
  Step bad_logit = make_step();
  bad_logit.logit_tokens[1] = Tn;
  attnc_step_args hc = args_of(bad_logit, tables_host, caches_a, logits_a.data());
  a = ctx->begin_step(&hc);
  rc = ctx->end_step(err, sizeof(err));
  expect(a == nullptr && rc != 0 && std::strstr(err, "logit token"), name,
         std::string("bad logit token: ") + err);

  // 4. unsupported head size: recorded, later wrappers skipped.
  attnc_step_args hd = args_of(s, tables_host, caches_a, logits_a.data());
  a = ctx->begin_step(&hd);
  std::vector<float> sentinel(N * V, -5.0f);
  if (a) {
    rt::PagedAttentionArgs<T> pa{};
    pa.positions = a->positions, pa.query_start = a->query_start,
    pa.context_len = a->context_len, pa.num_seqs = a->num_seqs, pa.num_tokens = a->num_tokens;
    rt::paged_attention<T, 96, 96, 1, P>(*ctx, pa);
    rt::copy_logits(*ctx, sentinel.data(), ba.lg, int64_t(N) * V);
  }
  rc = ctx->end_step(err, sizeof(err));
  expect(rc != 0 && std::strstr(err, "paged_attention") && std::strstr(err, "head_dim") &&
             sentinel[0] == -5.0f,
         name, std::string("unsupported head_dim, sticky: ") + err);

  // 5. position outside the pages: refused up front.
  Step bad_pos = make_step();
  bad_pos.tables[1][1 * BPS + 2] = -1; // seq 1, position 40: block 2
  attnc_step_args he = args_of(bad_pos, tables_host, caches_a, logits_a.data());
  const int32_t *tables_bad[2] = {bad_pos.tables[0].data(), bad_pos.tables[1].data()};
  he.block_tables = tables_bad;
  a = ctx->begin_step(&he);
  rc = ctx->end_step(err, sizeof(err));
  expect(a == nullptr && rc != 0 && std::strstr(err, "no page"), name,
         std::string("unallocated page: ") + err);

  // 6. a clean step after the errors gives the same logits (caches rewritten
  // with the same K/V).
  std::vector<float> logits_c(N * V, -3.0f);
  attnc_step_args hf = args_of(s, tables_host, caches_b, logits_c.data());
  for (int l = 0; l < LAYERS; ++l)
    CK(cudaMemcpy(caches_b[l], cache0.data(), sizeof(T) * cache0.size(), cudaMemcpyHostToDevice));
  a = ctx->begin_step(&hf);
  if (a)
    run_wrapped(*ctx, m, a, bb);
  rc = ctx->end_step(err, sizeof(err));
  expect(rc == 0 && std::memcmp(logits_c.data(), logits_b.data(), sizeof(float) * N * V) == 0,
         name, std::string("clean step after errors: ") + (rc ? err : "same logits"));

  for (int l = 0; l < LAYERS; ++l) {
    CK(cudaFree(caches_a[l]));
    CK(cudaFree(caches_b[l]));
  }
}

// Block tables of two sequences in both cache groups, `gb` pages each, no
// page shared (group g, sequence s: pages (2g + s) * gb onwards).
struct DistinctTables {
  std::vector<int32_t> rows[2];
  const int32_t *host[2];
  explicit DistinctTables(int gb) {
    for (int grp = 0; grp < 2; ++grp) {
      for (int s = 0; s < 2; ++s)
        for (int b = 0; b < gb; ++b)
          rows[grp].push_back((grp * 2 + s) * gb + b);
      host[grp] = rows[grp].data();
    }
  }
  DistinctTables(const DistinctTables &) = delete;
  DistinctTables &operator=(const DistinctTables &) = delete;
};

// CUDA graphs: decode steps through run_step on a context with graphs (a
// shape's second step captured, later ones replayed) against an eager
// context, bit for bit, while one sequence's keys cross a flash-decoding
// split (the plan's items change between replays), the logits pointer
// changes every step, and a prefill step with more logit rows (a larger
// logits buffer: graphs captured again) runs eagerly in between. A third
// context with graphs is asked for greedy tokens instead (attnc_step_args
// .argmax): they must equal the first maximum of the eager context's rows.
// A quantized cache (KV) starts with finite codes and scales 0.01.
template <typename T, rt::KvType KV = rt::KvType::Model> void graphs(const char *name) {
  constexpr int GB = 40, GPAGES = 2 * 2 * GB; // 640 keys a sequence; 2 sequences x 2 groups
  std::mt19937 g(77);
  char err[512] = {};
  std::unique_ptr<rt::Context> eager = rt::Context::create(err, sizeof(err), 2, P);
  std::unique_ptr<rt::Context> graphed = rt::Context::create(err, sizeof(err), 2, P, LAYERS);
  std::unique_ptr<rt::Context> greedy = rt::Context::create(err, sizeof(err), 2, P, LAYERS);
  expect(eager && graphed && greedy, name, std::string("graphs: create ") + err);
  if (!eager || !graphed || !greedy)
    return;
  const Model<T> m = make_model<T>(eager.get(), g); // device pointers serve both contexts
  std::vector<T> model0 = random_vec<T>(g, size_t(GPAGES) * PAGE_ELEMS, 1.0f);
  std::vector<uint8_t> cache0(reinterpret_cast<const uint8_t *>(model0.data()),
                              reinterpret_cast<const uint8_t *>(model0.data() + model0.size()));
  if constexpr (KV != rt::KvType::Model) {
    const int64_t page = attnrt::kvquant::page_bytes(KV, P, KVH, HD, HD, sizeof(T));
    const int64_t codes = int64_t(P) * KVH * 2 * HD;
    cache0.assign(size_t(GPAGES * page), 0);
    for (int64_t p = 0; p < GPAGES; ++p) {
      for (int64_t i = 0; i < codes; ++i)
        cache0[p * page + i] = uint8_t(g() & 0xF7); // never 0x7F / 0xFF (fp8 NaN)
      for (int64_t i = codes; i < page; i += 4) {
        const float s = 0.01f;
        std::memcpy(&cache0[p * page + i], &s, 4);
      }
    }
  }
  void *caches_e[LAYERS], *caches_g[LAYERS], *caches_a[LAYERS];
  for (int l = 0; l < LAYERS; ++l)
    caches_e[l] = dev(cache0), caches_g[l] = dev(cache0), caches_a[l] = dev(cache0);
  const DistinctTables tables(GB);
  const int32_t *const *tables_host = tables.host;
  Buffers<T> be = Buffers<T>::make(3, 3), bg = Buffers<T>::make(3, 3),
             ba = Buffers<T>::make(3, 3);

  int32_t pos[2] = {253, 37}; // sequence 0: 257 keys (two slices) from the fourth step
  bool all_same = true, argmax_same = true;
  for (int step = 0; step < 8; ++step) {
    const bool prefill = step == 4; // sequence 0 brings two tokens, every token's logits
    Step st;
    for (int s = 0; s < 2; ++s) {
      const int n = prefill && s == 0 ? 2 : 1;
      st.qs.push_back(int32_t(st.ids.size()));
      for (int i = 0; i < n; ++i)
        st.ids.push_back((step * 13 + s * 5 + i) % V), st.pos.push_back(pos[s]++);
      st.ctx.push_back(pos[s]);
    }
    st.qs.push_back(int32_t(st.ids.size()));
    for (int t = 0; t < int(st.ids.size()); ++t)
      if (prefill || t == st.qs[1] - 1 || t == st.qs[2] - 1)
        st.logit_tokens.push_back(t);
    const size_t nl = st.logit_tokens.size() * V;
    std::vector<float> logits_e(nl, -1.0f), logits_g(nl, -2.0f); // a new pointer every step
    std::vector<int32_t> tokens(st.logit_tokens.size(), -7);
    for (int which = 0; which < 3; ++which) {
      rt::Context *ctx = which == 2 ? greedy.get() : which ? graphed.get() : eager.get();
      Buffers<T> *b = which == 2 ? &ba : which ? &bg : &be;
      attnc_step_args h = args_of(st, tables_host, which == 2 ? caches_a : which ? caches_g : caches_e,
                                  which == 2 ? nullptr : which ? logits_g.data() : logits_e.data());
      h.argmax = which == 2 ? tokens.data() : nullptr;
      h.blocks_per_seq = GB;
      const attnc_step_args *a = ctx->begin_step(&h);
      int rc = a ? ctx->run_step([&] {
        run_wrapped<T, KV>(*ctx, m, a, *b);
        return 0;
      })
                 : 1;
      rc = ctx->end_step(err, sizeof(err)) || rc;
      if (rc)
        std::printf("  step %d: %s\n", step, err);
      all_same = all_same && rc == 0;
    }
    all_same = all_same && std::memcmp(logits_e.data(), logits_g.data(), sizeof(float) * nl) == 0;
    for (size_t r = 0; r < tokens.size(); ++r) {
      const float *row = logits_e.data() + r * V;
      argmax_same = argmax_same && tokens[r] == int32_t(std::max_element(row, row + V) - row);
    }
  }
  expect(argmax_same, name, "graphs: greedy tokens equal the eager logits' first maxima");
  expect(all_same, name, "graphs: 8 steps' logits bit-identical to the eager context");
  bool caches_same = true;
  for (int l = 0; l < LAYERS; ++l)
    caches_same = caches_same && same(static_cast<uint8_t *>(caches_e[l]),
                                      static_cast<uint8_t *>(caches_g[l]), cache0.size());
  expect(caches_same, name, "graphs: KV caches bit-identical");
  bool greedy_caches_same = true;
  for (int l = 0; l < LAYERS; ++l)
    greedy_caches_same = greedy_caches_same && same(static_cast<uint8_t *>(caches_e[l]),
                                                    static_cast<uint8_t *>(caches_a[l]),
                                                    cache0.size());
  expect(greedy_caches_same, name, "graphs: greedy context's KV caches bit-identical");
  const rt::Context::GraphStats as = greedy->graph_stats();
  expect(as.captured == 2 && as.replayed == 4 && as.fell_back == 0, name,
         "graphs, greedy tokens: captured " + std::to_string(as.captured) + " (2), replayed " +
             std::to_string(as.replayed) + " (4), fell back " + std::to_string(as.fell_back));
  const rt::Context::GraphStats gs = graphed->graph_stats(), es = eager->graph_stats();
  expect(gs.captured == 2 && gs.replayed == 4 && gs.fell_back == 0 && es.captured == 0 &&
             es.replayed == 0,
         name,
         "graphs: captured " + std::to_string(gs.captured) + " (2), replayed " +
             std::to_string(gs.replayed) + " (4), fell back " + std::to_string(gs.fell_back) +
             "; eager context none");
  for (int l = 0; l < LAYERS; ++l) {
    CK(cudaFree(caches_e[l]));
    CK(cudaFree(caches_g[l]));
    CK(cudaFree(caches_a[l]));
  }
}

// Overlapped steps (ModelABI.h, ATTNC_FEATURE_OVERLAP): greedy decodes on a
// context with graphs, each step submitted before the one before it is
// finished and taking its tokens from that step's greedy tokens on the
// device (token_source), against the same decodes one at a time with the
// tokens read back and passed as token_ids: the same greedy tokens and
// bit-identical caches, while the steps are captured and replayed. Then the
// misuses are refused with their reason: a third step submitted, a
// token_source row the step before does not have, finish with nothing
// submitted.
template <typename T> void overlapped(const char *name) {
  constexpr int GB = 40, GPAGES = 2 * 2 * GB, STEPS = 12;
  std::mt19937 g(91);
  char err[512] = {};
  std::unique_ptr<rt::Context> one = rt::Context::create(err, sizeof(err), 2, P, LAYERS);
  std::unique_ptr<rt::Context> ahead = rt::Context::create(err, sizeof(err), 2, P, LAYERS);
  expect(one && ahead, name, std::string("overlapped: create ") + err);
  if (!one || !ahead)
    return;
  const Model<T> m = make_model<T>(one.get(), g);
  std::vector<T> model0 = random_vec<T>(g, size_t(GPAGES) * PAGE_ELEMS, 1.0f);
  std::vector<uint8_t> cache0(reinterpret_cast<const uint8_t *>(model0.data()),
                              reinterpret_cast<const uint8_t *>(model0.data() + model0.size()));
  void *caches_o[LAYERS], *caches_a[LAYERS];
  for (int l = 0; l < LAYERS; ++l)
    caches_o[l] = dev(cache0), caches_a[l] = dev(cache0);
  const DistinctTables tables(GB);
  const int32_t *const *tables_host = tables.host;
  Buffers<T> bo = Buffers<T>::make(2, 2), ba = Buffers<T>::make(2, 2);
  const int32_t first[2] = {7, 23}, start[2] = {250, 60}; // sequence 0 crosses 256 keys
  auto decode = [&](int step, const int32_t ids[2]) {
    Step st;
    for (int s = 0; s < 2; ++s) {
      st.qs.push_back(s);
      st.ids.push_back(ids[s]);
      st.pos.push_back(start[s] + step);
      st.ctx.push_back(start[s] + step + 1);
    }
    st.qs.push_back(2);
    st.logit_tokens = {0, 1};
    return st;
  };
  auto run = [&](rt::Context &ctx, Buffers<T> &b, Step &st, void *const *caches, int32_t *out,
                 const int32_t *source) {
    attnc_step_args h = args_of(st, tables_host, caches, nullptr);
    h.argmax = out;
    h.token_source = source;
    h.blocks_per_seq = GB;
    const attnc_step_args *a = ctx.begin_step(&h);
    if (!a)
      return ctx.submit_step(err, sizeof(err));
    const int rc = ctx.run_step([&] {
      run_wrapped<T>(ctx, m, a, b);
      return 0;
    });
    return rc ? rc : ctx.submit_step(err, sizeof(err));
  };

  // One at a time: each step's tokens read back before the next.
  std::vector<std::vector<int32_t>> want(STEPS, std::vector<int32_t>(2, -9));
  bool ok = true;
  for (int step = 0; step < STEPS; ++step) {
    Step st = decode(step, step ? want[step - 1].data() : first);
    ok = ok && run(*one, bo, st, caches_o, want[step].data(), nullptr) == 0 &&
         one->finish_step(err, sizeof(err)) == 0;
  }
  expect(ok, name, std::string("overlapped: steps one at a time: ") + err);

  // Ahead: step k + 1 submitted before step k is finished.
  std::vector<std::vector<int32_t>> got(STEPS, std::vector<int32_t>(2, -9));
  const int32_t source[2] = {0, 1};
  std::vector<Step> steps;
  for (int step = 0; step < STEPS; ++step)
    steps.push_back(decode(step, first)); // ids of later steps are placeholders
  ok = run(*ahead, ba, steps[0], caches_a, got[0].data(), nullptr) == 0;
  for (int step = 1; ok && step < STEPS; ++step)
    ok = run(*ahead, ba, steps[step], caches_a, got[step].data(), source) == 0 &&
         ahead->finish_step(err, sizeof(err)) == 0;
  ok = ok && ahead->finish_step(err, sizeof(err)) == 0;
  expect(ok, name, std::string("overlapped: steps queued ahead: ") + err);
  expect(got == want, name, "overlapped: greedy tokens equal the steps run one at a time");
  bool caches_same = true;
  for (int l = 0; l < LAYERS; ++l)
    caches_same = caches_same && same(static_cast<uint8_t *>(caches_o[l]),
                                      static_cast<uint8_t *>(caches_a[l]), cache0.size());
  expect(caches_same, name, "overlapped: KV caches bit-identical");
  const rt::Context::GraphStats gs = ahead->graph_stats();
  expect(gs.captured >= 1 && gs.replayed >= STEPS - 4 && gs.fell_back == 0, name,
         "overlapped: captured " + std::to_string(gs.captured) + ", replayed " +
             std::to_string(gs.replayed) + ", fell back " + std::to_string(gs.fell_back));

  // Misuse.
  std::vector<int32_t> sink(2);
  Step extra = decode(STEPS, first);
  bool refused = run(*ahead, ba, extra, caches_a, sink.data(), nullptr) == 0 &&
                 run(*ahead, ba, extra, caches_a, sink.data(), nullptr) == 0;
  refused = refused && run(*ahead, ba, extra, caches_a, sink.data(), nullptr) != 0 &&
            std::strstr(err, "two steps are submitted") != nullptr;
  refused = refused && ahead->finish_step(err, sizeof(err)) == 0 &&
            ahead->finish_step(err, sizeof(err)) == 0;
  refused = refused && ahead->finish_step(err, sizeof(err)) != 0 &&
            std::strstr(err, "without a submitted step") != nullptr;
  const int32_t bad_source[2] = {0, 2};
  refused = refused && run(*ahead, ba, extra, caches_a, sink.data(), bad_source) != 0 &&
            std::strstr(err, "token_source[1] = 2") != nullptr;
  expect(refused, name, std::string("overlapped: misuse refused with its reason: ") + err);
  for (int l = 0; l < LAYERS; ++l) {
    CK(cudaFree(caches_o[l]));
    CK(cudaFree(caches_a[l]));
  }
}

// Codes of the f32 values with bit patterns [first, first + n) (|x| <= 448).
__global__ void fp8_codes_kernel(uint32_t first, uint32_t n, uint8_t *codes) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    codes[i] = attnrt::cuda::kvq::encode<rt::KvType::Fp8E4M3>(__uint_as_float(first + i));
}

// Every f32 in [-448, 448] (both signs of every pattern up to 448's).
void fp8_encoding() {
  const uint32_t top = 0x43E00000u; // 448.0f
  const uint32_t chunk = 1u << 26;
  uint8_t *d = nullptr;
  CK(cudaMalloc(&d, chunk));
  std::vector<uint8_t> h(chunk);
  uint64_t mismatches = 0, checked = 0;
  uint32_t first_bad = 0;
  for (uint32_t sign : {0u, 0x80000000u}) {
    for (uint32_t lo = 0; lo <= top; lo += chunk) {
      const uint32_t n = std::min<uint32_t>(chunk, top + 1 - lo);
      fp8_codes_kernel<<<(n + 255) / 256, 256>>>(sign | lo, n, d);
      CK(cudaMemcpy(h.data(), d, n, cudaMemcpyDeviceToHost));
      const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
      std::vector<uint64_t> bad(workers, 0);
      std::vector<uint32_t> where(workers, 0);
      std::vector<std::thread> pool;
      for (unsigned w = 0; w < workers; ++w)
        pool.emplace_back([&, w] {
          for (uint32_t i = w; i < n; i += workers) {
            const uint32_t bits = sign | (lo + i);
            float x;
            std::memcpy(&x, &bits, 4);
            if (attnrt::kvquant::float_to_e4m3(x) != h[i] && bad[w]++ == 0)
              where[w] = bits;
          }
        });
      for (auto &t : pool)
        t.join();
      for (unsigned w = 0; w < workers; ++w) {
        if (bad[w] && mismatches == 0)
          first_bad = where[w];
        mismatches += bad[w];
      }
      checked += n;
    }
  }
  CK(cudaFree(d));
  char what[160];
  std::snprintf(what, sizeof(what),
                "fp8 e4m3: __nv_cvt_float_to_fp8 == kvquant::float_to_e4m3 on %llu values "
                "(%llu differ, first 0x%08x)",
                static_cast<unsigned long long>(checked),
                static_cast<unsigned long long>(mismatches), first_bad);
  expect(mismatches == 0, "fp8", what);
}

} // namespace

int main() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    std::printf("SKIP: no CUDA GPU\n");
    return 77;
  }
  run<__half>("f16");
  run<__nv_bfloat16>("bf16");
  if (const char *g = std::getenv("ATTNC_CUDA_GRAPHS"); g && std::strcmp(g, "0") == 0)
    std::printf("SKIP graphs: ATTNC_CUDA_GRAPHS=0\n");
  else {
    graphs<__half>("f16");
    graphs<__nv_bfloat16>("bf16");
    graphs<__half, rt::KvType::Int8>("f16, int8 cache");
    graphs<__nv_bfloat16, rt::KvType::Fp8E4M3>("bf16, fp8 cache");
    graphs<__half, rt::KvType::Fp8E4M3>("f16, fp8 cache");
    overlapped<__half>("f16");
    overlapped<__nv_bfloat16>("bf16");
  }
  fp8_encoding();
  std::printf("%s (%d failed)\n", failures ? "FAILED" : "all passed", failures);
  return failures ? 1 : 0;
}
