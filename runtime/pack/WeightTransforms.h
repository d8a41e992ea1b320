// The weight transforms of the artifact's packer: the byte-level operations
// that turn the weights a model ships with into the weights the generated
// kernels read (concatenated projections, transposed matrices, float casts,
// weight-only quantization). The compiler evaluates weight transform ops of the IR
// through these same functions (compiler/WeightEvaluation), and a deploy-time
// packer calls them where the weights live, so both produce identical bytes.
//
// Tensors are dense and row-major; a transform only needs each element's size
// in bytes, not its type. Nothing here throws: the compiler that links this
// library is built without exceptions, so every failure is a Status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attnrt::pack {

// The outcome of a transform: ok, or why the arguments were rejected.
class Status {
public:
  static Status success() { return Status(); }
  static Status failure(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string &message() const { return message_; }

private:
  Status() = default;
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}

  bool failed_ = false;
  std::string message_;
};

// A read-only view of a dense row-major tensor that somebody else owns (a
// mapped weight file, an MLIR attribute).
struct TensorView {
  const void *data = nullptr;
  std::vector<std::int64_t> shape; // empty: a scalar
  std::size_t elementSize = 0;     // bytes per element

  std::int64_t numElements() const;
  std::size_t byteSize() const { return std::size_t(numElements()) * elementSize; }
};

// A dense row-major tensor that owns its bytes: what a transform produces.
struct Tensor {
  std::vector<std::uint8_t> bytes;
  std::vector<std::int64_t> shape;
  std::size_t elementSize = 0;

  TensorView view() const { return TensorView{bytes.data(), shape, elementSize}; }
};

// Every transform comes in two parts: a shape function that validates the
// arguments and computes the result's shape, and an apply function that
// writes the result into caller-provided memory of exactly that size (so a
// packer can write straight into its output file mapping). The convenience
// forms allocate a Tensor.

// Concatenation of `inputs` along `axis` (0 <= axis < rank): every input has
// the same rank, element size and dims except along `axis`.
Status concatShape(const std::vector<TensorView> &inputs, std::int64_t axis,
                   std::vector<std::int64_t> &shape);
Status concat(const std::vector<TensorView> &inputs, std::int64_t axis, void *out,
              std::size_t outBytes);
Status concat(const std::vector<TensorView> &inputs, std::int64_t axis, Tensor &out);

// The transpose of a 2-D tensor: [rows, cols] -> [cols, rows].
Status transpose2dShape(const TensorView &input, std::vector<std::int64_t> &shape);
Status transpose2d(const TensorView &input, void *out, std::size_t outBytes);
Status transpose2d(const TensorView &input, Tensor &out);

// Float conversion between the element types "f32", "f16" and "bf16" (same
// shape), rounding to nearest even; NaN stays NaN, overflow becomes
// infinity. The storage conversion of weights for f16 / bf16 models.
bool isCastableFloat(const std::string &dtype);
Status castFloat(const TensorView &input, const std::string &from, const std::string &to,
                 void *out, std::size_t outBytes);

// Weight-only round-to-nearest quantization of a linear's weight W [N, K]
// (out_in: row n is output channel n), in groups of `groupSize` consecutive
// input elements of a row (0: one group per row, per-output-channel scales),
// in the layout of runtime/QuantizedWeights.h that the quantized-linear
// kernels of both targets read:
//   8-bit, symmetric:  values i8 [N, K], q = round(w / s) in [-127, 127],
//                      s = max|w| / 127; w ~ q * s.
//   8-bit, asymmetric (groups only): values u8 [N, K], as 4-bit
//                      asymmetric below with 255 for 15.
//   4-bit, symmetric:  values u8 [N, K / 2], u = round(w / s) + 8 in
//                      [0, 15], s = max|w| / 7; w ~ (u - 8) * s.
//   4-bit, asymmetric: lo = min(min w, 0), hi = max(max w, 0) (zero stays
//                      exact), s = (hi - lo) / 15, zero point
//                      z = round(-lo / s) in [0, 15], u = round(w / s) + z
//                      clamped to [0, 15]; w ~ (u - z) * s.
// Nibbles: element 2j of a row in the low nibble of byte j, element 2j + 1
// in the high nibble. Scales f32 [N] (groupSize 0) or [N, K / groupSize];
// zero points u8 [N, K / groupSize], one per byte. s is computed in f32,
// w / s in double, and "round" is to nearest with ties to even, the offset
// added after rounding. A group of zeros (or one whose scale underflows)
// has s = 1. Non-finite weights are refused.
enum class QuantizedPart { Values, Scales, Zeros };

// Pre-quantized weights (onnxruntime MatMulNBits) in the kernels' layout.
// reshape: the same bytes under another shape of the same element count.
Status reshape(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
               std::size_t outBytes);
// unpack_nibbles: u8 [rows, cols] from rows of ceil(cols / 2) bytes, two
// 4-bit values a byte (the even column in the LOW nibble), one per byte.
Status unpackNibblesShapeCheck(const TensorView &input, const std::vector<std::int64_t> &shape);
Status unpackNibbles(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
                     std::size_t outBytes);
// pack_nibbles, its inverse: u8 [rows, ceil(cols / 2)] from u8 [rows, cols]
// of values in [0, 15] (a larger value is refused).
Status packNibblesShapeCheck(const TensorView &input, const std::vector<std::int64_t> &shape);
Status packNibbles(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
                   std::size_t outBytes);
// broadcast: every input element repeated over the result's trailing
// dimensions: [d0, ..., dr-1] -> [d0, ..., dr-1, e0, ...] (out[i.., j..] =
// in[i..]; a scalar fills the result). Per-tensor and per-column scales and
// zero points of 8-bit DequantizeLinear weights into the kernels' [N] or
// [N, K / group] layout.
Status broadcastShapeCheck(const TensorView &input, const std::vector<std::int64_t> &shape);
Status broadcast(const TensorView &input, const std::vector<std::int64_t> &shape, void *out,
                 std::size_t outBytes);
// to_unsigned: int8 codes q to u8 q + 128 (the w8gGa kernels' unsigned
// codes; a DequantizeLinear's int8 zero points move with them).
Status toUnsigned(const TensorView &input, const std::string &fromDtype, void *out,
                  std::size_t outBytes);
// widen_nibbles: 4-bit values held one a byte (dtype "i4" or "u4", the value
// in the low nibble, two's complement for i4) to u8: u4 as they are, i4 q as
// q + 8 (the quantized-linear kernels' unsigned nibbles).
Status widenNibbles(const TensorView &input, const std::string &fromDtype, void *out,
                    std::size_t outBytes);

// How the codes are chosen: each weight rounded to the nearest code on its
// own (quantizeWeight below), or GPTQ (Gptq.h): rounding errors compensated
// in the weights not yet quantized, from statistics of the linear's inputs
// over calibration data (`attnc calibrate`). The layout is the same.
enum class QuantizeMethod { RoundToNearest, Gptq };

struct QuantizeParams {
  int bits = 8;                // 4 or 8
  std::int64_t groupSize = 0;  // 0: per output channel
  bool asymmetric = false;     // zero points (4-bit groups only)
  QuantizeMethod method = QuantizeMethod::RoundToNearest;
};

const char *quantizedPartName(QuantizedPart part); // values, scales, zeros
bool parseQuantizedPart(const std::string &name, QuantizedPart &part);

// Validates the parameters against the weight's shape (bits 4 or 8; K a
// multiple of the group size; even K and group size for 4 bits; asymmetric
// only for 4 bits in groups; zero points only then) and gives the part's shape and plan dtype
// ("i8", "u8", "f32").
Status quantizedPartShape(const std::vector<std::int64_t> &weightShape,
                          const QuantizeParams &params, QuantizedPart part,
                          std::vector<std::int64_t> &shape, std::string &dtype);
// Writes `part` of the weight quantized to nearest; `weightDtype` is f32,
// f16 or bf16. (GPTQ needs calibration statistics: gptqQuantizeWeight.)
Status quantizeWeight(const TensorView &weight, const std::string &weightDtype,
                      const QuantizeParams &params, QuantizedPart part, void *out,
                      std::size_t outBytes);

} // namespace attnrt::pack
