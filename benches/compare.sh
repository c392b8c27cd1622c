#!/usr/bin/env bash
# End-to-end speed comparison on one human small-RNA run (issues 4 and 24):
#   igzip -dc (ISA-L, single-threaded: the inflate floor; Debian package `isal`),
#   gzip -dc, mirq quant -t THREADS, cutadapt + bowtie1 (the chain
#   nf-core/smrnaseq runs) and the leanest scripted chain: fastp (adapter,
#   length 16-30, gzip output), collapsing identical inserts (an awk hash over
#   the sequence lines, FASTA with counts) and bowtie1 on the collapsed inserts.
#
# Usage: bash benches/compare.sh [READS | FASTQ] [WORKDIR]
#   READS    reads to simulate (default 2000000; 75 nt, TruSeq adapter, gzip)
#   FASTQ    an existing (gzip) FASTQ to use instead of simulating one
#   WORKDIR  where inputs and outputs go (default: a folder under ${TMPDIR:-/tmp})
# Environment:
#   MIRQ_SHARED  the shared data folder (default ../shared)
#   THREADS      threads for every multi-threaded tool (default 2)
#   RUNS         times each command runs, interleaved round by round (default 3)
#   SEED         simulator seed (default 42)
#   SIM_ARGS     extra simulate_smallrna.py flags, named in the input's file
#                name. With 2M reads and seed 42: none (the default) gives
#                281,434 distinct inserts, "--pcr-copies 9" 84,910 and
#                "--pcr-copies 21 --error-scale 0.5" 46,771 (issue 24's
#                ~45k-distinct file)
#   MIRQ         mirq binary (default: target/release/mirq, built here)
#   HAIRPIN      hairpin FASTA given to mirq (default: the human miRBase
#                hairpins, hairpin_hsa.fa; "none" for mature-only)
#
# A simulated input is kept in WORKDIR and reused when it exists; the bowtie
# index is built before timing. Tools that are not installed are skipped with a
# message (igzip: apt-get install isal; fastp: apt-get install fastp; bowtie:
# apt-get install bowtie; cutadapt: pip install cutadapt). Every command runs
# RUNS times, interleaved (igzip, gzip, mirq, ..., igzip, gzip, mirq, ...),
# under /usr/bin/time. Prints per tool the best wall seconds and their range,
# the best CPU seconds (user + sys), reads/s and peak RSS (chains: per round
# sums of their steps; RSS: the largest step), mirq's stats.json timings and
# distinct inserts, then the ratios of issue 24's goals.
set -euo pipefail

ARG=${1:-2000000}
SHARED=${MIRQ_SHARED:-../shared}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
SEED=${SEED:-42}
SIM_ARGS=${SIM_ARGS:-}
ADAPTER=TGGAATTCTCGGGTGCCAAGG
SPECIES=hsa
FQ=""
if [ -f "$ARG" ]; then
    FQ=$(realpath "$ARG")
elif ! [[ $ARG =~ ^[0-9]+$ ]]; then
    echo "'$ARG' is neither a read count nor an existing FASTQ file" >&2
    exit 1
fi
WORK=${2:-${TMPDIR:-/tmp}/mirq-compare}

cd "$(dirname "$0")/.."
MATURE=$SHARED/data/mirbase/mature_nfcore_test.fa
HAIRPIN=${HAIRPIN:-$SHARED/data/mirbase/hairpin_hsa.fa}
HAIRPIN_ARG=""
[ "$HAIRPIN" = none ] || HAIRPIN_ARG="--hairpin '$HAIRPIN'"
if [ ! -f "$MATURE" ] || [ ! -f "$SHARED/tools/simulate_smallrna.py" ]; then
    echo "shared data not found under '$SHARED' (set MIRQ_SHARED)" >&2
    exit 1
fi
if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time (GNU time) is needed for CPU time and peak memory: apt-get install time" >&2
    exit 1
fi
mkdir -p "$WORK"
if [ -z "$FQ" ]; then
    # the simulator's extra flags, as a file-name tag: "--pcr-copies 9" -> _pcr_copies_9
    tag=$(printf '%s' "$SIM_ARGS" | sed 's/--//g; s/[^A-Za-z0-9.]\{1,\}/_/g; s/^_*//; s/_*$//')
    FQ=$WORK/sim_${ARG}_s$SEED${tag:+_$tag}.fastq.gz
    if [ ! -s "$FQ" ]; then
        echo "simulating $ARG reads (seed $SEED${SIM_ARGS:+, $SIM_ARGS}) into $FQ ..." >&2
        # shellcheck disable=SC2086 # SIM_ARGS holds several flags
        python3 "$SHARED/tools/simulate_smallrna.py" --mature "$MATURE" --species "$SPECIES" \
            --reads "$ARG" --read-length 75 --seed "$SEED" $SIM_ARGS --out "${FQ%.fastq.gz}" >&2
    fi
fi
if [ -z "${MIRQ:-}" ]; then
    cargo build --release --quiet
    MIRQ=target/release/mirq
fi

calc() { awk "BEGIN { print $1 }"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# timed NAME CMD: runs the shell command line CMD once under /usr/bin/time and
# appends "wall cpu rss_kb" to WORK/NAME.times
timed() {
    local name=$1 cmd=$2
    if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/$name.time1" bash -c "$cmd" >"$WORK/$name.log" 2>&1; then
        echo "$name failed, see $WORK/$name.log" >&2
        exit 1
    fi
    awk 'END { printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$WORK/$name.time1" >>"$WORK/$name.times"
}

have() {
    local what=$1 hint=$2 tool
    shift 2
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null; then
            echo "skipping $what: '$tool' is not installed ($hint)" >&2
            return 1
        fi
    done
}

have_igzip=0 have_chain=0 have_lean=0
have "igzip -dc" "apt-get install isal" igzip && have_igzip=1
have cutadapt+bowtie1 "pip install cutadapt; apt-get install bowtie" cutadapt bowtie bowtie-build && have_chain=1
have fastp+collapse+bowtie1 "apt-get install fastp bowtie" fastp bowtie bowtie-build && have_lean=1
IDX=$WORK/mature_$SPECIES
if [ $have_chain = 1 ] || [ $have_lean = 1 ]; then
    # the species' mature sequences, T alphabet, one line each; indexed untimed
    awk -v sp="$SPECIES-" '/^>/ { keep = index($1, ">" sp) == 1 }
        keep { if (/^>/) print $1; else { gsub(/U/, "T"); gsub(/u/, "t"); print } }' \
        "$MATURE" >"$IDX.fa"
    bowtie-build -q "$IDX.fa" "$IDX" >/dev/null
fi

rm -f "$WORK"/*.times "$WORK/mirq.timings"
LOAD_BEFORE=$(load)
for round in $(seq 1 "$RUNS"); do
    echo "round $round of $RUNS ..." >&2
    [ $have_igzip = 1 ] && timed igzip "igzip -dc '$FQ' > /dev/null"
    timed gzip "gzip -dc '$FQ' > /dev/null"
    rm -rf "$WORK/mirq_out"
    timed mirq "'$MIRQ' quant '$FQ' --mature '$MATURE' $HAIRPIN_ARG --species $SPECIES -t $THREADS -q -o '$WORK/mirq_out'"
    python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['timings'])" \
        "$WORK/mirq_out/stats.json" >>"$WORK/mirq.timings"
    if [ $have_chain = 1 ]; then
        timed cutadapt "cutadapt -j $THREADS -a $ADAPTER -e 0.1 -O 3 --discard-untrimmed -m 16 -M 30 \
            -o '$WORK/trimmed.fastq' '$FQ'"
        timed bowtie "bowtie -p $THREADS --norc -v 1 -a --best --strata -x '$IDX' \
            -q '$WORK/trimmed.fastq' > '$WORK/bowtie.out'"
    fi
    if [ $have_lean = 1 ]; then
        timed fastp "fastp -w $THREADS -a $ADAPTER -l 16 --length_limit 30 -i '$FQ' \
            -o '$WORK/lean_trimmed.fastq.gz' -j '$WORK/fastp.json' -h '$WORK/fastp.html'"
        timed collapse "gzip -dc '$WORK/lean_trimmed.fastq.gz' |
            awk 'NR % 4 == 2 { n[\$0]++ } END { for (s in n) printf \">%d_x%d\n%s\n\", ++i, n[s], s }' \
            > '$WORK/lean_collapsed.fa'"
        timed bowtie_lean "bowtie -p $THREADS -f --norc -v 1 -a --best --strata -x '$IDX' \
            '$WORK/lean_collapsed.fa' > '$WORK/bowtie_lean.out'"
    fi
done
LOAD_AFTER=$(load)

# a chain's rounds: the sums of its steps' wall and CPU seconds, its largest RSS
chain() {
    local out=$1
    shift
    paste -d' ' "$@" | awk '{ w = c = r = 0
        for (i = 1; i <= NF; i += 3) { w += $i; c += $(i + 1); if ($(i + 2) > r) r = $(i + 2) }
        printf "%.2f %.2f %d\n", w, c, r }' >"$WORK/$out.times"
}
[ $have_chain = 1 ] && chain chain "$WORK/cutadapt.times" "$WORK/bowtie.times"
[ $have_lean = 1 ] && chain lean "$WORK/fastp.times" "$WORK/collapse.times" "$WORK/bowtie_lean.times"

# best wall, worst wall, best CPU, peak RSS (kB) over the rounds
declare -A BEST
summary() {
    awk 'NR == 1 { lo = hi = $1; c = $2; r = $3 }
        { if ($1 < lo) lo = $1; if ($1 > hi) hi = $1; if ($2 < c) c = $2; if ($3 > r) r = $3 }
        END { print lo, hi, c, r }' "$WORK/$1.times"
}

READS=$(python3 -c "import json, sys; print(sum(s['reads_in'] for s in json.load(open(sys.argv[1]))['samples']))" \
    "$WORK/mirq_out/stats.json")
DISTINCT=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['unique_inserts'])" \
    "$WORK/mirq_out/stats.json")
echo
echo "input: $FQ ($READS reads, $DISTINCT distinct inserts, $(du -mL "$FQ" | cut -f1) MB)"
echo "threads $THREADS, $(nproc) cores, best of $RUNS interleaved runs, $(date -u '+%Y-%m-%d %H:%M UTC')," \
    "load average $LOAD_BEFORE before, $LOAD_AFTER after"
printf '%-30s %8s %13s %8s %12s %12s\n' tool "wall s" "wall range" "CPU s" reads/s "peak RSS MB"
for name in igzip gzip mirq cutadapt bowtie chain fastp collapse bowtie_lean lean; do
    [ -s "$WORK/$name.times" ] || continue
    read -r lo hi cpu rss < <(summary "$name")
    BEST[$name]=$lo
    BEST[${name}_cpu]=$cpu
    case $name in
        igzip) label="igzip -dc" ;;
        gzip) label="gzip -dc" ;;
        mirq) label="mirq quant -t $THREADS" ;;
        cutadapt | bowtie) label="  $name" ;;
        chain) label="cutadapt+bowtie1" ;;
        fastp) label="  fastp -w $THREADS" ;;
        collapse) label="  collapse (awk)" ;;
        bowtie_lean) label="  bowtie -f (collapsed)" ;;
        lean) label="fastp+collapse+bowtie1" ;;
    esac
    printf '%-30s %8.2f %13s %8.2f %12.0f %12.1f\n' "$label" "$lo" "$lo-$hi" "$cpu" \
        "$(calc "$READS / $lo")" "$(calc "$rss / 1024")"
done
echo
echo "mirq: $DISTINCT distinct inserts; stats.json timings per run:"
sed 's/^/  /' "$WORK/mirq.timings"
if [ -n "${BEST[igzip]:-}" ]; then
    printf 'mirq / igzip -dc:               %.2fx the wall time, %.2fx the CPU time' \
        "$(calc "${BEST[mirq]} / ${BEST[igzip]}")" "$(calc "${BEST[mirq_cpu]} / ${BEST[igzip_cpu]}")"
    echo " (goal <= 2.5 at ~45k distinct, <= 3.5 at >= 240k)"
fi
printf 'mirq / gzip -dc:                %.2fx the wall time\n' "$(calc "${BEST[mirq]} / ${BEST[gzip]}")"
if [ -n "${BEST[chain]:-}" ]; then
    printf 'cutadapt+bowtie1 / mirq:        %.1fx the wall time (goal >= 15), %.1fx the CPU time\n' \
        "$(calc "${BEST[chain]} / ${BEST[mirq]}")" "$(calc "${BEST[chain_cpu]} / ${BEST[mirq_cpu]}")"
fi
if [ -n "${BEST[lean]:-}" ]; then
    printf 'fastp+collapse+bowtie1 / mirq:  %.1fx the wall time (goal >= 10), %.1fx the CPU time\n' \
        "$(calc "${BEST[lean]} / ${BEST[mirq]}")" "$(calc "${BEST[lean_cpu]} / ${BEST[mirq_cpu]}")"
fi
