#!/usr/bin/env bash
# The test command: installs dependencies, builds, then runs every test
# (lit suite and runtime GoogleTests) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure
