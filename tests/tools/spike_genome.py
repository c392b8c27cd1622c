#!/usr/bin/env python3
"""Simulate small-RNA-seq reads of genome fragments (an E. coli spike-in, a
contamination), with a known origin for every read, for screen tests.

Each read is a fragment of 18-40 nt (--min-length, --max-length) taken from
either strand of a random record of the genome FASTA (records drawn by
length; fragments with bases other than ACGT are drawn again); a fraction
(--substituted) carries one substitution, the rest none. The fragment is
followed by the run's 3' adapter (default TruSeq small RNA) and the same
adapter tail as ../shared/tools/simulate_smallrna.py's illumina protocol,
then random bases up to the read length, and is read with that simulator's
qualities and quality-tied sequencing errors (--error-scale; 0 for none).

Writes PREFIX.fastq.gz and PREFIX.truth.tsv:
  read_id  record  strand  start  length  substitutions
start is 0-based on the record's forward strand; strand '-' reads are the
reverse complement of record[start:start+length]; substitutions counts the
fragment's bases that differ from the genome (the drawn substitution plus
sequencing errors that fell inside the fragment).

With --mix RUN.fastq.gz the fragments are interleaved into an existing run
(at random positions, the run's own reads in their order): the spiked run is
RUN's reads plus the fragments, which make up --fraction of it (so
reads(RUN) * f / (1 - f) fragments; --reads is then ignored). The truth file
lists the fragments only (RUN's own truth file still describes its reads).

Deterministic for a given --seed. Plain Python 3, no dependencies.

  python3 tests/tools/spike_genome.py --genome ecoli.fa.gz --reads 100000 --out spike
  python3 tests/tools/spike_genome.py --genome ecoli.fa.gz --mix sim.fastq.gz \\
      --fraction 0.05 --seed 7 --out sim_spiked
"""
import argparse
import bisect
import gzip
import random

TRUSEQ_SMALL_RNA = "TGGAATTCTCGGGTGCCAAGG"
# what follows the adapter in simulate_smallrna.py's illumina protocol
TAIL = "AACTCCAGTCACATCTCGTATGCCGTCTTCTGCTTG"
BASES = "ACGT"
COMPLEMENT = str.maketrans("ACGT", "TGCA")
# simulate_smallrna.py's base qualities
QUALS = (37, 32, 25, 14)
QUAL_WEIGHTS = (80, 10, 7, 3)


def read_fasta(path):
    """(name, sequence) of every record, upper case, U as T."""
    records, name, parts = [], None, []
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(">"):
                if name is not None:
                    records.append((name, "".join(parts)))
                name, parts = line[1:].split()[0], []
            elif name is not None:
                parts.append(line.upper().replace("U", "T"))
    if name is not None:
        records.append((name, "".join(parts)))
    records = [(n, s) for n, s in records if s]
    if not records:
        raise SystemExit(f"{path}: no sequence")
    return records


def rand_seq(rng, n):
    return "".join(rng.choice(BASES) for _ in range(n))


def revcomp(seq):
    return seq.translate(COMPLEMENT)[::-1]


class Fragments:
    """Draws fragments of the genome."""

    def __init__(self, records, a):
        self.records = records
        self.ends = []
        total = 0
        for _, seq in records:
            total += len(seq)
            self.ends.append(total)
        self.total = total
        self.a = a

    def draw(self, rng):
        a = self.a
        while True:
            length = rng.randint(a.min_length, a.max_length)
            pos = rng.randrange(self.total)
            r = bisect.bisect_right(self.ends, pos)
            name, seq = self.records[r]
            start = pos - (self.ends[r] - len(seq))
            if start + length > len(seq):
                continue
            frag = seq[start:start + length]
            if any(b not in BASES for b in frag):
                continue
            strand = "+" if rng.random() < 0.5 else "-"
            if strand == "-":
                frag = revcomp(frag)
            return name, strand, start, frag


def substitute(rng, frag):
    i = rng.randrange(len(frag))
    return frag[:i] + rng.choice([b for b in BASES if b != frag[i]]) + frag[i + 1:]


def read_of(rng, frag, a):
    """A read (sequence, quality) of one fragment, and the fragment's
    substitutions against the genome."""
    insert = substitute(rng, frag) if rng.random() < a.substituted else frag
    molecule = insert + a.adapter + TAIL
    molecule += rand_seq(rng, max(0, a.read_length - len(molecule)))
    molecule = molecule[: a.read_length]
    quals = rng.choices(QUALS, weights=QUAL_WEIGHTS, k=len(molecule))
    out = list(molecule)
    for i, q in enumerate(quals):
        if rng.random() < min(0.75, a.error_scale * 10 ** (-q / 10)):
            out[i] = rng.choice([x for x in BASES if x != out[i]])
    seq = "".join(out)
    subs = sum(1 for x, y in zip(seq[: len(frag)], frag) if x != y)
    return seq, "".join(chr(q + 33) for q in quals), subs


def fastq_records(path):
    """The 4 lines of each record of a FASTQ(.gz) file, as one string."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fh:
        while True:
            head = fh.readline()
            if not head:
                return
            yield head + fh.readline() + fh.readline() + fh.readline()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genome", required=True, help="genome FASTA (plain or .gz)")
    ap.add_argument("--reads", type=int, default=100_000, help="fragments to write (without --mix)")
    ap.add_argument("--mix", metavar="FASTQ", help="existing run to interleave the fragments into")
    ap.add_argument("--fraction", type=float, default=0.05,
                    help="with --mix: the fragments' share of the spiked run (default 0.05)")
    ap.add_argument("--read-length", type=int, default=75)
    ap.add_argument("--adapter", default=TRUSEQ_SMALL_RNA, help="3' adapter after each fragment")
    ap.add_argument("--min-length", type=int, default=18)
    ap.add_argument("--max-length", type=int, default=40)
    ap.add_argument("--substituted", type=float, default=0.3,
                    help="share of fragments with one substitution (the rest have none)")
    ap.add_argument("--error-scale", type=float, default=1.0,
                    help="multiplies the per-base sequencing error probability (0: none)")
    ap.add_argument("--id-prefix", default="spike", help="read names are PREFIX<seed>_<n>")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="output prefix")
    a = ap.parse_args()
    if not 1 <= a.min_length <= a.max_length:
        raise SystemExit("need 1 <= --min-length <= --max-length")
    if a.mix and not 0 < a.fraction < 1:
        raise SystemExit("--fraction must lie between 0 and 1")

    rng = random.Random(a.seed)
    fragments = Fragments(read_fasta(a.genome), a)
    n_orig = 0
    if a.mix:
        n_orig = sum(1 for _ in fastq_records(a.mix))
        n_frag = round(n_orig * a.fraction / (1 - a.fraction))
    else:
        n_frag = a.reads
    total = n_orig + n_frag
    at = set(rng.sample(range(total), n_frag)) if a.mix else None
    originals = fastq_records(a.mix) if a.mix else iter(())

    with gzip.open(a.out + ".fastq.gz", "wt", compresslevel=6) as fq, open(a.out + ".truth.tsv", "w") as tr:
        tr.write("read_id\trecord\tstrand\tstart\tlength\tsubstitutions\n")
        made = 0
        for pos in range(total):
            if at is not None and pos not in at:
                fq.write(next(originals))
                continue
            name, strand, start, frag = fragments.draw(rng)
            seq, qual, subs = read_of(rng, frag, a)
            rid = f"{a.id_prefix}{a.seed}_{made:09d}"
            made += 1
            fq.write(f"@{rid}\n{seq}\n+\n{qual}\n")
            tr.write(f"{rid}\t{name}\t{strand}\t{start}\t{len(frag)}\t{subs}\n")


if __name__ == "__main__":
    main()
