//! The rule for names that come from the user and become row or column
//! names of mirq's tables (TSV, GFF3 `## COLDATA`, MultiQC, R column
//! names) or part of output file names: sample names, ncRNA class names
//! (from file names), `--database`. One rule, as for `--screen` names:
//! ASCII letters, digits, `_`, `-` and `.`, not `.` first. Tabs, line
//! ends, commas, `;`, `=` and quotes would break a TSV column, the GFF3
//! sample list or attributes; a leading `.` would hide output files.

/// The characters a table name may hold, as said in errors.
pub const ALLOWED: &str = "letters, digits, '_', '-' and '.' (not first)";

/// Whether `c` may stand in a table name.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Why a name cannot be a table name; shown as the reason, then what is
/// allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadName {
    #[error("it is empty: names may hold {ALLOWED}")]
    Empty,
    #[error(
        "it holds a path separator (output files are named after it): names may hold {ALLOWED}"
    )]
    PathSeparator,
    #[error("it names a directory: names may hold {ALLOWED}")]
    Directory,
    #[error("it holds white space: names may hold {ALLOWED}")]
    WhiteSpace,
    #[error("it holds a control character: names may hold {ALLOWED}")]
    Control,
    #[error("it holds '{0}': names may hold {ALLOWED}")]
    Character(char),
    #[error("it starts with '.': names may hold {ALLOWED}")]
    LeadingDot,
}

/// Checks a table name; the error says why, then what is allowed.
pub fn check_table_name(name: &str) -> Result<(), BadName> {
    Err(if name.is_empty() {
        BadName::Empty
    } else if name.contains(['/', '\\']) {
        BadName::PathSeparator
    } else if name == "." || name == ".." {
        BadName::Directory
    } else if name.chars().any(char::is_whitespace) {
        BadName::WhiteSpace
    } else if name.chars().any(char::is_control) {
        BadName::Control
    } else if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        BadName::Character(c)
    } else if name.starts_with('.') {
        BadName::LeadingDot
    } else {
        return Ok(());
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_table_breakers_are_refused() {
        for ok in [
            "A",
            "s1",
            "LCL_NA19257",
            "mirtrace_sample1.rep-2",
            "miRBasev22",
            "7SL_SRP",
        ] {
            assert_eq!(check_table_name(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("A,1", "','"),
            ("a;b", "';'"),
            ("a=b", "'='"),
            ("a\"b", "'\"'"),
            ("a\tb", "white space"),
            ("a\nb", "white space"),
            ("a\u{1b}b", "control"),
            ("é", "'é'"),
            (".hidden", "starts with '.'"),
            ("../x", "path separator"),
        ] {
            let e = check_table_name(bad).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(ALLOWED), "{bad:?}: {e}");
        }
    }
}
