#include "compiler/Compile.h"

#include "codegen/StepEmitter.h"
#include "compiler/Import/OnnxImporter.h"
#include "compiler/Pipelines.h"
#include "passes/Passes.h"
#include "runtime/Manifest.h"
#include "runtime/ModelABI.h"
#include "runtime/Version.h"
#include "runtime/WeightLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

namespace attnc {
namespace {

// Where the generated code finds the runtime's headers and CPU kernel library:
// compiled in from the build, overridable for relocated installs.
std::string runtimeSetting(const char *env, const char *builtIn) {
  const char *value = std::getenv(env);
  return value && *value ? value : builtIn;
}

LogicalResult writeFile(const Twine &path, StringRef bytes, Location loc) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path.str(), ec, llvm::sys::fs::OF_None);
  if (!ec) {
    os << bytes;
    os.close();
    ec = os.error();
  }
  if (ec)
    return emitError(loc) << "cannot write '" << path << "': " << ec.message();
  return success();
}

// Runs a compiler command, its output in DIR/build.log, which a failure quotes.
LogicalResult runBuild(StringRef dir, const std::string &program, ArrayRef<std::string> args,
                       StringRef what, Location loc) {
  std::string log = (dir + "/build.log").str();
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log), StringRef(log)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, argRefs, std::nullopt, redirects, 0, 0, &message);
  if (rc != 0) {
    auto logText = llvm::MemoryBuffer::getFile(log);
    InFlightDiagnostic diag = emitError(loc) << "building libmodel.so failed (" << what << " exit "
                                             << rc << (message.empty() ? "" : ": ") << message
                                             << ")";
    if (logText)
      diag << "\n" << (*logText)->getBuffer().take_front(4000);
    return failure();
  }
  return success();
}

// Builds libmodel.so from model.cpp with the system C++ compiler.
LogicalResult buildCpuLibrary(StringRef dir, Location loc) {
  std::string cxx = runtimeSetting("ATTNC_CXX", "c++");
  auto program = llvm::sys::findProgramByName(cxx);
  if (!program)
    return emitError(loc) << "no C++ compiler '" << cxx << "' on PATH (set ATTNC_CXX)";
  std::string include = runtimeSetting("ATTNC_RUNTIME_INCLUDE", ATTNC_RUNTIME_INCLUDE_DIR);
  std::string kernels = runtimeSetting("ATTNC_RUNTIME_CPU_LIB", ATTNC_RUNTIME_CPU_LIB);
  std::string arch = runtimeSetting("ATTNC_CPU_ARCH", "native");
  return runBuild(dir, *program,
                  {*program, "-std=c++17", "-O3", "-march=" + arch, "-fno-math-errno", "-fPIC",
                   "-shared", "-I" + include, "-I" + std::string(ATTNC_OPENBLAS_INCLUDE_DIR),
                   (dir + "/model.cpp").str(), "-o", (dir + "/libmodel.so").str(), kernels,
                   ATTNC_OPENBLAS_LIBRARY, "-lpthread"},
                  cxx, loc);
}

// Builds libmodel.so from model.cu with nvcc, warnings as errors, linking the
// CUDA kernel library (runtime/cuda, static) and cuBLASLt; the CUDA runtime
// is linked statically (nvcc's default), so the artifact needs only the
// driver and libcublasLt where it runs.
LogicalResult buildCudaLibrary(StringRef dir, Location loc) {
  std::string nvcc = runtimeSetting("ATTNC_NVCC", "nvcc");
  auto program = llvm::sys::findProgramByName(nvcc);
  if (!program)
    program = llvm::sys::findProgramByName(nvcc, {"/usr/local/cuda/bin"});
  if (!program || !llvm::sys::fs::can_execute(*program))
    return emitError(loc) << "no CUDA compiler '" << nvcc
                          << "' on PATH or in /usr/local/cuda/bin (set ATTNC_NVCC)";
  std::string include = runtimeSetting("ATTNC_RUNTIME_INCLUDE", ATTNC_RUNTIME_INCLUDE_DIR);
  std::string kernels = runtimeSetting("ATTNC_RUNTIME_CUDA_LIB", ATTNC_RUNTIME_CUDA_LIB);
  if (kernels.empty())
    return emitError(loc) << "this attnc was built without the CUDA kernel library; set "
                             "ATTNC_RUNTIME_CUDA_LIB to a libattnrt_cuda.a";
  // sm_90a (Hopper) first; sm_80 also compiles. ATTNC_CUDA_ARCH: e.g. "90a" or "80".
  std::string archList = runtimeSetting("ATTNC_CUDA_ARCH", "90a,80");
  SmallVector<std::string> args = {*program, "-std=c++17", "-O3", "-shared",
                                   "-Xcompiler=-fPIC,-Wall,-Wextra,-Werror",
                                   "--Werror=all-warnings", "-I" + include};
  SmallVector<StringRef> archs;
  StringRef(archList).split(archs, ',', -1, false);
  for (StringRef arch : archs)
    args.push_back(("--generate-code=arch=compute_" + arch + ",code=sm_" + arch).str());
  args.append({"-o", (dir + "/libmodel.so").str(), (dir + "/model.cu").str(), kernels,
               "-lcublasLt"});
  return runBuild(dir, *program, args, nvcc, loc);
}

bool isEmptyDirectory(const Twine &path) {
  std::error_code ec;
  llvm::sys::fs::directory_iterator it(path, ec);
  return !ec && it == llvm::sys::fs::directory_iterator();
}

std::string compileOptionsJson(const CompileOptions &o) {
  // "quantize" and "kv_cache" only when given: unquantized artifacts stay
  // byte-identical to those of earlier versions.
  return llvm::formatv("{{\"target\": \"{0}\", \"dtype\": \"{1}\", \"page_size\": {2}, "
                       "\"max_batch_tokens\": {3}, \"max_context\": {4}, "
                       "\"strip_weights\": {5}{6}{7}{8}{9}}",
                       o.target, o.dtype, o.pageSize, o.maxBatchTokens, o.maxContext,
                       o.stripWeights ? "true" : "false",
                       o.quantize.empty() ? std::string()
                                          : ", \"quantize\": \"" + o.quantize + "\"",
                       o.quantizeLmHead ? ", \"quantize_lm_head\": true" : "",
                       o.calibration.empty() ? "" : ", \"quantize_method\": \"gptq\"",
                       o.kvCache.empty() ? std::string()
                                         : ", \"kv_cache\": \"" + o.kvCache + "\"")
      .str();
}

} // namespace

LogicalResult compileModel(const std::string &modelPath, const CompileOptions &options,
                           MLIRContext &context) {
  Location loc = FileLineColLoc::get(&context, modelPath, 0, 0);
  if (options.target != "cpu" && options.target != "cuda")
    return emitError(loc) << "--target " << options.target << " is not supported (cpu, cuda)";
  if (options.target == "cpu" && options.dtype != "f32")
    return emitError(loc) << "--dtype " << options.dtype
                          << " is not available for the CPU target (supported: f32)";
  if (options.target == "cuda" && options.dtype != "f16" && options.dtype != "bf16" &&
      options.dtype != "f32")
    return emitError(loc) << "--dtype " << options.dtype
                          << " is not available for the CUDA target (supported: f16, bf16, f32)";
  if (options.pageSize <= 0 || options.pageSize > 1024 ||
      (options.pageSize & (options.pageSize - 1)) != 0)
    return emitError(loc) << "--page-size must be a power of two in [1, 1024], got "
                          << options.pageSize;
  if (options.maxBatchTokens <= 0 || options.maxBatchTokens > (1 << 20))
    return emitError(loc) << "--max-batch-tokens must be in [1, 1048576], got "
                          << options.maxBatchTokens;
  if (options.outputDir.empty())
    return emitError(loc) << "no output directory (-o DIR)";
  if (!options.quantize.empty() && !parseQuantizationScheme(options.quantize))
    return emitError(loc) << "--quantize " << options.quantize
                          << " is not a known scheme (supported: " << kQuantizationSchemes << ")";
  if (options.quantizeLmHead && options.quantize.empty())
    return emitError(loc) << "--quantize-lm-head needs --quantize SCHEME";
  if (!options.calibration.empty() && options.quantize.empty())
    return emitError(loc) << "--calibration needs --quantize SCHEME (GPTQ quantizes the "
                             "weights against the statistics)";
  // Read before the work: a bad file fails the compile at once. A stripped
  // artifact evaluates no weight: its plan only records GPTQ, and `attnc pack
  // --calibration` reads the statistics where the weights are.
  attnrt::pack::Calibration calibration;
  if (!options.calibration.empty() && !options.stripWeights)
    if (attnrt::pack::Status s = attnrt::pack::readCalibration(options.calibration, calibration);
        !s.ok())
      return emitError(loc) << s.message();
  if (!options.kvCache.empty() && !parseKvCacheType(options.kvCache))
    return emitError(loc) << "--kv-cache " << options.kvCache
                          << " is not a known KV-cache type (supported: " << kKvCacheTypes << ")";

  ImportOptions importOptions;
  importOptions.allowMissingExternalData = options.stripWeights;
  OwningOpRef<ModuleOp> module = importOnnxModel(modelPath, context, importOptions);
  if (!module)
    return failure();
  PassManager pm(&context);
  buildRaisePipeline(pm);
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(createCheckRaised());
  InsertKVCacheOptions kvOptions;
  kvOptions.pageSize = options.pageSize;
  func.addPass(createInsertKVCache(kvOptions));
  // Right after the cache exists: tiling and the fused RoPE append keep the
  // attribute, and codegen sizes the pages by it.
  if (!options.kvCache.empty()) {
    QuantizeKvCacheOptions kvCache;
    kvCache.kvType = options.kvCache;
    func.addPass(createQuantizeKvCache(kvCache));
  }
  func.addPass(createFuseResidualNorm());
  FlashTilingOptions tiling;
  tiling.target = options.target;
  func.addPass(createFlashTiling(tiling));
  func.addPass(createFuseRopeKvAppend());
  // Last: the linears (fused projections included) are final, and the
  // lm_head is the linear the step's logits come from.
  if (!options.quantize.empty()) {
    QuantizeWeightsOptions quantization;
    quantization.scheme = options.quantize;
    quantization.includeLmHead = options.quantizeLmHead;
    func.addPass(createQuantizeWeights(quantization));
  }
  if (failed(pm.run(*module)))
    return failure();
  auto funcs = llvm::to_vector(module->getOps<func::FuncOp>());
  if (funcs.size() != 1)
    return emitError(loc) << "expected one function after raising, got " << funcs.size();

  codegen::StepEmitOptions emitOptions;
  emitOptions.modelName = llvm::sys::path::filename(modelPath).str();
  emitOptions.target = options.target;
  emitOptions.dtype = options.dtype;
  emitOptions.maxBatchTokens = options.maxBatchTokens;
  emitOptions.maxContext = options.maxContext;
  FailureOr<codegen::EmittedModel> model = codegen::emitStepModel(funcs.front(), emitOptions);
  if (failed(model))
    return failure();

  // Assemble in a fresh temporary directory beside the output, then rename.
  SmallString<256> outDir(options.outputDir);
  // Absolute, so the staging directory is created beside it (a relative
  // prefix would put it in the system's temporary directory).
  if (std::error_code ec = llvm::sys::fs::make_absolute(outDir))
    return emitError(loc) << "cannot resolve '" << options.outputDir << "': " << ec.message();
  llvm::sys::path::remove_dots(outDir, /*remove_dot_dot=*/true);
  SmallString<256> parent = llvm::sys::path::parent_path(outDir);
  if (parent.empty())
    parent = ".";
  if (std::error_code ec = llvm::sys::fs::create_directories(parent))
    return emitError(loc) << "cannot create '" << parent << "': " << ec.message();
  SmallString<256> staging;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(
          (parent + "/." + llvm::sys::path::filename(outDir) + ".partial").str(), staging))
    return emitError(loc) << "cannot create a staging directory in '" << parent
                          << "': " << ec.message();
  bool keepStaging = false;
  llvm::scope_exit cleanup([&] {
    if (!keepStaging)
      llvm::sys::fs::remove_directories(staging);
  });

  // weights.bin is the weight plan evaluated over the imported initializers:
  // the same evaluation `attnc pack` runs over the ONNX file.
  // With --calibration its quantize transforms are GPTQ's (the packer of a
  // stripped artifact then needs the same statistics).
  if (!options.calibration.empty())
    attnrt::pack::useGptq(model->weightPlan);
  const attnrt::pack::WeightPlan &plan = model->weightPlan;
  std::vector<uint8_t> weightBytes;
  if (!options.stripWeights) {
    weightBytes.resize(plan.weightsBytes);
    attnrt::pack::Status status = attnrt::pack::evaluatePlan(
        plan, *model->initializers, weightBytes.data(), weightBytes.size(),
        options.calibration.empty() ? nullptr : &calibration);
    if (!status.ok())
      return emitError(loc) << "cannot build the weights: " << status.message();
  }
  StringRef weights(reinterpret_cast<const char *>(weightBytes.data()), weightBytes.size());
  StringRef inlineWeights(reinterpret_cast<const char *>(plan.inlineData.data()),
                          plan.inlineData.size());
  attnrt::Manifest manifest;
  manifest.attncVersion = ATTNC_VERSION_STRING;
  manifest.abiVersion = ATTNC_MODEL_ABI_VERSION;
  manifest.target = options.target;
  manifest.dtype = options.dtype;
  manifest.architecture.name = emitOptions.modelName;
  manifest.architecture.numLayers = model->layers.size();
  manifest.architecture.hiddenSize = model->hiddenSize;
  manifest.architecture.numHeads = model->numHeads;
  manifest.architecture.numKvHeads = model->numKvHeads;
  manifest.architecture.headDim = model->headDim;
  manifest.architecture.vocabSize = model->vocabSize;
  manifest.architecture.maxContext = model->maxContext;
  manifest.pageSize = options.pageSize;
  manifest.maxBatchTokens = options.maxBatchTokens;
  for (int32_t window : model->groupWindows)
    manifest.cacheGroups.push_back(attnc_cache_group{window});
  for (const codegen::CacheLayer &l : model->layers)
    manifest.layers.push_back(
        attnc_layer_cache{l.group, l.kvHeads, l.headDim, l.vHeadDim, l.elemBytes, l.kvType});
  manifest.weights.file = "weights.bin";
  manifest.weights.bytes = plan.weightsBytes;
  manifest.weights.stripped = options.stripWeights;
  manifest.weights.xxh3 =
      options.stripWeights ? 0 : attnrt::weightsChecksum(weights.data(), weights.size());
  manifest.compileOptionsJson = compileOptionsJson(options);

  if ((!options.stripWeights && failed(writeFile(staging + "/weights.bin", weights, loc))) ||
      failed(writeFile(staging + "/" + attnrt::pack::kWeightPlanFile,
                       attnrt::pack::serializeWeightPlan(plan), loc)) ||
      failed(writeFile(staging + "/" + attnrt::pack::kWeightInlineFile, inlineWeights, loc)) ||
      failed(writeFile(staging + "/" + model->sourceName, model->source, loc)) ||
      failed(writeFile(staging + "/model.h", model->header, loc)) ||
      failed(writeFile(staging + "/manifest.json", attnrt::serializeManifest(manifest), loc)) ||
      failed(options.target == "cuda" ? buildCudaLibrary(staging, loc)
                                      : buildCpuLibrary(staging, loc)))
    return failure();

  // Replace the output directory only now.
  if (llvm::sys::fs::exists(outDir)) {
    if (!llvm::sys::fs::exists(outDir + "/manifest.json") &&
        !isEmptyDirectory(outDir))
      return emitError(loc) << "'" << outDir
                            << "' exists and is not an attnc artifact; refusing to replace it";
    if (std::error_code ec = llvm::sys::fs::remove_directories(outDir))
      return emitError(loc) << "cannot replace '" << outDir << "': " << ec.message();
  }
  if (std::error_code ec = llvm::sys::fs::rename(staging, outDir))
    return emitError(loc) << "cannot move the artifact to '" << outDir << "': " << ec.message();
  keepStaging = true;
  return success();
}

} // namespace attnc
