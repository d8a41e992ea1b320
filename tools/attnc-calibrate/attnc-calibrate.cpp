// attnc-calibrate: `attnc calibrate` without the compiler, for the machine
// where the checkpoint lives: pack a weight-stripped f32 CPU artifact there
// (attnc-pack), then measure the calibration statistics GPTQ quantizes
// against (runtime/pack/Calibrate.h) next to the weights.
//
//   attnc-calibrate ARTIFACT --tokens FILE -o OUT [--threads N]
#include "runtime/pack/Calibrate.h"

int main(int argc, char **argv) { return attnrt::pack::calibrateCommand(argc, argv); }
