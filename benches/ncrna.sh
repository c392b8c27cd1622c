#!/usr/bin/env bash
# What --ncrna costs (issue 16): mirq quant with and without the human ncRNA
# set (../shared/data/ncrna/hsa, ten class files), on both engines, on
#   - the 2M-read simulated run of benches/compare.sh (TruSeq, seed 42,
#     distinct-heavy: 6% random inserts), reused from its folder when there;
#   - the same simulator (tests/tools copy) with 20% of the reads drawn from
#     the ncRNA set (--ncrna-fraction 0.2), 2M reads;
#   - the real runs miRTrace sample1 and the six COMPSRA runs (one
#     multi-sample run).
# Each configuration runs REPEATS times (default 2); prints elapsed seconds,
# timings.align and timings.ncrna_align (its ncRNA part) per run, and the
# ratio of elapsed time with --ncrna to without.
#
# Usage: bash benches/ncrna.sh [WORKDIR]
# Environment: MIRQ_SHARED (default ../shared), THREADS (2), REPEATS (2),
#   ENGINES ("cpu gpu"; gpu runs only where `mirq devices` finds an adapter),
#   MIRQ (binary; default target/release/mirq, built here).
set -euo pipefail

WORK=${1:-${TMPDIR:-/tmp}/mirq-compare}
SHARED=${MIRQ_SHARED:-../shared}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-2}
ENGINES=${ENGINES:-cpu gpu}
D=$SHARED/data
cd "$(dirname "$0")/.."
if [ -z "${MIRQ:-}" ]; then
    cargo build --release --quiet
    MIRQ=target/release/mirq
fi
mkdir -p "$WORK"

NCRNA=()
for c in tRNA rRNA snRNA snoRNA YRNA 7SK 7SL_SRP vaultRNA misc_other artifact; do
    NCRNA+=(--ncrna "$D/ncrna/hsa/$c.fa")
done

SIM=$WORK/sim_2000000_s42.fastq.gz
if [ ! -s "$SIM" ]; then
    echo "simulating 2M reads into $SIM ..." >&2
    python3 "$SHARED/tools/simulate_smallrna.py" --mature "$D/mirbase/mature_nfcore_test.fa" \
        --species hsa --reads 2000000 --read-length 75 --seed 42 --out "${SIM%.fastq.gz}" >&2
fi
SIMNC=$WORK/simnc_2000000_s42.fastq.gz
if [ ! -s "$SIMNC" ]; then
    echo "simulating 2M reads (20% ncRNA) into $SIMNC ..." >&2
    NCSIM=()
    for c in tRNA rRNA snRNA snoRNA YRNA 7SK 7SL_SRP; do NCSIM+=(--ncrna "$D/ncrna/hsa/$c.fa"); done
    python3 tests/tools/simulate_smallrna.py --mature "$D/mirbase/mature_v21.fa.gz" \
        --hairpin "$D/mirbase/hairpin_v21.fa" --species hsa --reads 2000000 --read-length 75 \
        --seed 42 --ncrna-fraction 0.2 "${NCSIM[@]}" --out "${SIMNC%.fastq.gz}" >&2
fi

has_gpu() { ! "$MIRQ" devices 2>/dev/null | grep -q "no GPU adapter"; }

# one NAME ENGINE NCRNA(yes|no) ARGS...: a quant run, its figures on stdout
one() {
    local name=$1 engine=$2 nc=$3
    shift 3
    local out=$WORK/ncrna_out
    local extra=()
    [ "$nc" = yes ] && extra=("${NCRNA[@]}")
    "$MIRQ" quant -q -t "$THREADS" --engine "$engine" --species hsa \
        --mature "$D/mirbase/mature_v21.fa.gz" --hairpin "$D/mirbase/hairpin_hsa.fa" \
        "$@" "${extra[@]}" -o "$out" 2>/dev/null
    python3 - "$out/stats.json" "$name" "$engine" "$nc" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["timings"]
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{sys.argv[4]}\t{s['unique_inserts']}\t{s['elapsed_seconds']:.3f}"
      f"\t{t['align']:.3f}\t{t.get('ncrna_align') or 0:.3f}")
EOF
}

RUNS=(
    "sim2M|$SIM"
    "sim2M_ncrna20|$SIMNC"
    "mirtrace_sample1|$D/fastq/mirtrace_sample1.fastq.gz"
    "compsra_x6|--protocol nextflex $(for n in 01 02 03 07 08 09; do printf '%s ' "$D/fastq/compsra_sample$n.fastq.gz"; done)"
)
RESULTS=$WORK/ncrna_bench.tsv
printf 'run\tengine\tncrna\tunique_inserts\telapsed_s\talign_s\tncrna_align_s\n' > "$RESULTS"
for engine in $ENGINES; do
    if [ "$engine" = gpu ] && ! has_gpu; then
        echo "no GPU adapter: skipping the gpu engine" >&2
        continue
    fi
    for run in "${RUNS[@]}"; do
        name=${run%%|*}
        read -r -a args <<< "${run#*|}"
        for _ in $(seq "$REPEATS"); do
            for nc in no yes; do
                one "$name" "$engine" "$nc" "${args[@]}" >> "$RESULTS"
            done
        done
    done
done
column -t "$RESULTS"
echo
echo "elapsed with --ncrna / without (mean over repeats):"
python3 - "$RESULTS" <<'EOF'
import csv, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
acc = defaultdict(list)
for r in rows:
    acc[(r["run"], r["engine"], r["ncrna"])].append(r)
for (run, engine, nc), rs in sorted(acc.items()):
    if nc != "yes":
        continue
    mean = lambda rs, k: sum(float(r[k]) for r in rs) / len(rs)
    base = acc[(run, engine, "no")]
    print(f"{run:18} {engine}: elapsed {mean(base,'elapsed_s'):.3f} -> {mean(rs,'elapsed_s'):.3f} s "
          f"({mean(rs,'elapsed_s')/mean(base,'elapsed_s'):.2f}x); align {mean(base,'align_s'):.3f} -> "
          f"{mean(rs,'align_s'):.3f} s (ncRNA part {mean(rs,'ncrna_align_s'):.3f} s)")
EOF
