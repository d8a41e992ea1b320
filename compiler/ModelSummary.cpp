#include "compiler/ModelSummary.h"

#include "dialects/Onnx/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Format.h"

#include <sys/resource.h>

using namespace mlir;
namespace od = attnc::onnx_dialect;

namespace attnc {

uint64_t peakResidentBytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return uint64_t(usage.ru_maxrss) * 1024; // Linux reports KiB
}

static std::string formatBytes(uint64_t bytes) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (bytes >= (1ull << 30))
    os << llvm::format("%.2f GiB", bytes / double(1ull << 30));
  else if (bytes >= (1ull << 20))
    os << llvm::format("%.2f MiB", bytes / double(1ull << 20));
  else
    os << llvm::format("%.1f KiB", bytes / 1024.0);
  return s;
}

static uint64_t byteSize(ShapedType type) {
  return uint64_t(type.getNumElements()) *
         ((type.getElementTypeBitWidth() + 7) / 8);
}

static void printArgType(Type type, DictionaryAttr attrs, llvm::raw_ostream &os) {
  os << type;
  if (auto dims = attrs ? attrs.getAs<ArrayAttr>("onnx.dim_params") : ArrayAttr()) {
    os << " [";
    llvm::interleaveComma(dims, os, [&](Attribute a) {
      StringRef p = cast<StringAttr>(a).getValue();
      os << (p.empty() ? "_" : p);
    });
    os << "]";
  }
}

void printImportSummary(ModuleOp module, StringRef modelPath, llvm::raw_ostream &os) {
  os << "model: " << modelPath << "\n";
  if (auto producer = module->getAttrOfType<StringAttr>("onnx.producer"))
    os << "producer: " << producer.getValue() << "\n";
  if (auto ir = module->getAttrOfType<IntegerAttr>("onnx.ir_version"))
    os << "ir_version: " << ir.getInt() << "\n";
  if (auto opsets = module->getAttrOfType<DictionaryAttr>("onnx.opset_import")) {
    os << "opsets:";
    for (NamedAttribute a : opsets)
      os << " " << a.getName().getValue() << "="
         << cast<IntegerAttr>(a.getValue()).getInt();
    os << "\n";
  }

  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return;
  os << "inputs:\n";
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    DictionaryAttr attrs = func.getArgAttrDict(i);
    auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
    os << "  " << (name ? name.getValue() : StringRef("?")) << ": ";
    printArgType(func.getArgument(i).getType(), attrs, os);
    os << "\n";
  }
  os << "outputs:\n";
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    DictionaryAttr attrs = func.getResultAttrDict(i);
    auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
    os << "  " << (name ? name.getValue() : StringRef("?")) << ": "
       << func.getResultTypes()[i] << "\n";
  }

  uint64_t inlineBytes = 0, blobBytes = 0;
  unsigned numConstants = 0, numBlobs = 0;
  llvm::MapVector<StringRef, unsigned> opCounts;
  unsigned numOps = 0;
  func.walk([&](Operation *op) {
    if (op == func.getOperation() || isa<func::ReturnOp, od::NoValueOp>(op))
      return;
    ++numOps;
    StringRef name = op->getName().getStringRef();
    name.consume_front("onnx.");
    ++opCounts[name];
    if (auto constant = dyn_cast<od::ConstantOp>(op)) {
      ++numConstants;
      auto type = cast<ShapedType>(constant.getValue().getType());
      if (isa<DenseResourceElementsAttr>(constant.getValue())) {
        ++numBlobs;
        blobBytes += byteSize(type);
      } else {
        inlineBytes += byteSize(type);
      }
    }
  });
  os << "constants: " << numConstants << " (" << numBlobs << " weight blobs, "
     << formatBytes(blobBytes) << ", mapped not copied; "
     << formatBytes(inlineBytes) << " inline)\n";
  os << "ops: " << numOps << "\n";
  auto sorted = opCounts.takeVector();
  llvm::stable_sort(sorted, [](auto &a, auto &b) { return a.second > b.second; });
  for (auto &[name, count] : sorted)
    os << "  " << name << " " << count << "\n";
}

} // namespace attnc
