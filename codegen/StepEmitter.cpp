#include "codegen/StepEmitter.h"

#include "codegen/TargetEmitter.h"

#include "compiler/WeightEvaluation.h"
#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "runtime/Version.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc::codegen {
namespace {

// Weights are aligned so that the kernels' vector loads never straddle lines.
constexpr size_t kWeightAlignment = 64;
constexpr int64_t kDefaultMaxContext = 8192;

std::optional<SmallVector<int64_t>> constantInts(Value v) {
  auto c = v.getDefiningOp<od::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto values = c.getValue().tryGetValues<APInt>();
  if (!values)
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const APInt &i : *values)
    out.push_back(i.getSExtValue());
  return out;
}

std::string floatLiteral(double v) {
  std::string s = llvm::formatv("{0:e9}", v).str();
  return s + "f";
}

// rt::RopeStyle's enumerator for a rotation style.
const char *ropeStyleName(attn::RopeStyle style) {
  return style == attn::RopeStyle::half_split ? "HalfSplit" : "Interleaved";
}

// A quantized cache (attn-quantize-kv-cache: 1-byte codes plus scales,
// runtime/QuantizedKV.h) names its type as the kernels' last template
// argument; a cache of the model's dtype names none.
std::string kvTypeArgument(std::optional<attn::KvCacheType> type) {
  if (!type)
    return "";
  return *type == attn::KvCacheType::int8 ? ", rt::KvType::Int8" : ", rt::KvType::Fp8E4M3";
}

const char *activationName(attn::Activation kind) {
  switch (kind) {
  case attn::Activation::silu:
    return "Silu";
  case attn::Activation::gelu:
    return "Gelu";
  case attn::Activation::gelu_tanh:
    return "GeluTanh";
  case attn::Activation::relu:
    return "Relu";
  }
  return "Silu";
}

// How the generated code reaches a value.
struct ValueInfo {
  enum Kind { Activation, TokenInput, Weight } kind = Activation;
  std::string pointer;   // C++ expression of the data pointer
  std::string rows;      // "T" or "N" (activations and token inputs)
  int64_t rowElems = 0;  // elements per row (activations)
  int64_t rowStride = 0; // elements between rows when a column range of a wider buffer, else 0
  int slot = -1;         // activation buffer slot
};

// Weights are read as float (norm weights, RoPE tables: f32 on every
// target), as Elem (embedding tables, linear weights and biases: the
// storage type) or as stored (quantized weights: int8_t / uint8_t values
// and zero points, float scales, exactly the bytes the packer wrote).
enum class WeightType { F32, Elem, Stored };

// The C++ type of a weight read as stored.
const char *storedCType(Type element) {
  if (element.isUnsignedInteger(8))
    return "uint8_t";
  if (element.isInteger(8))
    return "int8_t";
  return "float";
}

class Emitter {
public:
  Emitter(func::FuncOp step, const StepEmitOptions &options, const TargetEmitter &target)
      : step(step), options(options), target(target) {}

  FailureOr<EmittedModel> run();

private:
  LogicalResult emitOp(Operation *op);
  FailureOr<std::string> weightPointer(Value weight, WeightType type,
                                       bool transposeToOutIn = false);
  // "nullptr" for an absent optional weight (a bias).
  FailureOr<std::string> optionalWeightPointer(Value weight, WeightType type) {
    return weight ? weightPointer(weight, type) : FailureOr<std::string>(std::string("nullptr"));
  }
  FailureOr<const ValueInfo *> activation(Operation *user, Value v);
  const ValueInfo &defineActivation(Value v, const std::string &rows);
  void aliasActivation(Value result, Value source);
  // A free slot of at least `need` elements, marked live (best fit).
  int acquireSlot(int64_t need);
  // Whether the current op may overwrite v's buffer: v is an activation no
  // later op reads and no other live value shares its slot.
  bool overwritable(Value v);
  // The index of the inv_freq table of (theta, rotary_dim), made on first use.
  int ropeTable(float theta, int64_t rotaryDim);
  void releaseDeadOperands(Operation *op, int64_t index);
  // The residual_add_rms_norm ops whose add goes into the quantized linear
  // producing their update and whose norm into the quantized linears
  // reading their output (TargetEmitter::fusesQuantizedLinearNeighbours).
  void planQuantizedLinearFusion(Block &block);
  std::string rowsOf(Value v) { return info[v].rows; }
  static int64_t rowElemsOf(Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    int64_t n = 1;
    for (int64_t d : type.getShape().drop_front())
      n *= d;
    return n;
  }

  func::FuncOp step;
  const StepEmitOptions &options;
  const TargetEmitter &target;
  EmittedModel model;
  llvm::DenseMap<Value, ValueInfo> info;
  llvm::DenseMap<Value, int64_t> lastUse;
  // Activation slots: size in elements (per max_batch_tokens rows), whether
  // free, and how many live values point into each.
  std::vector<int64_t> slotElems;
  std::vector<int> slotLive;
  std::map<std::tuple<void *, bool, WeightType>, int> weightIndex; // -> index in w[]
  std::vector<size_t> weightOffsets;
  WeightPlanBuilder weightPlan;
  std::string body;   // the step function's statements
  std::string setup;  // statements of create() (RoPE tables)
  std::string members; // of Model (RoPE tables)
  std::map<std::string, int> ropeTables; // "theta/rotary_dim" -> table index
  int64_t pageSize = 16;
  int64_t opIndex = 0; // of the op being emitted, in lastUse's numbering
  bool hasQuantizedLinears = false; // the quantized-linear kernels are included only then
  // planQuantizedLinearFusion: update producer -> its residual_add_rms_norm,
  // and the fused norms' outputs -> the norm (emitted as nothing but a
  // scratch buffer for the pieces' fallback).
  llvm::DenseMap<Operation *, attn::ResidualAddRmsNormOp> residualInto;
  llvm::DenseMap<Value, attn::ResidualAddRmsNormOp> normInput;
  // A fused gate+up quantized linear -> the gated activation of its halves
  // (emitted in the linear's call), and the split and activation it absorbs.
  llvm::DenseMap<Operation *, attn::GatedActivationOp> gatedOutput;
  llvm::SmallPtrSet<Operation *, 16> absorbed;
  // A fused QKV quantized linear -> the attention whose RoPE + KV append it
  // does as it stores; the attention -> the rotated query's buffer (its slot).
  llvm::DenseMap<Operation *, attn::FlashAttentionOp> ropeOutput;
  llvm::DenseMap<Operation *, std::pair<std::string, int>> ropeQuery;
};

void Emitter::planQuantizedLinearFusion(Block &block) {
  // The schemes of the runtime's one-kernel decode (decode_kernel): 4 bits,
  // and 8 bits with a scale per output channel. Both take the norm on the
  // fly, the residual and the output forms (gated, RoPE + KV append).
  auto hasOneKernelDecode = [](Operation *op) {
    auto q = dyn_cast_or_null<attn::QuantizedLinearOp>(op);
    return q && (q.getBits() == 4 || (q.getBits() == 8 && q.getGroupSize() == 0));
  };
  for (auto r : block.getOps<attn::ResidualAddRmsNormOp>()) {
    Value update = r.getUpdate(), residual = r.getResidual(), output = r.getOutput();
    Operation *producer = update.getDefiningOp();
    if (!hasOneKernelDecode(producer) || !update.hasOneUse() ||
        residual.getType() != update.getType() || output.use_empty())
      continue;
    // The residual is read by the producer, before r: it must exist by then.
    if (Operation *def = residual.getDefiningOp(); def && !def->isBeforeInBlock(producer))
      continue;
    // Every reader of the normalized rows is such a linear taking them as x,
    // and the sum (their x now) outlives them.
    bool fusable = lastUse.lookup(r.getSum()) > lastUse.lookup(output);
    for (OpOperand &use : output.getUses())
      fusable = fusable && hasOneKernelDecode(use.getOwner()) && use.getOperandNumber() == 0;
    if (!fusable)
      continue;
    residualInto[producer] = r;
    normInput[output] = r;
  }
  // act(gate) * up of a 4-bit (or w8) linear's two halves (gate first), split along
  // the rows' last axis and read by nothing else: the linear computes the
  // activation as it stores y, and its [T, 2 width] product is never stored.
  for (auto g : block.getOps<attn::GatedActivationOp>()) {
    auto split = g.getGate().getDefiningOp<od::SplitOp>();
    if (!split || split.getOutputs().size() != 2 || split.getOutputs()[0] != g.getGate() ||
        split.getOutputs()[1] != g.getUp() || !g.getGate().hasOneUse() || !g.getUp().hasOneUse())
      continue;
    auto type = cast<RankedTensorType>(split.getInput().getType());
    int64_t axis = static_cast<int64_t>(split.getAxis());
    if (axis != type.getRank() - 1 && axis != -1)
      continue;
    Operation *producer = split.getInput().getDefiningOp();
    if (!hasOneKernelDecode(producer) || !split.getInput().hasOneUse() ||
        g.getGate().getType() != g.getUp().getType() || residualInto.count(producer))
      continue;
    gatedOutput[producer] = g;
    absorbed.insert(split);
    absorbed.insert(g);
  }
  // The query, keys and values of one 4-bit (or w8) linear's product, split along
  // the last axis (through reshapes) and read by nothing but one attention
  // that rotates the query and the keys on their way (attn-fuse-rope-kv-
  // append): the linear rotates them and writes the keys and values to the
  // cache as it stores them (the query to a buffer of its own).
  auto soleSource = [](Value v) -> Value {
    while (auto reshape = v.getDefiningOp<od::ReshapeOp>()) {
      if (!v.hasOneUse())
        return {};
      v = reshape.getData();
    }
    return v.hasOneUse() ? v : Value();
  };
  for (auto fa : block.getOps<attn::FlashAttentionOp>()) {
    if (!fa.hasKeyRope() || !fa.getRopeQuery() || int64_t(fa.getHeadDim()) != int64_t(fa.getVHeadDim()))
      continue;
    Value qv = soleSource(fa.getQuery()), kv = soleSource(fa.getKey()),
          vv = soleSource(fa.getValue());
    auto split = qv ? qv.getDefiningOp<od::SplitOp>() : od::SplitOp();
    if (!split || split.getOutputs().size() != 3 || split.getOutputs()[0] != qv ||
        split.getOutputs()[1] != kv || split.getOutputs()[2] != vv)
      continue;
    auto type = cast<RankedTensorType>(split.getInput().getType());
    int64_t axis = static_cast<int64_t>(split.getAxis());
    Operation *producer = split.getInput().getDefiningOp();
    if ((axis != type.getRank() - 1 && axis != -1) || !hasOneKernelDecode(producer) ||
        !split.getInput().hasOneUse() || residualInto.count(producer) ||
        gatedOutput.count(producer))
      continue;
    ropeOutput[producer] = fa;
  }
}

FailureOr<std::string> Emitter::weightPointer(Value weight, WeightType type,
                                             bool transposeToOutIn) {
  // A weight used in two layouts (say, transposed for one linear) is packed twice.
  auto key = std::make_tuple(weight.getAsOpaquePointer(), transposeToOutIn, type);
  Type element = cast<RankedTensorType>(weight.getType()).getElementType();
  const char *cType = type == WeightType::F32    ? "float"
                      : type == WeightType::Elem ? "Elem"
                                                 : storedCType(element);
  auto found = weightIndex.find(key);
  if (found != weightIndex.end())
    return std::string(llvm::formatv("m.weight<{0}>({1})", cType, found->second));

  // Planned, not copied: weights.bin is the plan evaluated (compiler/Compile.cpp).
  // Elem weights are stored in the model's dtype (a cast in the plan).
  StringRef castTo = type == WeightType::Elem  ? StringRef(options.dtype)
                     : type == WeightType::F32 ? StringRef("f32")
                                               : StringRef();
  FailureOr<uint64_t> offset =
      weightPlan.addBlob(weight, transposeToOutIn, kWeightAlignment, castTo);
  if (failed(offset))
    return failure();
  if (type != WeightType::Stored && !element.isF32()) {
    if (Operation *def = weight.getDefiningOp())
      def->emitError("only f32 weights are supported so far");
    return failure();
  }
  int index = weightOffsets.size();
  weightOffsets.push_back(*offset);
  weightIndex[key] = index;
  return std::string(llvm::formatv("m.weight<{0}>({1})", cType, index));
}

int Emitter::acquireSlot(int64_t need) {
  // Best fit among free slots, else grow the largest free one, else a new one.
  int best = -1;
  for (int s = 0; s < int(slotElems.size()); ++s) {
    if (slotLive[s] != 0)
      continue;
    if (best < 0)
      best = s;
    else if (slotElems[s] >= need &&
             (slotElems[best] < need || slotElems[s] < slotElems[best]))
      best = s;
    else if (slotElems[best] < need && slotElems[s] > slotElems[best])
      best = s;
  }
  if (best < 0) {
    best = slotElems.size();
    slotElems.push_back(0);
    slotLive.push_back(0);
  }
  slotElems[best] = std::max(slotElems[best], need);
  slotLive[best] += 1;
  return best;
}

bool Emitter::overwritable(Value v) {
  auto it = info.find(v);
  return it != info.end() && it->second.kind == ValueInfo::Activation &&
         lastUse.lookup(v) == opIndex && slotLive[it->second.slot] == 1;
}

int Emitter::ropeTable(float theta, int64_t rotaryDim) {
  // One inv_freq table per (theta, rotary_dim): q and k, and every layer, share it.
  std::string literal = floatLiteral(theta);
  auto [it, inserted] = ropeTables.try_emplace(literal + "/" + std::to_string(rotaryDim),
                                               int(ropeTables.size()));
  int table = it->second;
  if (inserted) {
    members += llvm::formatv("  const float *inv_freq{0} = nullptr;\n", table).str();
    setup += llvm::formatv("  {{\n    float table[{1}];\n    rt::rope_inv_freq({0}, {2}, table);\n"
                           "    m->inv_freq{3} = m->keep_f32(table, {1});\n"
                           "    if (!m->inv_freq{3}) return fail(error, error_len, \"out of "
                           "memory for a RoPE table\");\n  }\n",
                           literal, rotaryDim / 2, rotaryDim, table)
                 .str();
  }
  return table;
}

const ValueInfo &Emitter::defineActivation(Value v, const std::string &rows) {
  int best = acquireSlot(rowElemsOf(v) * options.maxBatchTokens);
  ValueInfo &vi = info[v];
  vi.kind = ValueInfo::Activation;
  vi.slot = best;
  vi.rows = rows;
  vi.rowElems = rowElemsOf(v);
  vi.pointer = llvm::formatv("(m.arena + kSlot{0})", best).str();
  if (v.use_empty())
    slotLive[best] -= 1;
  return vi;
}

void Emitter::aliasActivation(Value result, Value source) {
  ValueInfo vi = info[source];
  vi.rowElems = rowElemsOf(result);
  info[result] = vi;
  if (!result.use_empty())
    slotLive[vi.slot] += 1;
}

void Emitter::releaseDeadOperands(Operation *op, int64_t index) {
  llvm::SmallPtrSet<Value, 4> seen;
  for (Value v : op->getOperands()) {
    if (!seen.insert(v).second)
      continue;
    auto it = info.find(v);
    if (it == info.end() || it->second.kind != ValueInfo::Activation)
      continue;
    if (lastUse.lookup(v) == index)
      slotLive[it->second.slot] -= 1;
  }
}

FailureOr<const ValueInfo *> Emitter::activation(Operation *user, Value v) {
  auto it = info.find(v);
  if (it == info.end()) {
    user->emitError("the code generator has no buffer for an operand of this op");
    return failure();
  }
  return &it->second;
}

LogicalResult Emitter::emitOp(Operation *op) {
  llvm::raw_string_ostream os(body);
  auto rowsTimes = [&](Value v) {
    return llvm::formatv("{0} * {1}", info[v].rows, rowElemsOf(v)).str();
  };
  // Operands read as contiguous rows.
  auto operand = [&](Value v) -> FailureOr<std::string> {
    FailureOr<const ValueInfo *> vi = activation(op, v);
    if (failed(vi))
      return failure();
    if ((*vi)->rowStride != 0) {
      op->emitError("the code generator cannot pass a column range to this op");
      return failure();
    }
    return (*vi)->pointer;
  };
  // Operands of ops that take a row stride: pointer and elements per row step.
  auto stridedOperand = [&](Value v) -> FailureOr<std::pair<std::string, int64_t>> {
    FailureOr<const ValueInfo *> vi = activation(op, v);
    if (failed(vi))
      return failure();
    int64_t stride = (*vi)->rowStride ? (*vi)->rowStride : rowElemsOf(v);
    return std::make_pair((*vi)->pointer, stride);
  };

  if (isa<od::ConstantOp, od::NoValueOp, attn::WeightConcatOp, attn::WeightQuantizeOp>(op) ||
      attn::isUnaryWeightTransform(op))
    return success(); // weights and shape operands are read where they are used

  if (auto e = dyn_cast<attn::EmbeddingOp>(op)) {
    auto table = cast<RankedTensorType>(e.getTable().getType());
    FailureOr<std::string> w = weightPointer(e.getTable(), WeightType::Elem);
    FailureOr<const ValueInfo *> ids = activation(op, e.getIds());
    if (failed(w) || failed(ids))
      return failure();
    const ValueInfo &out = defineActivation(e.getOutput(), (*ids)->rows);
    float scale = e.getScale() ? e.getScale()->convertToFloat() : 1.0f;
    os << llvm::formatv("  if (!rt::embedding(ctx, {0}, {1}, {2}, {3}, {4}, {5}, {6}))\n"
                        "    return fail(error, error_len, \"a token id is outside the vocabulary\");\n",
                        (*ids)->pointer, (*ids)->rows, *w, table.getDimSize(0),
                        table.getDimSize(1), floatLiteral(scale), out.pointer);
    if (e.getIds() == step.getArgument(0)) {
      model.vocabSize = table.getDimSize(0);
      model.hiddenSize = table.getDimSize(1);
    } else if (e.getIds() == step.getArgument(1) && options.maxContext == 0) {
      model.maxContext = table.getDimSize(0); // learned positions bound the context
    }
    return success();
  }
  if (auto n = dyn_cast<attn::RmsNormOp>(op)) {
    FailureOr<std::string> w = weightPointer(n.getWeight(), WeightType::F32);
    FailureOr<std::string> x = operand(n.getX());
    if (failed(w) || failed(x))
      return failure();
    int64_t dim = cast<RankedTensorType>(n.getX().getType()).getShape().back();
    const ValueInfo &out = defineActivation(n.getOutput(), rowsOf(n.getX()));
    os << llvm::formatv("  rt::rms_norm(ctx, {0}, {1}, {2}, {3}, {4} / {5}, {5}, {6});\n",
                        *x, *w, floatLiteral(n.getWeightOffset().convertToFloat()),
                        floatLiteral(n.getEpsilon().convertToFloat()), rowsTimes(n.getX()), dim,
                        out.pointer);
    return success();
  }
  if (auto n = dyn_cast<attn::LayerNormOp>(op)) {
    FailureOr<std::string> w = weightPointer(n.getWeight(), WeightType::F32);
    FailureOr<std::string> x = operand(n.getX());
    if (failed(w) || failed(x))
      return failure();
    FailureOr<std::string> bias = optionalWeightPointer(n.getBias(), WeightType::F32);
    if (failed(bias))
      return failure();
    int64_t dim = cast<RankedTensorType>(n.getX().getType()).getShape().back();
    const ValueInfo &out = defineActivation(n.getOutput(), rowsOf(n.getX()));
    os << llvm::formatv("  rt::layer_norm(ctx, {0}, {1}, {2}, {3}, {4} / {5}, {5}, {6});\n",
                        *x, *w, *bias, floatLiteral(n.getEpsilon().convertToFloat()),
                        rowsTimes(n.getX()), dim, out.pointer);
    return success();
  }
  if (auto l = dyn_cast<attn::LinearOp>(op)) {
    bool inOut = l.getWeightLayout() == attn::WeightLayout::in_out;
    FailureOr<std::string> w = weightPointer(l.getWeight(), WeightType::Elem, /*transposeToOutIn=*/inOut);
    FailureOr<std::string> x = operand(l.getX());
    if (failed(w) || failed(x))
      return failure();
    FailureOr<std::string> bias = optionalWeightPointer(l.getBias(), WeightType::Elem);
    if (failed(bias))
      return failure();
    int64_t in = l.getInFeatures(), out = l.getOutFeatures();
    const ValueInfo &y = defineActivation(l.getOutput(), rowsOf(l.getX()));
    os << llvm::formatv("  rt::linear(ctx, {0}, {1} / {2}, {2}, {3}, {4}, {5}, {6});\n",
                        *x, rowsTimes(l.getX()), in, *w, *bias, out, y.pointer);
    return success();
  }
  if (auto q = dyn_cast<attn::QuantizedLinearOp>(op)) {
    // The kernel is specialised on the format (bits, group size, zero
    // points); the weights are read as the packer stored them.
    FailureOr<std::string> values = weightPointer(q.getValues(), WeightType::Stored);
    FailureOr<std::string> scales = weightPointer(q.getScales(), WeightType::Stored);
    FailureOr<std::string> zeros = optionalWeightPointer(q.getZeros(), WeightType::Stored);
    FailureOr<std::string> bias = optionalWeightPointer(q.getBias(), WeightType::Elem);
    FailureOr<std::string> x = operand(q.getX());
    if (failed(values) || failed(scales) || failed(zeros) || failed(bias) || failed(x))
      return failure();
    int64_t in = q.getInFeatures(), out = q.getOutFeatures();
    hasQuantizedLinears = true;
    attn::ResidualAddRmsNormOp addTo = residualInto.lookup(op);
    attn::ResidualAddRmsNormOp norm = normInput.lookup(q.getX());
    attn::GatedActivationOp gated = gatedOutput.lookup(op);
    attn::FlashAttentionOp rope = ropeOutput.lookup(op);
    if (!addTo && !norm && !gated && !rope) {
      const ValueInfo &y = defineActivation(q.getOutput(), rowsOf(q.getX()));
      os << llvm::formatv("  rt::quantized_linear<{0}, {1}, {2}>(ctx, {3}, {4} / {5}, {5}, {6}, "
                          "{7}, {8}, {9}, {10}, {11});\n",
                          q.getBits(), q.getGroupSize(), q.getZeros() ? "true" : "false", *x,
                          rowsTimes(q.getX()), in, *values, *scales, *zeros, *bias, out,
                          y.pointer);
      return success();
    }
    // x: the norm's input (the sum an earlier linear wrote), normalized
    // here; its own output buffer is the fallback's scratch.
    std::string input = *x, normWeight = "nullptr", scratch = "nullptr";
    float offset = 0.0f, eps = 0.0f;
    if (norm) {
      FailureOr<std::string> w = weightPointer(norm.getWeight(), WeightType::F32);
      FailureOr<std::string> sum = operand(norm.getSum());
      if (failed(w) || failed(sum))
        return failure();
      input = *sum, normWeight = *w, scratch = *x;
      offset = norm.getWeightOffset().convertToFloat();
      eps = norm.getEpsilon().convertToFloat();
    }
    if (gated) {
      // The product's buffer is only the pieces' fallback.
      std::string product = defineActivation(q.getOutput(), rowsOf(q.getX())).pointer;
      std::string y = defineActivation(gated.getOutput(), rowsOf(q.getX())).pointer;
      os << llvm::formatv("  rt::quantized_linear_gated<rt::Activation::{0}, {1}, {2}, {3}>(ctx, "
                          "{4}, {5}, {6}, {7}, {8}, {9} / {10}, {10}, {11}, {12}, {13}, {14}, {15}, "
                          "{16}, {17});\n",
                          activationName(gated.getKind()), q.getBits(), q.getGroupSize(),
                          q.getZeros() ? "true" : "false", input, normWeight, floatLiteral(offset),
                          floatLiteral(eps), scratch, rowsTimes(q.getX()), in, *values, *scales,
                          *zeros, *bias, out, product, y);
      return success();
    }
    if (rope) {
      // The product's buffer is only the pieces' fallback; the rotated query
      // goes to a buffer the attention reads (released there).
      std::string product = defineActivation(q.getOutput(), rowsOf(q.getX())).pointer;
      int slot = acquireSlot(rowElemsOf(rope.getQuery()) * options.maxBatchTokens);
      std::string query = llvm::formatv("(m.arena + kSlot{0})", slot).str();
      ropeQuery[rope] = {query, slot};
      int64_t rotary = *rope.getRotaryDim();
      int table = ropeTable(rope.getRopeTheta()->convertToFloat(), rotary);
      os << llvm::formatv(
          "  rt::quantized_linear_rope_kv<{0}, {1}, {2}, kPageSize, {3}, {4}, rt::RopeStyle::{5}{6}>("
          "ctx, {7}, {8}, {9}, {10}, {11}, {12} / {13}, {13}, {14}, {15}, {16}, {17}, {18}, {19}, "
          "{20}, {21}, a->positions, m.inv_freq{22}, a->num_seqs, a->query_start, "
          "a->block_tables[{23}], a->blocks_per_seq, a->layer_cache[{24}], {25});\n",
          q.getBits(), q.getGroupSize(), q.getZeros() ? "true" : "false", rope.getHeadDim(),
          rotary, ropeStyleName(*rope.getRopeStyle()), kvTypeArgument(rope.getKvCacheType()), input, normWeight, floatLiteral(offset), floatLiteral(eps), scratch,
          rowsTimes(q.getX()), in, *values, *scales, *zeros, *bias, out, product, query,
          rope.getNumHeads(), table, rope.getCacheGroup(), rope.getLayer(), rope.getNumKvHeads());
      return success();
    }
    // y: the sum of the residual_add_rms_norm reading this linear's output.
    std::string residual = "nullptr", y;
    if (addTo) {
      FailureOr<std::string> r = operand(addTo.getResidual());
      if (failed(r))
        return failure();
      residual = *r;
      y = defineActivation(addTo.getSum(), rowsOf(q.getX())).pointer;
    } else {
      y = defineActivation(q.getOutput(), rowsOf(q.getX())).pointer;
    }
    os << llvm::formatv("  rt::quantized_linear_fused<{0}, {1}, {2}>(ctx, {3}, {4}, {5}, {6}, {7}, "
                        "{8} / {9}, {9}, {10}, {11}, {12}, {13}, {14}, {15}, {16});\n",
                        q.getBits(), q.getGroupSize(), q.getZeros() ? "true" : "false", input,
                        normWeight, floatLiteral(offset), floatLiteral(eps), scratch,
                        rowsTimes(q.getX()), in, *values, *scales, *zeros, *bias, out, residual,
                        y);
    return success();
  }
  if (auto a = dyn_cast<attn::ActivationOp>(op)) {
    FailureOr<std::string> x = operand(a.getX());
    if (failed(x))
      return failure();
    const ValueInfo &y = defineActivation(a.getOutput(), rowsOf(a.getX()));
    os << llvm::formatv("  rt::activation<rt::Activation::{0}>(ctx, {1}, {2}, {3});\n",
                        activationName(a.getKind()), *x, y.pointer, rowsTimes(a.getX()));
    return success();
  }
  if (absorbed.count(op)) {
    os << llvm::formatv("  // {0}: in the quantized linear before it\n", op->getName().getStringRef());
    return success();
  }
  if (auto g = dyn_cast<attn::GatedActivationOp>(op)) {
    auto gate = stridedOperand(g.getGate()), up = stridedOperand(g.getUp());
    if (failed(gate) || failed(up))
      return failure();
    int64_t width = cast<RankedTensorType>(g.getGate().getType()).getShape().back();
    const ValueInfo &y = defineActivation(g.getOutput(), rowsOf(g.getGate()));
    os << llvm::formatv("  rt::gated_activation<rt::Activation::{0}>(ctx, {1}, "
                        "{2}, {3}, {4}, {5}, {6} / {7}, {7});\n",
                        activationName(g.getKind()), gate->first, gate->second, up->first,
                        up->second, y.pointer, rowsTimes(g.getGate()), width);
    return success();
  }
  if (auto fused = dyn_cast<attn::ResidualAddRmsNormOp>(op);
      fused && normInput.count(fused.getOutput())) {
    // The add went into the linear before (it wrote the sum), the norm goes
    // into the linears after; the output buffer is only their scratch.
    defineActivation(fused.getOutput(), rowsOf(fused.getResidual()));
    os << "  // residual_add_rms_norm: in the quantized linears around it\n";
    return success();
  }
  if (auto fused = dyn_cast<attn::ResidualAddRmsNormOp>(op)) {
    FailureOr<std::string> w = weightPointer(fused.getWeight(), WeightType::F32);
    FailureOr<std::string> a = operand(fused.getResidual()), b = operand(fused.getUpdate());
    if (failed(w) || failed(a) || failed(b))
      return failure();
    int64_t dim = cast<RankedTensorType>(fused.getResidual().getType()).getShape().back();
    std::string rows = rowsOf(fused.getResidual());
    // Two live results: defined in turn, they get different buffers (the
    // kernel's y must not alias its sum).
    std::string sum = defineActivation(fused.getSum(), rows).pointer;
    std::string out = defineActivation(fused.getOutput(), rows).pointer; // may rehash `info`
    os << llvm::formatv("  rt::residual_add_rms_norm(ctx, {0}, {1}, {2}, {3}, {4}, {5} / {6}, {6}, "
                        "{7}, {8});\n",
                        *a, *b, *w, floatLiteral(fused.getWeightOffset().convertToFloat()),
                        floatLiteral(fused.getEpsilon().convertToFloat()),
                        rowsTimes(fused.getResidual()), dim, sum, out);
    return success();
  }
  if (isa<attn::ResidualAddOp, od::AddOp>(op)) {
    Value a = op->getOperand(0), b = op->getOperand(1);
    if (a.getType() != b.getType())
      return op->emitError("the code generator needs both addends of one shape");
    FailureOr<std::string> pa = operand(a), pb = operand(b);
    if (failed(pa) || failed(pb))
      return failure();
    const ValueInfo &y = defineActivation(op->getResult(0), rowsOf(a));
    auto residual = dyn_cast<attn::ResidualAddOp>(op);
    if (residual && residual.getScale())
      os << llvm::formatv("  rt::residual_add_scaled(ctx, {0}, {1}, {2}, {3}, {4});\n",
                          *pa, *pb, y.pointer, rowsTimes(a),
                          floatLiteral(residual.getScale()->convertToFloat()));
    else
      os << llvm::formatv("  rt::residual_add(ctx, {0}, {1}, {2}, {3});\n", *pa, *pb,
                          y.pointer, rowsTimes(a));
    return success();
  }
  if (auto s = dyn_cast<attn::LogitScaleOp>(op)) {
    FailureOr<std::string> x = operand(s.getX());
    if (failed(x))
      return failure();
    const ValueInfo &y = defineActivation(s.getOutput(), rowsOf(s.getX()));
    os << llvm::formatv("  rt::copy(ctx, {0}, {1}, {2});\n"
                        "  rt::scale_inplace(ctx, {0}, {2}, {3});\n",
                        y.pointer, *x, rowsTimes(s.getX()),
                        floatLiteral(s.getScale().convertToFloat()));
    return success();
  }
  if (auto s = dyn_cast<attn::LogitSoftcapOp>(op)) {
    FailureOr<std::string> x = operand(s.getX());
    if (failed(x))
      return failure();
    const ValueInfo &y = defineActivation(s.getOutput(), rowsOf(s.getX()));
    os << llvm::formatv("  rt::copy(ctx, {0}, {1}, {2});\n"
                        "  rt::softcap(ctx, {0}, {2}, {3});\n",
                        y.pointer, *x, rowsTimes(s.getX()),
                        floatLiteral(s.getCap().convertToFloat()));
    return success();
  }
  if (auto r = dyn_cast<od::ReshapeOp>(op)) {
    if (failed(activation(op, r.getData())))
      return failure();
    aliasActivation(r.getReshaped(), r.getData()); // row-major: same bytes
    return success();
  }
  if (auto split = dyn_cast<od::SplitOp>(op)) {
    FailureOr<std::string> x = operand(split.getInput());
    if (failed(x))
      return failure();
    auto type = cast<RankedTensorType>(split.getInput().getType());
    int64_t axis = static_cast<int64_t>(split.getAxis());
    if (axis < 0)
      axis += type.getRank();
    if (axis < 1)
      return op->emitError("a Split across tokens cannot be generated");
    int64_t outer = 1, inner = 1;
    for (int64_t d = 1; d < axis; ++d)
      outer *= type.getDimSize(d);
    for (int64_t d = axis + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    int64_t offset = 0, full = type.getDimSize(axis) * inner;
    // Column ranges that only ops taking a row stride read (the gate and up
    // halves of a fused gate+up projection; the query, keys and values of a
    // fused QKV projection on their way through the fused RoPE kernel, which
    // writes the rotated query to a buffer of its own) stay where they are:
    // no copy. (Through reshapes, which keep the rows and so the stride.)
    std::function<bool(OpOperand &)> readsStrided = [&](OpOperand &use) {
      Operation *user = use.getOwner();
      if (isa<attn::GatedActivationOp>(user))
        return true;
      if (auto reshape = dyn_cast<od::ReshapeOp>(user))
        return cast<RankedTensorType>(reshape.getReshaped().getType()).getDimSize(0) ==
                   cast<RankedTensorType>(reshape.getData().getType()).getDimSize(0) &&
               !reshape.getReshaped().use_empty() &&
               llvm::all_of(reshape.getReshaped().getUses(), readsStrided);
      auto fa = dyn_cast<attn::FlashAttentionOp>(user);
      if (!fa || !fa.hasKeyRope())
        return false;
      if (use.get() == fa.getQuery())
        return fa.getRopeQuery() && use.get() != fa.getKey() && use.get() != fa.getValue();
      return use.get() == fa.getKey() || use.get() == fa.getValue();
    };
    for (Value r : split.getOutputs()) {
      int64_t part = cast<RankedTensorType>(r.getType()).getDimSize(axis) * inner;
      if (outer == 1 && !r.use_empty() && llvm::all_of(r.getUses(), readsStrided)) {
        ValueInfo vi = info[split.getInput()];
        vi.pointer = llvm::formatv("({0} + {1})", *x, offset).str();
        vi.rowElems = rowElemsOf(r);
        vi.rowStride = full;
        info[r] = vi;
        slotLive[vi.slot] += 1;
      } else {
        const ValueInfo &y = defineActivation(r, rowsOf(split.getInput()));
        os << llvm::formatv("  rt::copy_rows(ctx, {0} + {1}, {2}, {3}, {4}, {5} * {6}, {4});\n",
                            *x, offset, full, y.pointer, part, rowsOf(split.getInput()), outer);
      }
      offset += part;
    }
    return success();
  }
  if (auto slice = dyn_cast<od::SliceOp>(op)) {
    FailureOr<std::string> x = operand(slice.getData());
    auto starts = constantInts(slice.getStarts()), ends = constantInts(slice.getEnds());
    auto axes = constantInts(slice.getAxes());
    std::optional<SmallVector<int64_t>> steps =
        isa<NoneType>(slice.getSteps().getType()) ? SmallVector<int64_t>{1}
                                                   : constantInts(slice.getSteps());
    if (failed(x))
      return failure();
    auto type = cast<RankedTensorType>(slice.getData().getType());
    if (!starts || !ends || !axes || !steps || axes->size() != 1 || starts->size() != 1 ||
        (*steps)[0] != 1)
      return op->emitError("the code generator supports single-axis unit-step Slices only");
    int64_t axis = (*axes)[0] < 0 ? (*axes)[0] + type.getRank() : (*axes)[0];
    if (axis < 1)
      return op->emitError("a Slice across tokens cannot be generated");
    int64_t dim = type.getDimSize(axis);
    auto clampIndex = [&](int64_t i) {
      if (i < 0)
        i += dim;
      return std::clamp<int64_t>(i, 0, dim);
    };
    int64_t begin = clampIndex((*starts)[0]), end = clampIndex((*ends)[0]);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 1; d < axis; ++d)
      outer *= type.getDimSize(d);
    for (int64_t d = axis + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    const ValueInfo &y = defineActivation(slice.getOutput(), rowsOf(slice.getData()));
    os << llvm::formatv("  rt::copy_rows(ctx, {0} + {1}, {2}, {3}, {4}, {5} * {6}, {4});\n",
                        *x, begin * inner, dim * inner, y.pointer, (end - begin) * inner,
                        rowsOf(slice.getData()), outer);
    return success();
  }
  if (auto rope = dyn_cast<attn::RopeOp>(op)) {
    FailureOr<std::string> x = operand(rope.getX());
    FailureOr<const ValueInfo *> positionsInfo = activation(op, rope.getPositions());
    if (failed(x) || failed(positionsInfo))
      return failure();
    std::string positions = (*positionsInfo)->pointer, positionRows = (*positionsInfo)->rows;
    auto type = cast<RankedTensorType>(rope.getX().getType());
    if (type.getRank() != 3)
      return op->emitError("rope must run on [tokens, heads, head_dim] here");
    int64_t heads = type.getDimSize(1), headDim = type.getDimSize(2);
    int64_t rotary = rope.getRotaryDim();
    const char *style = ropeStyleName(rope.getStyle());
    // Rotated in place when nothing else reads x (the kernel works in place);
    // otherwise on a copy.
    std::string y;
    if (overwritable(rope.getX())) {
      aliasActivation(rope.getOutput(), rope.getX());
      y = *x;
    } else {
      y = defineActivation(rope.getOutput(), rowsOf(rope.getX())).pointer;
      os << llvm::formatv("  rt::copy(ctx, {0}, {1}, {2});\n", y, *x, rowsTimes(rope.getX()));
    }
    if (rope.getTheta()) {
      int table = ropeTable(rope.getTheta()->convertToFloat(), rotary);
      os << llvm::formatv("  rt::rope<Elem, {0}, {1}, rt::RopeStyle::{2}>(ctx, "
                          "{3}, {4}, {5}, {6}, m.inv_freq{7});\n",
                          headDim, rotary, style, y, positionRows, heads, positions, table);
    } else {
      FailureOr<std::string> cosTable = weightPointer(rope.getCosTable(), WeightType::F32);
      FailureOr<std::string> sinTable = weightPointer(rope.getSinTable(), WeightType::F32);
      if (failed(cosTable) || failed(sinTable))
        return failure();
      os << llvm::formatv("  rt::rope_from_table<Elem, {0}, {1}, rt::RopeStyle::{2}>("
                          "ctx, {3}, {4}, {5}, {6}, {7}, {8});\n",
                          headDim, rotary, style, y, positionRows, heads, positions, *cosTable,
                          *sinTable);
    }
    return success();
  }
  if (auto attention = dyn_cast<attn::FlashAttentionOp>(op)) {
    // Keys and values on their way into the cache through the fused RoPE
    // kernel may be column ranges of the QKV projection (a row stride).
    // So may the query, which that kernel then writes rotated to a buffer
    // of its own (query_source).
    auto q = stridedOperand(attention.getQuery());
    auto k = stridedOperand(attention.getKey()), v = stridedOperand(attention.getValue());
    if (failed(q) || failed(k) || failed(v))
      return failure();
    bool kvStrided = info[attention.getKey()].rowStride || info[attention.getValue()].rowStride;
    bool qStrided = info[attention.getQuery()].rowStride != 0;
    if (kvStrided && !attention.hasKeyRope())
      return op->emitError("the code generator can append strided keys only through the fused "
                           "RoPE kernel");
    if (qStrided && !(attention.hasKeyRope() && attention.getRopeQuery()))
      return op->emitError("the code generator can read a strided query only through the fused "
                           "RoPE kernel");
    std::string ropeStrides;
    if (kvStrided || qStrided)
      ropeStrides = llvm::formatv(", {0}, {1}", kvStrided ? k->second : 0,
                                  kvStrided ? v->second : 0);
    if (qStrided)
      ropeStrides += llvm::formatv(", {0}, {1}", q->first, q->second).str();
    int64_t headDim = attention.getHeadDim();
    int64_t vHeadDim = attention.getVHeadDim();
    int64_t kvHeads = attention.getNumKvHeads(), group = attention.getGroupSize();
    int64_t layer = attention.getLayer(), cacheGroup = attention.getCacheGroup();
    if (layer != int64_t(model.layers.size()))
      return op->emitError() << "layers must be numbered in program order, got " << layer;
    std::optional<attn::KvCacheType> kvCacheType = attention.getKvCacheType();
    std::string kvTypeArg = kvTypeArgument(kvCacheType);
    model.layers.push_back({int32_t(cacheGroup), int32_t(kvHeads), int32_t(headDim),
                            int32_t(vHeadDim), kvCacheType ? 1 : target.elemBytes(),
                            kvCacheType ? int32_t(*kvCacheType) : 0});
    if (cacheGroup >= int64_t(model.groupWindows.size()))
      model.groupWindows.resize(cacheGroup + 1, -1);
    int64_t window = attention.getWindow();
    if (model.groupWindows[cacheGroup] >= 0 && model.groupWindows[cacheGroup] != window)
      return op->emitError("layers of one cache group must share their window");
    model.groupWindows[cacheGroup] = window;
    if (model.numHeads == 0) {
      model.numHeads = attention.getNumHeads();
      model.numKvHeads = kvHeads;
      model.headDim = headDim;
    }
    FailureOr<std::string> call =
        target.flashAttention({attention, headDim, vHeadDim, group, kvTypeArg});
    if (failed(call))
      return failure();
    // The query the attention reads: the operand, or its rotation (rope_query;
    // by the quantized linear before it when that did the RoPE + KV append).
    std::string query = q->first;
    int scratchSlot = -1;
    auto linearDidRope = ropeQuery.find(op);
    if (linearDidRope != ropeQuery.end()) {
      std::tie(query, scratchSlot) = linearDidRope->second;
    } else if (qStrided) {
      scratchSlot = acquireSlot(rowElemsOf(attention.getQuery()) * options.maxBatchTokens);
      query = llvm::formatv("(m.arena + kSlot{0})", scratchSlot).str();
    } else if (attention.getRopeQuery()) {
      // The fused kernel rotates the query in place while it reads the key
      // and value, so in the operand's buffer only when nothing else needs
      // the un-rotated query and the buffer is not the key's or the value's.
      Value qv = attention.getQuery();
      int qSlot = info[qv].slot;
      bool shared = qv == attention.getKey() || qv == attention.getValue() ||
                    (info[attention.getKey()].kind == ValueInfo::Activation &&
                     info[attention.getKey()].slot == qSlot) ||
                    (info[attention.getValue()].kind == ValueInfo::Activation &&
                     info[attention.getValue()].slot == qSlot);
      if (shared || !overwritable(qv)) {
        scratchSlot = acquireSlot(rowElemsOf(qv) * options.maxBatchTokens);
        query = llvm::formatv("(m.arena + kSlot{0})", scratchSlot).str();
        os << llvm::formatv("  rt::copy(ctx, {0}, {1}, {2});\n", query, q->first, rowsTimes(qv));
      }
    }
    const ValueInfo &out = defineActivation(attention.getOutput(), rowsOf(attention.getQuery()));
    std::string outPointer = out.pointer;
    if (scratchSlot >= 0)
      slotLive[scratchSlot] -= 1; // free again once the op is emitted (out is elsewhere)
    if (linearDidRope != ropeQuery.end()) {
      os << "  // rope + kv_append: in the quantized linear before it\n";
    } else if (attention.hasKeyRope()) {
      // attn-fuse-rope-kv-append: rotate the new keys on their way into the
      // cache (and the query in place), one kernel.
      int64_t rotary = *attention.getRotaryDim();
      int table = ropeTable(attention.getRopeTheta()->convertToFloat(), rotary);
      const char *style = ropeStyleName(*attention.getRopeStyle());
      os << llvm::formatv(
          "  rt::rope_kv_append<Elem, kPageSize, {0}, {1}, {2}, rt::RopeStyle::{3}{12}>(ctx, {4}, "
          "{5}, {6}, {7}, T, a->positions, m.inv_freq{8}, a->num_seqs, a->query_start, "
          "a->block_tables[{9}], a->blocks_per_seq, a->layer_cache[{10}], {11}{13});\n",
          headDim, vHeadDim, rotary, style,
          attention.getRopeQuery() ? query : std::string("nullptr"), attention.getNumHeads(),
          k->first, v->first, table, cacheGroup, layer, kvHeads, kvTypeArg, ropeStrides);
    } else {
      os << llvm::formatv(
          "  rt::kv_append<Elem, kPageSize, {0}, {1}{7}>(ctx, {2}, {3}, T, a->positions, "
          "a->num_seqs, a->query_start, a->block_tables[{4}], a->blocks_per_seq, "
          "a->layer_cache[{5}], {6});\n",
          headDim, vHeadDim, k->first, v->first, cacheGroup, layer, kvHeads, kvTypeArg);
    }
    os << "  {\n    rt::PagedAttentionArgs<Elem> args;\n";
    os << llvm::formatv("    args.query = {0};\n    args.out = {1};\n    args.num_tokens = T;\n"
                        "    args.positions = a->positions;\n    args.num_seqs = a->num_seqs;\n"
                        "    args.query_start = a->query_start;\n"
                        "    args.context_len = a->context_len;\n"
                        "    args.block_table = a->block_tables[{2}];\n"
                        "    args.blocks_per_seq = a->blocks_per_seq;\n"
                        "    args.layer_cache = a->layer_cache[{3}];\n"
                        "    args.num_kv_heads = {4};\n    args.window = {5};\n",
                        query, outPointer, cacheGroup, layer, kvHeads, window);
    os << *call << "  }\n";
    return success();
  }
  if (isa<attn::PagedAttentionOp>(op))
    return op->emitError("attention is not tiled (run attn-flash-tiling first)");
  if (auto select = dyn_cast<attn::SelectTokensOp>(op)) {
    FailureOr<std::string> x = operand(select.getX());
    FailureOr<const ValueInfo *> index = activation(op, select.getIndices());
    if (failed(x) || failed(index))
      return failure();
    const ValueInfo &y = defineActivation(select.getOutput(), (*index)->rows);
    os << llvm::formatv("  if (!rt::gather_rows(ctx, {0}, {1}, {2}, {3}, {4}, {5}))\n"
                        "    return fail(error, error_len, \"a logit token index is outside the "
                        "step\");\n",
                        *x, rowsOf(select.getX()), (*index)->pointer, (*index)->rows,
                        rowElemsOf(select.getX()), y.pointer);
    return success();
  }
  if (auto ret = dyn_cast<func::ReturnOp>(op)) {
    FailureOr<std::string> logits = operand(ret.getOperand(0));
    if (failed(logits))
      return failure();
    if (rowsOf(ret.getOperand(0)) != "N")
      return op->emitError("the returned logits must be the selected rows");
    os << "  " << target.logitsOut(*logits, rowElemsOf(ret.getOperand(0)));
    return success();
  }
  return op->emitError() << "the code generator does not support '" << op->getName()
                         << "'";
}

FailureOr<EmittedModel> Emitter::run() {
  if (step.getNumArguments() != 3 || step.getNumResults() != 1)
    return step.emitError("expected a step function (run attn-insert-kv-cache first)");
  if (auto ps = step->getAttrOfType<IntegerAttr>("attn.page_size"))
    pageSize = ps.getInt();
  model.pageSize = pageSize;
  // Step inputs: the runtime passes them as int32 arrays.
  const char *inputs[] = {"a->token_ids", "a->positions", "a->logit_tokens"};
  const char *rows[] = {"T", "T", "N"};
  for (unsigned i = 0; i < 3; ++i) {
    ValueInfo &vi = info[step.getArgument(i)];
    vi.kind = ValueInfo::TokenInput;
    vi.pointer = inputs[i];
    vi.rows = rows[i];
  }
  Block &block = step.getBody().front();
  int64_t index = 0;
  for (Operation &op : block) {
    for (Value v : op.getOperands())
      lastUse[v] = index;
    ++index;
  }
  if (target.fusesQuantizedLinearNeighbours())
    planQuantizedLinearFusion(block);
  index = 0;
  for (Operation &op : block) {
    opIndex = index;
    if (failed(emitOp(&op)))
      return failure();
    releaseDeadOperands(&op, index++);
  }
  if (model.layers.empty())
    return step.emitError("the step function has no attention layers");
  if (options.maxContext > 0)
    model.maxContext = options.maxContext;
  else if (model.maxContext == 0)
    model.maxContext = kDefaultMaxContext;

  // Assemble the source.
  std::string src;
  llvm::raw_string_ostream os(src);
  int64_t arena = 0;
  std::string slots;
  for (auto [s, elems] : llvm::enumerate(slotElems)) {
    slots += llvm::formatv("constexpr int64_t kSlot{0} = {1};\n", s, arena).str();
    arena += llvm::alignTo(elems, 16);
  }
  os << "// Generated by attnc " << ATTNC_VERSION_STRING << " from " << options.modelName
     << ". Do not edit: recompile the model instead.\n"
     << "// The step function of runtime/ModelABI.h for the " << target.name()
     << " target: kernel calls `rt::kernel(ctx, ...)` on buffers of Elem.\n"
     << "#include \"runtime/ModelABI.h\"\n"
     << (hasQuantizedLinears ? target.quantizedLinearIncludes() : std::string())
     << target.preamble()
     << "#include <cstdio>\n#include <cstring>\n#include <memory>\n#include <new>\n"
     << "#include <vector>\n\n"
     << "namespace {\n\n"
     << "constexpr int kPageSize = " << pageSize << ";\n"
     << "constexpr int kNumGroups = " << model.groupWindows.size() << "; // KV cache groups\n"
     << "constexpr int kNumLayers = " << model.layers.size() << "; // with a KV cache\n"
     << "constexpr int64_t kMaxBatchTokens = " << options.maxBatchTokens << ";\n"
     << "constexpr uint64_t kWeightsBytes = " << weightPlan.plan().weightsBytes << "ull;\n"
     << "constexpr int kNumWeights = " << weightOffsets.size() << ";\n"
     << "constexpr uint64_t kWeightOffsets[kNumWeights > 0 ? kNumWeights : 1] = {";
  for (size_t off : weightOffsets)
    os << off << "ull, ";
  os << "};\n"
     << "// Activation buffers (elements, " << options.maxBatchTokens
     << " rows each), reused once their values are dead.\n"
     << slots << "constexpr int64_t kArenaElems = " << arena << ";\n\n"
     << "struct Model {\n" << target.modelMembers(!ropeTables.empty())
     << "  const void *w[kNumWeights > 0 ? kNumWeights : 1] = {};\n"
     << "  Elem *arena = nullptr;\n" << members
     << "  template <typename W> const W *weight(int i) const { return static_cast<const W *>(w[i]); }\n"
     << "};\n\n"
     << "int fail(char *error, size_t error_len, const char *message) {\n"
     << "  if (error && error_len) std::snprintf(error, error_len, \"%s\", message);\n"
     << "  return 1;\n}\n\n"
     << target.createFunction(setup)
     << "int " << target.stepFunctionName()
     << "(void *instance, const attnc_step_args *host, char *error, size_t error_len) {\n"
     << "  Model &m = *static_cast<Model *>(instance);\n" << target.stepPrologue()
     << "  const int64_t T = a->num_tokens;\n  const int64_t N = a->num_logits;\n"
     << "  if (T <= 0 || T > kMaxBatchTokens || N < 0 || N > T)\n"
     << "    return fail(error, error_len, \"a step must carry 1 to max_batch_tokens tokens and at "
        "most as many logit rows\");\n"
     << body << target.stepEpilogue() << "}\n\n"
     << "void model_destroy(void *instance) { delete static_cast<Model *>(instance); }\n\n"
     << target.extraFunctions();
  // The descriptor.
  os << "const attnc_cache_group kGroups[] = {";
  for (int32_t w : model.groupWindows)
    os << "{" << std::max(w, 0) << "}, ";
  os << "};\nconst attnc_layer_cache kLayers[] = {\n";
  for (const CacheLayer &l : model.layers)
    os << llvm::formatv("  {{{0}, {1}, {2}, {3}, {4}, {5}},\n", l.group, l.kvHeads, l.headDim,
                        l.vHeadDim, l.elemBytes,
                        l.kvType == 1   ? "ATTNC_KV_INT8"
                        : l.kvType == 2 ? "ATTNC_KV_FP8_E4M3"
                                        : "ATTNC_KV_MODEL");
  os << "};\n\n} // namespace\n\n"
     << "extern \"C\" const attnc_model_desc *attnc_model_v1(void) {\n"
     << "  static const attnc_model_desc desc = {\n"
     << "      ATTNC_MODEL_ABI_VERSION, \"" << ATTNC_VERSION_STRING << "\", \"" << target.name()
     << "\",\n"
     << llvm::formatv("      kNumLayers, {0}, {1}, {2}, kPageSize, (int32_t)kMaxBatchTokens,\n",
                      model.vocabSize, model.hiddenSize, model.maxContext)
     << "      " << model.groupWindows.size() << ", kGroups, kLayers, kWeightsBytes,\n"
     << "      model_create, model_step, model_destroy, " << target.cacheAllocators() << ",\n"
     << "      " << target.features() << ", " << target.overlapFunctions() << "};\n"
     << "  return &desc;\n}\n";

  // model.h: what a service embedding the artifact includes.
  model.header = llvm::formatv(
      "// Generated by attnc {0} from {1}. Load libmodel.so with libattnrt "
      "(runtime/attnrt.h), or\n// call attnc_model_v1() directly (runtime/ModelABI.h).\n"
      "#pragma once\n#include \"runtime/ModelABI.h\"\n\n"
      "#define ATTNC_MODEL_NUM_LAYERS {2}\n#define ATTNC_MODEL_VOCAB_SIZE {3}\n"
      "#define ATTNC_MODEL_HIDDEN_SIZE {4}\n#define ATTNC_MODEL_MAX_CONTEXT {5}\n"
      "#define ATTNC_MODEL_PAGE_SIZE {6}\n\n"
      "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
      "const attnc_model_desc *attnc_model_v1(void);\n"
      "#ifdef __cplusplus\n}\n#endif\n",
      ATTNC_VERSION_STRING, options.modelName, model.layers.size(), model.vocabSize,
      model.hiddenSize, model.maxContext, pageSize).str();
  for (int32_t &w : model.groupWindows)
    w = std::max(w, 0);
  model.source = std::move(src);
  model.initializers = weightPlan.initializers();
  model.weightPlan = weightPlan.takePlan();
  return std::move(model);
}

} // namespace

FailureOr<EmittedModel> emitStepModel(func::FuncOp step, const StepEmitOptions &options) {
  std::unique_ptr<TargetEmitter> target;
  if (options.target == "cpu") {
    if (options.dtype != "f32")
      return step.emitError() << "--dtype " << options.dtype
                              << " is not available for the CPU target (supported: f32)";
    target = makeCpuTarget();
  } else if (options.target == "cuda") {
    if (options.dtype != "f16" && options.dtype != "bf16" && options.dtype != "f32")
      return step.emitError() << "--dtype " << options.dtype
                              << " is not available for the CUDA target (supported: f16, bf16, f32)";
    target = makeCudaTarget(options.dtype);
  } else {
    return step.emitError() << "unknown target '" << options.target << "' (supported: cpu, cuda)";
  }
  FailureOr<EmittedModel> model = Emitter(step, options, *target).run();
  if (succeeded(model))
    model->sourceName = target->sourceName();
  return model;
}

} // namespace attnc::codegen
