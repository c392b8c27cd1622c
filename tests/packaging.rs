//! Packaging: the Bioconda recipe's test script run against the release
//! binary, the licence files the recipe ships, its bioconda-utils lint rules
//! (those checkable offline), the Vulkan loader found through conda-build's
//! RPATH, the release binary without debug info, and the Dockerfile's build
//! step being the build CI and the README use. (Neither conda-build nor
//! Docker runs here: no conda channel or container registry can be reached.)

mod common;

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
    for dep in [
        "needletail",
        "wgpu",
        "clap",
        "rayon",
        "zstd",
        "flate2",
        "isal-sys",
    ] {
        assert!(
            third.contains(&format!("- package_name: {dep}\n")),
            "THIRDPARTY.yml lacks {dep}: rerun cargo-bundle-licenses --format yaml --output THIRDPARTY.yml"
        );
    }

    let build = read("packaging/bioconda/build.sh");
    assert!(build.contains("cargo-bundle-licenses --format yaml --output THIRDPARTY.yml"));
}

/// build.sh installs the release profile stripped, and the man pages the
/// recipe's test looks for.
#[test]
fn recipe_installs_a_stripped_binary_and_man_pages() {
    let build = read("packaging/bioconda/build.sh");
    for line in [
        "export CARGO_PROFILE_RELEASE_STRIP=symbols",
        "cargo install --locked --no-track --root \"${PREFIX}\" --path .",
        "\"${PREFIX}/bin/mirq\" man --dir \"${PREFIX}/share/man/man1\"",
    ] {
        assert!(build.contains(line), "build.sh lacks `{line}`");
    }
    let meta = read("packaging/bioconda/meta.yaml");
    assert!(meta.contains("    - test -s \"${PREFIX}/share/man/man1/mirq-quant.1\"\n"));
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
    // stripped, with the man pages in the image
    for line in [
        "RUN strip target/release/mirq && target/release/mirq man --dir target/man1",
        "COPY --from=build /src/target/release/mirq /usr/local/bin/mirq",
        "COPY --from=build /src/target/man1/ /usr/local/share/man/man1/",
        "ENTRYPOINT [\"mirq\"]",
    ] {
        assert!(docker.contains(line), "Dockerfile lacks `{line}`");
    }
    assert!(docker.contains("libvulkan1"));
}

/// The names of an ELF file's sections.
fn elf_sections(bytes: &[u8]) -> Vec<String> {
    assert_eq!(&bytes[..5], b"\x7fELF\x02", "not a 64-bit ELF file");
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let (table, size, count, names) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| table + i * size;
    let strings = u64_at(header(names) + 0x18);
    (0..count)
        .map(|i| {
            let name = strings
                + u32::from_le_bytes(bytes[header(i)..header(i) + 4].try_into().unwrap()) as usize;
            let end = bytes[name..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8_lossy(&bytes[name..name + end]).into_owned()
        })
        .collect()
}

/// The release binary carries no debug info (the `profiling` profile does:
/// benches and perf); it is some 12 MB, not the 82 MB it was with
/// `debug = 1`.
#[cfg(all(target_os = "linux", target_arch = "x86_64", not(debug_assertions)))]
#[test]
fn release_binary_has_no_debug_info() {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_mirq")).unwrap();
    let sections = elf_sections(&bin);
    assert!(sections.iter().any(|s| s == ".text"), "{sections:?}");
    assert!(
        sections.iter().any(|s| s == ".symtab"),
        "symbols stay: {sections:?}"
    );
    let debug: Vec<&String> = sections
        .iter()
        .filter(|s| s.starts_with(".debug"))
        .collect();
    assert!(
        debug.is_empty(),
        "debug sections in the release binary: {debug:?}"
    );
    assert!(bin.len() < 20_000_000, "{} bytes", bin.len());

    let cargo = read("Cargo.toml");
    let release = cargo
        .split("[profile.release]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    assert!(!release.contains("debug"), "[profile.release]:{release}");
    assert!(cargo.contains("[profile.profiling]\ninherits = \"release\"\ndebug = 1\n"));
}

/// Where the dynamic loader found `libvulkan.so.1` for `mirq devices` (the
/// `calling init:` line of LD_DEBUG=libs).
#[cfg(target_os = "linux")]
fn vulkan_loader_used(mirq: &Path) -> Option<String> {
    let out = Command::new(mirq)
        .arg("devices")
        .env("LD_DEBUG", "libs")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split_once("calling init: ").map(|(_, path)| path.trim()))
        .find(|path| path.ends_with("/libvulkan.so.1"))
        .map(String::from)
}

/// What conda-build does to bin/mirq (`patchelf --force-rpath --set-rpath
/// $ORIGIN/../lib`, in post.py's mk_relative_linux) makes wgpu's
/// dlopen("libvulkan.so.1") take the environment's lib/libvulkan.so.1 (from
/// libvulkan-loader) over the system's: the copy in a conda-like prefix is
/// the one loaded; without the RPATH, the system's is.
#[cfg(target_os = "linux")]
#[test]
fn conda_rpath_finds_the_environments_vulkan_loader() {
    if !common::tool_available("patchelf", &["--version"], "apt-get install patchelf") {
        return;
    }
    let ldconfig = Command::new("ldconfig")
        .arg("-p")
        .output()
        .expect("ldconfig runs");
    let system = String::from_utf8_lossy(&ldconfig.stdout)
        .lines()
        .filter(|l| l.trim_start().starts_with("libvulkan.so.1 "))
        .filter_map(|l| l.split_once("=> ").map(|(_, p)| PathBuf::from(p.trim())))
        .next()
        .expect("a system Vulkan loader (.ci/run installs libvulkan1)");
    let prefix = tempfile::tempdir().unwrap();
    let (bin, lib) = (prefix.path().join("bin"), prefix.path().join("lib"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    let mirq = bin.join("mirq");
    std::fs::copy(env!("CARGO_BIN_EXE_mirq"), &mirq).unwrap();
    std::fs::copy(&system, lib.join("libvulkan.so.1")).unwrap();

    let found = vulkan_loader_used(&mirq).expect("mirq devices loads libvulkan.so.1");
    assert!(
        !found.starts_with(&*prefix.path().to_string_lossy()),
        "{found}"
    );

    let patched = Command::new("patchelf")
        .args(["--force-rpath", "--set-rpath", "$ORIGIN/../lib"])
        .arg(&mirq)
        .status()
        .unwrap();
    assert!(patched.success());
    let found = vulkan_loader_used(&mirq).expect("mirq devices loads libvulkan.so.1");
    assert!(found.contains("/bin/../lib/"), "{found}");
    assert_eq!(
        std::fs::canonicalize(&found).unwrap(),
        std::fs::canonicalize(lib.join("libvulkan.so.1")).unwrap()
    );
}

// ---------------------------------------------------------------------------
// bioconda-utils' lint rules, on packaging/bioconda/meta.yaml
//
// The rules of bioconda-utils (bioconda_utils/lint/check_*.py) that need no
// network, no repodata and no conda-build, each reimplemented below on the
// recipe as bioconda-utils renders it for linting (Recipe.render: the
// `{% set %}` variables substituted, `compiler('x')` as `compiler_x`,
// `stdlib('x')` as `stdlib_x`; `# [linux]` selectors stay YAML comments):
//
//   check_build_help:   should_use_compilers, compilers_must_be_in_build,
//                       compiler_needs_stdlib_c, uses_setuptools,
//                       missing_run_exports
//   check_completeness: missing_build_number, missing_home, missing_summary,
//                       missing_license, missing_tests, missing_hash
//   check_syntax:       version_constraints_missing_whitespace,
//                       extra_identifiers_not_list, extra_identifiers_not_string,
//                       extra_identifiers_missing_colon, extra_skip_lints_not_list
//   check_policy:       uses_vcs_url, gpl_requires_license_distributed,
//                       should_not_use_fn, has_windows_bat_file, long_summary,
//                       version_starts_with_v
//   check_noarch:       should_be_noarch_generic, should_not_be_noarch_compiler
//   check_deprecation:  uses_perl_threaded, uses_javajdk, uses_matplotlib,
//                       deprecated_numpy_spec
//
// Left out: the rules that ask the channels or bioconda-recipes
// (in_other_channels, build_number_needs_bump, build_number_needs_reset,
// recipe_is_blacklisted, cran_packages_to_conda_forge, the repodata-patch
// rules), folder_and_package_name_must_match (the folder is recipes/mirq
// there, packaging/bioconda here), and the Python, Cython and `outputs:`
// rules, which do not apply to a single Rust package.
// ---------------------------------------------------------------------------

use serde_norway::Value;

/// meta.yaml as bioconda-utils renders it for linting (see above);
/// `pin_subpackage(...)` becomes a string naming the package. Any other
/// Jinja is an error: the rules would not see what conda-build sees.
fn render_recipe(text: &str) -> Value {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut yaml = String::new();
    for line in text.lines() {
        if let Some(set) = line.trim().strip_prefix("{% set ") {
            let (name, value) = set
                .strip_suffix(" %}")
                .and_then(|s| s.split_once(" = "))
                .unwrap_or_else(|| panic!("unsupported jinja: {line}"));
            vars.push((name.trim().into(), value.trim().trim_matches('"').into()));
            continue;
        }
        assert!(!line.contains("{%"), "unsupported jinja: {line}");
        let mut rest = line;
        while let Some((before, after)) = rest.split_once("{{") {
            let (expr, after) = after
                .split_once("}}")
                .unwrap_or_else(|| panic!("unclosed {{{{: {line}"));
            yaml.push_str(before);
            yaml.push_str(&jinja_value(expr.trim(), &vars));
            rest = after;
        }
        yaml.push_str(rest);
        yaml.push('\n');
    }
    serde_norway::from_str(&yaml).unwrap_or_else(|e| panic!("rendered meta.yaml: {e}\n{yaml}"))
}

fn jinja_value(expr: &str, vars: &[(String, String)]) -> String {
    let var = |name: &str| {
        vars.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("undefined jinja variable {name}"))
    };
    let call = |f: &str| {
        expr.strip_prefix(f)
            .and_then(|a| a.strip_prefix('('))
            .and_then(|a| a.strip_suffix(')'))
    };
    let quoted = |a: &str| a.trim().trim_matches(|c| c == '\'' || c == '"').to_string();
    if let Some(arg) = call("compiler") {
        format!("compiler_{}", quoted(arg))
    } else if let Some(arg) = call("stdlib") {
        format!("stdlib_{}", quoted(arg))
    } else if let Some(args) = call("pin_subpackage") {
        let first = args.split(',').next().unwrap().trim();
        let name = if first.starts_with(['\'', '"']) {
            quoted(first)
        } else {
            var(first)
        };
        format!("pin_subpackage {name}")
    } else if expr.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        var(expr)
    } else {
        panic!("unsupported jinja expression {expr}")
    }
}

/// `a/b/0`: a value in the rendered recipe (a number indexes a list).
fn at<'a>(meta: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/')
        .try_fold(meta, |v, key| match key.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(key),
        })
}

fn text_at<'a>(meta: &'a Value, path: &str) -> &'a str {
    at(meta, path).and_then(Value::as_str).unwrap_or("")
}

/// bioconda-utils' Recipe.get_deps_dict: package name to where it is
/// required (`requirements/build/0`, ...).
fn deps(meta: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for section in ["build", "host", "run"] {
        let specs = at(meta, &format!("requirements/{section}"))
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for (n, spec) in specs.iter().enumerate() {
            let spec = spec.as_str().unwrap_or("");
            let name = spec.split([' ', '<', '=', '>']).next().unwrap_or("");
            out.push((name.to_string(), format!("requirements/{section}/{n}")));
        }
    }
    out
}

/// The sources (`source:` is one mapping or a list of them).
fn sources(meta: &Value) -> Vec<&Value> {
    match meta.get("source") {
        Some(Value::Sequence(list)) => list.iter().collect(),
        Some(one @ Value::Mapping(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// The rules (listed above) that `meta.yaml`, in recipe folder `dir`, fails.
fn bioconda_lint(text: &str, dir: &Path) -> Vec<&'static str> {
    let meta = render_recipe(text);
    let deps = deps(&meta);
    let has = |name: &str| deps.iter().any(|(n, _)| n == name);
    let compilers: Vec<&(String, String)> = deps
        .iter()
        .filter(|(n, _)| n.starts_with("compiler_"))
        .collect();
    let in_build = |name: &str| {
        deps.iter()
            .any(|(n, at)| n == name && at.starts_with("requirements/build/"))
    };
    let nonempty = |path: &str| !text_at(&meta, path).trim().is_empty();
    let mut failed = Vec::new();
    let mut rule = |name: &'static str, fails: bool| {
        if fails {
            failed.push(name);
        }
    };

    // check_build_help
    rule(
        "should_use_compilers",
        [
            "gcc",
            "llvm",
            "libgfortran",
            "libgcc",
            "go",
            "cgo",
            "toolchain",
            "rust",
        ]
        .iter()
        .any(|c| has(c)),
    );
    rule(
        "compilers_must_be_in_build",
        compilers
            .iter()
            .any(|(_, at)| !at.starts_with("requirements/build/")),
    );
    rule(
        "compiler_needs_stdlib_c",
        compilers
            .iter()
            .any(|(_, at)| at.starts_with("requirements/build/"))
            && !in_build("stdlib_c"),
    );
    rule(
        "uses_setuptools",
        deps.iter()
            .any(|(n, at)| n == "setuptools" && at.starts_with("requirements/run/")),
    );
    rule(
        "missing_run_exports",
        at(&meta, "build/run_exports").is_none(),
    );

    // check_completeness
    rule(
        "missing_build_number",
        !at(&meta, "build/number").is_some_and(Value::is_u64),
    );
    rule("missing_home", !nonempty("about/home"));
    rule("missing_summary", !nonempty("about/summary"));
    rule("missing_license", !nonempty("about/license"));
    let test_script = ["run_test.py", "run_test.sh", "run_test.pl"]
        .iter()
        .any(|f| dir.join(f).is_file());
    let test_listed = ["test/commands", "test/imports"].iter().any(|p| {
        at(&meta, p)
            .and_then(Value::as_sequence)
            .is_some_and(|s| !s.is_empty())
    });
    rule("missing_tests", !test_script && !test_listed);
    rule(
        "missing_hash",
        sources(&meta).iter().any(|s| {
            !["md5", "sha1", "sha256"]
                .iter()
                .any(|k| s.get(*k).is_some_and(|v| !matches!(v, Value::Null)))
        }),
    );

    // check_syntax: a constraint must follow its name after a space
    rule(
        "version_constraints_missing_whitespace",
        ["build", "host", "run"].iter().any(|section| {
            at(&meta, &format!("requirements/{section}"))
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|spec| {
                    spec.find(['!', '~', '<', '=', '>'])
                        .is_some_and(|i| !spec[..i].ends_with(' '))
                })
        }),
    );
    let identifiers = at(&meta, "extra/identifiers");
    rule(
        "extra_identifiers_not_list",
        identifiers.is_some_and(|v| !v.is_sequence()),
    );
    let identifier_items: Vec<&Value> = identifiers
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .collect();
    rule(
        "extra_identifiers_not_string",
        identifier_items.iter().any(|v| !v.is_string()),
    );
    rule(
        "extra_identifiers_missing_colon",
        identifier_items
            .iter()
            .filter_map(|v| v.as_str())
            .any(|s| !s.contains(':')),
    );
    rule(
        "extra_skip_lints_not_list",
        at(&meta, "extra/skip-lints").is_some_and(|v| !v.is_sequence()),
    );

    // check_policy
    rule(
        "uses_vcs_url",
        sources(&meta).iter().any(|s| {
            ["git_url", "svn_url", "hg_url"]
                .iter()
                .any(|k| s.get(*k).is_some())
        }),
    );
    rule(
        "gpl_requires_license_distributed",
        text_at(&meta, "about/license")
            .to_lowercase()
            .contains("gpl")
            && at(&meta, "about/license_file").is_none(),
    );
    rule(
        "should_not_use_fn",
        sources(&meta).iter().any(|s| s.get("fn").is_some()),
    );
    rule(
        "has_windows_bat_file",
        std::fs::read_dir(dir)
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "bat")),
    );
    rule(
        "long_summary",
        text_at(&meta, "about/summary").chars().count() > 120,
    );
    rule(
        "version_starts_with_v",
        text_at(&meta, "package/version").starts_with('v'),
    );

    // check_noarch
    let noarch = at(&meta, "build/noarch").is_some_and(|v| !matches!(v, Value::Null));
    rule("should_be_noarch_generic", !noarch && compilers.is_empty());
    rule(
        "should_not_be_noarch_compiler",
        noarch && !compilers.is_empty(),
    );

    // check_deprecation
    rule("uses_perl_threaded", has("perl-threaded"));
    rule("uses_javajdk", has("java-jdk"));
    rule("uses_matplotlib", has("matplotlib"));
    rule(
        "deprecated_numpy_spec",
        deps.iter().any(|(n, at_)| {
            n == "numpy"
                && text_at(&meta, at_)
                    .split('#')
                    .next()
                    .unwrap()
                    .contains("x.x")
        }),
    );
    failed
}

/// The recipe passes every offline bioconda-utils rule but missing_hash,
/// which it fails for the one reason it says (no release tarball exists yet:
/// a `path` source); once the source is a release URL it must pass that
/// too, with a real sha256. The Vulkan loader is a Linux run requirement.
/// Broken copies of the recipe fail the rules they break (the rules are
/// live, not vacuous).
#[test]
fn recipe_passes_bioconda_lint_rules_checkable_offline() {
    let dir = repo().join("packaging/bioconda");
    let text = read("packaging/bioconda/meta.yaml");
    let meta = render_recipe(&text);
    let source = sources(&meta);
    assert_eq!(source.len(), 1, "{meta:?}");
    let lint = bioconda_lint(&text, &dir);
    if source[0].get("path").is_some() {
        assert_eq!(lint, ["missing_hash"], "{text}");
        // ... and the recipe and README say why, and what replaces it
        for said in [
            "No release of mirq exists yet",
            "url: {{ repo }}/archive/v{{ version }}.tar.gz",
            "sha256:",
        ] {
            assert!(text.contains(said), "meta.yaml does not say `{said}`");
        }
        assert!(read("README.md").contains("missing_hash"));
    } else {
        assert!(lint.is_empty(), "{lint:?}");
        let url = text_at(source[0], "url");
        assert!(
            url.starts_with("https://") && !url.contains("OWNER"),
            "{url}"
        );
        let sha = text_at(source[0], "sha256");
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "sha256 `{sha}` is not a checksum"
        );
    }

    // the Vulkan loader: a run requirement on Linux only
    let run: Vec<&str> = at(&meta, "requirements/run")
        .and_then(Value::as_sequence)
        .expect("requirements/run")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(run, ["libvulkan-loader"]);
    assert!(
        text.contains("\n    - libvulkan-loader  # [linux]\n"),
        "{text}"
    );
    assert_eq!(
        at(&meta, "build/run_exports/0").and_then(Value::as_str),
        Some("pin_subpackage mirq")
    );

    // broken copies fail the rules they break
    let release = "url: https://example.org/mirq-0.1.0.tar.gz\n  sha256: \
                   0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let broken = [
        ("    - {{ stdlib('c') }}\n", "", "compiler_needs_stdlib_c"),
        ("{{ compiler('rust') }}", "rust", "should_use_compilers"),
        (
            "libvulkan-loader  #",
            "libvulkan-loader>=1.3  #",
            "version_constraints_missing_whitespace",
        ),
        (
            "  run_exports:\n    - {{ pin_subpackage(name, max_pin=\"x.x\") }}\n",
            "",
            "missing_run_exports",
        ),
        ("  license: MIT\n", "", "missing_license"),
        (
            "  version: {{ version }}",
            "  version: v{{ version }}",
            "version_starts_with_v",
        ),
    ];
    for (from, to, rule) in broken {
        assert!(text.contains(from), "meta.yaml lacks `{from}`");
        let lint = bioconda_lint(&text.replacen(from, to, 1), &dir);
        assert!(lint.contains(&rule), "{rule} not reported: {lint:?}");
    }
    // with a release URL and its checksum, missing_hash passes
    let with_url = text.replacen("path: ../..", release, 1);
    assert!(bioconda_lint(&with_url, &dir).is_empty());
    assert_eq!(
        bioconda_lint(
            &with_url.replacen("\n  sha256: ", "\n  # sha256: ", 1),
            &dir
        ),
        ["missing_hash"]
    );
}
