//! Zones: difference constraints `x - y <= c` between the numbers registers hold, packet
//! pointers' offsets and the packet's length (a DBM kept closed, stored sparsely).
//!
//! **Variables and what they mean** (every variable is a mathematical integer):
//! - [`Var::Zero`], the constant 0, so `x - Zero <= c` bounds `x` alone;
//! - [`Var::Len`], the packet's length `data_end - data`;
//! - [`Var::Num`]`(r)`, the number register `r` holds, read as an unsigned 64-bit integer in
//!   `[0, 2^64)` (machine words wrap: a transfer adds `x' = x + c` only when the values'
//!   bounds show that the sum does not wrap);
//! - [`Var::Off`]`(r)`, the offset from `data` of the non-NULL packet pointer register `r`
//!   holds, whose offset is small (see [`crate::value::SMALL_OFFSET`]), so the address
//!   neither wraps nor differs in order from the offset;
//! - [`Var::Slot`]`{ frame, start }`, the unsigned number the 8 stack bytes at `start` of
//!   frame `frame` hold (a 64-bit spill), so a relation survives spilling the register,
//!   overwriting it and filling it back.
//!
//! A register's variable is named by what it holds (`Num` or `Off`): a join keeps only the
//! constraints both sides hold of the same variable, and a place whose value changed kind
//! loses its constraints ([`crate::state::State::drop_stale_ties`]), as does a slot that no
//! longer holds an 8-byte number. Everything else is forgotten when in doubt: a register's
//! constraints when it is written ([`crate::transfer`]'s zone transfer adds the relation of
//! the new value afterwards), a slot's when a store may write one of its bytes (every slot's
//! when the store's stack offset is unknown), the whole zone at calls, atomics, exits and
//! function entries (a callee may write its caller's stack through a pointer).
//!
//! **Operations.** The zone is kept closed (every implied constraint explicit, as tight as
//! it is implied) by incremental closure as constraints are added, so forgetting a variable
//! is dropping its row and column, the join is the pointwise maximum of the constraints both
//! sides have, and `⊑` is pointwise. Widening keeps the constraints the newer zone does not
//! loosen and is not closed again (closure after widening may not stabilise). A zone whose
//! constraints contradict each other describes no state: the edge is unreachable.
//!
//! Constants are bounded by [`LIMIT`]: a weaker constraint is dropped rather than risk an
//! overflow, which only forgets. The zone holds at most [`MAX_VARS`] register and slot
//! variables besides `Zero` and `Len`; past that the last in order are forgotten.

use bpfprove_semantics::isa::Reg;
use imbl::OrdMap;

/// Constraints with a constant larger than this in magnitude are dropped (none of the
/// quantities exceeds 2^64 apart).
pub const LIMIT: i128 = 1 << 80;

/// Most register and slot variables a zone keeps.
pub const MAX_VARS: usize = 16;

/// A zone variable (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    /// The constant 0.
    Zero,
    /// The packet's length.
    Len,
    /// A register's number, unsigned.
    Num(Reg),
    /// A packet pointer register's offset from `data`.
    Off(Reg),
    /// The number the 8 bytes at `start` (from the frame pointer) of stack frame `frame` hold.
    Slot {
        /// The frame's depth.
        frame: u8,
        /// The slot's first byte.
        start: i16,
    },
    /// The previous value of a register being written (only inside a transfer).
    Old,
}

impl Var {
    /// The register the variable is about, if any.
    pub fn reg(self) -> Option<Reg> {
        match self {
            Var::Num(r) | Var::Off(r) => Some(r),
            _ => None,
        }
    }

    /// Whether it names a register's or a stack slot's content (not `Zero`, `Len` or `Old`).
    pub fn is_place(self) -> bool {
        matches!(self, Var::Num(_) | Var::Off(_) | Var::Slot { .. })
    }

    /// Whether it is a slot of `frame` sharing a byte with `start..start + len`.
    pub fn overlaps(self, frame: u8, start: i64, len: i64) -> bool {
        match self {
            Var::Slot { frame: f, start: s } => f == frame && i64::from(s) < start + len && start < i64::from(s) + 8,
            _ => false,
        }
    }

    /// The name the proof log uses: `zero`, `len`, `num:rN`, `off:rN`, `slot:F:S`.
    pub fn name(self) -> String {
        match self {
            Var::Zero => "zero".to_owned(),
            Var::Len => "len".to_owned(),
            Var::Num(r) => format!("num:r{}", r.number()),
            Var::Off(r) => format!("off:r{}", r.number()),
            Var::Slot { frame, start } => format!("slot:{frame}:{start}"),
            Var::Old => "old".to_owned(),
        }
    }

    /// The variable [`Var::name`] names (never `Old`).
    pub fn named(name: &str) -> Option<Var> {
        let reg = |s: &str| s.strip_prefix('r').and_then(|n| n.parse::<u8>().ok()).and_then(Reg::new);
        match name {
            "zero" => Some(Var::Zero),
            "len" => Some(Var::Len),
            _ => {
                if let Some(r) = name.strip_prefix("num:") {
                    reg(r).map(Var::Num)
                } else if let Some(slot) = name.strip_prefix("slot:") {
                    let (frame, start) = slot.split_once(':')?;
                    Some(Var::Slot { frame: frame.parse().ok()?, start: start.parse().ok()? })
                } else {
                    name.strip_prefix("off:").and_then(reg).map(Var::Off)
                }
            }
        }
    }
}

/// A closed set of difference constraints; the empty zone knows nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Zone {
    /// `(x, y) -> c`: `x - y <= c`, for `x != y`.
    bounds: OrdMap<(Var, Var), i128>,
}

/// The sum of two constants, `None` past [`LIMIT`].
fn sum(a: i128, b: i128) -> Option<i128> {
    let s = a + b;
    (s.abs() <= LIMIT).then_some(s)
}

impl Zone {
    /// The zone that knows nothing.
    pub fn none() -> Zone {
        Zone::default()
    }

    /// Whether it knows nothing.
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Every constraint `(x, y, c)`: `x - y <= c`.
    pub fn constraints(&self) -> impl Iterator<Item = (Var, Var, i128)> + '_ {
        self.bounds.iter().map(|(&(x, y), &c)| (x, y, c))
    }

    /// The least `c` known with `x - y <= c`.
    pub fn bound(&self, x: Var, y: Var) -> Option<i128> {
        if x == y { Some(0) } else { self.bounds.get(&(x, y)).copied() }
    }

    /// The variables with a constraint.
    pub fn vars(&self) -> Vec<Var> {
        let mut vars: Vec<Var> = self.bounds.keys().flat_map(|&(x, y)| [x, y]).collect();
        vars.sort();
        vars.dedup();
        vars
    }

    /// Adds `x - y <= c` and closes. `false` if the zone became contradictory (the caller
    /// drops the state); the zone is then left in an unspecified (but sound) state.
    #[must_use]
    pub fn add(&mut self, x: Var, y: Var, c: i128) -> bool {
        if x == y {
            return c >= 0;
        }
        if c.abs() > LIMIT || self.bound(x, y).is_some_and(|known| known <= c) {
            return true;
        }
        if self.bound(y, x).is_some_and(|back| back + c < 0) {
            return false;
        }
        let mut vars = self.vars();
        for v in [x, y] {
            if !vars.contains(&v) {
                vars.push(v);
            }
        }
        // Through the new edge: i -> x -> y -> j.
        let to_x: Vec<(Var, i128)> = vars.iter().filter_map(|&i| self.bound(i, x).map(|d| (i, d))).collect();
        let from_y: Vec<(Var, i128)> = vars.iter().filter_map(|&j| self.bound(y, j).map(|d| (j, d))).collect();
        for &(i, d_ix) in &to_x {
            for &(j, d_yj) in &from_y {
                let Some(through) = sum(d_ix, c).and_then(|s| sum(s, d_yj)) else { continue };
                if i == j {
                    if through < 0 {
                        return false;
                    }
                    continue;
                }
                if self.bound(i, j).is_none_or(|known| through < known) {
                    self.bounds.insert((i, j), through);
                }
            }
        }
        true
    }

    /// Adds `lo <= x - y <= hi` (either side optional).
    #[must_use]
    pub fn add_range(&mut self, x: Var, y: Var, lo: Option<i128>, hi: Option<i128>) -> bool {
        hi.is_none_or(|hi| self.add(x, y, hi)) && lo.is_none_or(|lo| self.add(y, x, -lo))
    }

    /// Forgets every constraint of `v` (the zone stays closed).
    pub fn forget(&mut self, v: Var) {
        self.forget_where(|w| w == v);
    }

    /// Forgets every constraint of the variables `drop` selects.
    pub fn forget_where(&mut self, drop: impl Fn(Var) -> bool) {
        if self.bounds.keys().any(|&(x, y)| drop(x) || drop(y)) {
            self.bounds =
                self.bounds.iter().filter(|((x, y), _)| !drop(*x) && !drop(*y)).map(|(k, c)| (*k, *c)).collect();
        }
    }

    /// Forgets both variables of register `reg`.
    pub fn forget_reg(&mut self, reg: Reg) {
        self.forget_where(|v| v.reg() == Some(reg));
    }

    /// Renames `from` to `to`, which must have no constraints.
    pub fn rename(&mut self, from: Var, to: Var) {
        let moved: Vec<((Var, Var), i128)> =
            self.bounds.iter().filter(|((x, y), _)| *x == from || *y == from).map(|(&k, &c)| (k, c)).collect();
        for ((x, y), c) in moved {
            self.bounds.remove(&(x, y));
            let r = |v: Var| if v == from { to } else { v };
            self.bounds.insert((r(x), r(y)), c);
        }
    }

    /// Keeps at most [`MAX_VARS`] register and slot variables, forgetting the others.
    pub fn limit(&mut self) {
        let regs: Vec<Var> = self.vars().into_iter().filter(|v| v.is_place()).collect();
        if regs.len() > MAX_VARS {
            let dropped = &regs[MAX_VARS..];
            self.forget_where(|v| dropped.contains(&v));
        }
    }

    /// The join: what both zones know, each constraint as loose as the looser side's.
    pub fn join(&self, other: &Zone) -> Zone {
        if self == other {
            return self.clone();
        }
        let bounds = self.bounds.iter().filter_map(|(k, &c)| other.bounds.get(k).map(|&d| (*k, c.max(d)))).collect();
        Zone { bounds }
    }

    /// Widening of `self` by `newer`: the constraints of `self` that `newer` keeps.
    pub fn widen(&self, newer: &Zone) -> Zone {
        let bounds = self
            .bounds
            .iter()
            .filter(|(k, c)| newer.bounds.get(*k).is_some_and(|d| d <= c))
            .map(|(k, c)| (*k, *c))
            .collect();
        Zone { bounds }
    }

    /// `self ⊑ other`: every constraint of `other` holds in `self`.
    pub fn leq(&self, other: &Zone) -> bool {
        other.bounds.iter().all(|(&(x, y), &c)| self.bound(x, y).is_some_and(|mine| mine <= c))
    }

    /// The zone of `constraints`, closed; `None` if they contradict each other.
    pub fn of(constraints: impl IntoIterator<Item = (Var, Var, i128)>) -> Option<Zone> {
        let mut zone = Zone::none();
        for (x, y, c) in constraints {
            if !zone.add(x, y, c) {
                return None;
            }
        }
        Some(zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counterexample::Rng;

    const X: Var = Var::Num(Reg::R1);
    const Y: Var = Var::Num(Reg::R2);
    const Z: Var = Var::Off(Reg::R3);

    const VARS: [Var; 5] = [Var::Zero, Var::Len, X, Y, Z];

    fn satisfies(zone: &Zone, point: &[i128; 5]) -> bool {
        let at = |v: Var| point[VARS.iter().position(|&w| w == v).expect("test variable")];
        zone.constraints().all(|(x, y, c)| at(x) - at(y) <= c)
    }

    /// Random constraints that hold at `point` (so the zone is satisfiable), some loose.
    fn random_zone(rng: &mut Rng, point: &[i128; 5]) -> Zone {
        let mut zone = Zone::none();
        for _ in 0..rng.below(6) {
            let (i, j) = (rng.below(5) as usize, rng.below(5) as usize);
            let slack = rng.below(4) as i128;
            assert!(zone.add(VARS[i], VARS[j], point[i] - point[j] + slack));
        }
        zone
    }

    fn random_point(rng: &mut Rng) -> [i128; 5] {
        let mut p = [0; 5];
        for v in p.iter_mut().skip(1) {
            *v = rng.below(20) as i128;
        }
        p
    }

    #[test]
    fn closure_derives_transitive_bounds() {
        let zone = Zone::of([(X, Y, -1), (Y, Var::Len, -2)]).expect("consistent");
        assert_eq!(zone.bound(X, Var::Len), Some(-3));
        assert!(Zone::of([(X, Y, -1), (Y, X, 0)]).is_none(), "x < y and y <= x contradict");
        assert!(Zone::of([(X, Y, 0), (Y, X, 0)]).is_some());
    }

    #[test]
    fn forgetting_a_variable_keeps_what_it_implied() {
        let mut zone = Zone::of([(X, Y, 2), (Y, Z, 3)]).expect("consistent");
        zone.forget(Y);
        assert_eq!(zone.bound(X, Z), Some(5));
        assert_eq!(zone.bound(X, Y), None);
    }

    #[test]
    fn names_round_trip() {
        for v in [Var::Zero, Var::Len, Var::Num(Reg::R9), Var::Off(Reg::R0), Var::Slot { frame: 2, start: -512 }] {
            assert_eq!(Var::named(&v.name()), Some(v));
        }
        assert_eq!(Var::named("num:r11"), None);
        assert_eq!(Var::named("old"), None);
        assert_eq!(Var::named("slot:0"), None);
        assert_eq!(Var::named("slot:0:-99999"), None);
    }

    /// Closure is exact: a constraint is in the closed zone iff every point of the zone
    /// satisfies it (checked on a grid), and every point satisfying the inputs satisfies
    /// the closure's output.
    #[test]
    fn random_closure_join_widen_leq_are_sound() {
        let mut rng = Rng::new(0x5eed_2014);
        for _ in 0..3000 {
            let p = random_point(&mut rng);
            let q = random_point(&mut rng);
            let a = random_zone(&mut rng, &p);
            let b = random_zone(&mut rng, &q);
            assert!(satisfies(&a, &p) && satisfies(&b, &q));
            let joined = a.join(&b);
            assert!(satisfies(&joined, &p) && satisfies(&joined, &q), "join keeps both points");
            assert!(a.leq(&joined) && b.leq(&joined), "join is an upper bound");
            let widened = a.widen(&joined);
            assert!(satisfies(&widened, &p) && satisfies(&widened, &q), "widening keeps both points");
            assert!(joined.leq(&widened));
            // Adding a constraint that holds at p keeps p; one that p violates removes it.
            let (i, j) = (rng.below(5) as usize, rng.below(5) as usize);
            let c = p[i] - p[j] + rng.below(3) as i128 - 1;
            let mut added = a.clone();
            let feasible = added.add(VARS[i], VARS[j], c);
            if c >= p[i] - p[j] {
                assert!(feasible && satisfies(&added, &p), "a constraint p satisfies keeps p");
                assert!(added.leq(&a));
            }
            // Forgetting keeps every point.
            let mut forgotten = a.clone();
            forgotten.forget(VARS[rng.below(5) as usize]);
            assert!(satisfies(&forgotten, &p) && a.leq(&forgotten));
        }
    }

    /// The closed zone implies nothing a brute-force search over small points refutes:
    /// each bound it states is reached by some point of the zone (closure is tight).
    #[test]
    fn random_closure_is_tight_on_small_points() {
        let mut rng = Rng::new(0x00c1_050e);
        for _ in 0..200 {
            let mut zone = Zone::none();
            let mut feasible = true;
            for _ in 0..4 {
                let (i, j) = (1 + rng.below(4) as usize, 1 + rng.below(4) as usize);
                feasible &= zone.add(VARS[i], VARS[j], rng.below(7) as i128 - 3);
            }
            let points: Vec<[i128; 5]> = (0..13i128.pow(4))
                .map(|n| [0, n % 13, n / 13 % 13, n / 169 % 13, n / 2197 % 13])
                .filter(|p| satisfies(&zone, p))
                .collect();
            if !feasible {
                continue;
            }
            // Without `Zero` the constraints are shift-invariant, and paths of at most
            // three constants of at most 3 keep a (tight) point within 0..=12.
            assert!(!points.is_empty(), "a feasible zone has a point");
            for (x, y, c) in zone.constraints() {
                let (i, j) = (VARS.iter().position(|&v| v == x).unwrap(), VARS.iter().position(|&v| v == y).unwrap());
                assert!(points.iter().any(|p| p[i] - p[j] == c), "{x:?} - {y:?} <= {c} is tight");
            }
        }
    }

    /// Every point the zone `zone` contains, as a Z3 formula over one integer per variable.
    fn formula(zone: &Zone) -> z3::ast::Bool {
        let int = |v: Var| match v {
            Var::Zero => z3::ast::Int::from_i64(0),
            _ => z3::ast::Int::new_const(v.name()),
        };
        let constraints: Vec<z3::ast::Bool> = zone
            .constraints()
            .map(|(x, y, c)| (int(x) - int(y)).le(z3::ast::Int::from_i64(i64::try_from(c).expect("small"))))
            .collect();
        z3::ast::Bool::and(&constraints)
    }

    /// Whether no integer point satisfies `claim`.
    fn never(claim: &z3::ast::Bool) -> bool {
        let solver = z3::Solver::new();
        solver.assert(claim);
        solver.check() == z3::SatResult::Unsat
    }

    /// Over every integer point, not a sample: closure and `add` are exact (the closed zone
    /// has the points of its constraints), the join and widening contain both sides,
    /// forgetting loses no point, and `leq` is inclusion. Z3 decides each instance.
    #[test]
    fn z3_closure_add_join_widen_forget_leq_hold_at_every_point() {
        let mut rng = Rng::new(0x23_2014);
        for _ in 0..250 {
            let (p, q) = (random_point(&mut rng), random_point(&mut rng));
            let (a, b) = (random_zone(&mut rng, &p), random_zone(&mut rng, &q));
            let (fa, fb) = (formula(&a), formula(&b));
            assert!(!never(&fa) && !never(&fb), "Z3 finds the points the zones were made around");
            let either = z3::ast::Bool::or(&[fa.clone(), fb.clone()]);
            let joined = a.join(&b);
            assert!(never(&(either.clone() & !formula(&joined))), "join {a:?} {b:?} loses a point");
            let widened = a.widen(&b);
            assert!(never(&(either & !formula(&widened))), "widening {a:?} by {b:?} loses a point");
            let (i, j) = (rng.below(5) as usize, rng.below(5) as usize);
            let c = rng.below(9) as i128 - 4;
            let new = (VARS[i], VARS[j], c);
            let constraint = if i == j {
                z3::ast::Bool::from_bool(c >= 0)
            } else {
                formula(&Zone { bounds: [((new.0, new.1), c)].into_iter().collect() })
            };
            let stated = fa.clone() & constraint;
            let mut added = a.clone();
            if added.add(new.0, new.1, new.2) {
                assert!(never(&!stated.eq(formula(&added))), "add {new:?} to {a:?} is not exact: {added:?}");
            } else {
                assert!(never(&stated), "add {new:?} to {a:?} claimed a contradiction");
            }
            let mut forgotten = a.clone();
            forgotten.forget(VARS[rng.below(5) as usize]);
            assert!(never(&(fa.clone() & !formula(&forgotten))), "forgetting in {a:?} loses a point");
            if a.leq(&b) {
                assert!(never(&(fa & !fb)), "{a:?} <= {b:?} but is not inside");
            }
        }
    }
}
