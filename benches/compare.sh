#!/usr/bin/env bash
# End-to-end speed comparison on one simulated human run (issue 4):
#   gzip -dc (the floor), mirq quant -t 2, and cutadapt + bowtie1 (the chain
#   nf-core/smrnaseq runs), each timed with /usr/bin/time -v in the same run.
#
# Usage: bash benches/compare.sh [READS] [WORKDIR]
#   READS    reads to simulate (default 2000000; 75 nt, TruSeq adapter, gzip)
#   WORKDIR  where inputs and outputs go (default: a folder under ${TMPDIR:-/tmp})
# Environment:
#   MIRQ_SHARED  the shared data folder (default ../shared)
#   THREADS      threads for every tool (default 2)
#   SEED         simulator seed (default 42)
#   MIRQ         mirq binary (default: target/release/mirq, built here)
#   HAIRPIN      hairpin FASTA given to mirq (default: the human miRBase
#                hairpins, hairpin_hsa.fa; "none" for mature-only)
#
# The simulated input is kept in WORKDIR and reused when it exists. Tools that
# are not installed are skipped with a message. Prints seconds, reads/s and
# peak RSS per tool, then mirq's ratio to gzip -dc and to cutadapt+bowtie1.
set -euo pipefail

READS=${1:-2000000}
WORK=${2:-${TMPDIR:-/tmp}/mirq-compare}
SHARED=${MIRQ_SHARED:-../shared}
THREADS=${THREADS:-2}
SEED=${SEED:-42}
ADAPTER=TGGAATTCTCGGGTGCCAAGG
SPECIES=hsa
MATURE=$SHARED/data/mirbase/mature_nfcore_test.fa
HAIRPIN=${HAIRPIN:-$SHARED/data/mirbase/hairpin_hsa.fa}
HAIRPIN_ARG=""
[ "$HAIRPIN" = none ] || HAIRPIN_ARG="--hairpin '$HAIRPIN'"

cd "$(dirname "$0")/.."
if [ ! -f "$MATURE" ] || [ ! -f "$SHARED/tools/simulate_smallrna.py" ]; then
    echo "shared data not found under '$SHARED' (set MIRQ_SHARED)" >&2
    exit 1
fi
if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time (GNU time) is needed for peak memory: apt-get install time" >&2
    exit 1
fi
mkdir -p "$WORK"
FQ=$WORK/sim_${READS}_s$SEED.fastq.gz
if [ ! -s "$FQ" ]; then
    echo "simulating $READS reads (seed $SEED) into $FQ ..." >&2
    python3 "$SHARED/tools/simulate_smallrna.py" --mature "$MATURE" --species "$SPECIES" \
        --reads "$READS" --read-length 75 --seed "$SEED" --out "${FQ%.fastq.gz}" >&2
fi
if [ -z "${MIRQ:-}" ]; then
    cargo build --release --quiet
    MIRQ=target/release/mirq
fi

calc() { awk "BEGIN { print $1 }"; }

# run NAME CMD...: times CMD (a shell command line), records seconds and peak RSS
declare -A SECS RSS
run() {
    local name=$1 cmd=$2 log=$WORK/$1.time
    if ! /usr/bin/time -v -o "$log" bash -c "$cmd" >"$WORK/$name.log" 2>&1; then
        echo "$name failed, see $WORK/$name.log" >&2
        exit 1
    fi
    SECS[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
    RSS[$name]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
}

run gzip "gzip -dc '$FQ' > /dev/null"
run mirq "'$MIRQ' quant '$FQ' --mature '$MATURE' $HAIRPIN_ARG --species $SPECIES -t $THREADS -q -o '$WORK/mirq_out'"

have_chain=1
for tool in cutadapt bowtie bowtie-build; do
    if ! command -v $tool >/dev/null; then
        echo "skipping cutadapt+bowtie1: '$tool' is not installed" \
            "(pip install cutadapt; apt-get install bowtie)" >&2
        have_chain=0
    fi
done
if [ $have_chain = 1 ]; then
    # the species' mature sequences, T alphabet, one line each
    awk -v sp="$SPECIES-" '/^>/ { keep = index($1, ">" sp) == 1 }
        keep { if (/^>/) print $1; else { gsub(/U/, "T"); gsub(/u/, "t"); print } }' \
        "$MATURE" >"$WORK/mature_$SPECIES.fa"
    bowtie-build -q "$WORK/mature_$SPECIES.fa" "$WORK/mature_$SPECIES" >/dev/null
    run cutadapt "cutadapt -j $THREADS -a $ADAPTER -e 0.1 -O 3 --discard-untrimmed -m 16 -M 30 \
        -o '$WORK/trimmed.fastq' '$FQ'"
    run bowtie "bowtie -p $THREADS --norc -v 1 -a --best --strata -x '$WORK/mature_$SPECIES' \
        -q '$WORK/trimmed.fastq' > '$WORK/bowtie.out'"
    SECS[chain]=$(calc "${SECS[cutadapt]} + ${SECS[bowtie]}")
    RSS[chain]=$(( RSS[cutadapt] > RSS[bowtie] ? RSS[cutadapt] : RSS[bowtie] ))
fi

echo
echo "input: $FQ ($READS reads, $(du -mL "$FQ" | cut -f1) MB), threads $THREADS, $(nproc) cores, $(date -u +%Y-%m-%d)"
printf '%-22s %9s %12s %14s\n' tool seconds reads/s "peak RSS MB"
for name in gzip mirq cutadapt bowtie chain; do
    [ -n "${SECS[$name]:-}" ] || continue
    label=$name
    [ $name = gzip ] && label="gzip -dc"
    [ $name = mirq ] && label="mirq quant -t $THREADS"
    [ $name = chain ] && label="cutadapt+bowtie1"
    printf '%-22s %9.2f %12.0f %14.1f\n' "$label" "${SECS[$name]}" \
        "$(calc "$READS / ${SECS[$name]}")" "$(calc "${RSS[$name]} / 1024")"
done
echo
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('mirq: {:,} distinct inserts, engine {}, timings {}'.format(s['unique_inserts'], s['engine'], s['timings']))" "$WORK/mirq_out/stats.json"
printf 'mirq / gzip -dc:          %.2fx the time (goal <= 1.2)\n' \
    "$(calc "${SECS[mirq]} / ${SECS[gzip]}")"
if [ -n "${SECS[chain]:-}" ]; then
    printf 'cutadapt+bowtie1 / mirq:  %.1fx faster (goal >= 10)\n' \
        "$(calc "${SECS[chain]} / ${SECS[mirq]}")"
fi
