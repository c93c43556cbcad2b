#!/usr/bin/env bash
# Regenerates the dialect and pass references from ODS into docs/reference/.
# test/docs/reference-up-to-date.test fails when they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build mlir-doc
cp build/docs/Dialects/Ein.md docs/reference/Ein.md
cp build/docs/Dialects/EinPasses.md docs/reference/EinPasses.md
cp build/docs/Passes/EinfuseConversionPasses.md docs/reference/ConversionPasses.md
cp build/docs/Passes/EinfusePasses.md docs/reference/PipelinePasses.md
