// attn-check-raised: fails, naming each op, when anything outside the
// allow-list of RaisedForm.h remains after raising. `attnc compile` runs it
// after attn-raise so that an unsupported graph stops with the node's name
// instead of reaching code generation.
#include "passes/Passes.h"
#include "passes/RaisedForm.h"

namespace attnc {

#define GEN_PASS_DEF_CHECKRAISED
#include "passes/Passes.h.inc"

namespace {

struct CheckRaisedPass : impl::CheckRaisedBase<CheckRaisedPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](mlir::Operation *op) {
      std::string reason = unraisedReason(op);
      if (reason.empty())
        return;
      op->emitError() << "'" << op->getName() << "' remains after raising: " << reason;
      failed = true;
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
} // namespace attnc
