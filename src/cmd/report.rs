//! `mirq report DIR`: rebuilds `DIR/report.html` from the files a `mirq
//! quant` or `mirq merge` run left in DIR (see [`crate::output::report`]).

use std::path::{Path, PathBuf};

use crate::error::Result;

/// Rebuilds the report of output directory `dir`; the page's path.
pub fn run(dir: &Path) -> Result<PathBuf> {
    crate::output::report::rebuild(dir)
}
