#!/usr/bin/env bash
# Time and peak memory of `mirq merge` over many per-sample output
# directories (issue 7: "merging 38 samples of ~200k unique inserts each takes
# seconds"). Each sample is the 2M-read simulated run of benches/compare.sh,
# its first READS reads replayed with fresh substitutions (examples/
# fastq_variants.rs, 0.3% per base, a seed per sample), quantified on its own
# with --hairpin; then all are merged.
#
#   MIRQ_SHARED=/path/to/shared bash benches/merge.sh [SAMPLES] [READS_PER_SAMPLE] [THREADS]
set -euo pipefail
samples=${1:-38}
reads=${2:-1000000}
threads=${3:-2}
# shellcheck source=benches/variants_setup.sh
source "$(dirname "$0")/variants_setup.sh"
ref=(--mature "$shared/data/mirbase/mature_nfcore_test.fa" --hairpin "$shared/data/mirbase/hairpin_hsa.fa" --species hsa)
dirs=()
for i in $(seq 1 "$samples"); do
    name=$(printf 's%02d' "$i")
    out=$work/merge_in/$name
    if [ ! -s "$out/stats.json" ]; then
        "$bin/examples/fastq_variants" "$base" "$reads" "$i" 0.003 | gzip -1 > "$work/$name.fastq.gz"
        "$bin/mirq" quant "$work/$name.fastq.gz" "${ref[@]}" -t "$threads" --engine cpu -q -o "$out"
        rm -f "$work/$name.fastq.gz"
    fi
    dirs+=("$out")
done
rm -rf "$work/merge_out"
/usr/bin/time -v "$bin/mirq" merge "${dirs[@]}" -t "$threads" -q -o "$work/merge_out" 2> "$work/merge.time"
python3 - "$work/merge_out/stats.json" "$work/merge.time" "${dirs[@]}" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
time = dict(l.strip().split(": ", 1) for l in open(sys.argv[2]) if ": " in l)
per = [json.load(open(d + "/stats.json"))["unique_inserts"] for d in sys.argv[3:]]
print(f"merged {len(per)} directories of {min(per):,}-{max(per):,} unique inserts "
      f"(sum {sum(per):,}; {stats['unique_inserts']:,} unique across samples)")
print(f"mirq merge: wall {time['Elapsed (wall clock) time (h:mm:ss or m:ss)']}, "
      f"peak RSS {int(time['Maximum resident set size (kbytes)']) / 1024:.0f} MiB")
PY
