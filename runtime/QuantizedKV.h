// Quantized KV cache: the one page layout and rounding that the compiler
// (`attnc compile --kv-cache int8|fp8`, pass attn-quantize-kv-cache), the
// runtime (page sizes) and the append / attention kernels of both targets
// (runtime/cpu/PagedKV.h + Attention.h, runtime/cuda) agree on. Plain C++17,
// no dependencies; the functions below are the reference the kernels match.
//
// Every (token, kv head) vector x of K (after RoPE) and of V, as the step
// appends it, is stored as one byte per element plus one f32 scale s:
//   amax = max_i |x_i|, computed in f32 from the model-dtype values
//   int8:      s = amax / 127, inv = 127 / amax,
//              q_i = clamp(round_half_to_even(x_i * inv), -127, 127)
//   fp8 (e4m3fn: sign, 4 exponent bits with bias 7, 3 mantissa bits,
//   max 448, no infinities; the OCP FP8 format):
//              s = amax / 448, inv = 448 / amax,
//              q_i = e4m3(clamp(x_i * inv, -448, 448)) rounded to nearest even
//   amax == 0 (or not finite): s = 0, inv = 0, every q_i = 0.
//   Loads dequantize x_i ~ q_i * s (in f32).
// Scales per token and per head, not per tensor: the cache is written one
// token at a time, so a scale can only depend on what has been appended, and
// a per-token scale keeps one outlier token from coarsening every other.
//
// Page layout of a quantized layer (ModelABI.h's attnc_layer_cache with
// kv_type ATTNC_KV_INT8 or ATTNC_KV_FP8_E4M3, elem_bytes 1): page p starts at
// layer_cache + p * page_bytes and holds, in order,
//   K codes  [page_size][kv_heads][head_dim]    1 byte each
//   V codes  [page_size][kv_heads][v_head_dim]  1 byte each
//   K scales [page_size][kv_heads]               f32
//   V scales [page_size][kv_heads]               f32
//   page_bytes = page_size * kv_heads * (head_dim + v_head_dim + 2 * 4).
// head_dim and v_head_dim are multiples of 16 on the CUDA target (16-byte
// loads), and its attention also needs page_size * kv_heads even (refused
// otherwise), so that every page and region starts 16-byte aligned.
// RoPE'd keys (rope_kv_append): x is the rotation computed in f32 from the
// model-dtype key, quantized from that f32 value without rounding it to the
// model dtype first (the CPU's f32 storage stores exactly that value).
#ifndef ATTNC_RUNTIME_QUANTIZED_KV_H
#define ATTNC_RUNTIME_QUANTIZED_KV_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace attnrt {

// What a layer's cache stores. Model: the model's own dtype (elem_bytes 4 or
// 2, no scales). Values equal ModelABI.h's ATTNC_KV_* codes.
enum class KvType : int32_t { Model = 0, Int8 = 1, Fp8E4M3 = 2 };

namespace kvquant {

constexpr int64_t kScaleBytes = 4; // one f32 per (token, head) of K and of V

inline int64_t page_bytes(KvType type, int64_t page_size, int64_t kv_heads, int64_t head_dim,
                          int64_t v_head_dim, int64_t elem_bytes) {
  if (type == KvType::Model)
    return page_size * kv_heads * (head_dim + v_head_dim) * elem_bytes;
  return page_size * kv_heads * (head_dim + v_head_dim + 2 * kScaleBytes);
}

// The name of a type in manifest.json ("kv_type"), `attnc inspect` and the
// dialect's kv_cache_type attribute: "model", "int8", "fp8_e4m3".
inline const char *kv_type_name(KvType type) {
  return type == KvType::Int8 ? "int8" : type == KvType::Fp8E4M3 ? "fp8_e4m3" : "model";
}
// The inverse of kv_type_name; false for any other name.
inline bool parse_kv_type(const char *name, KvType &type) {
  for (int32_t code = 0; code <= static_cast<int32_t>(KvType::Fp8E4M3); ++code)
    if (std::strcmp(name, kv_type_name(static_cast<KvType>(code))) == 0) {
      type = static_cast<KvType>(code);
      return true;
    }
  return false;
}

// Cache bytes one token takes in one layer (all its kv heads, K and V).
inline int64_t token_bytes(KvType type, int64_t kv_heads, int64_t head_dim, int64_t v_head_dim,
                           int64_t elem_bytes) {
  return page_bytes(type, 1, kv_heads, head_dim, v_head_dim, elem_bytes);
}

// The largest code magnitude of a type (127 or 448).
constexpr float max_code(KvType type) { return type == KvType::Int8 ? 127.0f : 448.0f; }

// e4m3fn byte of x, |x| <= 448, rounded to nearest even (subnormals: 2^-9 steps).
inline uint8_t float_to_e4m3(float x) {
  // On the bits (no frexp / ldexp: the CPU append quantizes every element).
  uint32_t u;
  std::memcpy(&u, &x, 4);
  const uint8_t sign = static_cast<uint8_t>((u >> 24) & 0x80u);
  const float a = std::fabs(x);
  if (!(a > 0.0f))
    return sign; // 0 (and NaN, which never reaches here: inputs are clamped)
  if (a >= 448.0f)
    return sign | 0x7E; // 448 = 1.75 * 2^8
  if (a < 0.015625f) // below 2^-6, the subnormals: units of 2^-9 (8 units is 2^-6, code 8)
    return sign | static_cast<uint8_t>(std::nearbyint(a * 512.0f)); // half to even
  // Normal: rebias the exponent (127 -> 7) and round the 23-bit mantissa to 3
  // bits, half to even; a carry out of the mantissa steps the exponent, as it
  // should.
  const uint32_t v = (u & 0x7FFFFFFFu) - (120u << 23);
  const uint32_t code = (v + 0x7FFFFu + ((v >> 20) & 1u)) >> 20;
  return sign | static_cast<uint8_t>(code > 0x7Eu ? 0x7Eu : code); // 480 saturates to 448
}

inline float e4m3_to_float(uint8_t b) {
  const float sign = (b & 0x80) ? -1.0f : 1.0f;
  const int exponent = (b >> 3) & 0xF, mantissa = b & 0x7;
  if (exponent == 0xF && mantissa == 0x7)
    return NAN; // never written
  if (exponent == 0)
    return sign * std::ldexp(static_cast<float>(mantissa), -9);
  return sign * std::ldexp(static_cast<float>(8 + mantissa), exponent - 10);
}

// Quantizes n floats into codes; returns the scale (the reference of the
// kernels' append).
inline float quantize_vector(KvType type, const float *x, int n, uint8_t *codes) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i)
    amax = std::fmax(amax, std::fabs(x[i]));
  if (!(amax > 0.0f) || !std::isfinite(amax)) {
    std::memset(codes, 0, static_cast<size_t>(n));
    return 0.0f;
  }
  const float limit = max_code(type), inv = limit / amax;
  for (int i = 0; i < n; ++i) {
    float v = std::fmin(std::fmax(x[i] * inv, -limit), limit);
    if (type == KvType::Int8) {
      const int8_t q = static_cast<int8_t>(std::nearbyint(v));
      std::memcpy(codes + i, &q, 1);
    } else {
      codes[i] = float_to_e4m3(v);
    }
  }
  return amax / limit;
}

inline float dequantize(KvType type, uint8_t code, float scale) {
  if (type == KvType::Int8) {
    int8_t q;
    std::memcpy(&q, &code, 1);
    return static_cast<float>(q) * scale;
  }
  return e4m3_to_float(code) * scale;
}

} // namespace kvquant
} // namespace attnrt

#endif // ATTNC_RUNTIME_QUANTIZED_KV_H
