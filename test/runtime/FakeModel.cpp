// A stand-in for an attnc-generated libmodel.so, for the engine tests.
//
// It keeps the ABI's paged layout for real: each token appends, in every
// layer, K = (token id, position) and V = a hash of (token, position, layer,
// weights seed) to the page its block table names. The logits of a token are
// a hash over every K/V entry its query can see (all earlier positions for
// full-attention layers, the last `window` for windowed ones), read back
// through the block tables. So a wrong page, a page released too early, a
// stale entry, a wrong position or a wrong window changes the generated
// tokens, and reads of released (-1) or mislabelled slots fail the step.
// A sequence that starts with tokens (kVocab - 2, kVocab - 1) gets a NaN at
// index 5 of every logits row past position 0 (the tests' broken model). The
// device flavour answers greedy rows through attnc_step_args.argmax and
// overlaps steps (submit / finish, token_source).
#include "runtime/ModelABI.h"
#include "runtime/Version.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

constexpr int32_t kVocab = 64;
constexpr int32_t kLayers = 3;
constexpr int32_t kPageSize = 4;
constexpr int32_t kWindow = 6;
constexpr uint64_t kWeightsBytes = 4096;

const attnc_cache_group kGroups[] = {{0}, {kWindow}};
// Full, windowed, full: like Gemma-2's alternating layers.
const attnc_layer_cache kLayerCaches[kLayers] = {
    {0, 1, 2, 1, 4}, {1, 1, 2, 1, 4}, {0, 1, 2, 1, 4}};

struct Instance {
  uint64_t seed;
};

int argmaxRows = 0; // rows answered through attnc_step_args.argmax

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

int fail(char *error, size_t len, const std::string &message) {
  std::snprintf(error, len, "%s", message.c_str());
  return 1;
}

// Slot pointers inside a page of layer l (K: [page][1][2] u32, V: [page][1][1] u32).
uint32_t *keySlot(void *layerBase, int32_t page, int32_t slot) {
  uint8_t *base = static_cast<uint8_t *>(layerBase) + static_cast<size_t>(page) * kPageSize * 3 * 4;
  return reinterpret_cast<uint32_t *>(base) + slot * 2;
}
uint32_t *valueSlot(void *layerBase, int32_t page, int32_t slot) {
  uint8_t *base = static_cast<uint8_t *>(layerBase) + static_cast<size_t>(page) * kPageSize * 3 * 4;
  return reinterpret_cast<uint32_t *>(base) + kPageSize * 2 + slot;
}

int create(const void *weights, uint64_t bytes, int32_t threads, void **instance, char *error,
           size_t len) {
  if (bytes != kWeightsBytes)
    return fail(error, len, "fake model: weights are " + std::to_string(bytes) + " bytes");
  if (threads <= 0)
    return fail(error, len, "fake model: threads " + std::to_string(threads));
  uint64_t seed;
  std::memcpy(&seed, weights, sizeof seed);
  *instance = new Instance{seed};
  return 0;
}

int step(void *opaque, const attnc_step_args *a, char *error, size_t len) {
  const Instance &self = *static_cast<Instance *>(opaque);
  // Poison token: lets tests make a step fail on purpose.
  for (int32_t i = 0; i < a->num_tokens; ++i)
    if (a->token_ids[i] == kVocab - 1 && a->positions[i] == 0)
      return fail(error, len, "fake model: poisoned prompt");
  if (a->query_start[0] != 0 || a->query_start[a->num_seqs] != a->num_tokens)
    return fail(error, len, "fake model: query_start does not cover the tokens");

  // Append every token's K/V first: a query reads keys of its own chunk.
  for (int32_t s = 0; s < a->num_seqs; ++s) {
    int32_t begin = a->query_start[s], end = a->query_start[s + 1];
    if (end <= begin)
      return fail(error, len, "fake model: empty sequence in the step");
    if (a->positions[end - 1] + 1 != a->context_len[s])
      return fail(error, len, "fake model: context_len does not follow the positions");
    for (int32_t i = begin; i < end; ++i) {
      int32_t pos = a->positions[i];
      if (i > begin && pos != a->positions[i - 1] + 1)
        return fail(error, len, "fake model: positions are not consecutive");
      if (a->token_ids[i] < 0 || a->token_ids[i] >= kVocab)
        return fail(error, len, "fake model: token id out of range");
      if (pos / kPageSize >= a->blocks_per_seq)
        return fail(error, len, "fake model: block table too short");
      for (int32_t l = 0; l < kLayers; ++l) {
        int32_t page = a->block_tables[kLayerCaches[l].group][s * a->blocks_per_seq + pos / kPageSize];
        if (page < 0)
          return fail(error, len, "fake model: append into a released page");
        uint32_t *key = keySlot(a->layer_cache[l], page, pos % kPageSize);
        key[0] = static_cast<uint32_t>(a->token_ids[i]);
        key[1] = static_cast<uint32_t>(pos);
        *valueSlot(a->layer_cache[l], page, pos % kPageSize) = static_cast<uint32_t>(
            mix(self.seed ^ (static_cast<uint64_t>(a->token_ids[i]) << 32) ^
                (static_cast<uint64_t>(pos) << 8) ^ static_cast<uint64_t>(l)));
      }
    }
  }

  for (int32_t r = 0; r < a->num_logits; ++r) {
    int32_t i = a->logit_tokens[r];
    if (i < 0 || i >= a->num_tokens)
      return fail(error, len, "fake model: logit token out of range");
    int32_t s = 0;
    while (a->query_start[s + 1] <= i)
      ++s;
    int32_t q = a->positions[i];
    uint64_t h = self.seed;
    bool nanRow = q >= 1; // the NaN poison: tokens (kVocab - 2, kVocab - 1) at positions 0, 1
    for (int32_t l = 0; l < kLayers; ++l) {
      int32_t window = kGroups[kLayerCaches[l].group].window;
      int32_t first = window ? (q - window + 1 > 0 ? q - window + 1 : 0) : 0;
      uint64_t sum = 0;
      for (int32_t j = first; j <= q; ++j) {
        int32_t page = a->block_tables[kLayerCaches[l].group][s * a->blocks_per_seq + j / kPageSize];
        if (page < 0)
          return fail(error, len, "fake model: read of a released page (layer " +
                                      std::to_string(l) + ", position " + std::to_string(j) + ")");
        const uint32_t *key = keySlot(a->layer_cache[l], page, j % kPageSize);
        if (key[1] != static_cast<uint32_t>(j))
          return fail(error, len, "fake model: slot of position " + std::to_string(j) +
                                      " holds position " + std::to_string(key[1]));
        sum += mix((static_cast<uint64_t>(key[0]) << 32) ^ *valueSlot(a->layer_cache[l], page, j % kPageSize) ^
                   static_cast<uint64_t>(j) << 20);
        if (l == 0 && j <= 1 && key[0] != static_cast<uint32_t>(kVocab - 2 + j))
          nanRow = false; // layer 0 is a full-attention one: it sees positions 0 and 1
      }
      h = mix(h ^ sum ^ static_cast<uint64_t>(l) << 56);
    }
    float row[kVocab];
    for (int32_t v = 0; v < kVocab; ++v)
      row[v] = static_cast<float>((mix(h ^ static_cast<uint64_t>(v) * 0x9e3779b97f4a7c15ull) >> 40) & 0xffff) / 4096.0f;
    if (nanRow)
      row[5] = NAN;
    if (a->argmax) { // ATTNC_FEATURE_ARGMAX (the device flavour only): as ModelABI.h says
      int32_t best = INT32_MIN;
      for (int32_t v = 0; v < kVocab; ++v) {
        if (std::isnan(row[v]) || row[v] == INFINITY) {
          best = -1 - v;
          break;
        }
        if (row[v] != -INFINITY && (best == INT32_MIN || row[v] > row[best]))
          best = v;
      }
      a->argmax[r] = best;
      ++argmaxRows;
    } else {
      std::memcpy(a->logits + static_cast<size_t>(r) * kVocab, row, sizeof row);
    }
  }
  return 0;
}

#ifdef ATTNRT_FAKE_MODEL_OWNS_CACHE
// The device-model flavour (built as libattnrt-fakemodel-owncache.so): the
// instance allocates the KV pools (host memory standing in for device
// memory), zero-filled and counted, so the engine tests see that the runtime
// uses them, hands them back, and frees them before destroying the instance.
int liveCaches = 0;

int allocCache(void *instance, uint64_t bytes, void **base, char *error, size_t len) {
  if (!instance)
    return fail(error, len, "fake model: alloc_cache without an instance");
  *base = std::calloc(1, bytes);
  if (!*base)
    return fail(error, len, "fake model: out of memory");
  ++liveCaches;
  return 0;
}

void freeCache(void *instance, void *base) {
  if (instance && base) {
    std::free(base);
    --liveCaches;
  }
}

// Overlapped steps (ATTNC_FEATURE_OVERLAP): submit runs the step at once,
// as a device would in queue order, but its results reach the caller's
// destination only at finish; tokens named by token_source come from the
// greedy tokens of the step submitted before, never from token_ids.
struct Queued {
  int rc = 0;
  std::string message;
  int32_t rows = 0;
  bool argmax = false;
  float *logits = nullptr;
  int32_t *argmaxDst = nullptr;
  std::vector<float> logitsOut;
  std::vector<int32_t> argmaxOut;
};
std::deque<Queued> queued;            // submitted, not finished
std::vector<int32_t> previousArgmax;  // greedy tokens of the step submitted last
bool previousHadArgmax = false;

int submit(void *opaque, const attnc_step_args *a, char *error, size_t len) {
  if (queued.size() == 2)
    return fail(error, len, "fake model: a third step submitted before finish");
  std::vector<int32_t> ids(a->token_ids, a->token_ids + a->num_tokens);
  if (a->token_source)
    for (int32_t t = 0; t < a->num_tokens; ++t) {
      const int32_t row = a->token_source[t];
      if (row < -1 || (row >= 0 && (!previousHadArgmax ||
                                    row >= static_cast<int32_t>(previousArgmax.size()))))
        return fail(error, len, "fake model: token_source names no greedy token of the step before");
      if (row >= 0)
        ids[t] = previousArgmax[row] < 0 ? 0 : previousArgmax[row];
    }
  Queued q;
  q.rows = a->num_logits;
  q.argmax = a->argmax != nullptr;
  q.logits = a->logits;
  q.argmaxDst = a->argmax;
  q.logitsOut.resize(q.argmax ? 0 : static_cast<size_t>(q.rows) * kVocab);
  q.argmaxOut.resize(q.argmax ? q.rows : 0);
  attnc_step_args run = *a;
  run.token_ids = ids.data();
  run.logits = q.argmax ? nullptr : q.logitsOut.data();
  run.argmax = q.argmax ? q.argmaxOut.data() : nullptr;
  char message[512] = {0};
  q.rc = step(opaque, &run, message, sizeof message);
  q.message = message;
  previousHadArgmax = q.argmax && q.rc == 0;
  previousArgmax = q.argmaxOut;
  queued.push_back(std::move(q));
  return 0;
}

int finish(void *, char *error, size_t len) {
  if (queued.empty())
    return fail(error, len, "fake model: finish without a submitted step");
  Queued q = std::move(queued.front());
  queued.pop_front();
  if (q.rc != 0)
    return fail(error, len, q.message);
  if (q.argmax)
    std::copy(q.argmaxOut.begin(), q.argmaxOut.end(), q.argmaxDst);
  else
    std::copy(q.logitsOut.begin(), q.logitsOut.end(), q.logits);
  return 0;
}

int submitAndFinish(void *opaque, const attnc_step_args *a, char *error, size_t len) {
  return submit(opaque, a, error, len) ? 1 : finish(opaque, error, len);
}

void destroy(void *instance) {
  if (!queued.empty())
    std::fprintf(stderr, "fake model: destroyed with %zu steps not finished\n", queued.size());
  queued.clear();
  if (liveCaches != 0)
    std::fprintf(stderr, "fake model: destroyed with %d KV pools still allocated\n", liveCaches);
  delete static_cast<Instance *>(instance);
}

const attnc_model_desc kDesc = {
    ATTNC_MODEL_ABI_VERSION, ATTNC_VERSION_STRING, "cuda",
    kLayers, kVocab, /*hidden_size=*/8, /*max_context=*/96, kPageSize,
    /*max_batch_tokens=*/32, 2, kGroups, kLayerCaches, kWeightsBytes,
    create, submitAndFinish, destroy, allocCache, freeCache,
    ATTNC_FEATURE_ARGMAX | ATTNC_FEATURE_OVERLAP, submit, finish};
#else
void destroy(void *instance) { delete static_cast<Instance *>(instance); }

const attnc_model_desc kDesc = {
    ATTNC_MODEL_ABI_VERSION, ATTNC_VERSION_STRING, "cpu",
    kLayers, kVocab, /*hidden_size=*/8, /*max_context=*/96, kPageSize,
    /*max_batch_tokens=*/32, 2, kGroups, kLayerCaches, kWeightsBytes,
    create, step, destroy, /*alloc_cache=*/nullptr, /*free_cache=*/nullptr, /*features=*/0u,
    /*submit=*/nullptr, /*finish=*/nullptr};
#endif

} // namespace

#ifdef ATTNRT_FAKE_MODEL_OWNS_CACHE
// KV pools allocated and not yet freed, for the tests.
extern "C" __attribute__((visibility("default"))) int attnrt_fake_live_caches(void) {
  return liveCaches;
}
#endif

// Logits rows the engine took as greedy tokens (attnc_step_args.argmax).
extern "C" __attribute__((visibility("default"))) int attnrt_fake_argmax_rows(void) {
  return argmaxRows;
}

extern "C" __attribute__((visibility("default"))) const attnc_model_desc *attnc_model_v1(void) {
  return &kDesc;
}
