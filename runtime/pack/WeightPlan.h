// The weight plan: how every blob of an artifact's weights.bin is rebuilt
// from the ONNX model's initializers. The compiler writes it next to the
// weights (weights.plan.json, plus weights.inline.bin for the few bytes that
// are not an initializer), and produces weights.bin by evaluating it; the
// packer (ArtifactPacker.h) evaluates the same plan with the initializers read
// where the checkpoint lives. One evaluator, so both give identical bytes.
//
// The plan is a file of its own rather than part of manifest.json: the
// runtime parses the manifest on every load and needs none of it, the plan
// grows with the model (an entry per weight), and its schema can change with
// the transforms (casts, quantization) without touching the runtime's. It
// stays in the artifact after packing, so new weights of the same shapes can
// be packed again without recompiling.
//
// weights.plan.json (all keys required; written one blob per line):
//   {
//     "format": 1,                     // this schema; a reader refuses others
//     "weights_bytes": 123456,         // size of weights.bin
//     "inline_file": "weights.inline.bin", "inline_bytes": 256,
//     "blobs": [                       // in offset order, non-overlapping; the
//       {"offset": 0,                  // gaps between them are zero bytes
//        "source": EXPR}
//     ]
//   }
// EXPR is an object with "dtype" ("f32", "f16", "bf16", "f64", "i8", "u8",
// "i16", "u16", "i32", "u32", "i64", "u64", "bool", "i4", "u4": 4-bit values
// one a byte, in its low nibble), "shape" (array of
// dims, row-major) and "op", one of:
//   {"op": "initializer", "name": "model.layers.0.mlp.up_proj.weight", ...}
//       the ONNX graph initializer of that name, which must have this dtype
//       and shape
//   {"op": "inline", "offset": 64, ...}
//       bytes stored in the artifact's inline file at that offset (constants
//       the compiler computed or folded, tensors too small to be worth naming)
//   {"op": "concat", "axis": 0, "inputs": [EXPR, ...], ...}
//       pack::concat of the inputs
//   {"op": "transpose2d", "input": EXPR, ...}
//       pack::transpose2d of the input ([in, out] weights to the kernels' out_in)
//   {"op": "cast", "input": EXPR, ...}
//       pack::castFloat of the input to this dtype (f32, f16, bf16: the
//       storage type of an f16 / bf16 model), same shape
//   {"op": "quantize", "bits": 4, "group_size": 128, "asymmetric": false,
//    "part": "values", "input": EXPR, ...}
//       one part ("values", "scales" or "zeros") of pack::quantizeWeight of
//       the input (a float [out, in] weight); group_size 0: per output channel.
//       With "method": "gptq" (absent: "rtn", round to nearest), of
//       pack::gptqQuantizeWeight instead, against the calibration statistics
//       (Calibration.h) of the linear that reads one of the input's
//       initializers: evaluating the plan then needs those statistics
//   {"op": "reshape", "input": EXPR, ...}
//       pack::reshape: the input's bytes under this shape (same dtype and
//       element count; pre-quantized weights into the kernels' shapes)
//   {"op": "unpack_nibbles", "input": EXPR, ...}
//       pack::unpackNibbles: u8 [rows, cols] from a u8 input of rows *
//       ceil(cols / 2) bytes, low nibble first (packed 4-bit zero points)
//   {"op": "pack_nibbles", "input": EXPR, ...}
//       pack::packNibbles: u8 [rows, ceil(cols / 2)] from u8 [rows, cols] of
//       values in [0, 15] (DequantizeLinear's 4-bit codes into the kernels'
//       two a byte)
//   {"op": "widen_nibbles", "input": EXPR, ...}
//       pack::widenNibbles: i4 / u4 -> u8 of the same shape (i4 q -> q + 8)
//   {"op": "to_unsigned", "input": EXPR, ...}
//       pack::toUnsigned: i8 -> u8 of the same shape (q -> q + 128)
//   {"op": "broadcast", "input": EXPR, ...}
//       pack::broadcast: each input element repeated over the trailing
//       dimensions of this shape, whose leading ones are the input's (a
//       per-tensor or per-column DequantizeLinear scale into [N, groups])
// A blob's size is its expression's element count times the dtype's size.
//
// Nothing here throws except parseWeightPlan (attnrt::Error): the compiler,
// built without exceptions, builds, serializes and evaluates plans.
#pragma once

#include "runtime/pack/Calibration.h"
#include "runtime/pack/WeightTransforms.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnrt::pack {

// Bytes per element of a plan dtype name; 0 for an unknown name.
std::size_t dtypeSize(const std::string &dtype);

struct WeightExpr {
  enum class Op {
    Initializer, Inline, Concat, Transpose2d, Cast, Quantize, Reshape, UnpackNibbles,
    PackNibbles, WidenNibbles, Broadcast, ToUnsigned
  };
  Op op = Op::Initializer;
  std::string dtype;                // of the result
  std::vector<std::int64_t> shape;  // of the result
  std::string name;                 // Initializer
  std::uint64_t inlineOffset = 0;   // Inline: offset in the inline file
  std::int64_t axis = 0;            // Concat
  std::vector<WeightExpr> inputs;   // Concat: its inputs; the others: one
  QuantizeParams quantize;          // Quantize
  QuantizedPart part = QuantizedPart::Values; // Quantize: which result

  std::size_t byteSize() const;
};

struct PlannedBlob {
  std::uint64_t offset = 0;  // in weights.bin
  WeightExpr source;
};

struct WeightPlan {
  std::uint64_t weightsBytes = 0;
  std::vector<PlannedBlob> blobs;
  std::vector<std::uint8_t> inlineData;  // the inline file's contents (not in the JSON)
};

inline constexpr int kWeightPlanFormat = 1;
inline constexpr const char *kWeightPlanFile = "weights.plan.json";
inline constexpr const char *kWeightInlineFile = "weights.inline.bin";

// Where initializer bytes come from: the compiler's imported module or the
// packer's ONNX reader. `lookup` checks that the initializer exists with the
// dtype and shape the plan expects (a failure names it and both types) and
// returns a view valid as long as the source lives.
class InitializerSource {
public:
  virtual ~InitializerSource() = default;
  virtual Status lookup(const std::string &name, const std::string &dtype,
                        const std::vector<std::int64_t> &shape, TensorView &view) = 0;
};

// Structural checks: known dtypes, every expression's shape equal to what its
// transform computes from its inputs, inline ranges inside inlineData, blobs
// in order, non-overlapping and inside weightsBytes.
Status checkPlan(const WeightPlan &plan);
// The expression part of those checks, for one expression of `plan`.
Status checkExpression(const WeightExpr &expr, const WeightPlan &plan);

// One single-input transform (every op but Initializer, Inline and Concat):
// `e` applied to its input's evaluated bytes `input`, written to out[0,
// outBytes). The compiler's weight evaluation and evaluatePlan share it.
Status applyTransform(const WeightExpr &e, const TensorView &input, void *out,
                      std::size_t outBytes);

// Writes the whole weights.bin image into `out` (exactly plan.weightsBytes):
// every blob evaluated from `source`, zeros between blobs. Runs checkPlan first.
// `calibration` serves the GPTQ quantize transforms (a plan that has some
// fails without it, naming the weight).
Status evaluatePlan(const WeightPlan &plan, InitializerSource &source, void *out,
                    std::size_t outBytes, const Calibration *calibration = nullptr);

// The initializers an expression reads, in order.
std::vector<std::string> initializerNames(const WeightExpr &expr);

// Switches every quantize transform of the plan to GPTQ (`attnc compile
// --calibration`); returns how many there are.
std::size_t useGptq(WeightPlan &plan);

// JSON text of the schema above (pretty-printed, trailing newline).
std::string serializeWeightPlan(const WeightPlan &plan);
// Parses weights.plan.json text. Throws attnrt::Error (Corrupt) naming
// `fileName` and the key path. inlineData stays empty: the caller reads the
// inline file, which must hold `inlineBytes` bytes; evaluatePlan then checks
// the rest.
WeightPlan parseWeightPlan(const std::string &text, const std::string &fileName,
                           std::uint64_t &inlineBytes);

// The weight plan of the artifact in `dir` with its inline bytes
// (weights.plan.json, weights.inline.bin). Throws attnrt::Error: Io naming a
// file that cannot be read, Corrupt for a bad plan or an inline file of
// another size than the plan says.
WeightPlan loadArtifactPlan(const std::string &dir);

// "[2, 3]".
std::string formatShape(const std::vector<std::int64_t> &shape);

} // namespace attnrt::pack
