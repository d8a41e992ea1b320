#include "runtime/pack/WeightTransforms.h"

#include "runtime/pack/Parallel.h"
#include "runtime/pack/QuantizerCore.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

namespace attnrt::pack {
using detail::loadFloat;
namespace {

std::string shapeString(const std::vector<std::int64_t> &shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Status checkView(const TensorView &t, const std::string &what) {
  if (t.elementSize == 0)
    return Status::failure(what + " has element size 0");
  for (std::int64_t d : t.shape)
    if (d < 0)
      return Status::failure(what + " has a negative dim: " + shapeString(t.shape));
  if (!t.data && t.numElements() != 0)
    return Status::failure(what + " has no data");
  return Status::success();
}

Status checkOutput(std::size_t elementSize, const std::vector<std::int64_t> &shape,
                   void *out, std::size_t outBytes) {
  std::size_t need = elementSize;
  for (std::int64_t d : shape)
    need *= std::size_t(d);
  if (outBytes != need)
    return Status::failure("output buffer holds " + std::to_string(outBytes) +
                           " bytes but the result " + shapeString(shape) + " needs " +
                           std::to_string(need));
  if (!out && need != 0)
    return Status::failure("no output buffer");
  return Status::success();
}

std::size_t product(const std::vector<std::int64_t> &shape, std::size_t begin, std::size_t end) {
  std::size_t p = 1;
  for (std::size_t i = begin; i < end; ++i)
    p *= std::size_t(shape[i]);
  return p;
}

// Blocked so both the reads and the writes stay within a few cache lines.
template <typename Element>
void transposeTyped(const Element *in, Element *out, std::size_t rows, std::size_t cols) {
  constexpr std::size_t kBlock = 32;
  for (std::size_t r0 = 0; r0 < rows; r0 += kBlock)
    for (std::size_t c0 = 0; c0 < cols; c0 += kBlock) {
      std::size_t r1 = std::min(rows, r0 + kBlock), c1 = std::min(cols, c0 + kBlock);
      for (std::size_t r = r0; r < r1; ++r)
        for (std::size_t c = c0; c < c1; ++c)
          out[c * rows + r] = in[r * cols + c];
    }
}

void transposeBytes(const std::uint8_t *in, std::uint8_t *out, std::size_t rows,
                    std::size_t cols, std::size_t elementSize) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      std::memcpy(out + (c * rows + r) * elementSize, in + (r * cols + c) * elementSize,
                  elementSize);
}

} // namespace

std::int64_t TensorView::numElements() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape)
    n *= d;
  return n;
}

Status concatShape(const std::vector<TensorView> &inputs, std::int64_t axis,
                   std::vector<std::int64_t> &shape) {
  if (inputs.empty())
    return Status::failure("concat needs at least one input");
  const TensorView &first = inputs.front();
  std::int64_t rank = std::int64_t(first.shape.size());
  if (axis < 0 || axis >= rank)
    return Status::failure("concat axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(rank));
  shape = first.shape;
  shape[axis] = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorView &t = inputs[i];
    std::string what = "concat input " + std::to_string(i);
    if (Status s = checkView(t, what); !s.ok())
      return s;
    if (t.elementSize != first.elementSize)
      return Status::failure(what + " has element size " + std::to_string(t.elementSize) +
                             " but input 0 has " + std::to_string(first.elementSize));
    if (std::int64_t(t.shape.size()) != rank)
      return Status::failure(what + " has shape " + shapeString(t.shape) + " but input 0 has " +
                             shapeString(first.shape));
    for (std::int64_t d = 0; d < rank; ++d)
      if (d != axis && t.shape[d] != first.shape[d])
        return Status::failure(what + " has shape " + shapeString(t.shape) + " but input 0 has " +
                               shapeString(first.shape) + " (they may differ only in dim " +
                               std::to_string(axis) + ")");
    shape[axis] += t.shape[axis];
  }
  return Status::success();
}

Status concat(const std::vector<TensorView> &inputs, std::int64_t axis, void *out,
              std::size_t outBytes) {
  std::vector<std::int64_t> shape;
  if (Status s = concatShape(inputs, axis, shape); !s.ok())
    return s;
  std::size_t elementSize = inputs.front().elementSize;
  if (Status s = checkOutput(elementSize, shape, out, outBytes); !s.ok())
    return s;
  // Row-major: the result is `outer` rows, each the inputs' contiguous
  // chunks (their dims from `axis` on) one after the other.
  std::size_t outer = product(shape, 0, std::size_t(axis));
  std::size_t inner = product(shape, std::size_t(axis) + 1, shape.size()) * elementSize;
  std::size_t rowBytes = std::size_t(shape[axis]) * inner;
  auto *dst = static_cast<std::uint8_t *>(out);
  std::size_t offset = 0;
  for (const TensorView &t : inputs) {
    std::size_t chunk = std::size_t(t.shape[axis]) * inner;
    const auto *src = static_cast<const std::uint8_t *>(t.data);
    for (std::size_t o = 0; o < outer && chunk; ++o)
      std::memcpy(dst + o * rowBytes + offset, src + o * chunk, chunk);
    offset += chunk;
  }
  return Status::success();
}

Status concat(const std::vector<TensorView> &inputs, std::int64_t axis, Tensor &out) {
  Tensor result;
  if (Status s = concatShape(inputs, axis, result.shape); !s.ok())
    return s;
  result.elementSize = inputs.front().elementSize;
  result.bytes.resize(product(result.shape, 0, result.shape.size()) * result.elementSize);
  if (Status s = concat(inputs, axis, result.bytes.data(), result.bytes.size()); !s.ok())
    return s;
  out = std::move(result);
  return Status::success();
}

Status transpose2dShape(const TensorView &input, std::vector<std::int64_t> &shape) {
  if (Status s = checkView(input, "transpose input"); !s.ok())
    return s;
  if (input.shape.size() != 2)
    return Status::failure("transpose2d needs a 2-D tensor, got shape " +
                           shapeString(input.shape));
  shape = {input.shape[1], input.shape[0]};
  return Status::success();
}

Status transpose2d(const TensorView &input, void *out, std::size_t outBytes) {
  std::vector<std::int64_t> shape;
  if (Status s = transpose2dShape(input, shape); !s.ok())
    return s;
  if (Status s = checkOutput(input.elementSize, shape, out, outBytes); !s.ok())
    return s;
  if (out == input.data && outBytes != 0)
    return Status::failure("transpose2d cannot work in place");
  std::size_t rows = std::size_t(input.shape[0]), cols = std::size_t(input.shape[1]);
  // Mapped weights need not be aligned to their element size; the typed
  // loops are only for the aligned case.
  bool aligned = (reinterpret_cast<std::uintptr_t>(input.data) |
                  reinterpret_cast<std::uintptr_t>(out)) % input.elementSize == 0;
  switch (aligned ? input.elementSize : 0) {
  case 1:
    transposeTyped(static_cast<const std::uint8_t *>(input.data), static_cast<std::uint8_t *>(out),
                   rows, cols);
    break;
  case 2:
    transposeTyped(static_cast<const std::uint16_t *>(input.data),
                   static_cast<std::uint16_t *>(out), rows, cols);
    break;
  case 4:
    transposeTyped(static_cast<const std::uint32_t *>(input.data),
                   static_cast<std::uint32_t *>(out), rows, cols);
    break;
  case 8:
    transposeTyped(static_cast<const std::uint64_t *>(input.data),
                   static_cast<std::uint64_t *>(out), rows, cols);
    break;
  default:
    transposeBytes(static_cast<const std::uint8_t *>(input.data), static_cast<std::uint8_t *>(out),
                   rows, cols, input.elementSize);
  }
  return Status::success();
}

Status transpose2d(const TensorView &input, Tensor &out) {
  Tensor result;
  if (Status s = transpose2dShape(input, result.shape); !s.ok())
    return s;
  result.elementSize = input.elementSize;
  result.bytes.resize(product(result.shape, 0, 2) * result.elementSize);
  if (Status s = transpose2d(input, result.bytes.data(), result.bytes.size()); !s.ok())
    return s;
  out = std::move(result);
  return Status::success();
}

float detail::loadFloat(const std::uint8_t *p, const std::string &dtype) {
  std::uint32_t bits = 0;
  if (dtype == "f32") {
    std::memcpy(&bits, p, 4);
  } else if (dtype == "bf16") {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    bits = std::uint32_t(h) << 16;
  } else { // f16
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0x1f) {
      bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
      bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
      bits = sign;
    } else { // subnormal: normalise
      exponent = 113;
      while (!(mantissa & 0x400)) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
    }
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {

std::uint16_t toBf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet and a NaN
    return std::uint16_t((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1); // round to nearest even
  return std::uint16_t(bits >> 16);
}

std::uint16_t toF16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const std::uint16_t sign = std::uint16_t((bits >> 16) & 0x8000);
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u)
    return sign | 0x7e00; // NaN
  if (magnitude >= 0x477ff000u)
    return sign | 0x7c00; // rounds past 65504: infinity
  if (magnitude < 0x38800000u) { // below 2^-14: subnormal or zero
    if (magnitude < 0x33000000u)
      return sign; // below half the smallest subnormal
    const std::uint32_t mantissa = (magnitude & 0x7fffff) | 0x800000;
    const int shift = 126 - int(magnitude >> 23); // 14 .. 24
    std::uint32_t value = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (value & 1)))
      ++value;
    return sign | std::uint16_t(value);
  }
  std::uint32_t value = magnitude - 0x38000000u; // rebias 127 -> 15
  value += 0xfffu + ((value >> 13) & 1);
  return sign | std::uint16_t(value >> 13);
}

} // namespace

bool isCastableFloat(const std::string &dtype) {
  return dtype == "f32" || dtype == "f16" || dtype == "bf16";
}

Status castFloat(const TensorView &input, const std::string &from, const std::string &to,
                 void *out, std::size_t outBytes) {
  if (!isCastableFloat(from) || !isCastableFloat(to))
    return Status::failure("cast supports f32, f16 and bf16, not " + from + " -> " + to);
  const std::size_t inSize = from == "f32" ? 4 : 2, outSize = to == "f32" ? 4 : 2;
  if (input.elementSize != inSize)
    return Status::failure("cast from " + from + " needs " + std::to_string(inSize) +
                           "-byte elements, got " + std::to_string(input.elementSize));
  const std::int64_t n = input.numElements();
  if (outBytes != std::size_t(n) * outSize)
    return Status::failure("cast output has " + std::to_string(outBytes) + " bytes, expected " +
                           std::to_string(std::size_t(n) * outSize));
  const auto *src = static_cast<const std::uint8_t *>(input.data);
  auto *dst = static_cast<std::uint8_t *>(out);
  for (std::int64_t i = 0; i < n; ++i) {
    const float f = loadFloat(src + i * inSize, from);
    if (to == "f32") {
      std::memcpy(dst + i * 4, &f, 4);
    } else {
      const std::uint16_t h = to == "bf16" ? toBf16(f) : toF16(f);
      std::memcpy(dst + i * 2, &h, 2);
    }
  }
  return Status::success();
}

namespace {

// Round to nearest, ties to even, whatever the floating-point environment's
// rounding mode: the compiler and the packer must agree bit for bit.
// (Truncation through int64 is exact and mode-independent below 2^52, where
// doubles still have fractions; it is also much cheaper than std::floor,
// which the 4-bit range search calls 11 times per weight.)
double roundHalfEven(double x) {
  if (!(std::fabs(x) < 4503599627370496.0)) // 2^52: already an integer (or NaN)
    return x;
  // Branch-free: the fractions of quantized weights are random.
  const double truncated = double(std::int64_t(x));
  const double floor = truncated - double(truncated > x);
  const double fraction = x - floor; // exact
  const bool odd = (std::int64_t(floor) & 1) != 0;
  return floor + double((fraction > 0.5) | ((fraction == 0.5) & odd));
}

} // namespace

std::int64_t detail::roundClamped(double x, std::int64_t offset, std::int64_t lo,
                                  std::int64_t hi) {
  const double r = roundHalfEven(x) + double(offset);
  return std::int64_t(std::min(std::max(r, double(lo)), double(hi)));
}

namespace {
using detail::GroupCode;
using detail::roundClamped;

// The code of `values` for the range [clip * lo, clip * hi] (symmetric:
// clip * max |w|): the contract's formulas with the range scaled.
GroupCode groupCode(const QuantizeParams &params, float lo, float hi, float amax, float clip) {
  GroupCode c;
  const std::int64_t levels = params.bits == 8 ? 255 : 15; // asymmetric codes [0, levels]
  if (params.asymmetric) {
    c.scale = (clip * hi - clip * lo) / float(levels);
    c.qmin = 0;
    c.qmax = levels;
  } else {
    const std::int64_t limit = params.bits == 8 ? 127 : 7;
    c.scale = clip * amax / float(limit);
    c.qmin = params.bits == 8 ? -127 : 0;
    c.qmax = params.bits == 8 ? 127 : 15;
  }
  // An all-zero group (or one so small the scale underflows) gets scale
  // 1: every value then rounds to the zero point, dequantizing to 0.
  if (!(c.scale > 0))
    c.scale = 1.0f;
  if (params.asymmetric)
    c.zero = roundClamped(-double(clip * lo) / double(c.scale), 0, 0, levels);
  else
    c.zero = params.bits == 8 ? 0 : 8; // symmetric 4-bit stores q + 8
  return c;
}

// Sum over the group of (w - (q - z) s)^2 in double, in index order.
double groupError(const float *values, std::int64_t n, const GroupCode &c) {
  double error = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double w = values[i];
    const std::int64_t q = roundClamped(w / double(c.scale), c.zero, c.qmin, c.qmax);
    const double d = w - double(q - c.zero) * double(c.scale);
    error += d * d;
  }
  return error;
}

// 4-bit groups: the clipped range of kClips with the least squared error
// (the first on a tie), so that a group's few large weights do not cost
// the rest of it most of its 16 levels: ~26% less weight error than the
// full range on the trained fixtures (symmetric, groups of 128), ~10% with
// zero points. 8 bits keep the full range (clipping gains nothing there).
constexpr float kClips[] = {1.00f, 0.95f, 0.90f, 0.85f, 0.80f, 0.75f,
                            0.70f, 0.65f, 0.60f, 0.55f, 0.50f};

} // namespace

GroupCode detail::chooseGroupCode(const QuantizeParams &params, const float *values,
                                  std::int64_t n) {
  float lo = 0, hi = 0, amax = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
    amax = std::max(amax, std::fabs(values[i]));
  }
  GroupCode best = groupCode(params, lo, hi, amax, 1.0f);
  if (params.bits != 4)
    return best;
  double bestError = groupError(values, n, best);
  for (float clip : kClips) {
    if (clip == 1.0f)
      continue;
    const GroupCode c = groupCode(params, lo, hi, amax, clip);
    const double error = groupError(values, n, c);
    if (error < bestError) {
      best = c;
      bestError = error;
    }
  }
  return best;
}

void detail::storeCode(const QuantizeParams &params, std::uint8_t *values, std::int64_t k,
                       std::int64_t q) {
  if (params.bits == 8) {
    values[k] = params.asymmetric ? std::uint8_t(q) : std::uint8_t(std::int8_t(q));
    return;
  }
  const std::uint8_t nibble = std::uint8_t(q);
  std::uint8_t &byte = values[k / 2];
  byte = (k % 2 == 0) ? std::uint8_t((byte & 0xf0) | nibble)
                      : std::uint8_t((byte & 0x0f) | (nibble << 4));
}

const char *quantizedPartName(QuantizedPart part) {
  switch (part) {
  case QuantizedPart::Values:
    return "values";
  case QuantizedPart::Scales:
    return "scales";
  case QuantizedPart::Zeros:
    return "zeros";
  }
  return "?";
}

bool parseQuantizedPart(const std::string &name, QuantizedPart &part) {
  for (QuantizedPart p : {QuantizedPart::Values, QuantizedPart::Scales, QuantizedPart::Zeros})
    if (name == quantizedPartName(p)) {
      part = p;
      return true;
    }
  return false;
}

Status quantizedPartShape(const std::vector<std::int64_t> &weightShape,
                          const QuantizeParams &params, QuantizedPart part,
                          std::vector<std::int64_t> &shape, std::string &dtype) {
  if (weightShape.size() != 2 || weightShape[0] < 0 || weightShape[1] < 0)
    return Status::failure("quantize needs a 2-D [out, in] weight, got shape " +
                           shapeString(weightShape));
  const std::int64_t rows = weightShape[0], cols = weightShape[1];
  if (params.bits != 4 && params.bits != 8)
    return Status::failure("quantize supports 4 and 8 bits, not " + std::to_string(params.bits));
  if (params.groupSize < 0)
    return Status::failure("quantize group size must be positive (0: per output channel), got " +
                           std::to_string(params.groupSize));
  if (params.groupSize > 0 && cols % params.groupSize != 0)
    return Status::failure("quantize group size " + std::to_string(params.groupSize) +
                           " does not divide the input dimension " + std::to_string(cols));
  if (params.bits == 4 && (cols % 2 != 0 || params.groupSize % 2 != 0))
    return Status::failure("4-bit quantization packs two values a byte: the input dimension (" +
                           std::to_string(cols) + ") and group size (" +
                           std::to_string(params.groupSize) + ") must be even");
  if (params.asymmetric && params.groupSize == 0)
    return Status::failure("asymmetric quantization (zero points) is only supported in groups");
  if (part == QuantizedPart::Zeros && !params.asymmetric)
    return Status::failure("symmetric quantization has no zero points");
  const std::int64_t groups = params.groupSize > 0 ? cols / params.groupSize : 1;
  switch (part) {
  case QuantizedPart::Values:
    shape = {rows, params.bits == 8 ? cols : cols / 2};
    dtype = params.bits == 8 && !params.asymmetric ? "i8" : "u8";
    break;
  case QuantizedPart::Scales:
    shape = params.groupSize > 0 ? std::vector<std::int64_t>{rows, groups}
                                 : std::vector<std::int64_t>{rows};
    dtype = "f32";
    break;
  case QuantizedPart::Zeros:
    shape = {rows, groups};
    dtype = "u8";
    break;
  }
  return Status::success();
}

Status quantizeWeight(const TensorView &weight, const std::string &weightDtype,
                      const QuantizeParams &params, QuantizedPart part, void *out,
                      std::size_t outBytes) {
  if (params.method != QuantizeMethod::RoundToNearest)
    return Status::failure("GPTQ quantization needs calibration statistics of the linear's "
                           "inputs (attnc calibrate)");
  if (!isCastableFloat(weightDtype))
    return Status::failure("quantize reads f32, f16 or bf16 weights, not " + weightDtype);
  if (Status s = checkView(weight, "quantize input"); !s.ok())
    return s;
  const std::size_t inSize = weightDtype == "f32" ? 4 : 2;
  if (weight.elementSize != inSize)
    return Status::failure("quantize input of " + weightDtype + " needs " +
                           std::to_string(inSize) + "-byte elements, got " +
                           std::to_string(weight.elementSize));
  std::vector<std::int64_t> shape;
  std::string dtype;
  if (Status s = quantizedPartShape(weight.shape, params, part, shape, dtype); !s.ok())
    return s;
  if (Status s = checkOutput(dtype == "f32" ? 4 : 1, shape, out, outBytes); !s.ok())
    return s;

  const std::int64_t rows = weight.shape[0], cols = weight.shape[1];
  const std::int64_t group = params.groupSize > 0 ? params.groupSize : cols;
  const std::int64_t groups = group > 0 ? cols / group : 0;
  const auto *src = static_cast<const std::uint8_t *>(weight.data);
  auto *dst = static_cast<std::uint8_t *>(out);
  // Rows [r0, r1); on a non-finite weight, its position (the first of the
  // range) in `bad`. Rows write disjoint bytes (a 4-bit row is whole bytes:
  // cols is even), so ranges run on separate threads.
  auto quantizeRows = [&](std::int64_t r0, std::int64_t r1, std::int64_t &badRow,
                          std::int64_t &badCol) {
    std::vector<float> values(std::size_t(group > 0 ? group : 0));
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t g = 0; g < groups; ++g) {
        const std::int64_t first = r * cols + g * group;
        for (std::int64_t i = 0; i < group; ++i) {
          const float w = loadFloat(src + std::size_t(first + i) * inSize, weightDtype);
          if (!std::isfinite(w)) {
            badRow = r, badCol = g * group + i;
            return;
          }
          values[std::size_t(i)] = w;
        }
        const GroupCode code = detail::chooseGroupCode(params, values.data(), group);
        const float scale = code.scale;
        const std::int64_t zero = code.zero, qmin = code.qmin, qmax = code.qmax;
        const std::int64_t groupIndex = r * groups + g;
        if (part == QuantizedPart::Scales) {
          std::memcpy(dst + std::size_t(groupIndex) * 4, &scale, 4);
          continue;
        }
        if (part == QuantizedPart::Zeros) {
          dst[groupIndex] = std::uint8_t(zero);
          continue;
        }
        for (std::int64_t i = 0; i < group; ++i)
          detail::storeCode(params, dst, first + i,
                            roundClamped(double(values[std::size_t(i)]) / double(scale), zero,
                                         qmin, qmax));
      }
  };
  // The 4-bit range search costs ~11 roundings per weight: rows split over
  // the machine's cores when there is enough work (a large linear).
  const std::int64_t work = rows * cols * (params.bits == 4 ? 12 : 1);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::int64_t threads =
      std::min<std::int64_t>({std::int64_t(cores), rows, std::max<std::int64_t>(1, work >> 22)});
  std::vector<std::int64_t> badRow(std::size_t(threads), -1), badCol(std::size_t(threads), -1);
  detail::runShares(threads, [&](std::int64_t t) {
    quantizeRows(rows * t / threads, rows * (t + 1) / threads, badRow[std::size_t(t)],
                 badCol[std::size_t(t)]);
  });
  return detail::nonFiniteWeight(badRow, badCol);
}

Status detail::nonFiniteWeight(const std::vector<std::int64_t> &badRow,
                               const std::vector<std::int64_t> &badCol) {
  for (std::size_t t = 0; t < badRow.size(); ++t)
    if (badRow[t] >= 0)
      return Status::failure("quantize input has a non-finite value at [" +
                             std::to_string(badRow[t]) + ", " + std::to_string(badCol[t]) + "]");
  return Status::success();
}

std::string formatShape(const std::vector<std::int64_t> &shape); // WeightPlan.cpp

Status reshape(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
               std::size_t outBytes) {
  std::int64_t elements = 1;
  for (std::int64_t d : shape)
    elements *= d;
  if (elements != input.numElements())
    return Status::failure("reshape of " + formatShape(input.shape) + " to " + formatShape(shape) +
                           " changes the element count");
  if (outBytes != input.byteSize())
    return Status::failure("reshape output holds " + std::to_string(outBytes) + " bytes, not " +
                           std::to_string(input.byteSize()));
  if (outBytes)
    std::memcpy(out, input.data, outBytes);
  return Status::success();
}

Status unpackNibblesShapeCheck(const TensorView &input, const std::vector<std::int64_t> &shape) {
  if (input.elementSize != 1)
    return Status::failure("unpack_nibbles reads bytes");
  if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0)
    return Status::failure("unpack_nibbles gives a 2-D [rows, cols], not " + formatShape(shape));
  if (input.numElements() != shape[0] * ((shape[1] + 1) / 2))
    return Status::failure("unpack_nibbles of " + formatShape(input.shape) + " to " +
                           formatShape(shape) + " needs rows * ceil(cols / 2) input bytes");
  return Status::success();
}

Status unpackNibbles(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
                     std::size_t outBytes) {
  if (Status s = unpackNibblesShapeCheck(input, shape); !s.ok())
    return s;
  std::int64_t rows = shape[0], cols = shape[1], rowBytes = (cols + 1) / 2;
  if (outBytes != std::size_t(rows * cols))
    return Status::failure("unpack_nibbles output holds " + std::to_string(outBytes) + " bytes");
  const auto *in = static_cast<const std::uint8_t *>(input.data);
  auto *o = static_cast<std::uint8_t *>(out);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      o[r * cols + c] = std::uint8_t((in[r * rowBytes + c / 2] >> (4 * (c % 2))) & 0xF);
  return Status::success();
}

Status packNibblesShapeCheck(const TensorView &input, const std::vector<std::int64_t> &shape) {
  if (input.elementSize != 1 || input.shape.size() != 2)
    return Status::failure("pack_nibbles reads a 2-D byte tensor, not " +
                           formatShape(input.shape));
  if (shape != std::vector<std::int64_t>{input.shape[0], (input.shape[1] + 1) / 2})
    return Status::failure("pack_nibbles of " + formatShape(input.shape) + " gives [rows, " +
                           "ceil(cols / 2)], not " + formatShape(shape));
  return Status::success();
}

Status packNibbles(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
                   std::size_t outBytes) {
  if (Status s = packNibblesShapeCheck(input, shape); !s.ok())
    return s;
  std::int64_t rows = input.shape[0], cols = input.shape[1], rowBytes = shape[1];
  if (outBytes != std::size_t(rows * rowBytes))
    return Status::failure("pack_nibbles output holds " + std::to_string(outBytes) + " bytes");
  const auto *in = static_cast<const std::uint8_t *>(input.data);
  auto *o = static_cast<std::uint8_t *>(out);
  std::memset(o, 0, outBytes);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      std::uint8_t v = in[r * cols + c];
      if (v > 15)
        return Status::failure("pack_nibbles: value " + std::to_string(v) + " at [" +
                               std::to_string(r) + ", " + std::to_string(c) +
                               "] does not fit 4 bits");
      o[r * rowBytes + c / 2] |= std::uint8_t(v << (4 * (c % 2)));
    }
  return Status::success();
}

Status broadcastShapeCheck(const TensorView &input, const std::vector<std::int64_t> &shape) {
  const std::vector<std::int64_t> &in = input.shape;
  if (shape.size() < in.size() || !std::equal(in.begin(), in.end(), shape.begin()))
    return Status::failure("broadcast of " + formatShape(in) + " to " + formatShape(shape) +
                           " must keep the input's shape as the result's leading dimensions");
  for (std::int64_t d : shape)
    if (d < 0)
      return Status::failure("broadcast to the invalid shape " + formatShape(shape));
  return Status::success();
}

Status broadcast(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
                 std::size_t outBytes) {
  if (Status s = broadcastShapeCheck(input, shape); !s.ok())
    return s;
  std::size_t repeat = 1; // elements of the trailing dimensions
  for (std::size_t i = input.shape.size(); i < shape.size(); ++i)
    repeat *= std::size_t(shape[i]);
  if (outBytes != input.byteSize() * repeat)
    return Status::failure("broadcast output holds " + std::to_string(outBytes) + " bytes, not " +
                           std::to_string(input.byteSize() * repeat));
  const auto *in = static_cast<const std::uint8_t *>(input.data);
  auto *o = static_cast<std::uint8_t *>(out);
  const std::size_t size = input.elementSize;
  for (std::int64_t e = 0; e < input.numElements(); ++e)
    for (std::size_t r = 0; r < repeat; ++r, o += size)
      std::memcpy(o, in + std::size_t(e) * size, size);
  return Status::success();
}

namespace {
// out[i] = byte(in[i]) for a byte-per-element input of the same size.
template <typename F>
Status mapBytes(const char *name, const TensorView &input, void *out, std::size_t outBytes,
                F byte) {
  if (input.elementSize != 1 || outBytes != input.byteSize())
    return Status::failure(std::string(name) + " output holds " + std::to_string(outBytes) +
                           " bytes, not " + std::to_string(input.byteSize()));
  const auto *in = static_cast<const std::uint8_t *>(input.data);
  auto *o = static_cast<std::uint8_t *>(out);
  for (std::size_t i = 0; i < outBytes; ++i)
    o[i] = byte(in[i]);
  return Status::success();
}
} // namespace

Status toUnsigned(const TensorView &input, const std::string &fromDtype, void *out,
                  std::size_t outBytes) {
  if (fromDtype != "i8")
    return Status::failure("to_unsigned reads i8, not " + fromDtype);
  // Two's complement q + 128 flips the sign bit.
  return mapBytes("to_unsigned", input, out, outBytes,
                  [](std::uint8_t q) { return std::uint8_t(q ^ 0x80); });
}

Status widenNibbles(const TensorView &input, const std::string &fromDtype, void *out,
                    std::size_t outBytes) {
  if (fromDtype != "i4" && fromDtype != "u4")
    return Status::failure("widen_nibbles reads i4 or u4, not " + fromDtype);
  // Two's complement q in the low nibble: q + 8 flips its sign bit.
  const std::uint8_t offset = fromDtype == "i4" ? 0x8 : 0x0;
  return mapBytes("widen_nibbles", input, out, outBytes,
                  [offset](std::uint8_t q) { return std::uint8_t((q & 0xF) ^ offset); });
}

} // namespace attnrt::pack
