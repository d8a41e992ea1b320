// manifest.json: what an artifact directory holds and how it was built.
//
// Schema (all keys required unless marked optional):
//   {
//     "attnc_version": "0.1.0",        // string; must equal ATTNC_VERSION_STRING
//     "abi_version": 1,                // integer; must equal ATTNC_MODEL_ABI_VERSION
//     "target": "cpu",                 // "cpu" | "cuda"
//     "dtype": "f32",                  // string: activation / weight dtype (f32, f16, bf16, ...)
//     "architecture": {
//       "name": "llama",               // optional string, informational
//       "num_layers": 2, "hidden_size": 64, "num_heads": 4, "num_kv_heads": 2,
//       "head_dim": 16, "vocab_size": 256, "max_context": 512   // positive integers
//     },
//     "page_size": 16,                 // positive integer: tokens per KV page
//     "max_batch_tokens": 256,         // positive integer: tokens per step
//     "cache_groups": [ {"window": 0}, {"window": 4096} ],  // non-empty; window >= 0, 0 = full
//     "layers": [                      // one per layer (num_layers entries)
//       {"group": 0, "kv_heads": 2, "head_dim": 16, "v_head_dim": 16, "elem_bytes": 4,
//        "kv_type": "model"}   // "model" | "int8" | "fp8_e4m3" (elem_bytes 1; page layout
//                              // runtime/QuantizedKV.h); optional, default "model"
//     ],
//     "weights": {"file": "weights.bin", "bytes": 123456,
//                 "xxh3_64": "0123456789abcdef",   // XXH3-64 of the file, 16 lower-case hex digits
//                 "stripped": true}  // optional, default false: compiled with
//                                    // --strip-weights and not packed yet, so the
//                                    // file is absent and xxh3_64 is all zeros
//                                    // (`attnc pack` writes both, drops the key)
//     "compile_options": { ... }       // free-form object (how attnc was invoked)
//   }
// Unknown keys are ignored, so later versions may add keys; a change that
// breaks readers must bump attnc_version.
#pragma once

#include "runtime/ModelABI.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnrt {

struct ManifestArchitecture {
  std::string name; // optional
  std::int32_t numLayers = 0;
  std::int32_t hiddenSize = 0;
  std::int32_t numHeads = 0;
  std::int32_t numKvHeads = 0;
  std::int32_t headDim = 0;
  std::int32_t vocabSize = 0;
  std::int32_t maxContext = 0;
};

struct ManifestWeights {
  std::string file = "weights.bin"; // relative to the artifact directory
  std::uint64_t bytes = 0;
  std::uint64_t xxh3 = 0;           // written as 16 hex digits
  bool stripped = false;            // no weights yet: run the packer
};

struct Manifest {
  std::string attncVersion;
  std::uint32_t abiVersion = 0;
  std::string target;               // "cpu" or "cuda"
  std::string dtype;
  ManifestArchitecture architecture;
  std::int32_t pageSize = 0;
  std::int32_t maxBatchTokens = 0;
  std::vector<attnc_cache_group> cacheGroups;
  std::vector<attnc_layer_cache> layers;
  ManifestWeights weights;
  std::string compileOptionsJson = "{}"; // a JSON object, kept as text
};

// Parses manifest text. `fileName` only names the source in messages. Checks
// attnc_version and abi_version first, against this runtime, so an artifact
// from another version gets a version error (ErrorCode::Version) rather than a
// complaint about some key; then every key and value above (ErrorCode::Corrupt,
// message naming the file and the key path, e.g. "layers[2].group").
Manifest parseManifest(const std::string &text, const std::string &fileName);
// Reads and parses a manifest file (ErrorCode::Io when it cannot be read).
Manifest loadManifest(const std::string &path);
// The path of `file` (manifest.json, libmodel.so, weights.bin, ...) in the
// artifact directory `dir`.
std::string artifactPath(const std::string &dir, const std::string &file);
// Serializes to pretty-printed JSON (2-space indent, trailing newline) that
// parseManifest accepts. Does not throw for a manifest that satisfies the
// schema; compileOptionsJson that is not a JSON object is written as {}.
std::string serializeManifest(const Manifest &manifest);

// "0123456789abcdef" form of a 64-bit checksum, and back (false if malformed).
std::string formatXxh3(std::uint64_t value);
bool parseXxh3(const std::string &text, std::uint64_t &value);

} // namespace attnrt
