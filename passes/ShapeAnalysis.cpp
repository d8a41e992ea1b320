#include "passes/ShapeAnalysis.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

static int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

static SymDim product(ArrayRef<SymDim> dims) {
  SymDim p = SymDim::constant(1);
  for (const SymDim &d : dims)
    p = p * d;
  return p;
}

// Merges an inferred shape with the type the IR already has: static dims of
// the type win (they came from the model's value_info), and a contradiction
// is an error naming the op.
void ShapeAnalysis::setShape(Value v, SymVector shape) {
  if (auto ranked = dyn_cast<RankedTensorType>(v.getType())) {
    if (ranked.getRank() != int64_t(shape.size())) {
      // The model's value_info disagrees on the rank: trust the model.
      shape = freshShape(ranked.getRank());
    }
    for (auto [i, dim] : llvm::enumerate(ranked.getShape()))
      if (!ShapedType::isDynamic(dim))
        shape[i] = SymDim::constant(dim);
  }
  shapes[v] = std::move(shape);
}

SymDim ShapeAnalysis::broadcastDim(const SymDim &a, const SymDim &b) {
  if (a == b || b.getConstant() == 1)
    return a;
  if (a.getConstant() == 1)
    return b;
  if (a.isConstant())
    return a;
  if (b.isConstant())
    return b;
  return fresh();
}

std::optional<SymVector> ShapeAnalysis::broadcastShapes(const SymVector &a,
                                                        const SymVector &b) {
  size_t rank = std::max(a.size(), b.size());
  SymVector out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const SymDim *da = i < rank - a.size() ? nullptr : &a[i - (rank - a.size())];
    const SymDim *db = i < rank - b.size() ? nullptr : &b[i - (rank - b.size())];
    out[i] = !da ? *db : !db ? *da : broadcastDim(*da, *db);
  }
  return out;
}

std::optional<SymVector> ShapeAnalysis::broadcast(ArrayRef<Value> operands) {
  std::optional<SymVector> result;
  for (Value v : operands) {
    const SymVector *s = shapeOf(v);
    if (!s)
      return std::nullopt;
    result = result ? broadcastShapes(*result, *s) : *s;
  }
  return result;
}

// Elementwise ops: broadcast shapes; for integer contents, evaluate.
void ShapeAnalysis::visitElementwise(Operation *op) {
  SmallVector<Value> tensors;
  for (Value v : op->getOperands())
    if (!isa<NoneType>(v.getType()))
      tensors.push_back(v);
  if (auto s = broadcast(tensors))
    setShape(op->getResult(0), *s);

  // Contents: all operands tracked, same length or length 1.
  SmallVector<const SymVector *> in;
  size_t n = 1;
  for (Value v : tensors) {
    const SymVector *c = contentsOf(v);
    if (!c)
      return;
    if (c->size() != 1 && n != 1 && c->size() != n)
      return;
    n = std::max(n, c->size());
    in.push_back(c);
  }
  auto at = [&](size_t k, size_t i) -> const SymDim & {
    return in[k]->size() == 1 ? (*in[k])[0] : (*in[k])[i];
  };
  SymVector out;
  for (size_t i = 0; i < n; ++i) {
    std::optional<SymDim> r =
        llvm::TypeSwitch<Operation *, std::optional<SymDim>>(op)
            .Case<od::AddOp>([&](auto) { return at(0, i) + at(1, i); })
            .Case<od::SubOp>([&](auto) { return at(0, i) - at(1, i); })
            .Case<od::MulOp>([&](auto) { return at(0, i) * at(1, i); })
            .Case<od::DivOp>([&](auto) { return at(0, i).divideExactly(at(1, i)); })
            .Case<od::NegOp>([&](auto) { return SymDim::constant(0) - at(0, i); })
            .Case<od::IdentityOp, od::CastOp, od::CastLikeOp>(
                [&](auto) -> std::optional<SymDim> {
                  // Only integer -> integer casts keep the values exact.
                  if (!getElementTypeOrSelf(op->getResult(0).getType()).isInteger())
                    return std::nullopt;
                  return at(0, i);
                })
            .Case<od::MaxOp, od::MinOp>([&](auto) -> std::optional<SymDim> {
              SymDim best = at(0, i);
              for (size_t k = 1; k < in.size(); ++k) {
                if (at(k, i) == best)
                  continue;
                auto a = best.getConstant(), b = at(k, i).getConstant();
                if (!a || !b)
                  return std::nullopt;
                best = SymDim::constant(isa<od::MaxOp>(op) ? std::max(*a, *b)
                                                           : std::min(*a, *b));
              }
              return best;
            })
            .Case<od::EqualOp>([&](auto) -> std::optional<SymDim> {
              if (at(0, i) == at(1, i))
                return SymDim::constant(1);
              if (at(0, i).isConstant() && at(1, i).isConstant())
                return SymDim::constant(0);
              return std::nullopt;
            })
            .Case<od::WhereOp>([&](auto) -> std::optional<SymDim> {
              auto cond = at(0, i).getConstant();
              if (!cond)
                return std::nullopt;
              return *cond ? at(1, i) : at(2, i);
            })
            .Default([](Operation *) { return std::nullopt; });
    if (!r)
      return;
    out.push_back(*r);
  }
  setContents(op->getResult(0), std::move(out));
}

void ShapeAnalysis::visitReduce(Operation *op, Value data, Value axesValue,
                                bool keepdims, bool noopWithEmptyAxes) {
  const SymVector *in = shapeOf(data);
  if (!in)
    return;
  int64_t rank = in->size();
  SmallVector<int64_t> axes;
  if (!isa<NoneType>(axesValue.getType())) {
    auto c = constContents(axesValue);
    if (!c)
      return;
    axes = *c;
  }
  if (axes.empty()) {
    if (noopWithEmptyAxes) {
      setShape(op->getResult(0), *in);
      return;
    }
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  llvm::SmallBitVector reduced(rank);
  for (int64_t a : axes) {
    a = normalizeAxis(a, rank);
    if (a < 0 || a >= rank)
      return;
    reduced.set(a);
  }
  SymVector out;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced.test(i))
      out.push_back((*in)[i]);
    else if (keepdims)
      out.push_back(SymDim::constant(1));
  }
  setShape(op->getResult(0), out);

  // Reducing a whole 1-D shape value (e.g. the element count batch*seq).
  const SymVector *values = contentsOf(data);
  if (!values || rank != 1 || !reduced.test(0) || values->empty())
    return;
  SymDim acc = (*values)[0];
  for (const SymDim &d : ArrayRef(*values).drop_front()) {
    if (isa<od::ReduceProdOp>(op))
      acc = acc * d;
    else if (isa<od::ReduceSumOp>(op))
      acc = acc + d;
    else
      return;
  }
  setContents(op->getResult(0), {acc});
}

// Slice length of a dim for constant start/end/step (ONNX clamping rules),
// or for the common symbolic cases (whole dim, dim minus a prefix).
static std::optional<SymDim> sliceLength(const SymDim &dim, int64_t start, int64_t end,
                                  int64_t step) {
  if (step == 0)
    return std::nullopt;
  if (auto d = dim.getConstant()) {
    auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v += *d;
      return std::clamp(v, lo, hi);
    };
    int64_t s, e;
    if (step > 0) {
      s = clamp(start, 0, *d);
      e = clamp(end, 0, *d);
      return SymDim::constant(e > s ? (e - s + step - 1) / step : 0);
    }
    s = clamp(start, -1, *d - 1);
    e = clamp(end, -1, *d - 1);
    return SymDim::constant(s > e ? (s - e - step - 1) / -step : 0);
  }
  // Symbolic dim: only step 1 with a non-negative start and an end past it.
  constexpr int64_t kHuge = int64_t(1) << 40;
  if (step == 1 && start >= 0 && end >= kHuge)
    return dim - SymDim::constant(start);
  if (step == 1 && start >= 0 && end >= 0 && end >= start && end < kHuge)
    return std::nullopt; // min(end, dim) - start: unknown without bounds
  return std::nullopt;
}

LogicalResult ShapeAnalysis::visit(Operation *op) {
  auto resultRank = [&](Value v) -> std::optional<int64_t> {
    if (auto r = dyn_cast<RankedTensorType>(v.getType()))
      return r.getRank();
    return std::nullopt;
  };

  llvm::TypeSwitch<Operation *>(op)
      .Case<od::ConstantOp>([&](od::ConstantOp c) {
        auto type = cast<ShapedType>(c.getValue().getType());
        SymVector s;
        for (int64_t d : type.getShape())
          s.push_back(SymDim::constant(d));
        setShape(c.getResult(), s);
        auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
        if (dense && type.getElementType().isInteger() &&
            type.getNumElements() <= kMaxTrackedElements) {
          SymVector values;
          for (const APInt &v : dense.getValues<APInt>())
            values.push_back(SymDim::constant(
                type.getElementType().isInteger(1) ? int64_t(v.getBoolValue())
                                                   : v.getSExtValue()));
          setContents(c.getResult(), values);
        }
      })
      // Shape-preserving ops.
      .Case<od::IdentityOp, od::NegOp, od::AbsOp, od::SignOp, od::SqrtOp,
            od::ReciprocalOp, od::ExpOp, od::LogOp, od::TanhOp, od::SigmoidOp,
            od::ErfOp, od::CosOp, od::SinOp, od::FloorOp, od::CeilOp, od::RoundOp,
            od::ReluOp, od::SoftplusOp, od::NotOp, od::IsNaNOp, od::IsInfOp,
            od::GeluOp, od::LeakyReluOp, od::CastOp, od::CastLikeOp>(
          [&](Operation *) {
            if (const SymVector *s = shapeOf(op->getOperand(0)))
              setShape(op->getResult(0), *s);
            visitElementwise(op);
          })
      .Case<od::SoftmaxOp, od::LogSoftmaxOp, od::CumSumOp, od::TriluOp,
            od::RotaryEmbeddingOp, od::MsRotaryEmbeddingOp, od::ScatterNDOp,
            od::DequantizeLinearOp, od::QuantizeLinearOp>(
          [&](Operation *) {
            if (const SymVector *s = shapeOf(op->getOperand(0)))
              setShape(op->getResult(0), *s);
          })
      .Case<od::AddOp, od::SubOp, od::MulOp, od::DivOp, od::ModOp, od::PowOp,
            od::EqualOp, od::LessOp, od::LessOrEqualOp, od::GreaterOp,
            od::GreaterOrEqualOp, od::AndOp, od::OrOp, od::XorOp, od::WhereOp,
            od::MaxOp, od::MinOp, od::SumOp, od::MeanOp>(
          [&](Operation *) { visitElementwise(op); })
      .Case<od::ShapeOp>([&](od::ShapeOp s) {
        const SymVector *in = shapeOf(s.getData());
        if (!in)
          return;
        int64_t rank = in->size();
        int64_t start = std::clamp<int64_t>(normalizeAxis(s.getStart(), rank), 0, rank);
        int64_t end = s.getEnd() ? std::clamp<int64_t>(normalizeAxis(*s.getEnd(), rank), 0, rank)
                                 : rank;
        SymVector values(in->begin() + start, in->begin() + std::max(start, end));
        setShape(s.getResult(), {SymDim::constant(values.size())});
        setContents(s.getResult(), values);
      })
      .Case<od::SizeOp>([&](od::SizeOp s) {
        setShape(s.getResult(), {});
        if (const SymVector *in = shapeOf(s.getData()))
          setContents(s.getResult(), {product(*in)});
      })
      .Case<od::MatMulOp>([&](od::MatMulOp m) {
        const SymVector *a = shapeOf(m.getA()), *b = shapeOf(m.getB());
        if (!a || !b || a->empty() || b->empty())
          return;
        SymVector sa = *a, sb = *b;
        bool vecA = sa.size() == 1, vecB = sb.size() == 1;
        if (vecA)
          sa.insert(sa.begin(), SymDim::constant(1));
        if (vecB)
          sb.push_back(SymDim::constant(1));
        SymVector batchA(sa.begin(), sa.end() - 2), batchB(sb.begin(), sb.end() - 2);
        SymVector out = *broadcastShapes(batchA, batchB);
        if (!vecA)
          out.push_back(sa[sa.size() - 2]);
        if (!vecB)
          out.push_back(sb.back());
        setShape(m.getResult(), out);
      })
      .Case<od::GemmOp>([&](od::GemmOp g) {
        const SymVector *a = shapeOf(g.getA()), *b = shapeOf(g.getB());
        if (!a || !b || a->size() != 2 || b->size() != 2)
          return;
        setShape(g.getResult(), {(*a)[g.getTransA() ? 1 : 0], (*b)[g.getTransB() ? 0 : 1]});
      })
      .Case<od::TransposeOp>([&](od::TransposeOp t) {
        const SymVector *in = shapeOf(t.getData());
        if (!in)
          return;
        SymVector out;
        if (auto perm = t.getPerm()) {
          for (int64_t p : *perm)
            out.push_back((*in)[p]);
        } else {
          out.assign(in->rbegin(), in->rend());
        }
        setShape(t.getResult(), out);
      })
      .Case<od::ReshapeOp>([&](od::ReshapeOp r) {
        const SymVector *target = contentsOf(r.getShape());
        const SymVector *in = shapeOf(r.getData());
        if (!target)
          return;
        SymVector out;
        int inferred = -1;
        for (auto [i, d] : llvm::enumerate(*target)) {
          if (d.getConstant() == 0 && !r.getAllowzero()) {
            if (!in || i >= in->size())
              return;
            out.push_back((*in)[i]);
          } else if (d.getConstant() == -1) {
            inferred = i;
            out.push_back(SymDim::constant(1));
          } else {
            out.push_back(d);
          }
        }
        if (inferred >= 0) {
          std::optional<SymDim> q;
          if (in)
            q = product(*in).divideExactly(product(out));
          out[inferred] = q ? *q : fresh();
        }
        setShape(r.getResult(), out);
        if (const SymVector *c = contentsOf(r.getData()))
          setContents(r.getResult(), *c);
      })
      .Case<od::UnsqueezeOp>([&](od::UnsqueezeOp u) {
        const SymVector *in = shapeOf(u.getData());
        auto axes = constContents(u.getAxes());
        if (in && axes) {
          int64_t rank = in->size() + axes->size();
          SmallVector<bool> isNew(rank, false);
          for (int64_t a : *axes) {
            a = normalizeAxis(a, rank);
            if (a < 0 || a >= rank)
              return;
            isNew[a] = true;
          }
          SymVector out;
          auto it = in->begin();
          for (int64_t i = 0; i < rank; ++i)
            out.push_back(isNew[i] ? SymDim::constant(1) : *it++);
          setShape(u.getResult(), out);
        }
        if (const SymVector *c = contentsOf(u.getData()))
          setContents(u.getResult(), *c);
      })
      .Case<od::SqueezeOp>([&](od::SqueezeOp s) {
        const SymVector *in = shapeOf(s.getData());
        if (in) {
          SmallVector<int64_t> axes;
          if (!isa<NoneType>(s.getAxes().getType())) {
            auto c = constContents(s.getAxes());
            if (!c)
              return;
            axes = *c;
          } else {
            for (auto [i, d] : llvm::enumerate(*in)) {
              if (!d.isConstant())
                return; // which dims are 1 is unknown
              if (d.getConstant() == 1)
                axes.push_back(i);
            }
          }
          llvm::SmallBitVector drop(in->size());
          for (int64_t a : axes)
            drop.set(normalizeAxis(a, in->size()));
          SymVector out;
          for (auto [i, d] : llvm::enumerate(*in))
            if (!drop.test(i))
              out.push_back(d);
          setShape(s.getResult(), out);
        }
        if (const SymVector *c = contentsOf(s.getData()))
          setContents(s.getResult(), *c);
      })
      .Case<od::FlattenOp>([&](od::FlattenOp f) {
        const SymVector *in = shapeOf(f.getInput());
        if (!in)
          return;
        int64_t axis = normalizeAxis(f.getAxis(), in->size());
        setShape(f.getResult(), {product(ArrayRef(*in).take_front(axis)),
                                 product(ArrayRef(*in).drop_front(axis))});
      })
      .Case<od::ConcatOp>([&](od::ConcatOp c) {
        SmallVector<const SymVector *> ins;
        for (Value v : c.getInputs())
          ins.push_back(shapeOf(v));
        if (llvm::all_of(ins, [](auto *s) { return s != nullptr; }) && !ins.empty()) {
          SymVector out = *ins[0];
          int64_t axis = normalizeAxis(c.getAxis(), out.size());
          if (axis >= 0 && axis < int64_t(out.size())) {
            for (size_t k = 1; k < ins.size(); ++k)
              out[axis] = out[axis] + (*ins[k])[axis];
            setShape(c.getResult(), out);
          }
        }
        SymVector values;
        for (Value v : c.getInputs()) {
          const SymVector *cv = contentsOf(v);
          if (!cv)
            return;
          values.insert(values.end(), cv->begin(), cv->end());
        }
        setContents(c.getResult(), values);
      })
      .Case<od::GatherOp>([&](od::GatherOp g) {
        const SymVector *data = shapeOf(g.getData()), *idx = shapeOf(g.getIndices());
        if (!data || !idx)
          return;
        int64_t axis = normalizeAxis(g.getAxis(), data->size());
        SymVector out(data->begin(), data->begin() + axis);
        out.insert(out.end(), idx->begin(), idx->end());
        out.insert(out.end(), data->begin() + axis + 1, data->end());
        setShape(g.getResult(), out);
        const SymVector *values = contentsOf(g.getData());
        auto indices = constContents(g.getIndices());
        if (values && indices && data->size() == 1) {
          SymVector picked;
          for (int64_t i : *indices) {
            if (i < 0)
              i += values->size();
            if (i < 0 || i >= int64_t(values->size()))
              return;
            picked.push_back((*values)[i]);
          }
          setContents(g.getResult(), picked);
        }
      })
      .Case<od::GatherElementsOp>([&](od::GatherElementsOp g) {
        if (const SymVector *s = shapeOf(g.getIndices()))
          setShape(g.getResult(), *s);
      })
      .Case<od::GatherNDOp>([&](od::GatherNDOp g) {
        const SymVector *data = shapeOf(g.getData()), *idx = shapeOf(g.getIndices());
        if (!data || !idx || idx->empty())
          return;
        auto last = idx->back().getConstant();
        int64_t b = g.getBatchDims();
        if (!last || b + *last > int64_t(data->size()))
          return;
        SymVector out(idx->begin(), idx->end() - 1);
        out.insert(out.end(), data->begin() + b + *last, data->end());
        setShape(g.getResult(), out);
      })
      .Case<od::SliceOp>([&](od::SliceOp s) {
        const SymVector *in = shapeOf(s.getData());
        auto starts = constContents(s.getStarts()), ends = constContents(s.getEnds());
        if (!in || !starts || !ends || starts->size() != ends->size())
          return;
        SmallVector<int64_t> axes, steps(starts->size(), 1);
        if (!isa<NoneType>(s.getAxes().getType())) {
          auto a = constContents(s.getAxes());
          if (!a)
            return;
          axes = *a;
        } else {
          for (size_t i = 0; i < starts->size(); ++i)
            axes.push_back(i);
        }
        if (!isa<NoneType>(s.getSteps().getType())) {
          auto st = constContents(s.getSteps());
          if (!st)
            return;
          steps = *st;
        }
        SymVector out = *in;
        bool exact = true;
        for (size_t k = 0; k < axes.size(); ++k) {
          int64_t a = normalizeAxis(axes[k], in->size());
          if (a < 0 || a >= int64_t(in->size()))
            return;
          auto len = sliceLength((*in)[a], (*starts)[k], (*ends)[k], steps[k]);
          exact &= bool(len);
          out[a] = len ? *len : fresh();
        }
        setShape(s.getResult(), out);
        // Contents of a sliced 1-D shape value (e.g. Shape(x)[0:2]).
        const SymVector *values = contentsOf(s.getData());
        if (values && in->size() == 1 && exact && steps[0] == 1) {
          int64_t n = values->size();
          int64_t st = std::clamp<int64_t>((*starts)[0] < 0 ? (*starts)[0] + n : (*starts)[0], 0, n);
          int64_t en = std::clamp<int64_t>((*ends)[0] < 0 ? (*ends)[0] + n : (*ends)[0], 0, n);
          setContents(s.getResult(),
                      SymVector(values->begin() + st, values->begin() + std::max(st, en)));
        }
      })
      .Case<od::ExpandOp>([&](od::ExpandOp e) {
        const SymVector *in = shapeOf(e.getInput()), *target = contentsOf(e.getShape());
        if (in && target)
          setShape(e.getResult(), *broadcastShapes(*in, *target));
      })
      .Case<od::TileOp>([&](od::TileOp t) {
        const SymVector *in = shapeOf(t.getInput()), *reps = contentsOf(t.getRepeats());
        if (!in || !reps || in->size() != reps->size())
          return;
        SymVector out;
        for (size_t i = 0; i < in->size(); ++i)
          out.push_back((*in)[i] * (*reps)[i]);
        setShape(t.getResult(), out);
      })
      .Case<od::PadOp>([&](od::PadOp p) {
        const SymVector *in = shapeOf(p.getData());
        auto pads = constContents(p.getPads());
        if (!in || !pads || !isa<NoneType>(p.getAxes().getType()) ||
            pads->size() != 2 * in->size())
          return;
        SymVector out = *in;
        for (size_t i = 0; i < in->size(); ++i)
          out[i] = out[i] + SymDim::constant((*pads)[i] + (*pads)[i + in->size()]);
        setShape(p.getResult(), out);
      })
      .Case<od::RangeOp>([&](od::RangeOp r) {
        const SymVector *start = contentsOf(r.getStart()), *limit = contentsOf(r.getLimit());
        auto delta = constContents(r.getDelta());
        if (!start || !limit || !delta || start->size() != 1 || limit->size() != 1 ||
            delta->size() != 1 || (*delta)[0] == 0) {
          setShape(r.getResult(), {fresh()});
          return;
        }
        SymDim span = (*limit)[0] - (*start)[0];
        int64_t d = (*delta)[0];
        SymDim len;
        if (auto k = span.getConstant())
          len = SymDim::constant(std::max<int64_t>(0, (*k + d - (d > 0 ? 1 : -1)) / d));
        else if (d == 1)
          len = span;
        else
          len = fresh();
        setShape(r.getResult(), {len});
        // Small constant ranges have constant contents.
        if (auto n = len.getConstant(); n && *n <= kMaxTrackedElements)
          if (auto s0 = (*start)[0].getConstant()) {
            SymVector values;
            for (int64_t i = 0; i < *n; ++i)
              values.push_back(SymDim::constant(*s0 + i * d));
            if (getElementTypeOrSelf(r.getResult().getType()).isInteger())
              setContents(r.getResult(), values);
          }
      })
      .Case<od::ConstantOfShapeOp>([&](od::ConstantOfShapeOp c) {
        const SymVector *target = contentsOf(c.getInput());
        if (!target)
          return;
        setShape(c.getResult(), *target);
      })
      .Case<od::SplitOp>([&](od::SplitOp s) {
        const SymVector *in = shapeOf(s.getInput());
        if (!in)
          return;
        int64_t axis = normalizeAxis(s.getAxis(), in->size());
        SymVector sizes;
        if (!isa<NoneType>(s.getSplit().getType())) {
          const SymVector *c = contentsOf(s.getSplit());
          if (!c || c->size() != s.getNumResults())
            return;
          sizes = *c;
        } else {
          auto each = (*in)[axis].divideExactly(SymDim::constant(s.getNumResults()));
          if (!each)
            return;
          sizes.assign(s.getNumResults(), *each);
        }
        for (auto [i, result] : llvm::enumerate(s.getResults())) {
          SymVector out = *in;
          out[axis] = sizes[i];
          setShape(result, out);
        }
      })
      .Case<od::ReduceMeanOp, od::ReduceSumOp, od::ReduceMaxOp, od::ReduceMinOp,
            od::ReduceProdOp, od::ReduceL2Op>([&](auto r) {
        visitReduce(r, r.getData(), r.getAxes(), r.getKeepdims(),
                    r.getNoopWithEmptyAxes());
      })
      .Case<od::ArgMaxOp>([&](od::ArgMaxOp a) {
        const SymVector *in = shapeOf(a.getData());
        if (!in)
          return;
        SymVector out = *in;
        int64_t axis = normalizeAxis(a.getAxis(), in->size());
        if (a.getKeepdims())
          out[axis] = SymDim::constant(1);
        else
          out.erase(out.begin() + axis);
        setShape(a.getResult(), out);
      })
      .Case<od::LayerNormalizationOp, od::RMSNormalizationOp,
            od::SimplifiedLayerNormalizationOp>([&](auto n) {
        const SymVector *in = shapeOf(n.getX());
        if (!in)
          return;
        setShape(n->getResult(0), *in);
        SymVector stats = *in;
        int64_t axis = normalizeAxis(n.getAxis(), in->size());
        for (size_t i = axis; i < stats.size(); ++i)
          stats[i] = SymDim::constant(1);
        for (Value extra : n->getResults().drop_front())
          if (!isa<NoneType>(extra.getType()))
            setShape(extra, stats);
      })
      .Case<od::MsSkipSimplifiedLayerNormalizationOp, od::MsSkipLayerNormalizationOp>(
          [&](auto n) {
            const SymVector *in = shapeOf(n.getInput());
            if (!in)
              return;
            setShape(n.getOutput(), *in);
            if (!isa<NoneType>(n.getInputSkipBiasSum().getType()))
              setShape(n.getInputSkipBiasSum(), *in);
            SymVector stats = *in;
            stats.back() = SymDim::constant(1);
            for (Value v : {n.getMean(), n.getInvStdVar()})
              if (!isa<NoneType>(v.getType()))
                setShape(v, stats);
          })
      .Case<od::AttentionOp>([&](od::AttentionOp a) {
        const SymVector *q = shapeOf(a.getQ()), *v = shapeOf(a.getV());
        if (!q || !v)
          return;
        if (q->size() == 4 && v->size() == 4) {
          setShape(a.getY(), {(*q)[0], (*q)[1], (*q)[2], (*v)[3]});
        } else if (q->size() == 3 && v->size() == 3 && a.getKvNumHeads()) {
          auto vHead = (*v)[2].divideExactly(SymDim::constant(*a.getKvNumHeads()));
          if (vHead && a.getQNumHeads())
            setShape(a.getY(), {(*q)[0], (*q)[1],
                                *vHead * SymDim::constant(*a.getQNumHeads())});
        }
      })
      .Case<od::MsGroupQueryAttentionOp>([&](od::MsGroupQueryAttentionOp g) {
        const SymVector *q = shapeOf(g.getQuery());
        if (!q || q->size() != 3)
          return;
        SymDim hidden = (*q)[2];
        if (isa<NoneType>(g.getKey().getType())) // packed QKV
          if (auto headDim = hidden.divideExactly(
                  SymDim::constant(g.getNumHeads() + 2 * g.getKvNumHeads())))
            hidden = *headDim * SymDim::constant(g.getNumHeads());
        setShape(g.getOutput(), {(*q)[0], (*q)[1], hidden});
      })
      .Case<od::MsMultiHeadAttentionOp>([&](od::MsMultiHeadAttentionOp m) {
        const SymVector *q = shapeOf(m.getQuery()), *v = shapeOf(m.getValue());
        if (!q || q->size() != 3)
          return;
        SymDim hidden = v && v->size() == 3 ? (*v)[2]
                        : v && v->size() == 4
                            ? (*v)[3] * SymDim::constant(m.getNumHeads())
                            : (*q)[2];
        setShape(m.getOutput(), {(*q)[0], (*q)[1], hidden});
      })
      // attn ops (raising passes re-run the analysis on partly raised IR).
      .Case<attn::RmsNormOp, attn::LayerNormOp, attn::ActivationOp, attn::RopeOp,
            attn::ResidualAddOp, attn::LogitSoftcapOp, attn::LogitScaleOp,
            attn::GatedActivationOp>(
          [&](Operation *) {
            if (const SymVector *s = shapeOf(op->getOperand(0)))
              setShape(op->getResult(0), *s);
          })
      .Case<attn::LinearOp, attn::QuantizedLinearOp>([&](auto l) {
        const SymVector *x = shapeOf(l.getX());
        if (!x || x->empty())
          return;
        SymVector out = *x;
        out.back() = SymDim::constant(l.getOutFeatures());
        setShape(l.getOutput(), out);
      })
      .Case<attn::EmbeddingOp>([&](attn::EmbeddingOp e) {
        const SymVector *ids = shapeOf(e.getIds());
        auto hidden = cast<ShapedType>(e.getTable().getType());
        if (!ids || !hidden.hasRank() || hidden.getRank() != 2 || hidden.isDynamicDim(1))
          return;
        SymVector out = *ids;
        out.push_back(SymDim::constant(hidden.getDimSize(1)));
        setShape(e.getOutput(), out);
      })
      .Case<attn::AttentionOp>([&](attn::AttentionOp a) {
        const SymVector *q = shapeOf(a.getQuery()), *v = shapeOf(a.getValue());
        if (q && v && q->size() == 4 && v->size() == 4)
          setShape(a.getOutput(), {(*q)[0], (*q)[1], (*q)[2], (*v)[3]});
      })
      .Case<attn::PositionsOp>([&](attn::PositionsOp p) {
        const SymVector *tokens = shapeOf(p.getTokens());
        auto type = dyn_cast<RankedTensorType>(p.getType());
        if (!tokens || tokens->size() != 2 || !type)
          return;
        SymDim rows = type.getDimSize(0) == 1 ? SymDim::constant(1) : (*tokens)[0];
        setShape(p.getPositions(), {rows, (*tokens)[1]});
      })
      .Case<od::MsMatMulNBitsOp>([&](od::MsMatMulNBitsOp m) {
        const SymVector *a = shapeOf(m.getA());
        if (!a || a->empty())
          return;
        SymVector out = *a;
        out.back() = SymDim::constant(m.getN());
        setShape(m.getResult(), out);
      });

  // Anything still unknown but ranked gets its declared dims (fresh symbols
  // for dynamic ones), so downstream ops can still be inferred.
  for (Value r : op->getResults()) {
    if (shapes.count(r))
      continue;
    if (auto rank = resultRank(r))
      setShape(r, freshShape(*rank));
  }
  return success();
}

// Graphs exported with a KV cache (optimum naming: past_key_values.N.key /
// .value [batch, kv_heads, past, head_dim]) take an attention_mask that covers
// the past and the new tokens, [batch, past + seq]. Exporters cannot state that
// sum (torch.export has no Dim + Dim), so the mask gets a length symbol of its
// own; when that symbol occurs in no other input, it is bound to past + seq
// here, which is what the graph's Range(0, past + seq) key indices into the
// mask require anyway.
void ShapeAnalysis::bindPastAttentionMask() {
  auto nameOf = [&](BlockArgument arg) -> StringRef {
    if (auto n = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name"))
      return n.getValue();
    return "";
  };
  BlockArgument ids, mask;
  std::optional<SymDim> past;
  bool pastAgrees = true;
  for (BlockArgument arg : func.getArguments()) {
    StringRef name = nameOf(arg);
    auto it = shapes.find(arg);
    if (it == shapes.end())
      continue;
    if (name == "input_ids")
      ids = arg;
    else if (name == "attention_mask")
      mask = arg;
    else if (name.starts_with("past_key_values.") && it->second.size() == 4) {
      if (past && *past != it->second[2])
        pastAgrees = false;
      past = it->second[2];
    }
  }
  if (!ids || !mask || !past || !pastAgrees || past->isConstant())
    return;
  SymVector &maskShape = shapes[mask];
  const SymVector &idsShape = shapes[ids];
  if (maskShape.size() != 2 || idsShape.size() != 2 || maskShape[1].isConstant())
    return;
  SymDim length = maskShape[1];
  for (BlockArgument arg : func.getArguments()) {
    if (arg == mask || !shapes.count(arg))
      continue;
    for (const SymDim &d : shapes[arg])
      if (d == length)
        return; // the length is shared with another input: not a free symbol
  }
  maskShape[1] = *past + idsShape[1];
}

LogicalResult ShapeAnalysis::run() {
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      continue;
    auto dimParams = func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "onnx.dim_params");
    SymVector s;
    for (auto [i, d] : llvm::enumerate(type.getShape())) {
      StringRef param;
      if (dimParams && i < dimParams.size())
        param = cast<StringAttr>(dimParams[i]).getValue();
      s.push_back(!ShapedType::isDynamic(d) ? SymDim::constant(d)
                  : !param.empty()          ? SymDim::symbol(param)
                                            : fresh());
    }
    shapes[arg] = s;
  }
  bindPastAttentionMask();
  for (Operation &op : func.getBody().front())
    if (failed(visit(&op)))
      return failure();
  return success();
}

} // namespace attnc
