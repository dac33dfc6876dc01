//! Obligation-level precision: which obligations one domain proves and another does not,
//! per program and over the suite, with examples.
//!
//! Obligations are matched by [`crate::key::ObligationKey`]. An obligation one domain
//! reports and the other does not is one the other found unreachable, which proves it
//! (there is nothing to check), so "A proves, B does not" means: B reports it unproven and
//! A proves it or never reaches it.
//!
//! For the reduced product, [`attribute`] says which component was enough: an obligation
//! the product proves is `interval` (the interval domain alone proves it), `tnum`, `both`,
//! or `reduction` when neither alone does and only their exchange of facts proves it.

use std::collections::BTreeMap;
use std::fmt::Write;

use bpfprove_analyzer::{Report, Status};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::program::Program;
use serde::Serialize;

use crate::key::{KeyedStatus, ObligationKey, ObligationMap, key_of, keyed};

/// One obligation one domain proves and the other does not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The obligation.
    pub key: ObligationKey,
    /// How the weaker domain left it, with its detail.
    pub weaker: KeyedStatus,
    /// Whether the stronger one proved it (`false`: it never reached the instruction).
    pub reached: bool,
}

/// The precision delta of two domains on one program.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    /// Proven by A, not by B.
    pub only_a: Vec<Gap>,
    /// Proven by B, not by A.
    pub only_b: Vec<Gap>,
    /// Proven by both.
    pub both: usize,
    /// Proven by neither.
    pub neither: usize,
}

/// Compares the obligations of two runs of one program.
pub fn delta(a: &ObligationMap, b: &ObligationMap) -> Delta {
    let mut out = Delta::default();
    let proven = |s: Option<&KeyedStatus>| s.is_none_or(|s| s.status == Status::Proven);
    let keys: std::collections::BTreeSet<&ObligationKey> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (in_a, in_b) = (a.get(key), b.get(key));
        match (proven(in_a), proven(in_b)) {
            (true, true) => out.both += 1,
            (false, false) => out.neither += 1,
            (true, false) => out.only_a.push(Gap {
                key: key.clone(),
                weaker: in_b.cloned().expect("an unproven key is reported"),
                reached: in_a.is_some(),
            }),
            (false, true) => out.only_b.push(Gap {
                key: key.clone(),
                weaker: in_a.cloned().expect("an unproven key is reported"),
                reached: in_b.is_some(),
            }),
        }
    }
    out
}

/// Which component of the product was enough for each obligation it proves.
pub fn attribute(
    product: &ObligationMap,
    interval: &ObligationMap,
    tnum: &ObligationMap,
) -> BTreeMap<&'static str, usize> {
    let proves = |map: &ObligationMap, key: &ObligationKey| map.get(key).is_none_or(|s| s.status == Status::Proven);
    let mut counts = BTreeMap::new();
    for (key, outcome) in product {
        if outcome.status != Status::Proven {
            continue;
        }
        let by = match (proves(interval, key), proves(tnum, key)) {
            (true, true) => "both",
            (true, false) => "interval",
            (false, true) => "tnum",
            (false, false) => "reduction",
        };
        *counts.entry(by).or_insert(0) += 1;
    }
    counts
}

/// Records in a product run's report which component proved each proven obligation: the
/// obligation's `domain` becomes `interval` when the interval domain alone proves it (or
/// never reaches it), else `tnum` when tnum alone does, and stays `product` when only the
/// reduction between them does. `interval` and `tnum` are those domains' reports on the
/// same program. The proof log then carries the credit; its checker does not read it.
pub fn credit_components(report: &mut Report, program: &Program, interval: &Report, tnum: &Report) {
    let (by_interval, by_tnum) = (keyed(&interval.obligations, program), keyed(&tnum.obligations, program));
    let proves = |map: &ObligationMap, key: &ObligationKey| map.get(key).is_none_or(|s| s.status == Status::Proven);
    for obligation in report.obligations.iter_mut().filter(|o| o.status == Status::Proven) {
        let key = key_of(obligation, program);
        if proves(&by_interval, &key) {
            obligation.domain = DomainKind::Interval;
        } else if proves(&by_tnum, &key) {
            obligation.domain = DomainKind::Tnum;
        }
    }
}

/// A per-program and suite report of `a` against `b` (domain names), with up to `examples`
/// gaps per program. `runs` maps (file, program, domain) to obligations; programs missing
/// either domain are left out.
pub fn report(runs: &BTreeMap<(String, String, String), ObligationMap>, a: &str, b: &str, examples: usize) -> String {
    let mut programs: Vec<(&String, &String)> = runs.keys().map(|(f, p, _)| (f, p)).collect();
    programs.dedup();
    let mut out = String::new();
    let (mut total_a, mut total_b, mut total_both, mut total_neither, mut differing) = (0, 0, 0, 0, 0);
    let mut attribution_total: BTreeMap<&'static str, usize> = BTreeMap::new();
    let lookup = |f: &String, p: &String, d: &str| runs.get(&(f.clone(), p.clone(), d.to_owned()));
    for &(file, program) in &programs {
        let (Some(in_a), Some(in_b)) = (lookup(file, program, a), lookup(file, program, b)) else { continue };
        let d = delta(in_a, in_b);
        total_a += d.only_a.len();
        total_b += d.only_b.len();
        total_both += d.both;
        total_neither += d.neither;
        if let (Some(product), Some(interval), Some(tnum)) =
            (lookup(file, program, "product"), lookup(file, program, "interval"), lookup(file, program, "tnum"))
        {
            for (by, count) in attribute(product, interval, tnum) {
                *attribution_total.entry(by).or_insert(0) += count;
            }
        }
        if d.only_a.is_empty() && d.only_b.is_empty() {
            continue;
        }
        differing += 1;
        let _ = writeln!(
            out,
            "{file}/{program}: {} only by {a}, {} only by {b}, {} by both, {} by neither",
            d.only_a.len(),
            d.only_b.len(),
            d.both,
            d.neither
        );
        for (stronger, weaker, gaps) in [(a, b, &d.only_a), (b, a, &d.only_b)] {
            for gap in gaps.iter().take(examples) {
                let how = if gap.reached { "proves" } else { "never reaches" };
                let _ = writeln!(
                    out,
                    "  {}: {stronger} {how}; {weaker} {}: {}",
                    gap.key, gap.weaker.status, gap.weaker.detail
                );
            }
            if gaps.len() > examples {
                let _ = writeln!(out, "  ... {} more only by {stronger}", gaps.len() - examples);
            }
        }
    }
    let _ = writeln!(
        out,
        "suite: {} programs, {differing} differ; obligations: {total_a} only by {a}, {total_b} only by {b}, \
         {total_both} by both, {total_neither} by neither",
        programs.len()
    );
    if !attribution_total.is_empty() {
        let parts: Vec<String> = attribution_total.iter().map(|(by, n)| format!("{by} {n}")).collect();
        let _ = writeln!(out, "product's proven obligations by the component enough for each: {}", parts.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use bpfprove_analyzer::ObligationKind;

    use super::*;

    fn key(pc: usize) -> ObligationKey {
        ObligationKey { pc, kind: ObligationKind::MapBounds, operand: "r1+0".to_owned() }
    }

    fn status(status: Status) -> KeyedStatus {
        KeyedStatus { status, detail: format!("{status}") }
    }

    #[test]
    fn unreached_obligations_count_as_proven_by_the_domain_that_skips_them() {
        let a = ObligationMap::from([(key(1), status(Status::Proven)), (key(2), status(Status::Unknown))]);
        let b = ObligationMap::from([(key(1), status(Status::Unknown)), (key(3), status(Status::Unknown))]);
        let d = delta(&a, &b);
        assert_eq!(d.only_a.iter().map(|g| (g.key.pc, g.reached)).collect::<Vec<_>>(), vec![(1, true), (3, false)]);
        assert_eq!(d.only_b.iter().map(|g| (g.key.pc, g.reached)).collect::<Vec<_>>(), vec![(2, false)]);
    }

    #[test]
    fn the_product_credits_the_component_that_suffices() {
        let product = ObligationMap::from([
            (key(1), status(Status::Proven)),
            (key(2), status(Status::Proven)),
            (key(3), status(Status::Proven)),
        ]);
        let interval = ObligationMap::from([(key(2), status(Status::Unknown)), (key(3), status(Status::Unknown))]);
        let tnum = ObligationMap::from([(key(1), status(Status::Unknown)), (key(3), status(Status::Unknown))]);
        assert_eq!(
            attribute(&product, &interval, &tnum),
            BTreeMap::from([("interval", 1), ("reduction", 1), ("tnum", 1)])
        );
    }
}
