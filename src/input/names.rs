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

/// Checks a table name; the error says why, then what is allowed.
pub fn check_table_name(name: &str) -> Result<(), String> {
    let why = if name.is_empty() {
        "it is empty".to_string()
    } else if name.contains(['/', '\\']) {
        "it holds a path separator (output files are named after it)".to_string()
    } else if name == "." || name == ".." {
        "it names a directory".to_string()
    } else if name.chars().any(char::is_whitespace) {
        "it holds white space".to_string()
    } else if name.chars().any(char::is_control) {
        "it holds a control character".to_string()
    } else if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        format!("it holds '{c}'")
    } else if name.starts_with('.') {
        "it starts with '.'".to_string()
    } else {
        return Ok(());
    };
    Err(format!("{why}: names may hold {ALLOWED}"))
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
            let e = check_table_name(bad).unwrap_err();
            assert!(e.contains(why) && e.contains(ALLOWED), "{bad:?}: {e}");
        }
    }
}
