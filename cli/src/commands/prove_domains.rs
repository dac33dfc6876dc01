//! `bpfprove prove-domains`: the domains' soundness (and precision) tables.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use bpfprove_analyzer::zone_facts::{self, FactVerdict};
use bpfprove_bench::paper::data::{DomainCheck, write_records};
use bpfprove_domains::DomainKind;
use bpfprove_domains::check::exhaustive::WIDTHS;
use bpfprove_domains::check::lemma::Lemma;
use bpfprove_domains::check::report::{
    self, ExhaustiveConfig, PrecisionTable, ProductProof, Progress, Row, SymbolicConfig, Table,
};
use bpfprove_domains::check::symbolic::Verdict as LemmaVerdict;
use clap::Args;

use crate::Outcome;
use crate::output::{outln, write_file};

/// Arguments of `bpfprove prove-domains`.
#[derive(Args)]
pub(crate) struct ProveDomainsArgs {
    /// Word width of the exhaustive check (2..=8); the precision table defaults to 8.
    #[arg(long)]
    width: Option<u32>,
    /// Prove with Z3 at 64 bits (falling back to 32, 16, 8, 4 bits on time-outs) instead;
    /// the product by composition of lemmas, each proven on its own.
    #[arg(long)]
    z3: bool,
    /// Also measure precision: the share of operand pairs whose result is the best
    /// abstraction of the exact results (at 8 bits unless --width says otherwise).
    #[arg(long)]
    precision: bool,
    /// Check only this domain (repeatable): interval, signed-interval, tnum, product, cnum,
    /// or zone (with --z3: the facts the zone rules rest on, the zone's rows). Without it,
    /// every value domain, and with --z3 the zone's rows too.
    #[arg(long = "domain", value_parser = parse_checked)]
    domains: Vec<Checked>,
    /// Time limit of each Z3 query, in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Time limit of each Z3 query about a lemma of the product's composition, in seconds.
    #[arg(long, default_value_t = 120)]
    lemma_timeout: u64,
    /// With --z3, prove the product's operations whole (feasible at small widths only)
    /// instead of by composition of lemmas.
    #[arg(long)]
    whole_product: bool,
    /// Abstract values per domain before the exhaustive check samples (intervals, tnums).
    #[arg(long, default_value_t = 2080)]
    values: usize,
    /// Sampled product values in the exhaustive check.
    #[arg(long, default_value_t = 400)]
    products: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Also write the rows as CSV here (operation, domain, outcome, width, pairs, seconds),
    /// as `bpfprove paper` reads them.
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// What `--domain` selects: a value domain's operations, or the zone's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checked {
    Values(DomainKind),
    Zone,
}

fn parse_checked(name: &str) -> Result<Checked, String> {
    if name == "zone" {
        return Ok(Checked::Zone);
    }
    name.parse::<DomainKind>().map(Checked::Values).map_err(|e| format!("{e} (or zone)"))
}

pub(crate) fn prove_domains(args: ProveDomainsArgs) -> Result<Outcome> {
    let selected: Vec<DomainKind> =
        args.domains.iter().filter_map(|c| if let Checked::Values(d) = c { Some(*d) } else { None }).collect();
    let zone_rows = args.domains.is_empty() || args.domains.contains(&Checked::Zone);
    if args.domains.contains(&Checked::Zone) && !args.z3 {
        bail!("the zone's rows are proven with Z3: add --z3");
    }
    let mut checks: Vec<DomainCheck> = Vec::new();
    let mut unsound = 0;
    // Value domains: those named, or every one when none is (`--domain zone` alone names none).
    if args.domains.is_empty() || !selected.is_empty() {
        let domains = if selected.is_empty() { DomainKind::ALL.to_vec() } else { selected };
        let table = value_table(&args, domains)?;
        outln!("{table}")?;
        checks.extend(table.rows.iter().map(DomainCheck::of));
        unsound += table.unsound();
    }
    if args.z3 && zone_rows {
        let zone = prove_zone_facts(Duration::from_secs(args.timeout))?;
        unsound += zone.iter().filter(|c| c.outcome == "unsound").count();
        checks.extend(zone);
    }
    if let Some(path) = &args.csv {
        write_file(path, &write_records(&checks)?)?;
    }
    Ok(if unsound == 0 { Outcome::Success } else { Outcome::Failed })
}

/// The value domains' table: proven with Z3, checked exhaustively, or (with --precision)
/// measured for precision, with each row's progress on stderr.
fn value_table(args: &ProveDomainsArgs, domains: Vec<DomainKind>) -> Result<Table> {
    // One row per (operation, domain); both modes check the same operations.
    let total = domains.len() * ExhaustiveConfig::standard(WIDTHS.start().to_owned()).operations.len();
    let mut done = 0;
    let mut progress = |row: &Row| {
        done += 1;
        let mut stderr = std::io::stderr().lock();
        // Progress is best effort: a closed stderr must not stop the run.
        let _ = writeln!(
            stderr,
            "[{done}/{total}] {} {} {} ({:.2}s)",
            row.operation,
            row.domain,
            row.verdict,
            row.time.as_secs_f64()
        );
    };
    let mut lemmas = 0;
    let mut lemma_progress = |lemma: Lemma, width: u32, verdict: &LemmaVerdict, seconds: f64| {
        lemmas += 1;
        let verdict = match verdict {
            LemmaVerdict::Proven => "proven".to_owned(),
            LemmaVerdict::Unsound(witness) => format!("UNSOUND({witness})"),
            LemmaVerdict::Unknown(reason) => format!("unknown({reason})"),
        };
        let _ =
            writeln!(std::io::stderr().lock(), "[lemma {lemmas}] {lemma} at {width} bits: {verdict} ({seconds:.2}s)");
    };
    Ok(if args.z3 {
        let config = SymbolicConfig {
            domains,
            timeout: Duration::from_secs(args.timeout),
            lemma_timeout: Duration::from_secs(args.lemma_timeout),
            threads: args.threads,
            product: if args.whole_product { ProductProof::Whole } else { ProductProof::Composition },
            ..SymbolicConfig::standard()
        };
        report::prove_symbolic(&config, &mut |event| match event {
            Progress::Row(row) => progress(row),
            Progress::Lemma(row) => lemma_progress(row.lemma, row.width, &row.verdict, row.time.as_secs_f64()),
        })
    } else {
        let width = args.width.unwrap_or(if args.precision { 8 } else { 6 });
        if !WIDTHS.contains(&width) {
            bail!("--width must be between {} and {}, not {width}", WIDTHS.start(), WIDTHS.end());
        }
        let config = ExhaustiveConfig {
            domains,
            value_limit: args.values,
            product_sample: args.products,
            threads: args.threads,
            ..ExhaustiveConfig::standard(width)
        };
        if args.precision {
            let table = report::measure_precision(&config, &mut progress);
            outln!("precision at {width} bits (share of each domain's operand pairs given its own best result):")?;
            outln!("{}\n", PrecisionTable(&table))?;
            table
        } else {
            report::prove_exhaustive(&config, &mut progress)
        }
    })
}

/// The zone's rows: each fact its rules rest on, proven by Z3 at 64 bits
/// (`analyzer::zone_facts`); zone-z3's transfers need none (Z3 computes them).
fn prove_zone_facts(timeout: Duration) -> Result<Vec<DomainCheck>> {
    outln!("\nzone: the facts its rules rest on (Z3, 64 bits)")?;
    let mut checks = Vec::new();
    for fact in zone_facts::facts() {
        let (verdict, time) = fact.prove(timeout);
        outln!("  {}: {verdict} ({:.2}s)", fact.name, time.as_secs_f64())?;
        let outcome = match verdict {
            FactVerdict::Proven => "proven",
            FactVerdict::Refuted(_) => "unsound",
            FactVerdict::Unknown(_) => "unknown",
        };
        checks.push(DomainCheck {
            operation: fact.name,
            domain: "zone".to_owned(),
            outcome: outcome.to_owned(),
            width: (verdict == FactVerdict::Proven).then_some(64),
            pairs: 0,
            seconds: time.as_secs_f64(),
        });
    }
    Ok(checks)
}
