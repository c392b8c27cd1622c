//! Streaming gzip decompression with ISA-L (the inflate of `igzip`): one
//! member after another (`cat a.gz b.gz`, BGZF), in bounded memory, with
//! errors that say what is wrong (a stream cut short, trailing bytes that
//! are not gzip, a checksum mismatch).

use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error, Layout};
use std::io::{self, Read};
use std::ptr::NonNull;

use isal_sys::igzip_lib as isal;

/// Compressed bytes read from the source at a time.
const INPUT: usize = 1 << 20;

/// ISA-L's inflate state (about 90 KB), zero-initialised on the heap then
/// set up by `isal_inflate_init`; freed on drop.
struct State(NonNull<isal::inflate_state>);

// SAFETY: the state holds pointers into buffers owned by the same
// `GzipDecoder`, only dereferenced during `isal_inflate` on its thread.
unsafe impl Send for State {}

impl State {
    fn new() -> State {
        let layout = Layout::new::<isal::inflate_state>();
        // SAFETY: the layout is non-zero-sized; every field of
        // `inflate_state` (integers, raw pointers, byte arrays) is valid
        // when zeroed, and `isal_inflate_init` writes what it needs.
        unsafe {
            let ptr = alloc_zeroed(layout).cast::<isal::inflate_state>();
            let Some(ptr) = NonNull::new(ptr) else {
                handle_alloc_error(layout)
            };
            isal::isal_inflate_init(ptr.as_ptr());
            (*ptr.as_ptr()).crc_flag = isal::ISAL_GZIP;
            State(ptr)
        }
    }

    fn get(&mut self) -> &mut isal::inflate_state {
        // SAFETY: allocated and initialised in `new`, uniquely owned.
        unsafe { self.0.as_mut() }
    }

    /// Ready for the next gzip member.
    fn reset(&mut self) {
        // SAFETY: an initialised state; reset keeps `crc_flag`.
        unsafe { isal::isal_inflate_reset(self.0.as_ptr()) }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout; ISA-L holds no other
        // resources.
        unsafe { dealloc(self.0.as_ptr().cast(), Layout::new::<isal::inflate_state>()) }
    }
}

/// A `Read` of the decompressed bytes of a gzip file of one or more members.
/// The bytes after the last member must be nothing: anything else is an
/// error (`InvalidData`), as is a stream cut short (`UnexpectedEof`).
pub struct GzipDecoder<R> {
    source: R,
    state: State,
    input: Box<[u8]>,
    /// Unread compressed bytes: `input[start..end]`.
    start: usize,
    end: usize,
    /// The source has no more bytes.
    eof: bool,
    /// Members completed so far.
    members: u64,
    /// Compressed bytes of the current member consumed so far.
    member_in: u64,
}

impl<R: Read> GzipDecoder<R> {
    /// Decompresses `source`, whose first bytes `head` (already read from
    /// it to recognise the format) come first.
    pub fn new(source: R, head: &[u8]) -> GzipDecoder<R> {
        let mut input = vec![0u8; INPUT.max(head.len())].into_boxed_slice();
        input[..head.len()].copy_from_slice(head);
        GzipDecoder {
            source,
            state: State::new(),
            input,
            start: 0,
            end: head.len(),
            eof: false,
            members: 0,
            member_in: 0,
        }
    }

    /// Moves the unread bytes to the front and reads more after them; sets
    /// `eof` when the source has none.
    fn refill(&mut self) -> io::Result<()> {
        self.input.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        while self.end < self.input.len() {
            match self.source.read(&mut self.input[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => {
                    self.end += k;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The source ended inside a member.
    fn cut_short(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "gzip member {} ends early: the compressed data is cut short",
                self.members + 1
            ),
        )
    }

    /// What an ISA-L error code means here.
    fn error(&self, code: i32) -> io::Error {
        let member = self.members + 1;
        let message = match code {
            isal::ISAL_INVALID_WRAPPER | isal::ISAL_UNSUPPORTED_METHOD
                if self.members > 0 && self.member_in == 0 =>
            {
                format!(
                    "trailing bytes after gzip member {} are not gzip data",
                    self.members
                )
            }
            isal::ISAL_INVALID_WRAPPER => format!("gzip member {member}: invalid gzip header"),
            isal::ISAL_UNSUPPORTED_METHOD => {
                format!("gzip member {member}: compression method is not deflate")
            }
            isal::ISAL_INCORRECT_CHECKSUM => {
                format!("gzip member {member}: checksum mismatch (corrupt data)")
            }
            isal::ISAL_INVALID_BLOCK => format!("gzip member {member}: invalid deflate block"),
            isal::ISAL_INVALID_SYMBOL => format!("gzip member {member}: invalid deflate symbol"),
            isal::ISAL_INVALID_LOOKBACK => {
                format!("gzip member {member}: invalid back-reference distance")
            }
            other => format!("gzip member {member}: inflate error {other}"),
        };
        io::Error::new(io::ErrorKind::InvalidData, message)
    }
}

impl<R: Read> Read for GzipDecoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let out_len = out.len().min(u32::MAX as usize);
        loop {
            if self.start == self.end && !self.eof {
                self.refill()?;
            }
            if self.state.get().block_state == isal::isal_block_state_ISAL_BLOCK_FINISH {
                if self.start == self.end {
                    return Ok(0); // the end, after a whole member
                }
                self.state.reset();
                self.members += 1;
                self.member_in = 0;
            }
            let avail_in = (self.end - self.start) as u32;
            let state = self.state.get();
            state.next_in = self.input[self.start..].as_mut_ptr();
            state.avail_in = avail_in;
            state.next_out = out.as_mut_ptr();
            state.avail_out = out_len as u32;
            // SAFETY: next_in/avail_in and next_out/avail_out describe live
            // buffers borrowed for this call only.
            let code = unsafe { isal::isal_inflate(state) };
            let consumed = (avail_in - state.avail_in) as usize;
            let produced = out_len - state.avail_out as usize;
            let finished = state.block_state == isal::isal_block_state_ISAL_BLOCK_FINISH;
            state.next_in = std::ptr::null_mut();
            state.next_out = std::ptr::null_mut();
            if code < 0 {
                return Err(self.error(code));
            }
            self.start += consumed;
            self.member_in += consumed as u64;
            if produced > 0 {
                return Ok(produced);
            }
            if finished {
                continue;
            }
            if consumed == 0 || self.start == self.end {
                // ISA-L wants more bytes than are buffered
                if self.eof {
                    return Err(self.cut_short());
                }
                if self.start == 0 && self.end == self.input.len() {
                    return Err(self.error(isal::ISAL_INVALID_BLOCK));
                }
                self.refill()?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn inflate(gz: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        GzipDecoder::new(&gz[2..], &gz[..2]).read_to_end(&mut out)?;
        Ok(out)
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("@r{i}\nACGTTGCA{}\n+\nIIIIIIII\n", i % 97).into_bytes())
            .collect()
    }

    /// A source that hands out at most `step` bytes per read, as a pipe may.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn members_with_header_fields_inflate_in_order() {
        let body = text(50_000);
        let mut gz = gzip(&body[..1000]);
        // a member with a name, a comment and an extra field (as BGZF has)
        let mut enc = flate2::GzBuilder::new()
            .filename("reads.fastq")
            .comment("lane 1")
            .extra(vec![b'B', b'C', 2, 0, 0, 0])
            .write(Vec::new(), flate2::Compression::best());
        enc.write_all(&body[1000..]).unwrap();
        gz.extend(enc.finish().unwrap());
        gz.extend(gzip(b"")); // an empty member
        assert_eq!(inflate(&gz).unwrap(), body);
    }

    #[test]
    fn a_trickling_source_gives_the_same_bytes() {
        let body = text(20_000);
        let mut gz = gzip(&body[..7000]);
        gz.extend(gzip(&body[7000..]));
        for step in [1, 7, 4096] {
            let mut out = Vec::new();
            let source = Trickle {
                bytes: &gz[1..],
                step,
            };
            GzipDecoder::new(source, &gz[..1])
                .read_to_end(&mut out)
                .unwrap();
            assert!(out == body, "step {step}");
        }
    }

    #[test]
    fn a_cut_stream_is_unexpected_eof_at_every_cut() {
        let body = text(2000);
        let gz = gzip(&body);
        for cut in (2..gz.len()).step_by(97).chain([gz.len() - 1]) {
            let err = inflate(&gz[..cut]).unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
                ),
                "cut {cut}: {err}"
            );
        }
        let err = inflate(&gz[..gz.len() / 2]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
        assert!(err.to_string().contains("cut short"), "{err}");
    }

    #[test]
    fn trailing_garbage_and_bad_checksums_are_named() {
        let mut gz = gzip(&text(100));
        gz.extend_from_slice(b"this is not gzip");
        let err = inflate(&gz).unwrap_err().to_string();
        assert!(err.contains("trailing bytes after gzip member 1"), "{err}");
        let mut gz = gzip(&text(100));
        let crc = gz.len() - 8;
        gz[crc] ^= 1;
        let err = inflate(&gz).unwrap_err().to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
    }
}
