//! `mirq bench`'s plain-text table: a header, one row per engine run
//! (`prepare_s` is [`Measurement::prepare_seconds`], `align_s`
//! [`Measurement::seconds`]), then a closing line.

use super::harness::Measurement;
use crate::numbers::thousands;

/// Figures are right-aligned, text left-aligned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// The columns, each with its header and alignment.
const COLUMNS: [(&str, Align); 10] = [
    ("engine", Align::Left),
    ("threads", Align::Right),
    ("adapter", Align::Left),
    ("backend", Align::Left),
    ("type", Align::Left),
    ("inserts", Align::Right),
    ("prepare_s", Align::Right),
    ("align_s", Align::Right),
    ("inserts/s", Align::Right),
    ("agree", Align::Left),
];

/// One run's cells, in [`COLUMNS`] order.
fn cells(m: &Measurement) -> [String; 10] {
    let dash = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
    [
        m.engine.to_string(),
        m.threads.to_string(),
        dash(&m.adapter),
        dash(&m.backend),
        dash(&m.device_type),
        thousands(m.inserts as u64),
        format!("{:.3}", m.prepare_seconds),
        format!("{:.3}", m.seconds),
        thousands(m.inserts_per_second as u64),
        if m.agree { "yes" } else { "NO" }.into(),
    ]
}

/// The table of `engines`, each column as wide as its widest cell, and
/// `last` on a line of its own.
pub(super) fn render(engines: &[Measurement], last: &str) -> String {
    let header = COLUMNS.map(|(name, _)| name.to_string());
    let rows: Vec<[String; 10]> = engines.iter().map(cells).collect();
    let mut widths = [0; 10];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String; 10]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .zip(COLUMNS)
            .map(|((c, w), (_, align))| {
                let pad = " ".repeat(w - c.chars().count());
                match align {
                    Align::Right => format!("{pad}{c}"),
                    Align::Left => format!("{c}{pad}"),
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        out.push_str(&line(r));
        out.push('\n');
    }
    out.push_str(last);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_with_prepare_and_align_figures() {
        let ms = [
            Measurement::made_up(1, 50_000.0, None),
            Measurement::made_up(8, 3_000_000.0, Some(("NVIDIA H200", false))),
        ];
        let table = render(&ms, "the last line");
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines,
            [
                "engine  threads  adapter      backend  type         inserts  prepare_s  align_s  inserts/s  agree",
                "cpu           1  -            -        -              1,000      0.010    0.020     50,000  yes",
                "gpu           8  NVIDIA H200  vulkan   DiscreteGpu    1,000      0.010    0.000  3,000,000  yes",
                "the last line",
            ]
        );
    }
}
