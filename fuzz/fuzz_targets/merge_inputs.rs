//! `mirq merge` of two per-sample directories whose `stats.json` and
//! `inserts.tsv.gz` are real `mirq quant` outputs edited by the fuzzer:
//! an error or a merge, never a panic, and never a file written, changed or
//! removed outside the output directory (the scratch root's tree is the
//! same before and after, the outdir and mirq's hidden `.out.mirq-*`
//! siblings aside).
//!
//! The input is a list of edits, each `[op][pos: 2 bytes][len][n][n bytes]`:
//! `op % 4` picks the text (a's stats.json, a's inserts text, b's, b's),
//! `op / 4 % 4` the edit: 0 replaces `len` bytes at `pos` by the bytes, 1
//! renames the directory's sample (in both files) to the bytes, 2 deletes
//! line `pos`, 3 inserts the bytes at `pos`.
#![no_main]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mirq::align::select::EngineChoice;
use mirq::align::AlignParams;
use mirq::cmd::merge::{self, MergeOptions};
use mirq::cmd::origin::ArtifactSource;
use mirq::cmd::quant::{self, QuantOptions};
use mirq::input::library::ProtocolChoice;
use mirq::input::samples::{Listed, Sample, SampleFile};
use mirq::prep::protocol::{TrimPlan, TrimRequest};

/// Two hairpins with their 5p matures (miRBase).
const HAIRPINS: [(&str, &str, &str, &str); 2] = [
    (
        "hsa-let-7a-1",
        "UGGGAUGAGGUAGUAGGUUGUAUAGUUUUAGGGUCACACCCACCACUGGGAGAUAACUAUACAAUCUACUGUCUUUCCUA",
        "hsa-let-7a-5p",
        "UGAGGUAGUAGGUUGUAUAGUU",
    ),
    (
        "hsa-mir-21",
        "UGUCGGGUAGCUUAUCAGACUGAUGUUGACUGUUGAAUCUCAUGGCAACACCAGUCGAUGGGCUGUCUGACA",
        "hsa-miR-21-5p",
        "UAGCUUAUCAGACUGAUGUUGA",
    ),
];

/// The scratch root (kept for the process), the work folder deep inside it
/// (so that a few `../` stay inside the root) and the two runs' texts:
/// stats.json and the inserts file's text, for a and b.
struct Template {
    root: PathBuf,
    work: PathBuf,
    texts: [Vec<u8>; 4],
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let root = tempfile::tempdir().unwrap().keep();
        let work = root.join("l1/l2/l3/l4/l5/work");
        let refs = root.join("ref");
        std::fs::create_dir_all(&refs).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        let (mut hairpin, mut mature) = (String::new(), String::new());
        for (h, hs, m, ms) in HAIRPINS {
            hairpin += &format!(">{h} MI0 Homo sapiens {h} stem-loop\n{hs}\n");
            mature += &format!(">{m} MIMAT0 Homo sapiens {m}\n{ms}\n");
        }
        std::fs::write(refs.join("hairpin.fa"), hairpin).unwrap();
        std::fs::write(refs.join("mature.fa"), mature).unwrap();
        let scratch = root.join("make");
        let mut texts = Vec::new();
        for (name, reads) in [("a", 0usize), ("b", 1)] {
            // reads of one miRNA each, a 1-nt variant and one of no miRNA
            let (_, _, _, ms) = HAIRPINS[reads];
            let dna = ms.replace('U', "T");
            let mut fastq = Vec::new();
            for (i, insert) in [dna.as_str(), &dna[..dna.len() - 1], "ACGTTGCAACGTTGCAAC"]
                .iter()
                .enumerate()
            {
                for k in 0..=i {
                    let seq = format!("{insert}TGGAATTCTCGGGTGCCAAGGAAAA");
                    let qual = "I".repeat(seq.len());
                    writeln!(fastq, "@r{i}.{k}\n{seq}\n+\n{qual}").unwrap();
                }
            }
            let fq = refs.join(format!("{name}.fastq"));
            std::fs::write(&fq, fastq).unwrap();
            let out = scratch.join(name);
            let samples = vec![Sample {
                name: format!("sample_{name}"),
                files: vec![SampleFile {
                    path: fq,
                    listed: Listed::Argument,
                }],
                protocol: None,
                adapter: None,
            }];
            let request = TrimRequest {
                protocol: "illumina".parse::<ProtocolChoice>().unwrap(),
                adapter: None,
                cut_5p: None,
                cut_3p: None,
                min_length: 16,
                max_length: 40,
                quality_cutoff: None,
                dedup: false,
                umi: None,
            };
            quant::run(&QuantOptions {
                trim: TrimPlan::new(request, &samples).unwrap(),
                samples,
                mature: refs.join("mature.fa"),
                hairpin: Some(refs.join("hairpin.fa")),
                species: "hsa".into(),
                params: AlignParams {
                    max_mismatches: 1,
                    max_nontemplated: 3,
                },
                window_5p: 3,
                window_3p: 5,
                engine: EngineChoice::Cpu,
                threads: 1,
                database: None,
                gff_coordinates: Default::default(),
                outdir: out.clone(),
                samplesheet: None,
                force: false,
                progress: false,
                ncrna: Vec::new(),
                ncrna_precedence: Default::default(),
                artifacts: ArtifactSource::BuiltIn,
                exogenous: false,
                screens: Vec::new(),
                species_fit: false,
                clades: Vec::new(),
            })
            .expect("the template runs");
            texts.push(std::fs::read(out.join("stats.json")).unwrap());
            let gz = std::fs::read(out.join("inserts.tsv.gz")).unwrap();
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
                .unwrap();
            texts.push(text);
        }
        std::fs::remove_dir_all(&scratch).unwrap();
        Template {
            root,
            work,
            texts: texts.try_into().unwrap(),
        }
    })
}

/// Applies the edits in `data` to the four texts.
fn edit(texts: &mut [Vec<u8>; 4], mut data: &[u8]) {
    while data.len() >= 5 {
        let (op, pos, len, n) = (
            data[0] as usize,
            u16::from_le_bytes([data[1], data[2]]) as usize,
            data[3] as usize,
            data[4] as usize,
        );
        let bytes = &data[5..(5 + n).min(data.len())];
        data = &data[(5 + n).min(data.len())..];
        let file = op % 4;
        let text = &mut texts[file];
        match op / 4 % 4 {
            0 => {
                let at = pos % (text.len() + 1);
                let end = (at + len).min(text.len());
                text.splice(at..end, bytes.iter().copied());
            }
            1 => rename(texts, file / 2, bytes),
            2 => {
                let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
                let drop = pos % lines.len();
                let kept: Vec<&[u8]> = lines
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != drop)
                    .map(|(_, l)| *l)
                    .collect();
                *text = kept.join(&b'\n');
            }
            _ => {
                let at = pos % (text.len() + 1);
                text.splice(at..at, bytes.iter().copied());
            }
        }
    }
}

/// Renames directory `dir`'s sample (`sample_a` or `sample_b`) in its
/// stats.json and inserts header to `to`, as a JSON string and a header
/// field.
fn rename(texts: &mut [Vec<u8>; 4], dir: usize, to: &[u8]) {
    let from = format!("sample_{}", ["a", "b"][dir]);
    let to = String::from_utf8_lossy(to);
    let json = serde_json_string(&to);
    for (i, new) in [(2 * dir, json), (2 * dir + 1, to.replace(['\t', '\n'], ""))] {
        let text = String::from_utf8_lossy(&texts[i]).into_owned();
        let old = if i % 2 == 0 {
            format!("\"{from}\"")
        } else {
            from.clone()
        };
        texts[i] = text.replace(&old, &new).into_bytes();
    }
}

/// `s` as a JSON string literal.
fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Every path under `dir` (but the outdir and its hidden siblings) with
/// its bytes (a folder's: none; a symlink's: its target).
fn tree(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if dir.ends_with("work") && (name == "out" || name.starts_with(".out.mirq-")) {
            continue;
        }
        let p = e.path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&p).unwrap();
            out.insert(p, target.to_string_lossy().as_bytes().to_vec());
        } else if meta.is_dir() {
            out.insert(p.clone(), Vec::new());
            tree(&p, out);
        } else {
            out.insert(p.clone(), std::fs::read(&p).unwrap());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let t = template();
    let mut texts = t.texts.clone();
    edit(&mut texts, data);
    let out = t.work.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let mut dirs = Vec::new();
    for (i, name) in ["a", "b"].iter().enumerate() {
        let dir = t.work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("stats.json"), &texts[2 * i]).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&texts[2 * i + 1]).unwrap();
        std::fs::write(dir.join("inserts.tsv.gz"), gz.finish().unwrap()).unwrap();
        dirs.push(dir);
    }
    let mut before = BTreeMap::new();
    tree(&t.root, &mut before);
    let _ = merge::run(&MergeOptions {
        dirs,
        mature: None,
        hairpin: None,
        ncrna: Vec::new(),
        outdir: out,
        threads: 1,
        progress: false,
        screens: Vec::new(),
        gff_coordinates: None,
        force: false,
    });
    let mut after = BTreeMap::new();
    tree(&t.root, &mut after);
    let changed: Vec<&PathBuf> = after
        .keys()
        .chain(before.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "written outside the outdir: {changed:?}"
    );
});
