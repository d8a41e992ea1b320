// A model library that computes nothing, for timing the runtime's own work
// per step (scheduling, block tables, sampling) with a real vocabulary: the
// 1.1B benchmark model's shape (22 layers, 32,000 tokens, pages of 16), and
// each logits row one-hot at (token id + 1) so that greedy decoding runs on.
// The step writes every logit, as a real model's copy does; built with
// -DNULL_MODEL_ARGMAX it sets ATTNC_FEATURE_ARGMAX and, when the engine asks,
// writes the greedy tokens instead (as a device model that computes them on
// the GPU). Build and time it (bench/README.md, "The runtime's own time per
// step").
#include "runtime/ModelABI.h"
#include "runtime/Version.h"

#include <cstdint>
#include <cstring>

namespace {

constexpr int32_t kLayers = 22, kVocab = 32000, kPageSize = 16;
constexpr uint64_t kWeightsBytes = 64;

const attnc_cache_group kGroups[] = {{0}};
// One full-attention group; 4 kv heads of 64 in f16, as the 1.1B model.
constexpr attnc_layer_cache kLayer = {0, 4, 64, 64, 2, ATTNC_KV_MODEL};
const attnc_layer_cache kLayerCaches[kLayers] = {
    kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer,
    kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer, kLayer};

int create(const void *, uint64_t, int32_t, void **instance, char *, size_t) {
  static int token;
  *instance = &token;
  return 0;
}

int step(void *, const attnc_step_args *a, char *, size_t) {
  if (a->argmax) {
    for (int32_t r = 0; r < a->num_logits; ++r)
      a->argmax[r] = (a->token_ids[a->logit_tokens[r]] + 1) % kVocab;
    return 0;
  }
  for (int32_t r = 0; r < a->num_logits; ++r) {
    float *row = a->logits + static_cast<size_t>(r) * kVocab;
    std::memset(row, 0, sizeof(float) * kVocab);
    row[(a->token_ids[a->logit_tokens[r]] + 1) % kVocab] = 1.0f;
  }
  return 0;
}

void destroy(void *) {}

const attnc_model_desc kDesc = {
    ATTNC_MODEL_ABI_VERSION, ATTNC_VERSION_STRING, "cpu", kLayers, kVocab,
    /*hidden_size=*/2048, /*max_context=*/2048, kPageSize, /*max_batch_tokens=*/2048, 1, kGroups,
    kLayerCaches, kWeightsBytes, create, step, destroy, /*alloc_cache=*/nullptr,
#ifdef NULL_MODEL_ARGMAX
    /*free_cache=*/nullptr, ATTNC_FEATURE_ARGMAX};
#else
    /*free_cache=*/nullptr, /*features=*/0u};
#endif

} // namespace

extern "C" __attribute__((visibility("default"))) const attnc_model_desc *attnc_model_v1(void) {
  return &kDesc;
}
