//! The tables of `bpfprove prove-domains`: soundness (operation × domain × verdict × time)
//! and precision, computed by the checkers on worker threads.
//!
//! The CLI calls [`prove_exhaustive`], [`prove_symbolic`] or [`measure_precision`] and
//! prints the returned table; `Display` of a [`Table`] ends with `N checks, M unsound`.
//!
//! With Z3, the reduced product's rows are proven by composition (see
//! [`super::composition`]): its [`Lemma`]s are proven once each, at the widest width that
//! decides, and a product row is `proven-by-composition-at-W (k lemmas)` when all `k`
//! lemmas its code composes are proven at `W`. A lemma with a counterexample makes every
//! row that uses it UNSOUND, with the lemma's witness. The table lists the lemmas after
//! the rows.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bpfprove_semantics::word::Bits;

use super::composition;
use super::enumerate::{Enumerable, Population};
use super::exhaustive::{self, Measure};
use super::lemma::{self, Lemma};
use super::symbolic::{self, Verdict as SymbolicVerdict};
use super::{Cnums, Family, Intervals, Operation, Products, SignedIntervals, Tnums, Witness, WrappedIntervals};
use crate::any::DomainKind;

/// How one check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Sound for every input at 64 bits (Z3).
    Proven,
    /// Sound for every input at this width (Z3 or a complete exhaustive run).
    ProvenAtWidth(u32),
    /// Sound for every input at `width`, because every one of the `lemmas` the
    /// operation's code composes is (see [`super::composition`]).
    ProvenByComposition {
        /// The word width (64 for the machine).
        width: u32,
        /// How many lemmas the operation composes.
        lemmas: usize,
    },
    /// No counterexample among a sample of abstract values at this width (every concrete
    /// value of each sampled abstract value was checked).
    SampledAtWidth(u32),
    /// A counterexample.
    Unsound(Witness),
    /// Z3 gave up at every width tried.
    Unknown(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Proven => f.write_str("proven"),
            Verdict::ProvenAtWidth(width) => write!(f, "proven-at-width-{width}"),
            Verdict::ProvenByComposition { width, lemmas } => {
                write!(f, "proven-by-composition-at-{width} ({lemmas} lemmas)")
            }
            Verdict::SampledAtWidth(width) => write!(f, "sampled-at-width-{width}"),
            Verdict::Unsound(witness) => write!(f, "UNSOUND({witness})"),
            Verdict::Unknown(reason) => write!(f, "unknown({reason})"),
        }
    }
}

/// One line of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The operation checked.
    pub operation: Operation,
    /// The domain checked.
    pub domain: DomainKind,
    /// The result.
    pub verdict: Verdict,
    /// Abstract operand pairs enumerated (0 for Z3 checks).
    pub pairs: u64,
    /// Of those, pairs whose result was the best the domain can represent.
    pub precise: u64,
    /// Time taken.
    pub time: Duration,
}

impl Row {
    /// The share of precise pairs, if pairs were enumerated.
    pub fn precision(&self) -> Option<f64> {
        (self.pairs > 0).then(|| self.precise as f64 / self.pairs as f64)
    }
}

/// What Z3 said about one lemma at one width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LemmaRow {
    /// The lemma.
    pub lemma: Lemma,
    /// The word width it was checked at.
    pub width: u32,
    /// The result at that width.
    pub verdict: SymbolicVerdict,
    /// Time taken.
    pub time: Duration,
}

/// A row or a lemma, as a run finishes it.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// An operation of a domain.
    Row(&'a Row),
    /// A lemma of the product's composition.
    Lemma(&'a LemmaRow),
}

/// The rows of one run, in operation-then-domain order, and the lemmas the product's rows
/// were composed from (Z3 runs only), in the order they were checked.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Table {
    /// The rows.
    pub rows: Vec<Row>,
    /// The lemmas, each at every width it was checked at.
    pub lemmas: Vec<LemmaRow>,
}

impl Table {
    /// The number of unsound rows.
    pub fn unsound(&self) -> usize {
        self.rows.iter().filter(|row| matches!(row.verdict, Verdict::Unsound(_))).count()
    }

    /// The number of rows Z3 could not decide.
    pub fn unknown(&self) -> usize {
        self.rows.iter().filter(|row| matches!(row.verdict, Verdict::Unknown(_))).count()
    }
}

/// `operation domain result time`, then the lemmas (if any), then `N checks, M unsound`
/// (`N` counts the rows; a product row is one check however many lemmas it composes).
impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<12} {:<16} {:>10} {:>10}  result", "operation", "domain", "pairs", "time")?;
        for row in &self.rows {
            writeln!(
                f,
                "{:<12} {:<16} {:>10} {:>9.3}s  {}",
                row.operation.to_string(),
                row.domain.name(),
                row.pairs,
                row.time.as_secs_f64(),
                row.verdict
            )?;
        }
        if !self.lemmas.is_empty() {
            writeln!(f, "\nlemmas of the product's composition (each at the widths tried, widest first):")?;
            writeln!(f, "{:<24} {:>6} {:>10}  result", "lemma", "width", "time")?;
            for row in &self.lemmas {
                let verdict = match &row.verdict {
                    SymbolicVerdict::Proven => "proven".to_owned(),
                    SymbolicVerdict::Unsound(witness) => format!("UNSOUND({witness})"),
                    SymbolicVerdict::Unknown(reason) => format!("unknown({reason})"),
                };
                writeln!(
                    f,
                    "{:<24} {:>6} {:>9.3}s  {verdict}",
                    row.lemma.to_string(),
                    row.width,
                    row.time.as_secs_f64()
                )?;
            }
            let count =
                |wanted: fn(&SymbolicVerdict) -> bool| self.lemmas.iter().filter(|row| wanted(&row.verdict)).count();
            writeln!(
                f,
                "{} lemma checks: {} proven, {} unsound, {} undecided",
                self.lemmas.len(),
                count(|verdict| *verdict == SymbolicVerdict::Proven),
                count(|verdict| matches!(verdict, SymbolicVerdict::Unsound(_))),
                count(|verdict| matches!(verdict, SymbolicVerdict::Unknown(_))),
            )?;
        }
        let unknown = self.unknown();
        if unknown > 0 {
            writeln!(f, "{unknown} undecided by Z3")?;
        }
        write!(f, "{} checks, {} unsound", self.rows.len(), self.unsound())
    }
}

/// Settings of an exhaustive run.
#[derive(Clone, Debug)]
pub struct ExhaustiveConfig {
    /// Word width, 2..=8.
    pub width: u32,
    /// Domains to check.
    pub domains: Vec<DomainKind>,
    /// Operations to check.
    pub operations: Vec<Operation>,
    /// Largest number of abstract values per domain before sampling (intervals and tnums).
    pub value_limit: usize,
    /// Number of sampled values of the reduced products (`product` and `cnum`).
    pub product_sample: usize,
    /// Worker threads.
    pub threads: usize,
}

impl ExhaustiveConfig {
    /// Every domain and operation at `width`, all interval and tnum values up to 6 bits
    /// (2080 intervals, 729 tnums) and 400 sampled products, on two threads.
    pub fn standard(width: u32) -> ExhaustiveConfig {
        ExhaustiveConfig {
            width,
            domains: DomainKind::ALL.to_vec(),
            operations: Operation::all(),
            value_limit: 2080,
            product_sample: 400,
            threads: 2,
        }
    }
}

/// How a Z3 run proves the reduced product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductProof {
    /// By composition: its lemmas one by one (see [`super::composition`]).
    Composition,
    /// Each operation whole, as the other domains (feasible at small widths only).
    Whole,
}

/// Settings of a Z3 run.
#[derive(Clone, Debug)]
pub struct SymbolicConfig {
    /// Widths to try, widest first; the first one that decides counts.
    pub widths: Vec<u32>,
    /// Domains to prove.
    pub domains: Vec<DomainKind>,
    /// Operations to prove.
    pub operations: Vec<Operation>,
    /// Time limit of each Z3 query.
    pub timeout: Duration,
    /// Worker threads (each with its own Z3 context).
    pub threads: usize,
    /// How the product is proven.
    pub product: ProductProof,
    /// Time limit of each lemma query (lemmas are few and shared by many rows).
    pub lemma_timeout: Duration,
}

impl SymbolicConfig {
    /// Every domain and operation, at 64 bits, falling back to 32, 16, 8 and 4 bits where
    /// Z3 times out after 10 s per query, on two threads; the product by composition, with
    /// 120 s per lemma query (the joint bounds of sub64 and jeq64 take 40–50 s even on an
    /// idle machine, and a slower machine would otherwise fall back to 32 bits).
    pub fn standard() -> SymbolicConfig {
        SymbolicConfig {
            widths: vec![64, 32, 16, 8, 4],
            domains: DomainKind::ALL.to_vec(),
            operations: Operation::all(),
            timeout: Duration::from_secs(10),
            threads: 2,
            product: ProductProof::Composition,
            lemma_timeout: Duration::from_secs(120),
        }
    }
}

/// Runs `jobs` on `threads` workers, handing each finished result to `on_done` (on this
/// thread) and returning all results in job order.
fn run_jobs<J: Sync, T: Send>(
    jobs: &[J],
    threads: usize,
    work: impl Fn(&J) -> T + Sync,
    on_done: &mut dyn FnMut(&T),
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel();
    let mut rows: Vec<Option<T>> = std::iter::repeat_with(|| None).take(jobs.len()).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let sender = sender.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    if sender.send((index, work(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (index, row) in receiver {
            on_done(&row);
            rows[index] = Some(row);
        }
    });
    rows.into_iter().flatten().collect()
}

/// The populations of every domain at one width.
struct Populations {
    intervals: Population<<Intervals as Family>::Value<Bits>>,
    signed: Population<<SignedIntervals as Family>::Value<Bits>>,
    tnums: Population<<Tnums as Family>::Value<Bits>>,
    products: Population<<Products as Family>::Value<Bits>>,
    cnums: Population<<Cnums as Family>::Value<Bits>>,
}

impl Populations {
    fn new(width: u32, value_limit: usize, product_sample: usize) -> Populations {
        Populations {
            intervals: Enumerable::population(width, value_limit),
            signed: Enumerable::population(width, value_limit),
            tnums: Enumerable::population(width, value_limit),
            products: Enumerable::population(width, product_sample),
            cnums: Enumerable::population(width, product_sample),
        }
    }

    fn check(&self, domain: DomainKind, operation: Operation, width: u32, measure: Measure) -> Row {
        let start = Instant::now();
        let (outcome, complete) = match domain {
            DomainKind::Interval => {
                (exhaustive::check(operation, width, &self.intervals.values, measure), self.intervals.complete)
            }
            DomainKind::SignedInterval => {
                (exhaustive::check(operation, width, &self.signed.values, measure), self.signed.complete)
            }
            DomainKind::Tnum => (exhaustive::check(operation, width, &self.tnums.values, measure), self.tnums.complete),
            DomainKind::Product => {
                (exhaustive::check(operation, width, &self.products.values, measure), self.products.complete)
            }
            DomainKind::Cnum => (exhaustive::check(operation, width, &self.cnums.values, measure), self.cnums.complete),
        };
        let verdict = match outcome.unsound {
            Some(witness) => Verdict::Unsound(witness),
            None if complete => Verdict::ProvenAtWidth(width),
            None => Verdict::SampledAtWidth(width),
        };
        Row { operation, domain, verdict, pairs: outcome.pairs, precise: outcome.precise, time: start.elapsed() }
    }
}

fn jobs(domains: &[DomainKind], operations: &[Operation]) -> Vec<(Operation, DomainKind)> {
    operations.iter().flat_map(|&operation| domains.iter().map(move |&domain| (operation, domain))).collect()
}

/// Checks every operation of every domain exhaustively at `config.width` (see
/// [`exhaustive`]); `on_row` sees each row as it is finished.
///
/// # Panics
/// If `config.width` is outside [`exhaustive::WIDTHS`].
pub fn prove_exhaustive(config: &ExhaustiveConfig, on_row: &mut dyn FnMut(&Row)) -> Table {
    let populations = Populations::new(config.width, config.value_limit, config.product_sample);
    let work = |&(operation, domain): &(Operation, DomainKind)| {
        populations.check(domain, operation, config.width, Measure::SoundnessOnly)
    };
    Table {
        rows: run_jobs(&jobs(&config.domains, &config.operations), config.threads, work, on_row),
        lemmas: Vec::new(),
    }
}

/// Measures precision (and checks soundness) of every operation of every domain at
/// `config.width` (8 for the reported table): each row's `precise / pairs` is the share
/// of operand pairs whose result is the best abstraction of the exact results.
pub fn measure_precision(config: &ExhaustiveConfig, on_row: &mut dyn FnMut(&Row)) -> Table {
    let populations = Populations::new(config.width, config.value_limit, config.product_sample);
    let work = |&(operation, domain): &(Operation, DomainKind)| {
        populations.check(domain, operation, config.width, Measure::SoundnessAndPrecision)
    };
    Table {
        rows: run_jobs(&jobs(&config.domains, &config.operations), config.threads, work, on_row),
        lemmas: Vec::new(),
    }
}

fn prove_one<F: Family>(operation: Operation, config: &SymbolicConfig) -> Verdict {
    let mut reasons = Vec::new();
    for &width in &config.widths {
        match symbolic::prove::<F>(operation, width, config.timeout) {
            SymbolicVerdict::Proven if width == 64 => return Verdict::Proven,
            SymbolicVerdict::Proven => return Verdict::ProvenAtWidth(width),
            SymbolicVerdict::Unsound(witness) => return Verdict::Unsound(witness),
            SymbolicVerdict::Unknown(reason) => reasons.push(format!("{reason} at {width}")),
        }
    }
    Verdict::Unknown(reasons.join(", "))
}

/// The `cnum` row of a Z3 run. Z3 does not finish on whole `cnum` operations (a transfer
/// and the two reductions of `sync`) even at 4 bits, and its time limit does not stop it
/// there, so they are not tried (the exhaustive rows check them); the row proves the
/// operation of the wrapped intervals alone ([`WrappedIntervals`]) and stays undecided
/// unless that finds a counterexample.
fn prove_cnum_arcs(operation: Operation, config: &SymbolicConfig) -> Verdict {
    match prove_one::<WrappedIntervals>(operation, config) {
        Verdict::Unsound(witness) => Verdict::Unsound(witness),
        arcs => Verdict::Unknown(format!("whole operation not tried; its wrapped intervals: {arcs}")),
    }
}

/// Proves every operation of every domain with Z3 at the widest width of
/// `config.widths` that Z3 decides within the time limit; the product by composition
/// unless `config.product` says otherwise. `on_progress` sees each row and lemma as it is
/// finished.
pub fn prove_symbolic(config: &SymbolicConfig, on_progress: &mut dyn FnMut(Progress<'_>)) -> Table {
    let composed = config.product == ProductProof::Composition;
    let whole: Vec<DomainKind> =
        config.domains.iter().copied().filter(|&domain| !(composed && domain == DomainKind::Product)).collect();
    let work = |&(operation, domain): &(Operation, DomainKind)| {
        let start = Instant::now();
        let verdict = match domain {
            DomainKind::Interval => prove_one::<Intervals>(operation, config),
            DomainKind::SignedInterval => prove_one::<SignedIntervals>(operation, config),
            DomainKind::Tnum => prove_one::<Tnums>(operation, config),
            DomainKind::Product => prove_one::<Products>(operation, config),
            DomainKind::Cnum => prove_cnum_arcs(operation, config),
        };
        Row { operation, domain, verdict, pairs: 0, precise: 0, time: start.elapsed() }
    };
    let mut rows = run_jobs(&jobs(&whole, &config.operations), config.threads, work, &mut |row| {
        on_progress(Progress::Row(row));
    });
    let mut lemmas = Vec::new();
    if composed && config.domains.contains(&DomainKind::Product) {
        let (product_rows, lemma_rows) = prove_by_composition(config, on_progress);
        rows.extend(product_rows);
        lemmas = lemma_rows;
    }
    let position = |row: &Row| {
        let operation = config.operations.iter().position(|&operation| operation == row.operation);
        (operation, config.domains.iter().position(|&domain| domain == row.domain))
    };
    rows.sort_by_key(position);
    Table { rows, lemmas }
}

/// The product's rows by composition: at each width of `config.widths`, widest first, the
/// lemmas that the rows still undecided compose and that were not checked at that width
/// are proven (in parallel); a row is decided at the first width where all its lemmas are
/// proven, or where one has a counterexample.
fn prove_by_composition(
    config: &SymbolicConfig,
    on_progress: &mut dyn FnMut(Progress<'_>),
) -> (Vec<Row>, Vec<LemmaRow>) {
    let mut checked: Vec<LemmaRow> = Vec::new();
    let mut index: HashMap<(Lemma, u32), usize> = HashMap::new();
    let mut decided: HashMap<Operation, Verdict> = HashMap::new();
    let mut times: HashMap<Operation, Duration> = HashMap::new();
    let mut reasons: HashMap<Operation, Vec<String>> = HashMap::new();
    let mut pending: Vec<Operation> = config.operations.clone();
    for &width in &config.widths {
        let mut needed: Vec<Lemma> = Vec::new();
        for &operation in &pending {
            for lemma in composition::lemmas(operation, width) {
                if !index.contains_key(&(lemma, width)) && !needed.contains(&lemma) {
                    needed.push(lemma);
                }
            }
        }
        let work = |&lemma: &Lemma| {
            let start = Instant::now();
            let verdict = lemma::prove_law(&lemma, width, config.lemma_timeout);
            LemmaRow { lemma, width, verdict, time: start.elapsed() }
        };
        for row in run_jobs(&needed, config.threads, work, &mut |row| on_progress(Progress::Lemma(row))) {
            index.insert((row.lemma, width), checked.len());
            checked.push(row);
        }
        pending.retain(|&operation| {
            let composed = composition::lemmas(operation, width);
            let rows: Vec<&LemmaRow> = composed.iter().map(|&lemma| &checked[index[&(lemma, width)]]).collect();
            *times.entry(operation).or_default() += rows.iter().map(|row| row.time).sum::<Duration>();
            let unsound = rows.iter().find_map(|row| match &row.verdict {
                SymbolicVerdict::Unsound(witness) => Some((row.lemma, witness)),
                _ => None,
            });
            let verdict = match unsound {
                Some((lemma, witness)) => Verdict::Unsound(Witness {
                    abstract_result: format!("{} [lemma {lemma} at {width} bits]", witness.abstract_result),
                    ..witness.clone()
                }),
                None if rows.iter().all(|row| row.verdict == SymbolicVerdict::Proven) => {
                    Verdict::ProvenByComposition { width, lemmas: composed.len() }
                }
                None => {
                    let undecided: Vec<String> = rows
                        .iter()
                        .filter(|row| row.verdict != SymbolicVerdict::Proven)
                        .map(|row| row.lemma.to_string())
                        .collect();
                    reasons.entry(operation).or_default().push(format!("{} at {width}", undecided.join(" ")));
                    return true;
                }
            };
            decided.insert(operation, verdict);
            false
        });
        if pending.is_empty() {
            break;
        }
    }
    for operation in pending {
        let reason = reasons.remove(&operation).unwrap_or_default().join(", ");
        decided.insert(operation, Verdict::Unknown(format!("lemmas undecided: {reason}")));
    }
    let rows = config
        .operations
        .iter()
        .map(|&operation| {
            let row = Row {
                operation,
                domain: DomainKind::Product,
                verdict: decided.remove(&operation).expect("every operation is decided or undecided"),
                pairs: 0,
                precise: 0,
                time: times.get(&operation).copied().unwrap_or_default(),
            };
            on_progress(Progress::Row(&row));
            row
        })
        .collect();
    (rows, checked)
}

/// A precision table: one line per operation, one column per domain, each cell the share
/// of precise pairs (in percent).
#[derive(Clone, Debug)]
pub struct PrecisionTable<'a>(pub &'a Table);

impl fmt::Display for PrecisionTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut domains: Vec<DomainKind> = self.0.rows.iter().map(|row| row.domain).collect();
        domains.sort();
        domains.dedup();
        write!(f, "{:<12}", "operation")?;
        for domain in &domains {
            write!(f, " {:>16}", domain.name())?;
        }
        let mut operations: Vec<Operation> = Vec::new();
        for row in &self.0.rows {
            if !operations.contains(&row.operation) {
                operations.push(row.operation);
            }
        }
        for operation in operations {
            write!(f, "\n{:<12}", operation.to_string())?;
            for domain in &domains {
                let cell = self.0.rows.iter().find(|row| row.operation == operation && row.domain == *domain);
                let sampled = cell.is_some_and(|row| matches!(row.verdict, Verdict::SampledAtWidth(_)));
                match cell.and_then(Row::precision) {
                    Some(share) if sampled => write!(f, " {:>14.1}%~", 100.0 * share)?,
                    Some(share) => write!(f, " {:>15.1}% ", 100.0 * share)?,
                    None => write!(f, " {:>16} ", "-")?,
                }
            }
        }
        write!(
            f,
            "\n\nEach cell scores a domain against itself: the share of its operand pairs whose result is\n\
             the best abstraction, in that same domain, of the exact results. 100% means optimal for\n\
             that domain, not more precise than another domain; compare domains on programs with\n\
             `bench --precision`. Cells without `~` count every operand pair of the width\n\
             (exhaustive); `~` marks rows over a sample of operand values (the product's)."
        )
    }
}

#[cfg(test)]
mod tests {
    use bpfprove_semantics::isa::Width;

    use super::*;

    #[test]
    fn the_precision_table_marks_sampled_rows_and_says_how_it_scores() {
        let row = |domain, verdict, precise| Row {
            operation: Operation::Negate(Width::W64),
            domain,
            verdict,
            pairs: 200,
            precise,
            time: Duration::ZERO,
        };
        let table = Table {
            rows: vec![
                row(DomainKind::Interval, Verdict::ProvenAtWidth(8), 200),
                row(DomainKind::Product, Verdict::SampledAtWidth(8), 150),
            ],
            lemmas: Vec::new(),
        };
        let text = PrecisionTable(&table).to_string();
        let line = text.lines().nth(1).expect("one operation line");
        assert!(line.contains("100.0% ") && line.contains("75.0%~"), "{text}");
        assert!(text.contains("scores a domain against itself"), "{text}");
    }
}
