//! How the engine treats loops: widened first and proven to end by
//! [`crate::termination`]'s rules, unrolled where precision needs it, or unrolled first; and
//! what each loop of a run was given.
//!
//! Widening costs a few passes per loop whatever its bound, and nested loops pass their
//! heads' states down instead of multiplying rounds, so it scales where unrolling does not
//! (unrolling runs every round, and the rounds of nested loops multiply). Unrolling is more
//! precise: each round has its own state, so a pointer walking with a counter keeps its
//! relation to it. [`LoopStrategy::WidenFirst`] takes the cheap way and pays for unrolling
//! only for the loops that hold a failing check.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::termination::Rule;

/// Which loops are unrolled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoopStrategy {
    /// Widen every loop first; if some check of the function is not proven, analyse it again
    /// unrolling the loops holding failing checks (the loops around a failing check outside
    /// any loop: all of them), then, if checks still fail, every loop.
    WidenFirst,
    /// Unroll every loop that ends within the round limit; widen the others.
    Unroll,
    /// Never unroll.
    Widen,
}

impl LoopStrategy {
    /// Its name on the command line and in proof logs.
    pub fn name(self) -> &'static str {
        match self {
            LoopStrategy::WidenFirst => "widen-first",
            LoopStrategy::Unroll => "unroll",
            LoopStrategy::Widen => "widen",
        }
    }
}

impl fmt::Display for LoopStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LoopStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<LoopStrategy, String> {
        [LoopStrategy::WidenFirst, LoopStrategy::Unroll, LoopStrategy::Widen]
            .into_iter()
            .find(|strategy| strategy.name() == s)
            .ok_or_else(|| format!("unknown loop strategy `{s}` (widen-first, unroll or widen)"))
    }
}

/// How a loop was analysed and why it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopMethod {
    /// Unrolled to its end: at most this many rounds (nested loops may be unrolled once per
    /// round of the loops around them, each with its own count).
    Unrolled {
        /// The most rounds of any of its unrollings.
        rounds: usize,
    },
    /// Widened, and proven to end by these rules.
    Widened {
        /// The rules (see [`crate::termination::ends`]).
        rules: BTreeSet<Rule>,
    },
    /// Widened; `may_goto`'s budget ends it.
    MayGoto,
    /// Widened, and not proven to end: why unrolling did not prove it either.
    Unproven {
        /// Why.
        reason: String,
    },
}

impl fmt::Display for LoopMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopMethod::Unrolled { rounds } => write!(f, "unrolled ({rounds} rounds)"),
            LoopMethod::Widened { rules } => {
                let names: Vec<&str> = rules
                    .iter()
                    .map(|rule| match rule {
                        Rule::Counter => "counter",
                        Rule::Iterator => "iterator",
                        Rule::Unrolled => "unrolled inner loops",
                    })
                    .collect();
                write!(f, "widened ({})", names.join(" + "))
            }
            LoopMethod::MayGoto => f.write_str("widened (may_goto budget)"),
            LoopMethod::Unproven { reason } => write!(f, "unproven ({reason})"),
        }
    }
}

/// One loop of a context, as the engine left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopSummary {
    /// Its head.
    pub head: usize,
    /// Its instructions, nested loops included.
    pub members: BTreeSet<usize>,
    /// How it was analysed.
    pub method: LoopMethod,
    /// Whether it was widened only because [`LoopStrategy::WidenFirst`] had not asked for its
    /// unrolling yet.
    pub widened_first: bool,
}

/// Why [`LoopStrategy::WidenFirst`] widened a loop it could have unrolled.
pub const WIDENED_FIRST: &str = "widened first: no check failed that unrolling might prove";

/// Why [`LoopStrategy::Widen`] widened a loop.
pub const NEVER_UNROLLED: &str = "loops are never unrolled (loop strategy `widen`)";

/// The loops of one context to unroll on its next analysis under
/// [`LoopStrategy::WidenFirst`], given the pcs of its failing checks (a call whose callee
/// fails counts at the call) and how many times it was analysed again already: first the
/// loops widened first that hold a failing check (all of them when a failing check lies
/// outside every such loop), then every loop widened first. Empty when nothing is left to
/// unroll.
pub fn to_unroll(loops: &BTreeMap<usize, LoopSummary>, failing: &BTreeSet<usize>, retries: u32) -> BTreeSet<usize> {
    if failing.is_empty() {
        return BTreeSet::new();
    }
    let candidates: Vec<&LoopSummary> = loops.values().filter(|l| l.widened_first).collect();
    let holding: BTreeSet<usize> =
        candidates.iter().filter(|l| failing.iter().any(|pc| l.members.contains(pc))).map(|l| l.head).collect();
    let outside = failing.iter().any(|pc| !candidates.iter().any(|l| l.members.contains(pc)));
    if retries == 0 && !holding.is_empty() && !outside { holding } else { candidates.iter().map(|l| l.head).collect() }
}

/// Adds what an unrolling of the loop at `head` shows to `loops`: the most rounds any of
/// its unrollings took.
pub fn note_unrolled(loops: &mut BTreeMap<usize, LoopSummary>, head: usize, members: &BTreeSet<usize>, rounds: usize) {
    let summary = loops.entry(head).or_insert_with(|| LoopSummary {
        head,
        members: members.clone(),
        method: LoopMethod::Unrolled { rounds },
        widened_first: false,
    });
    if let LoopMethod::Unrolled { rounds: most } = &mut summary.method {
        *most = (*most).max(rounds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widened(head: usize, members: &[usize]) -> LoopSummary {
        LoopSummary {
            head,
            members: members.iter().copied().collect(),
            method: LoopMethod::Widened { rules: [Rule::Counter].into() },
            widened_first: true,
        }
    }

    #[test]
    fn failing_checks_pick_the_loops_around_them_then_all() {
        // Loop 2 holds loop 3; loop 10 is apart.
        let loops: BTreeMap<usize, LoopSummary> =
            [widened(2, &[2, 3, 4, 5]), widened(3, &[3, 4]), widened(10, &[10, 11])]
                .into_iter()
                .map(|l| (l.head, l))
                .collect();
        assert!(to_unroll(&loops, &BTreeSet::new(), 0).is_empty());
        assert_eq!(to_unroll(&loops, &[4].into(), 0), [2, 3].into());
        assert_eq!(to_unroll(&loops, &[5].into(), 0), [2].into());
        assert_eq!(to_unroll(&loops, &[4].into(), 1), [2, 3, 10].into());
        // A failing check after the loops may depend on any of them.
        assert_eq!(to_unroll(&loops, &[20].into(), 0), [2, 3, 10].into());
        // Loops already unrolled are not asked again.
        let unrolled: BTreeMap<usize, LoopSummary> = loops
            .into_iter()
            .map(|(h, mut l)| {
                l.widened_first = false;
                (h, l)
            })
            .collect();
        assert!(to_unroll(&unrolled, &[4].into(), 0).is_empty());
    }

    #[test]
    fn strategies_read_back_their_names() {
        for strategy in [LoopStrategy::WidenFirst, LoopStrategy::Unroll, LoopStrategy::Widen] {
            assert_eq!(strategy.name().parse::<LoopStrategy>(), Ok(strategy));
        }
        assert!("unrolled".parse::<LoopStrategy>().is_err());
    }
}
