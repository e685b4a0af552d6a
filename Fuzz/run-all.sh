#!/usr/bin/env bash
# Runs every libFuzzer harness of this package for SECONDS each (default 60), two at a time.
#
#   Fuzz/run-all.sh 300                    # every harness, 5 minutes each
#   Fuzz/run-all.sh 60 FuzzSteam FuzzLastFM
#
# Builds each harness with --sanitize=fuzzer --sanitize=address into Fuzz/.build-fuzz,
# copies the committed seeds (Fuzz/Corpus/<harness>) into a working corpus there, so new
# inputs never touch the committed ones, and writes crashing inputs to
# Fuzz/.build-fuzz/artifacts/<harness>/. Prints executions and findings per harness and
# exits 1 if any harness found a crash (leak detection is off: ASAN_OPTIONS=detect_leaks=0).
# FUZZ_JOBS sets how many harnesses run at once.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
all=(FuzzMovieLens FuzzLastFM FuzzSteam FuzzBenchmarkFolder FuzzWeights FuzzRecommenderFile)
harnesses=("${@:-${all[@]}}")
scratch=.build-fuzz
jobs=${FUZZ_JOBS:-2}

for h in "${harnesses[@]}"; do
    echo "building $h"
    # swiftc's -sanitize=fuzzer links libFuzzer but adds no coverage instrumentation to Swift
    # code (only C gets it), so -sanitize-coverage is passed explicitly. ld.gold prints a
    # harmless "Cannot export local symbol '__asan_*'" line per ASan stub: filtered out.
    nice swift build --scratch-path "$scratch" --product "$h" \
        --sanitize=fuzzer --sanitize=address -Xswiftc -parse-as-library \
        -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp 2>&1 \
        | { grep -v -e "Cannot export local symbol '__asan" -e '^\[[0-9]*/[0-9]*\]' || true; }
    test -x "$scratch/debug/$h" || { echo "build of $h failed" >&2; exit 2; }
done

run() {
    local h=$1 work="$scratch/corpus/$1" artifacts="$scratch/artifacts/$1/" log="$scratch/logs/$1.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    cp -n Corpus/"$h"/* "$work"/ 2>/dev/null || true
    # Swift's own backtracer would run inside ASan after a trap and add a false report.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-} nice "$scratch/debug/$h" "$work" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts" >"$log" 2>&1 || true
}

running=0
for h in "${harnesses[@]}"; do
    run "$h" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

status=0
printf '%-22s %12s %10s %8s  %s\n' harness executions exec/s corpus findings
for h in "${harnesses[@]}"; do
    log="$scratch/logs/$h.log"
    execs=$(grep 'stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -1)
    rate=$(grep 'stat::average_exec_per_sec:' "$log" | awk '{print $2}' | tail -1)
    units=$(ls "$scratch/corpus/$h" | wc -l)
    findings=$(ls "$scratch/artifacts/$h" 2>/dev/null | wc -l)
    if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: libFuzzer' -e 'Fatal error' -e 'SUMMARY: ' "$log"; then
        status=1
        findings="$findings (see $log)"
    fi
    printf '%-22s %12s %10s %8s  %s\n' "$h" "${execs:-?}" "${rate:-?}" "$units" "$findings"
done
exit $status
