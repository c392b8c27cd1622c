#!/usr/bin/env bash
# rust-bio (`bio`) against mirq's own code on the two jobs where bio has a
# candidate (README, "Dependencies"): adapter search (bio's Myers matcher vs
# mirq's AdapterFinder) and exact placement on all other species' miRNAs
# (bio's FM index vs mirq's WindowStarts, the exogenous stage). One thread
# each. The comparison is a crate of its own (benches/rust_bio/), outside
# mirq's build and CI.
#
# Usage: bash benches/rust_bio.sh [FASTQ.gz] [WORKDIR]
#   FASTQ.gz  reads (default: benches/compare.sh's 2M-read simulation,
#             made there first when missing)
#   WORKDIR   where inputs and outputs go (default: a folder under ${TMPDIR:-/tmp})
# Environment: MIRQ_SHARED (default ../shared), MIRQ (default target/release/mirq)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${MIRQ_SHARED:-../shared}
WORK=${2:-${TMPDIR:-/tmp}/mirq-rust-bio}
FQ=${1:-${TMPDIR:-/tmp}/mirq-compare/sim_2000000_s42.fastq.gz}
if [ ! -s "$FQ" ]; then
    echo "no $FQ: making it with benches/compare.sh's simulation" >&2
    RUNS=1 bash benches/compare.sh 2000000 >/dev/null
fi
MIRQ=${MIRQ:-target/release/mirq}
[ -x "$MIRQ" ] || cargo build --release --quiet
mkdir -p "$WORK"
gzip -dc "$FQ" >"$WORK/reads.fastq"
# the distinct inserts, as mirq collapses them (plain hairpin reference)
"$MIRQ" quant -q -t 2 --mature "$SHARED/data/mirbase/mature_nfcore_test.fa" \
    --hairpin "$SHARED/data/mirbase/hairpin_hsa.fa" --species hsa -o "$WORK/quant" "$FQ"
gzip -dc "$WORK/quant/inserts.tsv.gz" | grep -v '^#' | cut -f1 >"$WORK/inserts.txt"
CARGO_TARGET_DIR="$WORK/target" cargo build --release --quiet --manifest-path benches/rust_bio/Cargo.toml
"$WORK/target/release/mirq-rust-bio-comparison" "$WORK/reads.fastq" "$WORK/inserts.txt" \
    "$SHARED/data/mirbase/mature_v21.fa.gz" "$SHARED/data/mirbase/hairpin_v21.fa" hsa
