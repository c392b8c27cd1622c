#!/usr/bin/env bash
# The GPU engine's work next to the CPU engine's (issue 11): one simulated
# run quantified with `--engine cpu` and with `--engine gpu`, and the two
# `timings.align` (preparing the reference included) compared, against
#   (1) human matures + hairpins (miRBase 21), and
#   (2) all species' hairpins and matures (hairpin_v21.fa, mature_v21.fa.gz:
#       28,645 hairpins, 35,828 matures; `--species all`).
# On a machine without a GPU, `--engine gpu` runs on Mesa's lavapipe, which
# executes the kernels as vector code on the same cores: the ratio then
# measures how much more work the kernels do than the CPU engine.
# The tables of both engines must be byte-identical (checked).
#
#   MIRQ_SHARED=../shared bash benches/engine_ratio.sh [READS] [WORKDIR]
#
# READS defaults to 2,000,000 (the run of benches/compare.sh, seed 42,
# reused when present in WORKDIR).
set -euo pipefail
READS=${1:-2000000}
WORK=${2:-${TMPDIR:-/tmp}/mirq-compare}
SHARED=${MIRQ_SHARED:-../shared}
THREADS=${THREADS:-2}
cd "$(dirname "$0")/.."
MB=$SHARED/data/mirbase
mkdir -p "$WORK"
FQ=$WORK/sim_${READS}_s42.fastq.gz
if [ ! -s "$FQ" ]; then
    python3 "$SHARED/tools/simulate_smallrna.py" --mature "$MB/mature_nfcore_test.fa" --species hsa \
        --reads "$READS" --read-length 75 --seed 42 --out "${FQ%.fastq.gz}" >&2
fi
cargo build --release --quiet --bin mirq
MIRQ=target/release/mirq

compare() {
    local name=$1 mature=$2 hairpin=$3 species=$4
    for engine in cpu gpu; do
        "$MIRQ" quant "$FQ" --mature "$mature" --hairpin "$hairpin" --species "$species" \
            -t "$THREADS" -q --engine $engine -o "$WORK/ratio_${name}_$engine"
    done
    for f in mature_counts.tsv hairpin_counts.tsv isomirs.gff3; do
        cmp -s "$WORK/ratio_${name}_cpu/$f" "$WORK/ratio_${name}_gpu/$f" \
            || { echo "$name: $f differs between engines" >&2; exit 1; }
    done
    python3 - "$name" "$WORK/ratio_${name}_cpu/stats.json" "$WORK/ratio_${name}_gpu/stats.json" <<'PY'
import json, sys
name, cpu, gpu = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
adapter = gpu["gpu_adapter"]
c, g = cpu["timings"]["align"], gpu["timings"]["align"]
print(f"{name}: {cpu['unique_inserts']:,} distinct inserts; align cpu {c:.3f} s "
      f"({cpu['align_inserts_per_second']:,.0f}/s), gpu {g:.3f} s "
      f"({gpu['align_inserts_per_second']:,.0f}/s) on {adapter['name']} ({adapter['device_type']}); "
      f"gpu/cpu {g / c:.2f}x; tables identical")
PY
}
compare human "$MB/mature_nfcore_test.fa" "$MB/hairpin_hsa.fa" hsa
compare all_species "$MB/mature_v21.fa.gz" "$MB/hairpin_v21.fa" all
