#!/usr/bin/env bash
# What a genome screen costs: mirq quant with and without `--screen`
# against bowtie1 on the same genome, on one spiked simulated human run:
#   - the 2M-read run of benches/compare.sh (simulate_smallrna.py, 75 nt,
#     TruSeq adapter, seed 42), reused from WORKDIR when there;
#   - 5% E. coli 536 fragments (18-40 nt, both strands, 30% with one
#     substitution) interleaved into it by tests/tools/spike_genome.py;
#   - A: mirq quant (no screen); B: mirq quant --screen ecoli=GENOME (skipped
#     with a message when this mirq has no --screen option);
#   - bowtie-build --threads T on the genome, then bowtie -v 1 -a --best
#     --strata on A's unassigned distinct inserts (rows of A's
#     inserts.tsv.gz whose hits column is '.') of at least MIN_LEN nt (17:
#     shorter ones place by chance on a 5 Mb genome and a screen would not
#     look them up), both timed; bowtie again with the prebuilt E. coli index
#     of Debian/Ubuntu's bowtie-examples package when installed.
# Every step is timed with /usr/bin/time (seconds, peak RSS). Prints the
# table, the ratio (bowtie-build + bowtie) / (B - A) in wall time, and
# bowtie's hit rate (distinct inserts and reads aligned).
#
# Usage: bash benches/screen.sh [WORKDIR]
# Environment: MIRQ_SHARED (default ../shared), THREADS (2), READS (2000000),
#   SEED (42), FRACTION (0.05), MIN_LEN (17), MIRQ (binary; default
#   target/release/mirq, built here), GENOME (default the shared E. coli 536
#   genome, ../shared/data/screen/ecoli_536_NC_008253.fa.gz).
set -euo pipefail

WORK=${1:-${TMPDIR:-/tmp}/mirq-compare}
SHARED=${MIRQ_SHARED:-../shared}
THREADS=${THREADS:-2}
READS=${READS:-2000000}
SEED=${SEED:-42}
FRACTION=${FRACTION:-0.05}
MIN_LEN=${MIN_LEN:-17}
D=$SHARED/data
MATURE=$D/mirbase/mature_nfcore_test.fa
HAIRPIN=$D/mirbase/hairpin_hsa.fa
GENOME=${GENOME:-$D/screen/ecoli_536_NC_008253.fa.gz}
cd "$(dirname "$0")/.."
for f in "$MATURE" "$HAIRPIN" "$GENOME" "$SHARED/tools/simulate_smallrna.py"; do
    [ -e "$f" ] || { echo "not found: $f (set MIRQ_SHARED)" >&2; exit 1; }
done
if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time (GNU time) is needed for peak memory: apt-get install time" >&2
    exit 1
fi
if [ -z "${MIRQ:-}" ]; then
    cargo build --release --quiet
    MIRQ=target/release/mirq
fi
mkdir -p "$WORK"

SIM=$WORK/sim_${READS}_s$SEED.fastq.gz
if [ ! -s "$SIM" ]; then
    echo "simulating $READS reads into $SIM ..." >&2
    python3 "$SHARED/tools/simulate_smallrna.py" --mature "$MATURE" --species hsa \
        --reads "$READS" --read-length 75 --seed "$SEED" --out "${SIM%.fastq.gz}" >&2
fi
SPIKED=$WORK/sim_${READS}_s${SEED}_ecoli${FRACTION}.fastq.gz
if [ ! -s "$SPIKED" ]; then
    echo "spiking $FRACTION E. coli fragments into $SPIKED ..." >&2
    python3 tests/tools/spike_genome.py --genome "$GENOME" --mix "$SIM" --fraction "$FRACTION" \
        --seed "$SEED" --id-prefix ecoli --out "${SPIKED%.fastq.gz}" >&2
fi

calc() { awk "BEGIN { print $1 }"; }

# run NAME CMD: times CMD (a shell command line): seconds and peak RSS (KB)
declare -A SECS RSS
run() {
    local name=$1 cmd=$2 log=$WORK/screen_$1.time
    if ! /usr/bin/time -v -o "$log" bash -c "$cmd" >"$WORK/screen_$name.log" 2>&1; then
        echo "$name failed, see $WORK/screen_$name.log" >&2
        exit 1
    fi
    SECS[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
    RSS[$name]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
}

QUANT="'$MIRQ' quant '$SPIKED' --mature '$MATURE' --hairpin '$HAIRPIN' --species hsa -t $THREADS -q"
run mirq_A "$QUANT -o '$WORK/screen_A'"
if "$MIRQ" quant --help | grep -q -- '--screen'; then
    run mirq_B "$QUANT --screen 'ecoli=$GENOME' -o '$WORK/screen_B'"
else
    echo "this mirq has no --screen option: skipping the mirq screen run (B)" >&2
fi

# A's unassigned distinct inserts of >= MIN_LEN nt, as FASTA (reads per
# insert in the name, so bowtie's hits can be weighted)
UNASSIGNED=$WORK/screen_unassigned.fa
gzip -dc "$WORK/screen_A/inserts.tsv.gz" | awk -v min="$MIN_LEN" -F'\t' '
    /^#/ { next }
    $2 == "." && length($1) >= min { n = 0; for (i = 3; i <= NF; i++) n += $i; printf ">u%d_%d\n%s\n", NR, n, $1 }' \
    >"$UNASSIGNED"
INSERTS=$(grep -c '^>' "$UNASSIGNED" || true)
INSERT_READS=$(awk -F_ '/^>/ { n += $2 } END { print n + 0 }' "$UNASSIGNED")

have_bowtie=1
for tool in bowtie bowtie-build; do
    command -v $tool >/dev/null || { echo "skipping bowtie1: '$tool' is not installed (apt-get install bowtie)" >&2; have_bowtie=0; }
done
# aligned FILE: distinct inserts and reads with a hit in bowtie's output
aligned() { awk -F'\t' '!seen[$1]++ { split($1, p, "_"); n++; r += p[2] } END { printf "%d %d", n, r }' "$1"; }
if [ $have_bowtie = 1 ]; then
    gzip -dc "$GENOME" >"$WORK/screen_genome.fa"
    run bowtie_build "bowtie-build --threads $THREADS -q '$WORK/screen_genome.fa' '$WORK/screen_genome'"
    BT="bowtie -p $THREADS -v 1 -a --best --strata -f"
    run bowtie "$BT -x '$WORK/screen_genome' '$UNASSIGNED' > '$WORK/screen_bowtie.out'"
    read -r HIT_INSERTS HIT_READS <<<"$(aligned "$WORK/screen_bowtie.out")"
    PREBUILT=""
    if command -v dpkg >/dev/null && dpkg -L bowtie-examples >/dev/null 2>&1; then
        PREBUILT=$(dpkg -L bowtie-examples | grep '/e_coli\.1\.ebwt$' | head -1)
    fi
    if [ -n "$PREBUILT" ]; then
        run bowtie_examples "$BT -x '${PREBUILT%.1.ebwt}' '$UNASSIGNED' > '$WORK/screen_bowtie_examples.out'"
        read -r EX_INSERTS EX_READS <<<"$(aligned "$WORK/screen_bowtie_examples.out")"
    else
        echo "bowtie-examples is not installed: skipping bowtie with its prebuilt E. coli index" >&2
    fi
fi

echo
echo "input: $SPIKED ($(du -mL "$SPIKED" | cut -f1) MB; $READS simulated reads + $FRACTION E. coli), threads $THREADS, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "genome: $GENOME; A's unassigned distinct inserts >= $MIN_LEN nt: $INSERTS ($INSERT_READS reads)"
printf '%-34s %9s %14s\n' step seconds "peak RSS MB"
for name in mirq_A mirq_B bowtie_build bowtie bowtie_examples; do
    [ -n "${SECS[$name]:-}" ] || continue
    case $name in
        mirq_A) label="mirq quant (A, no screen)" ;;
        mirq_B) label="mirq quant --screen (B)" ;;
        bowtie_build) label="bowtie-build --threads $THREADS" ;;
        bowtie) label="bowtie -v 1 -a --best --strata" ;;
        bowtie_examples) label="bowtie, bowtie-examples index" ;;
    esac
    printf '%-34s %9.2f %14.1f\n' "$label" "${SECS[$name]}" "$(calc "${RSS[$name]} / 1024")"
done
echo
if [ -n "${HIT_INSERTS:-}" ]; then
    printf 'bowtie hit rate: %d of %d inserts (%.1f%%), %d of %d reads (%.1f%%)\n' \
        "$HIT_INSERTS" "$INSERTS" "$(calc "100 * $HIT_INSERTS / ($INSERTS > 0 ? $INSERTS : 1)")" \
        "$HIT_READS" "$INSERT_READS" "$(calc "100 * $HIT_READS / ($INSERT_READS > 0 ? $INSERT_READS : 1)")"
fi
if [ -n "${EX_INSERTS:-}" ]; then
    printf 'bowtie-examples index hit rate: %d inserts, %d reads\n' "$EX_INSERTS" "$EX_READS"
fi
if [ -n "${SECS[mirq_B]:-}" ]; then
    python3 - "$WORK/screen_B/stats.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print("mirq screen: timings.screen_align", s["timings"].get("screen_align"),
      "s; samples[].screen", [x.get("screen") for x in s["samples"]])
EOF
    extra=$(calc "${SECS[mirq_B]} - ${SECS[mirq_A]}")
    echo "mirq screen cost (B - A): $extra s"
    if [ -n "${SECS[bowtie]:-}" ]; then
        printf '(bowtie-build + bowtie) / (B - A): %.1fx\n' \
            "$(calc "(${SECS[bowtie_build]} + ${SECS[bowtie]}) / ($extra > 0 ? $extra : 0.001)")"
    fi
fi
