//! Linked places: facts `place = base + c (mod 2^64)` between registers and 8-byte stack
//! slots, about the 64-bit words they hold (numbers or addresses alike).
//!
//! Linux's verifier links scalars the same way (`r1 = r2 + c` gives both one id with an
//! offset), so a branch that bounds one bounds every place linked to it. A link is a fact
//! about concrete words, true until one of its places is written; so it survives whatever
//! the abstract values say of the places, and only the transfer decides what to keep (see
//! [`crate::transfer`]'s `links` module). What a link lets a branch learn depends on how the
//! state reads the two places: two numbers, or two pointers into one object (their offsets
//! differ by `c`).
//!
//! Canonical form: each class of linked places is stored as its least place (the root) and
//! every other member's offset from it, so equal facts compare equal and a state stays cheap
//! to clone and hash. [`terms`] derives new facts by equality saturation over the terms an
//! instruction builds (`(r2 + 2) + 2` meets `r2 + 4`).

pub mod terms;

use std::collections::BTreeMap;

use crate::ties::Place;

/// Most places linked at once; a state with more forgets the greatest ones. Keeps joins,
/// e-graphs and logs small.
pub const MAX_PLACES: usize = 24;

/// A fact `place = base + offset (mod 2^64)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link {
    /// The place described.
    pub place: Place,
    /// The place it is described from.
    pub base: Place,
    /// What is added to `base`'s word, modulo 2^64.
    pub offset: u64,
}

/// Classes of linked places, canonical: each member other than a class's least place maps
/// to that root and its offset from it (`member = root + offset`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Links {
    members: BTreeMap<Place, (Place, u64)>,
}

impl Links {
    /// No links.
    pub fn none() -> Links {
        Links::default()
    }

    /// Whether nothing is linked.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The stored facts: each non-root member from its root.
    pub fn facts(&self) -> impl Iterator<Item = Link> + '_ {
        self.members.iter().map(|(&place, &(base, offset))| Link { place, base, offset })
    }

    /// The facts, made canonical: the facts of a reachable state agree, and a fact that
    /// contradicts the ones before it (possible only where nothing is reachable) is left out.
    pub fn from_facts(facts: impl IntoIterator<Item = Link>) -> Links {
        let mut links = Links::none();
        for fact in facts {
            links.add(fact);
        }
        links.limit();
        links
    }

    /// The root of `place`'s class and `place`'s offset from it (itself and 0 when unlinked).
    pub fn root_of(&self, place: Place) -> (Place, u64) {
        self.members.get(&place).copied().unwrap_or((place, 0))
    }

    /// `c` with `place = base + c`, when the links say so.
    pub fn offset_between(&self, place: Place, base: Place) -> Option<u64> {
        let (root_p, off_p) = self.root_of(place);
        let (root_b, off_b) = self.root_of(base);
        (root_p == root_b).then(|| off_p.wrapping_sub(off_b))
    }

    /// The places linked to `place` (itself included when linked), each with its offset
    /// from `place`: `member = place + offset`.
    pub fn class_of(&self, place: Place) -> Vec<(Place, u64)> {
        let (root, off) = self.root_of(place);
        let mut class: Vec<(Place, u64)> = self
            .members
            .iter()
            .filter(|(_, (r, _))| *r == root)
            .map(|(&member, &(_, o))| (member, o.wrapping_sub(off)))
            .collect();
        if class.is_empty() {
            return class;
        }
        class.push((root, 0u64.wrapping_sub(off)));
        class.sort();
        class
    }

    /// Every place that is linked to another.
    pub fn places(&self) -> Vec<Place> {
        let mut places: Vec<Place> = self.members.iter().flat_map(|(&m, &(r, _))| [m, r]).collect();
        places.sort();
        places.dedup();
        places
    }

    /// Keeps only the places `keep` accepts; the others' facts are forgotten, and their
    /// classes linked through what remains.
    pub fn retain(&mut self, keep: impl Fn(Place) -> bool) {
        if self.members.is_empty() || self.places().into_iter().all(&keep) {
            return;
        }
        let facts: Vec<Link> = self.facts().collect();
        let mut kept = Links::none();
        // Members linked through a dropped root are linked to each other: re-root them.
        let mut by_root: BTreeMap<Place, Vec<(Place, u64)>> = BTreeMap::new();
        for Link { place, base, offset } in facts {
            by_root.entry(base).or_default().push((place, offset));
        }
        for (root, mut members) in by_root {
            members.push((root, 0));
            members.retain(|&(p, _)| keep(p));
            members.sort();
            if let Some(&(new_root, root_off)) = members.first() {
                for &(p, o) in &members[1..] {
                    kept.members.insert(p, (new_root, o.wrapping_sub(root_off)));
                }
            }
        }
        *self = kept;
    }

    /// Forgets what is known of `place` (it is about to be written). Every write calls it,
    /// so the common cases (unlinked, or a member other than the root) are cheap.
    pub fn forget(&mut self, place: Place) {
        if self.members.remove(&place).is_some() {
            return;
        }
        if self.members.values().any(|&(root, _)| root == place) {
            self.retain(|p| p != place);
        }
    }

    /// The facts both hold with the same offset (what is true on both paths).
    pub fn join(&self, other: &Links) -> Links {
        if self == other {
            return self.clone();
        }
        // Two places stay linked when they share a root on each side and their offsets
        // from those roots differ alike: group places by both roots and that difference.
        let mut groups: BTreeMap<(Place, Place, u64), Vec<(Place, u64)>> = BTreeMap::new();
        for place in self.places() {
            let (ra, oa) = self.root_of(place);
            let (rb, ob) = other.root_of(place);
            groups.entry((ra, rb, oa.wrapping_sub(ob))).or_default().push((place, oa));
        }
        let mut joined = Links::none();
        for (_, mut members) in groups {
            members.sort();
            if let Some(&(root, root_off)) = members.first() {
                for &(p, o) in &members[1..] {
                    joined.members.insert(p, (root, o.wrapping_sub(root_off)));
                }
            }
        }
        joined
    }

    /// Whether every fact of `other` holds in `self` (`self` says at least as much).
    pub fn implies(&self, other: &Links) -> bool {
        other.facts().all(|Link { place, base, offset }| self.offset_between(place, base) == Some(offset))
    }

    /// Adds `fact`, linking its two classes; a fact that contradicts what is known is
    /// dropped (see [`Links::from_facts`]).
    fn add(&mut self, Link { place, base, offset }: Link) {
        let (rp, op) = self.root_of(place);
        let (rb, ob) = self.root_of(base);
        if rp == rb {
            return;
        }
        // place = rp + op = rb + ob + offset, so rp = rb + (ob + offset - op).
        let rp_from_rb = ob.wrapping_add(offset).wrapping_sub(op);
        let (root, other, other_off) = if rb < rp { (rb, rp, rp_from_rb) } else { (rp, rb, rp_from_rb.wrapping_neg()) };
        let moved: Vec<(Place, u64)> = self
            .members
            .iter()
            .filter(|(_, (r, _))| *r == other)
            .map(|(&m, &(_, o))| (m, o.wrapping_add(other_off)))
            .collect();
        for (m, o) in moved {
            self.members.insert(m, (root, o));
        }
        self.members.insert(other, (root, other_off));
    }

    /// Drops the greatest places until at most [`MAX_PLACES`] are linked.
    fn limit(&mut self) {
        let places = self.places();
        if places.len() > MAX_PLACES {
            let cut = places[MAX_PLACES];
            self.retain(|p| p < cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use bpfprove_semantics::isa::Reg;

    use super::*;

    fn reg(n: u8) -> Place {
        Place::Reg(Reg::new(n).expect("a register"))
    }

    fn link(place: Place, base: Place, offset: u64) -> Link {
        Link { place, base, offset }
    }

    #[test]
    fn facts_are_stored_from_the_least_place_and_compare_equal() {
        let a = Links::from_facts([link(reg(3), reg(2), 4), link(reg(1), reg(3), 2)]);
        let b =
            Links::from_facts([link(reg(2), reg(1), 6u64.wrapping_neg()), link(reg(3), reg(1), 2u64.wrapping_neg())]);
        assert_eq!(a, b);
        assert_eq!(a.offset_between(reg(1), reg(2)), Some(6));
        assert_eq!(a.class_of(reg(2)), vec![(reg(1), 6), (reg(2), 0), (reg(3), 4)]);
        assert_eq!(a.offset_between(reg(4), reg(2)), None);
    }

    #[test]
    fn forgetting_a_root_keeps_its_members_linked() {
        let mut links = Links::from_facts([link(reg(2), reg(1), 8), link(reg(3), reg(1), 3)]);
        links.forget(reg(1));
        assert_eq!(links.offset_between(reg(2), reg(3)), Some(5));
        assert_eq!(links.offset_between(reg(1), reg(3)), None);
        links.forget(reg(3));
        assert!(links.is_empty());
    }

    #[test]
    fn a_join_keeps_the_facts_with_equal_offsets_on_both_sides() {
        let a = Links::from_facts([link(reg(2), reg(1), 8), link(reg(3), reg(1), 3), link(reg(4), reg(1), 1)]);
        let b = Links::from_facts([link(reg(2), reg(1), 8), link(reg(3), reg(1), 4), link(reg(4), reg(3), 9)]);
        let joined = a.join(&b);
        assert_eq!(joined, Links::from_facts([link(reg(2), reg(1), 8)]));
        assert!(a.implies(&joined) && b.implies(&joined));
        assert!(!joined.implies(&a) && !joined.implies(&b));
        // r3 and r4 differ by 2 on the left, by 9 on the right: not linked.
        assert_eq!(joined.offset_between(reg(4), reg(3)), None);
        let c = Links::from_facts([link(reg(4), reg(3), 5), link(reg(6), reg(5), 1)]);
        let d = Links::from_facts([link(reg(4), reg(3), 5), link(reg(6), reg(3), 1)]);
        assert_eq!(c.join(&d), Links::from_facts([link(reg(4), reg(3), 5)]));
    }
}
