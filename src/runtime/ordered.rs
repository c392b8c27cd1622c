//! Writing a long file whose parts are made in parallel: items are cut into
//! fixed-size chunks, each chunk's bytes are made on the pool, and the chunks
//! are written in order, the next chunks being made while the last are
//! written. The bytes do not depend on the thread count.

use std::io::{self, Write};
use std::ops::Range;

use rayon::prelude::*;

/// Chunks made at once per pool thread: bounds the memory to a few chunks'
/// bytes (twice this many per thread: those made and those being written)
/// whatever the file's length.
const CHUNKS_PER_THREAD: usize = 2;

/// Writes the bytes of items `0..n` to `w`, in order: `make(range, buf)`
/// appends the bytes of the items in `range` (`chunk` items, the last
/// chunk fewer) to the empty `buf`; chunks are made in parallel, a few at a
/// time, the next few while the last are written.
pub fn write_chunks<W, F>(w: &mut W, n: usize, chunk: usize, make: F) -> io::Result<()>
where
    W: Write + Send + ?Sized,
    F: Fn(Range<usize>, &mut Vec<u8>) -> io::Result<()> + Sync,
{
    let chunk = chunk.max(1);
    let chunks = n.div_ceil(chunk);
    let held = (rayon::current_num_threads() * CHUNKS_PER_THREAD).clamp(1, chunks.max(1));
    // the chunks from `first` (at most `held`, fewer at the end) into
    // `bufs`: how many
    let make_some = |first: usize, bufs: &mut [Vec<u8>]| -> io::Result<usize> {
        let k = chunks.saturating_sub(first).min(held);
        bufs[..k]
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(i, buf)| {
                buf.clear();
                let c = first + i;
                make(c * chunk..((c + 1) * chunk).min(n), buf)
            })?;
        Ok(k)
    };
    let (mut made, mut making) = (vec![Vec::new(); held], vec![Vec::new(); held]);
    let mut k = make_some(0, &mut made)?;
    let mut next = k;
    while k > 0 {
        let ready = &made[..k];
        let (written, more) = rayon::join(
            || ready.iter().try_for_each(|buf| w.write_all(buf)),
            || make_some(next, &mut making),
        );
        written?;
        k = more?;
        next += k;
        std::mem::swap(&mut made, &mut making);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_out_in_order_whatever_their_size() {
        let make = |r: Range<usize>, buf: &mut Vec<u8>| {
            for i in r {
                writeln!(buf, "{i}")?;
            }
            Ok(())
        };
        let want: String = (0..1000).map(|i| format!("{i}\n")).collect();
        for chunk in [1, 7, 64, 999, 1000, 5000] {
            let mut out = Vec::new();
            write_chunks(&mut out, 1000, chunk, make).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "chunk {chunk}");
        }
        let mut out = Vec::new();
        write_chunks(&mut out, 0, 10, make).unwrap();
        assert!(out.is_empty());
        let failing = |r: Range<usize>, _: &mut Vec<u8>| {
            if r.contains(&500) {
                Err(io::Error::other("chunk failed"))
            } else {
                Ok(())
            }
        };
        assert!(write_chunks(&mut Vec::new(), 1000, 10, failing).is_err());
        // a write that fails while the next chunks are being made
        let mut full = io::Cursor::new([0u8; 100]);
        assert!(write_chunks(&mut full, 1000, 10, make).is_err());
    }
}
