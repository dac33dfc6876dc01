//! Random inputs shaped by the program and the analysis, and the shrinking of a confirmed one.

use std::collections::BTreeSet;

use bpfprove_semantics::elf::{MapId, Object};
use bpfprove_semantics::interp::Trap;
use bpfprove_semantics::interp::context::{ContextKind, FieldSelector, ProgramType};
use bpfprove_semantics::interp::elf_run::ObjectRunner;
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::isa::{Insn, LddwKind, Operand, PacketAddr, Reg};

use super::budget::Budget;
use super::confirms;
use super::input::{Counterexample, MapEntry};
use crate::subject::Subject;
use crate::value::{Region, Value};
use crate::verify::{Obligation, Report};

/// A seeded xorshift64* generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence depends only on `seed`.
    pub fn new(seed: u64) -> Rng {
        // One splitmix64 step spreads similar seeds apart; the state must not be zero.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_f491_4f6c_dd1d } else { z })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, if there are any.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len() as u64) as usize])
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// What the analysis says about where an obligation fails, for the generator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hint {
    /// Packet lengths worth trying.
    pub lengths: Vec<usize>,
}

/// Most packet lengths a hint lists from one access.
const MAX_HINT_LENGTHS: u64 = 64;

impl Hint {
    /// No guidance.
    pub fn none() -> Hint {
        Hint::default()
    }

    /// The guidance the invariant at `obligation`'s pc gives: lengths around the packet's
    /// known minimum length there, and, for a packet access, the lengths that end before
    /// the access does.
    pub fn for_obligation(subject: &Subject<'_>, report: &Report, obligation: &Obligation) -> Hint {
        let state = report
            .analysis
            .as_ref()
            .and_then(|analysis| analysis.contexts.get(obligation.context))
            .and_then(|context| context.invariants.get(&obligation.pc));
        let Some(state) = state else { return Hint::none() };
        let min = state.packet.min_len;
        let mut lengths: BTreeSet<u64> = (min.saturating_sub(1)..=min.saturating_add(1)).collect();
        let access = subject.program.insn_at(obligation.pc).and_then(memory_access);
        if let Some((base, off, len)) = access
            && let Value::Pointer(pointer) = state.reg(base)
            && pointer.region == Region::Packet
            && let Some((lo, hi)) = pointer.offset.signed_bounds()
        {
            let end = |offset: i64| (i128::from(offset) + i128::from(off) + i128::from(len)).clamp(0, 1 << 32) as u64;
            let (shortest_end, longest_end) = (end(lo), end(hi));
            // Shorter than `shortest_end`, every offset faults; shorter than `longest_end`, some.
            lengths.extend((min..shortest_end).take(MAX_HINT_LENGTHS as usize));
            lengths.extend([shortest_end.saturating_sub(1), longest_end.saturating_sub(1)]);
        }
        Hint { lengths: lengths.into_iter().filter_map(|l| usize::try_from(l).ok()).collect() }
    }
}

/// The base register, offset and length of a memory access.
fn memory_access(insn: &Insn) -> Option<(Reg, i16, u32)> {
    match *insn {
        Insn::Load { size, src, off, .. } => Some((src, off, size.bytes())),
        Insn::Store { size, dst, off, .. } | Insn::Atomic { size, dst, off, .. } => Some((dst, off, size.bytes())),
        _ => None,
    }
}

/// What a program's inputs look like.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    /// A packet and the context fields a run may choose.
    Packet { fields: Vec<FieldSelector> },
    /// Context bytes of a length in `min..=max`.
    Raw { min: usize, max: usize },
}

/// A map that runs may fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct MapShape {
    pub(super) id: MapId,
    pub(super) name: String,
    pub(super) kind: MapKind,
    pub(super) key_size: usize,
    pub(super) value_size: usize,
    pub(super) max_entries: u32,
}

/// Instructions before a comparison whose loads may feed it.
const GUARD_WINDOW: usize = 6;
/// Most constants taken from one read-only data section.
const MAX_DATA_CONSTANTS: usize = 64;
/// Bytes past the analyzer's minimum a tracepoint context may have.
const EXTRA_RAW_BYTES: usize = 64;
/// Most entries a run puts in one map.
const MAX_ENTRIES_PER_MAP: u64 = 4;
/// Bit patterns worth trying as words.
const PATTERNS: &[u64] = &[
    0xff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x5555_5555,
    0xaaaa_aaaa,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// Random inputs for one program, shaped by its type, maps and constants (see the module
/// docs). The soundness oracle uses it too, with [`Hint::none`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputGenerator {
    program_type: ProgramType,
    /// The program's context (its section's attach target chooses an iterator's).
    context: ContextKind,
    shape: Shape,
    /// Constants of the program.
    constants: Vec<u64>,
    /// Offsets of the program's accesses, and small constants.
    offsets: Vec<usize>,
    /// (offset, width) of the program's loads.
    sites: Vec<(usize, usize)>,
    /// (offset, constant) of a load shortly followed by a comparison with the constant:
    /// what a header check wants to read there.
    guards: Vec<(usize, u64)>,
    maps: Vec<MapShape>,
    max_packet_len: usize,
}

impl InputGenerator {
    /// A generator for `subject`, a program of `object`, with packets of at most
    /// `max_packet_len` bytes.
    pub fn new(object: &Object, subject: &Subject<'_>, max_packet_len: usize) -> InputGenerator {
        let program_type = subject.spec.program_type;
        let context = program_type.context_in(&subject.section);
        let shape = match context {
            ContextKind::Packet(layout) => Shape::Packet {
                fields: layout
                    .choosable_fields()
                    .flat_map(|field| {
                        let words = (field.offset..field.offset + field.size).step_by(4);
                        let whole = field.size == 4;
                        words.map(move |offset| {
                            if whole {
                                FieldSelector::Name(field.name.to_owned())
                            } else {
                                FieldSelector::Offset(offset)
                            }
                        })
                    })
                    .collect(),
            },
            ContextKind::Raw { size: Some(size) } => Shape::Raw { min: size, max: size },
            ContextKind::Raw { size: None } => {
                let min = subject.spec.context_size() as usize;
                Shape::Raw { min, max: min + EXTRA_RAW_BYTES }
            }
            // No run can install such a context: every replay reports that.
            ContextKind::NotModelled { .. } => Shape::Raw { min: 0, max: 0 },
            // The element's sizes are the attached map's, which the object does not say:
            // only the call after the last element (no element) can be tried.
            ContextKind::Iterator(_) => Shape::Raw { min: 0, max: 0 },
        };
        let mut constants = BTreeSet::from([0u64, 1]);
        let mut offsets = BTreeSet::from([0usize]);
        let mut sites = BTreeSet::new();
        let mut guards = BTreeSet::new();
        let insns = subject.program.insns();
        for (index, decoded) in insns.iter().enumerate() {
            if let Insn::Jump { src: Operand::Imm(imm), .. } = decoded.insn {
                // The loads among the few instructions before a comparison probably feed it
                // (`w1 = *(u8 *)(r6 + 12); w3 = *(u8 *)(r6 + 13); ...; if w3 != 0xdd86`).
                for earlier in &insns[index.saturating_sub(GUARD_WINDOW)..index] {
                    if let Insn::Load { off, .. } = earlier.insn
                        && let Ok(off) = usize::try_from(off)
                    {
                        guards.insert((off, u64::from(imm as u32)));
                    }
                }
            }
            match decoded.insn {
                Insn::Alu { src: Operand::Imm(imm), .. }
                | Insn::Jump { src: Operand::Imm(imm), .. }
                | Insn::Store { src: Operand::Imm(imm), .. } => {
                    constants.insert(i64::from(imm) as u64);
                    constants.insert(imm as u32 as u64);
                }
                Insn::Lddw { kind: LddwKind::Imm64, imm, next_imm, .. } => {
                    constants.insert(Insn::lddw_value(imm, next_imm));
                }
                Insn::LoadPacket { addr: PacketAddr::Abs, imm, size } => {
                    sites.extend(usize::try_from(imm).ok().map(|imm| (imm, size.bytes() as usize)));
                }
                Insn::Load { off, size, .. } => {
                    sites.extend(usize::try_from(off).ok().map(|off| (off, size.bytes() as usize)));
                }
                _ => {}
            }
            if let Some((_, off, _)) = memory_access(&decoded.insn) {
                offsets.extend(usize::try_from(off).ok());
            }
        }
        offsets.extend(constants.iter().filter(|&&c| c < 256).map(|&c| c as usize));
        // Configuration in read-only data (`const volatile` settings) is compared like the
        // program's own constants.
        for data in subject.maps.iter().filter_map(|m| m.data.as_ref()).filter(|d| d.read_only) {
            let words = data.image.chunks_exact(4).map(|w| u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])));
            constants.extend(words.filter(|&w| w != 0).take(MAX_DATA_CONSTANTS));
        }
        let maps = subject
            .maps
            .iter()
            .enumerate()
            .filter(|(_, info)| matches!(info.kind, MapKind::Array | MapKind::Hash))
            .filter_map(|(index, info)| {
                let max_entries = object.maps.get(index)?.max_entries;
                (max_entries > 0).then(|| MapShape {
                    id: MapId(index as u32),
                    name: info.name.clone(),
                    kind: info.kind,
                    key_size: if info.kind == MapKind::Array { 4 } else { info.key_size as usize },
                    value_size: info.value_size as usize,
                    max_entries,
                })
            })
            .collect();
        InputGenerator {
            program_type,
            context,
            shape,
            constants: constants.into_iter().collect(),
            offsets: offsets.into_iter().collect(),
            sites: sites.into_iter().collect(),
            guards: guards.into_iter().collect(),
            maps,
            max_packet_len,
        }
    }

    /// The maps runs may fill.
    pub(super) fn map_shapes(&self) -> &[MapShape] {
        &self.maps
    }

    /// What the symbolic search takes as its input: `Some(None)` a packet, `Some(Some(n))`
    /// a raw context of `n` bytes (its shortest), `None` a context no run can install.
    pub(super) fn symbolic_inputs(&self) -> Option<Option<usize>> {
        match (self.context, &self.shape) {
            (ContextKind::NotModelled { .. } | ContextKind::Iterator(_), _) => None,
            (_, Shape::Packet { .. }) => Some(None),
            (_, Shape::Raw { min, .. }) => Some(Some(*min)),
        }
    }

    /// One input.
    pub fn generate(&self, rng: &mut Rng, hint: &Hint) -> Counterexample {
        let pool: Vec<u64> = (0..=rng.below(4)).map(|_| self.word(rng)).collect();
        let (bytes, fields) = match &self.shape {
            Shape::Packet { fields } => {
                let len = self.packet_len(rng, hint);
                let bytes = self.fill(rng, len, &pool, 1);
                let mut chosen = Vec::new();
                for selector in fields {
                    if rng.chance(40) {
                        chosen.push((selector.clone(), self.value(rng, &pool) as u32));
                    }
                }
                (bytes, chosen)
            }
            Shape::Raw { min, max } => {
                let len = min + rng.below((max - min + 1) as u64) as usize;
                (self.fill(rng, len, &pool, 8), Vec::new())
            }
        };
        let mut maps = Vec::new();
        for map in &self.maps {
            if rng.chance(40) {
                continue;
            }
            let mut keys = BTreeSet::new();
            let count = 1 + rng.below(MAX_ENTRIES_PER_MAP.min(u64::from(map.max_entries)));
            for _ in 0..count {
                let key = match map.kind {
                    MapKind::Array => {
                        let index = match rng.below(3) {
                            0 => 0,
                            1 => self.value(rng, &pool) % u64::from(map.max_entries),
                            _ => rng.below(u64::from(map.max_entries)),
                        };
                        (index as u32).to_le_bytes().to_vec()
                    }
                    _ if rng.chance(20) => rng.bytes(map.key_size),
                    _ => word_bytes(self.value(rng, &pool), map.key_size),
                };
                if keys.insert(key.clone()) {
                    let value = self.fill(rng, map.value_size, &pool, 1);
                    maps.push(MapEntry { map: map.id, name: map.name.clone(), key, value });
                }
            }
        }
        Counterexample { program_type: self.program_type, bytes, fields, maps }
    }

    /// A smaller input on which a run still traps in a way that confirms `obligation`, as
    /// `input` does with `trap`, found with at most `runs` runs of `budget`: map entries and fields
    /// dropped, field values cut to their low bits, bytes cut from the end (never below the
    /// context's minimum length) and zeroed, map values zeroed.
    pub(super) fn shrink(
        &self,
        runner: &mut ObjectRunner<'_>,
        obligation: &Obligation,
        input: &Counterexample,
        trap: &Trap,
        runs: u32,
        budget: &mut Budget,
    ) -> (Counterexample, Trap) {
        let mut best = (input.clone(), trap.clone());
        let mut left = runs;
        let mut attempt = |best: &mut (Counterexample, Trap), candidate: Counterexample| {
            if left == 0 || candidate == best.0 || !budget.take_run() {
                return false;
            }
            left -= 1;
            match candidate.replay(runner).map(|run| run.result) {
                Ok(Err(trap)) if confirms(obligation, &trap) => {
                    *best = (candidate, trap);
                    true
                }
                _ => false,
            }
        };
        let mut index = 0;
        while index < best.0.maps.len() {
            let mut candidate = best.0.clone();
            candidate.maps.remove(index);
            if !attempt(&mut best, candidate) {
                index += 1;
            }
        }
        let mut index = 0;
        while index < best.0.fields.len() {
            let mut candidate = best.0.clone();
            candidate.fields.remove(index);
            if !attempt(&mut best, candidate) {
                index += 1;
            }
        }
        for index in 0..best.0.fields.len() {
            for mask in [0xf, 0xff, 0xffff] {
                let mut candidate = best.0.clone();
                candidate.fields[index].1 &= mask;
                if attempt(&mut best, candidate) {
                    break;
                }
            }
        }
        let shortest = match self.shape {
            Shape::Packet { .. } => 0,
            Shape::Raw { min, .. } => min,
        };
        let mut chunk = best.0.bytes.len().saturating_sub(shortest).next_power_of_two();
        while chunk > 0 {
            let len = best.0.bytes.len();
            let mut candidate = best.0.clone();
            candidate.bytes.truncate(len.saturating_sub(chunk).max(shortest));
            if !attempt(&mut best, candidate) {
                chunk /= 2;
            }
        }
        let mut chunk = best.0.bytes.len().next_power_of_two();
        while chunk > 0 {
            for start in (0..best.0.bytes.len()).step_by(chunk) {
                let end = (start + chunk).min(best.0.bytes.len());
                if best.0.bytes[start..end].iter().any(|&b| b != 0) {
                    let mut candidate = best.0.clone();
                    candidate.bytes[start..end].fill(0);
                    attempt(&mut best, candidate);
                }
            }
            chunk /= 2;
        }
        for index in 0..best.0.maps.len() {
            let mut candidate = best.0.clone();
            candidate.maps[index].value.fill(0);
            attempt(&mut best, candidate);
        }
        best
    }

    /// A word: a constant of the program or a neighbour, a small number, a bit pattern, or
    /// random bits.
    fn word(&self, rng: &mut Rng) -> u64 {
        match rng.below(100) {
            0..30 => {
                let constant = rng.pick(&self.constants).unwrap_or(0);
                match rng.below(4) {
                    0 => constant.wrapping_sub(1),
                    1 => constant.wrapping_add(1),
                    _ => constant,
                }
            }
            30..50 => rng.below(17),
            50..58 => rng.pick(PATTERNS).unwrap_or(0),
            58..65 => {
                let bit = 1u64 << rng.below(64);
                if rng.chance(50) { bit } else { bit - 1 }
            }
            65..82 => u64::from(rng.next_u64() as u32),
            _ => rng.next_u64(),
        }
    }

    /// A word from this input's pool half of the time, else a fresh one.
    fn value(&self, rng: &mut Rng, pool: &[u64]) -> u64 {
        match rng.pick(pool) {
            Some(value) if rng.chance(50) => value,
            _ => self.word(rng),
        }
    }

    /// A packet length: hinted, near a constant, small, or any up to the maximum.
    fn packet_len(&self, rng: &mut Rng, hint: &Hint) -> usize {
        let cap = self.max_packet_len;
        let near = |c: u64, rng: &mut Rng| (c + rng.below(3)).checked_sub(1);
        let len = match rng.below(100) {
            0..35 if !hint.lengths.is_empty() => rng.pick(&hint.lengths),
            0..55 => {
                let constant = rng.pick(&self.constants).unwrap_or(0);
                if constant <= cap as u64 + 1 { near(constant, rng).map(|l| l as usize) } else { None }
            }
            55..75 => Some(rng.below(65) as usize),
            _ => None,
        };
        len.unwrap_or_else(|| rng.below(cap as u64 + 1) as usize).min(cap)
    }

    /// `len` bytes: zeros, one repeated byte or random bytes, with up to five words written
    /// over them: the constant a comparison checks where a load before it reads (or past a
    /// header of constant length), a word where and as wide as a load reads (little-endian,
    /// as loads read them, and often a constant of the program), or anywhere `align`ed.
    fn fill(&self, rng: &mut Rng, len: usize, pool: &[u64], align: usize) -> Vec<u8> {
        let mut bytes = match rng.below(4) {
            0 => vec![0; len],
            1 => vec![self.value(rng, pool) as u8; len],
            _ => rng.bytes(len),
        };
        if len == 0 {
            return bytes;
        }
        for _ in 0..rng.below(6) {
            let guard = rng.pick(&self.guards).filter(|_| rng.chance(40));
            let site = rng.pick(&self.sites).filter(|_| rng.chance(60));
            let (offset, width, value, little) = match (guard, site) {
                (Some((offset, constant)), _) => {
                    // At the load's offset, or past a header whose length is a constant.
                    let base = match rng.pick(&self.offsets) {
                        Some(base) if rng.chance(30) => base,
                        _ => 0,
                    };
                    let value = match rng.below(5) {
                        0 => constant.wrapping_sub(1),
                        1 => constant.wrapping_add(1),
                        _ => constant,
                    };
                    let width = if constant < 0x100 {
                        1
                    } else if constant < 0x1_0000 {
                        2
                    } else {
                        4
                    };
                    (offset + base, width, value, true)
                }
                (None, Some((offset, width))) if offset < len => {
                    let value = match rng.pick(&self.constants) {
                        Some(constant) if rng.chance(60) => constant,
                        _ => self.value(rng, pool),
                    };
                    (offset, width, value, rng.chance(80))
                }
                _ => {
                    let offset = match rng.pick(&self.offsets) {
                        Some(offset) if offset < len && rng.chance(50) => offset,
                        _ => rng.below(len as u64) as usize / align * align,
                    };
                    let width = rng.pick(&[1usize, 2, 4, 8]).unwrap_or(4);
                    (offset, width, self.value(rng, pool), rng.chance(50))
                }
            };
            if offset >= len {
                continue;
            }
            let word = if little { value.to_le_bytes() } else { (value << (8 * (8 - width) as u32)).to_be_bytes() };
            let end = (offset + width).min(len);
            bytes[offset..end].copy_from_slice(&word[..end - offset]);
        }
        bytes
    }
}

/// The little-endian bytes of `value`, cut or zero-padded to `size`.
fn word_bytes(value: u64, size: usize) -> Vec<u8> {
    let mut bytes = value.to_le_bytes().to_vec();
    bytes.resize(size, 0);
    bytes
}
