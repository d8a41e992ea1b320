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

namespace attnc::attn {
// The weight transforms of one weight operand (attn.weight_reshape, ...,
// weight_cast): the packer computes their result from it (runtime/pack
// applyTransform).
inline bool isUnaryWeightTransform(mlir::Operation *op) {
  return mlir::isa_and_nonnull<WeightReshapeOp, WeightBroadcastOp, WeightUnpackNibblesOp,
                               WeightPackNibblesOp, WeightWidenNibblesOp, WeightToUnsignedOp,
                               WeightTransposeOp, WeightCastOp>(op);
}
} // namespace attnc::attn
