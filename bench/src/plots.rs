//! SVG plots of a run, as text (the caller writes the files):
//! - `acceptance-SUITE.svg`: programs accepted per verifier, one chart per suite (the first
//!   directory of the file names) and one for all;
//! - `cactus.svg`: for each verifier, programs verified (x) against the time the slowest of
//!   them took (y): the usual cactus plot, where lower and further right is better;
//! - `scatter-A-B.svg`: per program, A's time against B's, log-log, with the diagonal.

use std::collections::{BTreeMap, BTreeSet};

use plotters::prelude::*;

use crate::error::BenchError;
use crate::row::Row;

const SIZE: (u32, u32) = (900, 540);

/// Every plot of `rows`: (file name, SVG text). `verifiers` gives the column order and the
/// first two are the scatter's A and B.
pub fn all(rows: &[Row], verifiers: &[String]) -> Result<Vec<(String, String)>, BenchError> {
    let mut out = Vec::new();
    let mut suites: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        suites.entry(suite_of(&row.file_name)).or_default().push(row);
        suites.entry("all".to_owned()).or_default().push(row);
    }
    for (suite, rows) in &suites {
        out.push((format!("acceptance-{suite}.svg"), acceptance(suite, rows, verifiers)?));
    }
    out.push(("cactus.svg".to_owned(), cactus(rows, verifiers)?));
    if let [a, b, ..] = verifiers {
        out.push((format!("scatter-{a}-{b}.svg"), scatter(rows, a, b)?));
    }
    Ok(out)
}

/// The suite a file belongs to: the first component of its name.
pub fn suite_of(file_name: &str) -> String {
    match file_name.split_once('/') {
        Some((first, _)) => first.to_owned(),
        None => ".".to_owned(),
    }
}

fn failed(plot: &str) -> impl Fn(String) -> BenchError + '_ {
    move |reason| BenchError::Plot { plot: plot.to_owned(), reason }
}

/// Bars: programs accepted / run, per verifier (rows without a verdict are not run).
fn acceptance(suite: &str, rows: &[&Row], verifiers: &[String]) -> Result<String, BenchError> {
    let error = failed("acceptance");
    let counts: Vec<(String, usize, usize)> = verifiers
        .iter()
        .map(|v| {
            let ran: Vec<&&Row> = rows.iter().filter(|r| &r.domain == v && r.verdict.is_some()).collect();
            let accepted = ran.iter().filter(|r| r.verdict == Some(true)).count();
            (v.clone(), accepted, ran.len())
        })
        .collect();
    let most = counts.iter().map(|c| c.2).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| error(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Programs accepted per verifier ({suite})"), ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5f64..counts.len() as f64 - 0.5, 0f64..most * 1.15)
            .map_err(|e| error(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("programs")
            .draw()
            .map_err(|e| error(e.to_string()))?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, (_, accepted, _))| {
                let x = i as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, *accepted as f64)], Palette99::pick(i).filled())
            }))
            .map_err(|e| error(e.to_string()))?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, (name, accepted, ran))| {
                Text::new(
                    format!("{name} {accepted}/{ran}"),
                    (i as f64 - 0.35, *accepted as f64 + most * 0.03),
                    ("sans-serif", 15),
                )
            }))
            .map_err(|e| error(e.to_string()))?;
        root.present().map_err(|e| error(e.to_string()))?;
    }
    Ok(svg)
}

/// Per verifier, the times of the accepted programs in increasing order: point k is (k,
/// time of the k-th fastest), in milliseconds on a log axis (times span five decades).
fn cactus(rows: &[Row], verifiers: &[String]) -> Result<String, BenchError> {
    let error = failed("cactus");
    let series: Vec<(String, Vec<(f64, f64)>)> = verifiers
        .iter()
        .map(|v| {
            let mut times: Vec<f64> = rows
                .iter()
                .filter(|r| &r.domain == v && r.verdict == Some(true))
                .filter_map(|r| r.duration)
                // Log axes need positive values: a time under a microsecond is drawn at one.
                .map(|us| (us as f64 / 1000.0).max(0.001))
                .collect();
            times.sort_by(f64::total_cmp);
            (v.clone(), times.into_iter().enumerate().map(|(k, t)| ((k + 1) as f64, t)).collect())
        })
        .collect();
    let most_programs = series.iter().map(|(_, s)| s.len()).max().unwrap_or(0).max(1) as f64;
    let slowest = series.iter().flat_map(|(_, s)| s.iter().map(|p| p.1)).fold(0.001f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| error(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Programs verified against time", ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..most_programs + 1.0, (0.001f64..slowest * 2.0).log_scale())
            .map_err(|e| error(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("programs verified")
            .y_desc("time per program (ms)")
            .draw()
            .map_err(|e| error(e.to_string()))?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = Palette99::pick(i);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
                .map_err(|e| error(e.to_string()))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], Palette99::pick(i).stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| error(e.to_string()))?;
        root.present().map_err(|e| error(e.to_string()))?;
    }
    Ok(svg)
}

/// A's time (x) against B's (y) per program both ran, in milliseconds, log-log.
fn scatter(rows: &[Row], a: &str, b: &str) -> Result<String, BenchError> {
    let error = failed("scatter");
    let times = |verifier: &str| -> BTreeMap<(String, String), f64> {
        rows.iter()
            .filter(|r| r.domain == verifier)
            .filter_map(|r| Some(((r.file_name.clone(), r.prog_name.clone()), r.duration? as f64 / 1000.0)))
            .collect()
    };
    let (in_a, in_b) = (times(a), times(b));
    let keys: BTreeSet<&(String, String)> = in_a.keys().filter(|k| in_b.contains_key(*k)).collect();
    // Log axes need positive values: a time under a microsecond is drawn at one.
    let floor = 0.001f64;
    let points: Vec<(f64, f64)> = keys.iter().map(|k| (in_a[*k].max(floor), in_b[*k].max(floor))).collect();
    let top = points.iter().flat_map(|&(x, y)| [x, y]).fold(1.0f64, f64::max) * 2.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| error(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Time per program: {a} against {b} (ms)"), ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((floor..top).log_scale(), (floor..top).log_scale())
            .map_err(|e| error(e.to_string()))?;
        chart.configure_mesh().x_desc(a).y_desc(b).draw().map_err(|e| error(e.to_string()))?;
        chart
            .draw_series(LineSeries::new([(floor, floor), (top, top)], BLACK.mix(0.4)))
            .map_err(|e| error(e.to_string()))?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
            .map_err(|e| error(e.to_string()))?;
        root.present().map_err(|e| error(e.to_string()))?;
    }
    Ok(svg)
}
