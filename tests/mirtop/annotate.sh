#!/usr/bin/env bash
# annotate.sh — reproduce the nf-core/smrnaseq "mirtop" route on one FASTQ:
#   cutadapt -> collapse (seqcluster-style seq_N_xCOUNT) -> bowtie1 on the species' miRBase 22 hairpins
#   -> BAM -> mirtop gff --format BAM -> mirtop stats / validate
#
# usage: annotate.sh FASTQ.gz ADAPTER SPECIES OUTDIR [MODE]
#   ADAPTER : 3' adapter sequence, or "none" for already-trimmed reads
#   SPECIES : miRBase species code (hsa, mmu, ...)
#   OUTDIR  : output folder (created); the run name is the FASTQ basename without .fastq.gz/.fq.gz
#   MODE    : optional; "4n" = NEXTflex/COMPSRA style: after adapter trimming also cut 4 nt at both ends
#
# environment: mirtop 0.4.30, pysam, pybedtools, biopython, six, colorlog and cutadapt on PATH (or in
#              the virtualenv MIRTOP_VENV); bowtie 1.3.1 and samtools on PATH.
#              GFF3 (default ../shared/data/mirbase/hsa_v22.gff3 beside the checkout, or $MIRQ_SHARED) via
#              MIRTOP_GTF; hairpins (default the shared hairpin_v22.fa.gz) via HAIRPIN_ALL; REFDIR holds the
#              bowtie index (default OUTDIR/ref).
# This made tests/data/mirtop/*.mirtop.gff.gz (mirtop's annotation of the shared human runs).
set -euo pipefail

if [ $# -lt 4 ]; then
    echo "usage: $0 FASTQ.gz ADAPTER|none SPECIES OUTDIR [4n]" >&2
    exit 2
fi
FASTQ=$(readlink -f "$1"); ADAPTER=$2; SPS=$3; OUT=$4; MODE=${5:-}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${MIRQ_SHARED:-$HERE/../shared}
VENV=${MIRTOP_VENV:-}
GTF=${MIRTOP_GTF:-$SHARED/data/mirbase/hsa_v22.gff3}
HAIRPIN_ALL=${HAIRPIN_ALL:-$SHARED/data/mirbase/hairpin_v22.fa.gz}
REFDIR=${REFDIR:-$OUT/ref}
THREADS=${THREADS:-1}
# cutadapt length limits (nf-core/smrnaseq uses fastp -l 17 --max_len1 100; we follow the brief)
MINLEN=${MINLEN:-16}; MAXLEN=${MAXLEN:-40}

if [ -n "$VENV" ]; then
    # shellcheck disable=SC1091
    source "$VENV/bin/activate"
fi
mkdir -p "$OUT" "$REFDIR"
OUT=$(readlink -f "$OUT")
RUN=$(basename "$FASTQ"); RUN=${RUN%.gz}; RUN=${RUN%.fastq}; RUN=${RUN%.fq}
LOG="$OUT/annotate.log"
: > "$LOG"
echo "[annotate] run=$RUN adapter=$ADAPTER sps=$SPS mode=${MODE:-plain}" | tee -a "$LOG"

# ---------------------------------------------------------------- 1. hairpin reference (nf-core PARSE/FORMAT_FASTA_MIRNA)
# keep records whose name matches "<sps>-", header cut at the first blank, U->T, one line per sequence
HP="$REFDIR/hairpin_${SPS}_v22.fa"
if [ ! -s "$HP" ]; then
    zcat -f "$HAIRPIN_ALL" | awk -v sps="$SPS-" '
        /^>/ { keep = (index($1, ">" sps) == 1); if (keep) print $1; next }
        keep { gsub(/U/, "T"); gsub(/u/, "t"); print }' > "$HP"
fi
if [ ! -s "$REFDIR/hairpin_${SPS}_v22.1.ebwt" ]; then
    bowtie-build --threads "$THREADS" -q "$HP" "$REFDIR/hairpin_${SPS}_v22" >> "$LOG" 2>&1
fi

# ---------------------------------------------------------------- 2. adapter trimming (cutadapt)
TRIM="$OUT/$RUN.trimmed.fastq.gz"
if [ "$ADAPTER" = "none" ]; then
    cutadapt -j "$THREADS" -m "$MINLEN" -M "$MAXLEN" -o "$TRIM" "$FASTQ" >> "$LOG" 2>&1
elif [ "$MODE" = "4n" ]; then
    # insert = 4N + miRNA + 4N: adapter first (keep >= MINLEN+8), then cut 4 nt on each side
    cutadapt -j "$THREADS" -a "$ADAPTER" -e 0.1 -O 3 --discard-untrimmed -m $((MINLEN + 8)) \
        -o "$OUT/$RUN.pass1.fastq.gz" "$FASTQ" >> "$LOG" 2>&1
    cutadapt -j "$THREADS" -u 4 -u -4 -m "$MINLEN" -M "$MAXLEN" \
        -o "$TRIM" "$OUT/$RUN.pass1.fastq.gz" >> "$LOG" 2>&1
    rm -f "$OUT/$RUN.pass1.fastq.gz"
else
    cutadapt -j "$THREADS" -a "$ADAPTER" -e 0.1 -O 3 --discard-untrimmed -m "$MINLEN" -M "$MAXLEN" \
        -o "$TRIM" "$FASTQ" >> "$LOG" 2>&1
fi

# ---------------------------------------------------------------- 3. collapse (seqcluster collapse -m 1 --min_size 15)
# seqcluster names reads "seq_<idx>_x<count>" (idx = order of first appearance, count = identical reads),
# keeps count >= 1 and len > 15. mirtop reads the count back from the name (bam.py:_get_freq: name.split("_x")[1]).
COLL="$OUT/$RUN.collapsed.fa"
python3 - "$TRIM" "$COLL" <<'EOF'
import gzip, sys
counts = {}
with gzip.open(sys.argv[1], "rt") as fh:
    for i, line in enumerate(fh):
        if i % 4 == 1:
            s = line.strip().upper()
            counts[s] = counts.get(s, 0) + 1
with open(sys.argv[2], "w") as out:
    idx = 0
    for s, c in counts.items():       # insertion order = first appearance
        idx += 1                      # seqcluster increments idx before the length filter
        if c >= 1 and len(s) > 15:
            out.write(">seq_%d_x%d\n%s\n" % (idx, c, s))
EOF
echo "[annotate] collapsed: $(grep -c '^>' "$COLL") unique sequences" | tee -a "$LOG"

# ---------------------------------------------------------------- 4. bowtie1 on hairpins (nf-core BOWTIE_MAP_SEQCLUSTER)
# nf-core: bowtie --threads N --sam -x hairpin -q --un ... -t -k 50 --best --strata -e 99999 --chunkmbs 2048 reads
#          | samtools view -bS ; we feed FASTA (-f) instead of FASTQ (-q); no --norc (mirtop skips reverse hits).
BAM="$OUT/$RUN.bam"
bowtie --threads "$THREADS" --sam -x "$REFDIR/hairpin_${SPS}_v22" -f \
    -t -k 50 --best --strata -e 99999 --chunkmbs 2048 \
    "$COLL" 2>> "$LOG" | samtools view -bS -o "$BAM" -
samtools sort -@ "$THREADS" -o "$OUT/$RUN.sorted.bam" "$BAM" 2>> "$LOG"
samtools index "$OUT/$RUN.sorted.bam"
mv "$OUT/$RUN.sorted.bam" "$BAM"; mv "$OUT/$RUN.sorted.bam.bai" "$BAM.bai"
rm -f "$OUT/${RUN}_sort.bam"     # mirtop's own name-sorted copy (re-made by mirtop)

# ---------------------------------------------------------------- 5. mirtop gff (nf-core MIRTOP_GFF, no ext.args)
rm -rf "$OUT/mirtop"; mkdir -p "$OUT/mirtop"
mirtop gff --format BAM --sps "$SPS" --hairpin "$HP" --gtf "$GTF" -o "$OUT/mirtop" "$BAM" \
    >> "$OUT/mirtop/gff.log" 2>&1
# mirtop writes OUT/mirtop/<sample>.gff (per sample) and OUT/mirtop/mirtop.gff (merged, COLDATA = samples)

# ---------------------------------------------------------------- 6. mirtop stats + validate
mkdir -p "$OUT/mirtop/stats"
mirtop stats -o "$OUT/mirtop/stats" "$OUT/mirtop/mirtop.gff" > "$OUT/mirtop/stats.log" 2>&1
# NOTE: 'mirtop validate' in 0.4.30 parses its arguments and then does nothing (command_line.py tests
# kwargs for "validator" while parse.py registers the sub-command as "validate"), so we also call the
# validator function itself.
mirtop validate -o "$OUT/mirtop/validate_cli" "$OUT/mirtop/mirtop.gff" > "$OUT/mirtop/validate_cli.log" 2>&1 || true
python3 - "$OUT/mirtop/mirtop.gff" > "$OUT/mirtop/validate.log" 2>&1 <<'EOF'
import sys, logging, warnings
warnings.filterwarnings("ignore")
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
from mirtop.gff import validator
n = validator._check_file(sys.argv[1])
print("VALIDATE errors=%d file=%s" % (n, sys.argv[1]))
EOF
tail -1 "$OUT/mirtop/validate.log" | tee -a "$LOG"
echo "[annotate] gff lines: $(grep -vc '^#' "$OUT/mirtop/mirtop.gff")" | tee -a "$LOG"
