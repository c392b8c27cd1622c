#!/usr/bin/env python3
"""Simulate small-RNA-seq reads with a known origin, for accuracy tests.

Draws mature miRNAs of one species from a miRBase-style mature.fa/hairpin.fa
pair, makes isomiRs from the precursor (5' shifts, 3' trimming, templated 3'
extension, non-templated 3' A/U additions, SNVs), adds a library protocol's
adapter (and UMI), sequencing errors tied to base quality, adapter dimers,
too-short fragments, precursor loop fragments and unmappable RNA.

Writes PREFIX.fastq.gz and PREFIX.truth.tsv. Read names are opaque; the truth
file maps each read to its origin:
  read_id  origin  mature  hairpin  variant  insert  umi  molecule
origin is one of mirna, loop, dimer, short, other, long (and ncrna with
--ncrna: mature is then the class, the FASTA file's name, and hairpin the
record's name). With --pcr-copies,
each molecule (insert + UMI) is sequenced several times (PCR duplicates, each
copy with its own errors); reads of one molecule share the molecule id, so
UMI deduplication can be scored against the number of distinct molecules.

Plain Python 3, no dependencies.

mirq's copy of ../shared/tools/simulate_smallrna.py with one addition:
--ncrna FASTA (repeatable) draws a --ncrna-fraction of the reads (taken from
the miRNA reads) from those files: sense fragments of 18-34 nt, for tRNAs
5' fragments, 3' fragments ending with the CCA and internal ones. Without
--ncrna its output is the original's, read for read.
"""
import argparse
import gzip
import math
import random

PROTOCOLS = {
    # name: (5' random bases, 3' random bases before adapter, adapter, umi length, tail after adapter/umi)
    "illumina": (0, 0, "TGGAATTCTCGGGTGCCAAGG", 0, "AACTCCAGTCACATCTCGTATGCCGTCTTCTGCTTG"),
    "qiaseq": (0, 0, "AACTGTAGGCACCATCAAT", 12, "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"),
    "nextflex": (4, 4, "TGGAATTCTCGGGTGCCAAGG", 0, "AACTCCAGTCACATCTCGTATGCCGTCTTCTGCTTG"),
}
BASES = "ACGT"


def read_fasta(path, prefix):
    seqs, name = {}, None
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(">"):
                name = line[1:].split()[0]
                keep = name.startswith(prefix + "-")
                if keep:
                    seqs[name] = ""
                else:
                    name = None
            elif name:
                seqs[name] += line.upper().replace("U", "T")
    return seqs


def rand_seq(rng, n):
    return "".join(rng.choice(BASES) for _ in range(n))


QUALS = (37, 32, 25, 14)
QUAL_WEIGHTS = (80, 10, 7, 3)


def quality_and_errors(rng, seq, error_scale):
    quals = rng.choices(QUALS, weights=QUAL_WEIGHTS, k=len(seq))
    out = list(seq)
    for i, q in enumerate(quals):
        if rng.random() < min(0.75, error_scale * 10 ** (-q / 10)):
            out[i] = rng.choice([x for x in BASES if x != out[i]])
    return "".join(out), "".join(chr(q + 33) for q in quals)


def make_isomir(rng, mature, hairpin, start):
    """Return (insert, variant label) for one read drawn around a mature arm."""
    end = start + len(mature)
    labels = []
    s, e = start, end
    r = rng.random()
    if r < 0.08 and s > 0:
        s -= 1
        labels.append("iso_5p:+1")  # one more nucleotide at the 5' end
    elif r < 0.14:
        s += 1
        labels.append("iso_5p:-1")
    r = rng.random()
    if r < 0.25:
        k = rng.choice((1, 1, 2, 3))
        e -= k
        labels.append(f"iso_3p:-{k}")
    elif r < 0.40:
        k = rng.choice((1, 1, 2))
        if e + k <= len(hairpin):
            e += k
            labels.append(f"iso_3p:+{k}")
    insert = hairpin[s:e]
    if rng.random() < 0.12:
        k = rng.choice((1, 1, 2))
        insert += "".join(rng.choice("AAAT") for _ in range(k))
        labels.append(f"iso_add3p:{k}")
    if rng.random() < 0.03:
        i = rng.randrange(len(insert))
        insert = insert[:i] + rng.choice([x for x in BASES if x != insert[i]]) + insert[i + 1:]
        labels.append("iso_snv")
    return insert, ",".join(labels) or "canonical"


def read_ncrna_class(path):
    """(class, [(name, sequence)]) of one ncRNA FASTA file (records of at least 18 nt)."""
    name = path.rsplit("/", 1)[-1]
    for ending in (".gz", ".fasta", ".fa"):
        if name.endswith(ending):
            name = name[: -len(ending)]
    records, header, seq = [], None, []
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                if header is not None:
                    records.append((header, "".join(seq).upper().replace("U", "T")))
                fields = line[1:].split()[0].split("|")
                header, seq = (fields[2] or fields[3]) if len(fields) >= 4 else fields[0], []
            elif line:
                seq.append(line)
    if header is not None:
        records.append((header, "".join(seq).upper().replace("U", "T")))
    records = [(n, s) for n, s in records if len(s) >= 18 and set(s) <= set(BASES)]
    return name, records


def ncrna_fragment(rng, classes):
    """(class, record name, insert): a sense fragment of a record of a class drawn uniformly."""
    cls, records = rng.choice(classes)
    name, seq = rng.choice(records)
    ln = min(len(seq), rng.randint(18, 34))
    if cls == "tRNA":
        kind = rng.random()
        if kind < 0.4:
            start = 0
        elif kind < 0.8:
            start = len(seq) - ln
        else:
            start = rng.randint(0, len(seq) - ln)
    else:
        start = rng.randint(0, len(seq) - ln)
    return cls, name, seq[start:start + ln]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mature", required=True)
    ap.add_argument("--hairpin", help="miRBase hairpin.fa; without it, flanks are random (mature-only mode)")
    ap.add_argument("--write-hairpins", metavar="FASTA",
                    help="write the precursors used (real or pseudo) as FASTA, to test a tool's hairpin mode")
    ap.add_argument("--species", default="hsa", help="miRBase species prefix (hsa, mmu, ...)")
    ap.add_argument("--reads", type=int, default=200_000)
    ap.add_argument("--read-length", type=int, default=75)
    ap.add_argument("--protocol", choices=sorted(PROTOCOLS), default="illumina")
    ap.add_argument("--error-scale", type=float, default=1.0, help="multiplies the per-base error probability")
    ap.add_argument("--pcr-copies", type=float, default=0.0,
                    help="mean extra copies per molecule (geometric); 0 = no duplicates")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ncrna", action="append", default=[], metavar="FASTA",
                    help="ncRNA class file (its name less .fa is the class); repeatable")
    ap.add_argument("--ncrna-fraction", type=float, default=0.2,
                    help="share of the reads drawn from the --ncrna files")
    ap.add_argument("--out", required=True, help="output prefix")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    mature = read_fasta(a.mature, a.species)
    if a.hairpin:
        hairpin = read_fasta(a.hairpin, a.species)
    else:  # mature-only mode: each mature sequence sits in a pseudo-precursor with random flanks
        hairpin = {}
        for mname, mseq in sorted(mature.items()):
            hairpin[f"{a.species}-sim-{mname[len(a.species) + 1:]}"] = rand_seq(rng, 5) + mseq + rand_seq(rng, 40)
    if a.write_hairpins:
        with open(a.write_hairpins, "w") as out:
            for name, seq in sorted(hairpin.items()):
                out.write(f">{name} simulated precursor\n{seq.replace('T', 'U')}\n")
    # locate each mature sequence inside the hairpins that contain it
    arms = []
    for mname, mseq in sorted(mature.items()):
        hits = [(h, hs.find(mseq)) for h, hs in sorted(hairpin.items()) if mseq in hs]
        if hits:
            arms.append((mname, mseq, hits))
    if not arms:
        raise SystemExit(f"no mature sequence of {a.species} was found inside a hairpin")
    weights = [math.exp(rng.gauss(0, 2.2)) for _ in arms]
    hairpin_names = sorted(hairpin)
    n5, n3, adapter, umi_len, tail = PROTOCOLS[a.protocol]
    ncrna = [read_ncrna_class(path) for path in a.ncrna]

    with gzip.open(a.out + ".fastq.gz", "wt", compresslevel=6) as fq, open(a.out + ".truth.tsv", "w") as tr:
        tr.write("read_id\torigin\tmature\thairpin\tvariant\tinsert\tumi\tmolecule\n")
        picks = rng.choices(range(len(arms)), weights=weights, k=a.reads)
        i = 0
        for mol in range(a.reads):
            if i >= a.reads:
                break
            r = rng.random()
            mname = hname = variant = "."
            pick = picks[mol]
            if r < 0.02:
                origin, insert = "dimer", ""
            elif r < 0.05:
                origin, insert = "short", rand_seq(rng, rng.randint(5, 14))
            elif r < 0.11:
                origin, insert = "other", rand_seq(rng, rng.randint(18, 34))
            elif r < 0.14:
                origin = "loop"
                hname = rng.choice(hairpin_names)
                hs = hairpin[hname]
                mid = len(hs) // 2
                ln = rng.randint(18, 24)
                s = max(0, min(len(hs) - ln, mid - ln // 2 + rng.randint(-3, 3)))
                insert = hs[s:s + ln]
            elif r < 0.15:
                origin, insert = "long", rand_seq(rng, a.read_length + 5)
            elif ncrna and r < 0.15 + a.ncrna_fraction:
                origin = "ncrna"
                mname, hname, insert = ncrna_fragment(rng, ncrna)
            else:
                origin = "mirna"
                mname, mseq, hits = arms[pick]
                hname, start = rng.choice(hits)
                insert, variant = make_isomir(rng, mseq, hairpin[hname], start)
            umi = rand_seq(rng, umi_len) if umi_len else ""
            molecule = rand_seq(rng, n5) + insert + rand_seq(rng, n3) + adapter + umi + tail
            molecule += rand_seq(rng, max(0, a.read_length - len(molecule)))
            copies = 1
            if a.pcr_copies > 0:
                while rng.random() < a.pcr_copies / (1.0 + a.pcr_copies):
                    copies += 1
            for _ in range(copies):
                if i >= a.reads:
                    break
                rid = f"r{a.seed}_{i:09d}"
                i += 1
                seq, qual = quality_and_errors(rng, molecule[: a.read_length], a.error_scale)
                fq.write(f"@{rid}\n{seq}\n+\n{qual}\n")
                tr.write(f"{rid}\t{origin}\t{mname}\t{hname}\t{variant}\t{insert}\t{umi or '.'}\tm{a.seed}_{mol}\n")


if __name__ == "__main__":
    main()
