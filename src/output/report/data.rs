//! What the report is made from (the files of an output directory, or the
//! same figures in memory at the end of a run) and the numbers its figures
//! show: log CPM, correlations, PCA, top miRNAs.

use std::path::Path;

use crate::count::gff::VARIANT_CLASSES;
use crate::error::{Error, Result};
use crate::output::ncrna_tables::{NcrnaGroups, FEATURES};
use crate::output::stats::RunStats;

/// Everything a report is made from: what an output directory holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    /// stats.json (its samples in column order).
    pub stats: RunStats,
    /// Mature miRNA names (the rows of mature_counts.tsv).
    pub mirnas: Vec<String>,
    /// mature_counts.tsv: one column per sample, one value per miRNA.
    pub counts: Vec<Vec<f64>>,
    /// isomirs.tsv summed over miRNAs: per variant class, reads per sample
    /// (None when the run wrote no isomirs.tsv: no hairpins).
    pub isomir_classes: Option<Vec<(String, Vec<u64>)>>,
    /// ncrna_features.tsv's `all` rows (None when the run wrote no
    /// ncrna_features.tsv: no `--ncrna`).
    pub ncrna_groups: Option<NcrnaGroups>,
}

/// Counts as the tables print them (read back, so that `mirq report` on
/// the directory gives the same report).
fn printed(counts: &[Vec<f64>]) -> Vec<Vec<f64>> {
    counts
        .iter()
        .map(|col| {
            col.iter()
                .map(|&c| crate::output::format_count(c).parse().unwrap_or(c))
                .collect()
        })
        .collect()
}

impl ReportInput {
    /// The input of a run that is being written: `stats_json` is the text
    /// of its stats.json, `counts` the values of mature_counts.tsv and
    /// `ncrna_groups` those of ncrna_features.tsv (both read back as
    /// printed, so that `mirq report` on the directory gives the same
    /// report).
    pub fn from_run(
        stats_json: &str,
        mirnas: Vec<String>,
        counts: &[Vec<f64>],
        isomir_classes: Option<Vec<(String, Vec<u64>)>>,
        ncrna_groups: Option<NcrnaGroups>,
    ) -> Result<Self> {
        let stats = parse_stats(stats_json, Path::new("stats.json"))?;
        Ok(Self {
            stats,
            mirnas,
            counts: printed(counts),
            isomir_classes,
            ncrna_groups: ncrna_groups.map(|g| NcrnaGroups {
                counts: printed(&g.counts),
                ..g
            }),
        })
    }

    /// Reads an output directory: stats.json, mature_counts.tsv and (when
    /// there) isomirs.tsv.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let stats_path = dir.join("stats.json");
        let stats = parse_stats(&read(&stats_path)?, &stats_path)?;
        let names: Vec<String> = stats.samples.iter().map(|s| s.sample.clone()).collect();
        let counts_path = dir.join("mature_counts.tsv");
        let (mirnas, rows) = read_table(&counts_path, 1, &names)?;
        let isomirs_path = dir.join("isomirs.tsv");
        let isomir_classes = if isomirs_path.exists() {
            Some(read_isomir_classes(&isomirs_path, &names)?)
        } else {
            None
        };
        let features_path = dir.join(FEATURES);
        let ncrna_groups = if features_path.exists() {
            Some(read_ncrna_groups(&features_path, &names)?)
        } else {
            None
        };
        Ok(Self {
            stats,
            mirnas,
            counts: columns(rows, names.len()),
            isomir_classes,
            ncrna_groups,
        })
    }

    /// The sample names, in column order.
    pub fn sample_names(&self) -> Vec<String> {
        self.stats
            .samples
            .iter()
            .map(|s| s.sample.clone())
            .collect()
    }

    /// The run's screen references, in the order given.
    pub fn screen_names(&self) -> Vec<String> {
        let screens = self.stats.settings.screen.iter();
        screens.map(|r| r.name.clone()).collect()
    }

    /// The run's ncRNA classes, in its order (None: a run without
    /// `--ncrna`).
    pub fn ncrna_classes(&self) -> Option<Vec<String>> {
        Some(self.stats.settings.ncrna.as_ref()?.classes.clone())
    }
}

/// Table rows (one value per sample each) as one column per sample.
fn columns(rows: Vec<Vec<f64>>, samples: usize) -> Vec<Vec<f64>> {
    let mut cols = vec![Vec::with_capacity(rows.len()); samples];
    for row in rows {
        for (col, v) in cols.iter_mut().zip(row) {
            col.push(v);
        }
    }
    cols
}

/// ncrna_features.tsv (`feature`, `class`, `part`, one column per sample):
/// its `all` rows.
fn read_ncrna_groups(path: &Path, samples: &[String]) -> Result<NcrnaGroups> {
    let (keys, rows) = read_table(path, 3, samples)?;
    let mut groups = NcrnaGroups::default();
    let mut kept = Vec::new();
    for (key, row) in keys.iter().zip(rows) {
        let mut fields = key.split('\t');
        let (name, class, part) = (fields.next(), fields.next(), fields.next());
        if let (Some(name), Some(class), Some("all")) = (name, class, part) {
            groups.names.push(name.to_string());
            groups.classes.push(class.to_string());
            kept.push(row);
        }
    }
    groups.counts = columns(kept, samples.len());
    Ok(groups)
}

/// Every variant class of [`VARIANT_CLASSES`], in that order, with its
/// reads per sample summed over miRNAs from per-miRNA rows `(class, reads)`;
/// classes mirq does not know go last.
pub fn sum_classes<'a>(
    rows: impl IntoIterator<Item = (&'a str, Vec<u64>)>,
    samples: usize,
) -> Vec<(String, Vec<u64>)> {
    let mut out: Vec<(String, Vec<u64>)> = VARIANT_CLASSES
        .iter()
        .map(|c| (c.to_string(), vec![0; samples]))
        .collect();
    for (class, reads) in rows {
        let at = match out.iter().position(|(c, _)| c == class) {
            Some(at) => at,
            None => {
                out.push((class.to_string(), vec![0; samples]));
                out.len() - 1
            }
        };
        for (sum, n) in out[at].1.iter_mut().zip(reads) {
            *sum += n;
        }
    }
    out
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })
}

fn parse_error(path: &str, e: impl std::fmt::Display) -> Error {
    Error::Parse {
        path: path.into(),
        message: e.to_string(),
    }
}

/// stats.json's text (read from `path`) as a [`RunStats`].
fn parse_stats(text: &str, path: &Path) -> Result<RunStats> {
    serde_json::from_str(text).map_err(|e| parse_error(&path.display().to_string(), e))
}

/// A TSV table with `keys` leading columns and one numeric column per
/// sample (the header must name `samples`, in order): the first column of
/// each row, and its numbers.
fn read_table(
    path: &Path,
    keys: usize,
    samples: &[String],
) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let text = read(path)?;
    let bad = |line: usize, message: String| Error::Parse {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split('\t')
        .skip(keys)
        .collect();
    if header != samples {
        return Err(bad(
            1,
            format!("columns {header:?}, but stats.json has samples {samples:?}"),
        ));
    }
    let (mut names, mut rows) = (Vec::new(), Vec::new());
    for (i, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != keys + samples.len() {
            return Err(bad(
                i + 2,
                format!("{} fields, expected {}", fields.len(), keys + samples.len()),
            ));
        }
        let values = fields[keys..]
            .iter()
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|e| bad(i + 2, format!("'{v}': {e}")))
            })
            .collect::<Result<Vec<f64>>>()?;
        names.push(fields[..keys].join("\t"));
        rows.push(values);
    }
    Ok((names, rows))
}

/// isomirs.tsv (`mirna`, `variant`, one column per sample) summed by class.
fn read_isomir_classes(path: &Path, samples: &[String]) -> Result<Vec<(String, Vec<u64>)>> {
    let (keys, rows) = read_table(path, 2, samples)?;
    let rows: Vec<(&str, Vec<u64>)> = keys
        .iter()
        .zip(rows)
        .map(|(k, r)| {
            let class = k.rsplit('\t').next().unwrap_or_default();
            (class, r.into_iter().map(|v| v as u64).collect())
        })
        .collect();
    Ok(sum_classes(rows, samples.len()))
}

/// Counts per million of each column (a column summing to 0 stays 0).
pub fn cpm(counts: &[Vec<f64>]) -> Vec<Vec<f64>> {
    counts
        .iter()
        .map(|col| {
            let total: f64 = col.iter().sum();
            col.iter()
                .map(|&c| if total > 0.0 { c * 1e6 / total } else { 0.0 })
                .collect()
        })
        .collect()
}

/// log2(CPM + 1) of the miRNAs `rows`, per sample (CPM of the sample's
/// counts over all miRNAs).
pub fn log_cpm(counts: &[Vec<f64>], rows: &[usize]) -> Vec<Vec<f64>> {
    cpm(counts)
        .iter()
        .map(|col| rows.iter().map(|&r| (col[r] + 1.0).log2()).collect())
        .collect()
}

/// Pearson correlation; NaN when either side has no variance.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if a.is_empty() {
        return f64::NAN;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        f64::NAN
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The first two principal components of samples (each a vector over the
/// same features): each sample's two scores and the share of the variance
/// each component explains. None with fewer than 3 samples or no variance.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Per sample, (PC1, PC2).
    pub scores: Vec<(f64, f64)>,
    /// Shares of the total variance of PC1 and PC2 (0..1).
    pub explained: (f64, f64),
}

impl Pca {
    /// PCA of `samples` on the features centred across samples, from the
    /// samples' Gram matrix (n × n) by power iteration with deflation.
    pub fn of(samples: &[Vec<f64>]) -> Option<Self> {
        let n = samples.len();
        let features = samples.first().map_or(0, Vec::len);
        if n < 3 || features == 0 {
            return None;
        }
        let means: Vec<f64> = (0..features)
            .map(|f| samples.iter().map(|s| s[f]).sum::<f64>() / n as f64)
            .collect();
        let centred: Vec<Vec<f64>> = samples
            .iter()
            .map(|s| s.iter().zip(&means).map(|(v, m)| v - m).collect())
            .collect();
        let mut gram: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| dot(&centred[i], &centred[j])).collect())
            .collect();
        let trace: f64 = (0..n).map(|i| gram[i][i]).sum();
        if trace <= 0.0 {
            return None;
        }
        let (l1, v1) = top_eigen(&gram);
        for i in 0..n {
            for j in 0..n {
                gram[i][j] -= l1 * v1[i] * v1[j];
            }
        }
        let (l2, v2) = top_eigen(&gram);
        let (s1, s2) = (l1.max(0.0).sqrt(), l2.max(0.0).sqrt());
        Some(Self {
            scores: (0..n).map(|i| (v1[i] * s1, v2[i] * s2)).collect(),
            explained: (l1.max(0.0) / trace, l2.max(0.0) / trace),
        })
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The largest eigenvalue of a symmetric positive semi-definite matrix and
/// its unit eigenvector (largest component positive), by power iteration.
fn top_eigen(m: &[Vec<f64>]) -> (f64, Vec<f64>) {
    let n = m.len();
    // a fixed start that no eigenvector of a centred matrix is orthogonal to
    // in practice (not all equal: the centred Gram matrix kills (1, …, 1))
    let mut v: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 / n as f64).collect();
    let mut lambda = 0.0;
    for _ in 0..1000 {
        let w: Vec<f64> = m.iter().map(|row| dot(row, &v)).collect();
        let norm = dot(&w, &w).sqrt();
        if norm == 0.0 {
            return (0.0, vec![0.0; n]);
        }
        let next: Vec<f64> = w.iter().map(|x| x / norm).collect();
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        (v, lambda) = (next, norm);
        if change < 1e-12 {
            break;
        }
    }
    let big = v
        .iter()
        .copied()
        .fold(0.0f64, |a, x| if x.abs() > a.abs() { x } else { a });
    if big < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    (lambda, v)
}

/// The `k` miRNAs with the largest mean share of their sample's counts,
/// and per sample each one's share (% of the sample's counts).
pub fn top_shares(
    mirnas: &[String],
    counts: &[Vec<f64>],
    k: usize,
) -> (Vec<String>, Vec<Vec<f64>>) {
    let shares: Vec<Vec<f64>> = cpm(counts)
        .into_iter()
        .map(|col| col.into_iter().map(|c| c / 1e4).collect())
        .collect();
    let n = shares.len().max(1) as f64;
    let mean = |r: usize| shares.iter().map(|col| col[r]).sum::<f64>() / n;
    let mut order: Vec<(f64, usize)> = (0..mirnas.len())
        .map(|r| (mean(r), r))
        .filter(|&(m, _)| m > 0.0)
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    order.truncate(k);
    let names = order.iter().map(|&(_, r)| mirnas[r].clone()).collect();
    let rows = shares
        .iter()
        .map(|col| order.iter().map(|&(_, r)| col[r]).collect())
        .collect();
    (names, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_finds_the_axis_that_separates_two_groups() {
        // two groups along feature 0, noise along feature 1
        let samples = vec![
            vec![0.0, 0.1],
            vec![0.2, -0.1],
            vec![0.1, 0.0],
            vec![5.0, 0.05],
            vec![5.2, -0.05],
            vec![4.9, 0.0],
        ];
        let pca = Pca::of(&samples).unwrap();
        assert!(pca.explained.0 > 0.99, "{pca:?}");
        assert!(pca.explained.0 + pca.explained.1 <= 1.0 + 1e-9);
        let (a, b): (Vec<f64>, Vec<f64>) = pca.scores.iter().map(|s| s.0).partition(|&x| x < 0.0);
        assert_eq!((a.len(), b.len()), (3, 3));
        assert!(Pca::of(&samples[..2]).is_none());
    }

    #[test]
    fn correlation_and_log_cpm() {
        let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5]);
        assert!(
            (r - 4.5 / (2.0f64 * (61.0 / 6.0)).sqrt()).abs() < 1e-12,
            "{r}"
        );
        assert!(pearson(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
        // the rows asked for, CPM of the whole column (1 of 4)
        let l = log_cpm(&[vec![1.0, 0.0, 3.0], vec![2.0, 0.0, 2.0]], &[0, 2]);
        assert_eq!(l[0].len(), 2);
        assert!((l[0][0] - (250_000.0f64 + 1.0).log2()).abs() < 1e-9);
        assert!((l[1][1] - (500_000.0f64 + 1.0).log2()).abs() < 1e-9);
    }

    #[test]
    fn top_shares_rank_by_mean_share() {
        let mirnas: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let (names, rows) = top_shares(&mirnas, &[vec![1.0, 3.0, 0.0], vec![1.0, 1.0, 0.0]], 5);
        assert_eq!(names, ["b", "a"]);
        assert_eq!(rows[0], [75.0, 25.0]);
        assert_eq!(rows[1], [50.0, 50.0]);
    }

    #[test]
    fn ncrna_groups_of_a_class_keep_table_order_and_columns() {
        let groups = NcrnaGroups {
            names: ["tRNA-Gly-GCC", "U2", "tRNA-Glu-CTC"]
                .map(String::from)
                .to_vec(),
            classes: ["tRNA", "snRNA", "tRNA"].map(String::from).to_vec(),
            counts: vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.5]],
        };
        let (names, counts) = groups.of_class("tRNA");
        assert_eq!(names, ["tRNA-Gly-GCC", "tRNA-Glu-CTC"]);
        assert_eq!(counts, [vec![1.0, 3.0], vec![4.0, 6.5]]);
        let (names, counts) = groups.of_class("rRNA");
        assert!(names.is_empty());
        assert_eq!(counts, [Vec::<f64>::new(), Vec::new()]);
    }

    #[test]
    fn ncrna_features_give_their_all_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ncrna_features.tsv");
        std::fs::write(
            &path,
            "feature\tclass\tpart\ta\tb\n\
             tRNA-Gly-GCC\ttRNA\tall\t3.5\t1\n\
             tRNA-Gly-GCC\ttRNA\t5p_half\t3.5\t0\n\
             U2\tsnRNA\tall\t0\t7\n",
        )
        .unwrap();
        let samples = ["a", "b"].map(String::from);
        let groups = read_ncrna_groups(&path, &samples).unwrap();
        assert_eq!(groups.names, ["tRNA-Gly-GCC", "U2"]);
        assert_eq!(groups.classes, ["tRNA", "snRNA"]);
        assert_eq!(groups.counts, [vec![3.5, 0.0], vec![1.0, 7.0]]);
    }

    #[test]
    fn isomir_classes_keep_the_known_order() {
        let sums = sum_classes(
            [
                ("iso_5p", vec![1, 2]),
                ("ref_miRNA", vec![3, 0]),
                ("iso_5p", vec![1, 1]),
            ],
            2,
        );
        assert_eq!(sums[0], ("ref_miRNA".to_string(), vec![3, 0]));
        assert_eq!(sums[1], ("iso_5p".to_string(), vec![2, 3]));
        assert_eq!(sums.len(), VARIANT_CLASSES.len());
    }
}
