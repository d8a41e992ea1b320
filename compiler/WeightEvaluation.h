// The bytes of a weight as the artifact will hold them: an onnx.Constant
// (dense or a resource blob mapped from the model's files), or a tree of
// weight transforms (attn.weight_concat, attn.weight_quantize) over such
// constants, evaluated by
// the packer's own functions (runtime/pack) so that compiling from the graph
// and packing where the weights live give the same bytes. The weight plan
// builder below uses it for constants that are no initializer;
// attn-fold-weight-transforms uses it for debugging.
#pragma once

#include "runtime/pack/WeightPlan.h"
#include "runtime/pack/WeightTransforms.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include <memory>

namespace attnc {

// A weight's bytes: dense, row-major, one element per element-size bytes.
// A plain constant is viewed where MLIR keeps it (valid while its attribute
// lives, i.e. while the context does); a transform's result is owned here.
class EvaluatedWeight {
public:
  EvaluatedWeight(mlir::RankedTensorType type, attnrt::pack::TensorView view)
      : type_(type), view_(std::move(view)) {}
  EvaluatedWeight(mlir::RankedTensorType type, attnrt::pack::Tensor owned)
      : type_(type), owned_(std::move(owned)) {
    view_ = owned_.view();
  }
  // Moving keeps the view valid (a vector's buffer moves with it); a copy
  // would not.
  EvaluatedWeight(EvaluatedWeight &&) = default;
  EvaluatedWeight &operator=(EvaluatedWeight &&) = default;
  EvaluatedWeight(const EvaluatedWeight &) = delete;
  EvaluatedWeight &operator=(const EvaluatedWeight &) = delete;

  mlir::RankedTensorType type() const { return type_; }
  const attnrt::pack::TensorView &view() const { return view_; }
  llvm::ArrayRef<char> bytes() const {
    return {static_cast<const char *>(view_.data), view_.byteSize()};
  }

private:
  mlir::RankedTensorType type_;
  attnrt::pack::Tensor owned_;
  attnrt::pack::TensorView view_;
};

// Evaluates `weight`. Emits an error at the offending op and fails when it
// is not a constant or a weight transform over constants, when a resource
// blob's data is not available (elided) or has the wrong size, or when the
// element type has no whole-byte storage (i1, i4).
mlir::FailureOr<EvaluatedWeight> evaluateWeight(mlir::Value weight);

// The artifact's weight plan (runtime/pack/WeightPlan.h), built blob by blob
// as code generation asks for weights. A weight becomes an expression over
// the model's initializers: an onnx.Constant the importer made from a graph
// initializer is named, not copied; attn.weight_concat, attn.weight_quantize
// and the transpose to out_in are the packer's transforms; any other constant (folded, computed,
// small inline ones) goes into the plan's inline bytes. weights.bin is then
// the plan evaluated over `initializers()`, the same evaluation the packer
// runs over the ONNX file.
class WeightPlanBuilder {
public:
  WeightPlanBuilder();

  // Appends `weight` (transposed from [in, out] to [out, in] when asked) at
  // the next `alignment`-aligned offset and returns that offset. Emits an
  // error at the offending op and fails as evaluateWeight does.
  // `castTo` ("f16", "bf16"; empty: none) converts a float weight to the
  // model's storage type.
  mlir::FailureOr<uint64_t> addBlob(mlir::Value weight, bool transposeToOutIn,
                                    size_t alignment, llvm::StringRef castTo = {});

  const attnrt::pack::WeightPlan &plan() const { return plan_; }
  attnrt::pack::WeightPlan takePlan() { return std::move(plan_); }
  // The initializers the plan names, viewed where the imported module keeps
  // them (the mapped model files); valid while the MLIR context lives.
  std::shared_ptr<attnrt::pack::InitializerSource> initializers() const;

private:
  class ModuleInitializers;
  mlir::FailureOr<attnrt::pack::WeightExpr> describe(mlir::Value weight);

  attnrt::pack::WeightPlan plan_;
  std::shared_ptr<ModuleInitializers> source_;
};

} // namespace attnc
