// attn-classify-masks: decides what an attention score mask computes -
// causal, causal with a sliding window of w keys, padding from an
// attention_mask input - and records it as `attn.mask` on the op that applies
// the mask to the scores, or refuses with an error naming the node it did not
// understand. Exporters build the same mask from wildly different op
// sequences, so nothing here matches op sequences: the mask subgraph is
// evaluated abstractly.
//
// Representation. Every tensor of the mask subgraph is a function of its own
// element index (x0, x1, ...), one coordinate per axis:
//   Int        an affine integer expression c + sum a_i * x_i
//              (Range(c, n, a) is c + a * x0; Sub/Add/Mul-by-constant stay affine);
//   PadInt     element [e0, e1] of an integer function argument (attention_mask);
//   Bool       a formula: And/Or/Not over linear constraints (e >= 0) and
//              padding atoms pad(arg)[e0, e1] (the argument is nonzero there);
//   Indicator  a float that is 1 where a formula holds and 0 elsewhere (Cast);
//   Additive   a float that is 0 where a formula holds and very negative
//              elsewhere (Where(p, 0, -big), (1 - ind) * -big, sums of those);
//   Index      a GatherND index tuple: one affine expression per component.
// Shape ops (Unsqueeze, Squeeze, Expand, unit-dim Reshape, Transpose, Slice,
// broadcasting) only renumber or shift the coordinates; Gather/GatherND
// substitute the index expressions into the gathered tensor's coordinates.
// The index variables are therefore only named at the end: the mask is
// right-aligned with the [batch, heads, query, key] scores, so whatever
// coordinate ends on the last axis is the key index k, the one before it the
// query index q, the first the batch index b. No lengths are evaluated, so a
// window of 4096 is recovered as exactly as a window of 8.
//
// Past length. A graph exported with past_key_values inputs offsets the
// query positions by the past length P (read off a past input's shape):
// queries are Range(0, seq) + P, keys Range(0, P + seq). A scalar the shape
// analysis knows only symbolically is a symbol: a coordinate with a negative
// number, which substitutions keep. A bound is accepted only when its
// symbolic part is exactly its query coefficient times (kv_seq - seq) of the
// scores, i.e. the query sits at key position kv_seq - seq + i as in
// attn.attention; without a past that difference is 0 and so must the
// symbolic part be. When the scores' dims are not known in terms of the
// graph's named dims, the symbolic part must be 0 and the bounds are by index
// (attention raising then needs seq == kv_seq).
//
// Normal form. The formula is put in negation normal form and flattened into a
// conjunction; a disjunction survives only when one side is trivially true or
// false (indices are never negative). Every conjunct must be one of
//   q - k + u >= 0   key bound k <= q + u: u = 0 is causal, anything else is refused;
//   k - q + l >= 0   window bound k >= q - l: window w = l + 1 (w >= 1);
//   pad(arg)[b, k]   key padding from function argument `arg`;
//   a constraint that holds for all non-negative indices (dropped);
// and a window needs the causal bound. Everything else - another input, a
// non-affine index, an unknown float term, a bound on b or the head index, a
// disjunction - is an error on the anchor op naming the node not understood.
//
// Anchor: the op whose result feeds the Softmax (through dtype Casts only) -
// the Add of the additive mask or the Where that selects between the scores
// and a very negative constant.
// Exactly one operand of an Add anchor may depend on a MatMul (the scores); the
// other is the mask. When the scores are themselves masked again (an Add or
// Where directly below the anchor), the masks are combined and the outermost op
// is annotated. A Softmax whose input is neither Add nor Where is unmasked
// attention and is left alone. The result is
//   attn.mask = {causal = true, window = 8 : i64, padding = true, padding_arg = 1 : i64,
//                kv_aligned = true}
// (window = 0: none; padding_arg only when padding = true; kv_aligned when the
// bounds were checked against the scores' kv_seq - seq, see "Past length").
#include "passes/Passes.h"
#include "passes/ShapeAnalysis.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_CLASSIFYMASKS
#include "passes/Passes.h.inc"

namespace {

// A float at or below this is "masked out" (-FLT_MAX, finfo(fp16).min, -1e9).
constexpr double kMaskedOut = -1.0e4;

//===----------------------------------------------------------------------===//
// Affine expressions over coordinates
//===----------------------------------------------------------------------===//

struct Affine {
  std::map<int64_t, int64_t> coeff; // coordinate -> coefficient, no zeros
  int64_t constant = 0;

  static Affine constantOf(int64_t c) {
    Affine a;
    a.constant = c;
    return a;
  }
  static Affine coordinate(int64_t axis, int64_t scale = 1) {
    Affine a;
    if (scale)
      a.coeff[axis] = scale;
    return a;
  }
  bool isConstant() const { return coeff.empty(); }
  Affine scaled(int64_t s) const {
    Affine r;
    if (s == 0)
      return r;
    for (auto [axis, c] : coeff)
      r.coeff[axis] = c * s;
    r.constant = constant * s;
    return r;
  }
  Affine plus(const Affine &o) const {
    Affine r = *this;
    for (auto [axis, c] : o.coeff) {
      int64_t v = (r.coeff[axis] += c);
      if (v == 0)
        r.coeff.erase(axis);
    }
    r.constant += o.constant;
    return r;
  }
  Affine minus(const Affine &o) const { return plus(o.scaled(-1)); }
  bool operator==(const Affine &o) const { return coeff == o.coeff && constant == o.constant; }
};

// How coordinates of an operand become expressions over the result's
// coordinates; a coordinate without an entry may not occur.
using Substitution = std::map<int64_t, Affine>;

std::optional<Affine> substitute(const Affine &a, const Substitution &s) {
  Affine r = Affine::constantOf(a.constant);
  for (auto [axis, c] : a.coeff) {
    if (axis < 0) { // a symbol (see "Past length"), not a coordinate
      r = r.plus(Affine::coordinate(axis, c));
      continue;
    }
    auto it = s.find(axis);
    if (it == s.end())
      return std::nullopt;
    r = r.plus(it->second.scaled(c));
  }
  return r;
}

//===----------------------------------------------------------------------===//
// Boolean formulas
//===----------------------------------------------------------------------===//

struct Formula;
using FormulaPtr = std::shared_ptr<const Formula>;

struct Formula {
  enum Kind { True, False, Constraint, Pad, And, Or, Not } kind;
  Affine expr;           // Constraint: expr >= 0
  unsigned arg = 0;      // Pad: function argument number
  Affine index0, index1; // Pad: the element of the argument
  FormulaPtr lhs, rhs;   // And, Or (both), Not (lhs)
  Operation *origin = nullptr;

  static FormulaPtr constant(bool v) {
    auto f = std::make_shared<Formula>();
    f->kind = v ? True : False;
    return f;
  }
  static FormulaPtr constraint(Affine e, Operation *origin) {
    auto f = std::make_shared<Formula>();
    f->kind = Constraint;
    f->expr = std::move(e);
    f->origin = origin;
    return f;
  }
  static FormulaPtr pad(unsigned arg, Affine i0, Affine i1, Operation *origin) {
    auto f = std::make_shared<Formula>();
    f->kind = Pad;
    f->arg = arg;
    f->index0 = std::move(i0);
    f->index1 = std::move(i1);
    f->origin = origin;
    return f;
  }
  static FormulaPtr binary(Kind k, FormulaPtr a, FormulaPtr b, Operation *origin = nullptr) {
    auto f = std::make_shared<Formula>();
    f->kind = k;
    f->origin = origin;
    f->lhs = std::move(a);
    f->rhs = std::move(b);
    return f;
  }
  static FormulaPtr negate(FormulaPtr a) {
    auto f = std::make_shared<Formula>();
    f->kind = Not;
    f->lhs = std::move(a);
    return f;
  }
};

std::optional<FormulaPtr> substitute(const FormulaPtr &f, const Substitution &s) {
  switch (f->kind) {
  case Formula::True:
  case Formula::False:
    return f;
  case Formula::Constraint: {
    auto e = substitute(f->expr, s);
    if (!e)
      return std::nullopt;
    return Formula::constraint(*e, f->origin);
  }
  case Formula::Pad: {
    auto i0 = substitute(f->index0, s), i1 = substitute(f->index1, s);
    if (!i0 || !i1)
      return std::nullopt;
    return Formula::pad(f->arg, *i0, *i1, f->origin);
  }
  case Formula::Not: {
    auto a = substitute(f->lhs, s);
    if (!a)
      return std::nullopt;
    return Formula::negate(*a);
  }
  case Formula::And:
  case Formula::Or: {
    auto a = substitute(f->lhs, s), b = substitute(f->rhs, s);
    if (!a || !b)
      return std::nullopt;
    return Formula::binary(f->kind, *a, *b, f->origin);
  }
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Abstract values
//===----------------------------------------------------------------------===//

struct AbsValue {
  enum Kind { Int, PadInt, Bool, FloatConst, Indicator, Additive, Index } kind;
  Affine affine;                  // Int
  unsigned arg = 0;               // PadInt
  Affine index0, index1;          // PadInt
  FormulaPtr pred;                // Bool, Indicator, Additive
  double value = 0;               // FloatConst (a splat)
  std::vector<Affine> components; // Index: along the last axis
  Operation *origin = nullptr;    // PadInt

  static AbsValue ofInt(Affine a) {
    AbsValue v;
    v.kind = Int;
    v.affine = std::move(a);
    return v;
  }
  static AbsValue ofPred(Kind k, FormulaPtr p) {
    AbsValue v;
    v.kind = k;
    v.pred = std::move(p);
    return v;
  }
};

std::optional<AbsValue> substitute(const AbsValue &v, const Substitution &s) {
  AbsValue r = v;
  switch (v.kind) {
  case AbsValue::Int: {
    auto a = substitute(v.affine, s);
    if (!a)
      return std::nullopt;
    r.affine = *a;
    return r;
  }
  case AbsValue::PadInt: {
    auto i0 = substitute(v.index0, s), i1 = substitute(v.index1, s);
    if (!i0 || !i1)
      return std::nullopt;
    r.index0 = *i0;
    r.index1 = *i1;
    return r;
  }
  case AbsValue::Bool:
  case AbsValue::Indicator:
  case AbsValue::Additive: {
    auto p = substitute(v.pred, s);
    if (!p)
      return std::nullopt;
    r.pred = *p;
    return r;
  }
  case AbsValue::FloatConst:
    return r;
  case AbsValue::Index:
    return std::nullopt; // index tuples are consumed by GatherND right away
  }
  return std::nullopt;
}

RankedTensorType rankedOf(Value v) { return dyn_cast<RankedTensorType>(v.getType()); }

std::string nodeName(Operation *op) {
  std::string name = op->getName().getStringRef().str();
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      loc = fused.getLocations().front();
  if (auto named = dyn_cast<NameLoc>(loc))
    name += " '" + named.getName().getValue().str() + "'";
  return name;
}

//===----------------------------------------------------------------------===//
// Abstract evaluation
//===----------------------------------------------------------------------===//

class MaskEvaluator {
public:
  explicit MaskEvaluator(const ShapeAnalysis *shapes) : shapes(shapes) {}

  // The value of `v` as a function of its own coordinates; on failure `why`
  // names the first node not understood.
  std::optional<AbsValue> eval(Value v) {
    auto it = memo.find(v);
    if (it != memo.end())
      return it->second;
    std::optional<AbsValue> r = compute(v);
    memo[v] = r;
    return r;
  }

  // Re-expresses `v` (of `from`'s rank) over the coordinates of a broadcast
  // result of rank `rank`: right-aligned, and a static unit axis is index 0.
  std::optional<AbsValue> broadcastTo(const AbsValue &v, Value from, int64_t rank) {
    auto t = rankedOf(from);
    if (!t)
      return failAt(from, "has an unranked type");
    Substitution s;
    int64_t shift = rank - t.getRank();
    if (shift < 0)
      return failAt(from, "has a higher rank than its broadcast result");
    for (int64_t i = 0; i < t.getRank(); ++i)
      s[i] = t.getDimSize(i) == 1 ? Affine() : Affine::coordinate(i + shift);
    auto r = substitute(v, s);
    if (!r)
      return failAt(from, "cannot be broadcast");
    return r;
  }

  std::string why;
  // The symbols' values: symbol coordinate -1 - i is symbols[i].
  std::vector<SymDim> symbols;

private:
  // A scalar integer the shape analysis knows only as a symbolic expression
  // of dims with no negative term (a past length), as a symbol coordinate.
  std::optional<Affine> symbolicScalar(Value v) {
    auto t = rankedOf(v);
    if (!shapes || !t || !t.getElementType().isInteger() || !t.hasStaticShape() ||
        t.getNumElements() != 1)
      return std::nullopt;
    const SymVector *contents = shapes->contentsOf(v);
    if (!contents || contents->size() != 1 || (*contents)[0].isConstant() ||
        (*contents)[0].str().find('-') != std::string::npos)
      return std::nullopt;
    const SymDim &d = (*contents)[0];
    auto it = llvm::find(symbols, d);
    int64_t index = it - symbols.begin();
    if (it == symbols.end())
      symbols.push_back(d);
    return Affine::coordinate(-1 - index);
  }


  std::nullopt_t failAt(Value v, const std::string &reason) {
    if (why.empty()) {
      if (Operation *op = v.getDefiningOp())
        why = reason + " at " + nodeName(op);
      else
        why = reason + " at function argument #" +
              std::to_string(cast<BlockArgument>(v).getArgNumber());
    }
    return std::nullopt;
  }
  std::nullopt_t fail(Operation *op, const std::string &reason) {
    if (why.empty())
      why = reason + " at " + nodeName(op);
    return std::nullopt;
  }

  std::optional<SmallVector<int64_t>> intContents(Value v) {
    if (auto c = v.getDefiningOp<od::ConstantOp>()) {
      ElementsAttr attr = c.getValue();
      if (!attr.getElementType().isInteger())
        return std::nullopt;
      SmallVector<int64_t> out;
      auto values = attr.try_value_begin<APInt>();
      if (!values)
        return std::nullopt;
      for (int64_t i = 0, e = attr.getNumElements(); i < e; ++i, ++*values)
        out.push_back((**values).getSExtValue());
      return out;
    }
    if (!shapes)
      return std::nullopt;
    const SymVector *contents = shapes->contentsOf(v);
    if (!contents)
      return std::nullopt;
    SmallVector<int64_t> out;
    for (const SymDim &d : *contents) {
      auto k = d.getConstant();
      if (!k)
        return std::nullopt;
      out.push_back(*k);
    }
    return out;
  }

  std::optional<int64_t> scalarInt(Value v) {
    auto c = intContents(v);
    if (!c || c->size() != 1)
      return std::nullopt;
    return (*c)[0];
  }

  std::optional<AbsValue> compute(Value v);
  std::optional<AbsValue> computeConstant(od::ConstantOp c);
  std::optional<AbsValue> computeBinary(Operation *op);
  std::optional<AbsValue> computeCast(od::CastOp cast);
  std::optional<AbsValue> computeWhere(od::WhereOp where);
  std::optional<AbsValue> computeUnsqueeze(od::UnsqueezeOp op);
  std::optional<AbsValue> computeSqueeze(od::SqueezeOp op);
  std::optional<AbsValue> computeReshape(od::ReshapeOp op);
  std::optional<AbsValue> computeSlice(od::SliceOp op);
  std::optional<AbsValue> computeConcat(od::ConcatOp op);
  std::optional<AbsValue> computeGather(od::GatherOp op);
  std::optional<AbsValue> computeGatherND(od::GatherNDOp op);

  const ShapeAnalysis *shapes;
  llvm::DenseMap<Value, std::optional<AbsValue>> memo;
};

std::optional<AbsValue> MaskEvaluator::compute(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto t = rankedOf(v);
    if (!t || t.getRank() != 2)
      return failAt(v, "the mask depends on an input that is not a [batch, kv_seq] attention mask");
    AbsValue r;
    r.kind = AbsValue::PadInt;
    r.arg = arg.getArgNumber();
    r.index0 = Affine::coordinate(0);
    r.index1 = Affine::coordinate(1);
    if (t.getElementType().isInteger(1))
      return AbsValue::ofPred(AbsValue::Bool, Formula::pad(r.arg, r.index0, r.index1, nullptr));
    return r;
  }
  Operation *op = v.getDefiningOp();
  if (auto c = dyn_cast<od::ConstantOp>(op))
    return computeConstant(c);
  if (!scalarInt(v))
    if (auto symbol = symbolicScalar(v))
      return AbsValue::ofInt(*symbol);
  if (auto range = dyn_cast<od::RangeOp>(op)) {
    std::optional<Affine> start;
    if (auto c = scalarInt(range.getStart()))
      start = Affine::constantOf(*c);
    else
      start = symbolicScalar(range.getStart());
    auto delta = scalarInt(range.getDelta());
    if (!start || !delta)
      return fail(op, "a Range with a start that is neither constant nor a symbolic length, or "
                      "a non-constant step");
    return AbsValue::ofInt(start->plus(Affine::coordinate(0, *delta)));
  }
  if (isa<od::AddOp, od::SubOp, od::MulOp, od::LessOp, od::LessOrEqualOp, od::GreaterOp,
          od::GreaterOrEqualOp, od::EqualOp, od::AndOp, od::OrOp, od::XorOp>(op))
    return computeBinary(op);
  if (auto n = dyn_cast<od::NotOp>(op)) {
    auto x = eval(n.getX());
    if (!x)
      return std::nullopt;
    if (x->kind != AbsValue::Bool)
      return fail(op, "Not of a non-boolean value");
    return AbsValue::ofPred(AbsValue::Bool, Formula::negate(x->pred));
  }
  if (auto neg = dyn_cast<od::NegOp>(op)) {
    auto x = eval(neg.getX());
    if (!x)
      return std::nullopt;
    if (x->kind == AbsValue::Int)
      return AbsValue::ofInt(x->affine.scaled(-1));
    if (x->kind == AbsValue::FloatConst) {
      x->value = -x->value;
      return x;
    }
    return fail(op, "Neg of a value that is not an index expression");
  }
  if (auto id = dyn_cast<od::IdentityOp>(op))
    return eval(id.getX());
  if (auto cast = dyn_cast<od::CastOp>(op))
    return computeCast(cast);
  if (auto where = dyn_cast<od::WhereOp>(op))
    return computeWhere(where);
  if (auto expand = dyn_cast<od::ExpandOp>(op)) {
    auto x = eval(expand.getInput());
    auto t = rankedOf(expand.getResult());
    if (!x || !t)
      return x ? fail(op, "an unranked Expand") : std::nullopt;
    return broadcastTo(*x, expand.getInput(), t.getRank());
  }
  if (auto u = dyn_cast<od::UnsqueezeOp>(op))
    return computeUnsqueeze(u);
  if (auto s = dyn_cast<od::SqueezeOp>(op))
    return computeSqueeze(s);
  if (auto r = dyn_cast<od::ReshapeOp>(op))
    return computeReshape(r);
  if (auto s = dyn_cast<od::SliceOp>(op))
    return computeSlice(s);
  if (auto t = dyn_cast<od::TransposeOp>(op)) {
    auto x = eval(t.getData());
    auto type = rankedOf(t.getData());
    if (!x || !type)
      return x ? fail(op, "an unranked Transpose") : std::nullopt;
    int64_t rank = type.getRank();
    Substitution s;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t from = t.getPerm() ? (*t.getPerm())[i] : rank - 1 - i;
      s[from] = Affine::coordinate(i);
    }
    auto r = substitute(*x, s);
    return r ? r : fail(op, "a Transpose of an index tuple");
  }
  if (auto c = dyn_cast<od::ConcatOp>(op))
    return computeConcat(c);
  if (auto g = dyn_cast<od::GatherOp>(op))
    return computeGather(g);
  if (auto g = dyn_cast<od::GatherNDOp>(op))
    return computeGatherND(g);
  return fail(op, "an op the mask analysis does not model");
}

std::optional<AbsValue> MaskEvaluator::computeConstant(od::ConstantOp c) {
  ElementsAttr attr = c.getValue();
  if (attr.getNumElements() == 0)
    return fail(c, "an empty constant");
  Type elt = attr.getElementType();
  if (elt.isInteger(1)) {
    auto values = attr.try_value_begin<bool>();
    if (!values)
      return fail(c, "an unreadable boolean constant");
    bool first = **values;
    for (int64_t i = 0, e = attr.getNumElements(); i < e; ++i, ++*values)
      if (**values != first)
        return fail(c, "a non-uniform boolean constant");
    return AbsValue::ofPred(AbsValue::Bool, Formula::constant(first));
  }
  if (elt.isInteger()) {
    auto values = intContents(c.getResult());
    if (!values)
      return fail(c, "an unreadable integer constant");
    for (int64_t x : *values)
      if (x != (*values)[0])
        return fail(c, "a non-uniform integer constant");
    return AbsValue::ofInt(Affine::constantOf((*values)[0]));
  }
  if (isa<FloatType>(elt)) {
    auto values = attr.try_value_begin<APFloat>();
    if (!values)
      return fail(c, "an unreadable float constant");
    auto toDouble = [](APFloat f) {
      bool lost = false;
      f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      return f.convertToDouble();
    };
    double first = toDouble(**values);
    for (int64_t i = 0, e = attr.getNumElements(); i < e; ++i, ++*values)
      if (toDouble(**values) != first)
        return fail(c, "a non-uniform float constant");
    AbsValue r;
    r.kind = AbsValue::FloatConst;
    r.value = first;
    return r;
  }
  return fail(c, "a constant of an unsupported type");
}

std::optional<AbsValue> MaskEvaluator::computeBinary(Operation *op) {
  auto resultType = rankedOf(op->getResult(0));
  if (!resultType)
    return fail(op, "an unranked result");
  int64_t rank = resultType.getRank();
  std::optional<AbsValue> a = eval(op->getOperand(0));
  if (!a)
    return std::nullopt;
  std::optional<AbsValue> b = eval(op->getOperand(1));
  if (!b)
    return std::nullopt;
  a = broadcastTo(*a, op->getOperand(0), rank);
  if (!a)
    return std::nullopt;
  b = broadcastTo(*b, op->getOperand(1), rank);
  if (!b)
    return std::nullopt;
  using K = AbsValue;
  auto both = [&](K::Kind k) { return a->kind == k && b->kind == k; };

  // Integer arithmetic stays affine.
  if (isa<od::AddOp, od::SubOp, od::MulOp>(op) && both(K::Int)) {
    if (isa<od::AddOp>(op))
      return K::ofInt(a->affine.plus(b->affine));
    if (isa<od::SubOp>(op))
      return K::ofInt(a->affine.minus(b->affine));
    if (a->affine.isConstant())
      return K::ofInt(b->affine.scaled(a->affine.constant));
    if (b->affine.isConstant())
      return K::ofInt(a->affine.scaled(b->affine.constant));
    return fail(op, "a product of two index expressions (not affine)");
  }
  // Comparisons become linear constraints (integers: a < b is b - a - 1 >= 0).
  if (isa<od::LessOp, od::LessOrEqualOp, od::GreaterOp, od::GreaterOrEqualOp, od::EqualOp>(op) &&
      both(K::Int)) {
    Affine ba = b->affine.minus(a->affine), ab = a->affine.minus(b->affine);
    FormulaPtr f;
    if (isa<od::LessOp>(op))
      f = Formula::constraint(ba.plus(Affine::constantOf(-1)), op);
    else if (isa<od::LessOrEqualOp>(op))
      f = Formula::constraint(ba, op);
    else if (isa<od::GreaterOp>(op))
      f = Formula::constraint(ab.plus(Affine::constantOf(-1)), op);
    else if (isa<od::GreaterOrEqualOp>(op))
      f = Formula::constraint(ab, op);
    else
      f = Formula::binary(Formula::And, Formula::constraint(ab, op), Formula::constraint(ba, op));
    return K::ofPred(K::Bool, f);
  }
  // attention_mask == 0 (or 0 == attention_mask) is "padding here".
  if (isa<od::EqualOp>(op) && ((a->kind == K::PadInt && b->kind == K::Int) ||
                               (a->kind == K::Int && b->kind == K::PadInt))) {
    const AbsValue &pad = a->kind == K::PadInt ? *a : *b;
    const AbsValue &other = a->kind == K::PadInt ? *b : *a;
    if (other.affine == Affine::constantOf(0))
      return K::ofPred(K::Bool, Formula::negate(Formula::pad(pad.arg, pad.index0, pad.index1, op)));
    return fail(op, "a comparison of the attention mask with something other than 0");
  }
  if (isa<od::AndOp, od::OrOp, od::EqualOp, od::XorOp>(op) && both(K::Bool)) {
    if (isa<od::AndOp>(op))
      return K::ofPred(K::Bool, Formula::binary(Formula::And, a->pred, b->pred, op));
    if (isa<od::OrOp>(op))
      return K::ofPred(K::Bool, Formula::binary(Formula::Or, a->pred, b->pred, op));
    // Equal / Xor with a boolean constant is the value or its negation.
    bool isXor = isa<od::XorOp>(op);
    for (auto [x, y] : {std::pair(a, b), std::pair(b, a)}) {
      if (y->pred->kind == Formula::True || y->pred->kind == Formula::False) {
        bool flip = (y->pred->kind == Formula::False) != isXor;
        return K::ofPred(K::Bool, flip ? Formula::negate(x->pred) : x->pred);
      }
    }
    return fail(op, "an equality of two boolean masks");
  }
  // Additive float masks: sums are conjunctions, 1 - indicator negates, an
  // indicator times a very negative constant is an additive mask.
  if (isa<od::AddOp>(op)) {
    if (both(K::Additive))
      return K::ofPred(K::Additive, Formula::binary(Formula::And, a->pred, b->pred));
    for (auto [x, y] : {std::pair(a, b), std::pair(b, a)})
      if (x->kind == K::Additive && y->kind == K::FloatConst && y->value == 0.0)
        return *x;
    if (both(K::FloatConst)) {
      a->value += b->value;
      return a;
    }
  }
  if (isa<od::SubOp>(op) && a->kind == K::FloatConst && a->value == 1.0 && b->kind == K::Indicator)
    return K::ofPred(K::Indicator, Formula::negate(b->pred));
  if (isa<od::MulOp>(op)) {
    for (auto [x, y] : {std::pair(a, b), std::pair(b, a)}) {
      if (x->kind == K::Indicator && y->kind == K::FloatConst && y->value <= kMaskedOut)
        return K::ofPred(K::Additive, Formula::negate(x->pred));
      if (x->kind == K::Additive && y->kind == K::FloatConst && y->value >= 1.0)
        return *x;
    }
  }
  return fail(op, "an arithmetic or comparison op on values the mask analysis does not model");
}

std::optional<AbsValue> MaskEvaluator::computeCast(od::CastOp cast) {
  auto x = eval(cast.getInput());
  if (!x)
    return std::nullopt;
  Type to = getElementTypeOrSelf(cast.getResult().getType());
  using K = AbsValue;
  if (to.isInteger(1)) {
    if (x->kind == K::Bool)
      return x;
    if (x->kind == K::PadInt)
      return K::ofPred(K::Bool, Formula::pad(x->arg, x->index0, x->index1, cast));
    if (x->kind == K::Int) // nonzero: e >= 1 or e <= -1
      return K::ofPred(
          K::Bool,
          Formula::binary(
              Formula::Or, Formula::constraint(x->affine.plus(Affine::constantOf(-1)), cast),
              Formula::constraint(x->affine.scaled(-1).plus(Affine::constantOf(-1)), cast)));
    return fail(cast, "a cast to bool of a float value");
  }
  if (to.isInteger()) {
    if (x->kind == K::Int || x->kind == K::PadInt)
      return x;
    return fail(cast, "a cast to an integer of a non-index value");
  }
  if (isa<FloatType>(to)) {
    if (x->kind == K::Bool)
      return K::ofPred(K::Indicator, x->pred);
    if (x->kind == K::Indicator || x->kind == K::Additive || x->kind == K::FloatConst)
      return x;
    return fail(cast, "a cast of an index expression to float");
  }
  return fail(cast, "a cast to an unsupported type");
}

std::optional<AbsValue> MaskEvaluator::computeWhere(od::WhereOp where) {
  auto resultType = rankedOf(where.getResult());
  if (!resultType)
    return fail(where, "an unranked result");
  int64_t rank = resultType.getRank();
  auto c = eval(where.getCondition());
  if (!c)
    return std::nullopt;
  auto x = eval(where.getX());
  if (!x)
    return std::nullopt;
  auto y = eval(where.getY());
  if (!y)
    return std::nullopt;
  c = broadcastTo(*c, where.getCondition(), rank);
  x = c ? broadcastTo(*x, where.getX(), rank) : std::nullopt;
  y = x ? broadcastTo(*y, where.getY(), rank) : std::nullopt;
  if (!y)
    return std::nullopt;
  if (c->kind != AbsValue::Bool)
    return fail(where, "a Where whose condition is not a boolean mask");
  using K = AbsValue;
  if (x->kind == K::FloatConst && y->kind == K::FloatConst) {
    if (x->value == 0.0 && y->value <= kMaskedOut)
      return K::ofPred(K::Additive, c->pred);
    if (y->value == 0.0 && x->value <= kMaskedOut)
      return K::ofPred(K::Additive, Formula::negate(c->pred));
    if (x->value == 1.0 && y->value == 0.0)
      return K::ofPred(K::Indicator, c->pred);
    if (x->value == 0.0 && y->value == 1.0)
      return K::ofPred(K::Indicator, Formula::negate(c->pred));
    return fail(where, "a Where between constants that are not 0 and a masking value");
  }
  // Where(c, 0, additive) keeps what c or the additive mask lets through.
  if (x->kind == K::FloatConst && x->value == 0.0 && y->kind == K::Additive)
    return K::ofPred(K::Additive, Formula::binary(Formula::Or, c->pred, y->pred));
  if (x->kind == K::Additive && y->kind == K::FloatConst && y->value <= kMaskedOut)
    return K::ofPred(K::Additive, Formula::binary(Formula::And, c->pred, x->pred));
  if (x->kind == K::Bool && y->kind == K::Bool)
    return K::ofPred(
        K::Bool, Formula::binary(Formula::Or, Formula::binary(Formula::And, c->pred, x->pred),
                                 Formula::binary(Formula::And, Formula::negate(c->pred), y->pred)));
  return fail(where, "a Where between values the mask analysis does not model");
}

std::optional<AbsValue> MaskEvaluator::computeUnsqueeze(od::UnsqueezeOp op) {
  auto x = eval(op.getData());
  auto axes = intContents(op.getAxes());
  auto out = rankedOf(op.getResult());
  if (!x)
    return std::nullopt;
  if (!axes || !out)
    return fail(op, "an Unsqueeze with non-constant axes");
  int64_t rank = out.getRank();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes)
    inserted[a < 0 ? a + rank : a] = true;
  Substitution s;
  for (int64_t i = 0, from = 0; i < rank; ++i)
    if (!inserted[i])
      s[from++] = Affine::coordinate(i);
  auto r = substitute(*x, s);
  return r ? r : fail(op, "an Unsqueeze of an index tuple");
}

std::optional<AbsValue> MaskEvaluator::computeSqueeze(od::SqueezeOp op) {
  auto x = eval(op.getData());
  auto in = rankedOf(op.getData());
  if (!x)
    return std::nullopt;
  if (!in)
    return fail(op, "an unranked Squeeze");
  SmallVector<bool> removed(in.getRank(), false);
  if (isa<NoneType>(op.getAxes().getType())) {
    for (int64_t i = 0; i < in.getRank(); ++i)
      removed[i] = in.getDimSize(i) == 1;
  } else {
    auto axes = intContents(op.getAxes());
    if (!axes)
      return fail(op, "a Squeeze with non-constant axes");
    for (int64_t a : *axes)
      removed[a < 0 ? a + in.getRank() : a] = true;
  }
  Substitution s;
  for (int64_t i = 0, to = 0; i < in.getRank(); ++i)
    s[i] = removed[i] ? Affine() : Affine::coordinate(to++);
  auto r = substitute(*x, s);
  return r ? r : fail(op, "a Squeeze of an index tuple");
}

// Only a Reshape that inserts or removes unit dims keeps the coordinates
// (checked on the symbolic shapes: the non-unit dims must agree in order).
std::optional<AbsValue> MaskEvaluator::computeReshape(od::ReshapeOp op) {
  auto x = eval(op.getData());
  if (!x)
    return std::nullopt;
  const SymVector *in = shapes ? shapes->shapeOf(op.getData()) : nullptr;
  const SymVector *out = shapes ? shapes->shapeOf(op.getResult()) : nullptr;
  if (!in || !out)
    return fail(op, "a Reshape of unknown shape");
  SymDim one = SymDim::constant(1);
  SmallVector<int64_t> inAxes, outAxes;
  for (size_t i = 0; i < in->size(); ++i)
    if ((*in)[i] != one)
      inAxes.push_back(i);
  for (size_t i = 0; i < out->size(); ++i)
    if ((*out)[i] != one)
      outAxes.push_back(i);
  if (inAxes.size() != outAxes.size())
    return fail(op, "a Reshape that merges or splits mask dims");
  Substitution s;
  for (size_t i = 0; i < in->size(); ++i)
    s[i] = Affine();
  for (size_t i = 0; i < inAxes.size(); ++i) {
    if ((*in)[inAxes[i]] != (*out)[outAxes[i]])
      return fail(op, "a Reshape that merges or splits mask dims");
    s[inAxes[i]] = Affine::coordinate(outAxes[i]);
  }
  auto r = substitute(*x, s);
  return r ? r : fail(op, "a Reshape of an index tuple");
}

// A Slice from a constant non-negative start with step 1 shifts coordinates.
std::optional<AbsValue> MaskEvaluator::computeSlice(od::SliceOp op) {
  auto x = eval(op.getData());
  auto in = rankedOf(op.getData());
  if (!x)
    return std::nullopt;
  if (!in)
    return fail(op, "an unranked Slice");
  auto starts = intContents(op.getStarts());
  if (!starts)
    return fail(op, "a Slice with non-constant starts");
  SmallVector<int64_t> axes;
  if (isa<NoneType>(op.getAxes().getType())) {
    for (size_t i = 0; i < starts->size(); ++i)
      axes.push_back(i);
  } else {
    auto a = intContents(op.getAxes());
    if (!a)
      return fail(op, "a Slice with non-constant axes");
    axes.assign(a->begin(), a->end());
  }
  if (!isa<NoneType>(op.getSteps().getType())) {
    auto steps = intContents(op.getSteps());
    if (!steps || llvm::any_of(*steps, [](int64_t s) { return s != 1; }))
      return fail(op, "a Slice with a step other than 1");
  }
  Substitution s;
  for (int64_t i = 0; i < in.getRank(); ++i)
    s[i] = Affine::coordinate(i);
  for (size_t i = 0; i < axes.size() && i < starts->size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + in.getRank() : axes[i];
    if ((*starts)[i] < 0)
      return fail(op, "a Slice from a negative start");
    s[axis] = Affine::coordinate(axis).plus(Affine::constantOf((*starts)[i]));
  }
  auto r = substitute(*x, s);
  return r ? r : fail(op, "a Slice of an index tuple");
}

// Concat along a last axis of unit inputs builds a GatherND index tuple.
std::optional<AbsValue> MaskEvaluator::computeConcat(od::ConcatOp op) {
  auto out = rankedOf(op.getResult());
  if (!out)
    return fail(op, "an unranked Concat");
  int64_t rank = out.getRank();
  int64_t axis = int64_t(op.getAxis());
  if (axis < 0)
    axis += rank;
  if (axis != rank - 1)
    return fail(op, "a Concat of mask pieces (not an index tuple)");
  AbsValue r;
  r.kind = AbsValue::Index;
  for (Value in : op.getInputs()) {
    auto x = eval(in);
    if (!x)
      return std::nullopt;
    auto t = rankedOf(in);
    if (x->kind != AbsValue::Int || !t || t.getDimSize(rank - 1) != 1)
      return fail(op, "a Concat of mask pieces (not an index tuple)");
    x = broadcastTo(*x, in, rank);
    if (!x)
      return std::nullopt;
    Substitution s;
    for (int64_t i = 0; i < rank - 1; ++i)
      s[i] = Affine::coordinate(i);
    s[rank - 1] = Affine();
    auto e = substitute(x->affine, s);
    if (!e)
      return fail(op, "an index tuple component that varies along the tuple");
    r.components.push_back(*e);
  }
  return r;
}

std::optional<AbsValue> MaskEvaluator::computeGather(od::GatherOp op) {
  auto data = eval(op.getData());
  if (!data)
    return std::nullopt;
  auto indices = eval(op.getIndices());
  if (!indices)
    return std::nullopt;
  auto dataType = rankedOf(op.getData()), indicesType = rankedOf(op.getIndices());
  if (!dataType || !indicesType)
    return fail(op, "an unranked Gather");
  if (indices->kind != AbsValue::Int)
    return fail(op, "a Gather with indices that are not an index expression");
  int64_t axis = int64_t(op.getAxis());
  if (axis < 0)
    axis += dataType.getRank();
  int64_t indicesRank = indicesType.getRank();
  Substitution shift;
  for (int64_t i = 0; i < indicesRank; ++i)
    shift[i] = Affine::coordinate(i + axis);
  auto index = substitute(indices->affine, shift);
  Substitution s;
  for (int64_t i = 0; i < dataType.getRank(); ++i)
    s[i] = i < axis    ? Affine::coordinate(i)
           : i == axis ? *index
                       : Affine::coordinate(i - 1 + indicesRank);
  auto r = substitute(*data, s);
  return r ? r : fail(op, "a Gather of an index tuple");
}

std::optional<AbsValue> MaskEvaluator::computeGatherND(od::GatherNDOp op) {
  if (int64_t(op.getBatchDims()) != 0)
    return fail(op, "a GatherND with batch_dims");
  auto data = eval(op.getData());
  if (!data)
    return std::nullopt;
  auto indices = eval(op.getIndices());
  if (!indices)
    return std::nullopt;
  auto dataType = rankedOf(op.getData()), indicesType = rankedOf(op.getIndices());
  if (!dataType || !indicesType)
    return fail(op, "an unranked GatherND");
  if (indices->kind != AbsValue::Index)
    return fail(op, "a GatherND whose indices are not a tuple of index expressions");
  int64_t n = indices->components.size();
  int64_t outer = indicesType.getRank() - 1;
  if (n > dataType.getRank())
    return fail(op, "a GatherND with too many index components");
  Substitution s;
  for (int64_t i = 0; i < dataType.getRank(); ++i)
    s[i] = i < n ? indices->components[i] : Affine::coordinate(outer + i - n);
  auto r = substitute(*data, s);
  return r ? r : fail(op, "a GatherND of an index tuple");
}

//===----------------------------------------------------------------------===//
// Normal form
//===----------------------------------------------------------------------===//

// Coordinates of the scores, once the mask is aligned with them.
enum Var : int64_t { kBatch = 0, kHead = 1, kQuery = 2, kKey = 3 };

struct Literal {
  const Formula *atom;
  bool positive;
  Affine expr; // constraints: the (possibly negated) expression >= 0
};

// True / false when a formula holds / fails for every non-negative index.
std::optional<bool> trivially(const Formula &f, bool negated) {
  switch (f.kind) {
  case Formula::True:
    return !negated;
  case Formula::False:
    return negated;
  case Formula::Constraint: {
    Affine e = negated ? f.expr.scaled(-1).plus(Affine::constantOf(-1)) : f.expr;
    bool nonNegative = e.constant >= 0;
    bool nonPositive = e.constant < 0;
    for (auto [axis, c] : e.coeff) {
      nonNegative &= c > 0;
      nonPositive &= c < 0;
    }
    if (nonNegative)
      return true;
    if (nonPositive)
      return false;
    return std::nullopt;
  }
  case Formula::Pad:
    return std::nullopt;
  case Formula::Not:
    return trivially(*f.lhs, !negated);
  case Formula::And:
  case Formula::Or: {
    bool conj = (f.kind == Formula::And) != negated;
    auto a = trivially(*f.lhs, negated), b = trivially(*f.rhs, negated);
    if (conj) {
      if ((a && !*a) || (b && !*b))
        return false;
      if (a && b)
        return true;
    } else {
      if ((a && *a) || (b && *b))
        return true;
      if (a && b)
        return false;
    }
    return std::nullopt;
  }
  }
  return std::nullopt;
}

// Flattens a formula into a conjunction of literals.
LogicalResult flatten(const Formula &f, bool negated, std::vector<Literal> &out, std::string &why) {
  if (auto t = trivially(f, negated)) {
    if (*t)
      return success();
    why = "the mask hides every key";
    return failure();
  }
  switch (f.kind) {
  case Formula::True:
  case Formula::False:
    return success(); // handled above
  case Formula::Constraint:
    out.push_back(
        {&f, !negated, negated ? f.expr.scaled(-1).plus(Affine::constantOf(-1)) : f.expr});
    return success();
  case Formula::Pad:
    out.push_back({&f, !negated, Affine()});
    return success();
  case Formula::Not:
    return flatten(*f.lhs, !negated, out, why);
  case Formula::And:
  case Formula::Or: {
    bool conj = (f.kind == Formula::And) != negated;
    if (conj) {
      if (failed(flatten(*f.lhs, negated, out, why)))
        return failure();
      return flatten(*f.rhs, negated, out, why);
    }
    // A disjunction: only one whose side is trivially false simplifies.
    auto a = trivially(*f.lhs, negated), b = trivially(*f.rhs, negated);
    if (a && !*a)
      return flatten(*f.rhs, negated, out, why);
    if (b && !*b)
      return flatten(*f.lhs, negated, out, why);
    const Formula *origin = &f;
    while (origin && !origin->origin && origin->lhs)
      origin = origin->lhs.get();
    why = "a disjunction of mask conditions that is not causal/window/padding";
    if (origin && origin->origin)
      why += " (from " + nodeName(origin->origin) + ")";
    return failure();
  }
  }
  return failure();
}

struct MaskClass {
  bool causal = false;
  int64_t window = 0;
  std::optional<unsigned> paddingArg;
};

std::string describe(const Affine &e) {
  static const char *names[] = {"b", "h", "q", "k"};
  std::string s;
  for (auto [axis, c] : e.coeff) {
    if (!s.empty())
      s += c < 0 ? " - " : " + ";
    else if (c < 0)
      s += "-";
    int64_t m = c < 0 ? -c : c;
    if (m != 1)
      s += std::to_string(m) + "*";
    s += axis >= 0 && axis < 4 ? names[axis] : axis < 0 ? "s" + std::to_string(-1 - axis) : "?";
  }
  if (e.constant || s.empty())
    s += (s.empty()        ? ""
          : e.constant < 0 ? " - "
                           : " + ") +
         std::to_string(s.empty() ? e.constant : (e.constant < 0 ? -e.constant : e.constant));
  return s + " >= 0";
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// `symbols` gives the symbol coordinates' values; `offset` is kv_seq - seq of
// the scores when the shape analysis knows both.
FailureOr<MaskClass> classify(const FormulaPtr &pred, std::string &why,
                              const std::vector<SymDim> &symbols,
                              const std::optional<SymDim> &offset) {
  std::vector<Literal> literals;
  if (failed(flatten(*pred, false, literals, why)))
    return failure();
  std::optional<int64_t> upper, lower; // k <= q + upper, k >= q + lower
  const Formula *lowerAtom = nullptr, *upperAtom = nullptr;
  Affine upperExpr;
  MaskClass result;
  auto at = [](const Formula *f) {
    return f->origin ? " (from " + nodeName(f->origin) + ")" : std::string();
  };
  for (const Literal &lit : literals) {
    const Formula &atom = *lit.atom;
    if (atom.kind == Formula::Pad) {
      Affine b = Affine::coordinate(kBatch), k = Affine::coordinate(kKey);
      if (!lit.positive) {
        why = "the mask keeps exactly the padded keys" + at(&atom);
        return failure();
      }
      if (!(atom.index0 == b) || !(atom.index1 == k)) {
        why = "the attention mask input is read at an index other than [batch, key]" + at(&atom);
        return failure();
      }
      if (result.paddingArg && *result.paddingArg != atom.arg) {
        why = "the mask reads two different attention mask inputs" + at(&atom);
        return failure();
      }
      result.paddingArg = atom.arg;
      continue;
    }
    const Affine &e = lit.expr;
    int64_t cq = 0, ck = 0;
    SymDim symbolic = SymDim::constant(0);
    for (auto [axis, c] : e.coeff) {
      if (axis == kQuery)
        cq = c;
      else if (axis == kKey)
        ck = c;
      else if (axis < 0)
        symbolic = symbolic + symbols[-1 - axis] * SymDim::constant(c);
      else {
        why = std::string("a mask condition on the ") + (axis == kBatch ? "batch" : "head") +
              " index: " + describe(e) + at(&atom);
        return failure();
      }
    }
    // The bound must place query i at key position kv_seq - seq + i.
    bool bound = (cq > 0 && ck == -cq) || (ck > 0 && cq == -ck);
    SymDim expected = offset ? *offset * SymDim::constant(cq) : SymDim::constant(0);
    if (bound && symbolic != expected) {
      why = "a mask bound whose query offset (" + symbolic.str() +
            ") is not the past length kv_seq - seq (" +
            (offset ? offset->str() : std::string("unknown")) + ") times " +
            std::to_string(cq) + ": " + describe(e) + at(&atom);
      return failure();
    }
    if (cq > 0 && ck == -cq) { // cq * (q - k) + c >= 0  <=>  k <= q + floor(c / cq)
      // Redundant looser bounds are fine; the tightest one decides.
      int64_t u = floorDiv(e.constant, cq);
      if (!upper || u < *upper) {
        upper = u;
        upperAtom = &atom;
        upperExpr = e;
      }
      continue;
    }
    if (ck > 0 && cq == -ck) { // ck * (k - q) + c >= 0  <=>  k >= q - floor(c / ck)
      int64_t l = -floorDiv(e.constant, ck);
      if (!lower || l > *lower) {
        lower = l;
        lowerAtom = &atom;
      }
      continue;
    }
    why = "a mask condition that is not a causal or window bound: " + describe(e) + at(&atom);
    return failure();
  }
  if (upper && *upper != 0) {
    why = *upper > 0 ? "the mask lets query i see keys up to i + " + std::to_string(*upper) +
                           " (not causal): " + describe(upperExpr) + at(upperAtom)
                     : "the mask hides the diagonal (key i from query i): " + describe(upperExpr) +
                           at(upperAtom);
    return failure();
  }
  result.causal = upper.has_value();
  if (lower) {
    int64_t window = 1 - *lower; // k >= q - (w - 1)
    if (!result.causal) {
      why = "a window bound without the causal bound" + at(lowerAtom);
      return failure();
    }
    if (window < 1) {
      why = "the window bound hides every key" + at(lowerAtom);
      return failure();
    }
    result.window = window;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

bool isScoreProducer(Operation *op) {
  StringRef name = op->getName().getStringRef();
  return isa<od::MatMulOp, od::GemmOp>(op) || name == "onnx.Einsum" || name == "onnx.MatMulInteger";
}

struct ClassifyMasksPass : impl::ClassifyMasksBase<ClassifyMasksPass> {
  llvm::DenseMap<Value, bool> scoreMemo;

  // Whether `v` depends on a matrix product (i.e. is, or contains, scores).
  bool dependsOnScores(Value v) {
    auto it = scoreMemo.find(v);
    if (it != scoreMemo.end())
      return it->second;
    scoreMemo[v] = false;
    bool result = false;
    if (Operation *op = v.getDefiningOp()) {
      if (isScoreProducer(op))
        result = true;
      else
        for (Value operand : op->getOperands())
          if (dependsOnScores(operand)) {
            result = true;
            break;
          }
    }
    scoreMemo[v] = result;
    return result;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    ShapeAnalysis shapes(func);
    bool haveShapes = succeeded(shapes.run());
    MaskEvaluator evaluator(haveShapes ? &shapes : nullptr);
    bool anyFailed = false;

    func.walk([&](od::SoftmaxOp softmax) {
      // Softmax over keys only (the last axis); dtype Casts in between (a
      // half precision model upcasting its scores) are looked through.
      auto inputType = rankedOf(softmax.getInput());
      int64_t axis = int64_t(softmax.getAxis());
      if (!inputType || (axis != -1 && axis != inputType.getRank() - 1))
        return;
      Value input = softmax.getInput();
      while (auto cast = input.getDefiningOp<od::CastOp>())
        input = cast.getInput();
      Operation *anchor = input.getDefiningOp();
      if (!anchor || !isa<od::AddOp, od::WhereOp>(anchor))
        return; // unmasked attention (or not attention at all)
      auto scoresType = rankedOf(anchor->getResult(0));
      if (!scoresType || scoresType.getRank() < 2 || scoresType.getRank() > 4) {
        anchor->emitError("cannot classify the attention mask: scores of rank other than 2-4");
        anyFailed = true;
        return;
      }
      int64_t rank = scoresType.getRank();
      FormulaPtr visible = Formula::constant(true);
      std::string why;
      // Peel mask layers off the scores: Add(scores, additive) and
      // Where(visible, scores, -big), outermost (the anchor) first.
      Operation *layer = anchor;
      while (layer && why.empty()) {
        std::optional<AbsValue> mask;
        Value scores, maskValue;
        if (isa<od::AddOp>(layer)) {
          bool s0 = dependsOnScores(layer->getOperand(0)),
               s1 = dependsOnScores(layer->getOperand(1));
          if (s0 == s1) {
            if (layer == anchor)
              why = s0 ? "both operands of the mask Add depend on the scores"
                       : "neither operand of the mask Add depends on the scores";
            break;
          }
          scores = layer->getOperand(s0 ? 0 : 1);
          maskValue = layer->getOperand(s0 ? 1 : 0);
          mask = evaluator.eval(maskValue);
          if (mask && mask->kind != AbsValue::Additive && mask->kind != AbsValue::FloatConst) {
            why = "the term added to the scores is not an additive mask";
            break;
          }
          if (mask && mask->kind == AbsValue::FloatConst && mask->value != 0.0) {
            why = "a constant added to the scores";
            break;
          }
        } else if (auto where = dyn_cast<od::WhereOp>(layer)) {
          bool sx = dependsOnScores(where.getX()), sy = dependsOnScores(where.getY());
          if (sx == sy) {
            if (layer == anchor)
              why = "a Where on the scores that does not select between scores and a masking value";
            break;
          }
          scores = sx ? where.getX() : where.getY();
          Value other = sx ? where.getY() : where.getX();
          auto otherValue = evaluator.eval(other);
          if (!otherValue || otherValue->kind != AbsValue::FloatConst ||
              otherValue->value > kMaskedOut) {
            why = "a Where on the scores whose other branch is not a masking constant";
            break;
          }
          maskValue = where.getCondition();
          mask = evaluator.eval(maskValue);
          if (mask && mask->kind != AbsValue::Bool) {
            why = "a Where on the scores whose condition is not a boolean mask";
            break;
          }
          if (mask && !sx)
            mask->pred = Formula::negate(mask->pred);
        } else {
          break;
        }
        if (!mask) {
          why = evaluator.why;
          evaluator.why.clear();
          break;
        }
        mask = evaluator.broadcastTo(*mask, maskValue, rank);
        if (!mask) {
          why = evaluator.why;
          evaluator.why.clear();
          break;
        }
        if (mask->kind == AbsValue::Additive || mask->kind == AbsValue::Bool) {
          // Name the coordinates: right-aligned [batch, head, query, key].
          Substitution names;
          for (int64_t i = 0; i < rank; ++i)
            names[i] = Affine::coordinate(i + 4 - rank);
          auto named = substitute(mask->pred, names);
          visible = Formula::binary(Formula::And, visible, *named);
        }
        layer = scores.getDefiningOp();
        if (layer && !isa<od::AddOp, od::WhereOp>(layer))
          break;
      }
      std::optional<SymDim> offset;
      if (haveShapes)
        if (const SymVector *s = shapes.shapeOf(anchor->getResult(0)); s && s->size() >= 2) {
          // Only in terms of the graph's named dims: unknown ("?") dims prove nothing.
          SymDim d = (*s)[s->size() - 1] - (*s)[s->size() - 2];
          if (d.str().find('?') == std::string::npos)
            offset = d;
        }
      FailureOr<MaskClass> cls = failure();
      if (why.empty())
        cls = classify(visible, why, evaluator.symbols, offset);
      if (!why.empty() || failed(cls)) {
        anchor->emitError("cannot classify the attention mask: ") << why;
        anyFailed = true;
        return;
      }
      Builder b(anchor->getContext());
      SmallVector<NamedAttribute> fields{
          b.getNamedAttr("causal", b.getBoolAttr(cls->causal)),
          b.getNamedAttr("window", b.getI64IntegerAttr(cls->window)),
          b.getNamedAttr("padding", b.getBoolAttr(cls->paddingArg.has_value()))};
      if (cls->paddingArg)
        fields.push_back(b.getNamedAttr("padding_arg", b.getI64IntegerAttr(*cls->paddingArg)));
      // The bounds were checked against the scores' kv_seq - seq: they place
      // query i at key position kv_seq - seq + i, as attn.attention does.
      if (offset)
        fields.push_back(b.getNamedAttr("kv_aligned", b.getBoolAttr(true)));
      anchor->setAttr("attn.mask", b.getDictionaryAttr(fields));
    });
    if (anyFailed)
      signalPassFailure();
  }
};

} // namespace
} // namespace attnc
