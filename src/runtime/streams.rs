//! The process's standard streams, written without panicking (`println!`
//! and `eprintln!` panic when a write fails). What a command prints as its
//! product goes to stdout through [`write_stdout`]: a reader that closed the
//! pipe ends it quietly, any other failure (a full disk) is an error.
//! Messages go to stderr through [`to_stderr`]: once stderr cannot be
//! written (closed or full) no more are tried and the run goes on. Both
//! messages and `mirq.log` lines have their control characters escaped by
//! [`escape_controls`], so that a read id cannot drive the terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// Set once a write to stderr failed: later messages are not tried.
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to stdout and flushes it. A closed pipe (`EPIPE`: the
/// reader, as `head`, has what it wanted) is not an error; any other
/// failure is [`Error::Stdout`].
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    written(write_and_flush(&mut io::stdout().lock(), bytes))
}

/// The outcome of a write to stdout: `EPIPE` ends quietly.
fn written(result: io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(Error::Stdout { err }),
        Ok(()) => Ok(()),
    }
}

fn write_and_flush(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

/// Writes `line` and a newline to stderr, control characters escaped. A
/// failed write is not reported (there is nowhere to report it): it stops
/// every later message.
pub fn to_stderr(line: &str) {
    if STDERR_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut text = escape_controls(line).into_owned();
    text.push('\n');
    if write_and_flush(&mut io::stderr().lock(), text.as_bytes()).is_err() {
        STDERR_GONE.store(true, Ordering::Relaxed);
    }
}

/// `text` with every control character but the newline written as a
/// visible escape: `\t`, `\r`, `\x1b` (other C0 controls and DEL alike),
/// `\u{9b}` (C1 controls). Everything else, non-ASCII letters included,
/// is left as it is.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_letters_kept() {
        assert_eq!(
            escape_controls("read \x1b[31mred\x1b[0m\tid\r\u{9b}2J\u{7f} née\nnext line"),
            "read \\x1b[31mred\\x1b[0m\\tid\\r\\u{9b}2J\\x7f née\nnext line"
        );
    }

    #[test]
    fn plain_text_is_not_copied() {
        assert!(matches!(
            escape_controls("mirq: wrote out/µ.tsv\n"),
            Cow::Borrowed(_)
        ));
    }

    /// A writer that fails every write with `kind`.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_error() {
        let closed = write_and_flush(&mut Failing(io::ErrorKind::BrokenPipe), b"x");
        assert!(written(closed).is_ok());
        // any other failure, as a full disk's ENOSPC
        let full = write_and_flush(&mut Failing(io::ErrorKind::Other), b"x");
        let err = written(full).unwrap_err();
        assert!(matches!(err, Error::Stdout { .. }), "{err}");
    }
}
