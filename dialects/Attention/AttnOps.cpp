// Verifiers of the attn dialect. Attributes are the source of truth (heads,
// head_dim, rotary_dim); static dims of the operands must agree with them.
// Dynamic dims (batch, seq) are never checked against each other.
#include "dialects/Attention/AttnOps.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"
#include <cmath>

using namespace mlir;

namespace attnc::attn {
namespace {

// A dim of a ranked value (negative indices count from the back), or nullopt
// when unranked, dynamic or out of range.
std::optional<int64_t> staticDim(Value v, int64_t index) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t)
    return std::nullopt;
  if (index < 0)
    index += t.getRank();
  if (index < 0 || index >= t.getRank())
    return std::nullopt;
  int64_t d = t.getDimSize(index);
  return ShapedType::isDynamic(d) ? std::nullopt : std::optional(d);
}

LogicalResult checkRank(Operation *op, Value v, StringRef name, int64_t rank) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (t && t.getRank() != rank)
    return op->emitOpError() << name << " must have rank " << rank << ", got " << t;
  return success();
}

LogicalResult checkMinRank(Operation *op, Value v, StringRef name, int64_t rank) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (t && t.getRank() < rank)
    return op->emitOpError() << name << " must have rank >= " << rank << ", got " << t;
  return success();
}

// `name`'s dim `index` must be `expected` when static.
LogicalResult checkDim(Operation *op, Value v, StringRef name, int64_t index,
                       int64_t expected, StringRef what) {
  auto d = staticDim(v, index);
  if (d && *d != expected)
    return op->emitOpError() << name << " dim " << index << " is " << *d << " but "
                             << what << " is " << expected;
  return success();
}

LogicalResult checkSameDim(Operation *op, Value a, StringRef an, int64_t ai,
                           Value b, StringRef bn, int64_t bi) {
  auto da = staticDim(a, ai), db = staticDim(b, bi);
  if (da && db && *da != *db)
    return op->emitOpError() << an << " dim " << ai << " (" << *da << ") differs from "
                             << bn << " dim " << bi << " (" << *db << ")";
  return success();
}

bool sameElementType(ValueRange values) {
  Type first = getElementTypeOrSelf(values.front().getType());
  return llvm::all_of(values, [&](Value v) { return getElementTypeOrSelf(v.getType()) == first; });
}

// The weight of a norm: 1-D with the normalised dim's size.
LogicalResult checkNormWeight(Operation *op, Value x, Value weight, StringRef name) {
  if (failed(checkMinRank(op, x, "x", 1)) || failed(checkRank(op, weight, name, 1)))
    return failure();
  return checkSameDim(op, weight, name, 0, x, "x", -1);
}

// The attributes attn.attention and attn.paged_attention share.
template <typename OpTy>
LogicalResult verifyAttentionAttributes(OpTy op) {
  int64_t heads = op.getNumHeads(), kvHeads = op.getNumKvHeads(), headDim = op.getHeadDim();
  if (heads <= 0 || kvHeads <= 0 || headDim <= 0)
    return op.emitOpError() << "num_heads, num_kv_heads and head_dim must be positive, got "
                            << heads << ", " << kvHeads << ", " << headDim;
  if (heads % kvHeads != 0)
    return op.emitOpError() << "num_heads (" << heads << ") is not a multiple of num_kv_heads ("
                            << kvHeads << ")";
  if (!(op.getScale().convertToFloat() > 0) || op.getScale().isInfinity())
    return op.emitOpError("scale must be positive and finite");
  if (op.getSoftcap().isNegative() || !op.getSoftcap().isFinite())
    return op.emitOpError("softcap must be non-negative and finite (0 means none)");
  if (int64_t(op.getWindow()) < 0)
    return op.emitOpError() << "window must be non-negative (0 means none), got "
                            << int64_t(op.getWindow());
  return success();
}

} // namespace

LogicalResult AttentionOp::verify() {
  if (failed(verifyAttentionAttributes(*this)))
    return failure();
  int64_t heads = getNumHeads(), kvHeads = getNumKvHeads(), headDim = getHeadDim();
  if (getWindow() > 0 && !getCausal())
    return emitOpError("a sliding window needs causal attention");
  if (int64_t(getSinkTokens()) < 0)
    return emitOpError() << "sink_tokens must be non-negative, got " << int64_t(getSinkTokens());
  if (getSinkTokens() > 0 && getWindow() == 0)
    return emitOpError("sink_tokens only matter with a sliding window");

  Value q = getQuery(), k = getKey(), v = getValue(), out = getOutput();
  if (!sameElementType({q, k, v, out}))
    return emitOpError("query, key, value and result must share an element type");
  for (auto [value, name] : {std::pair(q, "query"), {k, "key"}, {v, "value"}, {out, "result"}})
    if (failed(checkRank(*this, value, name, 4)))
      return failure();
  if (failed(checkDim(*this, q, "query", 2, heads, "num_heads")) ||
      failed(checkDim(*this, q, "query", 3, headDim, "head_dim")) ||
      failed(checkDim(*this, k, "key", 2, kvHeads, "num_kv_heads")) ||
      failed(checkDim(*this, k, "key", 3, headDim, "head_dim")) ||
      failed(checkDim(*this, v, "value", 2, kvHeads, "num_kv_heads")) ||
      failed(checkDim(*this, out, "result", 2, heads, "num_heads")) ||
      failed(checkSameDim(*this, k, "key", 1, v, "value", 1)) ||
      failed(checkSameDim(*this, q, "query", 0, k, "key", 0)) ||
      failed(checkSameDim(*this, k, "key", 0, v, "value", 0)) ||
      failed(checkSameDim(*this, q, "query", 0, out, "result", 0)) ||
      failed(checkSameDim(*this, q, "query", 1, out, "result", 1)) ||
      failed(checkSameDim(*this, v, "value", 3, out, "result", 3)))
    return failure();
  if (Value mask = getKeyPaddingMask()) {
    if (failed(checkRank(*this, mask, "key_padding_mask", 2)) ||
        failed(checkSameDim(*this, mask, "key_padding_mask", 1, k, "key", 1)))
      return failure();
  }
  if (Value bias = getBias()) {
    auto t = dyn_cast<RankedTensorType>(bias.getType());
    if (t && t.getRank() != 4)
      return emitOpError() << "bias must have rank 4 ([batch, heads, seq, kv_seq] or "
                              "broadcastable), got " << t;
    // Each static dim of the bias is 1 or the scores' dim.
    std::optional<int64_t> scores[] = {staticDim(q, 0), heads, staticDim(q, 1),
                                       staticDim(k, 1)};
    for (int64_t i = 0; i < 4; ++i) {
      auto d = staticDim(bias, i);
      if (d && *d != 1 && scores[i] && *d != *scores[i])
        return emitOpError() << "bias dim " << i << " is " << *d
                             << " but must be 1 or the scores' dim " << *scores[i]
                             << " ([batch, num_heads, seq, kv_seq])";
    }
  }
  return success();
}

LogicalResult RopeOp::verify() {
  int64_t rotaryDim = getRotaryDim();
  if (rotaryDim <= 0 || rotaryDim % 2 != 0)
    return emitOpError() << "rotary_dim must be positive and even, got " << rotaryDim;
  if (auto d = staticDim(getX(), -1); d && rotaryDim > *d)
    return emitOpError() << "rotary_dim " << rotaryDim << " exceeds head_dim " << *d;
  // Graph level: x [b, s, h, d], positions [b, s]; step level: x [t, h, d],
  // positions [t].
  auto xType = dyn_cast<RankedTensorType>(getX().getType());
  if (xType && xType.getRank() != 3 && xType.getRank() != 4)
    return emitOpError() << "x must have rank 4 ([batch, seq, heads, head_dim]) or 3 "
                            "([tokens, heads, head_dim]), got " << xType;
  if (xType) {
    int64_t tokenDim = xType.getRank() - 3;
    if (failed(checkRank(*this, getPositions(), "positions", tokenDim + 1)) ||
        failed(checkSameDim(*this, getPositions(), "positions", tokenDim, getX(), "x",
                            tokenDim)))
      return failure();
  }
  if (getX().getType() != getOutput().getType())
    return emitOpError("result type must equal x's type");
  bool hasTables = bool(getCosTable());
  if (hasTables != bool(getSinTable()))
    return emitOpError("cos_table and sin_table must be given together");
  if (hasTables) {
    for (auto [table, name] : {std::pair(getCosTable(), "cos_table"), {getSinTable(), "sin_table"}})
      if (failed(checkRank(*this, table, name, 2)) ||
          failed(checkDim(*this, table, name, 1, rotaryDim / 2, "rotary_dim / 2")))
        return failure();
  }
  if (hasTables == bool(getTheta()))
    return emitOpError("needs exactly one of theta and cos/sin tables");
  if (getTheta() && !(getTheta()->convertToFloat() > 1))
    return emitOpError("theta must be greater than 1");
  return success();
}

LogicalResult RmsNormOp::verify() {
  if (getEpsilon().isNegative() || getEpsilon().isNaN())
    return emitOpError("epsilon must be non-negative");
  if (getX().getType() != getOutput().getType())
    return emitOpError("result type must equal x's type");
  return checkNormWeight(*this, getX(), getWeight(), "weight");
}

LogicalResult LayerNormOp::verify() {
  if (getEpsilon().isNegative() || getEpsilon().isNaN())
    return emitOpError("epsilon must be non-negative");
  if (getX().getType() != getOutput().getType())
    return emitOpError("result type must equal x's type");
  if (failed(checkNormWeight(*this, getX(), getWeight(), "weight")))
    return failure();
  if (Value bias = getBias())
    return checkNormWeight(*this, getX(), bias, "bias");
  return success();
}

int64_t LinearOp::getInFeatures() {
  auto w = cast<ShapedType>(getWeight().getType());
  return w.getDimSize(getWeightLayout() == WeightLayout::out_in ? 1 : 0);
}
int64_t LinearOp::getOutFeatures() {
  auto w = cast<ShapedType>(getWeight().getType());
  return w.getDimSize(getWeightLayout() == WeightLayout::out_in ? 0 : 1);
}

// x [..., in] -> result [..., out] (+ bias [out]) of a linear, dense or
// quantized.
static LogicalResult checkLinearShapes(Operation *op, Value x, Value result, Value bias,
                                       int64_t in, int64_t out) {
  if (!sameElementType({x, result}))
    return op->emitOpError("x and result must share an element type");
  if (failed(checkMinRank(op, x, "x", 1)) ||
      failed(checkDim(op, x, "x", -1, in, "the weight's in_features")) ||
      failed(checkDim(op, result, "result", -1, out, "the weight's out_features")))
    return failure();
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto resultType = dyn_cast<RankedTensorType>(result.getType());
  if (xType && resultType && xType.getRank() != resultType.getRank())
    return op->emitOpError() << "result rank " << resultType.getRank() << " differs from x's rank "
                             << xType.getRank();
  if (xType && resultType)
    for (int64_t i = 0; i + 1 < xType.getRank(); ++i)
      if (failed(checkSameDim(op, x, "x", i, result, "result", i)))
        return failure();
  if (bias)
    if (failed(checkRank(op, bias, "bias", 1)) ||
        failed(checkDim(op, bias, "bias", 0, out, "the weight's out_features")))
      return failure();
  return success();
}

LogicalResult LinearOp::verify() {
  auto w = dyn_cast<RankedTensorType>(getWeight().getType());
  if (!w || w.getRank() != 2 || !w.hasStaticShape())
    return emitOpError() << "weight must be a static 2-D tensor, got " << getWeight().getType();
  return checkLinearShapes(*this, getX(), getOutput(), getBias(), getInFeatures(),
                           getOutFeatures());
}

// The storage of a weight-only quantized [n, k] weight, as
// runtime/QuantizedWeights.h lays it out (runtime/pack quantizeWeight writes
// it, the quantized-linear kernels read it). `zeros` may be null.
static LogicalResult checkQuantizedWeight(Operation *op, int64_t bits, int64_t groupSize, int64_t n,
                                          int64_t k, Value values, Value scales, Value zeros) {
  if (bits != 4 && bits != 8)
    return op->emitOpError() << "bits must be 4 or 8, got " << bits;
  if (groupSize < 0)
    return op->emitOpError() << "group_size must be positive (0: per output channel), got "
                             << groupSize;
  if (groupSize > 0 && k % groupSize != 0)
    return op->emitOpError() << "group_size " << groupSize
                             << " does not divide the input dimension " << k;
  if (bits == 4 && (k % 2 != 0 || groupSize % 2 != 0))
    return op->emitOpError() << "4-bit values pack two a byte: the input dimension (" << k
                             << ") and group_size (" << groupSize << ") must be even";
  auto valuesType = dyn_cast<RankedTensorType>(values.getType());
  int64_t packedK = bits == 8 ? k : k / 2;
  if (!valuesType || !valuesType.hasStaticShape() || valuesType.getRank() != 2 ||
      valuesType.getDimSize(0) != n || valuesType.getDimSize(1) != packedK)
    return op->emitOpError() << "values must be [" << n << ", " << packedK << "] for " << bits
                             << "-bit [" << n << ", " << k << "] weights, got "
                             << values.getType();
  if (bits == 8 && !zeros && valuesType.getElementType().isUnsignedInteger())
    return op->emitOpError() << "symmetric 8-bit values are signed (i8), got "
                             << values.getType();
  if (bits == 8 && zeros && !valuesType.getElementType().isUnsignedInteger())
    return op->emitOpError() << "8-bit values with zero points are unsigned (ui8), got "
                             << values.getType();
  int64_t groups = groupSize > 0 ? k / groupSize : 1;
  SmallVector<int64_t> scaleShape =
      groupSize > 0 ? SmallVector<int64_t>{n, groups} : SmallVector<int64_t>{n};
  auto scalesType = dyn_cast<RankedTensorType>(scales.getType());
  if (!scalesType || scalesType.getShape() != ArrayRef<int64_t>(scaleShape))
    return op->emitOpError() << "scales must be f32 [" << n
                             << (groupSize > 0 ? ", " + std::to_string(groups) : std::string())
                             << "] (" << (groupSize > 0 ? "one per group" : "one per output channel")
                             << "), got " << scales.getType();
  if (zeros) {
    if (groupSize == 0)
      return op->emitOpError("zero points are only supported for weights in groups");
    auto zerosType = dyn_cast<RankedTensorType>(zeros.getType());
    if (!zerosType || zerosType.getShape() != ArrayRef<int64_t>(scaleShape))
      return op->emitOpError() << "zeros must be ui8 [" << n << ", " << groups
                               << "] (one per group), got " << zeros.getType();
  }
  return success();
}

int64_t QuantizedLinearOp::getOutFeatures() {
  return cast<ShapedType>(getValues().getType()).getDimSize(0);
}
int64_t QuantizedLinearOp::getInFeatures() {
  int64_t packed = cast<ShapedType>(getValues().getType()).getDimSize(1);
  return getBits() == 4 ? packed * 2 : packed;
}

LogicalResult QuantizedLinearOp::verify() {
  auto values = dyn_cast<RankedTensorType>(getValues().getType());
  if (!values || values.getRank() != 2 || !values.hasStaticShape())
    return emitOpError() << "values must be a static 2-D tensor, got " << getValues().getType();
  int64_t n = getOutFeatures(), k = getInFeatures();
  if (failed(checkLinearShapes(*this, getX(), getOutput(), getBias(), k, n)) ||
      failed(checkQuantizedWeight(*this, getBits(), getGroupSize(), n, k, getValues(),
                                  getScales(), getZeros())))
    return failure();
  // The formats the kernels implement (runtime/QuantizedWeights.h).
  if (getBits() == 8 && getGroupSize() != 0 && getGroupSize() != 32 && getGroupSize() != 64 &&
      getGroupSize() != 128)
    return emitOpError() << "8-bit weights have one scale per output channel (group_size 0) or "
                            "groups of 32, 64 or 128, got group_size "
                         << getGroupSize();
  if (getBits() == 4 && getGroupSize() != 32 && getGroupSize() != 64 && getGroupSize() != 128)
    return emitOpError() << "4-bit weights need group_size 32, 64 or 128 (the kernels' groups), "
                            "got "
                         << getGroupSize();
  if (getBias() && !sameElementType({getX(), getBias()}))
    return emitOpError("bias must have x's element type");
  return success();
}

LogicalResult WeightQuantizeOp::verify() {
  auto weight = dyn_cast<RankedTensorType>(getWeight().getType());
  if (!weight || weight.getRank() != 2 || !weight.hasStaticShape())
    return emitOpError() << "weight must be a static 2-D tensor, got " << getWeight().getType();
  bool outIn = getWeightLayout() == WeightLayout::out_in;
  int64_t n = weight.getDimSize(outIn ? 0 : 1), k = weight.getDimSize(outIn ? 1 : 0);
  if (getAsymmetric() != bool(getZeros()))
    return emitOpError() << (getAsymmetric() ? "asymmetric quantization has a zeros result"
                                             : "symmetric quantization has no zeros result");
  if (getBits() == 4 && !getValues().getType().getElementType().isUnsignedInteger())
    return emitOpError() << "4-bit values are stored unsigned (ui8), got "
                         << getValues().getType();
  return checkQuantizedWeight(*this, getBits(), getGroupSize(), n, k, getValues(), getScales(),
                              getZeros());
}

LogicalResult EmbeddingOp::verify() {
  if (failed(checkRank(*this, getTable(), "table", 2)))
    return failure();
  auto ids = dyn_cast<RankedTensorType>(getIds().getType());
  auto out = dyn_cast<RankedTensorType>(getOutput().getType());
  if (ids && out && out.getRank() != ids.getRank() + 1)
    return emitOpError() << "result rank must be ids' rank + 1, got " << out.getRank();
  if (failed(checkMinRank(*this, getOutput(), "result", 1)))
    return failure();
  if (ids && out)
    for (int64_t i = 0; i < ids.getRank(); ++i)
      if (failed(checkSameDim(*this, getIds(), "ids", i, getOutput(), "result", i)))
        return failure();
  if (!sameElementType({getTable(), getOutput()}))
    return emitOpError("table and result must share an element type");
  return checkSameDim(*this, getTable(), "table", 1, getOutput(), "result", -1);
}

LogicalResult LogitSoftcapOp::verify() {
  // cap * tanh(x / cap): an infinite cap makes x / cap zero and the product
  // NaN, so only positive finite caps are meaningful.
  float cap = getCap().convertToFloat();
  if (!(cap > 0.0f) || std::isinf(cap))
    return emitOpError() << "cap must be positive and finite, got " << cap;
  return success();
}

LogicalResult ResidualAddOp::verify() {
  if (std::optional<APFloat> attr = getScale()) {
    float scale = attr->convertToFloat();
    if (std::isnan(scale) || std::isinf(scale))
      return emitOpError() << "scale must be finite, got " << scale;
  }
  return success();
}

LogicalResult ResidualAddRmsNormOp::verify() {
  if (getEpsilon().isNegative() || getEpsilon().isNaN())
    return emitOpError("epsilon must be non-negative");
  Type type = getResidual().getType();
  if (getUpdate().getType() != type || getSum().getType() != type ||
      getOutput().getType() != type)
    return emitOpError("residual, update, sum and output must have one type");
  return checkNormWeight(*this, getResidual(), getWeight(), "weight");
}

LogicalResult LogitScaleOp::verify() {
  float scale = getScale().convertToFloat();
  if (std::isnan(scale) || std::isinf(scale) || scale == 0.0f)
    return emitOpError() << "scale must be finite and nonzero, got " << scale;
  return success();
}

LogicalResult PositionsOp::verify() {
  if (failed(checkRank(*this, getTokens(), "tokens", 2)) ||
      failed(checkRank(*this, getPositions(), "result", 2)) ||
      failed(checkSameDim(*this, getTokens(), "tokens", 1, getPositions(), "result", 1)))
    return failure();
  if (Value offset = getOffset()) {
    auto type = dyn_cast<RankedTensorType>(offset.getType());
    if (!type || type.getRank() > 1 || (type.getRank() == 1 && type.getDimSize(0) != 1))
      return emitOpError() << "offset must be a scalar (rank 0 or [1]), got " << offset.getType();
  }
  auto rows = staticDim(getPositions(), 0), batch = staticDim(getTokens(), 0);
  if (rows && batch && *rows != 1 && *rows != *batch)
    return emitOpError() << "result dim 0 (" << *rows << ") must be 1 or the tokens' batch ("
                         << *batch << ")";
  return success();
}

namespace {

// Operands and result of attn.paged_attention and attn.flash_attention.
template <typename OpTy> LogicalResult verifyPagedAttention(OpTy op) {
  if (failed(verifyAttentionAttributes(op)))
    return failure();
  int64_t heads = op.getNumHeads(), kvHeads = op.getNumKvHeads(), headDim = op.getHeadDim();
  if (int64_t(op.getLayer()) < 0 || int64_t(op.getCacheGroup()) < 0)
    return op.emitOpError("layer and cache_group must be non-negative");
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue(), out = op.getOutput();
  if (!sameElementType({q, k, v, out}))
    return op.emitOpError("query, key, value and result must share an element type");
  for (auto [value, name] : {std::pair(q, "query"), {k, "key"}, {v, "value"}, {out, "result"}})
    if (failed(checkRank(op, value, name, 3)))
      return failure();
  if (failed(checkDim(op, q, "query", 1, heads, "num_heads")) ||
      failed(checkDim(op, q, "query", 2, headDim, "head_dim")) ||
      failed(checkDim(op, k, "key", 1, kvHeads, "num_kv_heads")) ||
      failed(checkDim(op, k, "key", 2, headDim, "head_dim")) ||
      failed(checkDim(op, v, "value", 1, kvHeads, "num_kv_heads")) ||
      failed(checkDim(op, out, "result", 1, heads, "num_heads")) ||
      failed(checkSameDim(op, v, "value", 2, out, "result", 2)) ||
      failed(checkSameDim(op, q, "query", 0, k, "key", 0)) ||
      failed(checkSameDim(op, q, "query", 0, v, "value", 0)) ||
      failed(checkSameDim(op, q, "query", 0, out, "result", 0)))
    return failure();
  if (auto kvType = op.getKvCacheType()) {
    // Codes are quantized from f32 values of the model's dtype
    // (runtime/QuantizedKV.h), and the page layout needs every dim.
    Type elem = getElementTypeOrSelf(k.getType());
    if (!elem.isF32() && !elem.isF16() && !elem.isBF16())
      return op.emitOpError() << "kv_cache_type " << stringifyKvCacheType(*kvType)
                              << " quantizes f32, f16 or bf16 keys and values, got " << elem;
    if (cast<ShapedType>(v.getType()).isDynamicDim(2))
      return op.emitOpError() << "kv_cache_type " << stringifyKvCacheType(*kvType)
                              << " needs a static value head dim (the page layout)";
  }
  return success();
}

// `v` is a ranked f32 tensor of `rank` whose static dims match `dims`
// (kDynamic in `dims`: any).
LogicalResult checkF32Tensor(Operation *op, Value v, StringRef name, ArrayRef<int64_t> dims) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.getElementType().isF32() || t.getRank() != int64_t(dims.size()))
    return op->emitOpError() << name << " must be a rank-" << dims.size()
                             << " f32 tensor, got " << v.getType();
  for (auto [i, expected] : llvm::enumerate(dims))
    if (!ShapedType::isDynamic(expected) && !t.isDynamicDim(i) && t.getDimSize(i) != expected)
      return op->emitOpError() << name << " dim " << i << " is " << t.getDimSize(i)
                               << ", expected " << expected;
  return success();
}

} // namespace

LogicalResult PagedAttentionOp::verify() { return verifyPagedAttention(*this); }

LogicalResult FlashAttentionOp::verify() {
  if (failed(verifyPagedAttention(*this)))
    return failure();
  int64_t tile = getTileKv(), queryBlock = getQueryBlock(), split = getSplitKv();
  if (tile <= 0 || !llvm::isPowerOf2_64(tile))
    return emitOpError() << "tile_kv must be a positive power of two, got " << tile;
  if (queryBlock < 0)
    return emitOpError() << "query_block must be non-negative, got " << queryBlock;
  if (split < 0 || split % tile != 0)
    return emitOpError() << "split_kv (" << split << ") must be a non-negative multiple of tile_kv ("
                         << tile << ")";
  if (ShapedType::isDynamic(getVHeadDim()))
    return emitOpError("value's head dim must be static");
  // The fused key rotation: all three attributes or none.
  bool style = getRopeStyle().has_value(), rotary = getRotaryDim().has_value(),
       theta = getRopeTheta().has_value();
  if (style != rotary || style != theta)
    return emitOpError("rope_style, rotary_dim and rope_theta must be given together");
  if (!style && getRopeQuery())
    return emitOpError("rope_query needs the key rotation (rope_style, rotary_dim, rope_theta)");
  if (style) {
    int64_t rotaryDim = *getRotaryDim(), headDim = getHeadDim();
    if (rotaryDim <= 0 || rotaryDim % 2 != 0 || rotaryDim > headDim)
      return emitOpError() << "rotary_dim must be positive, even and at most head_dim ("
                           << headDim << "), got " << rotaryDim;
    float t = getRopeTheta()->convertToFloat();
    if (!(t > 0.0f) || std::isinf(t))
      return emitOpError() << "rope_theta must be positive and finite, got " << t;
  }
  return success();
}

LogicalResult FlashAttentionOp::verifyRegions() {
  Block &body = getBody().front();
  int64_t dyn = ShapedType::kDynamic, v = getVHeadDim();
  if (body.getNumArguments() != 3 || !body.getArgument(1).getType().isIndex() ||
      !body.getArgument(2).getType().isIndex())
    return emitOpError("body must take (queries, key_begin: index, key_end: index)");
  if (failed(checkF32Tensor(*this, body.getArgument(0), "body queries", {dyn, int64_t(getHeadDim())})))
    return failure();
  auto yield = dyn_cast<FlashYieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("body must end with attn.flash_yield");
  if (yield.getState().size() != 3)
    return emitOpError("body must yield (max, sum, acc)");
  if (failed(checkF32Tensor(*this, yield.getState()[0], "yielded max", {dyn})) ||
      failed(checkF32Tensor(*this, yield.getState()[1], "yielded sum", {dyn})) ||
      failed(checkF32Tensor(*this, yield.getState()[2], "yielded acc", {dyn, v})))
    return failure();
  return success();
}

LogicalResult SoftmaxStateInitOp::verify() {
  auto flash = (*this)->getParentOfType<FlashAttentionOp>();
  if (!flash)
    return emitOpError("must be inside attn.flash_attention");
  int64_t dyn = ShapedType::kDynamic;
  if (failed(checkF32Tensor(*this, getQueries(), "queries", {dyn, int64_t(flash.getHeadDim())})) ||
      failed(checkF32Tensor(*this, getMax(), "max", {dyn})) ||
      failed(checkF32Tensor(*this, getSum(), "sum", {dyn})) ||
      failed(checkF32Tensor(*this, getAcc(), "acc", {dyn, flash.getVHeadDim()})))
    return failure();
  return success();
}

LogicalResult LoadKvTileOp::verify() {
  auto flash = (*this)->getParentOfType<FlashAttentionOp>();
  if (!flash)
    return emitOpError("must be inside attn.flash_attention");
  int64_t tile = int64_t(flash.getTileKv());
  if (failed(checkF32Tensor(*this, getKeys(), "keys", {tile, int64_t(flash.getHeadDim())})) ||
      failed(checkF32Tensor(*this, getValues(), "values", {tile, flash.getVHeadDim()})))
    return failure();
  return success();
}

LogicalResult TileScoresOp::verify() {
  auto flash = (*this)->getParentOfType<FlashAttentionOp>();
  if (!flash)
    return emitOpError("must be inside attn.flash_attention");
  int64_t dyn = ShapedType::kDynamic, tile = int64_t(flash.getTileKv());
  if (failed(checkF32Tensor(*this, getQueries(), "queries", {dyn, int64_t(flash.getHeadDim())})) ||
      failed(checkF32Tensor(*this, getKeys(), "keys", {tile, int64_t(flash.getHeadDim())})) ||
      failed(checkF32Tensor(*this, getScores(), "scores", {dyn, tile})))
    return failure();
  if (!(getScale().convertToFloat() > 0) || getScale().isInfinity())
    return emitOpError("scale must be positive and finite");
  return success();
}

LogicalResult OnlineSoftmaxOp::verify() {
  auto flash = (*this)->getParentOfType<FlashAttentionOp>();
  if (!flash)
    return emitOpError("must be inside attn.flash_attention");
  int64_t dyn = ShapedType::kDynamic, tile = int64_t(flash.getTileKv()), v = flash.getVHeadDim();
  if (failed(checkF32Tensor(*this, getScores(), "scores", {dyn, tile})) ||
      failed(checkF32Tensor(*this, getValues(), "values", {tile, v})))
    return failure();
  for (auto [state, result, name, dims] :
       {std::tuple(getMax(), getNewMax(), "max", SmallVector<int64_t>{dyn}),
        {getSum(), getNewSum(), "sum", SmallVector<int64_t>{dyn}},
        {getAcc(), getNewAcc(), "acc", SmallVector<int64_t>{dyn, v}}}) {
    if (failed(checkF32Tensor(*this, state, name, dims)))
      return failure();
    if (state.getType() != result.getType())
      return emitOpError() << "new " << name << " must have " << name << "'s type "
                           << state.getType();
  }
  return success();
}

LogicalResult SelectTokensOp::verify() {
  if (failed(checkRank(*this, getIndices(), "indices", 1)) ||
      failed(checkMinRank(*this, getX(), "x", 1)))
    return failure();
  auto x = dyn_cast<RankedTensorType>(getX().getType());
  auto out = dyn_cast<RankedTensorType>(getOutput().getType());
  if (x && out) {
    if (x.getRank() != out.getRank())
      return emitOpError() << "result rank " << out.getRank() << " differs from x's rank "
                           << x.getRank();
    for (int64_t i = 1; i < x.getRank(); ++i)
      if (failed(checkSameDim(*this, getX(), "x", i, getOutput(), "result", i)))
        return failure();
  }
  if (!sameElementType({getX(), getOutput()}))
    return emitOpError("x and result must share an element type");
  return checkSameDim(*this, getIndices(), "indices", 0, getOutput(), "result", 0);
}

LogicalResult WeightConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  Type elementType = getElementTypeOrSelf(getOutput().getType());
  if (llvm::any_of(getInputs(), [&](Value v) { return getElementTypeOrSelf(v.getType()) != elementType; }))
    return emitOpError("inputs and result must share an element type");
  auto result = dyn_cast<RankedTensorType>(getOutput().getType());
  if (!result || !result.hasStaticShape())
    return emitOpError() << "result must have a static shape, got " << getOutput().getType();
  int64_t rank = result.getRank();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank " << rank;
  int64_t total = 0;
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    auto t = dyn_cast<RankedTensorType>(input.getType());
    if (!t || !t.hasStaticShape() || t.getRank() != rank)
      return emitOpError() << "input " << i << " must be a static tensor of rank " << rank
                           << ", got " << input.getType();
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.getDimSize(d) != result.getDimSize(d))
        return emitOpError() << "input " << i << " dim " << d << " is " << t.getDimSize(d)
                             << " but the result's is " << result.getDimSize(d);
    total += t.getDimSize(axis);
  }
  if (total != result.getDimSize(axis))
    return emitOpError() << "inputs sum to " << total << " along axis " << axis
                         << " but the result has " << result.getDimSize(axis);
  return success();
}

LogicalResult WeightReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("input and result must share an element type");
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "reshape of " << in << " to " << out << " changes the element count";
  return success();
}

LogicalResult WeightBroadcastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("input and result must share an element type");
  if (out.getRank() < in.getRank() || out.getShape().take_front(in.getRank()) != in.getShape())
    return emitOpError() << "the result " << out << " must begin with the input's shape, "
                         << in;
  return success();
}

LogicalResult WeightUnpackNibblesOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (out.getRank() != 2)
    return emitOpError() << "result must be [rows, cols], got " << out;
  int64_t rows = out.getDimSize(0), cols = out.getDimSize(1);
  if (in.getNumElements() != rows * ((cols + 1) / 2))
    return emitOpError() << "input " << in << " must hold rows * ceil(cols / 2) = "
                         << rows * ((cols + 1) / 2) << " bytes";
  return success();
}

LogicalResult WeightTransposeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("input and result must share an element type");
  if (in.getRank() != 2 || out.getRank() != 2 || in.getDimSize(0) != out.getDimSize(1) ||
      in.getDimSize(1) != out.getDimSize(0))
    return emitOpError() << "result must be the 2-D input " << in << " transposed, got " << out;
  return success();
}

// An elementwise weight transform keeps the shape.
static LogicalResult checkSameShape(Operation *op, Value input, Value output) {
  if (cast<ShapedType>(input.getType()).getShape() != cast<ShapedType>(output.getType()).getShape())
    return op->emitOpError("input and result must have the same shape");
  return success();
}

LogicalResult WeightWidenNibblesOp::verify() {
  return checkSameShape(*this, getInput(), getOutput());
}

LogicalResult WeightToUnsignedOp::verify() {
  return checkSameShape(*this, getInput(), getOutput());
}

LogicalResult WeightPackNibblesOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.getRank() != 2 || out.getRank() != 2 || in.getDimSize(0) != out.getDimSize(0) ||
      out.getDimSize(1) != (in.getDimSize(1) + 1) / 2)
    return emitOpError() << "result must be [rows, ceil(cols / 2)] for the input " << in
                         << ", got " << out;
  return success();
}

LogicalResult WeightCastOp::verify() { return checkSameShape(*this, getInput(), getOutput()); }

} // namespace attnc::attn

#define GET_OP_CLASSES
#include "dialects/Attention/AttnOps.cpp.inc"
