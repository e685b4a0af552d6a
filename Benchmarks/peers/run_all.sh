#!/usr/bin/env bash
# Runs recs-bench and both peers back to back and prints the side-by-side table.
# Usage: Benchmarks/peers/run_all.sh [OUT_DIR]   (default benchmarks-out/, git-ignored)
# Env: PEERS_PYTHON (default Benchmarks/peers/.venv/bin/python), REPEATS (default 7),
#      CASES (default: every case; e.g. CASES=neumf,neumf1m or CASES=gemm,seed,neumf, passed to all
#      three programs: recs-bench rejects names it does not know, the peers skip the cases
#      they do not have: peak, alloc, recs),
#      SCRATCH_PATH (default .build-bench: the build folder of recs-bench).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/benchmarks-out}"
py="${PEERS_PYTHON:-$root/Benchmarks/peers/.venv/bin/python}"
repeats="${REPEATS:-7}"
scratch="${SCRATCH_PATH:-.build-bench}"
cases=()
if [ -n "${CASES:-}" ]; then cases=(--cases "$CASES"); fi
mkdir -p "$out"
cd "$root"
swift build -c release --scratch-path "$scratch" --product recs-bench
lscpu > "$out/lscpu.txt"
"$scratch/release/recs-bench" "${cases[@]}" --repeats "$repeats" --json "$out/ours.json" | tee "$out/ours.txt"
"$py" Benchmarks/peers/torch_bench.py "${cases[@]}" --repeats "$repeats" --json "$out/torch.json" | tee "$out/torch.txt"
"$py" Benchmarks/peers/keras_bench.py "${cases[@]}" --repeats "$repeats" --json "$out/keras.json" | tee "$out/keras.txt"
python3 Benchmarks/peers/compare.py "$out/ours.json" "$out/keras.json" "$out/torch.json" | tee "$out/compare.txt"
