//! Streaming FASTQ input: plain, gzip or zstd (detected from the first bytes,
//! never from the file name), one record at a time, in bounded memory.
//!
//! [`Reader`] reads records from any [`Read`]; [`open`] and the
//! `for_each_record*` functions put a file under it, named by its path in
//! messages. Errors are [`FastqError`]s that keep the source's name and,
//! where one is at fault, the record's number, line and name
//! ([`Position`]); at the file functions they become the crate's
//! [`Error`].
//!
//! Reading and decompression run on a thread of their own: it fills reusable
//! byte chunks and sends them through a bounded channel to the calling
//! thread, which parses records from them. At most `CHANNEL_DEPTH + 2`
//! chunks of `CHUNK` bytes exist per stream, and they are recycled, so no
//! memory is allocated per read.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use needletail::errors::{ErrorPosition, ParseError, ParseErrorKind};
use needletail::parse_fastx_reader;
use needletail::parser::Format;

use super::gzip::GzipDecoder;
use crate::error::{Error, Result};
use crate::runtime::streams::escape_controls;

/// Size of the read buffer between the file and the zstd decoder.
const IO_BUFFER: usize = 1 << 20;

/// Decompressed bytes per chunk sent to the parser.
const CHUNK: usize = 1 << 20;

/// Filled chunks that may wait in the channel.
const CHANNEL_DEPTH: usize = 4;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The name messages give a [`Reader`] that reads no named file.
pub const STREAM_NAME: &str = "<stream>";

/// What the parser hands each record's sequence and quality to; `Break`
/// stops reading.
type RecordVisitor<'a> = dyn FnMut(&[u8], &[u8]) -> ControlFlow<()> + 'a;

/// Work the decompressing thread may do instead of waiting while the
/// parser is behind (its chunks' channel full): called again and again
/// while it returns true and the channel stays full; false when there is
/// none (the thread then waits).
pub type Helper<'a> = &'a (dyn Fn() -> bool + Sync);

/// A chunk of decompressed bytes: the buffer (always `CHUNK` long) and how
/// much of it is filled.
type Chunk = (Vec<u8>, usize);

/// The reading side's ends of the decompressing thread's channels: filled
/// chunks (then an error, if one occurred) in, used chunks back.
type ChunkEnds = (Receiver<io::Result<Chunk>>, Sender<Vec<u8>>);

/// Where in a stream a record at fault lies, as needletail's
/// `ErrorPosition` tells it, with the record's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The record's number, from 1.
    pub record: u64,
    /// The line at fault, from 1.
    pub line: u64,
    /// The record's name, where it has one.
    pub id: Option<String>,
}

/// What kind of fault ended reading a FASTQ stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastqErrorKind {
    /// A record breaks FASTQ's layout (no `@`, no `+` line, unequal lengths).
    Malformed,
    /// The stream ends inside a record.
    Truncated,
    /// A record is well formed but refused by mirq's checks (non-ASCII
    /// bytes, a `+` line naming another record, unprintable qualities).
    Refused,
    /// The qualities are Phred+64.
    Phred64,
    /// The bytes cannot be read or decompressed (corrupt, cut short, an
    /// unsupported compression, a read error).
    Unreadable,
}

/// A FASTQ stream that cannot be read: the source's name (a file's path,
/// or [`STREAM_NAME`]), the kind of fault, the record at fault where there
/// is one, and the message shown to the user.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", .name.display())]
pub struct FastqError {
    /// The file's path, or [`STREAM_NAME`].
    pub name: PathBuf,
    /// What went wrong.
    pub kind: FastqErrorKind,
    /// The record at fault, when one is.
    pub position: Option<Position>,
    /// What went wrong, in words (without the name).
    pub message: String,
}

impl FastqError {
    fn new(name: &Path, kind: FastqErrorKind, position: Option<Position>, message: String) -> Self {
        Self {
            name: name.to_path_buf(),
            kind,
            position,
            message,
        }
    }
}

impl From<FastqError> for Error {
    fn from(e: FastqError) -> Self {
        Error::Parse {
            path: e.name,
            message: e.message,
        }
    }
}

/// Result of the reader's inner steps.
type Parsed<T = ()> = std::result::Result<T, FastqError>;

/// A FASTQ (or FASTA) reader over any bytes: plain, gzip or zstd, told
/// apart by the first bytes. The bytes are read and decompressed on a
/// thread of its own while the calling thread parses.
pub struct Reader<R> {
    source: R,
    name: PathBuf,
}

impl<R: Read + Send> Reader<R> {
    /// A reader of `source`, called [`STREAM_NAME`] in messages.
    pub fn new(source: R) -> Self {
        Self {
            source,
            name: PathBuf::from(STREAM_NAME),
        }
    }

    /// The same reader, called `name` (a file's path) in messages.
    pub fn named(self, name: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            ..self
        }
    }

    /// Reads every record, handing its sequence and quality to `visit`.
    /// Returns the number of records read. An empty stream (or an empty
    /// compressed stream) holds zero records and is not an error.
    pub fn for_each(self, mut visit: impl FnMut(&[u8], &[u8])) -> Parsed<u64> {
        self.for_each_until(|seq, qual| {
            visit(seq, qual);
            ControlFlow::Continue(())
        })
    }

    /// Like [`Reader::for_each`], but stops after the record for which
    /// `visit` returns `ControlFlow::Break`: the rest of the stream is
    /// neither read nor checked. Returns the number of records visited (the
    /// breaking one included).
    pub fn for_each_until(self, visit: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>) -> Parsed<u64> {
        self.for_each_helped(visit, None)
    }

    /// Like [`Reader::for_each_until`]; while the parser is behind, the
    /// decompressing thread does the `help` it is offered ([`Helper`]).
    pub fn for_each_helped(
        self,
        mut visit: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
        help: Option<Helper<'_>>,
    ) -> Parsed<u64> {
        let name = self.name.as_path();
        std::thread::scope(|scope| {
            let (filled_rx, empty_tx) = start_decompressing(scope, name, self.source, help)?;
            let mut reader = ChunkReader {
                filled: filled_rx,
                empty: empty_tx,
                chunk: None,
                len: 0,
                pos: 0,
                done: false,
                failed: None,
            };
            // An empty stream is an empty sample; an error before the first
            // byte is reported here (needletail would take it for an empty
            // file).
            match reader.fill() {
                Ok(true) => read_records(name, &mut reader, &mut visit),
                _ => match reader.failed.take() {
                    None => Ok(0),
                    Some(e) => Err(unreadable(
                        name,
                        format!("cannot be read (corrupt or not FASTQ?): {e}"),
                    )),
                },
            }
            // Dropping the reader ends the decompressing thread early on an
            // error; the scope joins it (and passes on a panic).
        })
    }

    /// Decompresses the stream on the same thread, in the same chunks, as
    /// [`Reader::for_each`] does, and returns the number of decompressed
    /// bytes: the input stage's own throughput, without parsing.
    pub fn decompressed_bytes(self) -> Parsed<u64> {
        let name = self.name.as_path();
        std::thread::scope(|scope| {
            let (filled, empty) = start_decompressing(scope, name, self.source, None)?;
            let mut total = 0u64;
            for chunk in filled {
                match chunk {
                    Ok((buf, len)) => {
                        total += len as u64;
                        let _ = empty.send(buf);
                    }
                    Err(e) => {
                        return Err(unreadable(
                            name,
                            format!("the data ends in an error after {total} bytes: {e}"),
                        ))
                    }
                }
            }
            Ok(total)
        })
    }
}

/// An error of the bytes themselves, at no record.
fn unreadable(name: &Path, message: String) -> FastqError {
    FastqError::new(name, FastqErrorKind::Unreadable, None, message)
}

/// Opens `path` for reading: a [`Reader`] of the file, named by its path.
pub fn open(path: &Path) -> Result<Reader<File>> {
    Ok(Reader::new(open_file(path)?).named(path))
}

/// Reads every record of `path`, handing its sequence and quality to `visit`.
/// Returns the number of records read. An empty file (or an empty compressed
/// stream) holds zero records and is not an error.
pub fn for_each_record(path: &Path, visit: impl FnMut(&[u8], &[u8])) -> Result<u64> {
    Ok(open(path)?.for_each(visit)?)
}

/// Like [`for_each_record`], but stops after the record for which `visit`
/// returns `ControlFlow::Break`: the rest of the file is neither read nor
/// checked. Returns the number of records visited (the breaking one
/// included).
pub fn for_each_record_until(
    path: &Path,
    visit: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
) -> Result<u64> {
    Ok(open(path)?.for_each_until(visit)?)
}

/// Like [`for_each_record_until`], adding the bytes read from the file (as
/// stored: compressed bytes for compressed input) to `bytes` as they are
/// read, for progress reports.
///
/// With `help`, the decompressing thread does that work while the parser
/// is behind ([`Reader::for_each_helped`]).
pub fn for_each_record_counting(
    path: &Path,
    bytes: &AtomicU64,
    visit: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
    help: Option<Helper<'_>>,
) -> Result<u64> {
    let counted = Counted {
        inner: open_file(path)?,
        bytes,
    };
    Ok(Reader::new(counted)
        .named(path)
        .for_each_helped(visit, help)?)
}

/// Decompresses `path` as [`Reader::decompressed_bytes`] does.
pub fn decompressed_bytes(path: &Path) -> Result<u64> {
    Ok(open(path)?.decompressed_bytes()?)
}

/// Opens `path` for reading; a directory is an error of its own.
fn open_file(path: &Path) -> Result<File> {
    if path.is_dir() {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            message: "is a directory, not a FASTQ file".into(),
        });
    }
    File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })
}

/// Starts the decompressing thread on `source` in `scope`: it sends the
/// decompressed bytes in chunks through the first channel (then an error if
/// one occurred) and takes used chunks back through the second.
fn start_decompressing<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    name: &Path,
    source: impl Read + Send + 'scope,
    help: Option<Helper<'scope>>,
) -> Parsed<ChunkEnds> {
    let (filled_tx, filled_rx) = sync_channel::<io::Result<Chunk>>(CHANNEL_DEPTH);
    let (empty_tx, empty_rx) = channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name("mirq-decompress".into())
        .spawn_scoped(scope, move || {
            let filled = Filled {
                channel: filled_tx,
                help,
            };
            decompress(source, &filled, &empty_rx)
        })
        .map_err(|e| unreadable(name, format!("cannot start the reading thread: {e}")))?;
    Ok((filled_rx, empty_tx))
}

/// A source that adds the bytes read from it to a counter.
struct Counted<'a, R> {
    inner: R,
    bytes: &'a AtomicU64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The decompressing thread: sends `source`'s decompressed bytes in chunks,
/// then an error if one occurred. Stops when the parser hangs up.
fn decompress(source: impl Read, filled: &Filled<'_>, empty: &Receiver<Vec<u8>>) {
    if let Err(e) = pump_source(source, filled, empty) {
        let _ = filled.send(Err(e));
    }
}

/// Recognises the format from the first bytes and pumps the decompressed
/// bytes: gzip through ISA-L and plain text straight into the chunks (no
/// buffer between), zstd through its own decoder.
fn pump_source(
    mut file: impl Read,
    filled: &Filled<'_>,
    empty: &Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut magic = [0u8; 4];
    let mut n = 0;
    while n < magic.len() {
        match file.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = &magic[..n];
    for (prefix, format) in [
        (&b"BZh"[..], "bzip2"),
        (&[0xfd, b'7', b'z', b'X'][..], "xz"),
    ] {
        if head.starts_with(prefix) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{format}-compressed input is not supported: use plain, gzip or zstd FASTQ"
                ),
            ));
        }
    }
    if head.starts_with(&GZIP_MAGIC) {
        pump(GzipDecoder::new(file, head), filled, empty)
    } else if head == ZSTD_MAGIC {
        let input = BufReader::with_capacity(IO_BUFFER, Cursor::new(head).chain(file));
        pump(zstd::Decoder::with_buffer(input)?, filled, empty)
    } else {
        pump(Cursor::new(head).chain(file), filled, empty)
    }
}

/// The decompressing thread's end of the chunks' channel, with the work it
/// may do while the channel is full.
struct Filled<'a> {
    channel: SyncSender<io::Result<Chunk>>,
    help: Option<Helper<'a>>,
}

impl Filled<'_> {
    /// Sends `chunk`, helping while the channel is full (then waiting when
    /// there is no help to give); an error once the parser has stopped.
    fn send(&self, chunk: io::Result<Chunk>) -> std::result::Result<(), ()> {
        let Some(help) = self.help else {
            return self.channel.send(chunk).map_err(|_| ());
        };
        let mut chunk = chunk;
        loop {
            match self.channel.try_send(chunk) {
                Ok(()) => return Ok(()),
                Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(()),
                Err(std::sync::mpsc::TrySendError::Full(back)) => {
                    chunk = back;
                    if !help() {
                        return self.channel.send(chunk).map_err(|_| ());
                    }
                }
            }
        }
    }
}

/// Fills chunks from `source` until its end; a partial chunk read before an
/// error is sent before the error.
fn pump(mut source: impl Read, filled: &Filled<'_>, empty: &Receiver<Vec<u8>>) -> io::Result<()> {
    loop {
        let mut buf = empty.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
        let mut len = 0;
        let mut error = None;
        while len < CHUNK {
            match source.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(k) => len += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if len > 0 && filled.send(Ok((buf, len))).is_err() {
            return Ok(()); // the parser stopped
        }
        if let Some(e) = error {
            return Err(e);
        }
        if len < CHUNK {
            return Ok(());
        }
    }
}

/// The parser's side of the channel: a `Read` over the chunks in order,
/// handing each used chunk back for reuse.
struct ChunkReader {
    filled: Receiver<io::Result<Chunk>>,
    empty: Sender<Vec<u8>>,
    chunk: Option<Vec<u8>>,
    len: usize,
    pos: usize,
    done: bool,
    /// The error that ended the stream: the parser sees the end of the
    /// bytes read before it, and the error is reported after them, with
    /// the count of every complete record.
    failed: Option<io::Error>,
}

impl ChunkReader {
    /// Makes unread bytes available; false at the end of the stream.
    fn fill(&mut self) -> io::Result<bool> {
        while self.pos == self.len {
            if self.done {
                return Ok(false);
            }
            if let Some(used) = self.chunk.take() {
                let _ = self.empty.send(used);
            }
            match self.filled.recv() {
                Ok(Ok((buf, len))) => {
                    self.chunk = Some(buf);
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    self.failed = Some(e);
                    return Ok(false);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

impl ChunkReader {
    /// The current chunk's unread bytes (empty before the first fill or at
    /// the end).
    fn unread(&self) -> &[u8] {
        self.chunk
            .as_deref()
            .map_or(&[], |c| &c[self.pos..self.len])
    }

    /// Marks the current chunk read.
    fn consume_all(&mut self) {
        self.pos = self.len;
    }
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || !self.fill()? {
            return Ok(0);
        }
        let chunk = self.chunk.as_deref().expect("a chunk after fill");
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_records(
    name: &Path,
    reader: &mut ChunkReader,
    visit: &mut RecordVisitor<'_>,
) -> Parsed<u64> {
    let mut records = 0u64;
    let unread = reader.unread();
    // FASTQ (two bytes at least, as needletail wants) is parsed here; FASTA
    // and anything else goes through needletail
    let parsed = if unread.len() >= 2 && unread[0] == b'@' {
        parse_fastq(name, reader, visit, &mut records)
    } else {
        parse_all(name, &mut *reader, visit, &mut records)
    };
    // a failed stream explains a record cut short better than the parser
    match reader.failed.take() {
        Some(e) => Err(unreadable(
            name,
            format!(
                "the data ends in an error after record {records} (every record before it was read): {e}: a truncated or corrupt file, or trailing bytes that are not compressed data?"
            ),
        )),
        None => parsed.map(|_| records),
    }
}

/// Records over which the quality encoding is judged (Phred+64 is refused).
pub const ENCODING_READS: u64 = 10_000;

/// The lowest and highest quality byte of the first [`ENCODING_READS`]
/// records, to tell Phred+64 from Phred+33 as FastQC does.
struct QualityRange {
    min: u8,
    max: u8,
}

impl QualityRange {
    fn new() -> Self {
        Self {
            min: u8::MAX,
            max: 0,
        }
    }

    /// Takes the qualities of record number `records` (from 1) while it is
    /// one of the first [`ENCODING_READS`], and checks them at the last.
    #[inline]
    fn observe(&mut self, name: &Path, records: u64, qual: &[u8]) -> Parsed {
        if records <= ENCODING_READS {
            let (lo, hi) = quality_range(qual);
            self.min = self.min.min(lo);
            self.max = self.max.max(hi);
            if records == ENCODING_READS {
                self.check(name, records)?;
            }
        }
        Ok(())
    }

    /// At the end of a stream of `records` records: the check, if
    /// [`QualityRange::observe`] has not made it.
    fn finish(&self, name: &Path, records: u64) -> Parsed {
        if records < ENCODING_READS {
            self.check(name, records)?;
        }
        Ok(())
    }

    /// Phred+64 (Illumina 1.3 to 1.7): no quality byte below `@` (64, Q31
    /// in Phred+33) and one above `J` (74, Q41, the Phred+33 ceiling of
    /// Illumina instruments).
    fn check(&self, name: &Path, records: u64) -> Parsed {
        if self.min >= b'@' && self.max > b'J' {
            return Err(FastqError::new(
                name,
                FastqErrorKind::Phred64,
                None,
                format!(
                    "qualities look Phred+64 (Illumina 1.3 to 1.7): in the first {records} record(s) the lowest quality byte is '{}' and the highest '{}'; mirq reads Phred+33 only: convert first, e.g. `seqtk seq -Q64 -V in.fastq > out.fastq`",
                    self.min as char, self.max as char
                ),
            ));
        }
        Ok(())
    }
}

/// A record refused by mirq's checks: the one after the first `records`,
/// its name `id`, at `line`, for the reason `what`. The message says where
/// the record is (its number, line and name, control characters escaped).
fn refused(name: &Path, records: u64, line: u64, id: &[u8], what: String) -> FastqError {
    let id = String::from_utf8_lossy(id).into_owned();
    let message = format!(
        "record {} (line {line}, '{}'): {what}",
        records + 1,
        escape_controls(&id)
    );
    let position = Position {
        record: records + 1,
        line,
        id: Some(id),
    };
    FastqError::new(name, FastqErrorKind::Refused, Some(position), message)
}

/// The FASTQ `+` line between a record's sequence and its qualities,
/// without its line ends (`record.all()` holds both slices).
fn plus_line<'a>(all: &'a [u8], seq: &[u8], qual: &[u8]) -> &'a [u8] {
    let base = all.as_ptr() as usize;
    let from = seq.as_ptr() as usize - base + seq.len();
    let to = qual.as_ptr() as usize - base;
    let line = all.get(from..to).unwrap_or_default();
    let line = line.strip_prefix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Checks one record as strictly as cutadapt 5.2 (dnaio) does, and its
/// quality bytes beyond it: an ASCII header and sequence; a `+` line that is
/// bare or repeats the header; quality bytes printable ASCII (`!`..=`~`,
/// Phred+33).
#[inline]
fn check_record(name: &Path, record: &needletail::parser::SequenceRecord, records: u64) -> Parsed {
    let fail = |line: u64, what: String| refused(name, records, line, record.id(), what);
    let id = record.id();
    let seq = record.raw_seq();
    let Some(qual) = record.qual() else {
        // FASTA: reads without qualities
        if !id.is_ascii() || !seq.is_ascii() {
            let line = record.start_line_number() + 1;
            return Err(fail(
                line,
                "non-ASCII bytes in the record (cutadapt refuses them too)".into(),
            ));
        }
        return Ok(());
    };
    // FASTQ records are four lines each
    let line = 4 * records + 1;
    let fields = Fields {
        id,
        seq,
        plus: plus_line(record.all(), seq, qual),
        qual,
    };
    check_fields(name, &fields, records, line)
}

/// Where one FASTQ record's lines lie in a buffer, as needletail finds
/// them: the header's first byte, the first byte of the sequence, `+` and
/// quality lines, and the quality line's end (its `\n`, or the buffer's end
/// for a last line without one).
#[derive(Clone, Copy)]
struct Lines {
    start: usize,
    seq: usize,
    sep: usize,
    qual: usize,
    end: usize,
}

/// One record's fields, without line ends (a final `\r` dropped).
struct Fields<'a> {
    id: &'a [u8],
    seq: &'a [u8],
    plus: &'a [u8],
    qual: &'a [u8],
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl Lines {
    /// The record's fields after needletail's own checks, in its order and
    /// with its errors: a header starting with `@`, a `+` line, as many
    /// qualities as bases. `line` is the record's first line.
    #[inline]
    fn fields<'a>(&self, buf: &'a [u8], line: u64) -> std::result::Result<Fields<'a>, ParseError> {
        let first = buf[self.start];
        if first != b'@' {
            return Err(ParseError::new_invalid_start(
                first,
                self.position(buf, line, 0, false),
                Format::Fastq,
            ));
        }
        let sep = buf[self.sep];
        if sep != b'+' {
            return Err(ParseError::new_invalid_separator(
                sep,
                self.position(buf, line, 2, true),
            ));
        }
        let seq = trim_cr(&buf[self.seq..self.sep - 1]);
        let qual = trim_cr(&buf[self.qual..self.end]);
        if seq.len() != qual.len() {
            return Err(ParseError::new_unequal_length(
                seq.len(),
                qual.len(),
                self.position(buf, line, 0, true),
            ));
        }
        Ok(Fields {
            id: trim_cr(&buf[self.start + 1..self.seq - 1]),
            seq,
            plus: trim_cr(&buf[self.sep..self.qual - 1]),
            qual,
        })
    }

    /// needletail's position of an error: the line, and with `named` the
    /// record's name up to its first space.
    fn position(&self, buf: &[u8], line: u64, offset: u64, named: bool) -> ErrorPosition {
        let id = (named && self.seq - self.start > 1).then(|| {
            let id = trim_cr(&buf[self.start + 1..self.seq - 1]);
            let id = id.split(|&b| b == b' ').next().unwrap_or_default();
            String::from_utf8_lossy(id).into_owned()
        });
        ErrorPosition {
            line: line + offset,
            id,
        }
    }
}

/// Checks one FASTQ record as strictly as cutadapt 5.2 (dnaio) does, and
/// its quality bytes beyond it: an ASCII header and sequence; a `+` line
/// that is bare or repeats the header; quality bytes printable ASCII
/// (`!`..=`~`, Phred+33). `line` is the record's first line.
#[inline]
fn check_fields(name: &Path, f: &Fields, records: u64, line: u64) -> Parsed {
    let fail = |line: u64, what: String| refused(name, records, line, f.id, what);
    if !f.id.is_ascii() {
        return Err(fail(
            line,
            "non-ASCII bytes in the header (cutadapt refuses them too)".into(),
        ));
    }
    if !f.seq.is_ascii() {
        return Err(fail(line + 1, "non-ASCII bytes in the sequence".into()));
    }
    if f.plus.len() > 1 && &f.plus[1..] != f.id {
        return Err(fail(
            line + 2,
            format!(
                "the '+' line names '{}', not the header's '{}': it must be '+' alone or repeat the header",
                escape_controls(&String::from_utf8_lossy(&f.plus[1..])),
                escape_controls(&String::from_utf8_lossy(f.id))
            ),
        ));
    }
    // one pass the compiler vectorises; the offending byte only on failure
    let printable = f
        .qual
        .iter()
        .fold(true, |ok, &q| ok & (q.wrapping_sub(b'!') <= b'~' - b'!'));
    if !printable {
        let (lo, hi) = quality_range(f.qual);
        let q = if lo < b'!' { lo } else { hi };
        return Err(fail(
            line + 3,
            format!("quality byte {q:#04x} is not printable ASCII ('!' to '~'): qualities must be Phred+33 text"),
        ));
    }
    Ok(())
}

/// The lowest and highest byte of `qual` (`(255, 0)` when empty).
fn quality_range(qual: &[u8]) -> (u8, u8) {
    qual.iter()
        .fold((u8::MAX, 0u8), |(lo, hi), &q| (lo.min(q), hi.max(q)))
}

/// What became of a FASTQ record handed on.
enum Next {
    More,
    Stop,
}

/// Parses FASTQ records straight from the decompressed chunks (no copy but
/// for a record that straddles two chunks), with needletail's record rules
/// and errors and [`check_fields`]'s checks: the fast path of
/// [`read_records`] for a stream that starts with `@`.
struct FastqChunks<'v, 'a> {
    name: &'v Path,
    visit: &'v mut RecordVisitor<'a>,
    records: u64,
    range: QualityRange,
    /// An incomplete record's bytes carried over from earlier chunks.
    tail: Vec<u8>,
}

impl FastqChunks<'_, '_> {
    /// Checks and hands on one record.
    #[inline]
    fn record(&mut self, buf: &[u8], lines: Lines) -> Parsed<Next> {
        let line = 4 * self.records + 1;
        let f = lines
            .fields(buf, line)
            .map_err(|e| parse_error(self.name, &e, self.records))?;
        check_fields(self.name, &f, self.records, line)?;
        self.records += 1;
        self.range.observe(self.name, self.records, f.qual)?;
        Ok(match (self.visit)(f.seq, f.qual) {
            ControlFlow::Continue(()) => Next::More,
            ControlFlow::Break(()) => Next::Stop,
        })
    }

    /// Every record of the stream until its end or a break.
    fn run(&mut self, reader: &mut ChunkReader) -> Parsed {
        loop {
            let chunk = reader.unread();
            let mut at = 0;
            if !self.tail.is_empty() {
                // the record begun in earlier chunks ends at the line end
                // that makes its fourth
                let have = memchr::memchr_iter(b'\n', &self.tail).count();
                match memchr::memchr_iter(b'\n', chunk).nth(3 - have) {
                    Some(p) => {
                        let mut tail = std::mem::take(&mut self.tail);
                        tail.extend_from_slice(&chunk[..=p]);
                        let lines = find_lines(&tail, 0).expect("four line ends");
                        let next = self.record(&tail, lines)?;
                        tail.clear();
                        self.tail = tail;
                        if let Next::Stop = next {
                            return Ok(());
                        }
                        at = p + 1;
                    }
                    None => {
                        self.tail.extend_from_slice(chunk);
                        at = chunk.len();
                    }
                }
            }
            while at < chunk.len() {
                let Some(lines) = find_lines(chunk, at) else {
                    self.tail.extend_from_slice(&chunk[at..]);
                    break;
                };
                if let Next::Stop = self.record(chunk, lines)? {
                    return Ok(());
                }
                at = lines.end + 1;
            }
            reader.consume_all();
            if !reader.fill().unwrap_or(false) {
                return self.end();
            }
        }
    }

    /// The stream's end, as needletail takes it: a last record whose
    /// quality line lacks its line end is a record; blank lines are
    /// allowed; anything else is a record cut short.
    fn end(&mut self) -> Parsed {
        let tail = std::mem::take(&mut self.tail);
        let ends: Vec<usize> = memchr::memchr_iter(b'\n', &tail).collect();
        if let [seq, sep, qual] = ends[..] {
            let lines = Lines {
                start: 0,
                seq: seq + 1,
                sep: sep + 1,
                qual: qual + 1,
                end: tail.len(),
            };
            self.record(&tail, lines)?;
            return Ok(());
        }
        if tail.split(|&b| b == b'\n').all(|l| trim_cr(l).is_empty()) {
            return Ok(());
        }
        let found = ends.len() as u64;
        let lines = Lines {
            start: 0,
            seq: ends.first().map_or(0, |&e| e + 1),
            sep: 0,
            qual: 0,
            end: 0,
        };
        let position = lines.position(&tail, 4 * self.records + 1, found, found > 0);
        let e = ParseError::new_unexpected_end(position, Format::Fastq);
        Err(parse_error(self.name, &e, self.records))
    }
}

/// The record whose header starts at `buf[start]`, when its four line ends
/// are in `buf`.
#[inline]
fn find_lines(buf: &[u8], start: usize) -> Option<Lines> {
    let seq = start + memchr::memchr(b'\n', &buf[start..])? + 1;
    let sep = seq + memchr::memchr(b'\n', &buf[seq..])? + 1;
    // the `+` line is mostly `+` alone: its line end is then the next byte
    let qual = match buf.get(sep..sep + 2) {
        Some([first, b'\n']) if *first != b'\n' => sep + 2,
        _ => sep + memchr::memchr(b'\n', &buf[sep..])? + 1,
    };
    let end = qual + memchr::memchr(b'\n', &buf[qual..])?;
    Some(Lines {
        start,
        seq,
        sep,
        qual,
        end,
    })
}

/// Parses records into `visit` until the end, a break or an error,
/// counting them in `records`. Every record is checked ([`check_record`]);
/// the first [`ENCODING_READS`] records' qualities tell whether the file is
/// Phred+64 (refused).
fn parse_all(
    name: &Path,
    reader: impl Read + Send,
    visit: &mut RecordVisitor<'_>,
    records: &mut u64,
) -> Parsed {
    let mut parser = match parse_fastx_reader(reader) {
        Ok(p) => p,
        Err(e) if e.kind == ParseErrorKind::EmptyFile => return Ok(()),
        Err(e) => return Err(parse_error(name, &e, 0)),
    };
    let mut range = QualityRange::new();
    while let Some(record) = parser.next() {
        let record = record.map_err(|e| parse_error(name, &e, *records))?;
        check_record(name, &record, *records)?;
        let seq = record.raw_seq();
        let qual = record.qual().unwrap_or(&[]);
        *records += 1;
        range.observe(name, *records, qual)?;
        if visit(seq, qual).is_break() {
            break;
        }
    }
    range.finish(name, *records)
}

/// [`parse_all`] for a stream that starts with `@`, through
/// [`FastqChunks`]: the same records, checks and errors.
fn parse_fastq(
    name: &Path,
    reader: &mut ChunkReader,
    visit: &mut RecordVisitor<'_>,
    records: &mut u64,
) -> Parsed {
    let mut fastq = FastqChunks {
        name,
        visit,
        records: 0,
        range: QualityRange::new(),
        tail: Vec::new(),
    };
    let parsed = fastq.run(reader);
    *records = fastq.records;
    parsed?;
    fastq.range.finish(name, fastq.records)
}

/// needletail's error `e` after the first `records` records, with its
/// position and the record's number.
fn parse_error(name: &Path, e: &ParseError, records: u64) -> FastqError {
    let (kind, message) = match e.kind {
        ParseErrorKind::Io => (
            FastqErrorKind::Unreadable,
            format!(
                "read error after record {records} (truncated or corrupt file?): {}",
                e.msg
            ),
        ),
        ParseErrorKind::UnexpectedEnd => (
            FastqErrorKind::Truncated,
            format!(
                "file ends inside a record (after record {records}, {}): truncated FASTQ",
                e.position
            ),
        ),
        ParseErrorKind::UnequalLengths => (
            FastqErrorKind::Malformed,
            format!("malformed FASTQ record: {e}"),
        ),
        ParseErrorKind::InvalidSeparator => (
            FastqErrorKind::Malformed,
            format!("malformed FASTQ record (missing '+' line): {e}"),
        ),
        _ => (
            FastqErrorKind::Malformed,
            format!("not a valid FASTQ file: {e}"),
        ),
    };
    let position = (e.kind != ParseErrorKind::Io).then(|| Position {
        record: records + 1,
        line: e.position.line,
        id: e.position.id.clone(),
    });
    FastqError::new(name, kind, position, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_tmp(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn collect(path: &Path) -> Result<Vec<String>> {
        let mut seqs = Vec::new();
        for_each_record(path, |s, _| {
            seqs.push(String::from_utf8(s.to_vec()).unwrap())
        })?;
        Ok(seqs)
    }

    const TWO: &[u8] = b"@r1\nACGT\n+\nIIII\n@r2\nGGA\n+\nIII\n";

    #[test]
    fn plain_and_gzip_give_the_same_records() {
        let plain = write_tmp(TWO);
        let gz = write_tmp(&gzip(TWO));
        assert_eq!(collect(plain.path()).unwrap(), vec!["ACGT", "GGA"]);
        assert_eq!(collect(gz.path()).unwrap(), vec!["ACGT", "GGA"]);
    }

    #[test]
    fn empty_file_has_zero_records() {
        let f = write_tmp(b"");
        assert_eq!(for_each_record(f.path(), |_, _| {}).unwrap(), 0);
        let gz = write_tmp(&gzip(b""));
        assert_eq!(for_each_record(gz.path(), |_, _| {}).unwrap(), 0);
    }

    #[test]
    fn truncated_gzip_is_an_error_naming_the_file() {
        let mut body = Vec::new();
        for i in 0..2000 {
            body.extend_from_slice(format!("@r{i}\nACGTACGTACGT\n+\nIIIIIIIIIIII\n").as_bytes());
        }
        let gz = gzip(&body);
        let f = write_tmp(&gz[..gz.len() / 2]);
        let err = collect(f.path()).unwrap_err().to_string();
        assert!(err.contains(&f.path().display().to_string()), "{err}");
    }

    #[test]
    fn decompressed_bytes_counts_what_the_reader_reads() {
        let body = many(50_000);
        let mut two = gzip(&body[..1000]);
        two.extend(gzip(&body[1000..]));
        for bytes in [body.clone(), gzip(&body), two] {
            let f = write_tmp(&bytes);
            assert_eq!(decompressed_bytes(f.path()).unwrap(), body.len() as u64);
        }
        let gz = gzip(&body);
        let f = write_tmp(&gz[..gz.len() / 2]);
        let err = decompressed_bytes(f.path()).unwrap_err().to_string();
        assert!(err.contains("cut short"), "{err}");
    }

    /// While the parser is behind (the chunks' channel full), the
    /// decompressing thread does the work it is offered until there is no
    /// more, then waits; every record still arrives, in order.
    #[test]
    fn the_decompressing_thread_helps_while_the_parser_is_behind() {
        use std::sync::atomic::AtomicUsize;
        // more bytes than the channel and the chunks in hand hold
        let records = 400_000;
        let body = many(records);
        assert!(body.len() > (CHANNEL_DEPTH + 4) * CHUNK);
        for gzipped in [false, true] {
            let bytes = if gzipped { gzip(&body) } else { body.clone() };
            let calls = AtomicUsize::new(0);
            // three pieces of work to give, then none
            let help = || calls.fetch_add(1, Ordering::Relaxed) < 3;
            let mut seen = 0usize;
            let visit = |seq: &[u8], _: &[u8]| {
                if seen == 0 {
                    // the parser falls behind: the channel fills
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                assert_eq!(seq.len(), 10 + seen % 24, "record {seen}");
                seen += 1;
                ControlFlow::Continue(())
            };
            let n = Reader::new(Cursor::new(bytes))
                .for_each_helped(visit, Some(&help))
                .unwrap();
            assert_eq!((n, seen), (records as u64, records));
            // the three pieces of work, then the call that found none
            assert!(calls.load(Ordering::Relaxed) >= 4, "gzip {gzipped}");
        }
    }

    #[test]
    fn missing_plus_line_names_the_line() {
        let f = write_tmp(b"@r1\nACGT\n+\nIIII\n@r2\nACGT\nIIII\n@r3\nACGT\n+\nIIII\n");
        let err = collect(f.path()).unwrap_err().to_string();
        assert!(err.contains("'+'"), "{err}");
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn short_quality_line_is_an_error() {
        let f = write_tmp(b"@r1\nACGT\n+\nIII\n");
        let err = collect(f.path()).unwrap_err().to_string();
        assert!(err.contains("quality length"), "{err}");
    }

    fn many(records: usize) -> Vec<u8> {
        let mut body = Vec::new();
        for i in 0..records {
            let seq = &b"ACGTTGCAAGCTTAGCAGCACGTAAATATTGGCG"[..10 + i % 24];
            body.extend_from_slice(format!("@read{i}\n").as_bytes());
            body.extend_from_slice(seq);
            body.extend_from_slice(b"\n+\n");
            body.extend(std::iter::repeat(b'I').take(seq.len()));
            body.push(b'\n');
        }
        body
    }

    /// Several chunks' worth, so records straddle chunk boundaries.
    #[test]
    fn plain_gzip_multi_member_gzip_and_zstd_agree_over_many_chunks() {
        let body = many(120_000);
        assert!(body.len() > 3 * CHUNK);
        let expected = collect(write_tmp(&body).path()).unwrap();
        assert_eq!(expected.len(), 120_000);
        assert_eq!(
            expected[119_999],
            "ACGTTGCAAGCTTAGCAGCACGTAAATATTGGCG"[..10 + 119_999 % 24]
        );
        let mut members = Vec::new();
        // two gzip members split between records (as `cat a.gz b.gz` gives)
        let split = body.len() / 2;
        let split = split + body[split..].windows(2).position(|w| w == b"\n@").unwrap() + 1;
        members.extend(gzip(&body[..split]));
        members.extend(gzip(&body[split..]));
        let zst = zstd::encode_all(&body[..], 3).unwrap();
        for bytes in [gzip(&body), members, zst] {
            assert_eq!(collect(write_tmp(&bytes).path()).unwrap(), expected);
        }
    }

    #[test]
    fn reading_stops_where_the_visitor_breaks() {
        let body = many(120_000);
        let gz = write_tmp(&gzip(&body));
        let mut seen = Vec::new();
        let n = for_each_record_until(gz.path(), |s, _| {
            seen.push(s.len());
            if seen.len() == 1000 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!((n, seen.len()), (1000, 1000));
        assert_eq!(seen[999], 10 + 999 % 24);
        // a file corrupt after the part read is not looked at
        let truncated = gzip(&body);
        let f = write_tmp(&truncated[..truncated.len() * 3 / 4]);
        let n = for_each_record_until(f.path(), |_, _| ControlFlow::Break(())).unwrap();
        assert_eq!(n, 1);
        // never breaking reads everything
        let n = for_each_record_until(gz.path(), |_, _| ControlFlow::Continue(())).unwrap();
        assert_eq!(n, 120_000);
    }

    #[test]
    fn empty_zstd_has_zero_records() {
        let zst = zstd::encode_all(&b""[..], 3).unwrap();
        assert_eq!(
            for_each_record(write_tmp(&zst).path(), |_, _| {}).unwrap(),
            0
        );
    }

    #[test]
    fn truncated_gzip_says_truncated_and_keeps_earlier_records() {
        let body = many(100_000);
        let gz = gzip(&body);
        let f = write_tmp(&gz[..gz.len() * 3 / 4]);
        let mut seen = 0u64;
        let err = for_each_record(f.path(), |_, _| seen += 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&f.path().display().to_string()), "{err}");
        assert!(err.contains("truncated"), "{err}");
        assert!(seen > 50_000, "{seen} records before the error");
    }

    #[test]
    fn corrupt_gzip_header_is_an_error_not_an_empty_file() {
        let mut gz = gzip(&many(10));
        gz[3] = 0xff; // reserved flag bits
        let f = write_tmp(&gz);
        let err = collect(f.path()).unwrap_err().to_string();
        assert!(err.contains(&f.path().display().to_string()), "{err}");
        assert!(err.contains("corrupt"), "{err}");
    }

    #[test]
    fn plus_line_may_repeat_the_header_with_either_line_end() {
        for body in [
            &b"@r1 x\nACGT\n+r1 x\nIIII\n"[..],
            b"@r1 x\r\nACGT\r\n+r1 x\r\nIIII\r\n",
            b"@r1\r\nACGT\r\n+\r\nIIII\r\n@r2\n\n+\n\n",
        ] {
            assert!(collect(write_tmp(body).path()).is_ok(), "{body:?}");
        }
        let err = collect(write_tmp(b"@r1\r\nACGT\r\n+r2\r\nIIII\r\n").path())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'+' line names 'r2'") && err.contains("line 3"),
            "{err}"
        );
    }

    #[test]
    fn quality_bytes_must_be_printable_ascii() {
        for (q, byte) in [
            (&b"II I"[..], "0x20"),
            (b"II\x7fI", "0x7f"),
            (b"II\xffI", "0xff"),
        ] {
            let body = [&b"@r1\nACGT\n+\n"[..], q, b"\n"].concat();
            let err = collect(write_tmp(&body).path()).unwrap_err().to_string();
            assert!(err.contains(byte) && err.contains("line 4"), "{err}");
        }
    }

    #[test]
    fn escape_bytes_in_names_are_escaped_in_messages() {
        let err = collect(write_tmp(b"@r\x1b[31m\nACGT\n+x\nIIII\n").path())
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\x1b') && err.contains("\\x1b"), "{err}");
    }

    /// A reader over `bytes` cut into chunks of `size` bytes.
    fn chunked(bytes: &[u8], size: usize) -> ChunkReader {
        let (filled_tx, filled_rx) = sync_channel(bytes.len() / size + 1);
        for piece in bytes.chunks(size) {
            filled_tx.send(Ok((piece.to_vec(), piece.len()))).unwrap();
        }
        let mut reader = ChunkReader {
            filled: filled_rx,
            empty: channel().0,
            chunk: None,
            len: 0,
            pos: 0,
            done: false,
            failed: None,
        };
        reader.fill().unwrap();
        reader
    }

    /// Sequences, qualities and the count or error of one parse.
    type Parsed = (Vec<(Vec<u8>, Vec<u8>)>, std::result::Result<u64, String>);

    fn parse_with(bytes: &[u8], size: usize, own: bool, stop: usize) -> Parsed {
        let path = Path::new("x.fq");
        let mut seen = Vec::new();
        let mut visit = |s: &[u8], q: &[u8]| {
            seen.push((s.to_vec(), q.to_vec()));
            if seen.len() == stop {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let mut reader = chunked(bytes, size);
        let mut records = 0;
        let result = if own {
            parse_fastq(path, &mut reader, &mut visit, &mut records)
        } else {
            parse_all(path, &mut reader, &mut visit, &mut records)
        };
        (seen, result.map(|()| records).map_err(|e| e.to_string()))
    }

    /// `find_lines` (which takes a `+` line of one byte without a search)
    /// finds the same lines as four searches for the next line end, on
    /// random buffers of line ends, `+`, `\r` and bases, from every start.
    #[test]
    fn find_lines_equals_four_line_end_searches() {
        let next = |buf: &[u8], from: usize| memchr::memchr(b'\n', &buf[from..]).map(|p| from + p);
        let mut rng = crate::rng::Rng::new(0x0F17_311E5);
        for _ in 0..3000 {
            let len = rng.below(24);
            let buf = rng.seq_from(len, b"\n\n+\rA@");
            for start in 0..buf.len() {
                let seq = next(&buf, start).map(|e| e + 1);
                let sep = seq.and_then(|s| next(&buf, s)).map(|e| e + 1);
                let qual = sep.and_then(|s| next(&buf, s)).map(|e| e + 1);
                let end = qual.and_then(|s| next(&buf, s));
                let want = end.map(|end| (seq.unwrap(), sep.unwrap(), qual.unwrap(), end));
                let got = find_lines(&buf, start).map(|l| (l.seq, l.sep, l.qual, l.end));
                assert_eq!(
                    got,
                    want,
                    "{:?} from {start}",
                    String::from_utf8_lossy(&buf)
                );
            }
        }
    }

    /// The chunk parser against needletail (with mirq's checks on top):
    /// every prefix of well-formed and malformed files, in chunks of 1 to
    /// 64 bytes and whole, gives the same records, count and error.
    #[test]
    fn chunk_parser_agrees_with_needletail_on_every_prefix() {
        let files: [&[u8]; 13] = [
            b"@r1 a\nACGT\n+\nIIII\n@r2\nGGA\n+r2\nII#\n@r3\n\n+\n\n",
            b"@r1\nAC\n\nII\n@r2\nA\n\n\n",
            b"@r1\r\nACGT\r\n+r1\r\nIIII\r\n@r2\r\nGG\r\n+\r\nII\r\n\r\n\n",
            b"@r1\nACGT\n+\nIIII\n\n\n\n\n",
            b"@r1\nACGT\nIIII\n@r2\nACGT\n+\nIIII\n",
            b"@r1\nACGT\n+\nIII\n",
            b"@r1\nACGT\n+\nIIII\nr2\nAC\n+\nII\n",
            b"@r1\nACGT\n+r2\nIIII\n",
            b"@r\xc3\xa91\nACGT\n+\nIIII\n",
            b"@r1\nAC\xc3\xa9\n+\nIIII\n",
            b"@r1\nACGT\n+\nII \x7f\n@r2\nA\n+\nI\n",
            b"@r1\nACGT\n+\nhhhh\n@r2\nA\n+\nB\n",
            b"@r1 x y\nACGT\n+\nIIIII\n",
        ];
        for file in files {
            for cut in 2..=file.len() {
                let bytes = &file[..cut];
                for size in (1..=9).chain([16, 64, bytes.len()]) {
                    for stop in [0, 1] {
                        let own = parse_with(bytes, size, true, stop);
                        let needle = parse_with(bytes, size, false, stop);
                        assert_eq!(
                            own,
                            needle,
                            "{:?} in chunks of {size}",
                            String::from_utf8_lossy(bytes)
                        );
                    }
                }
            }
        }
    }

    /// Any `Read` is a source: in-memory bytes, plain or compressed, give
    /// the records, and an error keeps the stream's name and the record's
    /// number, line and name.
    #[test]
    fn a_reader_over_bytes_reads_records_and_places_errors() {
        let mut seqs = Vec::new();
        let n = Reader::new(&gzip(TWO)[..])
            .for_each(|s, _| seqs.push(s.to_vec()))
            .unwrap();
        assert_eq!((n, seqs), (2, vec![b"ACGT".to_vec(), b"GGA".to_vec()]));
        let at = |record, line, id: &str| {
            Some(Position {
                record,
                line,
                id: Some(id.into()),
            })
        };
        let bad = b"@r1\nACGT\n+\nIIII\n@r2 x\nACGT\n+\nIII\n";
        let e = Reader::new(&bad[..]).for_each(|_, _| {}).unwrap_err();
        assert_eq!(
            (e.kind, e.position.clone()),
            (FastqErrorKind::Malformed, at(2, 5, "r2"))
        );
        assert_eq!(e.name, Path::new(STREAM_NAME));
        assert!(
            e.to_string()
                .starts_with("<stream>: malformed FASTQ record"),
            "{e}"
        );
        // mirq's own checks: the header in full, named as given
        let refused = b"@r1\nACGT\n+\nIIII\n@r2 x\nACGT\n+r3\nIIII\n";
        let e = Reader::new(&refused[..])
            .named("lane1.fq")
            .for_each(|_, _| {})
            .unwrap_err();
        assert_eq!(
            (e.kind, e.position.clone()),
            (FastqErrorKind::Refused, at(2, 7, "r2 x"))
        );
        assert!(
            e.to_string()
                .starts_with("lane1.fq: record 2 (line 7, 'r2 x')"),
            "{e}"
        );
        // a stream cut short: no record at fault
        let gz = gzip(&many(1000));
        let e = Reader::new(&gz[..gz.len() / 2])
            .for_each(|_, _| {})
            .unwrap_err();
        assert_eq!((e.kind, e.position), (FastqErrorKind::Unreadable, None));
    }

    #[test]
    fn phred64_is_judged_on_the_first_records() {
        let p64 = b"@r1\nACGT\n+\nBhhh\n";
        let err = collect(write_tmp(p64).path()).unwrap_err().to_string();
        assert!(err.contains("Phred+64"), "{err}");
        // one low quality byte among the first records: Phred+33
        let mut body = b"@r0\nACGT\n+\n#hhh\n".to_vec();
        body.extend_from_slice(p64);
        assert!(collect(write_tmp(&body).path()).is_ok());
        // past the first ENCODING_READS records nothing more is judged
        let mut body = many(ENCODING_READS as usize);
        body.extend_from_slice(p64);
        assert!(collect(write_tmp(&body).path()).is_ok());
    }
}
