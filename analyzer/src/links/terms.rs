//! Equality saturation over the terms an instruction builds from linked places.
//!
//! The transfer states what it knows as equations `atom = expr`, where an atom is a place's
//! word after the instruction or the written place's word before it ([`Atom::Old`]), and an
//! expression sums atoms and constants. [`saturate`] puts them in an e-graph (`egg`), applies
//! commutativity of `+`, associativity where it gathers constants, constant folding
//! (wrapping, as the machine adds), `x + 0 = x` and solving (`x = a + k` gives
//! `a = x + (-k)`), then reads back each fact `place = base + k` between places that the
//! e-graph proves: `(r2 + 2) + 2` and `r2 + 4` meet in one e-class. Every rule is an identity of arithmetic modulo 2^64, so whatever the
//! limits stop, each fact read back is true of the words.
//!
//! The run is bounded by iterations and e-nodes only (no clock), so the engine and the proof
//! checker derive the same facts.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use egg::{
    Analysis, Applier, ConditionalApplier, DidMerge, EGraph, Id, Pattern, PatternAst, Rewrite, Runner, Subst, Symbol,
    Var,
};

use super::{Link, Links};
use crate::ties::Place;

/// Iterations of the rewrite rules at most.
const ITERATIONS: usize = 8;
/// E-nodes at most.
const NODES: usize = 1_000;

/// A word the equations speak of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Atom {
    /// What `place` holds after the instruction.
    Now(Place),
    /// What the written place held before it.
    Old,
}

/// A sum of atoms and constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// An atom's word.
    Atom(Atom),
    /// A constant word.
    Const(u64),
    /// The wrapping sum.
    Add(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// `atom + k`.
    pub fn offset(atom: Atom, k: u64) -> Expr {
        Expr::Add(Box::new(Expr::Atom(atom)), Box::new(Expr::Const(k)))
    }
}

/// An atom's name in the e-graph: its index in the run's table of atoms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Name(u32);

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

impl FromStr for Name {
    type Err = ();
    fn from_str(s: &str) -> Result<Name, ()> {
        s.strip_prefix('a').and_then(|n| n.parse().ok()).map(Name).ok_or(())
    }
}

egg::define_language! {
    /// Words: named atoms, constants and wrapping sums.
    enum Word {
        "+" = Add([Id; 2]),
        Const(u64),
        Name(Name),
    }
}

/// Constant folding: an e-class's data is the constant it equals, if known.
#[derive(Default)]
struct Fold;

impl Analysis<Word> for Fold {
    type Data = Option<u64>;

    fn make(egraph: &mut EGraph<Word, Fold>, enode: &Word) -> Option<u64> {
        match enode {
            Word::Const(c) => Some(*c),
            Word::Add([a, b]) => Some(egraph[*a].data?.wrapping_add(egraph[*b].data?)),
            Word::Name(_) => None,
        }
    }

    // Two constants meet only in a class of an unreachable state; either one will do.
    fn merge(&mut self, to: &mut Option<u64>, from: Option<u64>) -> DidMerge {
        match (*to, from) {
            (None, Some(c)) => {
                *to = Some(c);
                DidMerge(true, false)
            }
            (Some(_), None) => DidMerge(false, true),
            _ => DidMerge(false, false),
        }
    }

    // A constant's class keeps only the constant: sums of constants would otherwise match
    // every rule again and multiply.
    fn modify(egraph: &mut EGraph<Word, Fold>, id: Id) {
        if let Some(c) = egraph[id].data {
            let constant = egraph.add(Word::Const(c));
            egraph.union(id, constant);
            let id = egraph.find(id);
            egraph[id].nodes.retain(|n| matches!(n, Word::Const(_)));
        }
    }
}

/// `x = a + k` (constant `k`) gives `a = x + (-k)`.
struct Solve {
    a: Var,
    k: Var,
}

impl Applier<Word, Fold> for Solve {
    fn apply_one(
        &self,
        egraph: &mut EGraph<Word, Fold>,
        x: Id,
        subst: &Subst,
        _: Option<&PatternAst<Word>>,
        _: Symbol,
    ) -> Vec<Id> {
        let Some(k) = egraph[subst[self.k]].data else { return vec![] };
        let minus_k = egraph.add(Word::Const(k.wrapping_neg()));
        let solved = egraph.add(Word::Add([x, minus_k]));
        if egraph.union(subst[self.a], solved) { vec![subst[self.a]] } else { vec![] }
    }
}

/// The rules, built once. Associativity gathers constants only (`(a + k1) + k2 = a + (k1 +
/// k2)`): every term it builds then lands in an existing e-class or a constant, so the
/// e-graph stays as small as the equations (gathering `(k1 + a) + k2` into a new class
/// `a + k2` would grow it with every constant).
static RULES: LazyLock<Vec<Rewrite<Word, Fold>>> = LazyLock::new(|| {
    let pattern = |s: &str| -> Pattern<Word> { s.parse().expect("a valid pattern") };
    let var = |s: &str| -> Var { s.parse().expect("a valid variable") };
    let (a, b, c) = (var("?a"), var("?b"), var("?c"));
    let constants = move |egraph: &mut EGraph<Word, Fold>, _: Id, subst: &Subst| {
        egraph[subst[a]].data.is_none() && egraph[subst[b]].data.is_some() && egraph[subst[c]].data.is_some()
    };
    let gather = ConditionalApplier { condition: constants, applier: pattern("(+ ?a (+ ?b ?c))") };
    vec![
        Rewrite::new("commute", pattern("(+ ?a ?b)"), pattern("(+ ?b ?a)")).expect("a rule"),
        Rewrite::new("associate", pattern("(+ (+ ?a ?b) ?c)"), gather).expect("a rule"),
        Rewrite::new("zero", pattern("(+ ?a 0)"), pattern("?a")).expect("a rule"),
        Rewrite::new("solve", pattern("(+ ?a ?k)"), Solve { a: var("?a"), k: var("?k") }).expect("a rule"),
    ]
});

/// The facts between [`Atom::Now`] places that `equations` imply, canonical.
pub fn saturate(equations: &[(Atom, Expr)]) -> Links {
    let mut atoms: Vec<Atom> = Vec::new();
    let mut egraph: EGraph<Word, Fold> = EGraph::default();
    fn add(egraph: &mut EGraph<Word, Fold>, atoms: &mut Vec<Atom>, expr: &Expr) -> Id {
        match expr {
            Expr::Atom(atom) => {
                let index = atoms.iter().position(|a| a == atom).unwrap_or_else(|| {
                    atoms.push(*atom);
                    atoms.len() - 1
                });
                egraph.add(Word::Name(Name(index as u32)))
            }
            Expr::Const(c) => egraph.add(Word::Const(*c)),
            Expr::Add(a, b) => {
                let (a, b) = (add(egraph, atoms, a), add(egraph, atoms, b));
                egraph.add(Word::Add([a, b]))
            }
        }
    }
    for (atom, expr) in equations {
        let left = add(&mut egraph, &mut atoms, &Expr::Atom(*atom));
        let right = add(&mut egraph, &mut atoms, expr);
        egraph.union(left, right);
    }
    egraph.rebuild();
    let runner = Runner::default()
        .with_egraph(egraph)
        .with_iter_limit(ITERATIONS)
        .with_node_limit(NODES)
        .with_time_limit(std::time::Duration::from_secs(3600))
        .run(RULES.iter());
    let egraph = runner.egraph;
    // Each e-class's places, and then what its sums say: `x = a + k` with places in both.
    let place_of = |index: usize| match atoms[index] {
        Atom::Now(place) => Some(place),
        Atom::Old => None,
    };
    let mut named: Vec<(Id, Place)> = (0..atoms.len())
        .filter_map(|i| {
            let id = egraph.lookup(Word::Name(Name(i as u32)))?;
            Some((egraph.find(id), place_of(i)?))
        })
        .collect();
    named.sort();
    let first_place = |class: Id| named.iter().find(|(c, _)| *c == class).map(|&(_, p)| p);
    let mut facts = Vec::new();
    for pair in named.windows(2) {
        if pair[0].0 == pair[1].0 {
            facts.push(Link { place: pair[1].1, base: pair[0].1, offset: 0 });
        }
    }
    for &(class, place) in &named {
        for node in &egraph[class].nodes {
            if let Word::Add([a, k]) = node
                && let Some(k) = egraph[*k].data
                && let Some(base) = first_place(egraph.find(*a))
            {
                facts.push(Link { place, base, offset: k });
            }
        }
    }
    Links::from_facts(facts)
}

#[cfg(test)]
mod tests {
    use bpfprove_semantics::isa::Reg;

    use super::*;

    fn now(n: u8) -> Atom {
        Atom::Now(Place::Reg(Reg::new(n).expect("a register")))
    }

    fn place(n: u8) -> Place {
        Place::Reg(Reg::new(n).expect("a register"))
    }

    #[test]
    fn nested_sums_meet_the_folded_one() {
        // r3 = (r2 + 2) + 2, r4 = r2 + 4: r3 and r4 hold one word.
        let two = || Box::new(Expr::Const(2));
        let nested = Expr::Add(Box::new(Expr::Add(Box::new(Expr::Atom(now(2))), two())), two());
        let links = saturate(&[(now(3), nested), (now(4), Expr::offset(now(2), 4))]);
        assert_eq!(links.offset_between(place(3), place(4)), Some(0));
        assert_eq!(links.offset_between(place(3), place(2)), Some(4));
    }

    #[test]
    fn an_overwritten_base_still_links_what_was_derived_from_it() {
        // r1 = old + 4 and r2 = old - 4 (r2 -= 4 after r1 = r2 + 4): r1 = r2 + 8.
        let links =
            saturate(&[(now(1), Expr::offset(Atom::Old, 4)), (now(2), Expr::offset(Atom::Old, 4u64.wrapping_neg()))]);
        assert_eq!(links.offset_between(place(1), place(2)), Some(8));
        assert_eq!(links.places(), vec![place(1), place(2)]);
    }

    #[test]
    fn sums_wrap_as_the_machine_adds() {
        let links = saturate(&[(now(1), Expr::offset(now(2), u64::MAX)), (now(3), Expr::offset(now(1), 2))]);
        assert_eq!(links.offset_between(place(3), place(2)), Some(1));
    }
}
