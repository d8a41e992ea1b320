// attnc: the compile driver. One binary, one subcommand per job.
//
//   attnc import MODEL.onnx [-o OUT.mlir] [--infer-shapes] [--summary]
//   attnc inspect MODEL.onnx [--kv-cache int8|fp8] [--json]
//   attnc compile MODEL.onnx -o DIR [--target cpu|cuda] [--dtype f32|f16|bf16] [--page-size N]
//                 [--max-batch-tokens N] [--max-context N] [--strip-weights]
//                 [--quantize w8|w8g128|w8g64|w8g32|w4g128|w4g64|w4g32 (+a: zero points)
//                  [--quantize-lm-head] [--calibration FILE]] [--kv-cache int8|fp8]
//   attnc calibrate DIR|MODEL.onnx --tokens FILE -o OUT [--threads N]
//   attnc pack DIR --from MODEL.onnx [--calibration FILE]
//   attnc emit-cpp STEP.mlir [--target cpu|cuda] [--dtype D] [-o OUT]
//   attnc --help | --version
#include "codegen/StepEmitter.h"
#include "compiler/Compile.h"
#include "compiler/Diagnostics.h"
#include "compiler/Import/OnnxImporter.h"
#include "compiler/ModelInspect.h"
#include "compiler/ModelSummary.h"
#include "compiler/Pipelines.h"
#include "compiler/Registry.h"
#include "passes/Passes.h"
#include "runtime/pack/ArtifactPacker.h"
#include "runtime/pack/Calibrate.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/Parser/Parser.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;

namespace {

// What every subcommand compiles in: a context with all of attnc's dialects
// whose diagnostics go to stderr as `FILE: 'NODE': error: ...`.
struct CompilerContext {
  CompilerContext() : context(makeRegistry()), diagnostics(context, llvm::errs()) {}
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    attnc::registerAllDialects(registry);
    return registry;
  }
  MLIRContext context;
  attnc::CommandLineDiagnostics diagnostics;
};

constexpr const char *kUsage = R"(attnc - ahead-of-time compiler for transformer inference

usage: attnc <command> [options]

commands:
  import MODEL.onnx [-o OUT.mlir]   import an ONNX model into the onnx dialect
                                    (--summary prints a model summary instead,
                                     --infer-shapes runs attn-infer-shapes)
  inspect MODEL.onnx [--json]       raise the model and report each layer's attention
                                    (kind, heads, kv heads, head dim, window, causal,
                                    softcap, RoPE, norm) and the model totals
                                    (KV cache bytes per token and page; --kv-cache TYPE)
  compile MODEL.onnx -o DIR         compile the model into an artifact directory
                                    (libmodel.so, model.h, weights.bin, manifest.json)
                                    that attnc-run and libattnrt run
                                    (--strip-weights: all but weights.bin;
                                     --quantize SCHEME: weight-only int8 / int4,
                                     --quantize-lm-head: the lm_head too,
                                     --calibration FILE: by GPTQ;
                                     --kv-cache int8|fp8: quantized KV cache)
  calibrate DIR|MODEL.onnx --tokens FILE -o OUT
                                    run the (unquantized, CPU) artifact DIR, or one
                                    compiled from MODEL.onnx for the purpose, over the
                                    calibration token sequences of FILE and write the
                                    statistics of its linears' inputs that
                                    compile --calibration quantizes against
  pack DIR --from MODEL.onnx        build DIR/weights.bin from the model's weights
                                    (external data included) by DIR's weight plan
                                    (--calibration FILE: what GPTQ weights need)
  emit-cpp STEP.mlir [-o OUT.cpp]   print the C++ (CUDA C++ with --target cuda) generated for a step
                                    function (after attn-insert-kv-cache and
                                    attn-flash-tiling); for inspection and tests

options:
  --help       show this help (attnc <command> --help for a command's options)
  --version    print the attnc version

Run `attnc-opt --help` for the individual passes.
)";

int runImport(int argc, char **argv) {
  namespace cl = llvm::cl;
  cl::OptionCategory category("attnc import options");
  cl::opt<std::string> input(cl::Positional, cl::desc("MODEL.onnx"), cl::Required,
                             cl::cat(category));
  cl::opt<std::string> output("o", cl::desc("output .mlir file (default: stdout)"),
                              cl::value_desc("OUT.mlir"), cl::init("-"),
                              cl::cat(category));
  cl::opt<bool> summary("summary",
                        cl::desc("print a summary of the model instead of its IR"),
                        cl::cat(category));
  cl::opt<bool> inferShapes("infer-shapes",
                            cl::desc("run symbolic shape inference and folding"),
                            cl::cat(category));
  cl::opt<bool> elideWeights(
      "elide-weights",
      cl::desc("print weight blobs as __elided__ (output cannot be re-parsed)"),
      cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!cl::ParseCommandLineOptions(argc, argv, "attnc import\n", &llvm::errs()))
    return 1;

  CompilerContext compiler;
  MLIRContext &context = compiler.context;

  OwningOpRef<ModuleOp> module = attnc::importOnnxModel(input, context);
  if (!module)
    return 1;
  if (inferShapes) {
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(attnc::createInferShapes());
    if (failed(pm.run(*module)))
      return 1;
  }

  // The output file is opened only now, so a failed import never truncates
  // an existing file.
  std::string error;
  auto out = openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << "error: cannot write '" << output << "': " << error << "\n";
    return 1;
  }
  if (summary) {
    attnc::printImportSummary(*module, input, out->os());
    out->os() << "peak RSS: "
              << llvm::format("%.1f", attnc::peakResidentBytes() / double(1 << 20))
              << " MiB\n";
  } else {
    OpPrintingFlags flags;
    if (elideWeights)
      flags.elideLargeResourceString(64);
    module->print(out->os(), flags);
  }
  out->keep();
  return 0;
}

int runInspect(int argc, char **argv) {
  namespace cl = llvm::cl;
  cl::OptionCategory category("attnc inspect options");
  cl::opt<std::string> input(cl::Positional, cl::desc("MODEL.onnx"), cl::Required,
                             cl::cat(category));
  cl::opt<bool> json("json", cl::desc("print the report as JSON (keys: README.md)"),
                     cl::cat(category));
  cl::opt<std::string> kvCache(
      "kv-cache", cl::desc("report the KV cache as `attnc compile --kv-cache` stores it: int8, fp8"),
      cl::value_desc("TYPE"), cl::init(""), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!cl::ParseCommandLineOptions(argc, argv, "attnc inspect\n", &llvm::errs()))
    return 1;
  attnrt::KvType kvType = attnrt::KvType::Model;
  if (!kvCache.empty()) {
    std::optional<attnrt::KvType> parsed = attnc::parseKvCacheType(kvCache);
    if (!parsed) {
      llvm::errs() << "error: --kv-cache " << kvCache << " is not a known KV-cache type (supported: "
                   << attnc::kKvCacheTypes << ")\n";
      return 1;
    }
    kvType = *parsed;
  }

  CompilerContext compiler;
  MLIRContext &context = compiler.context;
  OwningOpRef<ModuleOp> module = attnc::importOnnxModel(input, context);
  if (!module)
    return 1;
  PassManager pm(&context);
  attnc::buildRaisePipeline(pm);
  if (failed(pm.run(*module)))
    return 1;

  llvm::json::Object report = attnc::inspectModel(*module, kvType);
  if (json) {
    report["model"] = input;
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  } else {
    attnc::printInspectReport(report, input, llvm::outs());
  }
  return 0;
}

int runCompile(int argc, char **argv) {
  namespace cl = llvm::cl;
  cl::OptionCategory category("attnc compile options");
  cl::opt<std::string> input(cl::Positional, cl::desc("MODEL.onnx"), cl::Required,
                             cl::cat(category));
  cl::opt<std::string> output("o", cl::desc("artifact directory (replaced if it holds one)"),
                              cl::value_desc("DIR"), cl::Required, cl::cat(category));
  cl::opt<std::string> target("target", cl::desc("cpu or cuda"), cl::init("cpu"),
                              cl::cat(category));
  cl::opt<std::string> dtype("dtype", cl::desc("cpu: f32 (default); cuda: f16 (default), bf16, f32"),
                             cl::init(""), cl::cat(category));
  cl::opt<int64_t> pageSize("page-size", cl::desc("tokens per KV-cache page (power of two)"),
                            cl::init(16), cl::cat(category));
  cl::opt<int64_t> maxBatchTokens("max-batch-tokens", cl::desc("most tokens one step carries"),
                                  cl::init(2048), cl::cat(category));
  cl::opt<int64_t> maxContext(
      "max-context",
      cl::desc("longest sequence accepted (default: the learned position table, else 8192)"),
      cl::init(0), cl::cat(category));
  cl::opt<bool> stripWeights(
      "strip-weights",
      cl::desc("write no weights.bin; build it later with `attnc pack DIR --from MODEL.onnx`"),
      cl::cat(category));
  cl::opt<std::string> quantize(
      "quantize",
      cl::desc("weight-only quantization of the linears (lm_head and embeddings stay): w8 "
               "(int8, per output channel), w8g128 / w8g64 / w8g32 (int8) and w4g128 / w4g64 "
               "/ w4g32 (int4), a scale per group of 128 / 64 / 32 inputs; a trailing a "
               "(w8g128a, w4g32a, ...) adds zero points"),
      cl::value_desc("SCHEME"), cl::init(""), cl::cat(category));
  cl::opt<bool> quantizeLmHead(
      "quantize-lm-head",
      cl::desc("with --quantize, quantize the lm_head too (the embedding table stays)"),
      cl::cat(category));
  cl::opt<std::string> calibration(
      "calibration",
      cl::desc("with --quantize, quantize by GPTQ against these statistics of the linears' "
               "inputs (from `attnc calibrate`) instead of rounding to nearest"),
      cl::value_desc("FILE"), cl::init(""), cl::cat(category));
  cl::opt<std::string> kvCache(
      "kv-cache",
      cl::desc("store the KV cache quantized: int8 or fp8 (e4m3), one f32 scale per token and "
               "kv head of K and of V (default: the model's dtype)"),
      cl::value_desc("TYPE"), cl::init(""), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!cl::ParseCommandLineOptions(argc, argv, "attnc compile\n", &llvm::errs()))
    return 1;
  if (maxContext < 0) {
    llvm::errs() << "error: --max-context must be positive, got " << maxContext << "\n";
    return 1;
  }

  CompilerContext compiler;
  MLIRContext &context = compiler.context;
  attnc::CompileOptions options;
  options.outputDir = output;
  options.target = target;
  options.dtype = !dtype.empty() ? dtype.getValue() : target == "cuda" ? "f16" : "f32";
  options.pageSize = pageSize;
  options.maxBatchTokens = maxBatchTokens;
  options.maxContext = maxContext;
  options.stripWeights = stripWeights;
  options.quantize = quantize;
  options.quantizeLmHead = quantizeLmHead;
  options.calibration = calibration;
  options.kvCache = kvCache;
  return failed(attnc::compileModel(input, options, context)) ? 1 : 0;
}

int runEmitCpp(int argc, char **argv) {
  namespace cl = llvm::cl;
  cl::OptionCategory category("attnc emit-cpp options");
  cl::opt<std::string> input(cl::Positional, cl::desc("STEP.mlir"), cl::Required,
                             cl::cat(category));
  cl::opt<std::string> output("o", cl::desc("output file (default: stdout)"),
                              cl::value_desc("OUT.cpp"), cl::init("-"), cl::cat(category));
  cl::opt<int64_t> maxBatchTokens("max-batch-tokens", cl::desc("most tokens one step carries"),
                                  cl::init(2048), cl::cat(category));
  cl::opt<std::string> target("target", cl::desc("cpu or cuda"), cl::init("cpu"),
                              cl::cat(category));
  cl::opt<std::string> dtype("dtype", cl::desc("f32 (cpu); f16, bf16 or f32 (cuda)"),
                             cl::init(""), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  if (!cl::ParseCommandLineOptions(argc, argv, "attnc emit-cpp\n", &llvm::errs()))
    return 1;

  CompilerContext compiler;
  MLIRContext &context = compiler.context;
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(input, &context);
  if (!module)
    return 1;
  auto funcs = llvm::to_vector(module->getOps<func::FuncOp>());
  if (funcs.size() != 1) {
    llvm::errs() << input << ": error: expected one step function, got " << funcs.size() << "\n";
    return 1;
  }
  attnc::codegen::StepEmitOptions options;
  options.modelName = llvm::sys::path::filename(input).str();
  options.maxBatchTokens = maxBatchTokens;
  options.target = target;
  options.dtype = !dtype.empty() ? dtype.getValue() : target == "cuda" ? "f16" : "f32";
  FailureOr<attnc::codegen::EmittedModel> model =
      attnc::codegen::emitStepModel(funcs.front(), options);
  if (failed(model))
    return 1;
  std::string error;
  auto out = openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  out->os() << model->source;
  out->keep();
  return 0;
}

// `attnc calibrate` (runtime/pack/Calibrate.h) runs a CPU artifact; given
// MODEL.onnx instead, it first compiles one (f32, CPU, in a temporary
// directory removed afterwards), so one command measures the statistics.
int runCalibrate(int argc, char **argv) {
  std::string name = "attnc calibrate";
  std::vector<char *> args(argv, argv + argc);
  args[0] = name.data();
  int model = -1;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--tokens" || arg == "-o" || arg == "--threads")
      ++i; // its value
    else if (!arg.starts_with("-") && model < 0)
      model = i;
  }
  if (model < 0 || !llvm::StringRef(argv[model]).ends_with(".onnx"))
    return attnrt::pack::calibrateCommand(argc, args.data());

  llvm::SmallString<128> scratch;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("attnc-calibrate", scratch)) {
    llvm::errs() << "attnc calibrate: error: cannot create a temporary directory: "
                 << ec.message() << "\n";
    return 1;
  }
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(scratch); });
  CompilerContext compiler;
  attnc::CompileOptions options; // the model's own weights, f32, for the CPU
  options.outputDir = (scratch + "/reference").str();
  if (failed(attnc::compileModel(argv[model], options, compiler.context)))
    return 1;
  std::string reference = options.outputDir;
  args[std::size_t(model)] = reference.data();
  return attnrt::pack::calibrateCommand(argc, args.data());
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  attnc::registerAllPasses();
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    llvm::outs() << kUsage;
    return argc < 2 ? 1 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    llvm::outs() << "attnc " << ATTNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
                 << ")\n";
    return 0;
  }
  std::string command = argv[1];
  // The subcommand sees its own name as argv[0].
  if (command == "import")
    return runImport(argc - 1, argv + 1);
  if (command == "inspect")
    return runInspect(argc - 1, argv + 1);
  if (command == "compile")
    return runCompile(argc - 1, argv + 1);
  if (command == "emit-cpp")
    return runEmitCpp(argc - 1, argv + 1);
  if (command == "calibrate")
    return runCalibrate(argc - 1, argv + 1);
  if (command == "pack") {
    // The packer's own command line, shared with the standalone attnc-pack.
    std::string name = "attnc pack";
    argv[1] = name.data();
    return attnrt::pack::packCommand(argc - 1, argv + 1);
  }
  llvm::errs() << "error: unknown command '" << command
               << "'; run `attnc --help` for the list of commands\n";
  return 1;
}
