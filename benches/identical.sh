#!/usr/bin/env bash
# Runs mirq on every shared real run (CPU engine, plus the GPU engine on a
# few) into DEST, then, given a second DEST, compares the two sets byte by
# byte (stats.json without its timings, start/end times and command line;
# a .gz file decompressed, so that its compression may change).
# Used to show that a refactor changes no output:
#   benches/identical.sh /tmp/before            # on the old commit
#   benches/identical.sh /tmp/after /tmp/before  # on the new one: diff
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: identical.sh DEST [COMPARE_WITH]}
against=${2:-}
bin=${MIRQ:-target/release/mirq}
data=../shared/data
fq=$data/fastq
mature=$data/mirbase/mature_v21.fa.gz
hairpin=$data/mirbase/hairpin_v21.fa
rm -rf "$dest" && mkdir -p "$dest"

quant() { # name engine args...
    local name=$1 engine=$2; shift 2
    "$bin" quant -q --engine "$engine" --mature "$mature" --hairpin "$hairpin" \
        -o "$dest/$name" "$@" 2>"$dest/$name.stderr" || { echo "failed: $name" >&2; cat "$dest/$name.stderr" >&2; exit 1; }
}
for engine in cpu gpu; do
    quant "mirtrace_$engine" $engine --species hsa --protocol auto \
        "$fq/mirtrace_sample1.fastq.gz" "$fq/mirtrace_sample3.fastq.gz"
    quant "compsra_$engine" $engine --species hsa --protocol nextflex \
        "$fq"/compsra_sample0{1,2,3,7,8,9}.fastq.gz
    [ "$engine" = gpu ] && continue
    quant "qiaseq_$engine" $engine --species mmu --protocol qiaseq --dedup "$fq/mirtrace_qiaseq.fastq.gz"
    quant "excerpt_$engine" $engine --species hsa --adapter TCGTATGCCGTCTTCTGCTTG "$fq/excerpt_testdata_human.fastq.gz"
    quant "trimgalore_$engine" $engine --species mmu "$fq/trimgalore_smallRNA_100K.fastq.gz"
    quant "encode_$engine" $engine --species hsa --adapter none \
        "$fq"/encode_ENCSR569QVM_rep{1,2}_chr19_trimmed.fastq.gz
    quant "isomirmap_$engine" $engine --species hsa --adapter none "$fq/isomirmap_LCL_NA19257_random10k_trimmed.fastq.gz"
    quant "bovine_$engine" $engine --species bta --adapter none \
        "$fq"/smallrnaseq_bovine_{plasma,serum}_trimmed.fastq.gz
    quant "all_species_$engine" $engine --species all --adapter none "$fq/isomirmap_LCL_NA19257_random10k_trimmed.fastq.gz"
done
quant compsra_a cpu --species hsa --protocol nextflex "$fq"/compsra_sample0{1,2,3}.fastq.gz
quant compsra_b cpu --species hsa --protocol nextflex "$fq"/compsra_sample0{7,8,9}.fastq.gz
"$bin" merge -q -o "$dest/merged" "$dest/compsra_a" "$dest/compsra_b" 2>"$dest/merged.stderr"

# stats.json minus what differs between any two runs
normalise() {
    python3 - "$1" <<'PY'
import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items()
                if k not in ("timings", "seconds", "started", "finished", "command_line",
                             "engine_decision", "commit", "version", "peak_rss_bytes",
                             "elapsed_seconds", "align_inserts_per_second")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
print(json.dumps(strip(json.load(open(sys.argv[1]))), indent=1, sort_keys=True))
PY
}
if [ -n "$against" ]; then
    status=0
    while IFS= read -r f; do
        rel=${f#"$against"/}
        case "$rel" in *.stderr|*/report.html|*/mirq.log) continue ;; esac
        if [ ! -e "$dest/$rel" ]; then echo "missing: $rel"; status=1; continue; fi
        case "$rel" in
            *stats.json|*mirq_*.json) cmp -s <(normalise "$f") <(normalise "$dest/$rel") || { echo "differs: $rel"; status=1; } ;;
            *.gz) cmp -s <(gzip -dc "$f") <(gzip -dc "$dest/$rel") || { echo "differs: $rel"; status=1; } ;;
            *) cmp -s "$f" "$dest/$rel" || { echo "differs: $rel"; status=1; } ;;
        esac
    done < <(find "$against" -type f | sort)
    n=$(find "$against" -type f ! -name '*.stderr' | wc -l)
    [ $status = 0 ] && echo "identical: $n files" || exit 1
fi
