//! `bpfprove paper`: the write-up's tables, values and plots generated from bench results,
//! and its Markdown source rendered to HTML with every number taken from them.
//!
//! The inputs are what the commands write (`paper/build` runs them): `bench -o csv` per
//! suite, `prove-domains --csv` ([`data::DomainCheck`]), `scale --csv`
//! ([`data::ScaleFigures`]) and other commands' summary lines ([`data::Measured`]). [`build`] computes the tables and values ([`tables`]), draws
//! the plots ([`crate::plots`]) and expands the source's directives ([`render`]). The
//! caller reads the inputs and writes the outputs.

pub mod data;
pub mod render;
pub mod tables;

use std::collections::BTreeMap;

use crate::error::BenchError;
use crate::plots;
use crate::row::Row;
use data::{DomainCheck, Measured, ScaleFigures};
use tables::Generated;

/// Everything the paper is generated from.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Bench rows per suite (`corpus`, `relational`, `selftests`, …), in the order given.
    pub suites: Vec<(String, Vec<Row>)>,
    /// The rows of `prove-domains`.
    pub domain_checks: Vec<DomainCheck>,
    /// The workloads of `scale`.
    pub scale: Vec<ScaleFigures>,
    /// Summary figures of other commands (`measured.csv`).
    pub measured: Vec<Measured>,
}

/// The built paper: its HTML and every generated file it refers to.
#[derive(Clone, Debug)]
pub struct Paper {
    /// The page.
    pub html: String,
    /// The Markdown after expansion (what the page renders).
    pub markdown: String,
    /// Tables and values.
    pub generated: Generated,
    /// Plots by name (`acceptance-SUITE`, `cactus-SUITE`), as SVG text.
    pub figures: BTreeMap<String, String>,
}

/// Builds the paper from `source` (Markdown with directives, see [`render`]) and `inputs`.
pub fn build(title: &str, source: &str, inputs: &Inputs) -> Result<Paper, BenchError> {
    let generated = tables::generate(inputs);
    let figures = figures(inputs)?;
    let markdown = render::expand(source, &generated, &figures)?;
    Ok(Paper { html: render::html_page(title, &markdown), markdown, generated, figures })
}

/// Per suite, its acceptance bars and cactus plot.
fn figures(inputs: &Inputs) -> Result<BTreeMap<String, String>, BenchError> {
    let mut out = BTreeMap::new();
    for (suite, rows) in &inputs.suites {
        let verifiers = tables::verifiers(rows);
        for (name, svg) in plots::all(rows, &verifiers)? {
            let figure = match name.as_str() {
                "acceptance-all.svg" => format!("acceptance-{suite}"),
                "cactus.svg" => format!("cactus-{suite}"),
                _ => continue,
            };
            out.insert(figure, svg);
        }
    }
    Ok(out)
}
