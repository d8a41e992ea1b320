// attn-infer-shapes: applies the symbolic shape analysis (ShapeAnalysis.h)
// to an imported ONNX function.
//
// The results are then applied:
//  * result types get every dim that is now known statically;
//  * integer shape computations with constant contents become onnx.Constant;
//  * Reshape and Expand targets known symbolically become constants that
//    refer to the input's dims (Reshape: 0 copies a dim, one -1 is inferred;
//    Expand: 1 keeps the input's dim), and an Expand to the input's own shape
//    disappears;
//  * the dead shape subgraph is erased.
#include "passes/Passes.h"
#include "passes/ShapeAnalysis.h"

#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_INFERSHAPES
#include "passes/Passes.h.inc"

namespace {

//===----------------------------------------------------------------------===//
// Rewriting with the analysis
//===----------------------------------------------------------------------===//

Type refinedType(Type type, const SymVector &shape) {
  auto tensor = dyn_cast<TensorType>(type);
  if (!tensor)
    return type;
  SmallVector<int64_t> dims;
  for (const SymDim &d : shape) {
    auto k = d.getConstant();
    dims.push_back(k && *k >= 0 ? *k : ShapedType::kDynamic);
  }
  return RankedTensorType::get(dims, tensor.getElementType());
}

std::string symbolicShapeString(const SymVector &shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleaveComma(shape, os, [&](const SymDim &d) {
    std::string text = d.str();
    os << (text.find('?') != std::string::npos ? "?" : text);
  });
  os << "]";
  return s;
}

Value makeI64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
  auto attr = DenseElementsAttr::get(type, values);
  return od::ConstantOp::create(b, loc, type, attr);
}

// Reshape target as a constant: dims equal to the input's dim at the same
// position copy it (0), constants stay, and at most one dim is inferred (-1).
std::optional<SmallVector<int64_t>> constantReshapeTarget(const SymVector &target,
                                                          const SymVector *input) {
  SmallVector<int64_t> out;
  bool usedInferred = false;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (auto k = d.getConstant()) {
      out.push_back(*k);
    } else if (input && i < input->size() && (*input)[i] == d) {
      out.push_back(0);
    } else if (!usedInferred) {
      out.push_back(-1);
      usedInferred = true;
    } else {
      return std::nullopt;
    }
  }
  // -1 together with an explicit -1 from the target would be two.
  return llvm::count(out, -1) <= 1 ? std::optional(out) : std::nullopt;
}

// Expand target as a constant: 1 keeps the input's (aligned) dim.
std::optional<SmallVector<int64_t>> constantExpandTarget(const SymVector &target,
                                                         const SymVector &input) {
  SmallVector<int64_t> out;
  size_t offset = target.size() >= input.size() ? target.size() - input.size() : 0;
  if (target.size() < input.size())
    return std::nullopt;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (auto k = d.getConstant())
      out.push_back(*k);
    else if (i >= offset && input[i - offset] == d)
      out.push_back(1);
    else
      return std::nullopt;
  }
  return out;
}

struct InferShapesPass : impl::InferShapesBase<InferShapesPass> {
  using InferShapesBase::InferShapesBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.getBody().empty())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError("attn-infer-shapes expects a single-block function");
      return signalPassFailure();
    }
    ShapeAnalysis analysis(func);
    if (failed(analysis.run()))
      return signalPassFailure();

    OpBuilder b(func.getContext());
    Block &body = func.getBody().front();
    for (Operation &op : llvm::make_early_inc_range(body)) {
      if (isa<od::ConstantOp, od::NoValueOp, func::ReturnOp>(op))
        continue;
      b.setInsertionPoint(&op);

      // 1. Integer results with constant contents become constants.
      if (op.getNumResults() == 1 && isa<od::OnnxDialect>(op.getDialect())) {
        Value r = op.getResult(0);
        const SymVector *c = analysis.contentsOf(r);
        const SymVector *s = analysis.shapeOf(r);
        Type elt = getElementTypeOrSelf(r.getType());
        if (c && s && elt.isInteger() && llvm::all_of(*c, [](auto &d) { return d.isConstant(); }) &&
            llvm::all_of(*s, [](auto &d) { return d.isConstant(); })) {
          auto type = cast<RankedTensorType>(refinedType(r.getType(), *s));
          if (type.getNumElements() == int64_t(c->size())) {
            SmallVector<APInt> values;
            for (const SymDim &d : *c)
              values.push_back(APInt(elt.getIntOrFloatBitWidth(), *d.getConstant(),
                                     /*isSigned=*/true, /*implicitTrunc=*/true));
            auto attr = DenseElementsAttr::get(type, values);
            Value folded = od::ConstantOp::create(b, op.getLoc(), type, attr);
            r.replaceAllUsesWith(folded);
            continue;
          }
        }
      }

      // 2. Symbolic Reshape / Expand targets become constants.
      if (auto reshape = dyn_cast<od::ReshapeOp>(op)) {
        const SymVector *target = analysis.contentsOf(reshape.getShape());
        // allowzero=1 only changes the meaning of literal zeros in the
        // target; without them the folded target may use 0 (copy) freely.
        bool literalZero = target && llvm::any_of(*target, [](const SymDim &d) {
          return d.getConstant() == 0;
        });
        if (target && !(reshape.getAllowzero() && literalZero) &&
            !reshape.getShape().getDefiningOp<od::ConstantOp>())
          if (auto k = constantReshapeTarget(*target, analysis.shapeOf(reshape.getData()))) {
            reshape.getShapeMutable().assign(makeI64Constant(b, op.getLoc(), *k));
            reshape.setAllowzero(0);
          }
      }
      if (auto expand = dyn_cast<od::ExpandOp>(op)) {
        const SymVector *target = analysis.contentsOf(expand.getShape());
        const SymVector *in = analysis.shapeOf(expand.getInput());
        const SymVector *out = analysis.shapeOf(expand.getResult());
        if (in && out && *in == *out &&
            expand.getInput().getType() == expand.getResult().getType()) {
          expand.getResult().replaceAllUsesWith(expand.getInput());
          continue;
        }
        if (target && in && !expand.getShape().getDefiningOp<od::ConstantOp>())
          if (auto k = constantExpandTarget(*target, *in))
            expand.getShapeMutable().assign(makeI64Constant(b, op.getLoc(), *k));
      }

      // 3. Result types take every dim now known.
      for (Value r : op.getResults()) {
        const SymVector *s = analysis.shapeOf(r);
        if (!s || !isa<TensorType>(r.getType()))
          continue;
        r.setType(refinedType(r.getType(), *s));
      }
      if (annotate) {
        SmallVector<Attribute> shapesAttr;
        for (Value r : op.getResults()) {
          const SymVector *s = analysis.shapeOf(r);
          shapesAttr.push_back(b.getStringAttr(s ? symbolicShapeString(*s) : "unknown"));
        }
        op.setAttr("onnx.symbolic_shape", b.getArrayAttr(shapesAttr));
      }
    }

    // 4. Erase what folding left dead; keep the function type in step with
    // the refined result types.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isOpTriviallyDead(&op))
        op.erase();
    Operation *terminator = body.getTerminator();
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   terminator->getOperandTypes()));
  }
};

} // namespace
} // namespace attnc
