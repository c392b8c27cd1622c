# Configuration and samplesheet, checked against workflow/schemas/.

import csv
import os
import shlex

OUTDIR = os.path.normpath(config["outdir"])
# mirq replaces its output directory whole: the merge has one of its own
MERGED = f"{OUTDIR}/merged"
MATURE = config["mature"]
HAIRPIN = config.get("hairpin") or ""
HAIRPIN_INPUT = [HAIRPIN] if HAIRPIN else []
HAIRPIN_ARG = f"--hairpin {shlex.quote(HAIRPIN)}" if HAIRPIN else ""
# ncRNA reference: class FASTA files (tRNA.fa, ...) or directories of them,
# given to quant and merge alike (merge checks them against the fingerprint
# the quant runs recorded)
NCRNA = config.get("ncrna") or []
NCRNA_ARGS = " ".join(f"--ncrna {shlex.quote(path)}" for path in NCRNA)
# screening references (name -> FASTA file or directory), screened in this
# order by every quant and given to the merge again; clade lists
SCREEN = config.get("screen") or {}
SCREEN_INPUT = list(SCREEN.values())
SCREEN_ARGS = " ".join(
    f"--screen {shlex.quote(f'{name}={path}')}" for name, path in SCREEN.items()
)
CLADES = config.get("clades") or []
CLADES_ARGS = " ".join(f"--clades {shlex.quote(path)}" for path in CLADES)
TABLES = [
    "mature_counts.tsv",
    "mature_counts_int.tsv",
    "mature_counts_unique.tsv",
    "mature_rpm.tsv",
    "hairpin_counts.tsv",
]


def read_samplesheet(path):
    """Sample -> FASTQ files, in samplesheet order, each row checked against
    schemas/samples.schema.yaml. Relative paths are taken from the
    samplesheet's directory (as `mirq quant --samplesheet` and nf-core
    pipelines do)."""
    samples = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            row = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
            if not row:
                continue
            validate(row, "../schemas/samples.schema.yaml")
            fastq = os.path.join(os.path.dirname(path), row["fastq_1"])
            samples.setdefault(row["sample"], []).append(fastq)
    if not samples:
        raise ValueError(f"{path}: no samples")
    return samples


SAMPLES = read_samplesheet(config["samples"])


def merged_files(prefix):
    """The files `mirq quant` and `mirq merge` write at the top of their
    output directory (isomirs.* only with a hairpin FASTA, ncrna_*.tsv only
    with an ncRNA reference, screen_counts.tsv with screen references,
    clade_counts.tsv with clade lists; exogenous_mirna_counts.tsv, written
    when the reference files hold other species, is not declared)."""
    files = [f"{prefix}/{table}" for table in TABLES]
    if HAIRPIN:
        files += [f"{prefix}/isomirs.gff3", f"{prefix}/isomirs.tsv"]
    if NCRNA:
        files += [f"{prefix}/ncrna_counts.tsv", f"{prefix}/ncrna_features.tsv"]
    if SCREEN:
        files.append(f"{prefix}/screen_counts.tsv")
    if CLADES:
        files.append(f"{prefix}/clade_counts.tsv")
    return files + [
        f"{prefix}/inserts.tsv.gz",
        f"{prefix}/stats.json",
        f"{prefix}/mirq.log",
        f"{prefix}/mirq_outputs.txt",
        f"{prefix}/report.html",
    ]


def multiqc_files(prefix):
    """The MultiQC custom content files of an output directory (the isomiR
    classes only with a hairpin FASTA, the ncRNA General Statistics columns
    only with an ncRNA reference, the clade plot with clade lists; the plot
    of other species' miRNAs, written when some sample has reads on them, is
    not declared)."""
    sections = [
        "general_stats",
        "insert_lengths",
        "composition",
        "top_mirnas",
        "origin_general_stats",
    ]
    if HAIRPIN:
        sections.append("isomirs")
    if NCRNA:
        sections.append("ncrna_general_stats")
    if CLADES:
        sections.append("clades")
    return [f"{prefix}/multiqc/mirq_{section}_mqc.json" for section in sections]
