#include "compiler/Compile.h"

#include "codegen/cpu/CpuEmitter.h"
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

// Builds libmodel.so from model.cpp with the system C++ compiler.
LogicalResult buildSharedLibrary(StringRef dir, Location loc) {
  std::string cxx = runtimeSetting("ATTNC_CXX", "c++");
  auto program = llvm::sys::findProgramByName(cxx);
  if (!program)
    return emitError(loc) << "no C++ compiler '" << cxx << "' on PATH (set ATTNC_CXX)";
  std::string include = runtimeSetting("ATTNC_RUNTIME_INCLUDE", ATTNC_RUNTIME_INCLUDE_DIR);
  std::string kernels = runtimeSetting("ATTNC_RUNTIME_CPU_LIB", ATTNC_RUNTIME_CPU_LIB);
  std::string arch = runtimeSetting("ATTNC_CPU_ARCH", "native");
  std::string log = (dir + "/build.log").str();
  SmallVector<std::string> args = {*program,
                                   "-std=c++17",
                                   "-O3",
                                   "-march=" + arch,
                                   "-fno-math-errno",
                                   "-fPIC",
                                   "-shared",
                                   "-I" + include,
                                   "-I" + std::string(ATTNC_OPENBLAS_INCLUDE_DIR),
                                   (dir + "/model.cpp").str(),
                                   "-o",
                                   (dir + "/libmodel.so").str(),
                                   kernels,
                                   ATTNC_OPENBLAS_LIBRARY,
                                   "-lpthread"};
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log), StringRef(log)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*program, argRefs, std::nullopt, redirects, 0, 0, &message);
  if (rc != 0) {
    auto logText = llvm::MemoryBuffer::getFile(log);
    InFlightDiagnostic diag = emitError(loc) << "building libmodel.so failed (" << cxx << " exit "
                                             << rc << (message.empty() ? "" : ": ") << message
                                             << ")";
    if (logText)
      diag << "\n" << (*logText)->getBuffer().take_front(4000);
    return failure();
  }
  return success();
}

bool isEmptyDirectory(const Twine &path) {
  std::error_code ec;
  llvm::sys::fs::directory_iterator it(path, ec);
  return !ec && it == llvm::sys::fs::directory_iterator();
}

std::string compileOptionsJson(const CompileOptions &o) {
  return llvm::formatv("{{\"target\": \"{0}\", \"dtype\": \"{1}\", \"page_size\": {2}, "
                       "\"max_batch_tokens\": {3}, \"max_context\": {4}}",
                       o.target, o.dtype, o.pageSize, o.maxBatchTokens, o.maxContext)
      .str();
}

} // namespace

LogicalResult compileModel(const std::string &modelPath, const CompileOptions &options,
                           MLIRContext &context) {
  Location loc = FileLineColLoc::get(&context, modelPath, 0, 0);
  if (options.target != "cpu")
    return emitError(loc) << "--target " << options.target
                          << " is not available yet (supported: cpu)";
  if (options.dtype != "f32")
    return emitError(loc) << "--dtype " << options.dtype
                          << " is not available yet for the CPU target (supported: f32)";
  if (options.pageSize <= 0 || options.pageSize > 1024 ||
      (options.pageSize & (options.pageSize - 1)) != 0)
    return emitError(loc) << "--page-size must be a power of two in [1, 1024], got "
                          << options.pageSize;
  if (options.maxBatchTokens <= 0 || options.maxBatchTokens > (1 << 20))
    return emitError(loc) << "--max-batch-tokens must be in [1, 1048576], got "
                          << options.maxBatchTokens;
  if (options.outputDir.empty())
    return emitError(loc) << "no output directory (-o DIR)";

  OwningOpRef<ModuleOp> module = importOnnxModel(modelPath, context);
  if (!module)
    return failure();
  PassManager pm(&context);
  buildRaisePipeline(pm);
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(createCheckRaised());
  InsertKVCacheOptions kvOptions;
  kvOptions.pageSize = options.pageSize;
  func.addPass(createInsertKVCache(kvOptions));
  FlashTilingOptions tiling;
  tiling.target = options.target;
  func.addPass(createFlashTiling(tiling));
  if (failed(pm.run(*module)))
    return failure();
  auto funcs = llvm::to_vector(module->getOps<func::FuncOp>());
  if (funcs.size() != 1)
    return emitError(loc) << "expected one function after raising, got " << funcs.size();

  codegen::CpuEmitOptions emitOptions;
  emitOptions.modelName = llvm::sys::path::filename(modelPath).str();
  emitOptions.maxBatchTokens = options.maxBatchTokens;
  emitOptions.maxContext = options.maxContext;
  FailureOr<codegen::EmittedCpuModel> model = codegen::emitCpuModel(funcs.front(), emitOptions);
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

  StringRef weights(reinterpret_cast<const char *>(model->weights.data()), model->weights.size());
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
        attnc_layer_cache{l.group, l.kvHeads, l.headDim, l.vHeadDim, /*elem_bytes=*/4});
  manifest.weights.file = "weights.bin";
  manifest.weights.bytes = weights.size();
  manifest.weights.xxh3 = attnrt::weightsChecksum(weights.data(), weights.size());
  manifest.compileOptionsJson = compileOptionsJson(options);

  if (failed(writeFile(staging + "/weights.bin", weights, loc)) ||
      failed(writeFile(staging + "/model.cpp", model->source, loc)) ||
      failed(writeFile(staging + "/model.h", model->header, loc)) ||
      failed(writeFile(staging + "/manifest.json", attnrt::serializeManifest(manifest), loc)) ||
      failed(buildSharedLibrary(staging, loc)))
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
