// attn-raise-attention: attention becomes attn.attention with token-major
// q/k/v. This file holds the fused forms: ONNX Attention (opset 23/24) and
// com.microsoft GroupQueryAttention / MultiHeadAttention. The decomposed
// MatMul/Softmax/MatMul form is in RaiseDecomposedAttention.cpp and joins
// these patterns through populateRaiseAttentionPatterns.
//
// Layouts are bridged exactly: [b, s, heads * d] is Reshape(0, 0, heads, d)
// (0 copies b and s, which may be dynamic) and head-major [b, heads, s, d] is
// Transpose(0, 2, 1, 3); the result goes back the same way.
//
// A fused op is raised only where attn.attention computes the same function
// for every input: no KV cache (its runtime lengths decide what is visible),
// no mask operand (not classified here yet), no extra outputs in use, and a
// causal mask only where its alignment provably agrees with attn.attention's
// (queries are the last `seq` keys). Everything else stays and says why.
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

#define GEN_PASS_DEF_RAISEATTENTION
#include "passes/Passes.h.inc"

namespace {

// TensorProto.FLOAT, the one softmax_precision attn.attention honours.
constexpr int64_t kOnnxFloat = 1;

bool isAbsent(Value v) { return !v || isa<NoneType>(v.getType()); }

bool isUsed(Value v) { return v && !isa<NoneType>(v.getType()) && !v.use_empty(); }


// Whether dim `da` of `a` and dim `db` of `b` are provably the same size:
// both static and equal, or the same symbolic expression over the graph's
// dim_params (the symbolic shape analysis of the enclosing function; it walks
// the whole function, so it is asked only for a causal op with dynamic lengths).
bool provablySameDim(Value a, int64_t da, Value b, int64_t db, Operation *at) {
  std::optional<int64_t> sa = raise::staticDim(a, da), sb = raise::staticDim(b, db);
  if (sa && sb)
    return *sa == *sb;
  auto func = at->getParentOfType<func::FuncOp>();
  if (!func || !func.getBody().hasOneBlock())
    return false;
  ShapeAnalysis analysis(func);
  if (failed(analysis.run()))
    return false;
  const SymVector *shapeA = analysis.shapeOf(a), *shapeB = analysis.shapeOf(b);
  if (!shapeA || !shapeB || da >= int64_t(shapeA->size()) || db >= int64_t(shapeB->size()))
    return false;
  return (*shapeA)[da] == (*shapeB)[db];
}

Value i64Constant(PatternRewriter &rewriter, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, rewriter.getI64Type());
  return od::ConstantOp::create(rewriter, loc, type, DenseElementsAttr::get(type, values));
}

// [b, s, heads * d] -> [b, s, heads, d].
Value splitHeads(PatternRewriter &rewriter, Location loc, Value x, int64_t heads, int64_t headDim) {
  auto t = raise::rankedOf(x);
  auto type = RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), heads, headDim},
                                    t.getElementType());
  return od::ReshapeOp::create(rewriter, loc, type, x,
                               i64Constant(rewriter, loc, {0, 0, heads, headDim}), 0);
}

// [b, s, heads, d] -> `type` ([b, s, heads * d]).
Value mergeHeads(PatternRewriter &rewriter, Location loc, Value x, Type type) {
  auto t = raise::rankedOf(x);
  return od::ReshapeOp::create(rewriter, loc, type, x,
                               i64Constant(rewriter, loc, {0, 0, t.getDimSize(2) * t.getDimSize(3)}),
                               0);
}

// What an attn.attention is built from; q/k/v token-major.
struct AttentionConfig {
  Value query, key, value;
  int64_t numHeads, numKvHeads, headDim, vHeadDim;
  double scale;
  bool causal;
  int64_t window = 0;
  double softcap = 0;
};

Value createAttention(PatternRewriter &rewriter, Location loc, const AttentionConfig &c) {
  auto q = raise::rankedOf(c.query);
  auto resultType = RankedTensorType::get(
      {q.getDimSize(0), q.getDimSize(1), c.numHeads, c.vHeadDim}, q.getElementType());
  return attn::AttentionOp::create(
      rewriter, loc, resultType, c.query, c.key, c.value, /*key_padding_mask=*/Value(),
      /*bias=*/Value(), rewriter.getI64IntegerAttr(c.numHeads),
      rewriter.getI64IntegerAttr(c.numKvHeads), rewriter.getI64IntegerAttr(c.headDim),
      rewriter.getF32FloatAttr(float(c.scale)), rewriter.getBoolAttr(c.causal),
      rewriter.getI64IntegerAttr(c.window), rewriter.getF32FloatAttr(float(c.softcap)),
      rewriter.getI64IntegerAttr(0));
}

double defaultScale(int64_t headDim) { return 1.0 / std::sqrt(double(headDim)); }

// The com.microsoft ops' scale: absent or 0 means 1/sqrt(head_dim); nullopt
// when the result is not a positive finite number.
std::optional<double> scaleOrDefault(std::optional<APFloat> attr, int64_t headDim) {
  double scale = attr && !attr->isZero() ? attr->convertToDouble() : defaultScale(headDim);
  if (!(scale > 0) || !std::isfinite(scale))
    return std::nullopt;
  return scale;
}

// Replaces the op's first result by `y`; the other results were checked
// unused (or are `none`).
void replaceFirstResult(PatternRewriter &rewriter, Operation *op, Value y) {
  rewriter.replaceAllUsesWith(op->getResult(0), y);
  rewriter.eraseOp(op);
}

bool sameElementType(ArrayRef<Value> values) {
  Type elt = getElementTypeOrSelf(values.front());
  return llvm::all_of(values, [&](Value v) { return getElementTypeOrSelf(v) == elt; });
}

//===----------------------------------------------------------------------===//
// ONNX Attention (opset 23 / 24). Q/K/V 4-D [b, heads, seq, d] or 3-D
// [b, seq, heads * d] with q_num_heads / kv_num_heads; the result has Q's
// layout. KV head h / (q_heads / kv_heads) serves query head h, as in
// attn.attention.
//===----------------------------------------------------------------------===//

struct RaiseOnnxAttention : OpRewritePattern<od::AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::AttentionOp op, PatternRewriter &rewriter) const override {
    if (!isAbsent(op.getAttnMask()))
      return rewriter.notifyMatchFailure(
          op, "attn_mask is given: mask operands are not classified here yet");
    if (!isAbsent(op.getPastKey()) || !isAbsent(op.getPastValue()))
      return rewriter.notifyMatchFailure(
          op, "past_key/past_value are given: the KV cache is not raised here");
    if (!isAbsent(op.getNonpadKvSeqlen()))
      return rewriter.notifyMatchFailure(op, "nonpad_kv_seqlen is given (per-batch KV lengths)");
    if (isUsed(op.getPresentKey()) || isUsed(op.getPresentValue()))
      return rewriter.notifyMatchFailure(op, "present_key/present_value are used");
    if (isUsed(op.getQkMatmulOutput()))
      return rewriter.notifyMatchFailure(op, "qk_matmul_output is used");
    if (std::optional<uint64_t> precision = op.getSoftmaxPrecision();
        precision && int64_t(*precision) != kOnnxFloat)
      return rewriter.notifyMatchFailure(op, "softmax_precision is set and not float");

    Value q = op.getQ(), k = op.getK(), v = op.getV(), y = op.getY();
    if (!sameElementType({q, k, v, y}))
      return rewriter.notifyMatchFailure(op, "Q, K, V and Y differ in element type");
    int64_t rank = raise::rankOf(q);
    if ((rank != 3 && rank != 4) || raise::rankOf(k) != rank || raise::rankOf(v) != rank || raise::rankOf(y) != rank)
      return rewriter.notifyMatchFailure(op, "Q, K, V and Y are not all 3-D or all 4-D");

    std::optional<uint64_t> qHeadsAttr = op.getQNumHeads(), kvHeadsAttr = op.getKvNumHeads();
    int64_t heads, kvHeads, headDim, vHeadDim;
    if (rank == 4) {
      std::optional<int64_t> h = raise::staticDim(q, 1), kh = raise::staticDim(k, 1), vh = raise::staticDim(v, 1),
                             d = raise::staticDim(q, 3), kd = raise::staticDim(k, 3), vd = raise::staticDim(v, 3);
      if (!h || !kh || !vh || !d || !kd || !vd)
        return rewriter.notifyMatchFailure(op, "4-D heads or head sizes are not static");
      if (*kh != *vh || *kd != *d)
        return rewriter.notifyMatchFailure(op, "K and V heads or Q and K head sizes differ");
      if ((qHeadsAttr && int64_t(*qHeadsAttr) != *h) ||
          (kvHeadsAttr && int64_t(*kvHeadsAttr) != *kh))
        return rewriter.notifyMatchFailure(op, "q_num_heads/kv_num_heads contradict the shapes");
      heads = *h, kvHeads = *kh, headDim = *d, vHeadDim = *vd;
    } else {
      if (!qHeadsAttr || !kvHeadsAttr)
        return rewriter.notifyMatchFailure(op, "3-D inputs without q_num_heads/kv_num_heads");
      heads = int64_t(*qHeadsAttr), kvHeads = int64_t(*kvHeadsAttr);
      std::optional<int64_t> qh = raise::staticDim(q, 2), kh = raise::staticDim(k, 2), vh = raise::staticDim(v, 2);
      if (heads <= 0 || kvHeads <= 0 || !qh || !kh || !vh || *qh % heads != 0 ||
          *kh % kvHeads != 0 || *vh % kvHeads != 0)
        return rewriter.notifyMatchFailure(
            op, "3-D hidden sizes are not static multiples of the head counts");
      headDim = *qh / heads;
      vHeadDim = *vh / kvHeads;
      if (*kh / kvHeads != headDim)
        return rewriter.notifyMatchFailure(op, "Q and K head sizes differ");
      if (raise::staticDim(y, 2) != heads * vHeadDim)
        return rewriter.notifyMatchFailure(op, "Y is not [b, seq, q_num_heads * v_head_size]");
    }
    if (heads % kvHeads != 0)
      return rewriter.notifyMatchFailure(op, "q heads are not a multiple of kv heads");

    int64_t seqDim = rank == 4 ? 2 : 1;
    bool causal = op.getIsCausal() != 0;
    // softcap applies to the scaled scores before the causal mask, as in
    // attn.attention: ONNX's reference implementation and onnxruntime (1.32,
    // checked) do so. Attention-23's qk_matmul_output_mode text lists mask
    // addition before softcap, which would turn masked scores into -softcap
    // and unmask them; neither of the two computes that.
    float softcap = op.getSoftcap().convertToFloat();
    if (causal) {
      // Without a cache ONNX aligns the causal mask top-left (key j is seen
      // by query i iff j <= i); attn.attention aligns it bottom-right. They
      // agree exactly when q and kv have the same length.
      if (!provablySameDim(q, seqDim, k, seqDim, op))
        return rewriter.notifyMatchFailure(
            op, "is_causal with q and kv lengths not provably equal: ONNX's top-left causal "
                "alignment would differ from attn.attention's bottom-right one");
    }
    if (!(softcap >= 0) || !std::isfinite(softcap))
      return rewriter.notifyMatchFailure(op, "softcap is negative or not finite");
    double scale = defaultScale(headDim);
    if (std::optional<APFloat> s = op.getScale())
      scale = s->convertToDouble();
    if (!(scale > 0) || !std::isfinite(scale))
      return rewriter.notifyMatchFailure(op, "scale is not positive and finite");

    if (rank == 4) {
      auto qt = raise::rankedOf(q);
      auto expected = RankedTensorType::get(
          {qt.getDimSize(0), heads, qt.getDimSize(2), vHeadDim}, qt.getElementType());
      if (y.getType() != expected)
        return rewriter.notifyMatchFailure(op, "Y's type is not [b, q_heads, seq, v_head_size] of Q's dims");
    }

    Location loc = op.getLoc();
    AttentionConfig config;
    if (rank == 4) {
      config.query = raise::swapHeadsAndSeq(rewriter, loc, q);
      config.key = raise::swapHeadsAndSeq(rewriter, loc, k);
      config.value = raise::swapHeadsAndSeq(rewriter, loc, v);
    } else {
      config.query = splitHeads(rewriter, loc, q, heads, headDim);
      config.key = splitHeads(rewriter, loc, k, kvHeads, headDim);
      config.value = splitHeads(rewriter, loc, v, kvHeads, vHeadDim);
    }
    config.numHeads = heads, config.numKvHeads = kvHeads, config.headDim = headDim,
    config.vHeadDim = vHeadDim, config.scale = scale, config.causal = causal,
    config.softcap = softcap;
    Value out = createAttention(rewriter, loc, config);
    Value result = rank == 4 ? raise::swapHeadsAndSeq(rewriter, loc, out)
                             : mergeHeads(rewriter, loc, out, y.getType());
    replaceFirstResult(rewriter, op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// com.microsoft GroupQueryAttention (onnxruntime contrib op). Always causal;
// query [b, s, num_heads * d], key/value [b, s, kv_num_heads * d], or all
// three packed in query when key and value are omitted.
//
// What is visible depends on runtime inputs: seqlens_k[b] + 1 keys per batch
// and total_sequence_length. Without past_key/past_value onnxruntime defines
// only a first prompt (total_sequence_length == s; anything else reads past
// the key buffer). In a right-padded batch the rows past seqlens_k[b] are
// padding whose values onnxruntime does not define; the valid rows see keys
// j <= i < seqlens_k[b] + 1, which is plain causal attention. With a past cache the offset of the new tokens is
// total_sequence_length - s at run time, which attn.attention (queries are the
// last `seq` keys of what it is given) cannot take without the cache, so that
// form is left for the KV-cache work.
//
// local_window_size w > 0 keeps the w most recent keys, the query's own
// included: onnxruntime defines it so since 1.23 (microsoft/onnxruntime#25927,
// "Fix Local Attention off by 1 bug"; checked against onnxruntime 1.32's CPU
// kernel on test/fixtures/cases/ms-group-query-attention-prefill.onnx), which
// is attn.attention's window = w. Earlier releases kept w + 1 keys; a model
// tuned for those is raised with today's meaning.
//===----------------------------------------------------------------------===//

struct RaiseGroupQueryAttention : OpRewritePattern<od::MsGroupQueryAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MsGroupQueryAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getDoRotary() != 0)
      return rewriter.notifyMatchFailure(
          op, "do_rotary=1: RoPE inside GroupQueryAttention is not raised yet");
    if (!isAbsent(op.getPastKey()) || !isAbsent(op.getPastValue()))
      return rewriter.notifyMatchFailure(
          op, "past_key/past_value are given: where the new tokens sit and which keys are "
              "valid comes from seqlens_k/total_sequence_length at run time; only a prefill "
              "without past is raised");
    if (isUsed(op.getPresentKey()) || isUsed(op.getPresentValue()))
      return rewriter.notifyMatchFailure(op, "present_key/present_value are used");
    if (isUsed(op.getOutputQk()))
      return rewriter.notifyMatchFailure(op, "output_qk is used");
    if (!isAbsent(op.getAttentionBias()))
      return rewriter.notifyMatchFailure(op, "attention_bias is given");
    if (!isAbsent(op.getHeadSink()))
      return rewriter.notifyMatchFailure(op, "head_sink is given (learned softmax sinks)");
    if (std::optional<uint64_t> smooth = op.getSmoothSoftmax(); smooth && *smooth != 0)
      return rewriter.notifyMatchFailure(op, "smooth_softmax is set");

    int64_t heads = int64_t(op.getNumHeads()), kvHeads = int64_t(op.getKvNumHeads());
    if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
      return rewriter.notifyMatchFailure(op, "num_heads is not a positive multiple of kv_num_heads");
    int64_t localWindow = int64_t(op.getLocalWindowSize());
    // 0 would hide every key (older releases read it as no window); other
    // negatives are not meaningful.
    if (localWindow != -1 && localWindow <= 0)
      return rewriter.notifyMatchFailure(op, "local_window_size is neither -1 nor positive");
    float softcap = op.getSoftcap().convertToFloat();
    if (!(softcap >= 0) || !std::isfinite(softcap))
      return rewriter.notifyMatchFailure(op, "softcap is negative or not finite");

    Value query = op.getQuery(), output = op.getOutput();
    bool packed = isAbsent(op.getKey());
    if (packed != isAbsent(op.getValue()))
      return rewriter.notifyMatchFailure(op, "only one of key/value is given");
    if (raise::rankOf(query) != 3 || raise::rankOf(output) != 3)
      return rewriter.notifyMatchFailure(op, "query or output is not 3-D");
    std::optional<int64_t> hidden = raise::staticDim(query, 2);
    if (!hidden)
      return rewriter.notifyMatchFailure(op, "query's hidden size is not static");
    int64_t headDim;
    if (packed) {
      if (*hidden % (heads + 2 * kvHeads) != 0)
        return rewriter.notifyMatchFailure(op, "packed QKV width is not (heads + 2 kv_heads) * d");
      headDim = *hidden / (heads + 2 * kvHeads);
    } else {
      Value key = op.getKey(), value = op.getValue();
      if (*hidden % heads != 0)
        return rewriter.notifyMatchFailure(op, "query width is not a multiple of num_heads");
      headDim = *hidden / heads;
      if (raise::rankOf(key) != 3 || raise::rankOf(value) != 3 || raise::staticDim(key, 2) != kvHeads * headDim ||
          raise::staticDim(value, 2) != kvHeads * headDim)
        return rewriter.notifyMatchFailure(op, "key/value are not [b, s, kv_num_heads * d]");
      // onnxruntime rejects key/value lengths other than the query's, so
      // they need not be proven equal here.
      if (!sameElementType({query, key, value}))
        return rewriter.notifyMatchFailure(op, "query, key and value differ in element type");
    }
    if (getElementTypeOrSelf(output) != getElementTypeOrSelf(query) ||
        raise::staticDim(output, 2) != heads * headDim)
      return rewriter.notifyMatchFailure(op, "output is not [b, s, num_heads * d] of query's type");

    // Constant lengths must be those of a prefill of the whole query.
    std::optional<int64_t> seq = raise::staticDim(query, 1);
    if (std::optional<SmallVector<int64_t>> total = raise::intConstants(op.getTotalSequenceLength())) {
      if (total->size() != 1 || !seq || (*total)[0] != *seq)
        return rewriter.notifyMatchFailure(
            op, "constant total_sequence_length is not the query length (not a prefill)");
    }
    if (std::optional<SmallVector<int64_t>> seqlens = raise::intConstants(op.getSeqlensK())) {
      if (!seq || llvm::any_of(*seqlens, [&](int64_t n) { return n != *seq - 1; }))
        return rewriter.notifyMatchFailure(
            op, "constant seqlens_k is not query length - 1 (padding or past)");
    }

    std::optional<double> scale = scaleOrDefault(op.getScale(), headDim);
    if (!scale)
      return rewriter.notifyMatchFailure(op, "scale is not positive and finite");

    Location loc = op.getLoc();
    Value q, k, v;
    if (packed) {
      auto t = raise::rankedOf(query);
      auto part = [&](int64_t h) {
        return RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), h * headDim},
                                     t.getElementType());
      };
      auto split = od::SplitOp::create(
          rewriter, loc, TypeRange{part(heads), part(kvHeads), part(kvHeads)}, query,
          i64Constant(rewriter, loc, {heads * headDim, kvHeads * headDim, kvHeads * headDim}),
          /*axis=*/2, /*num_outputs=*/IntegerAttr());
      q = split.getResult(0), k = split.getResult(1), v = split.getResult(2);
    } else {
      q = query, k = op.getKey(), v = op.getValue();
    }
    AttentionConfig config;
    config.query = splitHeads(rewriter, loc, q, heads, headDim);
    config.key = splitHeads(rewriter, loc, k, kvHeads, headDim);
    config.value = splitHeads(rewriter, loc, v, kvHeads, headDim);
    config.numHeads = heads, config.numKvHeads = kvHeads, config.headDim = headDim,
    config.vHeadDim = headDim, config.scale = *scale, config.causal = true,
    config.window = localWindow > 0 ? localWindow : 0, config.softcap = softcap;
    Value out = createAttention(rewriter, loc, config);
    replaceFirstResult(rewriter, op, mergeHeads(rewriter, loc, out, output.getType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// com.microsoft MultiHeadAttention (onnxruntime contrib op) with separate
// query [b, s, hidden], key [b, kv_s, hidden], value [b, kv_s, v_hidden];
// an optional constant bias [hidden + hidden + v_hidden] is added to q, k
// and v first, as onnxruntime does. unidirectional is causal.
//===----------------------------------------------------------------------===//

struct RaiseMultiHeadAttention : OpRewritePattern<od::MsMultiHeadAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(od::MsMultiHeadAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!isAbsent(op.getKeyPaddingMask()))
      return rewriter.notifyMatchFailure(
          op, "key_padding_mask is given: mask operands are not classified here yet");
    if (!isAbsent(op.getAttentionBias()))
      return rewriter.notifyMatchFailure(op, "attention_bias is given");
    if (!isAbsent(op.getPastKey()) || !isAbsent(op.getPastValue()) ||
        !isAbsent(op.getPastSequenceLength()) || !isAbsent(op.getCacheIndirection()))
      return rewriter.notifyMatchFailure(
          op, "past_key/past_value/past_sequence_length/cache_indirection are given: the KV "
              "cache is not raised here");
    if (isUsed(op.getPresentKey()) || isUsed(op.getPresentValue()))
      return rewriter.notifyMatchFailure(op, "present_key/present_value are used");
    if (isUsed(op.getQk()))
      return rewriter.notifyMatchFailure(op, "qk is used");

    Value query = op.getQuery(), key = op.getKey(), value = op.getValue(), output = op.getOutput();
    if (isAbsent(key) || isAbsent(value))
      return rewriter.notifyMatchFailure(op, "packed QKV or KV (key/value omitted)");
    if (raise::rankOf(query) != 3 || raise::rankOf(key) != 3 || raise::rankOf(value) != 3 || raise::rankOf(output) != 3)
      return rewriter.notifyMatchFailure(
          op, "query/key/value are not all 3-D [b, s, hidden] (packed KV or BNSH key)");
    if (!sameElementType({query, key, value, output}))
      return rewriter.notifyMatchFailure(op, "query, key, value and output differ in element type");
    int64_t heads = int64_t(op.getNumHeads());
    std::optional<int64_t> hidden = raise::staticDim(query, 2), kHidden = raise::staticDim(key, 2),
                           vHidden = raise::staticDim(value, 2);
    if (heads <= 0 || !hidden || !kHidden || !vHidden || *hidden % heads != 0 ||
        *kHidden != *hidden || *vHidden % heads != 0)
      return rewriter.notifyMatchFailure(
          op, "hidden sizes are not static multiples of num_heads with key's equal to query's");
    int64_t headDim = *hidden / heads, vHeadDim = *vHidden / heads;
    if (raise::staticDim(output, 2) != *vHidden)
      return rewriter.notifyMatchFailure(op, "output is not [b, s, v_hidden]");

    Value bias = op.getBias();
    if (!isAbsent(bias)) {
      if (!bias.getDefiningOp<od::ConstantOp>() || raise::rankOf(bias) != 1 ||
          raise::staticDim(bias, 0) != 2 * *hidden + *vHidden ||
          getElementTypeOrSelf(bias) != getElementTypeOrSelf(query))
        return rewriter.notifyMatchFailure(
            op, "bias is not a constant [2 * hidden + v_hidden] of query's type");
    }

    bool causal = op.getUnidirectional() != 0;
    // onnxruntime aligns its unidirectional mask to the end of the keys
    // (past + i); without past that is attn.attention's alignment only when
    // the lengths agree, which self-attention has and cross-attention may not.
    if (causal && !provablySameDim(query, 1, key, 1, op))
      return rewriter.notifyMatchFailure(
          op, "unidirectional with q and kv lengths not provably equal");
    std::optional<double> scale = scaleOrDefault(op.getScale(), headDim);
    if (!scale)
      return rewriter.notifyMatchFailure(op, "scale is not positive and finite");

    Location loc = op.getLoc();
    Value q = query, k = key, v = value;
    if (!isAbsent(bias)) {
      auto addSlice = [&](Value x, int64_t begin, int64_t end) -> Value {
        auto sliceType = RankedTensorType::get({end - begin}, getElementTypeOrSelf(bias));
        Value slice = od::SliceOp::create(
            rewriter, loc, sliceType, bias, i64Constant(rewriter, loc, {begin}),
            i64Constant(rewriter, loc, {end}), i64Constant(rewriter, loc, {0}),
            i64Constant(rewriter, loc, {1}));
        return od::AddOp::create(rewriter, loc, x.getType(), x, slice);
      };
      q = addSlice(q, 0, *hidden);
      k = addSlice(k, *hidden, 2 * *hidden);
      v = addSlice(v, 2 * *hidden, 2 * *hidden + *vHidden);
    }
    AttentionConfig config;
    config.query = splitHeads(rewriter, loc, q, heads, headDim);
    config.key = splitHeads(rewriter, loc, k, heads, headDim);
    config.value = splitHeads(rewriter, loc, v, heads, vHeadDim);
    config.numHeads = heads, config.numKvHeads = heads, config.headDim = headDim,
    config.vHeadDim = vHeadDim, config.scale = *scale, config.causal = causal;
    Value out = createAttention(rewriter, loc, config);
    replaceFirstResult(rewriter, op, mergeHeads(rewriter, loc, out, output.getType()));
    return success();
  }
};

struct RaiseAttentionPass : impl::RaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    // Top-down: a decomposed layer proves its dims equal by tracing them back
    // through the layers above, which reads best once those are raised.
    RewritePatternSet patterns(&getContext());
    populateRaiseAttentionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     raise::raisingConfig().setUseTopDownTraversal(true))))
      return signalPassFailure();
  }
};

} // namespace

void populateRaiseAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseOnnxAttention, RaiseGroupQueryAttention, RaiseMultiHeadAttention>(
      patterns.getContext());
  populateRaiseDecomposedAttentionPatterns(patterns);
}

} // namespace attnc
