#!/usr/bin/env bash
# Instructions (and allocations) per call of each scenario of the InstructionCounts harness, counted by
# valgrind's callgrind, which is exact and repeatable where wall-clock time on a shared machine is not.
#
#   Benchmarks/callgrind.sh                      # every scenario, 20,000 calls each
#   Benchmarks/callgrind.sh -n 50000 direct timeout-non-suspending
#   Benchmarks/callgrind.sh --no-build           # reuse the last release build
#   KEEP=dir Benchmarks/callgrind.sh ...         # keep the callgrind.out files there (callgrind_annotate them)
#
# Each scenario runs N calls in a loop; the `empty` loop (same process set-up, a loop doing nothing) runs
# N times too, and its counts are subtracted before dividing by N. Columns: instructions per call, then
# calls per call of malloc (all of the malloc family), swift_allocObject (heap objects: boxes, closure
# contexts, classes) and swift_task_alloc (the task allocator: async frames, child tasks' storage).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
iterations=20000
build=1
selected=()
while (($#)); do
    case "$1" in
    -n) iterations="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) selected+=("$1"); shift ;;
    esac
done

command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
cd "$here"
if ((build)); then
    swift build -c release --product InstructionCounts >&2
fi
binary="$(swift build -c release --show-bin-path)/InstructionCounts"
if ((${#selected[@]} == 0)); then
    mapfile -t selected < <("$binary" --list | grep -vx empty)
fi

outputs="${KEEP:-$(mktemp -d)}"
mkdir -p "$outputs"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$outputs"' EXIT

# Prints "instructions malloc swift_allocObject swift_task_alloc" for one run.
measure() {
    local scenario="$1" file="$outputs/callgrind.out.$1"
    valgrind --tool=callgrind --callgrind-out-file="$file" --compress-strings=no --compress-pos=no \
        "$binary" "$scenario" "$iterations" >/dev/null 2>"$outputs/valgrind.$scenario.log" || {
        echo "callgrind.sh: $scenario failed; see $outputs/valgrind.$scenario.log" >&2
        cat "$outputs/valgrind.$scenario.log" >&2
        exit 1
    }
    awk '
        /^cfn=/ { callee = substr($0, 5) }
        /^calls=/ {
            split(substr($0, 7), parts, " ")
            if (callee ~ /^(malloc|calloc|realloc|posix_memalign|aligned_alloc|memalign)$/) mallocs += parts[1]
            else if (callee == "swift_allocObject") objects += parts[1]
            else if (callee == "swift_task_alloc") taskAllocs += parts[1]
        }
        /^(summary|totals):/ { total = $2 }
        END { printf "%d %d %d %d\n", total, mallocs, objects, taskAllocs }
    ' "$file"
}

read -r base_ir base_malloc base_object base_task < <(measure empty)
printf '%-40s %12s %8s %8s %8s\n' scenario "instr/call" malloc allocObj taskAlloc
for scenario in "${selected[@]}"; do
    read -r ir malloc object task < <(measure "$scenario")
    awk -v s="$scenario" -v n="$iterations" -v ir=$((ir - base_ir)) -v m=$((malloc - base_malloc)) \
        -v o=$((object - base_object)) -v t=$((task - base_task)) \
        'BEGIN { printf "%-40s %12.1f %8.2f %8.2f %8.2f\n", s, ir / n, m / n, o / n, t / n }'
done
