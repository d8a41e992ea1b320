// attn-raise-rope: rotary position embeddings, decomposed (torch dynamo's
// rotate-half, or GPT-J's interleaved rotate_every_two over a precomputed
// sin/cos table) or fused (RotaryEmbedding-23, com.microsoft RotaryEmbedding),
// become attn.rope.
//
// attn.rope is token-major ([batch, seq, heads, head_dim]); the head-major
// layouts the exporters rope in are bridged with Transpose(0, 2, 1, 3), which
// is exact. A decomposed RoPE is raised with theta only when its constant
// inv_freq is exactly theta^(-2k / rotary_dim): scaled variants (linear, NTK,
// YaRN, LongRoPE) have other frequencies, and guessing tables for them would
// change the model, so they stay decomposed.
#include "passes/Passes.h"
#include "passes/RaiseUtils.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

#define GEN_PASS_DEF_RAISEROPE
#include "passes/Passes.h.inc"

namespace {


// The single axis of a one-element constant axes operand, made non-negative
// against `rank`.
std::optional<int64_t> singleAxis(Value axes, int64_t rank) {
  std::optional<SmallVector<int64_t>> a = raise::intConstants(axes);
  if (!a || a->size() != 1 || (*a)[0] < -rank || (*a)[0] >= rank)
    return std::nullopt;
  return (*a)[0] < 0 ? (*a)[0] + rank : (*a)[0];
}

bool isLastAxis(int64_t axis, Value v) {
  int64_t rank = raise::rankOf(v);
  return rank > 0 && (axis == -1 || axis == rank - 1);
}

bool isTransposeWith(od::TransposeOp t, ArrayRef<int64_t> perm) {
  return t && t.getPerm() && *t.getPerm() == perm;
}

// The [start, end) a Slice takes of the last dim of `data` (static size),
// with the whole of every other dim: one constant start/end on the last axis,
// a constant positive step (1 when absent), clamped as ONNX does.
struct LastDimSlice {
  Value data;
  int64_t start, end, step = 1;
};

std::optional<LastDimSlice> lastDimStridedSlice(Value v) {
  auto slice = v.getDefiningOp<od::SliceOp>();
  if (!slice)
    return std::nullopt;
  Value data = slice.getData();
  std::optional<int64_t> size = raise::staticDim(data, -1);
  int64_t rank = raise::rankOf(data);
  if (!size || isa<NoneType>(slice.getAxes().getType()))
    return std::nullopt;
  std::optional<int64_t> axis = singleAxis(slice.getAxes(), rank);
  if (!axis || *axis != rank - 1)
    return std::nullopt;
  int64_t step = 1;
  if (!isa<NoneType>(slice.getSteps().getType())) {
    std::optional<SmallVector<int64_t>> steps = raise::intConstants(slice.getSteps());
    if (!steps || steps->size() != 1 || (*steps)[0] < 1)
      return std::nullopt;
    step = (*steps)[0];
  }
  std::optional<SmallVector<int64_t>> starts = raise::intConstants(slice.getStarts());
  std::optional<SmallVector<int64_t>> ends = raise::intConstants(slice.getEnds());
  if (!starts || !ends || starts->size() != 1 || ends->size() != 1)
    return std::nullopt;
  auto clamp = [&](int64_t i) {
    if (i < 0)
      i += *size;
    return std::clamp<int64_t>(i, 0, *size);
  };
  return LastDimSlice{data, clamp((*starts)[0]), clamp((*ends)[0]), step};
}

// A unit-step last-dim Slice.
std::optional<LastDimSlice> lastDimSlice(Value v) {
  std::optional<LastDimSlice> s = lastDimStridedSlice(v);
  if (!s || s->step != 1)
    return std::nullopt;
  return s;
}

// The operand of a binary Mul that is not Unsqueeze(Trig(angle)), and the
// angle and unsqueezed axis (the one broadcast over heads).
struct TrigFactor {
  Value other, angle;
  int64_t headAxis;
};

// HF writes cos/sin as Cos(angle) * attention_scaling cast to the model's
// dtype; with the default scaling of 1 both are no-ops on the value (a
// narrowing Cast only rounds the table, as attn.rope would in that dtype).
// Any other scaling is a scaled-RoPE variant and is not stripped.
Value stripNoOpScaling(Value v) {
  while (true) {
    if (auto cast = v.getDefiningOp<od::CastOp>();
        cast && isa<FloatType>(getElementTypeOrSelf(cast.getInput())) &&
        isa<FloatType>(getElementTypeOrSelf(cast.getOutput()))) {
      v = cast.getInput();
      continue;
    }
    if (auto mul = v.getDefiningOp<od::MulOp>()) {
      bool stripped = false;
      for (auto [value, scale] : {std::pair(mul.getA(), mul.getB()), {mul.getB(), mul.getA()}})
        if (value.getType() == mul.getType() && raise::scalarConstant(scale) == 1.0) {
          v = value;
          stripped = true;
          break;
        }
      if (stripped)
        continue;
    }
    return v;
  }
}

template <typename TrigOp>
std::optional<TrigFactor> trigFactor(od::MulOp mul) {
  if (!mul)
    return std::nullopt;
  for (auto [other, factor] : {std::pair(mul.getA(), mul.getB()), {mul.getB(), mul.getA()}}) {
    auto unsqueeze = dyn_cast_or_null<od::UnsqueezeOp>(factor.getDefiningOp());
    if (!unsqueeze)
      continue;
    auto trig = dyn_cast_or_null<TrigOp>(stripNoOpScaling(unsqueeze.getData()).getDefiningOp());
    if (!trig || raise::rankOf(factor) != 4)
      continue;
    std::optional<int64_t> axis = singleAxis(unsqueeze.getAxes(), 4);
    if (!axis)
      continue;
    return TrigFactor{other, trig.getX(), *axis};
  }
  return std::nullopt;
}

// rotate_half(x) = Concat(-x[..., d/2:], x[..., :d/2]) on the last dim;
// returns x.
Value rotateHalfInput(Value v) {
  auto concat = v.getDefiningOp<od::ConcatOp>();
  if (!concat || concat.getInputs().size() != 2 ||
      !isLastAxis(int64_t(concat.getAxis()), v))
    return nullptr;
  auto neg = concat.getInputs()[0].getDefiningOp<od::NegOp>();
  if (!neg)
    return nullptr;
  std::optional<LastDimSlice> upper = lastDimSlice(neg.getX());
  std::optional<LastDimSlice> lower = lastDimSlice(concat.getInputs()[1]);
  if (!upper || !lower || upper->data != lower->data)
    return nullptr;
  std::optional<int64_t> d = raise::staticDim(upper->data, -1);
  if (!d || *d % 2 != 0)
    return nullptr;
  int64_t half = *d / 2;
  if (lower->start != 0 || lower->end != half || upper->start != half || upper->end != *d)
    return nullptr;
  return upper->data;
}

// What the angle tensor is computed from: dynamo's
//   Concat(f, f) with f = Transpose(MatMul(inv_freq, Cast(positions)), [0, 2, 1])
// or, where the exporter lowers that outer product to a broadcast (torch 2.15,
// transformers 5.2x),
//   Concat(f, f) with f = Mul(Cast(positions), inv_freq).
struct Angles {
  SmallVector<double> invFreq;
  Type invFreqElement;
  // integer positions before the Cast: [batch or 1, 1, seq] (MatMul form,
  // seqDim 2) or [batch or 1, seq, 1] (Mul form, seqDim 1)
  Value positions;
  int64_t seqDim = 2;
};

// The integer positions a Cast to float reads, when they are rank 3 with a
// unit dim at `unitDim`; else null.
Value castPositions(od::CastOp cast, int64_t unitDim) {
  Value positions = cast ? cast.getInput() : nullptr;
  if (!positions || !getElementTypeOrSelf(positions).isInteger() || raise::rankOf(positions) != 3 ||
      raise::staticDim(positions, unitDim) != 1)
    return nullptr;
  return positions;
}

// Angles holding inv_freq's values as doubles and the positions found with
// it (failure naming why when the values cannot be read). inv_freq may be an
// initializer imported as a resource: more than 64 values, head_dim > 128.
FailureOr<Angles> readInvFreq(od::ConstantOp invFreq, Value positions, std::string &why) {
  std::optional<SmallVector<double>> values = raise::floatConstants(invFreq.getResult());
  if (!values) {
    why = "inv_freq's values are not readable";
    return failure();
  }
  Angles angles;
  angles.positions = positions;
  angles.invFreq.assign(values->begin(), values->end());
  angles.invFreqElement = getElementTypeOrSelf(invFreq.getType());
  return angles;
}

// The Mul form's freqs: Cast(positions [b, seq, 1]) * inv_freq (a constant
// of rotary_dim / 2 elements along the last dim, unit dims elsewhere), either
// operand order.
FailureOr<Angles> matchBroadcastFreqs(od::MulOp mul, int64_t rotaryDim, std::string &why) {
  for (auto [pos, freq] : {std::pair(mul.getA(), mul.getB()), {mul.getB(), mul.getA()}}) {
    auto invFreq = freq.getDefiningOp<od::ConstantOp>();
    auto invType = raise::rankedOf(freq);
    auto cast = pos.getDefiningOp<od::CastOp>();
    if (!invFreq || !cast || !invType || !invType.hasStaticShape() || invType.getRank() < 1 ||
        invType.getNumElements() != rotaryDim / 2 ||
        invType.getDimSize(invType.getRank() - 1) != rotaryDim / 2)
      continue;
    Value positions = castPositions(cast, 2);
    if (!positions) {
      why = "positions are not an integer [batch, seq, 1] cast to float";
      return failure();
    }
    FailureOr<Angles> angles = readInvFreq(invFreq, positions, why);
    if (succeeded(angles))
      angles->seqDim = 1;
    return angles;
  }
  why = "freqs is not Cast(positions) * inv_freq [rotary_dim / 2]";
  return failure();
}

FailureOr<Angles> matchAngles(Value angle, int64_t rotaryDim, std::string &why) {
  auto concat = angle.getDefiningOp<od::ConcatOp>();
  if (!concat || concat.getInputs().size() != 2 || concat.getInputs()[0] != concat.getInputs()[1] ||
      !isLastAxis(int64_t(concat.getAxis()), angle) || raise::rankOf(angle) != 3 ||
      raise::staticDim(angle, -1) != rotaryDim) {
    why = "angle is not Concat(freqs, freqs) of the rotary dims";
    return failure();
  }
  if (auto mul = concat.getInputs()[0].getDefiningOp<od::MulOp>())
    return matchBroadcastFreqs(mul, rotaryDim, why);
  auto transpose = concat.getInputs()[0].getDefiningOp<od::TransposeOp>();
  if (!isTransposeWith(transpose, {0, 2, 1})) {
    why = "freqs is not a Transpose(0, 2, 1) of inv_freq x positions";
    return failure();
  }
  auto matmul = transpose.getData().getDefiningOp<od::MatMulOp>();
  if (!matmul) {
    why = "freqs is not a MatMul of inv_freq and positions";
    return failure();
  }
  // inv_freq [..., rotary_dim / 2, 1]: an outer product with positions.
  auto invFreq = matmul.getA().getDefiningOp<od::ConstantOp>();
  auto invType = raise::rankedOf(matmul.getA());
  if (!invFreq || !invType || !invType.hasStaticShape() || invType.getRank() < 2 ||
      invType.getNumElements() != rotaryDim / 2 ||
      invType.getDimSize(invType.getRank() - 1) != 1) {
    why = "inv_freq is not a constant [.., rotary_dim / 2, 1]";
    return failure();
  }
  Value positions = castPositions(matmul.getB().getDefiningOp<od::CastOp>(), 1);
  FailureOr<Angles> angles = readInvFreq(invFreq, positions, why);
  if (succeeded(angles) && !positions) {
    why = "positions are not an integer [batch, 1, seq] cast to float";
    return failure();
  }
  return angles;
}

// theta with inv_freq[k] = theta^(-2k / rotary_dim) for every k, within the
// precision inv_freq was stored in. Fitted in log space over all entries,
// then snapped to an integer when that fits as well (inv_freq cannot tell
// them apart, and configs write integers).
std::optional<double> geometricTheta(const Angles &angles, int64_t rotaryDim) {
  const SmallVector<double> &f = angles.invFreq;
  if (f.size() < 2)
    return std::nullopt;
  double tolerance = angles.invFreqElement.isF16() || angles.invFreqElement.isBF16() ? 1e-2 : 1e-5;
  double num = 0, den = 0;
  for (size_t k = 0; k < f.size(); ++k) {
    if (!(f[k] > 0))
      return std::nullopt;
    num -= double(k) * std::log(f[k]);
    den += double(k) * double(k);
  }
  double theta = std::exp(num / den * double(rotaryDim) / 2);
  auto fits = [&](double t) {
    for (size_t k = 0; k < f.size(); ++k) {
      double expected = std::pow(t, -2.0 * double(k) / double(rotaryDim));
      if (std::fabs(f[k] - expected) > tolerance * expected)
        return false;
    }
    return true;
  };
  if (!(theta > 1) || !std::isfinite(theta))
    return std::nullopt;
  if (double rounded = std::round(theta); rounded > 1 && fits(rounded))
    return rounded;
  return fits(theta) ? std::optional(theta) : std::nullopt;
}

// A Reshape that only merges the last two dims of its input into one:
// result rank = input rank - 1, last dim = product of the input's last two,
// every other entry of the constant shape copies the input dim (0 without
// allowzero, the same static size, or one -1).
bool mergesLastTwoDims(od::ReshapeOp reshape) {
  if (!reshape)
    return false;
  auto in = raise::rankedOf(reshape.getData());
  auto out = raise::rankedOf(reshape.getResult());
  if (!in || !out || out.getRank() != in.getRank() - 1 || out.getRank() < 1)
    return false;
  int64_t n = out.getRank();
  std::optional<int64_t> a = raise::staticDim(reshape.getData(), n - 1);
  std::optional<int64_t> b = raise::staticDim(reshape.getData(), n);
  std::optional<SmallVector<int64_t>> shape = raise::intConstants(reshape.getShape());
  if (!a || !b || !shape || int64_t(shape->size()) != n || (*shape)[n - 1] != *a * *b)
    return false;
  int minusOnes = 0;
  for (int64_t i = 0; i + 1 < n; ++i) {
    int64_t e = (*shape)[i];
    if (e == -1) {
      ++minusOnes;
    } else if (e == 0) {
      if (reshape.getAllowzero() != 0)
        return false;
    } else if (raise::staticDim(reshape.getData(), i) != e) {
      return false;
    }
  }
  return minusOnes <= 1;
}

// rotate_every_two(x) (GPT-J) = Reshape(Concat(Unsqueeze(-x[..., 1::2], -1),
// Unsqueeze(x[..., ::2], -1), axis -1)) merging the pair dim back: pair i
// becomes (-x[2i + 1], x[2i]). Returns x.
Value rotateEveryTwoInput(Value v) {
  auto reshape = v.getDefiningOp<od::ReshapeOp>();
  if (!mergesLastTwoDims(reshape))
    return nullptr;
  Value stacked = reshape.getData();
  auto concat = stacked.getDefiningOp<od::ConcatOp>();
  if (!concat || concat.getInputs().size() != 2 || !isLastAxis(int64_t(concat.getAxis()), stacked) ||
      raise::staticDim(stacked, -1) != 2)
    return nullptr;
  auto unsqueezed = [&](Value u) -> Value {
    auto op = u.getDefiningOp<od::UnsqueezeOp>();
    int64_t rank = raise::rankOf(u);
    if (!op || rank < 1)
      return nullptr;
    std::optional<int64_t> axis = singleAxis(op.getAxes(), rank);
    return axis && *axis == rank - 1 ? op.getData() : Value();
  };
  Value first = unsqueezed(concat.getInputs()[0]), second = unsqueezed(concat.getInputs()[1]);
  auto neg = first ? first.getDefiningOp<od::NegOp>() : od::NegOp();
  if (!neg || !second)
    return nullptr;
  std::optional<LastDimSlice> odd = lastDimStridedSlice(neg.getX());
  std::optional<LastDimSlice> even = lastDimStridedSlice(second);
  if (!odd || !even || odd->data != even->data)
    return nullptr;
  std::optional<int64_t> d = raise::staticDim(odd->data, -1);
  if (!d || *d % 2 != 0 || odd->step != 2 || even->step != 2 || even->start != 0 ||
      odd->start != 1 || even->end != *d || odd->end != *d)
    return nullptr;
  if (v.getType() != odd->data.getType())
    return nullptr;
  return odd->data;
}

// GPT-J's repeat_interleave(t[:, :, None, :], 2, 3) of a [b or 1, seq, r/2]
// half table: Reshape(Expand(Unsqueeze(t, [heads, 4]), [.., 2])) merging the
// last two dims. Returns t and the heads axis (1 or 2) of the [.., r] result.
struct InterleavedTrig {
  Value half;
  int64_t headAxis;
};

std::optional<InterleavedTrig> interleavedTrig(Value factor) {
  auto reshape = factor.getDefiningOp<od::ReshapeOp>();
  if (!mergesLastTwoDims(reshape) || raise::rankOf(factor) != 4)
    return std::nullopt;
  auto expand = reshape.getData().getDefiningOp<od::ExpandOp>();
  if (!expand || raise::staticDim(expand.getResult(), -1) != 2)
    return std::nullopt;
  auto unsqueeze = expand.getInput().getDefiningOp<od::UnsqueezeOp>();
  if (!unsqueeze || raise::rankOf(unsqueeze.getResult()) != 5 ||
      raise::staticDim(unsqueeze.getResult(), -1) != 1 || raise::rankOf(unsqueeze.getData()) != 3)
    return std::nullopt;
  // Expand may only copy the pair dim: every other dim keeps its size.
  for (int64_t i = 0; i < 4; ++i) {
    std::optional<int64_t> from = raise::staticDim(unsqueeze.getResult(), i);
    std::optional<int64_t> to = raise::staticDim(expand.getResult(), i);
    if (from != to)
      return std::nullopt;
  }
  std::optional<SmallVector<int64_t>> axes = raise::intConstants(unsqueeze.getAxes());
  if (!axes || axes->size() != 2)
    return std::nullopt;
  SmallVector<int64_t> a;
  for (int64_t e : *axes)
    a.push_back(e < 0 ? e + 5 : e);
  llvm::sort(a);
  if (a[1] != 4 || (a[0] != 1 && a[0] != 2))
    return std::nullopt;
  return InterleavedTrig{unsqueeze.getData(), a[0]};
}

// GPT-J's sin/cos: a constant table [1, max_positions, r] (sin | cos halves,
// precomputed) gathered per token by GatherElements(table, Tile(Unsqueeze(
// positions, 2), [1, 1, r]), axis 1) -- or a [max_positions, r] table by
// GatherND(table, Unsqueeze(positions, 2)) -- and cut in two by Split on the
// last axis.
// Matches when `cosHalf` and `sinHalf` are the two outputs of that Split and
// the table's columns are exactly cos / sin(p * theta^(-2k / r)) there: theta
// is recovered from the table and checked on every entry.
struct TableAngles {
  double theta;
  Value positions; // integer [batch or 1, seq]
};

FailureOr<TableAngles> matchGatheredTable(Value cosHalf, Value sinHalf, int64_t rotaryDim,
                                          std::string &why) {
  auto split = cosHalf.getDefiningOp<od::SplitOp>();
  if (!split || sinHalf.getDefiningOp<od::SplitOp>() != split || split.getNumResults() != 2 ||
      cosHalf == sinHalf) {
    why = "cos and sin are not the two halves of one Split";
    return failure();
  }
  Value gathered = split.getInput();
  int64_t rank = raise::rankOf(gathered);
  int64_t splitAxis = int64_t(split.getAxis());
  if (rank != 3 || (splitAxis != -1 && splitAxis != 2) ||
      raise::staticDim(gathered, 2) != rotaryDim) {
    why = "the Split is not of a [.., seq, rotary_dim] table on its last axis";
    return failure();
  }
  if (!isa<NoneType>(split.getSplit().getType())) {
    std::optional<SmallVector<int64_t>> sizes = raise::intConstants(split.getSplit());
    if (!sizes || *sizes != SmallVector<int64_t>{rotaryDim / 2, rotaryDim / 2}) {
      why = "the Split does not cut the table in equal halves";
      return failure();
    }
  }
  // The table and the [1, seq] positions that index it: GatherElements of
  // a [1, max_positions, r] table (older exporters) or GatherND of a
  // [max_positions, r] one by the positions unsqueezed to [1, seq, 1]
  // (torch 2.15 with transformers 5.2x).
  Value tableValue;
  Value unsqueezeAt2; // Unsqueeze(positions, 2): its data are the positions
  RankedTensorType tableType;
  if (auto gather = gathered.getDefiningOp<od::GatherElementsOp>()) {
    if (gather.getAxis() != 1) {
      why = "the sin/cos table is not GatherElements on the positions axis";
      return failure();
    }
    tableValue = gather.getData();
    tableType = raise::rankedOf(tableValue);
    if (!tableType || !tableType.hasStaticShape() || tableType.getRank() != 3 ||
        tableType.getDimSize(0) != 1 || tableType.getDimSize(2) != rotaryDim) {
      why = "the sin/cos table is not a static [1, max_positions, rotary_dim]";
      return failure();
    }
    auto tile = gather.getIndices().getDefiningOp<od::TileOp>();
    std::optional<SmallVector<int64_t>> repeats =
        tile ? raise::intConstants(tile.getRepeats()) : std::nullopt;
    if (!repeats || *repeats != SmallVector<int64_t>{1, 1, rotaryDim}) {
      why = "the table index is not Tile(Unsqueeze([1, seq] positions, 2), [1, 1, rotary_dim])";
      return failure();
    }
    unsqueezeAt2 = tile.getInput();
  } else if (auto gather = gathered.getDefiningOp<od::GatherNDOp>()) {
    tableValue = gather.getData();
    tableType = raise::rankedOf(tableValue);
    if (gather.getBatchDims() != 0 || !tableType || !tableType.hasStaticShape() ||
        tableType.getRank() != 2 || tableType.getDimSize(1) != rotaryDim) {
      why = "the sin/cos table is not GatherND of a static [max_positions, rotary_dim]";
      return failure();
    }
    unsqueezeAt2 = gather.getIndices();
  } else {
    why = "the sin/cos table is not gathered by the positions (GatherElements or GatherND)";
    return failure();
  }
  auto unsqueeze = unsqueezeAt2.getDefiningOp<od::UnsqueezeOp>();
  if (!unsqueeze || singleAxis(unsqueeze.getAxes(), 3) != 2 ||
      raise::rankOf(unsqueeze.getData()) != 2 ||
      !getElementTypeOrSelf(unsqueeze.getData()).isInteger() ||
      raise::staticDim(unsqueeze.getData(), 0) != 1) {
    why = "the table index is not Unsqueeze([1, seq] positions, 2)";
    return failure();
  }
  std::optional<SmallVector<double>> table = raise::floatConstants(tableValue);
  if (!table) {
    why = "the sin/cos table's values are not readable";
    return failure();
  }
  int64_t maxPos = tableType.getDimSize(tableType.getRank() - 2), half = rotaryDim / 2;
  int64_t cosOffset = cosHalf == split.getResult(0) ? 0 : half;
  int64_t sinOffset = half - cosOffset;
  auto at = [&](int64_t p, int64_t col) { return (*table)[p * rotaryDim + col]; };
  if (maxPos < 2) {
    why = "the sin/cos table has fewer than two positions";
    return failure();
  }
  // Position 1 holds the frequencies themselves: atan2(sin, cos).
  Angles angles;
  angles.invFreqElement = tableType.getElementType();
  for (int64_t k = 0; k < half; ++k)
    angles.invFreq.push_back(std::atan2(at(1, sinOffset + k), at(1, cosOffset + k)));
  std::optional<double> theta = geometricTheta(angles, rotaryDim);
  if (!theta) {
    why = "the table's frequencies are not theta^(-2k / rotary_dim) (scaled RoPE); not raised";
    return failure();
  }
  double tolerance = angles.invFreqElement.isF32() ? 1e-4 : 1e-2;
  for (int64_t p = 0; p < maxPos; ++p)
    for (int64_t k = 0; k < half; ++k) {
      double angle = double(p) * std::pow(*theta, -2.0 * double(k) / double(rotaryDim));
      if (std::fabs(at(p, cosOffset + k) - std::cos(angle)) > tolerance ||
          std::fabs(at(p, sinOffset + k) - std::sin(angle)) > tolerance) {
        why = "the sin/cos table is not cos / sin(p * theta^(-2k / rotary_dim))";
        return failure();
      }
    }
  return TableAngles{*theta, unsqueeze.getData()};
}

// positions as [batch or 1, seq]: the integer tensor the [b, 1, seq] MatMul
// operand (or the Mul form's [b, seq, 1]) unsqueezes (Unsqueeze only inserts
// unit dims, so the data is the same), given a leading unit dim when 1-D.
// q and k of every layer share the positions: the Unsqueeze is made next to
// them (so it dominates every rope) and reused by the later ropes.
FailureOr<Value> positions2d(PatternRewriter &rewriter, Operation *root, Value positions,
                             std::string &why) {
  Value v = positions;
  while (auto unsqueeze = v.getDefiningOp<od::UnsqueezeOp>())
    v = unsqueeze.getData();
  if (raise::rankOf(v) == 2)
    return v;
  if (raise::rankOf(v) == 1 && raise::staticDim(positions, 0) == 1) {
    auto t = raise::rankedOf(v);
    auto type = RankedTensorType::get({1, t.getDimSize(0)}, t.getElementType());
    for (Operation *user : v.getUsers())
      if (auto existing = dyn_cast<od::UnsqueezeOp>(user);
          existing && existing.getType() == type && existing->getBlock() == root->getBlock() &&
          existing->isBeforeInBlock(root) &&
          raise::intConstants(existing.getAxes()) == SmallVector<int64_t>{0})
        return existing.getResult();
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfterValue(v);
    auto axesType = RankedTensorType::get({1}, rewriter.getI64Type());
    Value axes = od::ConstantOp::create(rewriter, v.getLoc(), axesType,
                                        DenseElementsAttr::get(axesType, ArrayRef<int64_t>{0}));
    return od::UnsqueezeOp::create(rewriter, v.getLoc(), type, v, axes).getResult();
  }
  why = "positions cannot be traced to a [batch or 1, seq] integer tensor";
  return failure();
}

RankedTensorType swapHeadsAndSeq(RankedTensorType t) {
  SmallVector<int64_t> shape(t.getShape());
  std::swap(shape[1], shape[2]);
  return RankedTensorType::get(shape, t.getElementType());
}

// x [b, h, s, d] as [b, s, h, d]: the Transpose it came from when there is
// one, else a new one.
Value toTokenMajor(PatternRewriter &rewriter, Location loc, Value x) {
  if (auto t = x.getDefiningOp<od::TransposeOp>(); isTransposeWith(t, raise::kHeadMajorSwap))
    return t.getData();
  return od::TransposeOp::create(rewriter, loc, swapHeadsAndSeq(raise::rankedOf(x)), x,
                                 rewriter.getDenseI64ArrayAttr(raise::kHeadMajorSwap));
}

// attn.rope on x in the given layout, returned in that layout.
Value createRope(PatternRewriter &rewriter, Location loc, Value x, bool headMajor, Value positions,
                 Value cosTable, Value sinTable, attn::RopeStyle style, int64_t rotaryDim,
                 std::optional<double> theta) {
  Value tokenMajor = headMajor ? toTokenMajor(rewriter, loc, x) : x;
  FloatAttr thetaAttr = theta ? rewriter.getF32FloatAttr(float(*theta)) : FloatAttr();
  Value rope = attn::RopeOp::create(rewriter, loc, tokenMajor.getType(), tokenMajor, positions,
                                    cosTable, sinTable, style, uint64_t(rotaryDim), thetaAttr);
  if (!headMajor)
    return rope;
  return od::TransposeOp::create(rewriter, loc, x.getType(), rope,
                                 rewriter.getDenseI64ArrayAttr(raise::kHeadMajorSwap));
}

// The verifier ties positions' seq to x's; a static mismatch means the match
// went wrong, not that the op should be built.
bool seqMatches(Value positions, Value x, bool headMajor) {
  std::optional<int64_t> p = raise::staticDim(positions, 1), s = raise::staticDim(x, headMajor ? 2 : 1);
  return !p || !s || *p == *s;
}

// Partial rotary: when x = y[..., :r] and the rope's only use is
// Concat(rope, y[..., r:]) on the last axis, that Concat is the root to
// replace and y the rope's input; else the rope itself and x.
std::pair<Operation *, Value> partialRotaryRoot(od::AddOp add, Value x, int64_t rotaryDim) {
  if (std::optional<LastDimSlice> head = lastDimSlice(x);
      head && head->start == 0 && head->end == rotaryDim && add->hasOneUse()) {
    auto concat = dyn_cast<od::ConcatOp>(*add->user_begin());
    std::optional<LastDimSlice> tail;
    if (concat && concat.getInputs().size() == 2 && concat.getInputs()[0] == add.getResult() &&
        isLastAxis(int64_t(concat.getAxis()), concat.getResult()))
      tail = lastDimSlice(concat.getInputs()[1]);
    if (tail && tail->data == head->data && tail->start == rotaryDim &&
        tail->end == *raise::staticDim(head->data, -1) && concat.getType() == head->data.getType())
      return {concat.getOperation(), head->data};
  }
  return {add.getOperation(), x};
}

//===----------------------------------------------------------------------===//
// Decomposed rotate-half RoPE (torch dynamo):
//   x * Unsqueeze(Cos(angle)) + rotate_half(x) * Unsqueeze(Sin(angle))
// either operand order, x head-major (cos unsqueezed at 1) or token-major
// (at 2). Partial rotary (GPT-NeoX, Phi) ropes x[..., :r] and concats
// x[..., r:] back; that whole Concat becomes one attn.rope with rotary_dim r.
//===----------------------------------------------------------------------===//

struct RaiseRotateHalfRope : OpRewritePattern<od::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::AddOp add, PatternRewriter &rewriter) const override {
    std::optional<TrigFactor> cos, sin;
    for (auto [cosSide, sinSide] : {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}}) {
      cos = trigFactor<od::CosOp>(cosSide.getDefiningOp<od::MulOp>());
      sin = trigFactor<od::SinOp>(sinSide.getDefiningOp<od::MulOp>());
      if (cos && sin)
        break;
    }
    if (!cos || !sin)
      return rewriter.notifyMatchFailure(add, "not x * cos(angle) + rotated(x) * sin(angle)");
    if (cos->angle != sin->angle)
      return rewriter.notifyMatchFailure(add, "cos and sin are of different angles");
    if (cos->headAxis != sin->headAxis || (cos->headAxis != 1 && cos->headAxis != 2))
      return rewriter.notifyMatchFailure(add, "cos/sin do not broadcast over one heads dim");
    bool headMajor = cos->headAxis == 1;
    Value x = cos->other;
    if (rotateHalfInput(sin->other) != x)
      return rewriter.notifyMatchFailure(
          add, "sin factor is not Concat(-x[d/2:], x[:d/2]) of the cos factor's x");
    if (raise::rankOf(x) != 4 || x.getType() != add.getType())
      return rewriter.notifyMatchFailure(add, "x is not a 4-D tensor of the result's type");
    int64_t rotaryDim = *raise::staticDim(x, -1);

    std::string why;
    FailureOr<Angles> angles = matchAngles(cos->angle, rotaryDim, why);
    if (failed(angles))
      return rewriter.notifyMatchFailure(add, why);
    std::optional<double> theta = geometricTheta(*angles, rotaryDim);
    if (!theta)
      return rewriter.notifyMatchFailure(
          add, "inv_freq is not theta^(-2k / rotary_dim) (scaled RoPE); not raised");

    // Partial rotary: rope(x[..., :r]) concatenated with x[..., r:].
    auto [root, ropeInput] = partialRotaryRoot(add, x, rotaryDim);

    // Checked on the positions the angles are cast from: positions2d may
    // create ops, so nothing may fail after it.
    std::optional<int64_t> seq = raise::staticDim(ropeInput, headMajor ? 2 : 1);
    std::optional<int64_t> positionsSeq = raise::staticDim(angles->positions, angles->seqDim);
    if (seq && positionsSeq && *seq != *positionsSeq)
      return rewriter.notifyMatchFailure(add, "positions' seq differs from x's");
    FailureOr<Value> positions = positions2d(rewriter, root, angles->positions, why);
    if (failed(positions))
      return rewriter.notifyMatchFailure(add, why);
    Location loc = add.getLoc();
    Value rope = createRope(rewriter, loc, ropeInput, headMajor, *positions, Value(), Value(),
                            attn::RopeStyle::half_split, rotaryDim, theta);
    rewriter.replaceOp(root, rope);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Decomposed interleaved RoPE (GPT-J's rotate_every_two, torch dynamo):
//   x * ri(cos) + rotate_every_two(x) * ri(sin)
// with ri = repeat_interleave(., 2) over the pair dim and sin / cos the
// halves of a precomputed table gathered per position (matchGatheredTable),
// either operand order, x token-major (tables unsqueezed at 2) or head-major
// (at 1). Partial rotary ropes x[..., :r] and concats x[..., r:] back; that
// whole Concat becomes one attn.rope {style = interleaved, rotary_dim = r}.
//===----------------------------------------------------------------------===//

struct RaiseRotateEveryTwoRope : OpRewritePattern<od::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::AddOp add, PatternRewriter &rewriter) const override {
    // x * cos factor and rotate_every_two(x) * sin factor, in any order.
    Value x;
    std::optional<InterleavedTrig> cos, sin;
    for (auto [cosSide, sinSide] : {std::pair(add.getA(), add.getB()), {add.getB(), add.getA()}}) {
      auto cosMul = cosSide.getDefiningOp<od::MulOp>(), sinMul = sinSide.getDefiningOp<od::MulOp>();
      if (!cosMul || !sinMul)
        continue;
      for (auto [sx, sf] : {std::pair(sinMul.getA(), sinMul.getB()), {sinMul.getB(), sinMul.getA()}}) {
        Value input = rotateEveryTwoInput(sx);
        if (!input)
          continue;
        for (auto [cx, cf] :
             {std::pair(cosMul.getA(), cosMul.getB()), {cosMul.getB(), cosMul.getA()}}) {
          if (cx != input)
            continue;
          cos = interleavedTrig(cf);
          sin = interleavedTrig(sf);
          x = cx;
        }
      }
      if (x)
        break;
    }
    if (!x)
      return rewriter.notifyMatchFailure(
          add, "not x * cos + rotate_every_two(x) * sin of the same x");
    if (!cos || !sin)
      return rewriter.notifyMatchFailure(add, "cos/sin are not repeat_interleave(table, 2)");
    if (cos->headAxis != sin->headAxis)
      return rewriter.notifyMatchFailure(add, "cos/sin do not broadcast over one heads dim");
    bool headMajor = cos->headAxis == 1;
    if (raise::rankOf(x) != 4 || x.getType() != add.getType())
      return rewriter.notifyMatchFailure(add, "x is not a 4-D tensor of the result's type");
    int64_t rotaryDim = *raise::staticDim(x, -1);

    std::string why;
    FailureOr<TableAngles> table = matchGatheredTable(cos->half, sin->half, rotaryDim, why);
    if (failed(table))
      return rewriter.notifyMatchFailure(add, why);
    auto [root, ropeInput] = partialRotaryRoot(add, x, rotaryDim);
    if (!seqMatches(table->positions, ropeInput, headMajor))
      return rewriter.notifyMatchFailure(add, "positions' seq differs from x's");
    Value rope = createRope(rewriter, add.getLoc(), ropeInput, headMajor, table->positions,
                            Value(), Value(), attn::RopeStyle::interleaved, rotaryDim,
                            table->theta);
    rewriter.replaceOp(root, rope);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Fused forms: RotaryEmbedding-23 and com.microsoft RotaryEmbedding, both
// with cos/sin caches [max_positions, rotary_dim / 2] indexed by 2-D
// position_ids, on x [b, h, s, d] (4-D) or [b, s, h * d] (3-D with
// num_heads).
//===----------------------------------------------------------------------===//

struct FusedRope {
  Value x, positions, cosCache, sinCache;
  bool interleaved;
  int64_t numHeads; // 0: not given
  int64_t rotaryDim; // 0: the whole head
};

LogicalResult rewriteFusedRope(Operation *op, const FusedRope &f, PatternRewriter &rewriter) {
  Value y = op->getResult(0);
  if (y.getType() != f.x.getType())
    return rewriter.notifyMatchFailure(op, "result type differs from x");
  int64_t rank = raise::rankOf(f.x);
  std::optional<int64_t> headDim;
  if (rank == 4) {
    headDim = raise::staticDim(f.x, 3);
  } else if (rank == 3) {
    std::optional<int64_t> hidden = raise::staticDim(f.x, 2);
    if (f.numHeads <= 0 || !hidden || *hidden % f.numHeads != 0)
      return rewriter.notifyMatchFailure(op, "3-D x without a static hidden that num_heads divides");
    headDim = *hidden / f.numHeads;
  } else {
    return rewriter.notifyMatchFailure(op, "x is not 3-D or 4-D");
  }
  if (!headDim)
    return rewriter.notifyMatchFailure(op, "head_dim is not static");
  int64_t rotaryDim = f.rotaryDim ? f.rotaryDim : *headDim;
  if (rotaryDim <= 0 || rotaryDim % 2 != 0 || rotaryDim > *headDim)
    return rewriter.notifyMatchFailure(op, "rotary dim is not even and within head_dim");
  for (Value cache : {f.cosCache, f.sinCache})
    if (raise::rankOf(cache) != 2 || raise::staticDim(cache, 1) != rotaryDim / 2 ||
        getElementTypeOrSelf(cache) != getElementTypeOrSelf(f.x))
      return rewriter.notifyMatchFailure(op, "caches are not [max_positions, rotary_dim / 2] of x's type");
  if (raise::rankOf(f.positions) != 2 || !getElementTypeOrSelf(f.positions).isInteger())
    return rewriter.notifyMatchFailure(op, "position_ids is not a 2-D integer tensor");
  if (!seqMatches(f.positions, f.x, rank == 4))
    return rewriter.notifyMatchFailure(op, "position_ids' seq differs from x's");

  Location loc = op->getLoc();
  attn::RopeStyle style = f.interleaved ? attn::RopeStyle::interleaved : attn::RopeStyle::half_split;
  if (rank == 4) {
    rewriter.replaceOp(op, createRope(rewriter, loc, f.x, /*headMajor=*/true, f.positions,
                                      f.cosCache, f.sinCache, style, rotaryDim, std::nullopt));
    return success();
  }
  // [b, s, h * d] <-> [b, s, h, d]; Reshape's 0 copies b and s, which may be
  // dynamic.
  auto shapeOf = [&](ArrayRef<int64_t> dims) -> Value {
    auto type = RankedTensorType::get({int64_t(dims.size())}, rewriter.getI64Type());
    return od::ConstantOp::create(rewriter, loc, type, DenseElementsAttr::get(type, dims));
  };
  auto xType = raise::rankedOf(f.x);
  auto splitType = RankedTensorType::get(
      {xType.getDimSize(0), xType.getDimSize(1), f.numHeads, *headDim}, xType.getElementType());
  Value split = od::ReshapeOp::create(rewriter, loc, splitType, f.x,
                                      shapeOf({0, 0, f.numHeads, *headDim}), 0);
  Value rope = createRope(rewriter, loc, split, /*headMajor=*/false, f.positions, f.cosCache,
                          f.sinCache, style, rotaryDim, std::nullopt);
  rewriter.replaceOpWithNewOp<od::ReshapeOp>(op, xType, rope,
                                             shapeOf({0, 0, f.numHeads * *headDim}), 0);
  return success();
}

struct RaiseRotaryEmbedding : OpRewritePattern<od::RotaryEmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::RotaryEmbeddingOp op, PatternRewriter &rewriter) const override {
    // Without position_ids the caches are already gathered per token
    // ([b, s, rotary_dim / 2]), which attn.rope's tables cannot express.
    if (isa<NoneType>(op.getPositionIds().getType()))
      return rewriter.notifyMatchFailure(op, "no position_ids (pre-gathered caches)");
    std::optional<uint64_t> heads = op.getNumHeads();
    return rewriteFusedRope(op,
                            FusedRope{op.getX(), op.getPositionIds(), op.getCosCache(),
                                      op.getSinCache(), op.getInterleaved() != 0,
                                      heads ? int64_t(*heads) : 0,
                                      int64_t(op.getRotaryEmbeddingDim())},
                            rewriter);
  }
};

struct RaiseMsRotaryEmbedding : OpRewritePattern<od::MsRotaryEmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MsRotaryEmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getIsPackedBatching() != 0)
      return rewriter.notifyMatchFailure(op, "packed batching");
    if (op.getScale().convertToFloat() != 1.0f)
      return rewriter.notifyMatchFailure(op, "scale is not 1");
    int64_t numHeads = int64_t(op.getNumHeads());
    // onnxruntime infers num_heads from the cache width when it is omitted
    // (rotary_dim is then the whole head).
    if (numHeads == 0 && raise::rankOf(op.getInput()) == 3 && op.getRotaryEmbeddingDim() == 0) {
      std::optional<int64_t> hidden = raise::staticDim(op.getInput(), 2);
      std::optional<int64_t> half = raise::staticDim(op.getCosCache(), 1);
      if (hidden && half && *half > 0 && *hidden % (2 * *half) == 0)
        numHeads = *hidden / (2 * *half);
    }
    return rewriteFusedRope(op,
                            FusedRope{op.getInput(), op.getPositionIds(), op.getCosCache(),
                                      op.getSinCache(), op.getInterleaved() != 0, numHeads,
                                      int64_t(op.getRotaryEmbeddingDim())},
                            rewriter);
  }
};

struct RaiseRopePass : impl::RaiseRopeBase<RaiseRopePass> {
  void runOnOperation() override {
    if (failed(raise::applyRaisingPatterns(getOperation(), populateRaiseRopePatterns)))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseRopePatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseRotateHalfRope, RaiseRotateEveryTwoRope, RaiseRotaryEmbedding, RaiseMsRotaryEmbedding>(
      patterns.getContext());
}

} // namespace attnc
