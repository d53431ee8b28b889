#!/usr/bin/env bash
# Builds and runs the libFuzzer target for ResilienceHTTP's delay-hint parsers and status
# classification (see README.md).
#
#   Fuzz/HTTPHints/run.sh [SECONDS] [extra libFuzzer flags...]     # default: 60 s
#
# The build: a release build of this package with libFuzzer's coverage instrumentation and
# AddressSanitizer on every Swift module (ResilienceHTTP, Resilience, HTTPTypes, the harness); the
# harness's `main` hands over to libFuzzer's driver (LLVMFuzzerRunDriver).
# The corpus grows in .build-fuzz/corpus (seeded from corpus/); crashes land in .build-fuzz/crashes.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true

swift build -c release --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
binary="$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/HTTPHintsFuzzer"

mkdir -p .build-fuzz/corpus .build-fuzz/crashes
cp -n corpus/* .build-fuzz/corpus/ 2>/dev/null || true
"$binary" .build-fuzz/corpus -dict=http-hints.dict -max_total_time="$seconds" -max_len=512 \
    -artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1 "$@"
