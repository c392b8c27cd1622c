//! MultiQC sections on the miRNAs themselves, beyond stats.json: the reads
//! of each isomiR class (as mirtop's MultiQC module shows them) and the top
//! miRNAs' share of each sample's miRNA counts. Both are made from what the
//! run's tables hold (isomirs.tsv summed by class, mature_counts.tsv as
//! printed), so a merge of per-sample runs writes the files of the joint run.

use serde_json::{json, Value};

use super::{render, Content, Ordered};
use crate::output::report::top_shares;

/// isomiR classes bar plot (runs with hairpins).
pub const ISOMIRS: &str = "multiqc/mirq_isomirs_mqc.json";
/// Top miRNAs bar plot.
pub const TOP_MIRNAS: &str = "multiqc/mirq_top_mirnas_mqc.json";
/// miRNAs named in the top miRNAs plot; the rest are one category (with
/// it, the ten colours of MultiQC's palette, none twice).
pub const TOP_MIRNA_COUNT: usize = 9;
/// The category of the other miRNAs' counts.
pub const OTHER_MIRNAS: &str = "other miRNAs";

/// What the miRNA sections are made from.
pub struct MirnaTables<'a> {
    /// Sample names, in column order.
    pub samples: &'a [String],
    /// Mature miRNA names (the rows of mature_counts.tsv).
    pub mirnas: &'a [String],
    /// mature_counts.tsv: one column per sample.
    pub counts: &'a [Vec<f64>],
    /// isomirs.tsv summed over miRNAs: per class, reads (or molecules) per
    /// sample (None: no isomirs.tsv, a run without hairpins).
    pub isomir_classes: Option<&'a [(String, Vec<u64>)]>,
}

/// mirtop's words for its classes (its MultiQC module's help), for mirq's.
const CLASS_HELP: &str = "The classes are mirtop's (mirGFF3):\n\n\
    * `ref_miRNA`: the reference (canonical) mature sequence\n\
    * `iso_5p`: a 5' end that differs from the reference's (trimmed or extended on the hairpin)\n\
    * `iso_3p`: a 3' end that differs from the reference's (trimmed or extended on the hairpin)\n\
    * `iso_add3p`: non-templated bases added at the 3' end\n\
    * `iso_snv_seed`, `iso_snv_central_offset`, `iso_snv_central`, `iso_snv_central_supp`, \
      `iso_snv`: a single-nucleotide difference in the seed (bases 2-7), at base 8, in the \
      centre (9-12), in the supplementary region (13-17) or elsewhere\n\n\
    A sequence with two differences (iso_5p and iso_3p) counts in both classes, so a bar can \
    be longer than the sample's miRNA reads; mirq writes the same counts to isomirs.tsv.";

/// The isomiR classes bar plot: per sample, the reads of each class (every
/// class of `classes`, in its order; 0 for none), counts only (the classes
/// overlap, so percentages of a bar would mislead).
pub fn isomirs(samples: &[String], classes: &[(String, Vec<u64>)]) -> String {
    let data = samples
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let row = classes
                .iter()
                .map(|(class, reads)| (class.clone(), reads[s]))
                .collect();
            (name.clone(), Ordered(row))
        })
        .collect();
    let categories = classes
        .iter()
        .map(|(class, _)| (class.clone(), json!({ "name": class })))
        .collect();
    let mut c = Content::new("mirq_isomirs", "bargraph", Ordered(data)).section(
        "isomiR classes",
        "Reads (molecules with --dedup) of each isomiR class (mirtop's classes; isomirs.tsv \
         summed over miRNAs), per sample: reads on the reference sequence (ref_miRNA) and on \
         each kind of variant. A read with two differences counts in both classes.",
    );
    c.helptext = Some(CLASS_HELP);
    c.categories = Some(Ordered(categories));
    c.pconfig = Some(json!({
        "id": "mirq_isomirs_plot",
        "title": "mirq: isomiR classes",
        "ylab": "Reads",
        "cpswitch": false,
    }));
    render(&c)
}

/// A count as mature_counts.tsv prints it (so that a merge and the joint
/// run write the same numbers).
fn printed(c: f64) -> f64 {
    crate::output::format_count(c).parse().unwrap_or(c)
}

/// The top miRNAs bar plot: per sample, the counts of the
/// [`TOP_MIRNA_COUNT`] (9) miRNAs with the largest mean share of their
/// sample's miRNA counts, and the rest as [`OTHER_MIRNAS`]; a bar is the
/// sample's miRNA counts, shown as percentages first. No `categories`, so
/// that runs with other top miRNAs pool into one plot.
pub fn top_mirnas(tables: &MirnaTables) -> String {
    let counts: Vec<Vec<f64>> = tables
        .counts
        .iter()
        .map(|col| col.iter().map(|&c| printed(c)).collect())
        .collect();
    let (top, _) = top_shares(tables.mirnas, &counts, TOP_MIRNA_COUNT);
    let rows: Vec<usize> = top
        .iter()
        .filter_map(|name| tables.mirnas.iter().position(|m| m == name))
        .collect();
    let data = tables
        .samples
        .iter()
        .zip(&counts)
        .map(|(name, col)| {
            let mut row: Vec<(String, Value)> = rows
                .iter()
                .map(|&r| (tables.mirnas[r].clone(), json!(col[r])))
                .collect();
            let total: f64 = col.iter().sum();
            let named: f64 = rows.iter().map(|&r| col[r]).sum();
            row.push((OTHER_MIRNAS.into(), json!(printed(total - named))));
            (name.clone(), Ordered(row))
        })
        .collect();
    let mut c = Content::new("mirq_top_mirnas", "bargraph", Ordered(data)).section(
        "Top miRNAs",
        "The 9 miRNAs with the largest mean share of the samples' miRNA counts \
         (mature_counts.tsv: reads, or molecules with --dedup), and the other miRNAs together: \
         a bar is a sample's miRNA counts, shown as % of them (the switch gives counts). Runs \
         pooled into one report each name their own top 9.",
    );
    c.pconfig = Some(json!({
        "id": "mirq_top_mirnas_plot",
        "title": "mirq: top miRNAs",
        "ylab": "miRNA counts",
        "cpswitch_c_active": false,
        "cpswitch_counts_label": "Counts",
        "cpswitch_percent_label": "% of miRNA counts",
        "sort_samples": false,
    }));
    render(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn isomir_classes_are_every_class_in_order_with_counts_only() {
        let samples = ["a", "b"].map(String::from);
        let classes = vec![
            ("ref_miRNA".to_string(), vec![10, 0]),
            ("iso_5p".to_string(), vec![3, 4]),
            ("iso_3p".to_string(), vec![0, 0]),
        ];
        let text = isomirs(&samples, &classes);
        let v = parse(&text);
        assert_eq!(v["id"], "mirq_isomirs");
        assert_eq!(v["plot_type"], "bargraph");
        assert_eq!(v["parent_id"], "mirq");
        assert_eq!(v["pconfig"]["id"], "mirq_isomirs_plot");
        assert_eq!(v["pconfig"]["cpswitch"], false);
        assert_eq!(v["data"]["a"]["ref_miRNA"], 10);
        assert_eq!(v["data"]["b"]["iso_5p"], 4);
        assert_eq!(v["data"]["b"]["iso_3p"], 0);
        assert_eq!(v["categories"]["iso_5p"]["name"], "iso_5p");
        let at = |k: &str| text.find(&format!("\"{k}\": {{")).expect(k);
        assert!(at("ref_miRNA") < at("iso_5p") && at("iso_5p") < at("iso_3p"));
        assert!(v["helptext"].as_str().unwrap().contains("iso_add3p"));
    }

    #[test]
    fn top_mirnas_name_nine_and_sum_to_the_mirna_counts() {
        let mirnas: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
        // m11 largest, then m10, …; m0 has none
        let a: Vec<f64> = (0..12).map(|i| i as f64).collect();
        let b: Vec<f64> = (0..12).map(|i| 2.0 * i as f64 + 0.25).collect();
        let samples = ["a", "b"].map(String::from);
        let text = top_mirnas(&MirnaTables {
            samples: &samples,
            mirnas: &mirnas,
            counts: &[a, b.clone()],
            isomir_classes: None,
        });
        let v = parse(&text);
        assert_eq!(v["id"], "mirq_top_mirnas");
        assert_eq!(v["pconfig"]["id"], "mirq_top_mirnas_plot");
        assert_eq!(v["pconfig"]["cpswitch_c_active"], false);
        assert!(v.get("categories").is_none());
        let row = v["data"]["b"].as_object().unwrap();
        assert_eq!(row.len(), TOP_MIRNA_COUNT + 1);
        assert!(row.get("m2").is_none() && row.get("m0").is_none());
        assert_eq!(row["m11"], 22.25);
        assert_eq!(row[OTHER_MIRNAS], 0.25 + 2.25 + 4.25);
        let description = v["description"].as_str().unwrap();
        assert!(description.contains(&format!("The {TOP_MIRNA_COUNT} miRNAs")));
        let total: f64 = row.values().map(|x| x.as_f64().unwrap()).sum();
        assert!((total - b.iter().sum::<f64>()).abs() < 1e-9);
        // most first, the rest last
        assert!(text.find("\"m11\"").unwrap() < text.find("\"m10\"").unwrap());
        assert!(text.rfind("\"m3\"").unwrap() < text.rfind(OTHER_MIRNAS).unwrap());
    }
}
