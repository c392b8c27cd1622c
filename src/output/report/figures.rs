//! The report's figures, drawn by plotters' SVG backend. Its text is SVG
//! `<text>` (the browser's sans-serif draws it), so no font file is read
//! or needed; plotters only estimates text widths for its layout.
//! Categories take the Okabe–Ito colours, values the viridis scale: both
//! read for colour-blind eyes and in grey. Samples are rows, one per line,
//! so that 40 sample names stay legible.

use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::RangedCoordi32;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

/// What a drawing function returns before its error is typed.
type Drawn = std::result::Result<(), Box<dyn std::error::Error>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A chart whose axes both carry their own key points.
type KeyedChart<'a> = ChartContext<
    'a,
    SVGBackend<'a>,
    Cartesian2d<WithKeyPoints<RangedCoordi32>, WithKeyPoints<RangedCoordi32>>,
>;

/// Units of one row or column on a category axis (integer axes keep
/// plotters' own label formatting; a tenth of a row leaves gaps).
const U: i32 = 10;

/// The Okabe–Ito palette (Okabe & Ito 2008), black last.
pub const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x00, 0x00, 0x00), // black
];

/// Colours of RNA classes (`--ncrna`), in the run's class order (then again
/// from the first): Paul Tol's muted scheme, also legible for colour-blind
/// eyes, largest classes first in the most distinct colours.
pub const CLASS_COLOURS: [RGBColor; 9] = [
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0xCC, 0x66, 0x77), // rose
    RGBColor(0xDD, 0xCC, 0x77), // sand
    RGBColor(0x88, 0x22, 0x55), // wine
    RGBColor(0x88, 0xCC, 0xEE), // cyan
    RGBColor(0x44, 0xAA, 0x99), // teal
    RGBColor(0x99, 0x99, 0x33), // olive
    RGBColor(0xAA, 0x44, 0x99), // purple
    RGBColor(0x11, 0x77, 0x33), // green
];

/// The colour of the `i`-th RNA class: [`CLASS_COLOURS`], then the same
/// mixed half with white, then again from the first.
pub fn class_colour(i: usize) -> RGBColor {
    let RGBColor(r, g, b) = CLASS_COLOURS[i % CLASS_COLOURS.len()];
    if (i / CLASS_COLOURS.len()) % 2 == 0 {
        RGBColor(r, g, b)
    } else {
        let tint = |c: u8| ((c as u16 + 255) / 2) as u8;
        RGBColor(tint(r), tint(g), tint(b))
    }
}

/// Reads on ncRNAs antisense only (beside the unassigned grey).
pub const DARK_GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// Grey for what is no category (no value, unassigned).
pub const GREY: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
/// Grid lines.
const GRID: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);

/// Width of every figure, in pixels (the page scales it down to fit).
const WIDTH: u32 = 1100;
/// Width of the legend column on the right of a figure.
const LEGEND: u32 = 190;
/// The widest a legend column grows for long names (longer ones are cut).
const LEGEND_MAX: u32 = 320;

/// Draws one SVG of `size` through `draw`; a failure names `figure`.
fn svg(
    figure: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> Drawn,
) -> Result<String> {
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into))
    };
    drawn.map_err(|e| Error::Plot {
        figure,
        message: e.to_string(),
    })?;
    Ok(out)
}

/// A text style of `px` pixels (plotters' sizes are 1.24 times the SVG's).
fn font(px: f64) -> TextStyle<'static> {
    ("sans-serif", px * 1.24).into_font().into()
}

/// Rough width of `text` at `px` pixels, for laying out label areas.
fn text_width(text: &str, px: f64) -> u32 {
    (text.chars().count() as f64 * px * 0.58).ceil() as u32
}

/// Room for the longest of `labels` at `px` pixels, plus a gap.
fn label_room(labels: &[String], px: f64) -> u32 {
    labels.iter().map(|l| text_width(l, px)).max().unwrap_or(0) + 14
}

/// Height of one sample row: roomy for a few samples, 16 px for many.
fn row_height(rows: usize) -> u32 {
    match rows {
        0..=10 => 26,
        11..=24 => 20,
        _ => 16,
    }
}

/// Font size of row labels.
fn row_font(rows: usize) -> f64 {
    if rows > 24 {
        11.0
    } else {
        12.0
    }
}

/// An axis of `n` rows (0 at the top), labelled at each row's middle.
fn rows_axis(n: usize) -> WithKeyPoints<RangedCoordi32> {
    (n as i32 * U..0).with_key_points((0..n as i32).map(|i| i * U + U / 2).collect())
}

/// The label of the row or column at `v`.
fn name_at(names: &[String], v: i32) -> String {
    names
        .get((v.max(0) / U) as usize)
        .cloned()
        .unwrap_or_default()
}

/// The finite values of a heatmap's rows (NaN marks no value).
pub fn finite(values: &[Vec<f64>]) -> impl Iterator<Item = f64> + '_ {
    values.iter().flatten().copied().filter(|v| v.is_finite())
}

/// The viridis colour of `t` in 0..1 (five anchors of matplotlib's map,
/// linearly joined).
pub fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(u8, u8, u8); 5] = [
        (0x44, 0x01, 0x54),
        (0x3b, 0x52, 0x8b),
        (0x21, 0x91, 0x8c),
        (0x5e, 0xc9, 0x62),
        (0xfd, 0xe7, 0x25),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (ANCHORS.len() - 1) as f64;
    let i = (x.floor() as usize).min(ANCHORS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A legend column: a swatch and a name per entry, from the top of `area`.
fn legend(area: &Area, title: &str, entries: &[(String, RGBColor)]) -> Drawn {
    area.draw(&Text::new(title.to_string(), (8, 12), font(12.0)))?;
    for (k, (name, colour)) in entries.iter().enumerate() {
        let y = 34 + 20 * k as i32;
        area.draw(&Rectangle::new([(8, y - 6), (22, y + 6)], colour.filled()))?;
        let style = font(12.0).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(name.clone(), (28, y), style))?;
    }
    Ok(())
}

/// Room for a name in a legend column of `width` (right of its swatch).
fn legend_room(width: u32) -> u32 {
    width.saturating_sub(34)
}

/// `text`, cut to `room` pixels at `px` (with an ellipsis) when longer.
fn fit(text: &str, room: u32, px: f64) -> String {
    if text_width(text, px) <= room {
        return text.to_string();
    }
    let keep = (room as f64 / (px * 0.58)).floor() as usize;
    let mut cut: String = text.chars().take(keep.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Width of a legend column for `names`: [`LEGEND`], wider for longer
/// names, up to [`LEGEND_MAX`].
fn legend_width<'a>(names: impl IntoIterator<Item = &'a str>) -> u32 {
    let longest = names
        .into_iter()
        .map(|n| text_width(n, 12.0))
        .max()
        .unwrap_or(0);
    (longest + 40).clamp(LEGEND, LEGEND_MAX)
}

/// One stacked-bar category: its name, colour, and each sample's share (%).
pub struct Stack {
    /// Legend name.
    pub name: String,
    /// Fill.
    pub colour: RGBColor,
    /// Per sample, % of the bar.
    pub values: Vec<f64>,
}

/// Horizontal stacked bars, one per sample (rows top to bottom), x in %;
/// the legend column widens for long category names (and cuts the longest).
pub fn stacked_bars(
    figure: &'static str,
    samples: &[String],
    stacks: &[Stack],
    x_desc: &str,
) -> Result<String> {
    stacked_bars_to(figure, samples, stacks, x_desc, 100.0)
}

/// [`stacked_bars`] on an x axis from 0 to `max` (%; labels with the
/// decimals a small `max` needs).
pub fn stacked_bars_to(
    figure: &'static str,
    samples: &[String],
    stacks: &[Stack],
    x_desc: &str,
    max: f64,
) -> Result<String> {
    // plotters puts about ten labels on the axis: 0.5 apart up to 5
    let decimals = if max >= 10.0 {
        0
    } else if max >= 1.0 {
        1
    } else if max >= 0.1 {
        2
    } else {
        3
    };
    let n = samples.len();
    let (row, px) = (row_height(n), row_font(n));
    let height = 30 + n as u32 * row + 60;
    let legend_rows = 40 + 20 * stacks.len() as u32;
    let legend_w = legend_width(stacks.iter().map(|s| s.name.as_str()));
    svg(figure, (WIDTH, height.max(legend_rows)), |root| {
        let (plot, side) = root.split_horizontally(WIDTH - legend_w);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(16)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(label_room(samples, px))
            .build_cartesian_2d(0f64..max, rows_axis(n))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_label_formatter(&|v| name_at(samples, *v))
            .y_label_style(font(px))
            .x_label_formatter(&|x| format!("{x:.decimals$}"))
            .x_label_style(font(12.0))
            .bold_line_style(GRID)
            .x_desc(x_desc)
            .axis_desc_style(font(13.0))
            .draw()?;
        let mut left = vec![0.0; n];
        for stack in stacks {
            let bars: Vec<Rectangle<(f64, i32)>> = (0..n)
                .map(|i| {
                    let (x0, x1) = (left[i], (left[i] + stack.values[i]).min(max));
                    left[i] = x1;
                    let y = i as i32 * U;
                    Rectangle::new([(x0, y + 1), (x1, y + U - 1)], stack.colour.filled())
                })
                .collect();
            chart.draw_series(bars)?;
        }
        let room = legend_room(legend_w);
        let entries: Vec<(String, RGBColor)> = stacks
            .iter()
            .map(|s| (fit(&s.name, room, 12.0), s.colour))
            .collect();
        legend(&side, "", &entries)
    })
}

/// One line per sample over a numeric x (lines in Okabe–Ito colours, for
/// up to 8 samples): `points[s]` are sample s's (x, y).
pub fn lines(
    figure: &'static str,
    samples: &[String],
    points: &[Vec<(f64, f64)>],
    (x_desc, y_desc): (&str, &str),
) -> Result<String> {
    let x_max = points.iter().flatten().map(|p| p.0).fold(1.0, f64::max);
    let y_max = points
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.05;
    svg(figure, (WIDTH, 440), |root| {
        let (plot, side) = root.split_horizontally(WIDTH - LEGEND);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(16)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_labels(((x_max / 5.0).ceil() as usize + 1).min(20))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .label_style(font(12.0))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(font(13.0))
            .draw()?;
        for (s, series) in points.iter().enumerate() {
            let colour = OKABE_ITO[s % OKABE_ITO.len()];
            chart.draw_series(LineSeries::new(
                series.iter().copied(),
                colour.stroke_width(2),
            ))?;
        }
        let entries: Vec<(String, RGBColor)> = samples
            .iter()
            .enumerate()
            .map(|(s, name)| (name.clone(), OKABE_ITO[s % OKABE_ITO.len()]))
            .collect();
        legend(&side, "", &entries)
    })
}

/// A share (%) in a heatmap cell, the same in every heatmap: `0` for none,
/// `<0.1` for a share that would print as 0.0, one decimal under 10, none
/// from 10 on.
pub fn share_text(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v < 0.05 {
        "<0.1".into()
    } else if v < 9.95 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// A heatmap: rows (samples) × columns, values coloured on viridis over
/// `scale` (a 0 takes the colour of the scale's low end in every heatmap);
/// NaN cells (no value) grey and empty.
pub struct Heatmap<'a> {
    /// Row names, top to bottom.
    pub rows: &'a [String],
    /// Column names, left to right.
    pub cols: &'a [String],
    /// `values[row][col]`.
    pub values: &'a [Vec<f64>],
    /// The values at the two ends of the colour scale.
    pub scale: (f64, f64),
    /// What the colour scale measures.
    pub scale_desc: &'a str,
    /// Columns are numbers (insert lengths): label every fifth, upright.
    pub numeric_cols: bool,
    /// Description under the columns.
    pub x_desc: &'a str,
    /// Writes each cell's value in it (when cells are big enough).
    pub cell_text: Option<fn(f64) -> String>,
}

/// Width of the colour bar column.
const COLOUR_BAR: u32 = 110;

impl Heatmap<'_> {
    /// Cell width and height, and the room for row and column labels.
    fn layout(&self) -> (u32, u32, u32, u32) {
        let (n, px) = (self.rows.len(), row_font(self.rows.len()));
        let left = label_room(self.rows, px);
        let free = WIDTH.saturating_sub(left + COLOUR_BAR + 40);
        let cell_w = (free / self.cols.len().max(1) as u32).clamp(10, 64);
        let bottom = if self.numeric_cols {
            50
        } else {
            label_room(self.cols, 12.0) + 16
        };
        (cell_w, row_height(n), left, bottom)
    }

    /// The SVG.
    pub fn draw(&self, figure: &'static str) -> Result<String> {
        let (cell_w, cell_h, left, bottom) = self.layout();
        let (n, m) = (self.rows.len(), self.cols.len());
        let plot_w = left + cell_w * m as u32 + 20;
        let width = plot_w + COLOUR_BAR;
        let height = (16 + cell_h * n as u32 + bottom).max(220);
        svg(figure, (width, height), |root| {
            let (plot, side) = root.split_horizontally(plot_w);
            self.cells(&plot, (left, bottom), cell_h)?;
            colour_bar(
                &side,
                self.scale,
                self.scale_desc,
                height.saturating_sub(bottom).max(140),
            )
        })
    }

    fn cells(&self, plot: &Area, (left, bottom): (u32, u32), cell_h: u32) -> Drawn {
        let (n, m) = (self.rows.len(), self.cols.len());
        let px = row_font(n);
        let col_points: Vec<i32> = (0..m)
            .filter(|&c| {
                !self.numeric_cols || self.cols[c].parse::<u32>().is_ok_and(|v| v % 5 == 0)
            })
            .map(|c| c as i32 * U + U / 2)
            .collect();
        let mut chart = ChartBuilder::on(plot)
            .margin_top(16)
            .margin_right(20)
            .x_label_area_size(bottom)
            .y_label_area_size(left)
            .build_cartesian_2d((0..m as i32 * U).with_key_points(col_points), rows_axis(n))?;
        let row_label = |v: &i32| name_at(self.rows, *v);
        let col_label = |v: &i32| {
            if self.numeric_cols {
                name_at(self.cols, *v)
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .y_label_formatter(&row_label)
            .y_label_style(font(px))
            .x_label_formatter(&col_label)
            .x_label_style(font(12.0))
            .x_desc(self.x_desc)
            .axis_desc_style(font(13.0))
            .draw()?;
        let (lo, hi) = self.scale;
        let t = |v: f64| (v - lo) / (hi - lo).max(1e-12);
        let mut rects = Vec::with_capacity(n * m);
        for (r, row) in self.values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let colour = if v.is_finite() { viridis(t(v)) } else { GREY };
                let (x, y) = (c as i32 * U, r as i32 * U);
                rects.push(Rectangle::new([(x, y), (x + U, y + U)], colour.filled()));
            }
        }
        chart.draw_series(rects)?;
        if !self.numeric_cols {
            // column names under the cells (clear of the ticks), read downwards
            let style = font(12.0)
                .transform(FontTransform::Rotate90)
                .pos(Pos::new(HPos::Left, VPos::Center));
            for (c, name) in self.cols.iter().enumerate() {
                let (x, y) = chart.backend_coord(&(c as i32 * U + U / 2, n as i32 * U));
                plot.draw(&Text::new(name.clone(), (x, y + 10), style.clone()))?;
            }
        }
        self.cell_numbers(&mut chart, cell_h)
    }

    /// Each cell's value written in it, when the cells are big enough.
    fn cell_numbers(&self, chart: &mut KeyedChart, cell_h: u32) -> Drawn {
        let Some(format) = self.cell_text else {
            return Ok(());
        };
        let (lo, hi) = self.scale;
        let (left, right) = (
            chart.backend_coord(&(0, 0)).0,
            chart.backend_coord(&(U, 0)).0,
        );
        let cell_w = (right - left).max(0) as u32;
        if cell_h < 16 || cell_w < 30 {
            return Ok(());
        }
        let mut texts = Vec::new();
        for (r, row) in self.values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let dark = (v - lo) / (hi - lo).max(1e-12) < 0.6;
                let colour = if dark { &WHITE } else { &BLACK };
                let style = font(10.5)
                    .color(colour)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                texts.push(Text::new(
                    format(v),
                    (c as i32 * U + U / 2, r as i32 * U + U / 2),
                    style,
                ));
            }
        }
        chart.draw_series(texts)?;
        Ok(())
    }
}

/// A vertical colour bar of the viridis scale from `lo` (bottom) to `hi`.
fn colour_bar(area: &Area, (lo, hi): (f64, f64), desc: &str, height: u32) -> Drawn {
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let area = area.clone().shrink((0, 16), (COLOUR_BAR, height.min(360)));
    let mut chart = ChartBuilder::on(&area)
        .margin_bottom(8)
        .right_y_label_area_size(54)
        .build_cartesian_2d(0f64..1f64, lo..hi)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&|v| {
            if hi - lo >= 5.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        })
        .y_label_style(font(11.0))
        .y_desc(desc)
        .axis_desc_style(font(12.0))
        .draw()?;
    let steps = 60;
    let step = (hi - lo) / steps as f64;
    chart.draw_series((0..steps).map(|k| {
        let y = lo + k as f64 * step;
        Rectangle::new(
            [(0.0, y), (1.0, y + step)],
            viridis(k as f64 / (steps - 1) as f64).filled(),
        )
    }))?;
    Ok(())
}

/// A scatter plot of samples on two axes, each point labelled with its
/// sample name where the label does not cover another.
pub fn scatter(
    figure: &'static str,
    samples: &[String],
    points: &[(f64, f64)],
    (x_desc, y_desc): (&str, &str),
) -> Result<String> {
    let span = |f: fn(&(f64, f64)) -> f64| {
        let (lo, hi) = points
            .iter()
            .map(f)
            .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let pad = ((hi - lo) * 0.08).max(1e-6);
        (lo - pad)..(hi + pad)
    };
    let (xs, ys) = (span(|p| p.0), span(|p| p.1));
    let (xd, yd) = (
        axis_decimals(xs.end - xs.start),
        axis_decimals(ys.end - ys.start),
    );
    svg(figure, (WIDTH, 680), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(20)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(xs, ys)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| format!("{x:.xd$}"))
            .y_label_formatter(&|y| format!("{y:.yd$}"))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .label_style(font(12.0))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(font(13.0))
            .draw()?;
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, 5, OKABE_ITO[4].filled())),
        )?;
        let at: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(p)).collect();
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let bounds = (xr.start, yr.start, xr.end, yr.end);
        for (k, (label, style)) in place_labels(samples, &at, bounds).into_iter().enumerate() {
            if let Some((x, y)) = label {
                root.draw(&Text::new(samples[k].clone(), (x, y), style))?;
            }
        }
        Ok(())
    })
}

/// Decimals that tell apart the labels of an axis spanning `span` (plotters
/// puts about ten on it): none from 20 on, one from 2, and so on.
fn axis_decimals(span: f64) -> usize {
    if !(span.is_finite() && span > 0.0) {
        return 0;
    }
    (-(span / 10.0).log10().floor()).max(0.0) as usize
}

/// Offsets from a point to its label's anchor, in order of preference:
/// right, left, above, below, the diagonals, then the same further out.
const LABEL_SPOTS: [(i32, i32); 16] = [
    (8, 0),
    (-8, 0),
    (0, -8),
    (0, 8),
    (6, -6),
    (6, 6),
    (-6, -6),
    (-6, 6),
    (18, 0),
    (-18, 0),
    (0, -18),
    (0, 18),
    (13, -13),
    (13, 13),
    (-13, -13),
    (-13, 13),
];

/// The box (x0, y0, x1, y1) of a label of size `(w, h)` anchored at `at`.
fn label_box(at: (i32, i32), (w, h): (i32, i32), h_pos: HPos, v_pos: VPos) -> (i32, i32, i32, i32) {
    let x0 = match h_pos {
        HPos::Left => at.0,
        HPos::Right => at.0 - w,
        HPos::Center => at.0 - w / 2,
    };
    let y0 = match v_pos {
        VPos::Top => at.1,
        VPos::Bottom => at.1 - h,
        VPos::Center => at.1 - h / 2,
    };
    (x0, y0, x0 + w, y0 + h)
}

/// Where each point's label goes (pixel anchor and style): right of the
/// point, else left, above or below, the first place inside `bounds` (x0,
/// y0, x1, y1) that covers no earlier label and no point; a label with no
/// free place is left out (its point stays).
fn place_labels(
    labels: &[String],
    at: &[(i32, i32)],
    bounds: (i32, i32, i32, i32),
) -> Vec<(Option<(i32, i32)>, TextStyle<'static>)> {
    let px = 11.5;
    let mut taken: Vec<(i32, i32, i32, i32)> = at
        .iter()
        .map(|&(x, y)| (x - 5, y - 5, x + 5, y + 5))
        .collect();
    let overlaps = |b: &(i32, i32, i32, i32), t: &[(i32, i32, i32, i32)]| {
        t.iter()
            .any(|o| b.0 < o.2 && o.0 < b.2 && b.1 < o.3 && o.1 < b.3)
    };
    let mut out = Vec::with_capacity(labels.len());
    for (label, &(x, y)) in labels.iter().zip(at) {
        let (w, h) = (text_width(label, px) as i32, 14);
        let candidates = LABEL_SPOTS.iter().map(|&(dx, dy)| {
            let anchor = (x + dx, y + dy);
            let h_pos = match dx.signum() {
                1 => HPos::Left,
                -1 => HPos::Right,
                _ => HPos::Center,
            };
            let v_pos = match dy.signum() {
                1 => VPos::Top,
                -1 => VPos::Bottom,
                _ => VPos::Center,
            };
            (
                anchor,
                label_box(anchor, (w, h), h_pos, v_pos),
                h_pos,
                v_pos,
            )
        });
        let inside = |b: &(i32, i32, i32, i32)| {
            b.0 >= bounds.0 && b.1 >= bounds.1 && b.2 <= bounds.2 && b.3 <= bounds.3
        };
        let free = candidates
            .into_iter()
            .find(|c| inside(&c.1) && !overlaps(&c.1, &taken));
        match free {
            Some((anchor, bounds, h, v)) => {
                taken.push(bounds);
                out.push((Some(anchor), font(px).pos(Pos::new(h, v))));
            }
            None => out.push((None, font(px))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_colours_do_not_repeat_for_twice_the_palette() {
        let n = 2 * CLASS_COLOURS.len();
        let colours: std::collections::HashSet<(u8, u8, u8)> = (0..n)
            .map(|i| {
                let RGBColor(r, g, b) = class_colour(i);
                (r, g, b)
            })
            .collect();
        assert_eq!(colours.len(), n);
        assert_eq!(class_colour(0), CLASS_COLOURS[0]);
        assert_eq!(class_colour(2 * CLASS_COLOURS.len()), CLASS_COLOURS[0]);
    }

    #[test]
    fn long_legend_names_widen_the_column_then_are_cut() {
        assert_eq!(legend_width(["Mature miRNA", "Unassigned insert"]), LEGEND);
        let long = "compare_mirtrace_tRNAdb_tRNA";
        let w = legend_width([long]);
        assert!(w > LEGEND && w <= LEGEND_MAX, "{w}");
        assert_eq!(fit(long, legend_room(w), 12.0), long);
        assert_eq!(legend_width(["x".repeat(200).as_str()]), LEGEND_MAX);
        let cut = fit(&"x".repeat(200), 100, 12.0);
        assert!(cut.ends_with('…') && text_width(&cut, 12.0) <= 100, "{cut}");
    }

    #[test]
    fn axis_labels_have_the_decimals_their_span_needs() {
        assert_eq!(axis_decimals(85.0), 0);
        assert_eq!(axis_decimals(20.0), 0);
        assert_eq!(axis_decimals(6.2), 1);
        assert_eq!(axis_decimals(0.8), 2);
        assert_eq!(axis_decimals(0.0), 0);
    }

    #[test]
    fn shares_print_one_way_zero_included() {
        let printed: Vec<String> = [0.0, 0.01, 0.05, 3.31, 9.96, 45.3]
            .into_iter()
            .map(share_text)
            .collect();
        assert_eq!(printed, ["0", "<0.1", "0.1", "3.3", "10", "45"]);
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xfd, 0xe7, 0x25));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(0.5), RGBColor(0x21, 0x91, 0x8c));
    }

    #[test]
    fn labels_that_would_cover_each_other_move_or_go() {
        let labels: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        // five points on one spot: each label finds its own place
        let all = (0, 0, 1000, 1000);
        let placed = place_labels(&labels, &[(100, 100); 5], all);
        assert!(placed.iter().all(|p| p.0.is_some()));
        assert_eq!(placed[1].0, Some((92, 100)));
        // twenty: some are left out
        let many: Vec<String> = (0..20).map(|i| format!("sample{i}")).collect();
        let placed = place_labels(&many, &[(100, 100); 20], all);
        assert!(placed.iter().any(|p| p.0.is_none()));
        // far apart: all to the right of their points
        let placed = place_labels(&labels[..2], &[(100, 100), (500, 500)], all);
        assert_eq!(placed[0].0, Some((108, 100)));
        assert_eq!(placed[1].0, Some((508, 500)));
        // at the right edge: to the left
        let placed = place_labels(&labels[..1], &[(995, 500)], all);
        assert_eq!(placed[0].0, Some((987, 500)));
    }
}
