// `attnc calibrate`: measures the calibration statistics GPTQ quantizes
// against (Calibration.h) by running a compiled, unquantized CPU artifact of
// the model over calibration token sequences:
//
//   attnc compile MODEL.onnx -o REF --target cpu
//   attnc calibrate REF --tokens CALIB.txt -o MODEL.calib
//   attnc compile MODEL.onnx -o ART [--target cuda ...] --quantize w4g128 \
//       --calibration MODEL.calib
//
// Each dense linear of the artifact hands its input to an observer
// (attnrt_cpu_observe_linears in runtime/cpu/Linear.h) that sums x x^T; the
// weight pointer it was called with names the linear through the artifact's
// weight plan. Every prompt position is run (each sequence is one prefill,
// its logits kept, so the lm_head sees every position too).
//
// CALIB.txt: one token sequence per non-empty line, ids separated by commas
// or whitespace. A sequence must fit the artifact's max_context.
#pragma once

namespace attnrt::pack {

// argv[0] is the command's name as it should appear in messages. Returns the
// exit status: 0 written, 1 failed (the reason on stderr), 2 bad command line.
int calibrateCommand(int argc, char **argv) noexcept;

} // namespace attnrt::pack
