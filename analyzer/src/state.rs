//! The abstract machine state at a program point: registers, the stack frames of the
//! active calls, and what is known about the packet's size.

use bpfprove_domains::{DomainKind, Lattice};
use bpfprove_semantics::isa::Reg;
use imbl::{OrdMap, Vector};

use crate::links::Links;
use crate::references::Resources;
use crate::stack::Frame;
use crate::ties::{Place, Ties};
use crate::value::{Num, Pointer, Region, Value};
use crate::widening::Thresholds;
use crate::zone::{Var, Zone};

/// What bounds checks against `data_end` established about the packet's size `len`.
///
/// `min_len`: `len >= min_len`. `ranges[id] = r`: `len >= base(id) + r` for the variable
/// packet offset introduced at pc `id` (see [`crate::value::PacketVar`]), so a pointer with
/// that variable and fixed part `f` may access `r - f` bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PacketFacts {
    /// A lower bound on the packet's length.
    pub min_len: u64,
    /// Per packet variable, a lower bound on `len - base(id)`.
    pub ranges: OrdMap<u32, i64>,
    /// Whether a helper may have moved or resized the packet since the running function was
    /// entered (its caller's saved packet pointers are then stale when it returns).
    pub moved: bool,
    /// A lower bound on the metadata's length, `data - data_meta`.
    pub meta_len: u64,
}

impl PacketFacts {
    fn join(&self, other: &PacketFacts) -> PacketFacts {
        let ranges = self.ranges.iter().filter_map(|(id, &r)| other.ranges.get(id).map(|&o| (*id, r.min(o)))).collect();
        PacketFacts {
            min_len: self.min_len.min(other.min_len),
            ranges,
            moved: self.moved || other.moved,
            meta_len: self.meta_len.min(other.meta_len),
        }
    }

    fn leq(&self, other: &PacketFacts) -> bool {
        (!self.moved || other.moved)
            && self.min_len >= other.min_len
            && self.meta_len >= other.meta_len
            && other.ranges.iter().all(|(id, &r)| self.ranges.get(id).is_some_and(|&mine| mine >= r))
    }

    /// Records `len >= base(id) + range`.
    pub fn learn_range(&mut self, id: u32, range: i64) {
        let best = self.ranges.get(&id).map_or(range, |&known| known.max(range));
        self.ranges.insert(id, best);
    }

    /// Records `data - data_meta >= meta_len`.
    pub fn learn_meta_len(&mut self, meta_len: u64) {
        self.meta_len = self.meta_len.max(meta_len);
    }

    /// Records `len >= min_len`.
    pub fn learn_min_len(&mut self, min_len: u64) {
        self.min_len = self.min_len.max(min_len);
    }
}

/// The state at a program point (when reachable).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// `r0`..=`r10`.
    pub regs: [Value; Reg::COUNT],
    /// The stack frames, outermost first; the last is the running function's.
    pub frames: Vector<Frame>,
    /// Packet size facts.
    pub packet: PacketFacts,
    /// Held references and open RCU read sections.
    pub resources: Resources,
    /// Registers and stack slots known to hold one number.
    pub ties: Ties,
    /// Difference constraints between registers, packet offsets and the packet's length
    /// (empty unless the analysis uses zones).
    pub zone: Zone,
    /// Places whose words differ by a known constant (empty unless the analysis uses
    /// equalities, [`crate::links`]).
    pub links: Links,
}

impl State {
    /// The state at a program's entry: `r1` is the context, `r10` the frame pointer, the
    /// others undefined.
    pub fn entry(domain: DomainKind) -> State {
        let mut regs: [Value; Reg::COUNT] = std::array::from_fn(|_| Value::Uninit);
        regs[Reg::R1.index()] = Value::Pointer(Pointer::at(Region::Context, domain, 0));
        regs[Reg::R10.index()] = Value::Pointer(Pointer::at(Region::Stack { frame: 0 }, domain, 0));
        State {
            regs,
            frames: Vector::unit(Frame::new()),
            packet: PacketFacts::default(),
            resources: Resources::default(),
            ties: Ties::none(),
            zone: Zone::none(),
            links: Links::none(),
        }
    }

    /// The register's value.
    pub fn reg(&self, reg: Reg) -> &Value {
        &self.regs[reg.index()]
    }

    /// Sets a register, which no longer shares the number of any other place (a change
    /// that keeps it equal to them is [`State::spread_ties`]'s).
    pub fn set(&mut self, reg: Reg, value: Value) {
        self.regs[reg.index()] = value;
        self.ties.untie(Place::Reg(reg));
        self.zone.forget_reg(reg);
        self.links.forget(Place::Reg(reg));
    }

    /// Narrows a register to `value`, which must describe the number it already holds (what
    /// a branch learned): it keeps its ties.
    pub fn refine(&mut self, reg: Reg, value: Value) {
        self.regs[reg.index()] = value;
    }

    /// Depth of the running function's frame (0 for the program itself).
    pub fn depth(&self) -> u8 {
        (self.frames.len() - 1) as u8
    }

    /// Frame `frame`, if active.
    pub fn frame(&self, frame: u8) -> Option<&Frame> {
        self.frames.get(usize::from(frame))
    }

    /// Frame `frame` for writing, if active.
    pub fn frame_mut(&mut self, frame: u8) -> Option<&mut Frame> {
        self.frames.get_mut(usize::from(frame))
    }

    /// Applies `f` to every value held in registers and stack slots.
    pub fn map_values(&mut self, f: &dyn Fn(&Value) -> Option<Value>) {
        for reg in self.regs.iter_mut() {
            if let Some(new) = f(reg) {
                *reg = new;
            }
        }
        for frame in self.frames.iter_mut() {
            let updated: Vec<_> = frame
                .slots()
                .filter_map(|(start, slot)| f(&slot.value).map(|value| (start, slot.size, value)))
                .collect();
            if updated.is_empty() {
                continue;
            }
            let mut slots: Vec<_> = frame.slots().map(|(s, slot)| (s, slot.clone())).collect();
            for (start, size, value) in updated {
                if let Some(entry) = slots.iter_mut().find(|(s, _)| *s == start) {
                    entry.1 = crate::stack::Slot { size, value };
                }
            }
            *frame = Frame::from_slots(slots);
        }
    }

    /// Forgets the identities made at pc `id` (a helper call's result or a packet variable),
    /// which the instruction there is about to make afresh: older copies keep their values
    /// but no longer share a NULL check, an object or a packet variable with the new one.
    pub fn forget_identities(&mut self, id: u32) {
        self.packet.ranges.remove(&id);
        let other = move |i: u32| i != id;
        self.map_values(&|value| match value {
            Value::Pointer(p) => {
                let kept = p.keeping_identities(&other);
                (&kept != p).then_some(Value::Pointer(kept))
            }
            _ => None,
        });
    }

    /// The join of two states at the same depth.
    pub fn join(&self, other: &State, domain: DomainKind) -> State {
        if self == other {
            return self.clone();
        }
        State {
            regs: std::array::from_fn(|i| self.regs[i].join(&other.regs[i], domain)),
            frames: self.frames.iter().zip(other.frames.iter()).map(|(a, b)| a.join(b, domain)).collect(),
            packet: self.packet.join(&other.packet),
            resources: self.resources.join(&other.resources),
            ties: self.ties.join(&other.ties),
            zone: self.zone.join(&other.zone),
            links: self.links.join(&other.links),
        }
        .without_stale_ties()
    }

    /// Widening of `self` by `newer`.
    pub fn widen(&self, newer: &State, domain: DomainKind, thresholds: &Thresholds) -> State {
        if self == newer {
            return self.clone();
        }
        State {
            regs: std::array::from_fn(|i| self.regs[i].widen(&newer.regs[i], domain, thresholds)),
            frames: self.frames.iter().zip(newer.frames.iter()).map(|(a, b)| a.widen(b, domain, thresholds)).collect(),
            packet: self.packet.join(&newer.packet),
            resources: self.resources.join(&newer.resources),
            ties: self.ties.join(&newer.ties),
            zone: self.zone.widen(&newer.zone),
            // Finitely many places and facts: the join is a widening.
            links: self.links.join(&newer.links),
        }
        .without_stale_ties()
    }

    /// Narrowing of `self` by `newer` (`newer ⊑ self`).
    pub fn narrow(&self, newer: &State) -> State {
        State {
            regs: std::array::from_fn(|i| self.regs[i].narrow(&newer.regs[i])),
            frames: self.frames.iter().zip(newer.frames.iter()).map(|(a, b)| a.narrow(b)).collect(),
            packet: newer.packet.clone(),
            resources: newer.resources.clone(),
            ties: newer.ties.clone(),
            zone: newer.zone.clone(),
            links: newer.links.clone(),
        }
        .without_stale_ties()
    }

    /// `self ⊑ other`.
    pub fn leq(&self, other: &State, domain: DomainKind) -> bool {
        self == other
            || (self.frames.len() == other.frames.len()
                && self.regs.iter().zip(other.regs.iter()).all(|(a, b)| a.leq(b))
                && self.frames.iter().zip(other.frames.iter()).all(|(a, b)| a.leq(b, domain))
                && self.packet.leq(&other.packet)
                && self.resources.leq(&other.resources)
                && self.ties.implies(&other.ties)
                && self.zone.leq(&other.zone)
                && self.links.implies(&other.links))
    }

    /// The number `place` holds, if it holds one.
    pub fn number_at(&self, place: Place) -> Option<&Num> {
        let value = match place {
            Place::Reg(reg) => self.reg(reg),
            Place::Slot { frame, start, size } => {
                let slot = self.frame(frame)?.slot_at(start)?;
                if slot.size != size {
                    return None;
                }
                &slot.value
            }
        };
        match value {
            Value::Scalar(n) => Some(n),
            _ => None,
        }
    }

    /// What `place` holds: a register's value, or the value of the slot that starts at the
    /// place's first byte and has its size.
    pub fn value_at(&self, place: Place) -> Option<&Value> {
        match place {
            Place::Reg(reg) => Some(self.reg(reg)),
            Place::Slot { frame, start, size } => {
                let slot = self.frame(frame)?.slot_at(start)?;
                (slot.size == size).then_some(&slot.value)
            }
        }
    }

    /// Narrows what `place` holds to `value`, which must describe the word it holds (what
    /// a branch learned): it keeps its ties and links.
    pub fn refine_place(&mut self, place: Place, value: Value) {
        match place {
            Place::Reg(reg) => self.refine(reg, value),
            Place::Slot { frame, start, .. } => {
                if let Some(f) = self.frame_mut(frame) {
                    f.replace_value(start, value);
                }
            }
        }
    }

    /// Forgets the ties of places that no longer hold a number of their tied shape, the
    /// links of places that hold neither a number nor a pointer, and the zone variables of
    /// registers that no longer hold what the variable reads.
    pub fn drop_stale_ties(&mut self) {
        if !self.links.is_empty() {
            let stale: Vec<Place> = self
                .links
                .places()
                .into_iter()
                .filter(|&p| !matches!(self.value_at(p), Some(Value::Scalar(_) | Value::Pointer(_))))
                .collect();
            if !stale.is_empty() {
                self.links.retain(|p| !stale.contains(&p));
            }
        }
        let stale: Vec<Place> =
            self.ties.classes().flatten().copied().filter(|&p| self.number_at(p).is_none()).collect();
        if !stale.is_empty() {
            self.ties.retain(|p| !stale.contains(&p));
        }
        if !self.zone.is_empty() {
            let stale: Vec<Var> = self.zone.vars().into_iter().filter(|&v| !self.zone_var_holds(v)).collect();
            if !stale.is_empty() {
                self.zone.forget_where(|v| stale.contains(&v));
            }
        }
    }

    /// Whether the zone variable `var` reads something this state holds: a register's number
    /// or packet offset, or an 8-byte number in a stack slot.
    pub fn zone_var_holds(&self, var: Var) -> bool {
        match var {
            Var::Zero | Var::Len => true,
            Var::Num(r) => matches!(self.reg(r), Value::Scalar(_)),
            Var::Off(r) => matches!(self.reg(r), Value::Pointer(p) if is_packet_offset(p)),
            Var::Slot { .. } => self.zone_number(var).is_some(),
            Var::Old => false,
        }
    }

    /// The number a [`Var::Num`] or [`Var::Slot`] variable reads, if the place holds one.
    pub fn zone_number(&self, var: Var) -> Option<&Num> {
        match var {
            Var::Num(reg) => self.number_at(Place::Reg(reg)),
            Var::Slot { frame, start } => self.number_at(Place::Slot { frame, start, size: 8 }),
            _ => None,
        }
    }

    fn without_stale_ties(mut self) -> State {
        self.drop_stale_ties();
        self
    }

    /// Narrows every place tied to `place` to what they all hold together (they hold one
    /// number). `false` if they cannot agree: the state is unreachable.
    pub fn spread_ties(&mut self, place: Place) -> bool {
        let Some(class) = self.ties.class_of(place).cloned() else { return true };
        let mut common: Option<Num> = None;
        for &p in &class {
            if let Some(n) = self.number_at(p) {
                common = Some(match common {
                    None => n.clone(),
                    Some(c) => c.meet(n),
                });
            }
        }
        let Some(common) = common else { return true };
        if common.is_bottom() {
            return false;
        }
        for p in class {
            if self.number_at(p).is_none() {
                continue;
            }
            match p {
                Place::Reg(reg) => self.refine(reg, Value::Scalar(common.clone())),
                Place::Slot { frame, start, .. } => {
                    if let Some(f) = self.frame_mut(frame) {
                        f.replace_value(start, Value::Scalar(common.clone()));
                    }
                }
            }
        }
        true
    }
}

/// Whether a zone's [`Var::Off`] may read `pointer`: a non-NULL packet pointer whose
/// offset is small, so its address neither wraps nor orders differently from its offset.
pub fn is_packet_offset(pointer: &Pointer) -> bool {
    pointer.region == Region::Packet && !pointer.null.may_be_null() && pointer.has_small_offset()
}

/// A state or unreachability.
pub type Reach = Option<State>;

/// The join of two possibly unreachable states.
pub fn join_reach(a: &Reach, b: &Reach, domain: DomainKind) -> Reach {
    match (a, b) {
        (None, x) | (x, None) => x.clone(),
        (Some(a), Some(b)) => Some(a.join(b, domain)),
    }
}

/// `a ⊑ b` for possibly unreachable states.
pub fn leq_reach(a: &Reach, b: &Reach, domain: DomainKind) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => a.leq(b, domain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: DomainKind = DomainKind::Interval;

    #[test]
    fn packet_facts_join_keeps_what_both_know() {
        let mut a = State::entry(D);
        a.packet.learn_min_len(14);
        a.packet.learn_range(7, 20);
        let mut b = State::entry(D);
        b.packet.learn_min_len(34);
        b.packet.learn_range(7, 8);
        b.packet.learn_range(9, 4);
        let joined = a.join(&b, D);
        assert_eq!(joined.packet.min_len, 14);
        assert_eq!(joined.packet.ranges.get(&7), Some(&8));
        assert_eq!(joined.packet.ranges.get(&9), None);
        assert!(a.leq(&joined, D) && b.leq(&joined, D) && !joined.leq(&a, D));
    }

    /// A register holding a number on one side and a packet pointer on the other keeps no
    /// zone constraint after the join: the two read it differently (value vs offset).
    #[test]
    fn joins_keep_only_zone_constraints_both_sides_read_alike() {
        let mut a = State::entry(D);
        a.set(Reg::R2, Value::constant(D, 5));
        a.set(Reg::R3, Value::constant(D, 9));
        assert!(a.zone.add(Var::Num(Reg::R2), Var::Num(Reg::R3), -4));
        let mut b = a.clone();
        b.set(Reg::R2, Value::Pointer(Pointer::at(Region::Packet, D, 5)));
        assert!(b.zone.add(Var::Off(Reg::R2), Var::Num(Reg::R3), -4));
        let joined = a.join(&b, D);
        assert!(joined.zone.is_empty(), "{:?}", joined.zone);
        // Both sides alike: the looser bound survives, and each side is below the join.
        let mut c = a.clone();
        c.set(Reg::R2, Value::constant(D, 7));
        assert!(c.zone.add(Var::Num(Reg::R2), Var::Num(Reg::R3), -2));
        let joined = a.join(&c, D);
        assert_eq!(joined.zone.bound(Var::Num(Reg::R2), Var::Num(Reg::R3)), Some(-2));
        assert!(a.leq(&joined, D) && c.leq(&joined, D) && !joined.leq(&a, D));
        // Writing a register forgets its constraints.
        let mut d = joined.clone();
        d.set(Reg::R3, Value::constant(D, 1));
        assert!(d.zone.is_empty());
    }

    #[test]
    fn entry_state_has_context_and_frame_pointer() {
        let state = State::entry(D);
        assert!(matches!(state.reg(Reg::R1), Value::Pointer(p) if p.region == Region::Context));
        assert!(matches!(state.reg(Reg::R0), Value::Uninit));
        assert_eq!(state.depth(), 0);
    }
}
