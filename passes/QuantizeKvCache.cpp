// attn-quantize-kv-cache: every layer's KV cache stored quantized.
//
//   attn.paged_attention / attn.flash_attention {...}
//     -> the same op {..., kv_cache_type = #attn<kv_cache_type int8>}
//
// The attribute is all the IR says: the appends quantize each (token, kv
// head) vector as they write it and the attention dequantizes as it loads a
// tile, in runtime/QuantizedKV.h's layout and rounding, on both targets. The
// activations, the step's new K/V and the arithmetic stay in the model's
// type. Scales are per token and head because the cache is written one token
// at a time: a per-tensor scale would have to be known before the first
// token, and one outlier token would coarsen every other.
#include "passes/Passes.h"

#include "dialects/Attention/AttnOps.h"

namespace attnc {

#define GEN_PASS_DEF_QUANTIZEKVCACHE
#include "passes/Passes.h.inc"

std::optional<attnrt::KvType> parseKvCacheType(llvm::StringRef name) {
  if (name == "int8")
    return attnrt::KvType::Int8;
  if (name == "fp8" || name == "fp8_e4m3")
    return attnrt::KvType::Fp8E4M3;
  return std::nullopt;
}

static_assert(static_cast<int>(attn::KvCacheType::int8) == static_cast<int>(attnrt::KvType::Int8) &&
                  static_cast<int>(attn::KvCacheType::fp8_e4m3) ==
                      static_cast<int>(attnrt::KvType::Fp8E4M3),
              "the dialect's kv_cache_type values are runtime/QuantizedKV.h's KvType codes");

namespace {

struct QuantizeKvCachePass : impl::QuantizeKvCacheBase<QuantizeKvCachePass> {
  using QuantizeKvCacheBase::QuantizeKvCacheBase;

  void runOnOperation() override {
    std::optional<attnrt::KvType> type = parseKvCacheType(kvType);
    if (!type) {
      getOperation().emitError() << "attn-quantize-kv-cache: unknown KV-cache type '" << kvType
                                 << "' (supported: " << kKvCacheTypes << ")";
      return signalPassFailure();
    }
    auto attr = attn::KvCacheTypeAttr::get(&getContext(),
                                           static_cast<attn::KvCacheType>(static_cast<int>(*type)));
    getOperation().walk([&](mlir::Operation *op) {
      if (auto paged = mlir::dyn_cast<attn::PagedAttentionOp>(op))
        paged.setKvCacheTypeAttr(attr);
      else if (auto flash = mlir::dyn_cast<attn::FlashAttentionOp>(op))
        flash.setKvCacheTypeAttr(attr);
    });
  }
};

} // namespace
} // namespace attnc
