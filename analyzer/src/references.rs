//! Resources a path must give back before the program ends, as the kernel tracks them:
//! acquired references (ring-buffer records, by the pc of the acquiring call) and RCU read
//! sections (`bpf_rcu_read_lock`/`bpf_rcu_read_unlock`).
//!
//! A reference is held from its acquiring call until a call releases it, or until a NULL
//! test shows that the acquiring call failed (the kernel releases it on that edge too).
//! Losing the pointer does not release it: the program exit then finds it held.
//!
//! The set is what *may* be held (a join is the union), and one acquisition per pc may be
//! live at a time: acquiring again at a pc whose reference may still be held is refused,
//! so a held id always names one record. Beside it, what is *surely* held (a join is the
//! intersection): a reference surely held at the program's exit is a refuted obligation.
//!
//! Open-coded iterators are references too (the kernel gives each one), named by where
//! they live: a constant offset of a stack frame. An iterator is *active* from its `new`
//! to its `destroy`; `next` and `destroy` need an active one, `new` an inactive place.

use bpfprove_semantics::model::kfuncs::IterKind;
use imbl::{OrdMap, OrdSet};

/// Where an iterator lives: a stack frame and the constant offset of its first byte.
pub type IterPlace = (u8, i16);

/// An iterator that may be active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IterState {
    /// Its kind (`None` after joining two kinds at one place).
    pub kind: Option<IterKind>,
    /// Whether it is active on every path.
    pub surely: bool,
    /// Whether it may be drained: a `next` returned, and no NULL test of that result has
    /// shown it to be an item yet. A loop that passes a `next` of an iterator it never
    /// re-creates, with the iterator surely active and not drained there, takes an item
    /// each round, and so ends ([`crate::termination`]).
    pub drained: bool,
}

/// Deepest nesting of RCU read sections tracked; locking deeper is refused.
pub const MAX_RCU_DEPTH: u8 = 8;

/// References that may be held and the possible RCU read-section depths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    /// Pcs of the acquiring calls whose references may be held.
    pub held: OrdSet<u32>,
    /// Pcs of the acquiring calls whose references are held on every path (a subset of
    /// `held`).
    pub surely: OrdSet<u32>,
    /// Iterators that may be active, by place.
    pub iterators: OrdMap<IterPlace, IterState>,
    /// The fewest RCU read sections that may be open.
    pub rcu_min: u8,
    /// The most RCU read sections that may be open.
    pub rcu_max: u8,
    /// Whether a `bpf_spin_lock` is held on every path (`spin_min` 1) or on some
    /// (`spin_max` 1); the lock is the one marked pointers point into
    /// ([`crate::value::Pointer::locked`]).
    pub spin_min: u8,
    /// See `spin_min`.
    pub spin_max: u8,
}

/// Whether something still held makes an action (exit, tail call, LD_ABS) unsafe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outstanding {
    /// Nothing is held.
    None,
    /// Something may be held.
    Maybe,
    /// Something is held on every path here.
    Surely,
}

impl Resources {
    /// The join: what either may hold.
    pub fn join(&self, other: &Resources) -> Resources {
        let mut iterators = self.iterators.clone();
        for (place, theirs) in other.iterators.iter() {
            let joined = match self.iterators.get(place) {
                Some(ours) => IterState {
                    kind: if ours.kind == theirs.kind { ours.kind } else { None },
                    surely: ours.surely && theirs.surely && ours.kind == theirs.kind,
                    drained: ours.drained || theirs.drained,
                },
                None => IterState { surely: false, ..*theirs },
            };
            iterators.insert(*place, joined);
        }
        for (place, ours) in self.iterators.iter() {
            if !other.iterators.contains_key(place) {
                iterators.insert(*place, IterState { surely: false, ..*ours });
            }
        }
        Resources {
            held: self.held.clone().union(other.held.clone()),
            surely: self.surely.clone().intersection(other.surely.clone()),
            iterators,
            rcu_min: self.rcu_min.min(other.rcu_min),
            rcu_max: self.rcu_max.max(other.rcu_max),
            spin_min: self.spin_min.min(other.spin_min),
            spin_max: self.spin_max.max(other.spin_max),
        }
    }

    /// `self ⊑ other`.
    pub fn leq(&self, other: &Resources) -> bool {
        let iterators =
            self.iterators.iter().all(|(place, ours)| {
                other.iterators.get(place).is_some_and(|theirs| {
                    (theirs.kind.is_none() || theirs.kind == ours.kind)
                        && (!theirs.surely || ours.surely)
                        && (theirs.drained || !ours.drained)
                })
            }) && other.iterators.iter().all(|(place, theirs)| !theirs.surely || self.iterators.contains_key(place));
        self.held.is_subset(&other.held)
            && other.surely.is_subset(&self.surely)
            && iterators
            && self.rcu_min >= other.rcu_min
            && self.rcu_max <= other.rcu_max
            && self.spin_min >= other.spin_min
            && self.spin_max <= other.spin_max
    }

    /// Records the reference acquired at `pc`; `false` when one acquired there may still be
    /// held (it would then be lost).
    pub fn acquire(&mut self, pc: u32) -> bool {
        self.surely.insert(pc);
        self.held.insert(pc).is_none()
    }

    /// Releases the reference acquired at `pc`.
    pub fn release(&mut self, pc: u32) {
        self.held.remove(&pc);
        self.surely.remove(&pc);
    }

    /// Whether a reference is surely held, maybe held, or not.
    pub fn outstanding(&self) -> Outstanding {
        if !self.surely.is_empty() || self.iterators.values().any(|i| i.surely) {
            Outstanding::Surely
        } else if !self.held.is_empty() || !self.iterators.is_empty() {
            Outstanding::Maybe
        } else {
            Outstanding::None
        }
    }

    /// Whether an iterator of `kind` is active at `place` on every path, some, or none.
    pub fn iterator(&self, place: IterPlace, kind: IterKind) -> Outstanding {
        match self.iterators.get(&place) {
            Some(state) if state.surely && state.kind == Some(kind) => Outstanding::Surely,
            Some(_) => Outstanding::Maybe,
            None => Outstanding::None,
        }
    }

    /// Whether anything (of any kind) may be active at `place`.
    pub fn iterator_at(&self, place: IterPlace) -> Outstanding {
        match self.iterators.get(&place) {
            Some(state) if state.surely => Outstanding::Surely,
            Some(_) => Outstanding::Maybe,
            None => Outstanding::None,
        }
    }

    /// Opens an RCU read section; `false` when the nesting would exceed [`MAX_RCU_DEPTH`].
    pub fn rcu_lock(&mut self) -> bool {
        if self.rcu_max >= MAX_RCU_DEPTH {
            return false;
        }
        self.rcu_min += 1;
        self.rcu_max += 1;
        true
    }

    /// Closes an RCU read section: whether one is open on every path, some, or none.
    pub fn rcu_unlock(&mut self) -> Outstanding {
        let open = match (self.rcu_min, self.rcu_max) {
            (_, 0) => Outstanding::None,
            (0, _) => Outstanding::Maybe,
            _ => Outstanding::Surely,
        };
        self.rcu_min = self.rcu_min.saturating_sub(1);
        self.rcu_max = self.rcu_max.saturating_sub(1);
        open
    }

    /// Whether a `bpf_spin_lock` is held.
    pub fn spin_lock_held(&self) -> Outstanding {
        match (self.spin_min, self.spin_max) {
            (0, 0) => Outstanding::None,
            (0, _) => Outstanding::Maybe,
            _ => Outstanding::Surely,
        }
    }

    /// Whether an RCU read section may be open.
    pub fn rcu_open(&self) -> Outstanding {
        match (self.rcu_min, self.rcu_max) {
            (_, 0) => Outstanding::None,
            (0, _) => Outstanding::Maybe,
            _ => Outstanding::Surely,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surely_held_references_and_iterators_survive_only_joins_of_paths_that_hold_them() {
        let mut a = Resources::default();
        assert!(a.acquire(4));
        a.iterators.insert((0, -8), IterState { kind: Some(IterKind::Num), surely: true, drained: false });
        assert_eq!(a.outstanding(), Outstanding::Surely);
        let joined = a.join(&a.clone());
        assert_eq!(joined, a);
        let b = Resources::default();
        let joined = a.join(&b);
        assert_eq!(joined.outstanding(), Outstanding::Maybe);
        assert_eq!(joined.iterator((0, -8), IterKind::Num), Outstanding::Maybe);
        assert!(a.leq(&joined) && b.leq(&joined) && !joined.leq(&a) && !joined.leq(&b));
        a.release(4);
        a.iterators.remove(&(0, -8));
        assert_eq!(a.outstanding(), Outstanding::None);
    }

    #[test]
    fn join_keeps_whatever_either_path_may_hold() {
        let mut a = Resources::default();
        assert!(a.acquire(4));
        assert!(a.rcu_lock());
        let b = Resources::default();
        let joined = a.join(&b);
        assert!(joined.held.contains(&4));
        assert_eq!(joined.rcu_open(), Outstanding::Maybe);
        assert!(a.leq(&joined) && b.leq(&joined) && !joined.leq(&a));
    }

    #[test]
    fn acquiring_twice_at_one_pc_is_refused() {
        let mut r = Resources::default();
        assert!(r.acquire(7));
        assert!(!r.acquire(7));
        r.release(7);
        assert!(r.acquire(7));
    }

    #[test]
    fn unlock_without_lock_is_seen() {
        let mut r = Resources::default();
        assert_eq!(r.rcu_unlock(), Outstanding::None);
        assert!(r.rcu_lock());
        assert_eq!(r.rcu_unlock(), Outstanding::Surely);
        assert_eq!(r.rcu_open(), Outstanding::None);
        for _ in 0..MAX_RCU_DEPTH {
            assert!(r.rcu_lock());
        }
        assert!(!r.rcu_lock());
    }
}
