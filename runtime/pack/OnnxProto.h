// libonnx's protobuf classes (onnx::ModelProto, ...). The standalone
// attnc-pack compiles its own copy of them from the system's onnx.proto so it
// can link protobuf statically; everything else uses libonnx's.
#pragma once

#ifdef ATTNC_PACK_BUNDLED_ONNX_PROTO
#include "onnx/onnx.pb.h"
#else
#include <onnx/onnx_pb.h>
#endif
