// attn-raise-attention, decomposed form: the MatMul / Softmax / MatMul
// attention that the torch.onnx dynamo exporter writes (eager and sdpa)
// becomes attn.attention.
//
// Anchored at a Softmax over the last axis, read upwards:
//   [mask op annotated by attn-classify-masks]  Add(scores, mask) / Where
//   [softcap]                                   Mul(Tanh(Div(x, c)), c)
//   [scale]                                     Mul / Div by scalar constants
//   MatMul(Q', K'^T)                            q and k^T may carry scalar Muls too
// and downwards: an optional Where(IsNaN(p), 0, p) guard (sdpa; it only zeroes
// rows that are NaN because every key is masked), then MatMul(p, V').
// Q'/V' are head-major [b, h, s, d]; K'^T is Transpose(0,1,3,2) of a head-major
// K', Transpose(0,2,3,1) of a token-major one, or sdpa's
// Reshape([-1, t, d]) -> Transpose(0,2,1) -> Reshape([b, h, d, t]), whose
// shape operands are evaluated to prove they compute exactly that transpose.
// repeat_kv (Unsqueeze(2) + Expand + Reshape) is folded into num_kv_heads; so
// is a MatMul that broadcasts one KV head (MQA). K and V must agree.
//
// A Softmax whose input is an Add or Where without attn.mask is refused: the
// scores may be masked by something the classifier did not understand, and a
// missing annotation never means causal.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"
#include "passes/ShapeAnalysis.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

namespace {

bool hasPerm(od::TransposeOp t, ArrayRef<int64_t> perm) {
  return t && t.getPerm() && *t.getPerm() == perm;
}


// One element of a 1-D shape tensor: a constant, or dim `dim` of `of`.
struct ShapeElt {
  Value of;
  int64_t dim = 0;
  int64_t constant = 0;
  bool isConst() const { return !of; }
  bool isConst(int64_t c) const { return !of && constant == c; }
  bool isDim(Value v, int64_t d) const { return of == v && dim == d; }
};


int64_t clampIndex(int64_t i, int64_t n) {
  if (i < 0)
    i += n;
  return std::clamp<int64_t>(i, 0, n);
}

// Evaluates a shape tensor built from constants, Shape, Slice and Concat.
std::optional<SmallVector<ShapeElt>> evalShape(Value v) {
  if (auto values = raise::intConstants(v)) {
    if (raise::rankOf(v) > 1)
      return std::nullopt;
    SmallVector<ShapeElt> out;
    for (int64_t c : *values)
      out.push_back(ShapeElt{Value(), 0, c});
    return out;
  }
  Operation *def = v.getDefiningOp();
  if (auto shape = dyn_cast_or_null<od::ShapeOp>(def)) {
    int64_t rank = raise::rankOf(shape.getData());
    if (rank < 0)
      return std::nullopt;
    int64_t start = clampIndex(int64_t(shape.getStart()), rank);
    int64_t end = shape.getEnd() ? clampIndex(int64_t(*shape.getEnd()), rank) : rank;
    SmallVector<ShapeElt> out;
    for (int64_t i = start; i < end; ++i)
      out.push_back(ShapeElt{shape.getData(), i, 0});
    return out;
  }
  if (auto slice = dyn_cast_or_null<od::SliceOp>(def)) {
    auto data = evalShape(slice.getData());
    auto starts = raise::intConstants(slice.getStarts()), ends = raise::intConstants(slice.getEnds());
    if (!data || !starts || !ends || starts->size() != 1 || ends->size() != 1)
      return std::nullopt;
    if (!isa<NoneType>(slice.getAxes().getType())) {
      auto axes = raise::intConstants(slice.getAxes());
      if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1))
        return std::nullopt;
    }
    if (!isa<NoneType>(slice.getSteps().getType())) {
      auto steps = raise::intConstants(slice.getSteps());
      if (!steps || steps->size() != 1 || (*steps)[0] != 1)
        return std::nullopt;
    }
    int64_t n = data->size();
    int64_t b = clampIndex((*starts)[0], n), e = clampIndex((*ends)[0], n);
    SmallVector<ShapeElt> out;
    for (int64_t i = b; i < e; ++i)
      out.push_back((*data)[i]);
    return out;
  }
  if (auto concat = dyn_cast_or_null<od::ConcatOp>(def)) {
    int64_t axis = int64_t(concat.getAxis());
    if (axis != 0 && axis != -1)
      return std::nullopt;
    SmallVector<ShapeElt> out;
    for (Value in : concat.getInputs()) {
      auto part = evalShape(in);
      if (!part)
        return std::nullopt;
      out.append(*part);
    }
    return out;
  }
  return std::nullopt;
}

// A scalar Mul/Div by a constant on `v` (same type in and out): the factor it
// applies and the operand.
std::optional<std::pair<double, Value>> scalarScaling(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def || !isa<od::MulOp, od::DivOp>(def))
    return std::nullopt;
  Value a = def->getOperand(0), b = def->getOperand(1);
  if (isa<od::MulOp>(def)) {
    if (auto c = raise::scalarConstant(b); c && a.getType() == v.getType())
      return std::make_pair(*c, a);
    if (auto c = raise::scalarConstant(a); c && b.getType() == v.getType())
      return std::make_pair(*c, b);
    return std::nullopt;
  }
  if (auto c = raise::scalarConstant(b); c && *c != 0 && a.getType() == v.getType())
    return std::make_pair(1.0 / *c, a);
  return std::nullopt;
}

// Strips scalar constant scalings, multiplying their factors into `scale`.
Value stripScaling(Value v, double &scale) {
  while (auto s = scalarScaling(v)) {
    scale *= s->first;
    v = s->second;
  }
  return v;
}

// Where dim `dim` of `v` comes from: walks back through ops that copy that
// dim unchanged from one operand (layout ops, token-wise attn ops, scalar
// scalings), so that two dims with the same origin are provably equal even
// where the symbolic shape analysis does not see through attn ops.
// Results per (value, dim), shared by one DimProver: a binary op asks for
// the origins of both operands, and residual streams chain such ops through
// every layer, so without it the walk doubles per layer.
using OriginMemo = llvm::DenseMap<std::pair<Value, int64_t>, std::pair<Value, int64_t>>;

std::pair<Value, int64_t> dimOrigin(Value v, int64_t dim, OriginMemo &memo) {
  const std::pair<Value, int64_t> start{v, dim};
  if (auto it = memo.find(start); it != memo.end())
    return it->second;
  for (int step = 0; step < 256; ++step) {
    Operation *def = v.getDefiningOp();
    if (!def || dim < 0)
      break;
    int64_t rank = raise::rankOf(v);
    if (auto t = dyn_cast<od::TransposeOp>(def)) {
      if (!t.getPerm())
        break;
      v = t.getData(), dim = (*t.getPerm())[dim];
      continue;
    }
    if (auto r = dyn_cast<od::ReshapeOp>(def)) {
      auto target = raise::intConstants(r.getShape());
      if (r.getAllowzero() != 0 || !target || dim >= int64_t(target->size()) ||
          (*target)[dim] != 0 || dim >= raise::rankOf(r.getData()))
        break;
      v = r.getData();
      continue;
    }
    if (auto sl = dyn_cast<od::SliceOp>(def)) {
      auto axes = raise::intConstants(sl.getAxes());
      if (!axes || rank < 0)
        break;
      bool sliced = llvm::any_of(*axes, [&](int64_t a) { return (a < 0 ? a + rank : a) == dim; });
      if (sliced)
        break;
      v = sl.getData();
      continue;
    }
    if (auto sp = dyn_cast<od::SplitOp>(def)) {
      int64_t axis = int64_t(sp.getAxis());
      if ((axis < 0 ? axis + rank : axis) == dim)
        break;
      v = sp.getInput();
      continue;
    }
    if (auto g = dyn_cast<od::GatherNDOp>(def)) {
      // indices [1, 1], batch_dims 0: result [1] + data.shape[1:].
      auto idx = raise::rankedOf(g.getIndices());
      if (g.getBatchDims() != 0 || !idx || idx.getRank() != 2 || !idx.hasStaticShape() ||
          idx.getDimSize(0) != 1 || idx.getDimSize(1) != 1 || dim < 1)
        break;
      v = g.getData();
      continue;
    }
    if (auto s = scalarScaling(v)) {
      v = s->second;
      continue;
    }
    // Every operand of these has the result's shape.
    if (isa<od::CastOp>(def) || def->hasTrait<OpTrait::SameOperandsAndResultShape>()) {
      if (def->getNumOperands() < 1)
        break;
      v = def->getOperand(0);
      continue;
    }
    // A broadcasting binary op copies a dim both operands provably share.
    if (isa<od::AddOp, od::SubOp, od::MulOp, od::DivOp, attn::ResidualAddOp>(def) &&
        def->getNumOperands() == 2 && raise::rankOf(def->getOperand(0)) == rank &&
        raise::rankOf(def->getOperand(1)) == rank &&
        dimOrigin(def->getOperand(0), dim, memo) == dimOrigin(def->getOperand(1), dim, memo)) {
      v = def->getOperand(0);
      continue;
    }
    if (isa<attn::EmbeddingOp>(def)) {
      if (dim >= rank - 1)
        break;
      v = def->getOperand(1);
      continue;
    }
    if (isa<attn::RopeOp, attn::RmsNormOp, attn::LayerNormOp, attn::LinearOp,
            attn::QuantizedLinearOp,
            attn::ActivationOp, attn::GatedActivationOp, attn::AttentionOp>(def)) {
      // Token-wise: every dim but the feature dim is operand 0's.
      if (dim >= rank - 1 || raise::rankOf(def->getOperand(0)) != rank)
        break;
      v = def->getOperand(0);
      continue;
    }
    break;
  }
  memo[start] = {v, dim};
  return {v, dim};
}

// Lazily built symbolic shapes of the enclosing function.
class DimProver {
public:
  explicit DimProver(Operation *at) : at(at) {}
  bool same(Value a, int64_t da, Value b, int64_t db) {
    std::optional<int64_t> sa = raise::staticDim(a, da), sb = raise::staticDim(b, db);
    if (sa && sb)
      return *sa == *sb;
    auto [oa, oda] = dimOrigin(a, da, origins);
    auto [ob, odb] = dimOrigin(b, db, origins);
    if (oa == ob && oda == odb)
      return true;
    return symbolicSame(a, da, b, db) || symbolicSame(oa, oda, ob, odb);
  }

private:
  bool symbolicSame(Value a, int64_t da, Value b, int64_t db) {
    if (!analysis) {
      auto func = at->getParentOfType<func::FuncOp>();
      if (!func || !func.getBody().hasOneBlock())
        return false;
      analysis = std::make_unique<ShapeAnalysis>(func);
      if (failed(analysis->run()))
        failed_ = true;
    }
    if (failed_)
      return false;
    const SymVector *shapeA = analysis->shapeOf(a), *shapeB = analysis->shapeOf(b);
    if (!shapeA || !shapeB || da >= int64_t(shapeA->size()) || db >= int64_t(shapeB->size()))
      return false;
    return (*shapeA)[da] == (*shapeB)[db];
  }

  Operation *at;
  OriginMemo origins;
  std::unique_ptr<ShapeAnalysis> analysis;
  bool failed_ = false;
};

// A head-major [b, h, t, d] value with its repeat_kv chain removed.
struct KvSource {
  Value headMajor;    // [b, kvh, t, d] before the repeat (or the value itself)
  Value tokenMajor;   // [b, t, kvh, d] when the source was token-major
  int64_t kvHeads = 0;
  int64_t repeat = 1; // copies per kv head
};

// Removes Reshape(Expand(Unsqueeze(x, 2), [.., kvh, n, .., d]), [0, kvh*n, -1, d])
// or the same with Tile(.., [1, 1, n, 1, 1]) for the Expand: query head h then
// reads kv head h / n, as in attn.attention. (A Tile of the head axis itself
// would interleave the heads, h % kvh, and is not matched.)
KvSource stripRepeatKv(Value hm) {
  KvSource src{hm, Value(), raise::staticDim(hm, 1).value_or(0), 1};
  auto reshape = hm.getDefiningOp<od::ReshapeOp>();
  if (!reshape || reshape.getAllowzero() != 0)
    return src;
  Operation *repeatOp = reshape.getData().getDefiningOp();
  if (!repeatOp || !isa<od::ExpandOp, od::TileOp>(repeatOp))
    return src;
  Value repeated = repeatOp->getOperand(0);
  auto unsq = repeated.getDefiningOp<od::UnsqueezeOp>();
  if (!unsq)
    return src;
  auto axes = raise::intConstants(unsq.getAxes());
  Value x = unsq.getData();
  if (!axes || axes->size() != 1 || ((*axes)[0] != 2 && (*axes)[0] != -3) || raise::rankOf(x) != 4)
    return src;
  auto in = raise::rankedOf(repeated);
  auto factors = raise::intConstants(repeatOp->getOperand(1));
  std::optional<int64_t> kvh = raise::staticDim(x, 1), d = raise::staticDim(x, 3),
                         n = raise::staticDim(repeatOp->getResult(0), 2);
  if (!in || !factors || factors->size() != 5 || !kvh || !d || !n || in.getDimSize(2) != 1)
    return src;
  if (isa<od::TileOp>(repeatOp)) {
    // Only axis 2 is repeated.
    for (int64_t i = 0; i < 5; ++i)
      if ((*factors)[i] != (i == 2 ? *n : 1))
        return src;
  } else {
    // Only axis 2 may grow: every other target entry is 1 or the dim itself.
    auto keeps = [&](int64_t i, std::optional<int64_t> dim) {
      return (*factors)[i] == 1 || (dim && (*factors)[i] == *dim);
    };
    if (!keeps(0, raise::staticDim(x, 0)) || !keeps(1, kvh) || (*factors)[2] != *n ||
        !keeps(3, raise::staticDim(x, 2)) || !keeps(4, d))
      return src;
  }
  auto target = raise::intConstants(reshape.getShape());
  if (!target || target->size() != 4 || (*target)[0] != 0 || (*target)[1] != *kvh * *n ||
      (*target)[2] != -1 || (*target)[3] != *d)
    return src;
  return KvSource{x, Value(), *kvh, *n};
}

// K'^T [b, h, d, t] -> K' (head-major) or token-major K.
FailureOr<KvSource> keyFromTransposed(Value kt, std::string &why) {
  auto t = kt.getDefiningOp<od::TransposeOp>();
  if (hasPerm(t, {0, 1, 3, 2}))
    return stripRepeatKv(t.getData());
  if (hasPerm(t, {0, 2, 3, 1})) {
    Value tm = t.getData();
    return KvSource{Value(), tm, raise::staticDim(tm, 2).value_or(0), 1};
  }
  // sdpa: Reshape(Transpose(Reshape(K', [-1, t, d]), 0,2,1), [b, h, d, t]).
  auto outer = kt.getDefiningOp<od::ReshapeOp>();
  if (!outer) {
    why = "K^T is neither a Transpose nor sdpa's Reshape/Transpose/Reshape";
    return failure();
  }
  auto mid = outer.getData().getDefiningOp<od::TransposeOp>();
  auto inner = mid ? mid.getData().getDefiningOp<od::ReshapeOp>() : od::ReshapeOp();
  if (!hasPerm(mid, {0, 2, 1}) || !inner || outer.getAllowzero() != 0 ||
      inner.getAllowzero() != 0) {
    why = "K^T's Reshape is not sdpa's Reshape/Transpose(0,2,1)/Reshape";
    return failure();
  }
  Value k = inner.getData();
  std::optional<int64_t> h = raise::staticDim(k, 1), d = raise::staticDim(k, 3);
  auto s1 = evalShape(inner.getShape()), s2 = evalShape(outer.getShape());
  if (raise::rankOf(k) != 4 || !h || !d || !s1 || !s2 || s1->size() != 3 || s2->size() != 4) {
    why = "sdpa K^T reshapes have shapes that are not evaluable";
    return failure();
  }
  std::optional<int64_t> t0 = raise::staticDim(k, 2), b0 = raise::staticDim(k, 0);
  auto isSeq = [&](const ShapeElt &e) { return e.isDim(k, 2) || (t0 && e.isConst(*t0)); };
  // [b*h, t, d]
  bool innerOk = (*s1)[0].isConst(-1) && isSeq((*s1)[1]) && (*s1)[2].isConst(*d);
  // [b, h, d, t]; a 0 copies b*h, which is b only for one head.
  const SmallVector<ShapeElt> &o = *s2;
  bool batchOk = o[0].isDim(k, 0) || (b0 && o[0].isConst(*b0)) || (o[0].isConst(0) && *h == 1);
  bool outerOk = batchOk && (o[1].isDim(k, 1) || o[1].isConst(*h)) && o[2].isConst(*d) &&
                 (isSeq(o[3]) || o[3].isConst(-1));
  if (!innerOk || !outerOk) {
    why = "sdpa K^T reshapes do not compute [b*h, t, d] and [b, h, d, t]";
    return failure();
  }
  return stripRepeatKv(k);
}

struct RaiseDecomposedAttention : OpRewritePattern<od::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::SoftmaxOp softmax, PatternRewriter &rewriter) const override {
    Value input = softmax.getInput();
    int64_t rank = raise::rankOf(input);
    if (rank != 4)
      return rewriter.notifyMatchFailure(softmax, "scores are not 4-D [b, h, s, t]");
    int64_t axis = int64_t(softmax.getAxis());
    if (axis != -1 && axis != rank - 1)
      return rewriter.notifyMatchFailure(softmax, "softmax is not over the last (key) axis");

    // The mask op and the scores below it.
    Value scores = input;
    DictionaryAttr mask;
    Operation *maskOp = input.getDefiningOp();
    if (maskOp && isa<od::AddOp, od::WhereOp>(maskOp)) {
      mask = maskOp->getAttrOfType<DictionaryAttr>("attn.mask");
      if (!mask)
        return rewriter.notifyMatchFailure(
            softmax, "scores pass an Add/Where without attn.mask: an unclassified mask");
      if (maskOp->getResult(0).getType() != input.getType())
        return rewriter.notifyMatchFailure(softmax, "mask op changes the scores' type");
      scores = Value();
      if (isa<od::AddOp>(maskOp)) {
        for (Value operand : maskOp->getOperands())
          if (operand.getType() == input.getType() && isScoresChain(operand)) {
            if (scores)
              return rewriter.notifyMatchFailure(softmax, "both Add operands look like scores");
            scores = operand;
          }
      } else {
        for (unsigned i = 1; i < 3; ++i) {
          Value operand = maskOp->getOperand(i);
          if (operand.getType() == input.getType() && isScoresChain(operand) &&
              raise::scalarConstant(maskOp->getOperand(3 - i)).value_or(0) <= -1.0e4)
            scores = operand;
        }
      }
      if (!scores)
        return rewriter.notifyMatchFailure(softmax, "the mask op's scores operand is not QK^T");
    }

    // Softcap and scale.
    double softcap = 0;
    Value x = scores;
    if (auto mul = x.getDefiningOp<od::MulOp>()) {
      for (unsigned i = 0; i < 2; ++i) {
        auto tanh = mul->getOperand(i).getDefiningOp<od::TanhOp>();
        std::optional<double> c = raise::scalarConstant(mul->getOperand(1 - i));
        auto div = tanh ? tanh.getX().getDefiningOp<od::DivOp>() : od::DivOp();
        if (!tanh || !c || !div || !(*c > 0) || !raise::approxEqual(div.getOperand(1), *c) ||
            div.getOperand(0).getType() != x.getType())
          continue;
        softcap = *c;
        x = div.getOperand(0);
        break;
      }
    }
    double scale = 1.0;
    x = stripScaling(x, scale);
    auto qk = x.getDefiningOp<od::MatMulOp>();
    if (!qk)
      return rewriter.notifyMatchFailure(
          softmax, "scores are not MatMul(q, k^T) under constant scalings and a softcap");
    Value q = stripScaling(qk.getA(), scale);
    Value kt = stripScaling(qk.getB(), scale);
    if (!(scale > 0) || !std::isfinite(scale))
      return rewriter.notifyMatchFailure(softmax, "total scale is not positive and finite");
    if (raise::rankOf(q) != 4 || raise::rankOf(kt) != 4)
      return rewriter.notifyMatchFailure(softmax, "q or k^T is not 4-D");
    std::string why;
    FailureOr<KvSource> key = keyFromTransposed(kt, why);
    if (failed(key))
      return rewriter.notifyMatchFailure(softmax, why);
    // A scaling of K' above its layout chain is not looked through: the chain
    // does not match and the op is refused above.

    // Probabilities -> PV MatMul, through sdpa's NaN guard.
    Value probs = softmax.getResult();
    if (probs.use_empty())
      return rewriter.notifyMatchFailure(softmax, "probabilities are unused");
    Operation *user = *probs.user_begin();
    if (probs.hasNUses(2))
      for (Operation *u : probs.getUsers())
        if (!isa<od::IsNaNOp>(u))
          user = u;
    if (auto where = dyn_cast<od::WhereOp>(user)) {
      auto isnan = where.getCondition().getDefiningOp<od::IsNaNOp>();
      if (!isnan || isnan.getX() != probs || where.getY() != probs ||
          raise::scalarConstant(where.getX()) != std::optional<double>(0.0) ||
          where.getType() != probs.getType() || !probs.hasNUses(2))
        return rewriter.notifyMatchFailure(softmax, "probabilities pass a Where that is not "
                                                    "the NaN guard Where(IsNaN(p), 0, p)");
      probs = where.getResult();
      if (!probs.hasOneUse())
        return rewriter.notifyMatchFailure(softmax, "guarded probabilities have other uses");
      user = *probs.user_begin();
    } else if (!softmax->hasOneUse()) {
      return rewriter.notifyMatchFailure(softmax, "probabilities have other uses");
    }
    auto pv = dyn_cast<od::MatMulOp>(user);
    if (!pv || pv.getA() != probs)
      return rewriter.notifyMatchFailure(softmax, "probabilities do not feed MatMul(p, v)");
    Value vhm = pv.getB();
    if (raise::rankOf(vhm) != 4)
      return rewriter.notifyMatchFailure(softmax, "v is not 4-D");
    KvSource value = stripRepeatKv(vhm);

    // Heads and sizes.
    std::optional<int64_t> heads = raise::staticDim(q, 1), headDim = raise::staticDim(q, 3),
                           vHeadDim = raise::staticDim(vhm, 3);
    std::optional<int64_t> ktHeads = raise::staticDim(kt, 1), vHeads = raise::staticDim(vhm, 1);
    if (!heads || !headDim || !vHeadDim || !ktHeads || !vHeads)
      return rewriter.notifyMatchFailure(softmax, "head counts or head sizes are not static");
    if (raise::staticDim(kt, 2) != *headDim)
      return rewriter.notifyMatchFailure(softmax, "q and k head sizes differ");
    // Per query head, K^T and V each have H heads (repeated from kvh) or one
    // that MatMul broadcasts.
    auto kvOf = [&](const KvSource &s, int64_t seen) -> int64_t {
      if (seen == 1)
        return 1;
      if (seen != *heads || s.kvHeads <= 0 || s.kvHeads * s.repeat != *heads)
        return -1;
      return s.kvHeads;
    };
    int64_t kvK = kvOf(*key, *ktHeads), kvV = kvOf(value, *vHeads);
    if (kvK <= 0 || kvV <= 0)
      return rewriter.notifyMatchFailure(softmax, "k or v heads are neither num_heads nor 1");
    if (kvK != kvV)
      return rewriter.notifyMatchFailure(
          softmax, "k and v are repeated to the query heads differently (repeat_kv mismatch)");
    if (*heads % kvK != 0)
      return rewriter.notifyMatchFailure(softmax, "num_heads is not a multiple of kv heads");
    Type elt = getElementTypeOrSelf(q);
    if (getElementTypeOrSelf(kt) != elt || getElementTypeOrSelf(vhm) != elt ||
        getElementTypeOrSelf(input) != elt)
      return rewriter.notifyMatchFailure(softmax, "q, k, v and scores differ in element type");

    // Token-major operands, and the batch/sequence identities attn.attention
    // assumes (equal batches, kv length shared by k and v).
    Location loc = softmax.getLoc();
    DimProver prover(softmax);
    Value kSrc = key->tokenMajor ? key->tokenMajor : key->headMajor;
    int64_t kSeqDim = key->tokenMajor ? 1 : 2;
    if (!prover.same(q, 0, kSrc, 0) || !prover.same(q, 0, value.headMajor, 0))
      return rewriter.notifyMatchFailure(softmax, "q, k and v batches are not provably equal");
    if (!prover.same(kSrc, kSeqDim, value.headMajor, 2))
      return rewriter.notifyMatchFailure(softmax, "k and v lengths are not provably equal");

    bool causal = false, padding = false, kvAligned = false;
    int64_t window = 0, paddingArg = -1;
    if (mask) {
      auto causalAttr = mask.getAs<BoolAttr>("causal");
      auto windowAttr = mask.getAs<IntegerAttr>("window");
      auto paddingAttr = mask.getAs<BoolAttr>("padding");
      if (!causalAttr || !windowAttr || !paddingAttr)
        return rewriter.notifyMatchFailure(softmax, "attn.mask lacks causal/window/padding");
      causal = causalAttr.getValue();
      window = windowAttr.getInt();
      padding = paddingAttr.getValue();
      if (auto aligned = mask.getAs<BoolAttr>("kv_aligned"))
        kvAligned = aligned.getValue();
      if (window < 0 || (window > 0 && !causal))
        return rewriter.notifyMatchFailure(softmax, "attn.mask window without causal");
      if (padding) {
        auto argAttr = mask.getAs<IntegerAttr>("padding_arg");
        if (!argAttr)
          return rewriter.notifyMatchFailure(softmax, "attn.mask padding without padding_arg");
        paddingArg = argAttr.getInt();
      }
    }
    // attn.attention aligns queries to the last keys. The classifier says so
    // (kv_aligned) when it checked the bounds against kv_seq - seq (graphs
    // with past_key_values); otherwise its causal bound is k <= q by index,
    // and the two agree when the lengths are equal.
    if (causal && !kvAligned && !prover.same(q, 2, kSrc, kSeqDim))
      return rewriter.notifyMatchFailure(
          softmax, "causal with q and kv lengths not provably equal (alignment would differ)");
    Value paddingMask;
    if (padding) {
      auto func = softmax->getParentOfType<func::FuncOp>();
      if (!func || paddingArg < 0 || paddingArg >= int64_t(func.getNumArguments()))
        return rewriter.notifyMatchFailure(softmax, "padding_arg is not a function argument");
      Value arg = func.getArgument(paddingArg);
      auto argType = raise::rankedOf(arg);
      if (!argType || argType.getRank() != 2)
        return rewriter.notifyMatchFailure(softmax, "padding argument is not [b, t]");
      if (!prover.same(arg, 0, q, 0) || !prover.same(arg, 1, kSrc, kSeqDim))
        return rewriter.notifyMatchFailure(softmax,
                                           "padding argument is not provably [b, kv_seq]");
      rewriter.setInsertionPoint(pv);
      paddingMask = od::CastOp::create(
          rewriter, loc, RankedTensorType::get(argType.getShape(), rewriter.getI1Type()), arg,
          /*to=*/9, /*saturate=*/1);
    }

    rewriter.setInsertionPoint(pv);
    Value qTok = raise::swapHeadsAndSeq(rewriter, loc, q);
    Value kTok = key->tokenMajor ? key->tokenMajor
                                 : raise::swapHeadsAndSeq(rewriter, loc, key->headMajor);
    Value vTok = raise::swapHeadsAndSeq(rewriter, loc, value.headMajor);
    auto qt = raise::rankedOf(qTok);
    auto resultType =
        RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(1), *heads, *vHeadDim}, elt);
    Value out = attn::AttentionOp::create(
        rewriter, loc, resultType, qTok, kTok, vTok, paddingMask, /*bias=*/Value(),
        rewriter.getI64IntegerAttr(*heads), rewriter.getI64IntegerAttr(kvK),
        rewriter.getI64IntegerAttr(*headDim), rewriter.getF32FloatAttr(float(scale)),
        rewriter.getBoolAttr(causal), rewriter.getI64IntegerAttr(window),
        rewriter.getF32FloatAttr(float(softcap)), rewriter.getI64IntegerAttr(0));

    // PV [b, h, s, dv] usually goes straight through Transpose(0,2,1,3) back to
    // token-major: that Transpose is the attention result itself.
    Value pvResult = pv.getResult();
    SmallVector<Operation *> swaps;
    for (Operation *u : pvResult.getUsers())
      if (auto t = dyn_cast<od::TransposeOp>(u); hasPerm(t, raise::kHeadMajorSwap) && t.getType() == resultType)
        swaps.push_back(u);
    for (Operation *t : swaps)
      rewriter.replaceOp(t, out);
    if (!pvResult.use_empty())
      rewriter.replaceAllUsesWith(pvResult, raise::swapHeadsAndSeq(rewriter, loc, out));
    rewriter.eraseOp(pv);
    if (probs != softmax.getResult()) {
      Operation *guard = probs.getDefiningOp();
      Operation *isnan = guard->getOperand(0).getDefiningOp();
      rewriter.eraseOp(guard);
      rewriter.eraseOp(isnan);
    }
    rewriter.eraseOp(softmax);
    return success();
  }

private:
  // Whether `v` reads as QK^T under constant scalings and an optional softcap.
  static bool isScoresChain(Value v) {
    double ignored = 1;
    if (auto mul = v.getDefiningOp<od::MulOp>())
      for (Value operand : mul->getOperands())
        if (auto tanh = operand.getDefiningOp<od::TanhOp>())
          if (auto div = tanh.getX().getDefiningOp<od::DivOp>())
            v = div.getOperand(0);
    return stripScaling(v, ignored).getDefiningOp<od::MatMulOp>() != nullptr;
  }
};

} // namespace

void populateRaiseDecomposedAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseDecomposedAttention>(patterns.getContext());
}

} // namespace attnc
