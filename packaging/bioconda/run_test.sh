#!/usr/bin/env bash
# The Bioconda recipe's tests (conda-build runs a recipe's run_test.sh in the
# test environment, with the recipe's test source_files copied into the working
# directory). tests/packaging.rs runs this same script against the release
# binary. Expects `mirq` on PATH and demo/ in the working directory.
set -euo pipefail

mirq --version
mirq quant --help > /dev/null

mirq quant demo/reads/plasma_A.fastq.gz \
    --mature demo/reference/mature.fa --hairpin demo/reference/hairpin.fa \
    --species hsa --engine cpu -q -o out
test -s out/mature_counts.tsv
test -s out/hairpin_counts.tsv
test -s out/stats.json
echo "mirq recipe tests passed"
