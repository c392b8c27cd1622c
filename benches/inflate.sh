#!/usr/bin/env bash
# The input stage's own decompression speed beside igzip's and gzip's:
#   benches/inflate.sh FILE...
# For each file: best of 3 runs of `igzip -dc`, `gzip -dc` and mirq's own
# inflate (examples/inflate_speed.rs: the reading thread and chunks that
# `mirq quant` reads with, without parsing), each as wall seconds, CPU
# seconds (user + sys, of that best run) and decompressed MB/s (by wall
# time). A tool that is not installed is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: benches/inflate.sh FILE..." >&2; exit 1; }
cargo build --release --quiet --example inflate_speed
speed=target/release/examples/inflate_speed
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }

# best of 3: prints "wall cpu" of the run with the least wall time
times=$(mktemp)
trap 'rm -f "$times"' EXIT
best3() {
    local runs=""
    for _ in 1 2 3; do
        /usr/bin/time -o "$times" -f '%e %U %S' "$@" >/dev/null
        runs+=$(tail -n 1 "$times")$'\n'
    done
    printf '%s' "$runs" | awk 'NF == 3 {print $1, $2 + $3}' | sort -n | head -n 1
}

printf '%-28s %-12s %8s %8s %8s\n' file tool wall_s cpu_s MB/s
for f in "$@"; do
    bytes=$("$speed" "$f" | cut -f 2)
    name=$(basename "$f")
    for tool in igzip gzip mirq; do
        case $tool in
            mirq) cmd=("$speed" "$f") ;;
            *) command -v "$tool" >/dev/null || continue; cmd=("$tool" -dc "$f") ;;
        esac
        read -r wall cpu < <(best3 "${cmd[@]}")
        printf '%-28s %-12s %8.2f %8.2f %8.0f\n' "$name" "$tool" "$wall" "$cpu" \
            "$(awk -v b="$bytes" -v s="$wall" 'BEGIN {print (s > 0 ? b / s / 1e6 : 0)}')"
    done
done
