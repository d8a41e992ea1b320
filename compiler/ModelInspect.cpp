#include "compiler/ModelInspect.h"

#include "compiler/Compile.h"

#include "dialects/Attention/AttnOps.h"
#include "dialects/Onnx/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {
namespace {

// Ops that only move or re-view data: tracing a value to the op that
// computed it looks through them.
bool isLayoutOp(Operation *op) {
  return isa<od::TransposeOp, od::ReshapeOp, od::UnsqueezeOp, od::SqueezeOp,
             od::IdentityOp, od::CastOp, od::SliceOp, od::SplitOp, od::ExpandOp>(op);
}

// The nearest producer of `v` of type OpTy, looking through layout ops and
// through the ops in `passThrough` (e.g. the rope between a linear and the
// attention).
template <typename OpTy, typename... PassThrough>
OpTy findProducer(Value v) {
  for (int depth = 0; v && depth < 32; ++depth) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return nullptr;
    if (auto match = dyn_cast<OpTy>(def))
      return match;
    if (isLayoutOp(def) || isa<PassThrough...>(def)) {
      v = def->getOperand(0);
      continue;
    }
    return nullptr;
  }
  return nullptr;
}

const char *attentionKind(int64_t heads, int64_t kvHeads) {
  if (heads == kvHeads)
    return "MHA";
  return kvHeads == 1 ? "MQA" : "GQA";
}

llvm::json::Value optionalNumber(double v) {
  return v == 0 ? llvm::json::Value(nullptr) : llvm::json::Value(v);
}

int64_t elementBytes(Type t) {
  return (getElementTypeOrSelf(t).getIntOrFloatBitWidth() + 7) / 8;
}

} // namespace

llvm::json::Object inspectModel(ModuleOp module, attnrt::KvType kvType) {
  llvm::json::Object report;
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return report;

  llvm::json::Array layers;
  int64_t kvBytesPerToken = 0;
  func.walk([&](attn::AttentionOp attention) {
    int64_t heads = attention.getNumHeads(), kvHeads = attention.getNumKvHeads();
    int64_t headDim = attention.getHeadDim();
    auto value = cast<ShapedType>(attention.getValue().getType());
    int64_t vHeadDim = value.hasRank() && !value.isDynamicDim(3) ? value.getDimSize(3) : headDim;
    kvBytesPerToken +=
        attnrt::kvquant::token_bytes(kvType, kvHeads, headDim, vHeadDim, elementBytes(value));

    llvm::json::Object layer{
        {"layer", int64_t(layers.size())},
        {"attention", attentionKind(heads, kvHeads)},
        {"num_heads", heads},
        {"num_kv_heads", kvHeads},
        {"head_dim", headDim},
        {"scale", double(attention.getScale().convertToFloat())},
        {"causal", attention.getCausal()},
        {"window", attention.getWindow() ? llvm::json::Value(int64_t(attention.getWindow()))
                                         : llvm::json::Value(nullptr)},
        {"softcap", optionalNumber(attention.getSoftcap().convertToFloat())},
        {"padding_mask", bool(attention.getKeyPaddingMask())},
    };

    // RoPE, q/k norm and the layer's input norm, traced from the query.
    Value query = attention.getQuery();
    auto rope = findProducer<attn::RopeOp, attn::RmsNormOp>(query);
    if (rope) {
      llvm::json::Object ropeInfo{{"style", attn::stringifyRopeStyle(rope.getStyle())},
                                  {"rotary_dim", int64_t(rope.getRotaryDim())}};
      if (auto theta = rope.getTheta())
        ropeInfo["theta"] = double(theta->convertToFloat());
      layer["rope"] = std::move(ropeInfo);
    } else {
      layer["rope"] = nullptr;
    }
    auto qkNorm = findProducer<attn::RmsNormOp, attn::RopeOp>(query);
    layer["qk_norm"] = bool(qkNorm);
    auto projection = findProducer<attn::LinearOp, attn::RopeOp, attn::RmsNormOp>(query);
    const char *norm = nullptr;
    if (projection) {
      // GPT-2's Gemm projections see the norm through a flattening Reshape.
      if (findProducer<attn::RmsNormOp>(projection.getX()))
        norm = "rms";
      else if (findProducer<attn::LayerNormOp>(projection.getX()))
        norm = "layer";
    }
    layer["norm"] = norm ? llvm::json::Value(norm) : llvm::json::Value(nullptr);
    layers.push_back(std::move(layer));
  });

  // Parameters: every constant an attn op reads directly, counted once
  // (tied embeddings share one table); a pre-quantized linear counts its
  // in x out weights, not the codes, scales and zero points it stores.
  llvm::DenseSet<Operation *> weights, quantizedStorage;
  std::map<std::string, int64_t> schemes; // "w4g32a" -> linears
  int64_t hidden = 0, vocab = 0, quantizedParameters = 0;
  func.walk([&](attn::QuantizedLinearOp q) {
    quantizedParameters += q.getInFeatures() * q.getOutFeatures();
    std::string scheme = "w" + std::to_string(q.getBits());
    if (q.getGroupSize())
      scheme += "g" + std::to_string(q.getGroupSize()) + (q.getZeros() ? "a" : "");
    ++schemes[scheme];
    // Its stored operands and the weight transforms and constants they come from.
    SmallVector<Value> pending{q.getValues(), q.getScales()};
    if (q.getZeros())
      pending.push_back(q.getZeros());
    while (!pending.empty()) {
      Operation *def = pending.pop_back_val().getDefiningOp();
      if (!def || !quantizedStorage.insert(def).second || isa<od::ConstantOp>(def))
        continue;
      llvm::append_range(pending, def->getOperands());
    }
  });
  func.walk([&](Operation *op) {
    if (!isa<attn::AttnDialect>(op->getDialect()) || quantizedStorage.count(op))
      return;
    for (Value operand : op->getOperands())
      if (auto constant = operand.getDefiningOp<od::ConstantOp>();
          constant && !quantizedStorage.count(constant))
        weights.insert(constant);
    if (auto embedding = dyn_cast<attn::EmbeddingOp>(op)) {
      auto table = cast<ShapedType>(embedding.getTable().getType());
      if (!vocab && table.hasStaticShape()) {
        vocab = table.getDimSize(0);
        hidden = table.getDimSize(1);
      }
    }
  });
  int64_t parameters = quantizedParameters;
  for (Operation *w : weights)
    parameters += cast<ShapedType>(w->getResult(0).getType()).getNumElements();

  int64_t unraisedSoftmax = 0;
  func.walk([&](od::SoftmaxOp) { ++unraisedSoftmax; });

  report["layers"] = int64_t(layers.size());
  report["hidden_size"] = hidden;
  report["vocab_size"] = vocab;
  report["parameters"] = parameters;
  // Linears the model brings quantized (MatMulNBits, DequantizeLinear), by scheme.
  llvm::json::Object quantized;
  for (const auto &[scheme, count] : schemes)
    quantized[scheme] = count;
  report["quantized_linears"] = std::move(quantized);
  // The cache as `attnc compile` lays it out by default (page size) or with
  // --kv-cache (codes and per-token scales: runtime/QuantizedKV.h).
  const int64_t pageSize = CompileOptions().pageSize;
  report["kv_cache_type"] = attnrt::kvquant::kv_type_name(kvType);
  report["kv_cache_bytes_per_token"] = kvBytesPerToken;
  report["page_size"] = pageSize;
  report["kv_cache_bytes_per_page"] = kvBytesPerToken * pageSize; // all layers
  report["unraised_softmax"] = unraisedSoftmax;
  report["layer_info"] = std::move(layers);
  return report;
}

void printInspectReport(const llvm::json::Object &report, llvm::StringRef modelPath,
                        llvm::raw_ostream &os) {
  auto num = [&](llvm::StringRef key) { return report.getInteger(key).value_or(0); };
  os << "model: " << modelPath << "\n"
     << "layers: " << num("layers") << "  hidden: " << num("hidden_size")
     << "  vocab: " << num("vocab_size") << "  parameters: " << num("parameters")
     << "  KV cache (" << report.getString("kv_cache_type").value_or("model")
     << "): " << num("kv_cache_bytes_per_token") << " bytes/token, "
     << num("kv_cache_bytes_per_page") << " bytes per page of " << num("page_size")
     << " tokens\n";
  if (const llvm::json::Object *quantized = report.getObject("quantized_linears");
      quantized && !quantized->empty()) {
    int64_t total = 0;
    std::string each;
    std::vector<std::string> names;
    for (const auto &entry : *quantized)
      names.push_back(entry.first.str());
    std::sort(names.begin(), names.end());
    for (const std::string &name : names) {
      int64_t count = quantized->getInteger(name).value_or(0);
      total += count;
      each += (each.empty() ? "" : ", ") + name + " " + std::to_string(count);
    }
    os << "quantized linears (pre-quantized in the model): " << total << " (" << each << ")\n";
  }
  if (num("unraised_softmax"))
    os << "warning: " << num("unraised_softmax")
       << " softmax ops were not raised to attn.attention\n";
  const llvm::json::Array *layers = report.getArray("layer_info");
  if (!layers)
    return;
  os << llvm::format("%-5s %-4s %5s %5s %5s %7s %7s %-22s %-5s %-5s\n", "layer", "kind",
                     "heads", "kv", "hdim", "window", "softcap", "rope", "qknrm", "norm");
  for (const llvm::json::Value &entry : *layers) {
    const llvm::json::Object &l = *entry.getAsObject();
    std::string rope = "none";
    if (const llvm::json::Object *r = l.getObject("rope")) {
      rope = (r->getString("style").value_or("?") + "/" +
              std::to_string(r->getInteger("rotary_dim").value_or(0)))
                 .str();
      if (auto theta = r->getNumber("theta"))
        rope += "/" + std::to_string(int64_t(*theta));
    }
    auto window = l.getInteger("window");
    auto softcap = l.getNumber("softcap");
    os << llvm::format("%-5lld %-4s %5lld %5lld %5lld %7s %7s %-22s %-5s %-5s\n",
                       (long long)l.getInteger("layer").value_or(0),
                       l.getString("attention").value_or("?").str().c_str(),
                       (long long)l.getInteger("num_heads").value_or(0),
                       (long long)l.getInteger("num_kv_heads").value_or(0),
                       (long long)l.getInteger("head_dim").value_or(0),
                       window ? std::to_string(*window).c_str() : "-",
                       softcap ? std::to_string(*softcap).substr(0, 6).c_str() : "-",
                       rope.c_str(), l.getBoolean("qk_norm").value_or(false) ? "yes" : "no",
                       l.getString("norm").value_or("-").str().c_str());
  }
}

} // namespace attnc
