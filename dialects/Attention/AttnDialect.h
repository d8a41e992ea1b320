#pragma once

#include "mlir/IR/Dialect.h"

#include "dialects/Attention/AttnDialect.h.inc"
