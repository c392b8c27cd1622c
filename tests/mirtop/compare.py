#!/usr/bin/env python3
"""Compare another mirGFF3 file (e.g. mirq's isomirs.gff3) against mirtop's mirGFF3 annotation.

usage: python3 compare.py MIRTOP.gff OTHER.gff [--examples N] [--all]

Join key: the read SEQUENCE.  It is taken from the UID attribute (mirtop's "iso-<len>-<code>"
license plate, decoded here without mirtop) and, when the UID is absent or cannot be decoded,
from the Read attribute if that is a plain A/C/G/T(/U) sequence.

Reference set ("comparable" sequences), taken from MIRTOP.gff:
  * the sequence has exactly ONE line in mirtop's file and that line says Hits 1
    (mirtop's Hits = number of distinct miRNA names the sequence was assigned to), and
  * it carries at most one SNV.  mirtop's Variant de-duplicates SNV tags, so SNVs are counted from
    the Cigar: mismatch letters in the first len(read) - iso_add3p positions.
    (--all drops the SNV filter.)

A comparable sequence AGREES when OTHER has a line for the same sequence with the same Name and the
same SET of Variant tags (order-insensitive; "NA" = reference = empty set).  Disagreements are broken
down by kind, with examples.  Exit status 0 always (it is a report); the last line is machine-readable:
  COMPARE agree=<n> comparable=<n> frac=<f> missing=<n>
Only the Python standard library is used.
"""
import gzip
import re
import sys
from collections import OrderedDict, defaultdict

ALPH = "BD0EF1HI2JK3LM4NO5PQ6RS7UV8WX9YZ"
OFFSET = {1: 0, 2: 4, 3: 20, 4: 84}
SEQ_RE = re.compile(r"^[ACGTUacgtu]+$")


def uid_decode(uid):
    """Decode mirtop's UID ('iso-22-VY2ZSR67N' or '22-VY2ZSR67N'); None if invalid."""
    try:
        parts = uid.strip().split("-")
        if len(parts) not in (2, 3):
            return None
        n, code = int(parts[-2]), parts[-1].upper()
        out, rem = [], n
        while rem > 0:
            k = min(rem, 5)
            # remainder chunks use one symbol when offset+value < 32, else two
            if k == 5:
                v = ALPH.index(code[0]) * 32 + ALPH.index(code[1]); code = code[2:]
            elif len(code) == 1:
                v = ALPH.index(code[0]) - OFFSET[k]; code = code[1:]
            else:
                v = ALPH.index(code[0]) * 32 + ALPH.index(code[1]) - OFFSET[k]; code = code[2:]
            if v < 0 or v >= 4 ** k:
                return None
            chunk = []
            for _ in range(k):
                chunk.append("ACGT"[v % 4]); v //= 4
            out.append("".join(reversed(chunk)))
            rem -= 5
        if code:
            return None
        s = "".join(out)
        return s if len(s) == n else None
    except (ValueError, IndexError, KeyError):
        return None


def parse_attrs(field):
    attrs = OrderedDict()
    for item in field.strip().split(";"):
        item = item.strip()
        if not item:
            continue
        m = re.match(r"^([^\s=]+)\s*[=\s]\s*(.*)$", item)
        if m:
            attrs[m.group(1)] = m.group(2).strip()
        else:
            attrs[item] = ""
    return attrs


def read_gff(fn):
    header, lines = [], []
    opener = gzip.open if fn.endswith(".gz") else open
    with opener(fn, "rt") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            if line.startswith("#"):
                header.append(line)
                continue
            cols = line.split("\t")
            if len(cols) != 9:
                sys.stderr.write("%s:%d: not 9 tab-separated columns, skipped\n" % (fn, n))
                continue
            a = parse_attrs(cols[8])
            seq = uid_decode(a["UID"]) if "UID" in a else None
            if seq is None and SEQ_RE.match(a.get("Read", "")):
                seq = a["Read"].upper().replace("U", "T")
            if seq is None:
                sys.stderr.write("%s:%d: no sequence (UID/Read), skipped\n" % (fn, n))
                continue
            lines.append({"seq": seq, "cols": cols, "attr": a, "lineno": n})
    return header, lines


def variant_set(v):
    v = (v or "NA").strip()
    if v in ("", "NA", "."):
        return frozenset()
    return frozenset(t.strip() for t in v.split(",") if t.strip())


def expand_cigar(c):
    out, num = [], ""
    for ch in c:
        if ch.isdigit():
            num += ch
        else:
            out.append(ch * (int(num) if num else 1)); num = ""
    return "".join(out)


def n_snv(rec):
    a = rec["attr"]
    add = 0
    for t in variant_set(a.get("Variant")):
        if t.startswith("iso_add3p:"):
            add = int(t.split(":")[1])
    cig = expand_cigar(a.get("Cigar", ""))
    body = cig[:max(0, len(rec["seq"]) - add)]
    return sum(1 for ch in body if ch not in "M")


def family(tag):
    """Tag family used for the breakdown."""
    k = tag.split(":")[0]
    if k.startswith("iso_snv"):
        return "snv"
    return {"iso_5p": "iso_5p", "iso_3p": "iso_3p", "iso_add3p": "iso_add3p",
            "iso_add5p": "iso_add5p"}.get(k, "other:" + k)


def short(rec):
    a, c = rec["attr"], rec["cols"]
    keep = ["Name", "Parent", "Variant", "Cigar", "Hits", "Expression"]
    s = " ".join("%s=%s" % (k, a[k]) for k in keep if k in a)
    return "%s %s:%s-%s %s" % (c[2], c[0], c[3], c[4], s)


def header_report(hm, ho):
    def pick(h, key):
        return [l for l in h if key in l]
    out = []
    for key in ["VERSION", "source-ontology", "COLDATA", "TOOLS"]:
        a, b = pick(hm, key), pick(ho, key)
        out.append("  %-16s mirtop: %-55s other: %s" % (key, a[0] if a else "-", b[0] if b else "MISSING"))
    return "\n".join(out)


def main(argv):
    args = [x for x in argv if not x.startswith("--")]
    nex = 5
    if "--examples" in argv:
        nex = int(argv[argv.index("--examples") + 1])
        args.remove(str(nex))
    all_snv = "--all" in argv
    if len(args) != 2:
        print(__doc__)
        return 2
    hm, m_lines = read_gff(args[0])
    ho, o_lines = read_gff(args[1])

    by_seq_m = defaultdict(list)
    for r in m_lines:
        by_seq_m[r["seq"]].append(r)
    by_seq_o = defaultdict(list)
    for r in o_lines:
        by_seq_o[r["seq"]].append(r)

    print("mirtop : %s  (%d lines, %d sequences)" % (args[0], len(m_lines), len(by_seq_m)))
    print("other  : %s  (%d lines, %d sequences)" % (args[1], len(o_lines), len(by_seq_o)))
    print("header:")
    print(header_report(hm, ho))

    comparable = []
    skipped = defaultdict(int)
    for seq, recs in by_seq_m.items():
        if len(recs) != 1:
            skipped["mirtop has >1 line (several miRNAs)"] += 1
            continue
        r = recs[0]
        if r["attr"].get("Hits", "1") != "1":
            skipped["mirtop Hits != 1"] += 1
            continue
        if not all_snv and n_snv(r) > 1:
            skipped["more than one SNV"] += 1
            continue
        comparable.append(r)
    print("comparable sequences (one mirtop line, Hits 1%s): %d; left out: %s"
          % ("" if all_snv else ", <=1 SNV", len(comparable), dict(skipped)))

    agree = agree_reads = total_reads = 0
    missing = []
    kinds = OrderedDict()
    exact = defaultdict(int)
    exact_total = 0

    def add_kind(kind, ex):
        kinds.setdefault(kind, []).append(ex)

    for r in comparable:
        seq = r["seq"]
        expr = r["attr"].get("Expression", "0").split(",")
        w = sum(int(x) for x in expr if x.strip().lstrip("-").isdigit())
        total_reads += w
        others = by_seq_o.get(seq, [])
        if not others:
            missing.append(r)
            add_kind("missing in other", (seq, short(r), "-"))
            continue
        same_name = [o for o in others if o["attr"].get("Name") == r["attr"].get("Name")]
        if not same_name:
            add_kind("different Name", (seq, short(r), " | ".join(short(o) for o in others)))
            continue
        vm = variant_set(r["attr"].get("Variant"))
        match = [o for o in same_name if variant_set(o["attr"].get("Variant")) == vm]
        if match:
            agree += 1
            agree_reads += w
            o = match[0]
            if len(others) > 1:
                add_kind("(info) agrees, but other has extra lines for this sequence",
                         (seq, short(r), " | ".join(short(x) for x in others)))
            exact_total += 1
            for f, i in (("seqid", 0), ("source", 1), ("type", 2), ("start", 3), ("end", 4),
                         ("score", 5), ("strand", 6), ("phase", 7)):
                exact[f] += r["cols"][i] == o["cols"][i]
            for f in ("Read", "UID", "Parent", "Variant", "Cigar", "Expression", "Filter", "Hits"):
                exact["attr " + f] += r["attr"].get(f) == o["attr"].get(f)
            exact["attribute order"] += list(r["attr"].keys()) == list(o["attr"].keys())
            continue
        o = same_name[0]
        vo = variant_set(o["attr"].get("Variant"))
        diff = vm ^ vo
        fams = sorted(set(family(t) for t in diff))
        for f in fams:
            add_kind("%s differs" % f, (seq, short(r), short(o)))
        if len(fams) > 1:
            add_kind("combination: " + "+".join(fams), (seq, short(r), short(o)))

    n = len(comparable)
    print()
    print("AGREEMENT (same Name and same set of Variant tags):")
    print("  sequences: %d / %d = %.2f%%" % (agree, n, 100.0 * agree / n if n else 0.0))
    print("  reads (Expression-weighted): %d / %d = %.2f%%"
          % (agree_reads, total_reads, 100.0 * agree_reads / total_reads if total_reads else 0.0))
    print("  missing from other: %d / %d = %.2f%%" % (len(missing), n, 100.0 * len(missing) / n if n else 0.0))
    print()
    print("DISAGREEMENTS by kind (a sequence can count under several kinds):")
    if not kinds:
        print("  none")
    for kind, exs in kinds.items():
        print("  %-45s %d" % (kind, len(exs)))
        for seq, a, b in exs[:nex]:
            print("      %s" % seq)
            print("        mirtop: %s" % a)
            print("        other : %s" % b)
    if exact_total:
        print()
        print("EXACT-FIELD agreement on the %d agreeing sequences (for byte-level parity):" % exact_total)
        for f, v in exact.items():
            print("  %-18s %d / %d" % (f, v, exact_total))
    print()
    print("COMPARE agree=%d comparable=%d frac=%.4f missing=%d"
          % (agree, n, agree / n if n else 0.0, len(missing)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
