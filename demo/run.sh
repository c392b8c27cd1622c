#!/usr/bin/env bash
# Demo: quantify two small simulated human plasma runs (10,000 reads each,
# TruSeq small-RNA adapter) against 61 human miRNAs and their precursors.
# Builds mirq if needed; writes demo/out/.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
../target/release/mirq quant reads/plasma_A.fastq.gz reads/plasma_B.fastq.gz \
    --mature reference/mature.fa --hairpin reference/hairpin.fa --species hsa \
    --protocol illumina -o out
echo
echo "== out/mature_counts.tsv (top 10 by plasma_A) =="
table() { if command -v column >/dev/null; then column -t; else cat; fi; }
{ head -1 out/mature_counts.tsv; tail -n +2 out/mature_counts.tsv | sort -t$'\t' -k2,2gr | head -10; } | table
echo
echo "Outputs: $(cd out && ls -d * | tr '\n' ' ')"
