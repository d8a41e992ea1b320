// The `onnx` dialect: one op per supported ONNX operator, mirroring the ONNX
// operator set faithfully so that import is mechanical and raising is where
// exporter quirks are handled.
//
// Conventions the importer relies on:
//  * Operands follow ONNX input order. An optional input that the node omits
//    is a value of type `none` (produced by `onnx.NoValue`), so every
//    non-variadic op has a fixed operand count.
//  * Optional outputs that the node omits are results of type `none`.
//  * Attributes keep their ONNX names and defaults: INT -> I64Attr,
//    FLOAT -> F32Attr, STRING -> StrAttr, INTS -> DenseI64ArrayAttr,
//    FLOATS -> DenseF32ArrayAttr, TENSOR -> ElementsAttr, STRINGS -> StrArrayAttr.
//  * Ops model the newest supported opset; older forms are upgraded by the
//    importer (e.g. ReduceMean `axes` attribute before opset 18 becomes the
//    `axes` input).
#ifndef ATTNC_ONNX_BASE
#define ATTNC_ONNX_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Onnx_Dialect : Dialect {
  let name = "onnx";
  let summary = "ONNX operators, imported faithfully";
  let cppNamespace = "::attnc::onnx_dialect";
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

// Every ONNX operator is a pure function of its inputs.
class Onnx_Op<string mnemonic, list<Trait> traits = []>
    : Op<Onnx_Dialect, mnemonic, !listconcat(traits, [Pure])> {
  let assemblyFormat =
      "`(` operands `)` attr-dict `:` functional-type(operands, results)";
}

// An input or output that may be omitted (then it has type `none`).
def Onnx_TensorOrNone : AnyTypeOf<[AnyTensor, NoneType], "tensor or none">;
def Onnx_IntTensor : TensorOf<[I32, I64]>;
def Onnx_I64Tensor : TensorOf<[I64]>;
def Onnx_I64TensorOrNone : AnyTypeOf<[Onnx_I64Tensor, NoneType], "i64 tensor or none">;
def Onnx_BoolTensor : TensorOf<[I1]>;
def Onnx_FloatTensor : TensorOf<[F16, BF16, F32, F64]>;

#endif // ATTNC_ONNX_BASE
