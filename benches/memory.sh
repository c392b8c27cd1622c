#!/usr/bin/env bash
# Peak memory of one `mirq quant` run over many large samples (issue 4:
# "peak RSS <= 1 GB for 38 samples x 5M reads"), without storing them: each
# sample is a pipe from `examples/fastq_variants.rs`, which replays the
# simulated run made by benches/compare.sh with fresh random substitutions
# (rate 0.003 per base, a seed per sample), so every sample brings its own
# error-carrying distinct inserts on top of the shared ones: a worst case
# for memory, which follows distinct inserts.
#
#   MIRQ_SHARED=/path/to/shared bash benches/memory.sh [SAMPLES] [READS_PER_SAMPLE] [THREADS]
#
# MIRQ_BIN=path/to/another/mirq measures that binary instead (before/after).
# MIRQ_BASE=path/to/run.fastq.gz replays that run instead of the simulated one.
# GZIP_INPUT=1 feeds every sample gzip-compressed (`fastq_variants | gzip -1` in
# the pipe, nothing stored), so mirq's peak RSS includes its decompression
# buffers (issue 24). gzip then costs about as much CPU as mirq, on the same
# cores: read the wall time of a GZIP_INPUT=1 run as an upper bound, its peak RSS
# (mirq's own; the pipes' processes are not counted) as the figure.
set -euo pipefail
samples=${1:-38}
reads=${2:-5000000}
threads=${3:-2}
gzip=${GZIP_INPUT:-0} # not GZIP: gzip reads that variable as its own options
# shellcheck source=benches/variants_setup.sh
source "$(dirname "$0")/variants_setup.sh"
compress=""
[ "$gzip" = 1 ] && compress=" | gzip -1"
inputs=()
for i in $(seq 1 "$samples"); do
    inputs+=("<($bin/examples/fastq_variants $base $reads $i 0.003$compress)")
done
out=$work/memory_out
rm -rf "$out"
mirq=${MIRQ_BIN:-$bin/mirq}
eval /usr/bin/time -v "$mirq" quant "${inputs[*]}" \
    --mature "$shared/data/mirbase/mature_nfcore_test.fa" --hairpin "$shared/data/mirbase/hairpin_hsa.fa" \
    --species hsa -t "$threads" --engine cpu -q -o "$out" 2> "$work/memory.time"
peak_kb=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/memory.time")
wall=$(awk -F': ' '/Elapsed \(wall/ {print $2}' "$work/memory.time")
python3 - "$out/stats.json" "$peak_kb" "$wall" "$samples" "$reads" "$gzip" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
peak_kb, wall, samples, reads = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
fed = "gzip (gzip -1 in the pipe)" if sys.argv[6] == "1" else "plain FASTQ"
per_sample = [s["unique_inserts"] for s in stats["samples"]]
if min(s["reads_in"] for s in stats["samples"]) < reads:
    sys.exit("a sample was read short: " + str([s["reads_in"] for s in stats["samples"]]))
print(f"samples {samples} x {reads:,} reads = {samples * reads:,} reads, fed as {fed}; wall {wall}")
print(f"distinct inserts per sample {min(per_sample):,}-{max(per_sample):,} "
      f"(sum {sum(per_sample):,}); unique across samples {stats['unique_inserts']:,}")
print(f"peak RSS {peak_kb / 1024:.0f} MiB")
PY
