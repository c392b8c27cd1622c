#!/usr/bin/env bash
# Seed corpora for the fuzz targets, cut from ../shared/data (the data is
# never copied into the repository: the corpora live in fuzz/corpus/, which
# git ignores). Run from anywhere; needs python3.
set -euo pipefail
cd "$(dirname "$0")"
data=../../shared/data
[ -d "$data" ] || { echo "no $data: the seed corpus is cut from the shared data" >&2; exit 1; }
python3 - "$data" <<'PY'
import gzip, os, sys, itertools
data = sys.argv[1]
def out(target, name, blob):
    d = os.path.join("corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)
fastqs = sorted(f for f in os.listdir(f"{data}/fastq") if f.endswith(".fastq.gz"))
reads = []
for f in fastqs:
    with gzip.open(f"{data}/fastq/{f}", "rb") as g:
        head = list(itertools.islice(g, 80))  # 20 records
    out("fastq_reader", f.replace(".gz", ""), b"".join(head))
    seqs = [head[i].strip() for i in range(1, len(head), 4)]
    reads += seqs[:5]
    for i, s in enumerate(seqs[:3]):
        out("read_prep", f"{f}.{i}", bytes([i]) + s)
adapters = [b"TGGAATTCTCGGGTGCCAAGG", b"AACTGTAGGCACCATCAAT", b"ATCTCGTATGCCGTCTTCTGCTTG", b"AAAAGAAAAAAAAAAAAA"]
for i, a in enumerate(adapters):
    for j, r in enumerate(reads[:6]):
        code = bytes("ACGTN".index(chr(c)) if chr(c) in "ACGTN" else 4 for c in a + r)
        out("adapter_search", f"a{i}r{j}", bytes([len(a) - 3]) + code)
out("samplesheet", "plain", b"sample,fastq_1\nA,a.fq\nB,b.fq\nA,a2.fq\n")
out("samplesheet", "quoted_bom_crlf", b"\xef\xbb\xbfsample,fastq_1,fastq_2\r\n\"A\",\"a, 1.fq\",\r\n")
out("samplesheet", "escape", b"sample,fastq_1\n../x,a.fq\n")
with gzip.open(f"{data}/mirbase/mature_v21.fa.gz", "rb") as g:
    lines = [l.strip() for l in itertools.islice(g, 400)]
matures = [l for l in lines if not l.startswith(b">")]
with open(f"{data}/mirbase/hairpin_hsa.fa", "rb") as g:
    hairpin = b"".join(l.strip() for l in itertools.islice(g, 1, 3))
code = lambda s: bytes("ACGTN".index(chr(c)) if chr(c) in "ACGTN" else 4 for c in s.replace(b"U", b"T"))
for i in range(10):
    m = matures[i * 3:(i * 3) + 3]
    body = b"\xff".join([code(x) for x in m] + [code(hairpin)] + [code(x[1:]) for x in m])
    out("reference_search", f"ref{i}", bytes([i % 3, i % 4, 2, i % 2]) + body)
out("inserts_file", "two_samples", b"##mirq-inserts 1\n#sequence\thits\ta\tb\nAC\t.\t1\t0\nTAGCAGCACG\t0:3:10:0:0:0\t2\t5\n")
out("inserts_file", "dedup", b"##mirq-inserts 1\n#sequence\thits\ta\nAC\t.\t3/1\n")
# merge_inputs: edits to two real runs' texts (see its documentation): none,
# a sample renamed to a path in both files of a, a row of a's inserts deleted
out("merge_inputs", "none", b"")
out("merge_inputs", "rename_traversal", bytes([4, 0, 0, 0, 7]) + b"../../x")
out("merge_inputs", "delete_row", bytes([9, 4, 0, 0, 0]))
print("seed corpora in", os.path.abspath("corpus"))
PY
