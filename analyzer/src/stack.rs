//! One call frame's 512 stack bytes, tracked byte-precisely.
//!
//! Written bytes are grouped into *slots*: a run of 1 to 8 bytes written together, holding
//! one [`Value`] (a spilled register, a number, or the low bytes of one). Bytes in no slot
//! may be uninitialised. A store replaces the slots it overlaps; the bytes of a replaced slot
//! outside the store stay initialised, with the value those bytes had where it can be
//! computed (the shifted number) and any number otherwise. A load assembles the bytes it
//! covers from every slot it overlaps, so narrow, wide and misaligned fills are all sound:
//! only an exact fill of a spilled pointer gives the pointer back.
//!
//! Slots are kept in a persistent map, so copies of a frame share structure.
//!
//! While its function calls another, a frame also keeps that function's `r6`–`r9` in four
//! slots above the frame pointer (offsets `0..32`). The program cannot reach them (every
//! access stays inside `-512..0`), but everything that walks the frames does: a callee that
//! deletes a map element, releases a record or moves the packet invalidates the saved
//! registers of every caller exactly as it invalidates their spilled ones, as Linux does
//! with the registers of every frame.

use bpfprove_domains::DomainKind;
use bpfprove_semantics::isa::{BinOp, Reg, Width};
use imbl::OrdMap;

use crate::value::{Num, Value};
use crate::widening::Thresholds;

/// Bytes in a frame.
pub const FRAME_BYTES: i64 = 512;

/// The registers a call preserves, in the order their slots are kept above the frame
/// pointer (see the module docs).
pub const CALLEE_SAVED: [Reg; 4] = [Reg::R6, Reg::R7, Reg::R8, Reg::R9];

/// The end of the slots that keep [`CALLEE_SAVED`] (they start at offset 0).
pub const SAVED_REGISTERS_END: i16 = 8 * CALLEE_SAVED.len() as i16;

/// A run of bytes written together.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    /// Number of bytes, 1..=8.
    pub size: u8,
    /// What they hold (never [`Value::Uninit`]). Numbers narrower than 8 bytes hold the
    /// zero-extended bytes.
    pub value: Value,
}

/// A stack frame. Offsets are relative to the frame's `r10`: `-512..0`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Frame {
    slots: OrdMap<i16, Slot>,
}

/// The mask of the low `bytes` bytes.
fn byte_mask(bytes: u32) -> u64 {
    if bytes >= 8 { u64::MAX } else { (1u64 << (8 * bytes)) - 1 }
}

/// Any number of `bytes` bytes (zero-extended).
pub fn any_bytes(domain: DomainKind, bytes: u32) -> Value {
    Value::Scalar(domain.unsigned_range(0, byte_mask(bytes)))
}

/// Bytes `skip..skip + len` of `value` (an 8-byte-or-narrower little-endian run), as a
/// zero-extended number.
fn extract(value: &Value, skip: u32, len: u32, domain: DomainKind) -> Num {
    match value {
        Value::Scalar(n) => {
            let shifted = if skip == 0 {
                n.clone()
            } else {
                n.binary(BinOp::Rsh, Width::W64, &domain.constant(&u64::from(8 * skip)))
            };
            match len {
                8.. => shifted,
                // The low half as a 32-bit move gives it: the domain keeps what it knows of
                // the sub-register (its signed bounds, which masking would lose).
                4 => shifted.binary(BinOp::Mov, Width::W32, &shifted),
                _ => shifted.binary(BinOp::And, Width::W64, &domain.constant(&byte_mask(len))),
            }
        }
        // The bytes of an address are some number.
        _ => domain.unsigned_range(0, byte_mask(len)),
    }
}

/// The part of `start..start + len` inside a frame, as offsets `from..end` (none if empty).
/// Computed in 64 bits: a helper's length can be any `u32`.
fn within_frame(start: i16, len: u32) -> Option<(i64, i64)> {
    let from = i64::from(start).max(-FRAME_BYTES);
    let end = (i64::from(start) + i64::from(len)).min(0);
    (from < end).then_some((from, end))
}

impl Frame {
    /// An empty (uninitialised) frame.
    pub fn new() -> Frame {
        Frame::default()
    }

    /// The slots, by start offset.
    pub fn slots(&self) -> impl Iterator<Item = (i16, &Slot)> {
        self.slots.iter().map(|(&start, slot)| (start, slot))
    }

    /// The slot starting at `start`, if one does.
    pub fn slot_at(&self, start: i16) -> Option<&Slot> {
        self.slots.get(&start)
    }

    /// Replaces the value of the slot starting at `start` (if one does) by `value`, which
    /// must describe bytes the slot may hold: a refinement of what it holds.
    pub fn replace_value(&mut self, start: i16, value: Value) {
        if let Some(slot) = self.slots.get_mut(&start) {
            slot.value = value;
        }
    }

    /// A frame made of `slots` (no two may overlap).
    pub fn from_slots(slots: impl IntoIterator<Item = (i16, Slot)>) -> Frame {
        Frame { slots: slots.into_iter().collect() }
    }

    /// Keeps the caller's `r6`–`r9` (`values`, in [`CALLEE_SAVED`] order) while it calls.
    pub fn save_registers(&mut self, values: [Value; 4]) {
        for (offset, value) in (0..).step_by(8).zip(values) {
            self.slots.remove(&offset);
            if !matches!(value, Value::Uninit) {
                self.slots.insert(offset, Slot { size: 8, value });
            }
        }
    }

    /// Removes the registers [`Frame::save_registers`] kept, as the callee left them.
    pub fn take_saved_registers(&mut self) -> [Value; 4] {
        std::array::from_fn(|i| match self.slots.remove(&(8 * i as i16)) {
            Some(Slot { size: 8, value }) => value,
            Some(_) | None => Value::Uninit,
        })
    }

    /// The slots overlapping `start..start + len`, in order.
    fn overlapping(&self, start: i16, len: u32) -> Vec<(i16, Slot)> {
        let end = i32::from(start) + len as i32;
        let from = start.saturating_sub(7);
        self.slots
            .range(from..)
            .take_while(|(s, _)| i32::from(**s) < end)
            .filter(|(s, slot)| i32::from(**s) + i32::from(slot.size) > i32::from(start))
            .map(|(s, slot)| (*s, slot.clone()))
            .collect()
    }

    /// Removes the slots overlapping `start..start + len`, keeping their bytes outside it.
    fn clear(&mut self, start: i16, len: u32, domain: DomainKind) {
        let end = start + len as i16;
        for (s, slot) in self.overlapping(start, len) {
            self.slots.remove(&s);
            let slot_end = s + i16::from(slot.size);
            if s < start {
                let keep = (start - s) as u32;
                self.slots
                    .insert(s, Slot { size: keep as u8, value: Value::Scalar(extract(&slot.value, 0, keep, domain)) });
            }
            if slot_end > end {
                let keep = (slot_end - end) as u32;
                let skip = (end - s) as u32;
                self.slots.insert(
                    end,
                    Slot { size: keep as u8, value: Value::Scalar(extract(&slot.value, skip, keep, domain)) },
                );
            }
        }
    }

    /// Stores `value` into `start..start + len` (`len` in 1..=8, inside the frame). A number
    /// keeps its low `len` bytes; an address stored narrower than 8 bytes is any number.
    pub fn write(&mut self, start: i16, len: u32, value: Value, domain: DomainKind) {
        self.clear(start, len, domain);
        let value = match value {
            _ if len >= 8 => value,
            Value::Scalar(n) => Value::Scalar(extract(&Value::Scalar(n), 0, len, domain)),
            _ => any_bytes(domain, len),
        };
        self.slots.insert(start, Slot { size: len as u8, value });
    }

    /// Marks the frame's bytes in `start..start + len` initialised with unknown bytes (a
    /// helper filled them). Bytes outside the frame are no part of it: a helper argument
    /// that reaches them fails its own check.
    pub fn fill_unknown(&mut self, start: i16, len: u32, domain: DomainKind) {
        let Some((mut at, end)) = within_frame(start, len) else { return };
        while at < end {
            let chunk = (end - at).min(8) as u32;
            self.write(at as i16, chunk, any_bytes(domain, chunk), domain);
            at += i64::from(chunk);
        }
    }

    /// A store of unknown position somewhere in `start..start + len`: bytes already written
    /// may now hold anything; unwritten bytes may still be unwritten.
    pub fn smear(&mut self, start: i16, len: u32, domain: DomainKind) {
        let Some((from, end)) = within_frame(start, len) else { return };
        // Any byte of an overlapping slot may have changed, so its whole value is unknown.
        for (s, slot) in self.overlapping(from as i16, (end - from) as u32) {
            self.slots.insert(s, Slot { size: slot.size, value: any_bytes(domain, u32::from(slot.size)) });
        }
    }

    /// Whether every byte of `start..start + len` is initialised.
    pub fn is_initialised(&self, start: i16, len: u32) -> bool {
        let mut next = i32::from(start);
        let end = next + len as i32;
        for (s, slot) in self.overlapping(start, len) {
            if i32::from(s) > next {
                return false;
            }
            next = next.max(i32::from(s) + i32::from(slot.size));
        }
        next >= end
    }

    /// Whether reading `start..start + len` takes some bytes of a spilled address without
    /// taking exactly the whole spill (which gives the address back).
    pub fn reads_part_of_address(&self, start: i16, len: u32) -> bool {
        self.overlapping(start, len).iter().any(|(s, slot)| {
            let whole_spill = *s == start && u32::from(slot.size) == len;
            !matches!(slot.value, Value::Scalar(_)) && !whole_spill
        })
    }

    /// Whether some byte of `start..start + len` belongs to a spilled address.
    pub fn holds_address(&self, start: i16, len: u32) -> bool {
        self.overlapping(start, len).iter().any(|(_, slot)| !matches!(slot.value, Value::Scalar(_)))
    }

    /// The value of `start..start + len` (`len` in 1..=8), zero-extended, or `None` if a byte
    /// of it may be uninitialised.
    pub fn read(&self, start: i16, len: u32, domain: DomainKind) -> Option<Value> {
        if !self.is_initialised(start, len) {
            return None;
        }
        let pieces = self.overlapping(start, len);
        if let [(s, slot)] = pieces.as_slice()
            && *s == start
            && u32::from(slot.size) == len
        {
            return Some(slot.value.clone());
        }
        let mut assembled = domain.constant(&0);
        for (s, slot) in &pieces {
            let from = (*s).max(start);
            let to = (i32::from(*s) + i32::from(slot.size)).min(i32::from(start) + len as i32) as i16;
            let part = extract(&slot.value, (from - s) as u32, (to - from) as u32, domain);
            let placed = if from == start {
                part
            } else {
                part.binary(BinOp::Lsh, Width::W64, &domain.constant(&(8 * (from - start) as u64)))
            };
            assembled = assembled.binary(BinOp::Or, Width::W64, &placed);
        }
        Some(Value::Scalar(assembled))
    }

    /// Byte ranges (start, end) where a slot of `self` or of `other` begins or ends, over
    /// the bytes both initialise: the pieces a join compares.
    fn common_pieces(&self, other: &Frame) -> Vec<(i16, i16)> {
        let mut cuts: Vec<i16> = Vec::new();
        for frame in [self, other] {
            for (s, slot) in frame.slots.iter() {
                cuts.push(*s);
                cuts.push(*s + i16::from(slot.size));
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        cuts.windows(2)
            .map(|w| (w[0], w[1]))
            .filter(|&(a, b)| {
                let len = (b - a) as u32;
                self.is_initialised(a, len) && other.is_initialised(a, len)
            })
            .collect()
    }

    fn combine(&self, other: &Frame, domain: DomainKind, values: &dyn Fn(&Value, &Value) -> Value) -> Frame {
        let mut result = OrdMap::new();
        for (s, slot) in self.slots.iter() {
            if let Some(theirs) = other.slots.get(s)
                && theirs.size == slot.size
            {
                result.insert(*s, Slot { size: slot.size, value: values(&slot.value, &theirs.value) });
            }
        }
        let matched = Frame { slots: result.clone() };
        for (a, b) in self.common_pieces(other) {
            let len = (b - a) as u32;
            if matched.is_initialised(a, len) {
                continue;
            }
            // Both initialise these bytes, with different layouts: compare the bytes.
            if let (Some(mine), Some(theirs)) = (self.read(a, len, domain), other.read(a, len, domain)) {
                result.insert(a, Slot { size: len as u8, value: values(&mine, &theirs) });
            }
        }
        Frame { slots: result }
    }

    /// The join: bytes initialised in both, with joined values.
    pub fn join(&self, other: &Frame, domain: DomainKind) -> Frame {
        if self == other {
            return self.clone();
        }
        self.combine(other, domain, &|a, b| a.join(b, domain))
    }

    /// Widening of `self` by `newer`.
    pub fn widen(&self, newer: &Frame, domain: DomainKind, thresholds: &Thresholds) -> Frame {
        if self == newer {
            return self.clone();
        }
        self.combine(newer, domain, &|a, b| a.widen(b, domain, thresholds))
    }

    /// Narrowing of `self` by `newer` (`newer ⊑ self`): slot by slot where the layouts agree,
    /// `newer` elsewhere.
    pub fn narrow(&self, newer: &Frame) -> Frame {
        let mut result = newer.slots.clone();
        for (s, slot) in newer.slots.iter() {
            if let Some(mine) = self.slots.get(s)
                && mine.size == slot.size
            {
                result.insert(*s, Slot { size: slot.size, value: mine.value.narrow(&slot.value) });
            }
        }
        Frame { slots: result }
    }

    /// `self ⊑ other`: every byte `other` says is initialised is initialised in `self`, with
    /// a value `other`'s covers.
    pub fn leq(&self, other: &Frame, domain: DomainKind) -> bool {
        other.slots.iter().all(|(s, slot)| match self.read(*s, u32::from(slot.size), domain) {
            Some(mine) => mine.leq(&slot.value),
            None => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Pointer, Region};

    const D: DomainKind = DomainKind::Product;

    fn constant(value: u64) -> Value {
        Value::constant(D, value)
    }

    #[test]
    fn spills_and_fills_round_trip_and_narrow_reads_extract_bytes() {
        let mut frame = Frame::new();
        let pointer = Value::Pointer(Pointer::at(Region::Context, D, 0));
        frame.write(-16, 8, pointer.clone(), D);
        assert_eq!(frame.read(-16, 8, D), Some(pointer));
        assert!(!frame.read(-16, 4, D).expect("initialised").is_scalar_top());
        frame.write(-8, 8, constant(0x1122_3344_5566_7788), D);
        assert_eq!(frame.read(-8, 4, D), Some(constant(0x5566_7788)));
        assert_eq!(frame.read(-4, 2, D), Some(constant(0x3344)));
        assert_eq!(frame.read(-24, 1, D), None);
    }

    #[test]
    fn partial_overwrites_keep_the_other_bytes() {
        let mut frame = Frame::new();
        frame.write(-8, 8, constant(0x1122_3344_5566_7788), D);
        frame.write(-6, 2, constant(0xabcd), D);
        assert_eq!(frame.read(-8, 8, D), Some(constant(0x1122_3344_abcd_7788)));
        // Four separate byte stores read back as one word.
        let mut bytes = Frame::new();
        for (i, b) in [0x11u64, 0x22, 0x33, 0x44].into_iter().enumerate() {
            bytes.write(-4 + i as i16, 1, constant(b), D);
        }
        assert_eq!(bytes.read(-4, 4, D), Some(constant(0x4433_2211)));
    }

    #[test]
    fn helper_fills_longer_than_the_frame_stop_at_its_end() {
        // A length such as 0x7fffffff once made the fill step past `i16::MAX` and loop forever.
        for len in [0x7fff_ffff, u32::MAX, 600] {
            let mut frame = Frame::new();
            frame.fill_unknown(-16, len, D);
            assert!(frame.is_initialised(-16, 16), "len {len:#x}");
            assert_eq!(frame.slots().map(|(_, slot)| usize::from(slot.size)).sum::<usize>(), 16, "len {len:#x}");
            let mut below = Frame::new();
            below.fill_unknown(-520, len, D);
            assert!(below.is_initialised(-512, 512), "len {len:#x}");
            below.smear(-16, len, D);
            assert!(below.is_initialised(-512, 512), "len {len:#x}");
        }
    }

    #[test]
    fn a_four_byte_spill_keeps_the_low_half_signed_bounds() {
        // An `int` in [-4, 7] spilled in 4 bytes: a zero-extending fill is its low half, whose
        // signed bounds a sign extension (`ldsx`, `(s32)`) gives back.
        let mut frame = Frame::new();
        frame.write(-8, 4, Value::Scalar(D.signed_range(-4, 7)), D);
        let Some(Value::Scalar(filled)) = frame.read(-8, 4, D) else { panic!("a number") };
        assert_eq!(filled.unsigned_bounds(), Some((0, 0xffff_ffff)));
        assert_eq!(
            filled.move_sign_extend(Width::W64, bpfprove_semantics::isa::Size::W).signed_bounds(),
            Some((-4, 7))
        );
        // The high half of an 8-byte spill, read alone, is the value shifted down.
        frame.write(-16, 8, constant(0xffff_fffc_0000_0001), D);
        assert_eq!(frame.read(-12, 4, D), Some(constant(0xffff_fffc)));
    }

    #[test]
    fn a_narrow_fill_of_a_pointer_is_a_number() {
        let mut frame = Frame::new();
        frame.write(-8, 8, Value::Pointer(Pointer::at(Region::Packet, D, 0)), D);
        assert!(matches!(frame.read(-8, 4, D), Some(Value::Scalar(_))));
        frame.write(-8, 4, Value::Pointer(Pointer::at(Region::Packet, D, 0)), D);
        assert!(matches!(frame.read(-8, 8, D), Some(Value::Scalar(_))));
    }

    #[test]
    fn joins_keep_bytes_initialised_on_both_sides() {
        let mut a = Frame::new();
        a.write(-8, 8, constant(0), D);
        let mut b = Frame::new();
        b.write(-8, 4, constant(0), D);
        b.write(-4, 4, constant(0), D);
        b.write(-16, 8, constant(1), D);
        let joined = a.join(&b, D);
        assert_eq!(joined.read(-8, 8, D), Some(constant(0)));
        assert_eq!(joined.read(-16, 8, D), None);
        assert!(a.leq(&joined, D) && b.leq(&joined, D));
        assert!(!joined.leq(&b, D));
    }

    #[test]
    fn smears_forget_values_but_not_initialisation() {
        let mut frame = Frame::new();
        frame.write(-8, 8, constant(7), D);
        frame.smear(-16, 12, D);
        assert!(frame.is_initialised(-8, 8));
        assert!(!frame.is_initialised(-16, 8));
        assert_ne!(frame.read(-8, 8, D), Some(constant(7)));
    }
}
