// Quantized linear weights: the one layout that the compiler's
// attn-quantize-weights pass, the weight plan's quantize transform
// (runtime/pack, shared by `attnc compile` and `attnc pack`) and the
// quantized_linear kernels of both targets (runtime/cpu/QuantLinear.h,
// runtime/cuda) agree on. Plain C++17, no dependencies.
//
// y[t, n] = sum_k x[t, k] * W[n, k] (+ bias[n]) for W [N = out_features,
// K = in_features] (torch nn.Linear orientation). Schemes (`attnc compile
// --quantize NAME`):
//
//   w8: 8 bits, one scale per output channel (group_size 0), symmetric.
//     values int8 [N, K] row-major; scales f32 [N].
//     s[n] = max_k |W[n, k]| / 127 (an all-zero row: s = 1),
//     q = clamp(round_half_to_even(W / s), -127, 127); W ~ q * s.
//
//   w8g128, w8g64, w8g32 (symmetric) and w8g128a, w8g64a, w8g32a
//   (asymmetric): 8 bits, groups of G along K (K % G == 0), group g = k / G;
//     scales f32 [N, K / G].
//     Symmetric: values int8 [N, K]; s = max |W[n, group]| / 127 (an
//       all-zero group: s = 1), q = clamp(round_half_to_even(W / s), -127,
//       127); W ~ q * s.
//     Asymmetric: values uint8 [N, K]; lo = min(0, min W[n, group]), hi =
//       max(0, max W[n, group]), s = (hi - lo) / 255 (s = 1 when hi == lo),
//       z = clamp(round_half_to_even(-lo / s), 0, 255),
//       q = clamp(round_half_to_even(W / s) + z, 0, 255); W ~ (q - z) * s;
//       zeros uint8 [N, K / G]. (onnxruntime's 8-bit MatMulNBits: uint8
//       codes, zero point 128 when it has none.)
//
//   w4g128, w4g64, w4g32 (symmetric) and w4g128a, w4g64a, w4g32a
//   (asymmetric, with zero points): 4 bits, groups of G along K (K % G == 0,
//   else the model is refused, naming the node), group g = k / G.
//     values uint8 [N, K / 2]: byte j of row n holds k = 2j in its LOW nibble
//     and k = 2j + 1 in its HIGH nibble, unsigned q in [0, 15];
//     scales f32 [N, K / G].
//     Symmetric: s = c * max |W[n, group]| / 7 (an all-zero group: s = 1),
//       q = clamp(round_half_to_even(W / s) + 8, 0, 15); W ~ (q - 8) * s.
//     Asymmetric: lo = c * min(0, min W[n, group]), hi = c * max(0, max
//       W[n, group]), s = (hi - lo) / 15 (s = 1 when hi == lo),
//       z = clamp(round_half_to_even(-lo / s), 0, 15),
//       q = clamp(round_half_to_even(W / s) + z, 0, 15); W ~ (q - z) * s;
//       zeros uint8 [N, K / G], one zero point per byte.
//     The clip c is chosen per group by the quantizer: of 1.00, 0.95, ...,
//     0.50 (float literals) the first with the least sum over the group of
//     (W - (q - z) s)^2 (in double, in k order): the largest weights of a
//     group give up some accuracy so that the rest get finer steps (~26%
//     less squared error than c = 1 on trained weights, symmetric groups of
//     128). Kernels only read s and z; imported codes keep theirs.
//
// Kernels compute in f32 from the dequantized weights; x and y are in the
// model's storage type, bias too (or none). (The CUDA tensor-core 4-bit path
// multiplies (q - z) by the scale in f16/bf16 before the f32 accumulation;
// the CUDA prefill path, 64 tokens and more (w8: 96), rounds (q - z) * s computed in
// f32 to f16/bf16 once and multiplies with cuBLASLt.) Generated code calls, on both
// targets (ctx: the CPU ThreadPool or the CUDA Context):
//   template <int Bits, int GroupSize, bool Asymmetric, typename T>
//   void quantized_linear(Ctx &ctx, const T *x, int64_t num_tokens,
//                         int64_t in_features, const void *values,
//                         const float *scales, const uint8_t *zeros,
//                         const T *bias /* or nullptr */,
//                         int64_t out_features, T *y);
// with <8, 0, false>, <8, 32 | 64 | 128, false | true> or
// <4, 32 | 64 | 128, false | true>; zeros is nullptr unless Asymmetric.
#ifndef ATTNC_RUNTIME_QUANTIZED_WEIGHTS_H
#define ATTNC_RUNTIME_QUANTIZED_WEIGHTS_H

#include <cstdint>
#include <cstring>

namespace attnrt::quant {

struct Scheme {
  int bits = 0;        // 8 or 4; 0 = not a scheme
  int group_size = 0;  // 0: per output channel (w8 only)
  bool asymmetric = false;
};

// The scheme named `name` (w8, w8g128, w8g64, w8g32, w4g128, w4g64, w4g32,
// and the grouped ones with a trailing "a" for asymmetric), or bits == 0 if
// there is none.
inline Scheme parse_scheme(const char *name) {
  struct Named {
    const char *name;
    Scheme scheme;
  };
  static const Named kSchemes[] = {
      {"w8", {8, 0, false}},      {"w4g128", {4, 128, false}}, {"w4g64", {4, 64, false}},
      {"w4g32", {4, 32, false}},  {"w4g128a", {4, 128, true}}, {"w4g64a", {4, 64, true}},
      {"w4g32a", {4, 32, true}},  {"w8g128", {8, 128, false}}, {"w8g64", {8, 64, false}},
      {"w8g32", {8, 32, false}},  {"w8g128a", {8, 128, true}}, {"w8g64a", {8, 64, true}},
      {"w8g32a", {8, 32, true}},
  };
  for (const Named &n : kSchemes)
    if (name && std::strcmp(name, n.name) == 0)
      return n.scheme;
  return {};
}

// Bytes of the packed values of an [out_features, in_features] weight.
constexpr int64_t values_bytes(const Scheme &s, int64_t out_features, int64_t in_features) {
  return s.bits == 8 ? out_features * in_features : out_features * (in_features / 2);
}
// Scales (and zero points) per output row.
constexpr int64_t groups_per_row(const Scheme &s, int64_t in_features) {
  return s.group_size == 0 ? 1 : in_features / s.group_size;
}

} // namespace attnrt::quant

#endif // ATTNC_RUNTIME_QUANTIZED_WEIGHTS_H
