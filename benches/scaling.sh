#!/usr/bin/env bash
# Scaling of `mirq quant` (issue 24) in one run, each case next to ISA-L's
# single-threaded `igzip -dc` of the same files (the inflate floor; Debian
# package `isal`), with the ratio of the wall times:
#   - threads: one 2M-read gzip FASTQ (BASE) at -t 1, 2 and all (`nproc`;
#     on a 2-core machine all = 2, and that row is printed once);
#   - samples: 1, 4 and 16 samples of 2M reads at -t THREADS, igzip -dc
#     inflating all of them one after another.
# The samples are distinct files made once from BASE by examples/
# fastq_variants.rs (fresh substitutions, 0.3% per base, a seed per sample)
# with BASE's read names and qualities put back (fastq_variants writes
# short names and constant qualities, which would compress to less than
# half and inflate twice as fast as BASE: a floor too low), gzip-compressed
# (level 6) into the work folder and kept: 16 x 2M reads take about 0.9 GB
# there (checked before writing).
#
#   MIRQ_SHARED=/path/to/shared bash benches/scaling.sh [BASE.fastq.gz]
#
# BASE defaults to the simulated run of benches/compare.sh (made once).
# Environment: MIRQ_BIN (another mirq, for before/after), MIRQ_BENCH_DIR (the
# work folder), READS (reads per sample, default 2000000), SAMPLE_COUNTS
# (default "1 4 16"), THREADS (for the samples, default: nproc), RUNS (runs
# of each command, interleaved igzip, mirq, igzip, mirq; best kept; default 1).
# mirq runs with --engine cpu and the human matures + hairpins. Prints a table
# (wall and CPU seconds, CPU = user + sys; peak RSS) and writes it as
# scaling.tsv in the work folder. Without igzip the floor columns stay empty.
set -euo pipefail
if [ $# -ge 1 ]; then
    MIRQ_BASE=$(realpath "$1")
fi
# shellcheck source=benches/variants_setup.sh
source "$(dirname "$0")/variants_setup.sh"
reads=${READS:-2000000}
counts=${SAMPLE_COUNTS:-1 4 16}
all=$(nproc)
threads=${THREADS:-$all}
runs=${RUNS:-1}
mirq=${MIRQ_BIN:-$bin/mirq}
ref=(--mature "$shared/data/mirbase/mature_nfcore_test.fa" --hairpin "$shared/data/mirbase/hairpin_hsa.fa" --species hsa)
have_igzip=1
if ! command -v igzip >/dev/null; then
    echo "igzip is not installed (apt-get install isal): no floor column" >&2
    have_igzip=0
fi
if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time (GNU time) is needed: apt-get install time" >&2
    exit 1
fi

# the samples, made once: distinct files, named after BASE and the read count
read -ra count_list <<<"$counts"
most=$(printf '%s\n' "${count_list[@]}" | sort -n | tail -n 1)
stem=$(basename "$base" .fastq.gz)
dir=$work/scaling_${stem}_$reads
mkdir -p "$dir"
samples=()
for i in $(seq 1 "$most"); do
    samples+=("$dir/v$(printf '%02d' "$i").fastq.gz")
done
# FASTQ on stdin with the names and qualities of BASE's reads, in order
# (BASE is read again from its start when the stream is longer)
with_base_names() {
    awk -v cmd="gzip -dc '$base'" '
        NR % 4 == 1 {
            if ((cmd | getline name) <= 0) { close(cmd); cmd | getline name }
            cmd | getline seq; cmd | getline plus; cmd | getline qual
            print name; next
        }
        NR % 4 == 3 { print "+"; next }
        NR % 4 == 0 { if (length(qual) == length($0)) print qual; else print; next }
        { print }'
}
missing=0
for f in "${samples[@]}"; do [ -s "$f" ] || missing=$((missing + 1)); done
if [ "$missing" -gt 0 ]; then
    need_mb=$((missing * reads / 35000)) # about 28 MB per 1M reads at level 6
    free_mb=$(df -Pm "$dir" | awk 'NR == 2 { print $4 }')
    echo "making $missing sample files of $reads reads in $dir (about $need_mb MB; $free_mb MB free)" >&2
    if [ "$free_mb" -lt $((need_mb * 2)) ]; then
        echo "not enough free space in $dir: set MIRQ_BENCH_DIR" >&2
        exit 1
    fi
    i=0
    for f in "${samples[@]}"; do
        i=$((i + 1))
        [ -s "$f" ] && continue
        ("$bin/examples/fastq_variants" "$base" "$reads" "$i" 0.003 | with_base_names |
            gzip -6 >"$f.part" && mv "$f.part" "$f") &
        if [ $((i % all)) = 0 ]; then wait; fi
    done
    wait
fi

# timed CMD...: runs CMD under /usr/bin/time, prints "wall cpu rss_kb"
timed() {
    /usr/bin/time -f '%e %U %S %M' -o "$work/scaling.time1" "$@" >/dev/null 2>"$work/scaling.log" || {
        echo "failed: $*; see $work/scaling.log" >&2
        exit 1
    }
    awk 'END { printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$work/scaling.time1"
}
inflate_all() { for f in "$@"; do igzip -dc "$f"; done; }
export -f inflate_all

# measure NAME THREADS FILES...: best of RUNS (interleaved) for igzip and mirq; one table row
tsv=$work/scaling.tsv
printf 'case\tsamples\treads\tthreads\tmirq_wall_s\tmirq_cpu_s\tmirq_rss_mb\tigzip_wall_s\tigzip_cpu_s\tmirq_over_igzip\n' >"$tsv"
measure() {
    local name=$1 t=$2 w c r iw="" ic="" best_w="" best_c="" best_r=0
    shift 2
    for _ in $(seq 1 "$runs"); do
        if [ $have_igzip = 1 ]; then
            read -r w c _ < <(timed bash -c 'inflate_all "$@"' inflate_all "$@")
            if [ -z "$iw" ] || awk "BEGIN { exit !($w < $iw) }"; then iw=$w; fi
            if [ -z "$ic" ] || awk "BEGIN { exit !($c < $ic) }"; then ic=$c; fi
        fi
        rm -rf "$work/scaling_out"
        read -r w c r < <(timed "$mirq" quant "$@" "${ref[@]}" -t "$t" --engine cpu -q -o "$work/scaling_out")
        if [ -z "$best_w" ] || awk "BEGIN { exit !($w < $best_w) }"; then best_w=$w; fi
        if [ -z "$best_c" ] || awk "BEGIN { exit !($c < $best_c) }"; then best_c=$c; fi
        if [ "$r" -gt "$best_r" ]; then best_r=$r; fi
    done
    local ratio="" total
    [ -n "$iw" ] && ratio=$(awk "BEGIN { if ($iw > 0) printf \"%.2f\", $best_w / $iw }")
    total=$(python3 -c "import json, sys; print(sum(s['reads_in'] for s in json.load(open(sys.argv[1]))['samples']))" \
        "$work/scaling_out/stats.json")
    printf '%s\t%d\t%d\t%d\t%s\t%s\t%.0f\t%s\t%s\t%s\n' "$name" "$#" "$total" "$t" \
        "$best_w" "$best_c" "$(awk "BEGIN { print $best_r / 1024 }")" "$iw" "$ic" "$ratio" >>"$tsv"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for t in $(printf '%s\n' 1 2 "$all" | sort -nu); do
    echo "threads: -t $t ..." >&2
    measure threads "$t" "$base"
done
for n in "${count_list[@]}"; do
    echo "samples: $n ..." >&2
    measure samples "$threads" "${samples[@]:0:$n}"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "$("$mirq" --version 2>/dev/null | head -n 1), $all cores (all threads = $all)," \
    "best of $runs, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $load_before before, $load_after after"
echo "threads rows: $base; samples rows: $dir/v01..; CPU = user + sys seconds"
column -t -s $'\t' "$tsv"
echo "table: $tsv"
