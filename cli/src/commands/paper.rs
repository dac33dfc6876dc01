//! `bpfprove paper`: renders the write-up from its Markdown source and the results that
//! `paper/build` gathered (`bpfprove_bench::paper`); here only reading and writing files.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use bpfprove_bench::format::read_csv;
use bpfprove_bench::paper::data::{DomainCheck, Measured, ScaleFigures, read_records};
use bpfprove_bench::paper::{self, Inputs};
use clap::Args;

use crate::Outcome;
use crate::input::read_text;
use crate::output::{outln, write_file};

/// Arguments of `bpfprove paper`.
#[derive(Args)]
pub(crate) struct PaperArgs {
    /// The Markdown source, with `{{value:KEY}}`, `{{table:NAME}}` and `{{figure:NAME}}`
    /// directives.
    source: PathBuf,
    /// The results: `bench-SUITE.csv` (`bench -o csv`) per suite, `domains.csv`
    /// (`prove-domains --csv`), `scale.csv` (`scale --csv`) and `measured.csv` (`key,value`
    /// lines from other commands' summaries).
    #[arg(long)]
    data: PathBuf,
    /// Where to write `paper.html`, the expanded `paper.md`, `tables/`, `figures/` and
    /// `values.json`.
    #[arg(long)]
    out: PathBuf,
    /// The suites in the order the tables list them (default: every `bench-*.csv`,
    /// alphabetically).
    #[arg(long, value_delimiter = ',')]
    suites: Vec<String>,
    /// The page's title.
    #[arg(long, default_value = "bpfprove")]
    title: String,
}

/// Runs `bpfprove paper`.
pub(crate) fn paper(args: PaperArgs) -> Result<Outcome> {
    let inputs = read_inputs(&args.data, &args.suites)?;
    let source = read_text(&args.source)?;
    let built = paper::build(&args.title, &source, &inputs).with_context(|| args.source.display().to_string())?;
    for dir in ["tables", "figures"] {
        let path = args.out.join(dir);
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
    }
    for (name, table) in &built.generated.tables {
        write_file(&args.out.join("tables").join(format!("{name}.md")), table)?;
    }
    for (name, svg) in &built.figures {
        write_file(&args.out.join("figures").join(format!("{name}.svg")), svg)?;
    }
    write_file(&args.out.join("values.json"), serde_json::to_string_pretty(&built.generated.values)? + "\n")?;
    write_file(&args.out.join("paper.md"), &built.markdown)?;
    let page = args.out.join("paper.html");
    write_file(&page, &built.html)?;
    outln!(
        "{}: {} tables, {} figures, {} values from {} suites",
        page.display(),
        built.generated.tables.len(),
        built.figures.len(),
        built.generated.values.len(),
        inputs.suites.len()
    )?;
    Ok(Outcome::Success)
}

fn read_inputs(data: &Path, suites: &[String]) -> Result<Inputs> {
    let suites = if suites.is_empty() { suites_in(data)? } else { suites.to_vec() };
    let mut inputs = Inputs::default();
    for suite in suites {
        let path = data.join(format!("bench-{suite}.csv"));
        let rows = read_csv(&path.display().to_string(), &read_text(&path)?)?;
        inputs.suites.push((suite, rows));
    }
    let domains = data.join("domains.csv");
    if domains.exists() {
        inputs.domain_checks = read_records::<DomainCheck>(&domains.display().to_string(), &read_text(&domains)?)?;
    }
    let measured = data.join("measured.csv");
    if measured.exists() {
        inputs.measured = read_records::<Measured>(&measured.display().to_string(), &read_text(&measured)?)?;
    }
    let scale = data.join("scale.csv");
    if scale.exists() {
        inputs.scale = read_records::<ScaleFigures>(&scale.display().to_string(), &read_text(&scale)?)?;
    }
    Ok(inputs)
}

/// The suites with a `bench-SUITE.csv` in `data`, alphabetically.
fn suites_in(data: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(data).with_context(|| format!("cannot read {}", data.display()))?;
    let mut suites = Vec::new();
    for entry in entries {
        let name = entry.with_context(|| format!("cannot read {}", data.display()))?.file_name();
        let name = name.to_string_lossy();
        if let Some(suite) = name.strip_prefix("bench-").and_then(|rest| rest.strip_suffix(".csv")) {
            suites.push(suite.to_owned());
        }
    }
    if suites.is_empty() {
        bail!("{}: no bench-SUITE.csv results", data.display());
    }
    suites.sort();
    Ok(suites)
}
