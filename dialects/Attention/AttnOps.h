#pragma once

#include "dialects/Attention/AttnDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Attention/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Attention/AttnAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/Attention/AttnOps.h.inc"
