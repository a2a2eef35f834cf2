#!/bin/sh
# `make fuzz`: runs every dsod-fuzz target for FUZZ_SECONDS seconds and writes a report
# (inputs tried, crashes, hangs per target) to fuzz-report.txt.
#
# With libFuzzer (coverage-guided): the package is built a second time under .build-fuzz with
# `-Xfrontend -sanitize=fuzzer` (coverage instrumentation only) and linked against libFuzzer's
# no-main runtime, so dsod-fuzz keeps its own main and calls LLVMFuzzerRunDriver. Each target
# starts from its seed corpus (dsod-fuzz seeds) in fuzz-corpus/<target>/, which grows across
# runs. When that build is not possible, the seeded mutation engine of the normal release build
# runs instead (FUZZ_ENGINE=mutation forces it).
set -u
SECONDS_PER_TARGET=${1:-30}
SWIFT=${SWIFT:-swift}
ENGINE=${FUZZ_ENGINE:-auto}
REPORT=fuzz-report.txt
CRASHES=fuzz-crashes
mkdir -p "$CRASHES"

libfuzzer_runtime() {
    resource=$(swiftc -print-target-info 2>/dev/null | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p' | head -1)
    for candidate in "$resource"/../clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a \
                     "$resource"/clang/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a; do
        if [ -f "$candidate" ]; then echo "$candidate"; return 0; fi
    done
    return 1
}

BIN=""
if [ "$ENGINE" != mutation ] && RUNTIME=$(libfuzzer_runtime); then
    echo "Building dsod-fuzz with libFuzzer ($RUNTIME) in .build-fuzz ..."
    if $SWIFT build -c release --scratch-path .build-fuzz --product dsod-fuzz \
        -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer -Xswiftc -DDSOD_LIBFUZZER \
        -Xlinker "$RUNTIME" -Xlinker -lstdc++ -Xlinker -lm > .build-fuzz.log 2>&1; then
        BIN=.build-fuzz/release/dsod-fuzz
        ENGINE=libfuzzer
    else
        echo "libFuzzer build failed (see .build-fuzz.log); using the mutation engine"
    fi
fi
if [ -z "$BIN" ]; then
    ENGINE=mutation
    $SWIFT build -c release --product dsod-fuzz || exit 1
    BIN=.build/release/dsod-fuzz
fi

TARGETS=$($BIN list | awk '{print $1}')
{
    echo "make fuzz: $ENGINE engine, $SECONDS_PER_TARGET s per target, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '%-16s %10s %8s %6s\n' target inputs crashes hangs
} > "$REPORT"
FAILED=0
for target in $TARGETS; do
    log="$CRASHES/$target.log"
    if [ "$ENGINE" = libfuzzer ]; then
        corpus="fuzz-corpus/$target"
        [ -d "$corpus" ] || $BIN seeds "$target" "$corpus" > /dev/null
        # Swift's own crash reporter would take the signal before libFuzzer saves the input.
        SWIFT_BACKTRACE=enable=no $BIN libfuzzer "$target" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=3072 \
            -max_len=200000 -artifact_prefix="$CRASHES/$target-" -print_final_stats=1 > "$log" 2>&1
        status=$?
        inputs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
        crashes=$(grep -c -E "^==[0-9]+== ERROR: libFuzzer: (deadly signal|fuzz target exited)|^dsod-fuzz: .*rejection" "$log")
        hangs=$(grep -c "ERROR: libFuzzer: timeout" "$log")
        oom=$(grep -c "ERROR: libFuzzer: out-of-memory" "$log")
        crashes=$((crashes + oom))
    else
        $BIN run "$target" --seconds "$SECONDS_PER_TARGET" --seed "$(date +%s)" --crash-dir "$CRASHES" > "$log" 2>&1
        status=$?
        inputs=$(awk -v t="$target" '$1 == t {print $2}' "$log")
        crashes=$(grep -c "CRASH" "$log"); hangs=$(grep -c "HANG" "$log")
        unlocated=$(awk -v t="$target" '$1 == t {for (i = 1; i <= NF; i++) if ($i == "unlocated") print $(i + 1)}' "$log")
        crashes=$((crashes + ${unlocated:-0}))
    fi
    printf '%-16s %10s %8s %6s\n' "$target" "${inputs:-?}" "$crashes" "$hangs" | tee -a "$REPORT"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ] || [ "$hangs" -ne 0 ]; then FAILED=1; fi
done
echo "Report: $REPORT; logs and crash inputs: $CRASHES/"
exit $FAILED
