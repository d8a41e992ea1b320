// Linear layer over quantized weights: y[T, N] = x[T, K] · Wᵀ (+ bias), with
// W stored as runtime/QuantizedWeights.h lays it out (w8: int8 values and one
// scale per row; w8gG: int8 values (uint8 when asymmetric), w4gG: two 4-bit
// values per byte, both with a scale per group of G along K and a zero point
// per group when asymmetric). Arithmetic is f32 on the dequantized weights,
// (q - z) * s.
//
// Decode (T <= kMaxDecodeTokens) streams the packed weights once per call;
// each parallel task owns a fixed block of output rows. T <= kFusedTokens
// dequantizes in registers straight into the FMAs. Larger T dequantizes
// kQRows rows x one chunk of K into a small f32 buffer (L1) and runs a
// register-blocked kernel, kQTokens tokens x kQRows rows of accumulators, over
// it, so each dequantized weight feeds every token. Both compute every lane
// with the same operations in the same order, so a token's output does not
// depend on the other tokens of the call (bitwise, for T <= 16). Prefill
// (larger T) is compute-bound: blocks of W are dequantized to f32 tiles and
// multiplied with OpenBLAS sgemm (QuantLinear.cpp), the dense linear's path
// plus one pass over the weights.
//
// Like linear(), chunking depends only on the shapes, never on the thread
// count, so results are bitwise identical for 1 or N threads.
#ifndef ATTNC_RUNTIME_CPU_QUANTLINEAR_H
#define ATTNC_RUNTIME_CPU_QUANTLINEAR_H

#include "runtime/cpu/Linear.h"
#include "runtime/cpu/ThreadPool.h"
#include "runtime/cpu/VectorOps.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "QuantLinear.h reads packed 4-bit values as little-endian words"
#endif

namespace attnrt::cpu {

namespace qlinear {

// kQVec floats as one GCC/Clang vector, as wide as the target's registers
// (kRegisterFloats, VectorOps.h). Own names, since generated code includes
// the attention kernels' headers too. Decode at T = 1 is bound by the
// instructions per weight (dequantization) once the weights are in cache, so
// the widest registers pay directly (AVX-512 vs AVX2: see BENCHMARKS.md).
constexpr int kQVec = detail::kRegisterFloats;
typedef float QVecF __attribute__((vector_size(kQVec * sizeof(float))));
typedef int32_t QVecI __attribute__((vector_size(kQVec * sizeof(int32_t))));
typedef uint32_t QVecU __attribute__((vector_size(kQVec * sizeof(uint32_t))));

inline QVecF loadv(const float *p) {
  QVecF v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void storev(float *p, QVecF v) { std::memcpy(p, &v, sizeof(v)); }
// Pins v to a register: GCC otherwise folds the weight loads into every FMA
// as memory operands (16 loads per 12 FMAs instead of 7 in dot_block).
inline void keep_in_register(QVecF &v) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(ATTNRT_CPU_AVX512)
  asm("" : "+v"(v)); // any of the 32 EVEX registers
#elif defined(__x86_64__) || defined(__i386__)
  asm("" : "+x"(v));
#elif defined(__aarch64__)
  asm("" : "+w"(v));
#endif
}
// c + a * b, fused wherever the target has FMA. Explicit because GCC decides
// contraction per loop (it keeps mul + add in single-accumulator chains on
// AMD Zen), which would make results depend on the register block a token
// lands in.
inline QVecF fmadd(QVecF a, QVecF b, QVecF c) {
#if defined(ATTNRT_CPU_AVX512)
  static_assert(kQVec == 16, "AVX-512: 16 lanes");
  return (QVecF)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__) && defined(__AVX__)
  static_assert(kQVec == 8, "AVX: 8 lanes");
  return (QVecF)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#elif defined(__aarch64__)
  static_assert(kQVec == 4, "NEON: 4 lanes");
  return (QVecF)vfmaq_f32((float32x4_t)c, (float32x4_t)a, (float32x4_t)b);
#else
  return a * b + c; // no FMA instruction to contract into
#endif
}
inline float sumv(QVecF v) { // fixed order: results do not depend on threading
  float s = 0.0f;
  for (int l = 0; l < kQVec; ++l)
    s += v[l];
  return s;
}

// Up to this many tokens take the streaming decode kernel; more go to
// dequantize + sgemm, whose tile packing pays off once each weight is used
// by many tokens.
constexpr int64_t kMaxDecodeTokens = 16;
// Output rows per parallel_for chunk in decode: a multiple of both row
// blocks below; 43 chunks for N = 2048.
constexpr int64_t kDecodeRowBlock = 48;
// Register block of the buffered kernel: kQRows x kQTokens vector
// accumulators (12) + kQRows weight vectors + one x vector = the 16 vector
// registers of AVX2 and SSE, so weights stay in registers and each FMA
// costs 7/12 loads (4 rows x 3 tokens spilled the weights: 15/12).
constexpr int kQRows = 3;
constexpr int kQTokens = 4;
// Rows per fused block (4 accumulators per token, the weights decoded once
// per row and vector).
constexpr int kFusedRows = 4;
// Up to this many tokens the weights are dequantized in registers straight
// into the FMAs (no buffer store and reload): T = 1 is bound by the
// instructions per weight, not by memory, on few cores.
constexpr int64_t kFusedTokens = 2;
// K per dequantized chunk: kQRows x 512 floats = 6 KiB stays in L1. A
// multiple of every group size.
constexpr int64_t kDecodeKChunk = 512;

// kQVec int8 widened to int32 (one vpmovsxbd; GCC does not vectorise the
// plain loop into it for a single vector).
inline QVecI widen_int8(const int8_t *p) {
#if defined(ATTNRT_CPU_AVX512)
  static_assert(kQVec == 16, "AVX-512: 16 lanes");
  return (QVecI)_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
#elif defined(__AVX2__)
  static_assert(kQVec == 8, "AVX2: 8 lanes");
  return (QVecI)_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
#elif defined(__SSE4_1__) && !defined(__AVX__)
  int32_t w;
  std::memcpy(&w, p, 4);
  return (QVecI)_mm_cvtepi8_epi32(_mm_cvtsi32_si128(w));
#elif defined(__SSE2__) && !defined(__AVX__)
  // Each byte repeated across its lane, then shifted down with its sign.
  int32_t w;
  std::memcpy(&w, p, 4);
  __m128i v = _mm_cvtsi32_si128(w);
  v = _mm_unpacklo_epi8(v, v);
  v = _mm_unpacklo_epi16(v, v);
  return (QVecI)_mm_srai_epi32(v, 24);
#else
  QVecI v;
  for (int l = 0; l < kQVec; ++l)
    v[l] = p[l];
  return v;
#endif
}

// kQVec uint8 widened to int32: the sign-extended bytes' low 8 bits are the
// unsigned values (one vpand more than vpmovzxbd).
inline QVecI widen_uint8(const uint8_t *p) {
  return widen_int8(reinterpret_cast<const int8_t *>(p)) & 0xFF;
}

// The kQVec 4-bit values of kQVec / 2 bytes, lane l = nibble l (low nibble
// of byte l / 2 first, as the layout contract packs k = 2j, 2j + 1).
#if defined(ATTNRT_CPU_AVX512)
// Lane l of the 8 bytes at p shifted so that nibble l is its low 4 bits (the
// bits above are the following nibbles): the low word to lanes 0-7, the high
// word to lanes 8-15, then per-lane shifts.
inline __m512i unmasked_nibbles(const uint8_t *p) {
  static_assert(kQVec == 16, "AVX-512: 16 lanes");
  const __m512i word = _mm512_castsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
  const __m512i spread =
      _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1), word);
  const __m512i shifts =
      _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
  return _mm512_srlv_epi32(spread, shifts);
}
#endif

inline QVecI nibbles(const uint8_t *p) {
#if defined(ATTNRT_CPU_AVX512)
  return (QVecI)_mm512_and_si512(unmasked_nibbles(p), _mm512_set1_epi32(15));
#elif defined(__AVX2__)
  static_assert(kQVec == 8, "AVX2: 8 lanes");
  uint32_t word;
  std::memcpy(&word, p, 4); // little-endian: nibble l at bits 4l
  const QVecU shifts = {0, 4, 8, 12, 16, 20, 24, 28};
  return (QVecI)(((QVecU{} + word) >> shifts) & 15u);
#elif defined(__SSE2__) && !defined(__AVX__)
  // No per-lane shifts before AVX2: a 16-bit multiply by 2^(12 - 4l) moves
  // nibble l to the top of lane l's low half, a shift brings it down (the
  // high halves stay 0).
  uint16_t word;
  std::memcpy(&word, p, 2);
  const __m128i v = _mm_mullo_epi16(_mm_set1_epi32(word), _mm_setr_epi32(1 << 12, 1 << 8, 1 << 4, 1));
  return (QVecI)_mm_srli_epi16(v, 12);
#else
  QVecI v;
  for (int l = 0; l < kQVec; ++l)
    v[l] = (p[l / 2] >> (4 * (l % 2))) & 15;
  return v;
#endif
}

// The packed weights of one quantized_linear call and their dequantization
// by the layout contract.
template <int Bits, int GroupSize, bool Asymmetric> struct PackedWeights {
  const uint8_t *values;
  const float *scales;
  const uint8_t *zeros; // Asymmetric only
  int64_t in_features;

  static constexpr int kBits = Bits, kGroupSize = GroupSize;
  static constexpr bool kAsymmetric = Asymmetric;
  // Chunks of K must start on a group boundary (anywhere for w8).
  static constexpr int64_t kAlign = GroupSize == 0 ? 1 : GroupSize;
  // Bytes of one group's values.
  static constexpr int64_t kGroupBytes = int64_t(GroupSize) * Bits / 8;

  // The zero point of group i (row-major over [N, K / G]): stored, or the
  // symmetric one (8 for 4-bit nibbles, 0 for int8).
  int32_t zero_point(int64_t i) const {
    return Asymmetric ? int32_t(zeros[i]) : Bits == 4 ? 8 : 0;
  }
  // The kQVec codes of grouped values at p (k = 0, 1, ... in lanes).
  static QVecI codes(const uint8_t *p) {
    if constexpr (Bits == 4)
      return nibbles(p);
    else if constexpr (Asymmetric)
      return widen_uint8(p);
    else
      return widen_int8(reinterpret_cast<const int8_t *>(p));
  }

  // out[0, kc) = W[n, k0 : k0 + kc); also writes zeros up to kc rounded up
  // to kQVec, so callers may run whole vectors over the chunk.
  void dequantize(int64_t n, int64_t k0, int64_t kc, float *out) const {
    const int64_t K = in_features;
    if constexpr (GroupSize == 0) {
      const int8_t *q = reinterpret_cast<const int8_t *>(values) + n * K + k0;
      const float s = scales[n];
      // A plain loop: GCC vectorises it (vpmovsxbd + vcvtdq2ps) where it
      // scalarises __builtin_convertvector from an int8 vector.
      const int64_t padded = (kc + kQVec - 1) / kQVec * kQVec;
      for (int64_t i = 0; i < kc; ++i)
        out[i] = float(q[i]) * s;
      for (int64_t i = kc; i < padded; ++i)
        out[i] = 0.0f;
    } else {
      const int64_t groups = K / GroupSize;
      const uint8_t *row = values + n * (K * Bits / 8);
      for (int64_t g = k0 / GroupSize, end = (k0 + kc) / GroupSize; g < end; ++g) {
        const float s = scales[n * groups + g];
        const int32_t z = zero_point(n * groups + g);
        const uint8_t *p = row + g * kGroupBytes;
        float *o = out + (g * GroupSize - k0);
        // j counts bytes, kQVec codes each step; q - z is a small integer,
        // exact in f32.
        if constexpr (kLookup) {
          const QVecF table = group_table(QVecF{} + s, QVecI{} + z);
          for (int64_t j = 0; j < kGroupBytes; j += kQVec * Bits / 8)
            storev(o + j * 8 / Bits, load_group(p + j, table));
        } else {
          for (int64_t j = 0; j < kGroupBytes; j += kQVec * Bits / 8)
            storev(o + j * 8 / Bits, __builtin_convertvector(codes(p + j) - z, QVecF) * s);
        }
      }
    }
  }

  // kQVec weights W[n, k : k + kQVec) with the same arithmetic as
  // dequantize(), for the fused decode kernel. 4 bits: k within group g of
  // row n, with s and z that group's scale and zero point.
  static QVecF load_int8(const int8_t *p, float s) {
    return __builtin_convertvector(widen_int8(p), QVecF) * s;
  }
  static QVecF load_group(const uint8_t *p, QVecF s, QVecI z) {
    return __builtin_convertvector(codes(p) - z, QVecF) * s;
  }
#if defined(ATTNRT_CPU_AVX512)
  // 4 bits on 16 lanes: a group's 16 possible weights (q - z) s as one
  // vector, made once a group, and the weights looked up by their nibbles
  // (vpermps reads only an index's low 4 bits, so the nibbles need no mask):
  // 3 instructions per 16 weights instead of 6, the same values as
  // load_group.
  static constexpr bool kLookup = Bits == 4;
  static QVecF group_table(QVecF s, QVecI z) {
    const QVecI codes_0_15 = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    return __builtin_convertvector(codes_0_15 - z, QVecF) * s;
  }
  static QVecF load_group(const uint8_t *p, QVecF table) {
    return (QVecF)_mm512_permutexvar_ps(unmasked_nibbles(p), (__m512)table);
  }
#else
  // Declared only, for the branches kLookup discards.
  static constexpr bool kLookup = false;
  static QVecF group_table(QVecF s, QVecI z);
  static QVecF load_group(const uint8_t *p, QVecF table);
#endif

  // Software prefetch of the packed bytes a kernel reads next: rows are only
  // K or K / 2 bytes, too short for the hardware prefetchers to ramp up
  // (T = 1 took 25-30% less time with it on an AMD EPYC).
  static void prefetch_group(const uint8_t *p) {
    for (int64_t j = 0; j < kGroupBytes; j += 64)
      __builtin_prefetch(p + j);
  }
  void prefetch_chunk(int64_t n, int64_t k0, int64_t kc) const {
    const int64_t row_bytes = Bits == 8 ? in_features : in_features / 2;
    const uint8_t *p = values + n * row_bytes + (Bits == 8 ? k0 : k0 / 2);
    for (int64_t j = 0, end = Bits == 8 ? kc : kc / 2; j < end; j += 64)
      __builtin_prefetch(p + j);
  }

  // Type-erased row dequantizer for the sgemm path in QuantLinear.cpp.
  static void dequantize_row(const void *self, int64_t n, int64_t k0, int64_t kc, float *out) {
    static_cast<const PackedWeights *>(self)->dequantize(n, k0, kc, out);
  }
};

// acc[t][r] += x[t, 0:kv) · w[r, 0:kv) as kQVec-lane partial sums; acc is
// [Tokens][Rows][kQVec] in memory between chunks (zeroed when `first`).
// Not inlined: it needs all 16 vector registers, and inlined into
// decode_rows GCC spilled an accumulator (a store-load chain per iteration,
// half the time at T = 16).
template <int Tokens, int Rows>
__attribute__((noinline)) void dot_block(const float *x, int64_t ldx, const float *w, int64_t ldw, int64_t kv,
                      float *acc, bool first) {
  QVecF a[Tokens][Rows];
  for (int t = 0; t < Tokens; ++t)
    for (int r = 0; r < Rows; ++r)
      a[t][r] = first ? QVecF{} : loadv(acc + (t * Rows + r) * kQVec);
  for (int64_t k = 0; k < kv; k += kQVec) {
    QVecF wv[Rows];
    for (int r = 0; r < Rows; ++r) {
      wv[r] = loadv(w + r * ldw + k);
      keep_in_register(wv[r]);
    }
    for (int t = 0; t < Tokens; ++t) {
      QVecF xv = loadv(x + t * ldx + k);
      keep_in_register(xv);
      for (int r = 0; r < Rows; ++r)
        a[t][r] = fmadd(xv, wv[r], a[t][r]);
    }
  }
  for (int t = 0; t < Tokens; ++t)
    for (int r = 0; r < Rows; ++r)
      storev(acc + (t * Rows + r) * kQVec, a[t][r]);
}

template <int Tokens>
inline void dot_rows(int rows, const float *x, int64_t ldx, const float *w, int64_t ldw,
                     int64_t kv, float *acc, bool first) {
  static_assert(kQRows == 3, "dispatch below covers 1..3 rows");
  switch (rows) {
  case 1: dot_block<Tokens, 1>(x, ldx, w, ldw, kv, acc, first); break;
  case 2: dot_block<Tokens, 2>(x, ldx, w, ldw, kv, acc, first); break;
  default: dot_block<Tokens, 3>(x, ldx, w, ldw, kv, acc, first); break;
  }
}

inline void dot_tokens(int tokens, int rows, const float *x, int64_t ldx, const float *w,
                       int64_t ldw, int64_t kv, float *acc, bool first) {
  static_assert(kQTokens == 4, "dispatch below covers 1..4 tokens");
  switch (tokens) {
  case 1: dot_rows<1>(rows, x, ldx, w, ldw, kv, acc, first); break;
  case 2: dot_rows<2>(rows, x, ldx, w, ldw, kv, acc, first); break;
  case 3: dot_rows<3>(rows, x, ldx, w, ldw, kv, acc, first); break;
  default: dot_rows<4>(rows, x, ldx, w, ldw, kv, acc, first); break;
  }
}

// Decode kernel over output rows [n_begin, n_end) for T <= kMaxDecodeTokens.
template <typename Weights>
void decode_rows(const Weights &W, const float *x, int64_t T, int64_t K, const float *bias,
                 int64_t N, float *y, int64_t n_begin, int64_t n_end) {
  alignas(64) float wbuf[kQRows * kDecodeKChunk];
  alignas(64) float acc[kMaxDecodeTokens * kQRows * kQVec];
  // The last partial vector of a row (w8 with K % kQVec != 0): x copied
  // zero-padded, so that no load runs past a row of x.
  alignas(64) float xtail[kMaxDecodeTokens * kQVec];
  for (int64_t n = n_begin; n < n_end; n += kQRows) {
    const int rows = int(std::min<int64_t>(kQRows, n_end - n));
    for (int64_t k0 = 0; k0 < K; k0 += kDecodeKChunk) {
      const int64_t kc = std::min(kDecodeKChunk, K - k0);
      for (int r = 0; r < rows; ++r) {
        W.prefetch_chunk(n + r + kQRows, k0, kc); // the next block's rows
        W.dequantize(n + r, k0, kc, wbuf + r * kDecodeKChunk);
      }
      const int64_t kfull = kc / kQVec * kQVec;
      for (int64_t t = 0; t < T; t += kQTokens)
        dot_tokens(int(std::min<int64_t>(kQTokens, T - t)), rows, x + t * K + k0, K, wbuf,
                   kDecodeKChunk, kfull, acc + t * rows * kQVec, k0 == 0);
      if (kfull < kc) {
        std::memset(xtail, 0, sizeof(float) * T * kQVec);
        for (int64_t t = 0; t < T; ++t)
          std::memcpy(xtail + t * kQVec, x + t * K + k0 + kfull, sizeof(float) * (kc - kfull));
        for (int64_t t = 0; t < T; t += kQTokens)
          dot_tokens(int(std::min<int64_t>(kQTokens, T - t)), rows, xtail + t * kQVec, kQVec,
                     wbuf + kfull, kDecodeKChunk, kQVec, acc + t * rows * kQVec, false);
      }
    }
    for (int64_t t = 0; t < T; ++t)
      for (int r = 0; r < rows; ++r) {
        float v = sumv(loadv(acc + (t * rows + r) * kQVec));
        if (bias)
          v += bias[n + r];
        y[t * N + n + r] = v;
      }
  }
}

// Fused decode over rows [n, n + Rows) for Tokens tokens: out[t * Rows + r]
// = y[t, n + r] without bias. Every lane sees the same operations in the same
// order as decode_rows (dequantized weight, then one FMA per k), so a token's
// result does not depend on how many tokens share the call.
template <int Tokens, int Rows, typename Weights>
__attribute__((noinline)) void fused_block(const Weights &W, const float *x, int64_t K, int64_t n, float *out) {
  QVecF a[Tokens][Rows];
  for (int t = 0; t < Tokens; ++t)
    for (int r = 0; r < Rows; ++r)
      a[t][r] = QVecF{};
  if constexpr (Weights::kGroupSize == 0) { // w8, one scale per row
    const int8_t *q = reinterpret_cast<const int8_t *>(W.values) + n * K;
    float s[Rows];
    for (int r = 0; r < Rows; ++r)
      s[r] = W.scales[n + r];
    const int64_t kfull = K / kQVec * kQVec;
    for (int64_t k = 0; k < kfull; k += kQVec) {
      QVecF w[Rows];
      if (k % 64 == 0) // one line per row of the next block
        for (int r = 0; r < Rows; ++r)
          __builtin_prefetch(q + (r + Rows) * K + k);
      for (int r = 0; r < Rows; ++r)
        w[r] = Weights::load_int8(q + r * K + k, s[r]);
      for (int t = 0; t < Tokens; ++t) {
        const QVecF xv = loadv(x + t * K + k);
        for (int r = 0; r < Rows; ++r)
          a[t][r] = fmadd(xv, w[r], a[t][r]);
      }
    }
    if (kfull < K) { // zero-padded last vector, as decode_rows does
      alignas(64) float wt[Rows][kQVec] = {}, xt[Tokens][kQVec] = {};
      for (int r = 0; r < Rows; ++r)
        for (int64_t k = kfull; k < K; ++k)
          wt[r][k - kfull] = float(q[r * K + k]) * s[r];
      for (int t = 0; t < Tokens; ++t)
        for (int64_t k = kfull; k < K; ++k)
          xt[t][k - kfull] = x[t * K + k];
      for (int t = 0; t < Tokens; ++t)
        for (int r = 0; r < Rows; ++r)
          a[t][r] = fmadd(loadv(xt[t]), loadv(wt[r]), a[t][r]);
    }
  } else {
    constexpr int G = Weights::kGroupSize, kBits = Weights::kBits;
    const int64_t groups = K / G, row_bytes = K * kBits / 8;
    for (int64_t g = 0; g < groups; ++g) {
      QVecF s[Rows];
      QVecI z[Rows];
      const uint8_t *p[Rows];
      for (int r = 0; r < Rows; ++r) {
        s[r] = QVecF{} + W.scales[(n + r) * groups + g];
        z[r] = QVecI{} + W.zero_point((n + r) * groups + g);
        p[r] = W.values + (n + r) * row_bytes + g * Weights::kGroupBytes;
        W.prefetch_group(p[r] + Rows * row_bytes); // the next block's rows
        if constexpr (Weights::kLookup)
          s[r] = Weights::group_table(s[r], z[r]); // s becomes the group's table
      }
      const float *xg = x + g * G;
      // j counts bytes (8 / kBits k each): no int-to-pointer arithmetic per step.
      for (int64_t j = 0; j < Weights::kGroupBytes; j += kQVec * kBits / 8) {
        QVecF w[Rows];
        for (int r = 0; r < Rows; ++r) {
          if constexpr (Weights::kLookup)
            w[r] = Weights::load_group(p[r] + j, s[r]);
          else
            w[r] = Weights::load_group(p[r] + j, s[r], z[r]);
        }
        for (int t = 0; t < Tokens; ++t) {
          const QVecF xv = loadv(xg + t * K + j * 8 / kBits);
          for (int r = 0; r < Rows; ++r)
            a[t][r] = fmadd(xv, w[r], a[t][r]);
        }
      }
    }
  }
  for (int t = 0; t < Tokens; ++t)
    for (int r = 0; r < Rows; ++r)
      out[t * Rows + r] = sumv(a[t][r]);
}

// Fused decode kernel over output rows [n_begin, n_end), T <= kFusedTokens.
template <int Tokens, typename Weights>
void fused_rows(const Weights &W, const float *x, int64_t K, const float *bias, int64_t N,
                float *y, int64_t n_begin, int64_t n_end) {
  static_assert(kFusedRows == 4, "dispatch below covers 1..4 rows");
  float out[Tokens * kFusedRows];
  for (int64_t n = n_begin; n < n_end; n += kFusedRows) {
    const int rows = int(std::min<int64_t>(kFusedRows, n_end - n));
    switch (rows) {
    case 1: fused_block<Tokens, 1>(W, x, K, n, out); break;
    case 2: fused_block<Tokens, 2>(W, x, K, n, out); break;
    case 3: fused_block<Tokens, 3>(W, x, K, n, out); break;
    default: fused_block<Tokens, 4>(W, x, K, n, out); break;
    }
    for (int t = 0; t < Tokens; ++t)
      for (int r = 0; r < rows; ++r) {
        float v = out[t * rows + r];
        if (bias)
          v += bias[n + r];
        y[t * N + n + r] = v;
      }
  }
}

// Prefill: y = x · dequantize(W)ᵀ (+ bias) through sgemm on dequantized
// tiles (QuantLinear.cpp). k_align: K chunks start on multiples of it.
using DequantizeRowFn = void (*)(const void *weights, int64_t n, int64_t k0, int64_t kc,
                                 float *out);
void dequantized_sgemm(ThreadPool &pool, const float *x, int64_t num_tokens, int64_t in_features,
                       const void *weights, DequantizeRowFn dequantize_row, int64_t k_align,
                       const float *bias, int64_t out_features, float *y);

} // namespace qlinear

// x: [num_tokens, in_features] row-major; y: [num_tokens, out_features],
// must not alias x. values / scales / zeros as runtime/QuantizedWeights.h
// lays them out for <Bits, GroupSize, Asymmetric>; zeros is read only when
// Asymmetric. bias: [out_features] or nullptr.
// Shapes outside the contract (in_features % GroupSize != 0,
// which the compiler refuses) return without writing y, as empty shapes do.
// T is the contract's storage type, deduced from x; the CPU target runs in
// f32 only. bias is not deduced, so that nullptr can be passed.
template <int Bits, int GroupSize, bool Asymmetric, typename T = float>
void quantized_linear(ThreadPool &pool, const T *x, int64_t num_tokens, int64_t in_features,
                      const void *values, const float *scales, const uint8_t *zeros,
                      const std::common_type_t<T> *bias, int64_t out_features, T *y) {
  static_assert(std::is_same<T, float>::value, "the CPU kernels compute in f32");
  static_assert((Bits == 8 && GroupSize == 0 && !Asymmetric) ||
                    ((Bits == 8 || Bits == 4) &&
                     (GroupSize == 32 || GroupSize == 64 || GroupSize == 128)),
                "quantized_linear supports <8, 0, false> and <8 | 4, 32 | 64 | 128, false | true>");
  const int64_t tokens = num_tokens, K = in_features, N = out_features;
  if (tokens <= 0 || N <= 0 || K < 0)
    return;
  if (K % (GroupSize > 0 ? GroupSize : 1) != 0)
    return;
  observe_linear_input(x, tokens, K, values, N);
  if (K == 0) { // an empty sum: y is the bias
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t n = 0; n < N; ++n)
        y[t * N + n] = bias ? bias[n] : 0.0f;
    return;
  }
  using Weights = qlinear::PackedWeights<Bits, GroupSize, Asymmetric>;
  const Weights W{static_cast<const uint8_t *>(values), scales, Asymmetric ? zeros : nullptr, K};
  if (tokens > qlinear::kMaxDecodeTokens) {
    qlinear::dequantized_sgemm(pool, x, tokens, K, &W, &Weights::dequantize_row, Weights::kAlign, bias,
                               N, y);
    return;
  }
  static_assert(qlinear::kFusedTokens == 2, "dispatch below fuses 1 and 2 tokens");
  const int64_t blocks = (N + qlinear::kDecodeRowBlock - 1) / qlinear::kDecodeRowBlock;
  pool.parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      const int64_t n0 = b * qlinear::kDecodeRowBlock;
      const int64_t n1 = std::min(N, n0 + qlinear::kDecodeRowBlock);
      if (tokens == 1)
        qlinear::fused_rows<1>(W, x, K, bias, N, y, n0, n1);
      else if (tokens == 2)
        qlinear::fused_rows<2>(W, x, K, bias, N, y, n0, n1);
      else
        qlinear::decode_rows(W, x, tokens, K, bias, N, y, n0, n1);
    }
  });
}

} // namespace attnrt::cpu

#endif // ATTNC_RUNTIME_CPU_QUANTLINEAR_H
