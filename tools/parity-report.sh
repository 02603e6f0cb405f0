#!/usr/bin/env bash
# Regenerates docs/parity.md from the parity tests' own comparisons (target/parity/*.json).
#   bash tools/parity-report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf target/parity
cargo test --release --test parity >/dev/null
python3 tools/parity_report.py target/parity > docs/parity.md
echo "wrote docs/parity.md"
