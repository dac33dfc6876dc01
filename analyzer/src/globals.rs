//! Global data (`.data`, `.rodata`, `.bss`, ...) as one flow-insensitive value per 8-byte
//! slot.
//!
//! Global data outlives a run: what one run stores, the next may load. So a slot's value
//! is not per program point but the join of its initial contents and of everything the
//! program ever stores there. The verifier computes it by rounds ([`crate::verify`]):
//! analyse with a summary, join the stores seen into it, and analyse again until nothing
//! new is stored.
//!
//! User space may write `.data` and `.bss` at any time after load (libbpf skeletons map
//! them), so their slots start as any number; only `.rodata`, which libbpf freezes at load,
//! has known contents. Two exceptions: a slot whose BTF type is a function pointer holds
//! NULL or a subprogram of the object with a matching prototype (the typed update Linux's
//! design for indirect calls asks of user space), and [`GlobalSummary::from_file`] assumes
//! the object file's contents when the user says nothing else writes them.

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::program::FunctionId;

use crate::stack::any_bytes;
use crate::subject::{DataSection, Subject};
use crate::value::{Functions, Value};
use crate::widening::Thresholds;

/// One value per 8-byte slot of every global data section, keyed by (section, offset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalSummary {
    slots: BTreeMap<(MapId, u32), Value>,
}

/// The initial value of the slot at `offset` of `section`: a function address, or the
/// bytes as a number.
fn initial_slot(section: &DataSection, offset: u32, domain: DomainKind) -> Value {
    if let Some(&function) = section.function_slots.get(&offset) {
        return Value::Func(Functions { set: [function].into(), nullable: false });
    }
    if section.function_slots.range(offset.saturating_sub(7)..offset + 8).next().is_some() {
        return Value::top(domain);
    }
    let start = offset as usize;
    let mut bytes = [0u8; 8];
    let available = section.image.len().saturating_sub(start).min(8);
    bytes[..available].copy_from_slice(&section.image[start..start + available]);
    Value::constant(domain, u64::from_le_bytes(bytes))
}

/// What a function-pointer variable may hold after a typed update: NULL or one of
/// `targets`.
fn function_pointer(targets: &BTreeSet<FunctionId>, domain: DomainKind) -> Value {
    if targets.is_empty() {
        return Value::constant(domain, 0);
    }
    Value::Func(Functions { set: targets.clone(), nullable: true })
}

impl GlobalSummary {
    /// What global data may hold when the program runs: `.rodata` as the file has it,
    /// function-pointer variables NULL or a matching subprogram, everything else any number
    /// (user space may write it).
    pub fn initial(subject: &Subject, domain: DomainKind) -> GlobalSummary {
        GlobalSummary::build(subject, domain, false)
    }

    /// As [`GlobalSummary::initial`], but writable sections that no other program of the
    /// object loads still hold the file's contents (nothing outside the program writes them).
    pub fn from_file(subject: &Subject, domain: DomainKind) -> GlobalSummary {
        GlobalSummary::build(subject, domain, true)
    }

    fn build(subject: &Subject, domain: DomainKind, assume_file_contents: bool) -> GlobalSummary {
        let mut slots = BTreeMap::new();
        for (index, map) in subject.maps.iter().enumerate() {
            let Some(section) = &map.data else { continue };
            let id = MapId(index as u32);
            for offset in (0..section.image.len() as u32).step_by(8) {
                let value = if section.read_only || (assume_file_contents && !section.shared) {
                    initial_slot(section, offset, domain)
                } else if let Some(targets) = section.function_pointer_slots.get(&offset) {
                    function_pointer(targets, domain).join(&initial_slot(section, offset, domain), domain)
                } else {
                    Value::top(domain)
                };
                slots.insert((id, offset), value);
            }
        }
        GlobalSummary { slots }
    }

    /// Every slot, in order.
    pub fn slots(&self) -> impl Iterator<Item = (&(MapId, u32), &Value)> {
        self.slots.iter()
    }

    /// A summary of the given slots.
    pub fn from_slots(slots: impl IntoIterator<Item = ((MapId, u32), Value)>) -> GlobalSummary {
        GlobalSummary { slots: slots.into_iter().collect() }
    }

    /// The value of a load of `len` bytes at `offset` of `map` (zero-extended), if the
    /// section has that slot.
    pub fn load(&self, map: MapId, offset: u64, len: u32, domain: DomainKind) -> Value {
        let slot = offset & !7;
        let Some(value) = u32::try_from(slot).ok().and_then(|s| self.slots.get(&(map, s))) else {
            return any_bytes(domain, len);
        };
        let skip = (offset - slot) as u32;
        if skip + len > 8 {
            return any_bytes(domain, len);
        }
        if skip == 0 && len == 8 {
            return value.clone();
        }
        match value {
            Value::Scalar(_) => {
                let mut frame = crate::stack::Frame::new();
                frame.write(-8, 8, value.clone(), domain);
                frame.read(-8 + skip as i16, len, domain).unwrap_or_else(|| any_bytes(domain, len))
            }
            _ => any_bytes(domain, len),
        }
    }

    /// Records a store of `len` bytes of `value` at `offset` of `map`: an aligned 8-byte store
    /// of a number or function address joins it into the slot; any other store makes the
    /// slots it touches any number.
    pub fn store(&mut self, map: MapId, offset: u64, len: u32, value: &Value, domain: DomainKind) {
        let exact = len == 8 && offset.is_multiple_of(8) && matches!(value, Value::Scalar(_) | Value::Func(_));
        let first = offset & !7;
        let last = (offset + u64::from(len.max(1)) - 1) & !7;
        let mut slot = first;
        while slot <= last {
            if let Ok(key) = u32::try_from(slot) {
                let stored = if exact { value.clone() } else { Value::top(domain) };
                let joined = match self.slots.get(&(map, key)) {
                    Some(old) => old.join(&stored, domain),
                    None => stored,
                };
                self.slots.insert((map, key), joined);
            }
            slot += 8;
        }
    }

    /// `self ∇ newer` slot by slot (a slot missing from one side is taken from the other).
    pub fn widen(&self, newer: &GlobalSummary, domain: DomainKind, thresholds: &Thresholds) -> GlobalSummary {
        let mut slots = self.slots.clone();
        for (key, value) in &newer.slots {
            let merged = match self.slots.get(key) {
                Some(old) => old.widen(value, domain, thresholds),
                None => value.clone(),
            };
            slots.insert(*key, merged);
        }
        GlobalSummary { slots }
    }

    /// `self ⊑ other`.
    pub fn leq(&self, other: &GlobalSummary) -> bool {
        self.slots.iter().all(|(key, value)| other.slots.get(key).is_some_and(|o| value.leq(o)))
    }
}
