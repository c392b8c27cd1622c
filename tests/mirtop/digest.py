#!/usr/bin/env python3
"""Run mirtop 0.4.30's tools on mirGFF3 files and fail on any error.

usage: python3 digest.py JOBS.tsv WORKDIR

Each line of JOBS.tsv: GFF <TAB> STYLE <TAB> HAIRPIN <TAB> MATURE <TAB> SPECIES
[<TAB> GFF3], GFF3 being the same lines in mirq's 1-based GFF3 form
  STYLE: mirbase (a miRBase-style GFF3 of the precursors and matures is made
         from HAIRPIN and MATURE, or the file given as MATURE when it ends in
         .gff3 is used as is) or mirgenedb (a MirGeneDB-style GFF3 made from
         HAIRPIN and MATURE: pre_miRNA and miRNA lines, IDs as names).
  HAIRPIN and MATURE: FASTA, plain or gzip; SPECIES: the name prefix (hsa, Hsa).

For each GFF, in one Python process (mirtop's own command-line entry point,
`mirtop.command_line.main`, is called with the arguments the shell would
pass, so the code run is the CLI's):
  1. mirtop's validator function (`mirtop validate` checks nothing in 0.4.30:
     its sub-command test is misspelt) must count 0 errors;
  2. `mirtop stats -o DIR GFF` must write mirtop_stats.txt;
  3. `mirtop counts --add-extra --hairpin H --gtf G --sps S --gff GFF -o DIR`
     must write one row per line and log no "Invalid isomiR definition"
     (mirtop re-derives each line's SNVs from its Variant and the precursor);
  4. `mirtop export --format vcf --hairpin H --gtf G --sps S -o DIR GFF`
     must write the VCF without an exception or an "Unexpected error" print.
  5. every reference line (ref_miRNA) starts where the database puts its
     mature on the precursor (mirtop's mapper of the GFF3 above, 0-based);
  6. with GFF3: pybedtools reads every feature, every start is >= 1, and each
     read line is GFF's line one base on, with the same attributes.
Any exception, ERROR log record or failed check is printed; the exit status
is the number of failed files. The last line: `DIGEST files=<n> failed=<n>`.
"""
import contextlib
import gzip
import io
import logging
import os
import re
import sys
import traceback


def read_fasta(path):
    opener = gzip.open if path.endswith(".gz") else open
    records, name = {}, None
    with opener(path, "rt") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(">"):
                fields = line[1:].split()
                name = fields[0]
                records[name] = [fields[1:], []]
            elif name:
                records[name][1].append(line.upper().replace("U", "T"))
    return {k: (h, "".join(s)) for k, (h, s) in records.items()}


def plain_hairpin(path, species, out):
    """mirtop reads plain text only: the species' hairpins, uncompressed."""
    with open(out, "w") as fh:
        for name, (_, seq) in read_fasta(path).items():
            if name.startswith(species + "-"):
                fh.write(">%s\n%s\n" % (name, seq))
    return out


def make_gff(style, hairpin, mature, species, out):
    """A precursor-coordinate GFF3 (each precursor its own chromosome) of
    the form mirtop's mapper reads for `style`."""
    hairpins = {
        k: v for k, v in read_fasta(hairpin).items() if k.startswith(species + "-")
    }
    matures = {
        k: v for k, v in read_fasta(mature).items() if k.startswith(species + "-")
    }
    with open(out, "w") as fh:
        if style == "mirgenedb":
            fh.write("# MirGeneDB precursor coordinates (made by digest.py)\n")
            for name, (_, seq) in hairpins.items():
                fh.write("%s\t.\tpre_miRNA\t1\t%d\t.\t+\t.\tID=%s\n" % (name, len(seq), name))
                stem = name[: -len("_pre")]
                for m, (_, mseq) in matures.items():
                    if re.sub(r"(_3p\*?|_5p\*?)", "", m) != stem:
                        continue
                    at = seq.find(mseq)
                    if at >= 0:
                        fh.write(
                            "%s\t.\tmiRNA\t%d\t%d\t.\t+\t.\tID=%s\n"
                            % (name, at + 1, at + len(mseq), m)
                        )
        else:
            fh.write("# microRNAs:               miRBase v22 (made by digest.py)\n")
            accession = {}
            for name, (head, seq) in hairpins.items():
                acc = head[0] if head else name
                accession[acc] = name
                fh.write(
                    "%s\t.\tmiRNA_primary_transcript\t1\t%d\t.\t+\t.\tID=%s;Alias=%s;Name=%s\n"
                    % (name, len(seq), acc, acc, name)
                )
            for m, (head, mseq) in matures.items():
                parents = [h.split("=", 1)[1] for h in head if h.startswith("derives_from=")]
                for parent in parents:
                    if parent not in accession:
                        continue
                    seq = hairpins[accession[parent]][1]
                    at = seq.find(mseq)
                    if at >= 0:
                        acc = head[0] if head else m
                        fh.write(
                            "%s\t.\tmiRNA\t%d\t%d\t.\t+\t.\tID=%s_%s;Alias=%s;Name=%s;Derives_from=%s\n"
                            % (accession[parent], at + 1, at + len(mseq), acc, parent, acc, m, parent)
                        )
    return out


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append((record.levelname, record.getMessage()))


def mirtop_cli(args, records):
    """Runs mirtop's command-line entry point with `args`; its stdout."""
    from mirtop import command_line

    root = logging.getLogger()
    for h in list(root.handlers):
        if h is not records:
            root.removeHandler(h)
    out = io.StringIO()
    saved = sys.argv
    sys.argv = ["mirtop"] + args
    try:
        with contextlib.redirect_stdout(out):
            command_line.main()
    finally:
        sys.argv = saved
        for h in list(root.handlers):
            if h is not records:
                root.removeHandler(h)
    return out.getvalue()


def gff_lines(gff):
    with open(gff) as fh:
        return [l for l in fh if not l.startswith("#")]


def attributes(column9):
    """mirtop's `Key value; ...` or GFF3's `key=value;...`."""
    if "=" in column9:
        return dict(kv.split("=", 1) for kv in column9.strip().split(";"))
    return dict(kv.split(" ", 1) for kv in column9.strip().split("; "))


def features(gff):
    out = []
    for line in gff_lines(gff):
        cols = line.rstrip("\n").split("\t")
        out.append((cols, attributes(cols[8])))
    return out


def reference_starts(gff, gtf, base):
    """(checked, wrong): ref_miRNA lines whose start is / is not the mature's
    start on the precursor in `gtf` (+ `base`)."""
    from mirtop.mirna.mapper import read_gtf_to_precursor

    positions = read_gtf_to_precursor(gtf)
    checked, wrong = 0, []
    for cols, attr in features(gff):
        if cols[2] != "ref_miRNA":
            continue
        at = positions.get(attr["Parent"], {}).get(attr["Name"])
        if not at:
            continue
        checked += 1
        if int(cols[3]) != at[0] + base:
            wrong.append("%s %s at %s, database %d" % (attr["Parent"], attr["Name"], cols[3], at[0] + base))
    return checked, wrong


def gff3_form(gff3, gff):
    """Problems of the GFF3 form against pybedtools and the mirtop form."""
    import pybedtools

    problems = []
    n = 0
    for f in pybedtools.BedTool(gff3):
        n += 1
        if int(f.fields[3]) < 1 or f.start < 0:
            problems.append("gff3: start %s < 1" % f.fields[3])
        if f.fields[2] == "pre_miRNA":
            continue
        f.attrs["Expression"]
    reads = [x for x in features(gff3) if x[0][2] != "pre_miRNA"]
    parents = {x[1]["ID"] for x in features(gff3) if x[0][2] == "pre_miRNA"}
    mirtop = features(gff)
    if len(reads) != len(mirtop):
        problems.append("gff3: %d read lines, %d in the mirtop form" % (len(reads), len(mirtop)))
    for (c3, a3), (c, a) in zip(reads, mirtop):
        same = (
            c3[:3] == c[:3]
            and int(c3[3]) == int(c[3]) + 1
            and int(c3[4]) == int(c[4]) + 1
            and a3 == a
            and a3["Parent"] in parents
        )
        if not same:
            problems.append("gff3: %s differs from %s" % ("\t".join(c3), "\t".join(c)))
            break
    return problems, n


def digest(gff, style, hairpin, mature, species, work, cache, gff3=None):
    from mirtop.gff import validator

    problems = []
    records = Records()
    logging.getLogger().addHandler(records)
    key = (style, hairpin, mature, species)
    if key not in cache:
        n = len(cache)
        plain = plain_hairpin(hairpin, species, os.path.join(work, "hairpin%d.fa" % n))
        if mature.endswith(".gff3"):
            gtf = mature
        else:
            gtf = make_gff(style, hairpin, mature, species, os.path.join(work, "db%d.gff3" % n))
        cache[key] = (plain, gtf)
    plain, gtf = cache[key]
    out = os.path.join(work, "out%d" % digest.count)
    digest.count += 1
    os.makedirs(out)

    errors = validator._check_file(gff)
    if errors:
        problems.append("validator: %d errors" % errors)

    mirtop_cli(["stats", "-o", out, gff], records)
    stats = os.path.join(out, "mirtop_stats.txt")
    if not os.path.exists(stats) or "isomiR_sum" not in open(stats).read():
        problems.append("stats: no isomiR_sum in %s" % stats)

    printed = mirtop_cli(
        ["counts", "--add-extra", "--hairpin", plain, "--gtf", gtf, "--sps", species,
         "--gff", gff, "-o", out],
        records,
    )
    table = os.path.join(out, os.path.splitext(os.path.basename(gff))[0] + ".tsv")
    rows = sum(1 for _ in open(table)) - 1 if os.path.exists(table) else -1
    if rows < 1 and gff_lines(gff):
        problems.append("counts: no rows in %s" % table)

    printed += mirtop_cli(
        ["export", "--format", "vcf", "--hairpin", plain, "--gtf", gtf, "--sps", species,
         "-o", out, gff],
        records,
    )
    vcf = os.path.join(out, os.path.splitext(os.path.basename(gff))[0] + ".vcf")
    if not os.path.exists(vcf) or not open(vcf).read().startswith("##fileformat=VCF"):
        problems.append("export: no VCF at %s" % vcf)
    if "Unexpected error" in printed:
        problems.append("export: " + printed.strip().splitlines()[-1])
    checked, wrong = reference_starts(gff, gtf, 0)
    problems += ["reference line %s" % w for w in wrong[:5]]
    read_by_pybedtools = 0
    if gff3:
        more, read_by_pybedtools = gff3_form(gff3, gff)
        problems += more[:5]
        checked3, wrong = reference_starts(gff3, gtf, 1)
        problems += ["gff3 reference line %s" % w for w in wrong[:5]]
    vcf_records = sum(1 for l in open(vcf) if not l.startswith("#")) if os.path.exists(vcf) else 0
    for level, msg in records.records:
        if level in ("ERROR", "CRITICAL") or msg.startswith("Invalid isomiR definition"):
            problems.append("%s: %s" % (level, msg.replace("\n", " | ")))
    logging.getLogger().removeHandler(records)
    summary = "lines=%d counts_rows=%d vcf_records=%d reference_starts_checked=%d pybedtools_features=%d" % (
        len(gff_lines(gff)), rows, vcf_records, checked, read_by_pybedtools)
    return problems, summary


digest.count = 0


def main():
    jobs, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    cache = {}
    failed = files = 0
    for line in open(jobs):
        if not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        files += 1
        try:
            problems, summary = digest(*fields[:5], work, cache, *fields[5:])
        except Exception:
            # the last frames say where mirtop stopped
            problems, summary = ["".join(traceback.format_exc().splitlines(True)[-6:])], ""
        status = "ok" if not problems else "FAILED"
        print("%s %s %s" % (status, fields[0], summary))
        for p in problems[:10]:
            print("    " + p)
        failed += bool(problems)
    print("DIGEST files=%d failed=%d" % (files, failed))
    sys.exit(min(failed, 100))


if __name__ == "__main__":
    main()
