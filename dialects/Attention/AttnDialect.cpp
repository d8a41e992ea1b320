#include "dialects/Attention/AttnDialect.h"
#include "dialects/Attention/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attnc::attn;

#include "dialects/Attention/AttnDialect.cpp.inc"
#include "dialects/Attention/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Attention/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Attention/AttnAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/Attention/AttnOps.cpp.inc"
      >();
}
