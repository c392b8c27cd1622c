//! Writes a run's isomiRs ([`Isomirs`]): `isomirs.gff3` (mirGFF3 1.2, as
//! mirtop 0.4 writes it, or GFF3 proper: [`GffCoordinates`]) and the
//! `isomirs.tsv` class totals. The lines, their Variant and Cigar, are made
//! while counting ([`crate::count::gff`], whose text gives mirtop's rules);
//! here they are formatted in chunks on the pool, with no string per line.
//!
//! Starts are 0-based as mirtop writes them, or 1-based with
//! [`GffCoordinates::Gff3`].

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::count::gff::{span, ClassRow, Isomirs, Line};
use crate::input::reference::Reference;
use crate::numbers::push_decimal;
use crate::prep::collapse::InsertTable;
use crate::runtime::ordered::write_chunks;

/// mirtop's UID alphabet (MINTplates-style license plates).
const UID_ALPHABET: &[u8; 32] = b"BD0EF1HI2JK3LM4NO5PQ6RS7UV8WX9YZ";

/// mirtop's sequence code, `iso-<len>-<code>`; None for bases other than ACGT.
///
/// ```
/// assert_eq!(mirq::output::isomirs::uid(b"TATTGCACTTGTCCCGGCCTGT").unwrap(), "iso-22-VY2ZSR67N");
/// ```
pub fn uid(seq: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(seq.len() / 2 + 8);
    push_uid(&mut out, seq).then(|| String::from_utf8(out).unwrap_or_default())
}

/// Appends [`uid`]'s code of `seq` to `out`; false (and `out` as it was)
/// for bases other than ACGT.
fn push_uid(out: &mut Vec<u8>, seq: &[u8]) -> bool {
    let at = out.len();
    out.extend_from_slice(b"iso-");
    push_decimal(out, seq.len());
    out.push(b'-');
    for chunk in seq.chunks(5) {
        let mut v = 0usize;
        for &b in chunk {
            // the table's own letters only: upper-case ACGT
            let code = crate::seq::encode_base(b);
            if code >= crate::seq::N || crate::seq::normalize_base(b) != b {
                out.truncate(at);
                return false;
            }
            v = v * 4 + code as usize;
        }
        if chunk.len() < 5 {
            v += [0, 0, 4, 20, 84][chunk.len()];
            if v < 32 {
                out.push(UID_ALPHABET[v]);
                continue;
            }
        }
        out.push(UID_ALPHABET[v / 32]);
        out.push(UID_ALPHABET[v % 32]);
    }
    true
}

/// How `isomirs.gff3` writes coordinates and attributes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GffCoordinates {
    /// As mirtop 0.4 writes them, which its tools do arithmetic on: 0-based
    /// starts, `Key value` attributes.
    #[default]
    Mirtop,
    /// GFF3 proper, for GFF3 readers (pybedtools, genome browsers): a
    /// `##gff-version 3` line, 1-based starts, `key=value` attributes.
    Gff3,
}

impl GffCoordinates {
    /// The name on the command line and in stats.json.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mirtop => "mirtop",
            Self::Gff3 => "gff3",
        }
    }

    /// The form named `name` (`mirtop`, `gff3`).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Mirtop, Self::Gff3]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

/// Appends `text` with the characters `plain` refuses percent-encoded
/// (GFF3).
fn push_escaped(out: &mut Vec<u8>, text: &str, plain: fn(char) -> bool) {
    for c in text.chars() {
        let mut bytes = [0u8; 4];
        let encoded = c.encode_utf8(&mut bytes).as_bytes();
        if plain(c) {
            out.extend_from_slice(encoded);
        } else {
            for b in encoded {
                out.push(b'%');
                out.extend_from_slice(format!("{b:02X}").as_bytes());
            }
        }
    }
}

/// Whether a GFF3 seqid may hold `c` unescaped.
fn seqid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".:^*$@!+_?-|".contains(c)
}

/// Whether a GFF3 attribute value may hold `c` unescaped.
fn value_char(c: char) -> bool {
    !matches!(c, ';' | '=' | '&' | ',' | '%') && !c.is_control()
}

/// Writes `isomirs.gff3` of `isomirs` in `gff`'s form: its lines made in
/// chunks of [`GFF_CHUNK`] on the pool, written in order.
pub fn write_gff(
    w: &mut (impl Write + Send),
    isomirs: &Isomirs,
    gff: &GffText,
    reference: &Reference,
    table: &InsertTable,
) -> io::Result<()> {
    w.write_all(&gff.header)?;
    write_chunks(w, isomirs.len(), GFF_CHUNK, |lines, buf| {
        push_gff_lines(isomirs, buf, lines, gff, reference, table);
        Ok(())
    })
}

/// Appends the GFF text of `lines` (a range of `isomirs`' lines, which
/// may start anywhere: the text does not depend on how the lines are cut)
/// to `buf`.
fn push_gff_lines(
    isomirs: &Isomirs,
    buf: &mut Vec<u8>,
    lines: std::ops::Range<usize>,
    gff: &GffText,
    reference: &Reference,
    table: &InsertTable,
) {
    let lines = Lines {
        isomirs,
        reference,
        table,
        range: lines,
    };
    match gff.coordinates {
        GffCoordinates::Gff3 => push_lines::<true>(buf, &lines, gff),
        GffCoordinates::Mirtop => push_lines::<false>(buf, &lines, gff),
    }
}

/// A range of a run's GFF lines, with what their text is made from.
struct Lines<'a> {
    isomirs: &'a Isomirs,
    reference: &'a Reference,
    table: &'a InsertTable,
    range: std::ops::Range<usize>,
}

/// [`push_gff_lines`] in one form: `GFF3` for GFF3 proper, else mirtop's
/// (a constant, so that every key and separator is copied as a literal).
fn push_lines<const GFF3: bool>(buf: &mut Vec<u8>, lines: &Lines, gff: &GffText) {
    let Lines {
        isomirs,
        reference,
        table,
        ..
    } = *lines;
    let mut parent_written = if GFF3 {
        last_placed_seqid(isomirs, lines.range.start, reference, table)
    } else {
        None
    };
    let database = gff.database.as_bytes();
    for l in &isomirs.lines()[lines.range.clone()] {
        let seq = table.seq(l.insert as usize);
        let (seqid, precursor_len) = precursor(reference, l);
        let Some((start, end)) = span(l.start, seq.len(), precursor_len) else {
            continue;
        };
        if GFF3 && parent_written != Some(l.seqid) {
            parent_written = Some(l.seqid);
            push_parent_line(buf, database, l, seqid, precursor_len);
        }
        let read = ReadLine {
            line: l,
            seq,
            seqid,
            start,
            end,
        };
        push_read_line::<GFF3>(buf, &read, gff, isomirs, reference);
    }
}

/// The seqid of the last line before `first` that has a span (so a line
/// in the text): GFF3's Parent names a feature of the file, so the
/// precursor's line comes before its first read's, and a chunk that starts
/// among a precursor's reads must not write it again.
fn last_placed_seqid(
    isomirs: &Isomirs,
    first: usize,
    reference: &Reference,
    table: &InsertTable,
) -> Option<(u8, u32)> {
    isomirs.lines()[..first]
        .iter()
        .rev()
        .filter(|l| {
            let len = table.seq(l.insert as usize).len();
            span(l.start, len, precursor(reference, l).1).is_some()
        })
        .map(|l| l.seqid)
        .next()
}

/// `mirtop`'s text in mirtop's form, `gff3`'s in GFF3 proper's.
#[inline(always)]
fn form<const GFF3: bool>(mirtop: &'static [u8], gff3: &'static [u8]) -> &'static [u8] {
    if GFF3 {
        gff3
    } else {
        mirtop
    }
}

/// Appends `text`, escaped where `plain` refuses a character in GFF3
/// proper, as it is in mirtop's form.
#[inline]
fn push_text<const GFF3: bool>(buf: &mut Vec<u8>, text: &str, plain: fn(char) -> bool) {
    if GFF3 {
        push_escaped(buf, text, plain);
    } else {
        buf.extend_from_slice(text.as_bytes());
    }
}

/// Appends GFF3's line of the precursor (or mature) `seqid` that line `l`
/// lies on, the Parent of its reads' lines.
fn push_parent_line(
    buf: &mut Vec<u8>,
    database: &[u8],
    l: &Line,
    seqid: &str,
    precursor_len: usize,
) {
    let parent_kind = if l.seqid.0 == 0 { "pre_miRNA" } else { "miRNA" };
    push_escaped(buf, seqid, seqid_char);
    buf.push(b'\t');
    buf.extend_from_slice(database);
    buf.push(b'\t');
    buf.extend_from_slice(parent_kind.as_bytes());
    buf.extend_from_slice(b"\t1\t");
    push_decimal(buf, precursor_len);
    buf.extend_from_slice(b"\t.\t+\t.\tID=");
    push_escaped(buf, seqid, value_char);
    buf.extend_from_slice(b";Name=");
    push_escaped(buf, seqid, value_char);
    buf.push(b'\n');
}

/// A read's line to write: the line, its read, its seqid and its 0-based
/// span on the seqid.
struct ReadLine<'a> {
    line: &'a Line,
    seq: &'a [u8],
    seqid: &'a str,
    start: i64,
    end: i64,
}

/// Appends a read's line: its columns, then its attributes, in GFF3
/// proper's form (`GFF3`: 1-based, escaped, `key=value`) or mirtop's.
#[inline]
fn push_read_line<const GFF3: bool>(
    buf: &mut Vec<u8>,
    read: &ReadLine,
    gff: &GffText,
    isomirs: &Isomirs,
    reference: &Reference,
) {
    let l = read.line;
    let base = i64::from(GFF3);
    push_text::<GFF3>(buf, read.seqid, seqid_char);
    buf.push(b'\t');
    buf.extend_from_slice(gff.database.as_bytes());
    if isomirs.is_reference(l) {
        buf.extend_from_slice(b"\tref_miRNA\t");
    } else {
        buf.extend_from_slice(b"\tisomiR\t");
    }
    push_decimal(buf, read.start + base);
    buf.push(b'\t');
    push_decimal(buf, read.end + base);
    buf.extend_from_slice(form::<GFF3>(b"\t0\t+\t.\tRead ", b"\t0\t+\t.\tRead="));
    buf.extend_from_slice(read.seq);
    buf.extend_from_slice(form::<GFF3>(b"; UID ", b";UID="));
    push_uid(buf, read.seq);
    buf.extend_from_slice(form::<GFF3>(b"; Name ", b";Name="));
    let name = &reference.matures[l.mature as usize].name;
    push_text::<GFF3>(buf, name, value_char);
    buf.extend_from_slice(form::<GFF3>(b"; Parent ", b";Parent="));
    push_text::<GFF3>(buf, read.seqid, value_char);
    buf.extend_from_slice(form::<GFF3>(b"; Variant ", b";Variant="));
    buf.extend_from_slice(isomirs.variant(l));
    buf.extend_from_slice(form::<GFF3>(b"; Cigar ", b";Cigar="));
    buf.extend_from_slice(isomirs.cigar(l));
    buf.extend_from_slice(form::<GFF3>(b"; Expression ", b";Expression="));
    push_expression(buf, isomirs.expression(l), gff.samples);
    buf.extend_from_slice(form::<GFF3>(b"; Filter Pass; Hits ", b";Filter=Pass;Hits="));
    push_decimal(buf, l.hits);
    buf.push(b'\n');
}

/// Appends the comma-separated counts of `samples` samples from a line's
/// (sample, count) pairs, in sample order: 0 for a sample not among them.
#[inline]
fn push_expression(buf: &mut Vec<u8>, expression: &[(u32, u32)], samples: usize) {
    let mut expression = expression.iter().peekable();
    for s in 0..samples {
        if s > 0 {
            buf.push(b',');
        }
        match expression.next_if(|&&(e, _)| e as usize == s) {
            Some(&(_, n)) => push_decimal(buf, n),
            None => buf.push(b'0'),
        }
    }
}

/// A line's seqid (the precursor's or the mature's name) and length.
fn precursor<'r>(reference: &'r Reference, l: &Line) -> (&'r str, usize) {
    match l.seqid {
        (0, h) => {
            let h = &reference.hairpins[h as usize];
            (&h.name, h.seq.len())
        }
        (_, m) => {
            let m = &reference.matures[m as usize];
            (&m.name, m.seq.len())
        }
    }
}

/// Writes `isomirs.tsv`: the rows of [`Isomirs::class_rows`], by miRNA
/// name.
pub fn write_class_rows(
    w: &mut impl Write,
    reference: &Reference,
    samples: &[String],
    rows: &[ClassRow],
) -> io::Result<()> {
    let mut buf = Vec::from(&b"mirna\tvariant"[..]);
    for s in samples {
        buf.push(b'\t');
        buf.extend_from_slice(s.as_bytes());
    }
    buf.push(b'\n');
    for (m, class, cells) in rows {
        buf.extend_from_slice(reference.matures[*m as usize].name.as_bytes());
        buf.push(b'\t');
        buf.extend_from_slice(class.as_bytes());
        for &n in cells {
            buf.push(b'\t');
            push_decimal(&mut buf, n);
        }
        buf.push(b'\n');
        if buf.len() > 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

/// GFF lines per chunk: the unit [`write_gff`] formats at a time
/// on each thread.
const GFF_CHUNK: usize = 4096;

/// What every line of a run's `isomirs.gff3` shares: its header, its
/// database (column 2) and form, and the number of samples.
pub struct GffText {
    header: Vec<u8>,
    database: String,
    coordinates: GffCoordinates,
    samples: usize,
}

impl GffText {
    /// The header and shared columns for `database` (its name, as given),
    /// `samples` (COLDATA) in the `coordinates` form.
    pub fn new(database: &str, samples: &[String], coordinates: GffCoordinates) -> Self {
        let lower = database.to_ascii_lowercase();
        let ontology = if lower.contains("mirbase") {
            "doi:10.25504/fairsharing.hmgte8"
        } else if lower.contains("mirgenedb") {
            "http://mirgenedb.org"
        } else {
            "Custom."
        };
        let mut header = String::new();
        if coordinates == GffCoordinates::Gff3 {
            header.push_str("##gff-version 3\n");
        }
        let _ = writeln!(header, "## mirGFF3. VERSION 1.2");
        let _ = writeln!(header, "## source-ontology: {database} {ontology}");
        let _ = writeln!(header, "## TOOLS: mirq {}", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(header, "## COLDATA: {}", samples.join(","));
        Self {
            header: header.into_bytes(),
            database: database.to_string(),
            coordinates,
            samples: samples.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::gff::{has_uid, IsomirLines, Placed};

    /// The GFF text does not depend on where the lines are cut for the
    /// parallel writer: GFF3's parent lines come once per precursor
    /// whatever the cut, and lines of reads before their precursor stay out.
    #[test]
    fn gff_text_does_not_depend_on_the_cut() {
        use crate::input::reference::RefSeq;
        use crate::prep::collapse::SampleInserts;
        let reference = Reference::from_sequences(
            "hsa",
            vec![
                RefSeq::new("hsa-miR-a", "TAGCTTATCAGACTGATGTTGA"),
                RefSeq::new("hsa-miR-b", "AAACCGTTACCATTACTGAGTT"),
            ],
            vec![
                RefSeq::new("hsa-mir-a;x", "GGTAGCTTATCAGACTGATGTTGACC"),
                RefSeq::new("hsa-mir-b", "CAAACCGTTACCATTACTGAGTTCC"),
            ],
        );
        let reads: [&[u8]; 4] = [
            b"AAACCGTTACCATTACTGAGTT",
            b"GTAGCTTATCAGACTGATGTTG",
            b"TAGCTTATCAGACTGATGTTGA",
            b"TAGCTTATCAGACTGATGTTGAA",
        ];
        let mut sample = SampleInserts::default();
        for (i, r) in reads.iter().enumerate() {
            sample.add_count(r, 1 + i as u32);
        }
        let sample = sample.into_sorted();
        let table = InsertTable::build(&[&sample]);
        // (insert, hairpin, start, mature): a read placed before its
        // precursor (start -1) gets no line
        let mut lines = IsomirLines::default();
        for (id, h, start, m) in [
            (0, 1, 1, 1),
            (1, 0, 1, 0),
            (2, 0, 2, 0),
            (3, 0, 2, 0),
            (3, 1, -1, 1),
        ] {
            let placed = Placed {
                seqid: (0, h),
                precursor: &reference.hairpins[h as usize].seq,
                start,
                mature: (m, 2 - h as i64, 23),
                hits: 1,
            };
            lines.push_line(id, table.seq(id), &placed);
        }
        let isomirs = Isomirs::build(lines, &table.counts);
        let samples = ["s1".to_string()];
        for form in [GffCoordinates::Mirtop, GffCoordinates::Gff3] {
            let text = GffText::new("miRBase v22", &samples, form);
            let mut whole = Vec::new();
            write_gff(&mut whole, &isomirs, &text, &reference, &table).unwrap();
            let whole = String::from_utf8(whole).unwrap();
            let body = &whole[text.header.len()..];
            assert_eq!(
                body.lines().count(),
                if form == GffCoordinates::Gff3 { 6 } else { 4 }
            );
            assert_eq!(
                body.matches("pre_miRNA").count(),
                2 * usize::from(form == GffCoordinates::Gff3)
            );
            assert!(body.contains("hsa-mir-a;x\t") != (form == GffCoordinates::Gff3));
            for cut in 0..=isomirs.len() {
                let mut parts = Vec::new();
                push_gff_lines(&isomirs, &mut parts, 0..cut, &text, &reference, &table);
                push_gff_lines(
                    &isomirs,
                    &mut parts,
                    cut..isomirs.len(),
                    &text,
                    &reference,
                    &table,
                );
                assert_eq!(String::from_utf8(parts).unwrap(), body, "cut at {cut}");
            }
        }
    }

    #[test]
    fn has_uid_says_whether_there_is_one() {
        let mut rng = crate::rng::Rng::new(7);
        for _ in 0..2000 {
            let len = 1 + rng.below(30);
            let seq: Vec<u8> = (0..len)
                .map(|_| {
                    // mostly ACGT, sometimes a letter without a code
                    b"ACGTACGTACGTACGTACGTNacgtU.-"[rng.below(28)]
                })
                .collect();
            assert_eq!(has_uid(&seq), uid(&seq).is_some(), "{seq:?}");
        }
        assert!(has_uid(b"ACGT") && !has_uid(b"ACGU") && !has_uid(b"acgt"));
    }

    #[test]
    fn uids_match_mirtop() {
        for (seq, id) in [
            ("TATTGCACTTGTCCCGGCCTGT", "iso-22-VY2ZSR67N"),
            ("TATTGCACTTGTCCCGGCCTGTAT", "iso-24-VY2ZSR672I"),
            ("TATTGCACTTGTCCCGGCCTGTA", "iso-23-VY2ZSR670B"),
            ("TATTGCACTTGTCCCGGCCT", "iso-20-VY2ZSR67"),
            ("ATTGCACTTGTCCCGGCCTGT", "iso-21-IVEY8SPYE"),
            ("CAACGGAATCCCGAAAGCAGCTG", "iso-23-2HOM3BFPDP"),
            ("TGGAAGACTAGTGATTTTGTTGT", "iso-23-9BOX7EZW0N"),
        ] {
            assert_eq!(uid(seq.as_bytes()).unwrap(), id, "{seq}");
        }
        assert_eq!(uid(b"ACGN"), None);
    }

    fn escape(text: &str, plain: fn(char) -> bool) -> String {
        let mut out = Vec::new();
        push_escaped(&mut out, text, plain);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn gff3_escapes_and_names() {
        assert_eq!(
            escape("hsa-mir-1;a=b,c", value_char),
            "hsa-mir-1%3Ba%3Db%2Cc"
        );
        assert_eq!(
            escape("Hsa-Mir-92-P1a_pre", seqid_char),
            "Hsa-Mir-92-P1a_pre"
        );
        assert_eq!(escape("a b", seqid_char), "a%20b");
        assert_eq!(
            GffCoordinates::from_name("GFF3"),
            Some(GffCoordinates::Gff3)
        );
        assert_eq!(GffCoordinates::from_name("bed"), None);
        assert_eq!(GffCoordinates::default().name(), "mirtop");
    }
}
