#!/usr/bin/env bash
# Fuzz targets for every decoder of persisted or user-given data and for the command line's parsers
# (not part of any package's products).
#
#   Fuzz/run.sh TARGET SECONDS [LIBFUZZER-OPTION...]   build TARGET if needed, then fuzz it for SECONDS
#   Fuzz/run.sh --build [TARGET...]                    build targets (all by default), fuzz none
#   Fuzz/run.sh --list                                 print the targets
#
# Targets (Fuzz/Targets/TARGET.swift, seeds in Fuzz/Seeds/TARGET, a dictionary in Fuzz/Dictionaries):
#   breaker-state          resilience run --breaker's state file (format 2, and format 1 converted)
#   breaker-record         the library's CircuitBreakerRecord decoder and the state machine's restore
#   breaker-configuration  CircuitBreakerConfiguration's JSON (resilience run --breaker-config)
#   retry-policy           RetryPolicy's JSON
#   arguments              resilience run's and resilience simulate's options, and the value parsers
#
# The library, swift-log, swift-argument-parser and the tool's ResilienceCommands module are built by
# SwiftPM with `-sanitize=fuzzer,address` (coverage for libFuzzer, AddressSanitizer) into
# .build-fuzz (FUZZ_BUILD overrides it), optimised (FUZZ_CONFIGURATION=debug builds faster and
# fuzzes slower); each target's entry file is compiled with
# Fuzz/Support/FuzzEntry.swift and linked against those objects. Each run keeps its corpus in
# /tmp/resilience-fuzz/TARGET/corpus (FUZZ_WORK overrides /tmp/resilience-fuzz), so later runs
# continue from it, and writes what it finds (crash-*, timeout-*, oom-*) to
# /tmp/resilience-fuzz/TARGET/findings/. A target checks round trips (what is written reads back)
# as well as crashes; a broken property traps with a message.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD:-$root/.build-fuzz}"
work="${FUZZ_WORK:-/tmp/resilience-fuzz}"
configuration="${FUZZ_CONFIGURATION:-release}"
targets=(breaker-state breaker-record breaker-configuration retry-policy arguments)

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
}

is_target() {
    local target
    for target in "${targets[@]}"; do [[ "$target" == "$1" ]] && return 0; done
    return 1
}

# The instrumented modules, built once (SwiftPM rebuilds only what changed).
build_modules() {
    swift build --package-path "$root/Tools" --target ResilienceCommands -c "$configuration" \
        -Xswiftc -sanitize=fuzzer,address --scratch-path "$build" >&2
}

link_target() {
    local target="$1" bin objects=()
    bin="$(swift build --package-path "$root/Tools" -c "$configuration" --scratch-path "$build" --show-bin-path)"
    for module in Logging Resilience ArgumentParserToolInfo ArgumentParser ResilienceCommands; do
        objects+=("$bin/$module.build/"*.o)
    done
    # -package-name tools: the package access level of the Tools package's modules.
    swiftc -sanitize=fuzzer,address -O -parse-as-library -swift-version 6 -package-name tools -I "$bin/Modules" \
        "$root/Fuzz/Support/FuzzEntry.swift" "$root/Fuzz/Targets/$target.swift" "${objects[@]}" \
        -o "$build/fuzz-$target" 2> >(grep -v "Cannot export local symbol '__asan" >&2)
}

build_targets() {
    build_modules
    local target
    for target in "$@"; do
        echo "linking fuzz-$target" >&2
        link_target "$target"
    done
}

[[ $# -ge 1 ]] || usage
case "$1" in
--list)
    printf '%s\n' "${targets[@]}"
    ;;
--build)
    shift
    [[ $# -gt 0 ]] || set -- "${targets[@]}"
    for target in "$@"; do is_target "$target" || usage; done
    build_targets "$@"
    ;;
*)
    [[ $# -ge 2 ]] || usage
    target="$1" seconds="$2"
    shift 2
    is_target "$target" || usage
    [[ "$seconds" =~ ^[0-9]+$ ]] || usage
    build_targets "$target"
    mkdir -p "$work/$target/corpus" "$work/$target/findings"
    dictionary=()
    [[ -f "$root/Fuzz/Dictionaries/$target.dict" ]] && dictionary=(-dict="$root/Fuzz/Dictionaries/$target.dict")
    # The Swift runtime's backtracer would hold a crashed input's process for seconds; libFuzzer
    # reports crashes itself. Leaks are not what these targets look for.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" \
        "$build/fuzz-$target" -max_total_time="$seconds" -timeout=20 -max_len=16384 -print_final_stats=1 \
        -detect_leaks=0 -artifact_prefix="$work/$target/findings/" "${dictionary[@]}" "$@" \
        "$work/$target/corpus" "$root/Fuzz/Seeds/$target"
    ;;
esac
