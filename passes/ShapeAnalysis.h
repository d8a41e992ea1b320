// Symbolic shape analysis of an imported ONNX function.
//
// One forward walk over the (topologically ordered) function computes, for
// every value, its symbolic shape and - for small integer tensors - its
// symbolic contents (what Shape -> Gather -> Concat chains compute). Dynamic
// dims are polynomials over the graph's dim_params (SymbolicShape.h); a dim
// nothing can be said about gets a fresh symbol "?N", so it never compares
// equal to another dim by accident. attn-infer-shapes applies the results;
// later passes can query the same analysis (e.g. "is this dim seq?").
#pragma once

#include "passes/SymbolicShape.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <unordered_map>

namespace attnc {

// Contents of integer tensors with more elements than this are not tracked.
constexpr int64_t kMaxTrackedElements = 64;

// Run once per function; query with shapeOf (the symbolic shape of a ranked
// value) and contentsOf (the symbolic values of a small integer tensor).
class ShapeAnalysis {
public:
  explicit ShapeAnalysis(mlir::func::FuncOp func) : func(func) {}

  // Fails only on IR the analysis cannot walk (several blocks).
  mlir::LogicalResult run();

  const SymVector *shapeOf(mlir::Value v) const {
    auto it = shapes.find(v);
    return it == shapes.end() ? nullptr : &it->second;
  }
  const SymVector *contentsOf(mlir::Value v) const {
    auto it = contents.find(v);
    return it == contents.end() ? nullptr : &it->second;
  }

private:
  void bindPastAttentionMask();
  SymDim fresh() { return SymDim::symbol("?" + std::to_string(nextUnknown++)); }
  SymVector freshShape(int64_t rank) {
    SymVector s;
    for (int64_t i = 0; i < rank; ++i)
      s.push_back(fresh());
    return s;
  }
  // Constant contents as int64 values, if all are constant.
  std::optional<mlir::SmallVector<int64_t>> constContents(mlir::Value v) const {
    const SymVector *c = contentsOf(v);
    if (!c)
      return std::nullopt;
    mlir::SmallVector<int64_t> out;
    for (const SymDim &d : *c) {
      auto k = d.getConstant();
      if (!k)
        return std::nullopt;
      out.push_back(*k);
    }
    return out;
  }

  void setShape(mlir::Value v, SymVector shape);
  void setContents(mlir::Value v, SymVector values) {
    if (int64_t(values.size()) <= kMaxTrackedElements)
      contents[v] = std::move(values);
  }
  mlir::LogicalResult visit(mlir::Operation *op);
  SymDim broadcastDim(const SymDim &a, const SymDim &b);
  std::optional<SymVector> broadcast(mlir::ArrayRef<mlir::Value> operands);
  std::optional<SymVector> broadcastShapes(const SymVector &a, const SymVector &b);
  void visitElementwise(mlir::Operation *op);
  void visitReduce(mlir::Operation *op, mlir::Value data, mlir::Value axesValue, bool keepdims,
                   bool noopWithEmptyAxes);

  // Node-based maps: shapeOf / contentsOf hand out pointers that must stay
  // valid while later results are inserted (a multi-result op reads its
  // input's shape after setting its first result's); a DenseMap moves its
  // entries when it grows.
  struct ValueHash {
    size_t operator()(mlir::Value v) const { return mlir::hash_value(v); }
  };
  mlir::func::FuncOp func;
  std::unordered_map<mlir::Value, SymVector, ValueHash> shapes;
  std::unordered_map<mlir::Value, SymVector, ValueHash> contents;
  unsigned nextUnknown = 0;
};

} // namespace attnc
