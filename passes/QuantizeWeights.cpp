// attn-quantize-weights: weight-only round-to-nearest quantization.
//
//   attn.linear %x, %w {weight_layout = L}
//     -> %v, %s[, %z] = attn.weight_quantize %w {bits, group_size, [asymmetric,] weight_layout = L}
//        attn.quantized_linear %x, %v, %s [zeros(%z)] {bits, group_size}
//
// The weight stays a weight transform: the packer computes the quantized
// bytes (runtime/pack quantizeWeight) from the model's initializers, so a
// weight-stripped artifact is quantized where the checkpoint lives, with the
// same bytes (round to nearest; 4-bit groups on the clipped range of least
// squared error, runtime/QuantizedWeights.h). The lm_head and the embedding
// table stay in the model's type by default: they are the layers most
// sensitive to rounding, and a quantized embedding would need a kernel that
// does not exist yet.
#include "passes/Passes.h"

#include "dialects/Attention/AttnOps.h"
#include "passes/RaiseUtils.h"
#include "runtime/QuantizedWeights.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Dominance.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

namespace attnc {

#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "passes/Passes.h.inc"

std::optional<QuantizationScheme> parseQuantizationScheme(llvm::StringRef name) {
  // The kernels' list of schemes is the one list.
  attnrt::quant::Scheme scheme = attnrt::quant::parse_scheme(name.str().c_str());
  if (scheme.bits == 0)
    return std::nullopt;
  return QuantizationScheme{scheme.bits, scheme.group_size, scheme.asymmetric};
}

namespace {

// The linears whose results are the returned logits: the lm_head, reached
// from the return through the per-token tail that may follow it (final logit
// softcap, logit scaling, the step's row selection).
llvm::SmallPtrSet<Operation *, 2> findLmHeads(func::FuncOp func) {
  llvm::SmallPtrSet<Operation *, 2> heads;
  func.walk([&](func::ReturnOp ret) {
    for (Value v : ret.getOperands()) {
      while (Operation *def = v.getDefiningOp()) {
        if (isa<attn::LinearOp>(def)) {
          heads.insert(def);
          break;
        }
        if (auto softcap = dyn_cast<attn::LogitSoftcapOp>(def))
          v = softcap.getX();
        else if (auto scale = dyn_cast<attn::LogitScaleOp>(def))
          v = scale.getX();
        else if (auto select = dyn_cast<attn::SelectTokensOp>(def))
          v = select.getX();
        else
          break;
      }
    }
  });
  return heads;
}

struct QuantizeWeightsPass : impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using QuantizeWeightsBase::QuantizeWeightsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::optional<QuantizationScheme> quantization = parseQuantizationScheme(scheme);
    if (!quantization) {
      func.emitError() << "unknown quantization scheme '" << scheme << "' (supported: "
                       << kQuantizationSchemes << ")";
      return signalPassFailure();
    }
    if (includeEmbedding) {
      // Refused rather than approximated: the embedding kernels read the
      // table in the model's type.
      bool refused = false;
      func.walk([&](attn::EmbeddingOp embedding) {
        embedding.emitError("cannot quantize the embedding table: attnc has no quantized "
                            "embedding kernel (leave include-embedding off)");
        refused = true;
      });
      if (refused)
        return signalPassFailure();
    }

    llvm::SmallPtrSet<Operation *, 2> lmHeads = findLmHeads(func);
    DominanceInfo dominance(func);
    SmallVector<attn::LinearOp> linears;
    func.walk([&](attn::LinearOp linear) { linears.push_back(linear); });
    // A weight read by several linears (in the same layout) is quantized once.
    llvm::DenseMap<std::pair<Value, int>, attn::WeightQuantizeOp> quantized;
    bool failedAny = false;
    for (attn::LinearOp linear : linears) {
      if (lmHeads.contains(linear) && !includeLmHead)
        continue;
      Value weight = linear.getWeight();
      // Only weights the packer can rebuild; f64 has no quantizer.
      Type element = cast<RankedTensorType>(weight.getType()).getElementType();
      if (!raise::isPackableWeight(weight) ||
          !(element.isF32() || element.isF16() || element.isBF16()))
        continue;
      int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
      if (quantization->groupSize > 0 && in % quantization->groupSize != 0) {
        linear.emitError() << "cannot quantize with scheme " << scheme << ": the group size "
                           << quantization->groupSize << " does not divide the input dimension "
                           << in << " of this linear";
        failedAny = true;
        continue;
      }

      OpBuilder b(linear);
      auto key = std::make_pair(weight, int(linear.getWeightLayout()));
      attn::WeightQuantizeOp transform = quantized.lookup(key);
      if (!transform || !dominance.properlyDominates(transform.getOperation(), linear)) {
        int64_t groups = quantization->groupSize > 0 ? in / quantization->groupSize : 1;
        auto i8 = b.getIntegerType(8), u8 = b.getIntegerType(8, /*isSigned=*/false);
        Type values = quantization->bits == 8
                          ? RankedTensorType::get({out, in}, quantization->asymmetric ? u8 : i8)
                          : RankedTensorType::get({out, in / 2}, u8);
        SmallVector<int64_t> groupShape = quantization->groupSize > 0
                                              ? SmallVector<int64_t>{out, groups}
                                              : SmallVector<int64_t>{out};
        Type scales = RankedTensorType::get(groupShape, b.getF32Type());
        Type zeros = quantization->asymmetric ? RankedTensorType::get(groupShape, u8) : Type();
        transform = attn::WeightQuantizeOp::create(
            b, weight.getLoc(), values, scales, zeros, weight, quantization->bits,
            quantization->groupSize, quantization->asymmetric, linear.getWeightLayout());
        quantized[key] = transform;
      }
      auto replacement = attn::QuantizedLinearOp::create(
          b, linear.getLoc(), linear.getType(), linear.getX(), transform.getValues(),
          transform.getScales(), transform.getZeros(), linear.getBias(), quantization->bits,
          quantization->groupSize);
      linear.getOutput().replaceAllUsesWith(replacement.getOutput());
      linear.erase();
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
} // namespace attnc
