#!/usr/bin/env bash
# Runs recs-bench and both peers back to back and prints the side-by-side table.
# Usage: Benchmarks/peers/run_all.sh [OUT_DIR]   (default benchmarks-out/, git-ignored)
# Env: PEERS_PYTHON (default Benchmarks/peers/.venv/bin/python), REPEATS (default 7).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/benchmarks-out}"
py="${PEERS_PYTHON:-$root/Benchmarks/peers/.venv/bin/python}"
repeats="${REPEATS:-7}"
mkdir -p "$out"
cd "$root"
swift build -c release --scratch-path .build-bench --product recs-bench
lscpu > "$out/lscpu.txt"
.build-bench/release/recs-bench --repeats "$repeats" --json "$out/ours.json" | tee "$out/ours.txt"
"$py" Benchmarks/peers/torch_bench.py --repeats "$repeats" --json "$out/torch.json" | tee "$out/torch.txt"
"$py" Benchmarks/peers/keras_bench.py --repeats "$repeats" --json "$out/keras.json" | tee "$out/keras.txt"
python3 Benchmarks/peers/compare.py "$out/ours.json" "$out/keras.json" "$out/torch.json" | tee "$out/compare.txt"
