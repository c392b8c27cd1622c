//! Packaging: the Bioconda recipe's test script run against the release
//! binary, the licence files the recipe ships, and the Dockerfile's build step
//! being the build CI and the README use. (Neither conda-build nor Docker runs
//! here: no conda channel or container registry can be reached.)

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `test: source_files:` list of `packaging/bioconda/meta.yaml`.
fn recipe_test_source_files(meta: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut in_test = false;
    let mut in_list = false;
    for line in meta.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            in_test = line.trim_end() == "test:";
            in_list = false;
        } else if in_test && line.trim_end() == "  source_files:" {
            in_list = true;
        } else if in_list {
            match line.trim_start().strip_prefix("- ") {
                Some(item) if line.starts_with("    ") => files.push(item.trim().to_string()),
                _ if line.trim_start().starts_with('#') => {}
                _ => in_list = false,
            }
        }
    }
    files
}

#[test]
fn recipe_test_script_passes_against_the_release_binary() {
    let meta = read("packaging/bioconda/meta.yaml");
    let files = recipe_test_source_files(&meta);
    assert!(
        files.iter().any(|f| f.ends_with(".fastq.gz")),
        "meta.yaml test source_files: {files:?}"
    );

    // what conda-build does: copy the test's source_files into an empty
    // working directory, put the package's bin/ first on PATH, run run_test.sh
    let dir = tempfile::tempdir().unwrap();
    for f in &files {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(f), &to).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mirq")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new("bash")
        .arg(repo().join("packaging/bioconda/run_test.sh"))
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "run_test.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(&format!("mirq {}", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
    for f in ["mature_counts.tsv", "hairpin_counts.tsv", "stats.json"] {
        let p = dir.path().join("out").join(f);
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{} missing or empty", p.display());
    }
    let counts = std::fs::read_to_string(dir.path().join("out/mature_counts.tsv")).unwrap();
    assert!(counts.lines().count() > 1, "no miRNA rows:\n{counts}");
}

#[test]
fn licence_files_are_the_ones_the_recipe_ships() {
    let licence = read("LICENSE");
    assert!(licence.starts_with("MIT License"), "{licence}");
    assert!(licence.contains("mirq contributors"));
    assert!(read("Cargo.toml").contains("license = \"MIT\""));

    let meta = read("packaging/bioconda/meta.yaml");
    assert!(meta.contains("  license: MIT\n"));
    for f in ["LICENSE", "THIRDPARTY.yml"] {
        assert!(meta.contains(&format!("    - {f}\n")), "license_file {f}");
        assert!(repo().join(f).is_file(), "{f} missing");
    }
    let third = read("THIRDPARTY.yml");
    assert!(third.starts_with("root_name: mirq\n"));
    // every direct dependency of mirq has its entry
    for dep in ["needletail", "wgpu", "clap", "rayon", "zstd", "flate2"] {
        assert!(
            third.contains(&format!("- package_name: {dep}\n")),
            "THIRDPARTY.yml lacks {dep}: rerun cargo-bundle-licenses --format yaml --output THIRDPARTY.yml"
        );
    }

    let build = read("packaging/bioconda/build.sh");
    assert!(build.contains("cargo-bundle-licenses --format yaml --output THIRDPARTY.yml"));
    assert!(build.contains("cargo install --locked --no-track --root \"${PREFIX}\" --path ."));
}

#[test]
fn dockerfile_builds_the_way_ci_and_the_readme_do() {
    let docker = read("Dockerfile");
    let builds: Vec<&str> = docker
        .lines()
        .filter_map(|l| l.trim().strip_prefix("RUN cargo "))
        .collect();
    assert_eq!(builds, vec!["build --release --locked"], "{docker}");
    let command = "cargo build --release --locked";
    assert!(
        read("README.md").contains(command),
        "README lacks `{command}`"
    );
    // CI builds and tests the same profile against the same Cargo.lock
    let ci = read(".ci/run");
    assert!(ci.contains("cargo test --release --locked"), "{ci}");
    assert!(docker.contains("COPY --from=build /src/target/release/mirq /usr/local/bin/mirq"));
    assert!(docker.contains("libvulkan1"));
    assert!(docker.contains("ENTRYPOINT [\"mirq\"]"));
}
