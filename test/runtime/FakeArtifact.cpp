// Writes a fake artifact directory around libattnrt-fakemodel.so: the
// manifest is built from the model's own description, so it always agrees.
#include "runtime/Manifest.h"
#include "runtime/ModelABI.h"
#include "runtime/Version.h"
#include "runtime/WeightLoader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnrt_test {

const char *fakeModelPath() { return ATTNRT_FAKE_MODEL_PATH; }

attnrt::Manifest fakeManifest(const char *libraryPath) {
  void *handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw std::runtime_error(std::string("cannot load the fake model: ") + dlerror());
  auto entry = reinterpret_cast<attnc_model_entry_fn>(dlsym(handle, ATTNC_MODEL_ENTRY_SYMBOL));
  const attnc_model_desc &d = *entry();
  attnrt::Manifest m;
  m.attncVersion = attnrt::kAttncVersion;
  m.abiVersion = ATTNC_MODEL_ABI_VERSION;
  m.target = d.target;
  m.dtype = "f32";
  m.architecture.name = "fake";
  m.architecture.numLayers = d.num_layers;
  m.architecture.hiddenSize = d.hidden_size;
  m.architecture.numHeads = 1;
  m.architecture.numKvHeads = 1;
  m.architecture.headDim = 2;
  m.architecture.vocabSize = d.vocab_size;
  m.architecture.maxContext = d.max_context;
  m.pageSize = d.page_size;
  m.maxBatchTokens = d.max_batch_tokens;
  m.cacheGroups.assign(d.groups, d.groups + d.num_groups);
  m.layers.assign(d.layers, d.layers + d.num_layers);
  m.weights.bytes = d.weights_bytes;
  m.compileOptionsJson = R"({"fake": true})";
  dlclose(handle);
  return m;
}

// Creates `dir` with manifest.json, libmodel.so and weights.bin (bytes from
// `weightsSeed`); `ownsCache`: the device-model flavour, which allocates the
// KV pools itself. Throws std::runtime_error on I/O failure.
void writeFakeArtifact(const std::string &dir, std::uint64_t weightsSeed, bool ownsCache) {
  const char *library = ownsCache ? ATTNRT_FAKE_OWNCACHE_MODEL_PATH : ATTNRT_FAKE_MODEL_PATH;
  ::mkdir(dir.c_str(), 0755);
  attnrt::Manifest m = fakeManifest(library);
  std::vector<unsigned char> weights(m.weights.bytes);
  std::uint64_t state = weightsSeed * 0x9e3779b97f4a7c15ull + 1;
  for (unsigned char &byte : weights) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    byte = static_cast<unsigned char>(state >> 56);
  }
  m.weights.xxh3 = attnrt::weightsChecksum(weights.data(), weights.size());
  std::ofstream(dir + "/weights.bin", std::ios::binary)
      .write(reinterpret_cast<const char *>(weights.data()), static_cast<std::streamsize>(weights.size()));
  std::ofstream(dir + "/manifest.json") << attnrt::serializeManifest(m);
  std::ifstream model(library, std::ios::binary);
  std::ofstream copy(dir + "/libmodel.so", std::ios::binary);
  copy << model.rdbuf();
  if (!model || !copy)
    throw std::runtime_error("cannot write the fake artifact in " + dir);
}

} // namespace attnrt_test
