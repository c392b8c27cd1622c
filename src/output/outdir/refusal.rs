//! Why an output directory is refused before work: one typed value per
//! refusal, shown after the directory's name (`Error::Outdir`).

use std::path::PathBuf;

/// An output directory mirq will not use, and why.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    /// `-o .`, `-o ..`: the shell's directory would move away.
    #[error(
        "is the current directory or holds it: mirq replaces its output directory whole; \
         give a subdirectory, e.g. -o results"
    )]
    CurrentDir,
    /// A mount point (or `/`) cannot be renamed.
    #[error(
        "is a mount point: mirq replaces its output directory whole, which a mount point \
         cannot be; give a subdirectory of it"
    )]
    MountPoint,
    /// A folder this user cannot write or search.
    #[error(
        "{} is not writable ({err}): mirq replaces its output directory whole, which needs \
         write permission on it, the folders in it and its parent; fix the permissions or \
         give another --outdir",
        .dir.display()
    )]
    NotWritable { dir: PathBuf, err: std::io::Error },
    /// The output directory's parent refused.
    #[error("its folder {0}")]
    Parent(Box<Refusal>),
    /// A folder in the output directory refused.
    #[error("holds a folder that is not writable: {0}")]
    Inner(Box<Refusal>),
    /// The tests' stand-in for a folder that is not writable.
    #[error("holds a folder that is not writable: {} is not writable ({err})", .dir.display())]
    InnerFault { dir: PathBuf, err: std::io::Error },
    /// Less free space than a run needs.
    #[error(
        "its file system has {} KiB free, less than the {} MiB a run needs at least: free \
         some space or give another --outdir",
        .free >> 10,
        .needed >> 20
    )]
    LowSpace { free: u64, needed: u64 },
    /// A file where the directory should be.
    #[error("is a file, not a directory: give a new or empty directory")]
    NotADirectory,
    /// Files no mirq run wrote (the first three named).
    #[error(
        "holds files mirq did not write ({}): mirq replaces its output directory whole and \
         would delete them; move them out, give a new or empty directory, or pass --force to \
         replace it anyway",
        shown(.files)
    )]
    ForeignFiles { files: Vec<String> },
    /// The directory is, holds or lies inside one of the run's inputs.
    #[error(
        "{how} the run's input {}: mirq replaces its output directory whole; give an \
         --outdir apart from every input",
        .input.display()
    )]
    Input { how: &'static str, input: PathBuf },
    /// The directory holds a hard link to one of the run's input files.
    #[error(
        "holds the run's input {} as {rel} (a hard link): mirq replaces its output directory \
         whole; give an --outdir apart from every input",
        .input.display()
    )]
    HardLink { input: PathBuf, rel: String },
    /// What an interrupted run set aside cannot be moved back.
    #[error(
        "an interrupted run left the earlier results in {} and they cannot be moved \
         back ({err}); rename that folder to the output directory by hand",
        .aside.display()
    )]
    Unrecoverable { aside: PathBuf, err: std::io::Error },
}

/// The first three of `files`, and `…` when there are more.
fn shown(files: &[String]) -> String {
    let first: Vec<&str> = files.iter().take(3).map(String::as_str).collect();
    let more = if files.len() > 3 { ", …" } else { "" };
    format!("{}{more}", first.join(", "))
}
