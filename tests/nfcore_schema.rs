//! The nf-core modules (`modules/nf-core/mirq/{quant,merge}`) against
//! nf-core's own JSON schemas, and the Nextflow pipeline's schemas
//! (`nextflow/nextflow_schema.json`, `nextflow/assets/schema_input.json`)
//! against JSON Schema draft 2020-12.
//!
//! nf-core's `modules/meta-schema.json` and `modules/environment-schema.json`
//! are kept in `tests/data/nf-core/` (source and commit in its README). The
//! copy of `meta-schema.json` predates three changes nf-core's modules have
//! since made (outputs as a map of channels, `type: eval` elements, the
//! `topics:` section): [`as_modules_use_it`] makes exactly those, and
//! nothing when the copy already has them. Each test also shows a broken
//! file rejected, so that a schema that accepts anything cannot pass.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    serde_norway::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json_file(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every error of `instance` against `validator`, one a line.
fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// nf-core's stored meta-schema, brought to the form today's nf-core
/// modules are written in (when it is not in it already):
/// - `output`: a map from channel name to its elements, each element a
///   one-key map or a list of them (a tuple), instead of a list of channels;
/// - elements may have `type: eval` (the version command of a topic tuple);
/// - `topics`: a map like `output` (the `versions` topic).
fn as_modules_use_it(mut schema: Value) -> Value {
    let element = json!({ "$ref": "#/definitions/elementProperties" });
    let channel = json!({
        "type": "array",
        "items": {
            "anyOf": [
                element,
                { "type": "array", "items": element }
            ]
        }
    });
    let channels = json!({
        "type": "object",
        "patternProperties": { ".*": channel }
    });
    let props = schema["properties"].as_object_mut().unwrap();
    if props["output"]["type"] == "array" {
        let mut output = channels.clone();
        output["description"] = props["output"]["description"].clone();
        props.insert("output".into(), output);
    }
    if !props.contains_key("topics") {
        let mut topics = channels;
        topics["description"] = json!("Topic channels the module emits to");
        props.insert("topics".into(), topics);
    }
    let types = schema
        .pointer_mut("/definitions/elementProperties/patternProperties/.*/properties/type/enum")
        .and_then(Value::as_array_mut)
        .expect("elementProperties type enum");
    if !types.contains(&json!("eval")) {
        types.push(json!("eval"));
    }
    schema
}

fn meta_validator() -> jsonschema::Validator {
    let schema = json_file("tests/data/nf-core/meta-schema.json");
    jsonschema::meta::validate(&schema).expect("nf-core's meta-schema is a JSON Schema");
    let schema = as_modules_use_it(schema);
    jsonschema::meta::validate(&schema).expect("the adapted meta-schema is a JSON Schema");
    jsonschema::validator_for(&schema).unwrap()
}

fn environment_validator() -> jsonschema::Validator {
    let schema = json_file("tests/data/nf-core/environment-schema.json");
    jsonschema::meta::validate(&schema).expect("nf-core's environment-schema is a JSON Schema");
    jsonschema::validator_for(&schema).unwrap()
}

const MODULES: [&str; 2] = ["quant", "merge"];

#[test]
fn module_meta_yml_passes_nf_core_meta_schema() {
    let validator = meta_validator();
    for name in MODULES {
        let rel = format!("modules/nf-core/mirq/{name}/meta.yml");
        let meta = yaml(&rel);
        let errs = errors(&validator, &meta);
        assert!(errs.is_empty(), "{rel}:\n{}", errs.join("\n"));

        // what the schema leaves open and nf-core review asks for
        let tool = &meta["tools"][0]["mirq"];
        for key in ["homepage", "documentation", "tool_dev_url"] {
            let url = tool[key].as_str().unwrap_or_default();
            assert!(
                url.starts_with("https://"),
                "{rel}: tools mirq {key}: {url:?}"
            );
        }
        assert_eq!(tool["licence"], json!(["MIT"]), "{rel}: licence");
        assert!(tool.get("identifier").is_some(), "{rel}: identifier");
        for key in ["authors", "maintainers"] {
            for who in meta[key].as_array().unwrap() {
                assert!(
                    who.as_str()
                        .is_some_and(|h| h.starts_with('@') && !h.contains(' ')),
                    "{rel}: {key}: {who} is not a GitHub handle"
                );
            }
        }
        assert!(
            meta["topics"]["versions"].is_array(),
            "{rel}: no topics: versions"
        );
        assert_eq!(
            meta["topics"]["versions"], meta["output"]["versions_mirq"],
            "{rel}: the versions topic is the versions_mirq output"
        );
    }
}

#[test]
fn nf_core_meta_schema_rejects_broken_meta_yml() {
    let validator = meta_validator();
    let good = yaml("modules/nf-core/mirq/quant/meta.yml");
    assert!(validator.is_valid(&good));
    type Breakage = fn(&mut Value);
    let broken: [(&str, Breakage); 7] = [
        ("documentation not a URL", |m| {
            m["tools"][0]["mirq"]["documentation"] = json!("README.md of the mirq repository")
        }),
        ("licence a string", |m| {
            m["tools"][0]["mirq"]["licence"] = json!("MIT")
        }),
        ("two keywords", |m| {
            m["keywords"] = json!(["mirna", "isomir"])
        }),
        ("no authors", |m| {
            m.as_object_mut().unwrap().remove("authors");
        }),
        ("output element without description", |m| {
            m["output"]["counts"][0][1]["${prefix}/mature_counts.tsv"]
                .as_object_mut()
                .unwrap()
                .remove("description");
        }),
        ("input element of an unknown type", |m| {
            m["input"][4][0]["species"]
                .as_object_mut()
                .expect("the species input")
                .insert("type".into(), json!("str"));
        }),
        ("topic element of an unknown type", |m| {
            m["topics"]["versions"][0][2]["mirq --version | cut -d ' ' -f 2"]["type"] =
                json!("command")
        }),
    ];
    for (what, breakage) in broken {
        let mut meta = good.clone();
        breakage(&mut meta);
        assert_ne!(meta, good, "{what}: nothing changed");
        assert!(
            !validator.is_valid(&meta),
            "accepted a meta.yml with {what}"
        );
    }
}

#[test]
fn module_environment_yml_passes_nf_core_environment_schema() {
    let validator = environment_validator();
    for name in MODULES {
        let rel = format!("modules/nf-core/mirq/{name}/environment.yml");
        let env = yaml(&rel);
        let errs = errors(&validator, &env);
        assert!(errs.is_empty(), "{rel}:\n{}", errs.join("\n"));
        assert_eq!(
            env["dependencies"],
            json!([format!("bioconda::mirq={}", env!("CARGO_PKG_VERSION"))]),
            "{rel}"
        );
    }
    let good = yaml("modules/nf-core/mirq/quant/environment.yml");
    let mut named = good.clone();
    named["name"] = json!("mirq_quant");
    let mut defaults = good.clone();
    defaults["channels"] = json!(["conda-forge", "bioconda", "defaults"]);
    let mut one_channel = good.clone();
    one_channel["channels"] = json!(["bioconda"]);
    for (what, env) in [
        ("a name", named),
        ("the defaults channel", defaults),
        ("one channel", one_channel),
    ] {
        assert!(
            !validator.is_valid(&env),
            "accepted an environment.yml with {what}"
        );
    }
}

#[test]
fn stored_nf_core_schemas_are_documented() {
    let readme = read("tests/data/nf-core/README.md");
    for f in ["meta-schema.json", "environment-schema.json"] {
        assert!(readme.contains(&format!("modules/{f}")), "README lacks {f}");
    }
    assert!(readme.contains("nf-core/modules"));
    // the commits named are 40-hex-digit ids
    let commits = readme
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|w| w.len() == 40)
        .count();
    assert!(commits >= 2, "README names no commits");
}

// ------------------------------------------------------- pipeline schemas

fn draft_2020_12(rel: &str) -> jsonschema::Validator {
    let schema = json_file(rel);
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{rel}"
    );
    jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{rel}: {e}"));
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `key = value` lines of a `params { }` block in `nextflow.config` text
/// that starts at `opening` (the first one from there), values unquoted and
/// `${projectDir}` replaced by `project_dir`; `null` values left out.
fn config_params(config: &str, opening: &str, project_dir: &str) -> serde_json::Map<String, Value> {
    let start = config
        .find(opening)
        .unwrap_or_else(|| panic!("no {opening}"));
    let body = &config[start..];
    let body = &body[body.find("params {").unwrap() + "params {".len()..];
    let mut params = serde_json::Map::new();
    for line in body.lines().skip(1).take_while(|l| l.trim() != "}") {
        let line = line.split("//").next().unwrap().trim();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        if value == "null" {
            continue;
        }
        let value = value
            .trim_matches(['\'', '"'])
            .replace("${projectDir}", project_dir);
        params.insert(key.trim().to_string(), json!(value));
    }
    params
}

/// The properties of `nextflow_schema.json`'s groups.
fn schema_params(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema["$defs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|g| g["properties"].as_object().unwrap().keys().cloned())
        .collect();
    names.sort();
    names
}

#[test]
fn nextflow_schema_describes_every_parameter() {
    let validator = draft_2020_12("nextflow/nextflow_schema.json");
    let schema = json_file("nextflow/nextflow_schema.json");
    for group in schema["$defs"].as_object().unwrap().keys() {
        let reference = json!({ "$ref": format!("#/$defs/{group}") });
        assert!(
            schema["allOf"].as_array().unwrap().contains(&reference),
            "group {group} is not in allOf"
        );
    }
    let config = read("nextflow/nextflow.config");
    let defaults = config_params(&config, "\nparams {", "nextflow");
    let mut declared: Vec<String> = config[config.find("\nparams {").unwrap()..]
        .lines()
        .skip(2)
        .take_while(|l| l.trim() != "}")
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .collect();
    declared.sort();
    assert_eq!(
        declared,
        schema_params(&schema),
        "params vs nextflow_schema.json"
    );
    // defaults agree
    for (name, value) in &defaults {
        let prop = schema["$defs"]
            .as_object()
            .unwrap()
            .values()
            .find_map(|g| g["properties"].get(name))
            .unwrap();
        assert_eq!(&prop["default"], value, "default of {name}");
    }

    // the test profile's parameters validate, and their files are there
    let nextflow = repo().join("nextflow");
    let params = config_params(&config, "    test {", &nextflow.to_string_lossy());
    let mut all = defaults.clone();
    all.extend(params.clone());
    let all = Value::Object(all);
    let errs = errors(&validator, &all);
    assert!(errs.is_empty(), "test profile:\n{}", errs.join("\n"));
    if repo().join("../shared/data").is_dir() {
        for key in ["input", "mature", "hairpin"] {
            let p = Path::new(params[key].as_str().unwrap());
            assert!(p.is_file(), "test profile {key}: {} missing", p.display());
        }
    }

    // with an ncRNA directory too (nf-schema checks that it exists when the
    // pipeline starts: `format: path`, `exists`)
    let mut with_ncrna = all.clone();
    with_ncrna["ncrna"] = json!("reference/ncrna/hsa");
    let errs = errors(&validator, &with_ncrna);
    assert!(errs.is_empty(), "ncrna:\n{}", errs.join("\n"));
    let ncrna = &schema["$defs"]["reference_options"]["properties"]["ncrna"];
    assert_eq!(
        (&ncrna["format"], &ncrna["exists"]),
        (&json!("path"), &json!(true))
    );

    // and broken ones do not
    for (key, value) in [
        ("protocol", json!("truseq")),
        ("species", json!("Homo sapiens")),
        ("input", json!("samples.tsv")),
        ("adapter", json!("TGG AAT")),
        ("ncrna", json!("my ncrna")),
        ("ncrna", json!(["tRNA.fa", "YRNA.fa"])),
    ] {
        let mut bad = all.clone();
        bad[key] = value;
        assert!(!validator.is_valid(&bad), "accepted {key} = {}", bad[key]);
    }
    let mut missing = all.as_object().unwrap().clone();
    missing.remove("mature");
    assert!(
        !validator.is_valid(&Value::Object(missing)),
        "accepted no mature"
    );
}

/// A CSV samplesheet as nf-schema reads it: one object a row, empty cells
/// left out.
fn samplesheet_rows(text: &str) -> Value {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').map(str::trim).collect();
    let rows = lines
        .map(|l| {
            let mut row = serde_json::Map::new();
            for (k, v) in header.iter().zip(l.split(',').map(str::trim)) {
                if !v.is_empty() {
                    row.insert(k.to_string(), json!(v));
                }
            }
            Value::Object(row)
        })
        .collect();
    Value::Array(rows)
}

#[test]
fn test_samplesheet_passes_the_samplesheet_schema() {
    let validator = draft_2020_12("nextflow/assets/schema_input.json");
    let schema = json_file("nextflow/nextflow_schema.json");
    assert_eq!(
        schema["$defs"]["input_output_options"]["properties"]["input"]["schema"],
        "assets/schema_input.json"
    );
    let rel = "nextflow/assets/samplesheet_test.csv";
    let rows = samplesheet_rows(&read(rel));
    let errs = errors(&validator, &rows);
    assert!(errs.is_empty(), "{rel}:\n{}", errs.join("\n"));
    // its FASTQ paths are taken from its directory, as main.nf and
    // `mirq quant --samplesheet` take them
    if repo().join("../shared/data").is_dir() {
        for row in rows.as_array().unwrap() {
            let fastq = repo()
                .join("nextflow/assets")
                .join(row["fastq_1"].as_str().unwrap());
            assert!(fastq.is_file(), "{rel}: {} missing", fastq.display());
        }
    }

    let with_columns =
        "sample,fastq_1,protocol,adapter\na,a.fastq.gz,qiaseq,\nb,b.fq.zst,,none\nc,c.fq,,TGGAATTC\n";
    let errs = errors(&validator, &samplesheet_rows(with_columns));
    assert!(errs.is_empty(), "optional columns:\n{}", errs.join("\n"));
    for bad in [
        "sample,fastq_1\n",
        "sample,fastq_2\na,a.fastq.gz\n",
        "sample,fastq_1\na b,a.fastq.gz\n",
        "sample,fastq_1\na,a.bam\n",
        "sample,fastq_1,protocol\na,a.fastq.gz,truseq\n",
        "sample,fastq_1,adapter\na,a.fastq.gz,TGG-AAT\n",
    ] {
        assert!(
            !validator.is_valid(&samplesheet_rows(bad)),
            "accepted the samplesheet {bad:?}"
        );
    }
}
