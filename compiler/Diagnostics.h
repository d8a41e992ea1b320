// Command-line diagnostics: "<file>: '<node or value>': error: <message>".
// Importer locations are NameLoc(node or value name, FileLineColLoc(model)),
// and a user wants to see both the file and the node.
#pragma once

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

// Prints every diagnostic of `context` to `os` while alive.
class CommandLineDiagnostics {
public:
  CommandLineDiagnostics(mlir::MLIRContext &context, llvm::raw_ostream &os);
  ~CommandLineDiagnostics();
  unsigned numErrors() const { return errors; }

private:
  mlir::MLIRContext &context;
  mlir::DiagnosticEngine::HandlerID id;
  unsigned errors = 0;
};

} // namespace attnc
