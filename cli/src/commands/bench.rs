//! `bpfprove bench`: verifiers compared on suites of objects (the `bpfprove-bench` crate);
//! here only arguments, file IO, the progress bar and printing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bpfprove_analyzer::Config;
use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_bench::filter::{self, Filter};
use bpfprove_bench::format::OutputFormat;
use bpfprove_bench::row::{Column, Row};
use bpfprove_bench::run::{self, BenchConfig};
use bpfprove_bench::suite::{Shard, SuiteFile};
use bpfprove_bench::verifier::VerifierKind;
use bpfprove_bench::{compare, format, merge, plots, precision, prevail};
use bpfprove_domains::DomainKind;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::Outcome;
use crate::input;
use crate::output::{note, out};

/// `-o`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    /// Aligned columns.
    Table,
    /// veristat-compatible CSV.
    Csv,
    /// A JSON array.
    Json,
}

/// Arguments of `bpfprove bench`.
#[derive(Args)]
pub(crate) struct BenchArgs {
    /// Object files, and directories searched (recursively) for `*.o`; with --compare or
    /// --merge, CSV files of earlier runs.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Verifiers, comma-separated: domains (interval, signed-interval, tnum, product, cnum;
    /// zone, zone-z3, eq, product(DOMAIN,C) and product(DOMAIN,C,eq) for C zone or zone-z3,
    /// product(DOMAIN,eq)), the running kernel's verifier (kernel) and PREVAIL (prevail).
    #[arg(long, default_value = "interval,signed-interval,tnum,product")]
    domain: String,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long)]
    jobs: Option<usize>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputArg::Table)]
    output: OutputArg,
    /// Columns to show, comma-separated (`*` for all): file_name, prog_name, domain,
    /// verdict, duration, total_insns, total_states, peak_states, mem_peak_kib, proven,
    /// obligations, by_kind, first_failure, reason.
    #[arg(short = 'e', long)]
    emit: Option<String>,
    /// Filters in veristat's syntax, repeatable: globs on names (`xdp*`, `file/prog`),
    /// comparisons (`verdict=failure`, `total_insns>1000`, `domain=tnum`), `!` to deny.
    #[arg(short = 'f', long = "filter")]
    filters: Vec<String>,
    /// Run only the K-th of N deterministic slices of the programs (e.g. 2/4).
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// The paths are CSV results of shards: print them as one run.
    #[arg(long, conflicts_with_all = ["compare", "precision"])]
    merge: bool,
    /// The two paths are CSV results A and B: print them side by side with differences
    /// (veristat's -C).
    #[arg(short = 'C', long, conflicts_with = "precision")]
    compare: bool,
    /// Instead of rows, report which obligations domain A proves and B does not and back
    /// (`A,B`), per program and over the suite.
    #[arg(long, value_name = "A,B")]
    precision: Option<String>,
    /// Examples per program in the precision report.
    #[arg(long, default_value_t = 3)]
    examples: usize,
    /// Write SVG plots (acceptance, cactus, scatter of the first two verifiers) here; with
    /// --merge, of the merged results.
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
    /// Time limit per program and domain, in seconds.
    #[arg(long, default_value_t = 60)]
    time_limit: u64,
    /// Most instruction visits per program and domain.
    #[arg(long, default_value_t = 5_000_000)]
    max_visits: u64,
}

/// Runs `bpfprove bench`.
pub(crate) fn bench(args: BenchArgs) -> Result<Outcome> {
    let format = match args.output {
        OutputArg::Table => OutputFormat::Table,
        OutputArg::Csv => OutputFormat::Csv,
        OutputArg::Json => OutputFormat::Json,
    };
    let filters = args.filters.iter().map(|f| Filter::parse(f)).collect::<Result<Vec<_>, _>>()?;
    let emit = args.emit.as_deref().map(Column::parse_list).transpose()?;
    if args.compare {
        let [a, b] = args.paths.as_slice() else { bail!("--compare takes two CSV files, A and B") };
        let (a, b) = (read_results(a, &[])?, read_results(b, &[])?);
        let columns = emit.unwrap_or_else(|| Column::TABLE.to_vec());
        let mut comparison = compare::join(&a, &b, &columns)?;
        comparison.retain(|row| filter::keep(&filters, row));
        let text = match format {
            OutputFormat::Csv => comparison.csv(),
            OutputFormat::Table => comparison.table(),
            OutputFormat::Json => bail!("--compare prints a table or CSV"),
        };
        out!("{text}")?;
        return Ok(Outcome::Success);
    }
    if args.merge {
        let shards = args.paths.iter().map(|p| read_results(p, &filters)).collect::<Result<Vec<_>>>()?;
        let rows = merge::merge(shards)?;
        let mut names: Vec<String> = Vec::new();
        for row in &rows {
            if !names.contains(&row.domain) {
                names.push(row.domain.clone());
            }
        }
        if let Some(dir) = &args.plots {
            write_plots(dir, &rows, &names)?;
        }
        let summary = format::acceptance_summary(&rows, &names);
        print_rows(&rows, format, emit, Some(summary.trim_end()))?;
        return Ok(Outcome::Success);
    }
    let mut verifiers = VerifierKind::parse_list(&args.domain)?;
    let precision_pair = match &args.precision {
        Some(pair) => {
            let pair = VerifierKind::parse_list(pair)?;
            let [VerifierKind::Domain(a), VerifierKind::Domain(b)] = pair.as_slice() else {
                bail!("--precision takes two domains, e.g. interval,product");
            };
            // The precision report runs what it needs: the two domains, and the product's
            // components to credit the product's proofs.
            verifiers = vec![VerifierKind::Domain(*a), VerifierKind::Domain(*b)];
            if pair.contains(&VerifierKind::Domain(DomainSpec::plain(DomainKind::Product))) {
                for component in [DomainKind::Interval, DomainKind::Tnum] {
                    if !verifiers.contains(&VerifierKind::Domain(DomainSpec::plain(component))) {
                        verifiers.push(VerifierKind::Domain(DomainSpec::plain(component)));
                    }
                }
            }
            Some((a.to_string(), b.to_string()))
        }
        None => None,
    };
    let files = collect_files(&args.paths)?;
    let config = BenchConfig {
        jobs: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        shard: args.shard.as_deref().map(Shard::parse).transpose()?,
        analysis: Config {
            max_visits: args.max_visits,
            time_limit: Some(Duration::from_secs(args.time_limit)),
            ..Config::standard(DomainKind::Product)
        },
        prevail: verifiers.contains(&VerifierKind::Prevail).then(prevail::find_binary).flatten(),
        keep_obligations: precision_pair.is_some(),
        verifiers: verifiers.clone(),
    };
    let plan = run::plan(&files, config.shard);
    for (file, why) in &plan.skipped_files {
        note(format_args!("{file}: skipped: {why}"));
    }
    let progress = ProgressBar::new((plan.programs() * verifiers.len()) as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} analyses, {elapsed} elapsed, ~{eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = run::execute(&plan, &config, &|| progress.inc(1));
    progress.finish_and_clear();
    if let Some((a, b)) = precision_pair {
        out!("{}", precision::report(&result.obligations, &a, &b, args.examples))?;
        return Ok(Outcome::Success);
    }
    let mut rows: Vec<Row> = result.rows;
    merge::sort(&mut rows);
    if let Some(dir) = &args.plots {
        let names: Vec<String> = verifiers.iter().map(|v| v.name().to_owned()).collect();
        write_plots(dir, &rows, &names)?;
    }
    rows.retain(|r| filter::keep(&filters, r));
    let names: Vec<String> = verifiers.iter().map(|v| v.name().to_owned()).collect();
    let summary = format!(
        "Done. Processed {} files, {} programs. Skipped {} files, 0 programs.\n{}",
        plan.files(),
        plan.programs(),
        plan.skipped_files.len(),
        format::acceptance_summary(&rows, &names).trim_end()
    );
    print_rows(&rows, format, emit, Some(&summary))?;
    Ok(Outcome::Success)
}

fn print_rows(rows: &[Row], format: OutputFormat, emit: Option<Vec<Column>>, summary: Option<&str>) -> Result<()> {
    let columns = emit.unwrap_or_else(|| match format {
        OutputFormat::Table => Column::TABLE.to_vec(),
        OutputFormat::Csv | OutputFormat::Json => Column::ALL.to_vec(),
    });
    out!("{}", format.rows(rows, &columns))?;
    if let (OutputFormat::Table, Some(summary)) = (format, summary) {
        out!("{summary}\n")?;
    }
    Ok(())
}

fn read_results(path: &Path, filters: &[Filter]) -> Result<Vec<Row>> {
    let text = input::read_text(path)?;
    let mut rows = format::read_csv(&path.display().to_string(), &text)?;
    rows.retain(|r| filter::keep(filters, r));
    Ok(rows)
}

/// Every `.o` under the paths (directories recursively, in name order), named relative to
/// the directory's parent so the suite (the directory's name) leads the name.
fn collect_files(paths: &[PathBuf]) -> Result<Vec<SuiteFile>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let base = path.parent().unwrap_or(Path::new(""));
            let mut pending = vec![path.clone()];
            while let Some(dir) = pending.pop() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .with_context(|| format!("cannot read directory {}", dir.display()))?
                    .map(|e| e.map(|e| e.path()))
                    .collect::<Result<_, _>>()
                    .with_context(|| format!("cannot read directory {}", dir.display()))?;
                entries.sort();
                for entry in entries {
                    if entry.is_dir() {
                        pending.push(entry);
                    } else if entry.extension().is_some_and(|e| e == "o") {
                        let name = entry.strip_prefix(base).unwrap_or(&entry).display().to_string();
                        files.push(SuiteFile { name, bytes: input::read_bytes(&entry)?, path: entry });
                    }
                }
            }
        } else {
            files.push(SuiteFile {
                name: path.display().to_string(),
                bytes: input::read_bytes(path)?,
                path: path.clone(),
            });
        }
    }
    if files.is_empty() {
        bail!("no .o files under {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok(files)
}

fn write_plots(dir: &Path, rows: &[Row], verifiers: &[String]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, svg) in plots::all(rows, verifiers)? {
        let path = dir.join(name);
        crate::output::write_file(&path, svg)?;
    }
    Ok(())
}
