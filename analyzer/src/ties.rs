//! Places known to hold one and the same number: registers copied from one another, a
//! register spilled to the stack and the registers filled from that spill.
//!
//! A tie is a fact about concrete values, so a branch that bounds one member of a class
//! bounds them all (`r2 = r0; if r0 s> 20 ...; if r2 s< 0 ...` bounds both). Linux's
//! verifier gets the same from the ids it gives scalars.
//!
//! A [`Place`] is a register or a stack slot: the number a load of exactly the slot's bytes
//! at its start would give (zero-extended). The transfer function keeps ties sound by
//! construction: an instruction first unties every place it may write, then ties what it
//! copied (see [`crate::transfer::Env::post`]); calls keep only the ties among `r6`–`r9`,
//! which no callee or helper can change. [`crate::state::State::drop_stale_ties`] then
//! removes any place that no longer holds a number, or whose slot changed shape.

use std::collections::BTreeSet;

use bpfprove_semantics::isa::Reg;

/// Somewhere a number is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// A register.
    Reg(Reg),
    /// The `size` bytes at `start` of stack frame `frame`, read as one zero-extended number.
    Slot {
        /// The frame's depth.
        frame: u8,
        /// The slot's first byte, from the frame pointer.
        start: i16,
        /// The slot's bytes.
        size: u8,
    },
}

impl Place {
    /// Whether this is a slot of `frame` sharing a byte with `start..start + len`.
    pub fn overlaps(self, frame: u8, start: i64, len: i64) -> bool {
        match self {
            Place::Slot { frame: f, start: s, size } => {
                f == frame && i64::from(s) < start + len && start < i64::from(s) + i64::from(size)
            }
            Place::Reg(_) => false,
        }
    }
}

/// Classes of places holding equal numbers. Canonical (classes of two places or more, in
/// order of their least place), so equal facts compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ties {
    classes: Vec<BTreeSet<Place>>,
}

impl Ties {
    /// No ties.
    pub fn none() -> Ties {
        Ties::default()
    }

    /// The classes, each of two places or more.
    pub fn classes(&self) -> impl Iterator<Item = &BTreeSet<Place>> {
        self.classes.iter()
    }

    /// Ties made of `classes` (any shape: normalised here).
    pub fn from_classes(classes: impl IntoIterator<Item = BTreeSet<Place>>) -> Ties {
        let mut ties = Ties::none();
        for class in classes {
            let mut places = class.into_iter();
            if let Some(first) = places.next() {
                for place in places {
                    ties.tie(place, first);
                }
            }
        }
        ties
    }

    /// The places tied to `place`, itself included (none if it is tied to nothing).
    pub fn class_of(&self, place: Place) -> Option<&BTreeSet<Place>> {
        self.classes.iter().find(|class| class.contains(&place))
    }

    /// Keeps only the places `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(Place) -> bool) {
        for class in &mut self.classes {
            class.retain(|&p| keep(p));
        }
        self.normalise();
    }

    /// Forgets what is known of `place` (it is about to be written).
    pub fn untie(&mut self, place: Place) {
        self.retain(|p| p != place);
    }

    /// Records that `place` now holds what `to` holds; `place`'s old ties must already be
    /// gone (see [`Ties::untie`]) unless it is `to` itself.
    pub fn tie(&mut self, place: Place, to: Place) {
        if place == to {
            return;
        }
        match self.classes.iter_mut().find(|class| class.contains(&to)) {
            Some(class) => {
                class.insert(place);
            }
            None => self.classes.push([place, to].into()),
        }
        self.normalise();
    }

    /// The ties both hold (the facts true on both paths).
    pub fn join(&self, other: &Ties) -> Ties {
        if self == other {
            return self.clone();
        }
        let mut classes = Vec::new();
        for a in &self.classes {
            for b in &other.classes {
                classes.push(a.intersection(b).copied().collect());
            }
        }
        let mut ties = Ties { classes };
        ties.normalise();
        ties
    }

    /// Whether every tie of `other` holds in `self` (`self` says at least as much).
    pub fn implies(&self, other: &Ties) -> bool {
        other.classes.iter().all(|b| self.classes.iter().any(|a| b.is_subset(a)))
    }

    fn normalise(&mut self) {
        self.classes.retain(|class| class.len() >= 2);
        self.classes.sort_by_key(|class| class.first().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(n: u8) -> Place {
        Place::Reg(Reg::new(n).expect("a register"))
    }

    #[test]
    fn copies_form_one_class_and_a_write_leaves_it() {
        let mut ties = Ties::none();
        ties.tie(reg(2), reg(0));
        ties.tie(reg(4), reg(2));
        assert_eq!(ties.class_of(reg(0)).map(BTreeSet::len), Some(3));
        ties.untie(reg(2));
        assert!(ties.class_of(reg(2)).is_none());
        assert_eq!(ties.class_of(reg(4)), Some(&[reg(0), reg(4)].into()));
        ties.untie(reg(0));
        assert_eq!(ties, Ties::none());
    }

    #[test]
    fn a_join_keeps_the_ties_of_both_paths_only() {
        let a = Ties::from_classes([[reg(1), reg(2), reg(3)].into()]);
        let b = Ties::from_classes([[reg(1), reg(2)].into(), [reg(3), reg(4)].into()]);
        let joined = a.join(&b);
        assert_eq!(joined, Ties::from_classes([[reg(1), reg(2)].into()]));
        assert!(a.implies(&joined) && b.implies(&joined));
        assert!(!joined.implies(&a) && !joined.implies(&b));
        assert!(a.implies(&Ties::none()) && !Ties::none().implies(&a));
    }

    #[test]
    fn slots_overlap_only_the_bytes_of_their_frame() {
        let slot = Place::Slot { frame: 0, start: -8, size: 4 };
        assert!(slot.overlaps(0, -6, 1) && slot.overlaps(0, -16, 9));
        assert!(!slot.overlaps(0, -4, 4) && !slot.overlaps(1, -8, 4) && !slot.overlaps(0, -16, 8));
        assert!(!reg(1).overlaps(0, -8, 8));
    }
}
