#include "compiler/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

using namespace mlir;

namespace attnc {

static void printLocation(Location loc, llvm::raw_ostream &os) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    printLocation(name.getChildLoc(), os);
    os << "'" << name.getName().getValue() << "': ";
  } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue();
    if (file.getLine() > 0)
      os << ":" << file.getLine() << ":" << file.getColumn();
    os << ": ";
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    if (!fused.getLocations().empty())
      printLocation(fused.getLocations().front(), os);
  } else if (auto callsite = dyn_cast<CallSiteLoc>(loc)) {
    printLocation(callsite.getCallee(), os);
  }
}

static const char *severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error: return "error";
  case DiagnosticSeverity::Warning: return "warning";
  case DiagnosticSeverity::Note: return "note";
  case DiagnosticSeverity::Remark: return "remark";
  }
  return "error";
}

CommandLineDiagnostics::CommandLineDiagnostics(MLIRContext &context,
                                               llvm::raw_ostream &os)
    : context(context) {
  id = context.getDiagEngine().registerHandler([this, &os](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    printLocation(diag.getLocation(), os);
    os << severityName(diag.getSeverity()) << ": " << diag << "\n";
    for (Diagnostic &note : diag.getNotes()) {
      printLocation(note.getLocation(), os);
      os << "note: " << note << "\n";
    }
    os.flush();
    return success();
  });
}

CommandLineDiagnostics::~CommandLineDiagnostics() {
  context.getDiagEngine().eraseHandler(id);
}

} // namespace attnc
