// attnc-pack: `attnc pack` without the compiler, for the machine where the
// checkpoint lives (no LLVM/MLIR there, perhaps no libonnx or libprotobuf
// either: it links them statically where the system has the archives).
//
//   attnc-pack ARTIFACT --from MODEL.onnx
#include "runtime/pack/ArtifactPacker.h"

int main(int argc, char **argv) { return attnrt::pack::packCommand(argc, argv); }
