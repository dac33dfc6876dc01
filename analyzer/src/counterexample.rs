//! Counterexamples: for each obligation the analysis did not prove, a search for a concrete
//! input on which the reference interpreter traps at that obligation's pc.
//!
//! A trap there shows that the obligation really fails (`confirmed: input …`); finding none
//! within the budget leaves open whether the program is unsafe or the domain too coarse
//! (`unconfirmed (may be imprecision)`).
//!
//! The search is random but seeded (the same findings for the same seed), and guided by the
//! program and the analysis:
//! - packet lengths around every constant of the program, around the invariant's
//!   `min_len` at the obligation's pc, and below the end of the packet access there;
//! - values for context fields, packet words (in either byte order, at the offsets the
//!   program's loads use), map keys and map values: the program's constants (and their
//!   neighbours), small numbers, bit patterns and random words. Values are reused within
//!   one input, so a map key can equal the context field the program computes it from;
//! - maps empty or holding a few entries; global data as loaded.
//!
//! Every input runs from the state [`ObjectRunner::new`] creates ([`ObjectRunner::reset`]),
//! so a confirmed input replays on its own ([`Counterexample::replay`]).
//!
//! A trap confirms an obligation only if it happens at the obligation's pc (or the innermost
//! trap of one inside a callback does) and is a kind of trap that obligation's failure
//! causes ([`exhibits`]). The interpreter never traps on some failures: reads of
//! uninitialised stack (stack bytes start zeroed), return values out of range, and
//! non-termination (running out of instruction budget shows that a run is long, not that it
//! is endless). Those obligations stay unconfirmed without a search. Nor does it trap on an
//! argument register a call leaves unset (calls read no argument registers in the machine
//! model), so an uninit-register obligation at a call stays unconfirmed too.

use std::collections::BTreeSet;
use std::fmt::{self, Write};
use std::time::Instant;

use bpfprove_semantics::elf::{LoadedProgram, MapId, Object};
use bpfprove_semantics::interp::context::{ContextKind, FieldSelector, ProgramType, RunInput};
use bpfprove_semantics::interp::elf_run::{self, ObjectRunError, ObjectRunner, ProgramRun};
use bpfprove_semantics::interp::maps::{MapInsertError, MapKind};
use bpfprove_semantics::interp::{CallxModel, HelperError, RunConfig, Trap, TrapKind};
use bpfprove_semantics::isa::{Insn, LddwKind, Operand, PacketAddr, Reg};
use thiserror::Error;

use crate::obligation::{ObligationKind, Status};
use crate::subject::Subject;
use crate::value::{Region, Value};
use crate::verify::{Obligation, Report};

/// The knobs of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchConfig {
    /// Most runs spent looking for a trap at one obligation (runs for one obligation may
    /// also confirm others).
    pub runs_per_obligation: u32,
    /// The seed of the input generator.
    pub seed: u64,
    /// The instruction budget of each run.
    pub instruction_budget: u64,
    /// The longest packet tried.
    pub max_packet_len: usize,
    /// How the runs read `callx` (that of the analysis).
    pub callx_model: CallxModel,
    /// Most runs spent shrinking one confirmed input (dropping map entries and fields,
    /// cutting and zeroing bytes while the trap stays).
    pub shrink_runs: u32,
    /// When to stop looking (obligations not confirmed by then stay unconfirmed).
    pub deadline: Option<Instant>,
}

impl SearchConfig {
    /// 2000 runs per obligation, a fixed seed, 100,000 instructions per run, packets of up
    /// to 1600 bytes (past an Ethernet MTU), address-model `callx`, and up to 500 runs to
    /// shrink each counterexample, and no deadline.
    pub fn standard() -> SearchConfig {
        SearchConfig {
            runs_per_obligation: 2000,
            seed: 0x5eed_0bad_c0de_0001,
            instruction_budget: 100_000,
            max_packet_len: 1600,
            callx_model: CallxModel::Address,
            shrink_runs: 500,
            deadline: None,
        }
    }
}

/// What the search found for one obligation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// On `input` the interpreter traps at the obligation's pc, with `trap`.
    Confirmed {
        /// The input.
        input: Counterexample,
        /// The trap (as the run reported it: for a trap in a callback, the helper's).
        trap: Trap,
    },
    /// No input tried made the interpreter trap there.
    Unconfirmed,
}

impl Finding {
    /// Whether a trap was found.
    pub fn is_confirmed(&self) -> bool {
        matches!(self, Finding::Confirmed { .. })
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Confirmed { input, trap } => write!(f, "confirmed: input {input}; trap {trap}"),
            Finding::Unconfirmed => f.write_str("unconfirmed (may be imprecision)"),
        }
    }
}

/// One entry a run's map holds before the program starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    /// The map.
    pub map: MapId,
    /// Its name.
    pub name: String,
    /// The key's bytes (an array's index as a little-endian u32).
    pub key: Vec<u8>,
    /// The value's bytes.
    pub value: Vec<u8>,
}

/// A complete input of one run: what [`ObjectRunner`] needs to reproduce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The program type (which says what `bytes` are).
    pub program_type: ProgramType,
    /// The packet (packet program types) or the context's bytes.
    pub bytes: Vec<u8>,
    /// Context fields set to other values than their defaults.
    pub fields: Vec<(FieldSelector, u32)>,
    /// Map entries present at the start; every other array element is zero and every other
    /// hash key absent. Global data is as loaded.
    pub maps: Vec<MapEntry>,
}

impl Counterexample {
    /// The run's input (bytes and fields).
    pub fn run_input(&self) -> RunInput {
        RunInput { bytes: self.bytes.clone(), fields: self.fields.clone() }
    }

    /// Inserts the map entries into `runner`'s maps as they are and runs the program.
    pub fn run_on(&self, runner: &mut ObjectRunner<'_>) -> Result<ProgramRun, SearchError> {
        for entry in &self.maps {
            runner.insert_map_entry(entry.map, &entry.key, &entry.value)?;
        }
        Ok(runner.run_with(&self.run_input())?)
    }

    /// The arguments of `bpfprove run` that replay this input on the program:
    /// `--program-type`, `--mem`, one `--field` per field and one `--map` per entry.
    pub fn run_arguments(&self) -> Vec<String> {
        let plain_hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let mut args = vec!["--program-type".to_owned(), self.program_type.name().to_owned()];
        if !self.bytes.is_empty() {
            args.extend(["--mem".to_owned(), plain_hex(&self.bytes)]);
        }
        for (selector, value) in &self.fields {
            let field = match selector {
                FieldSelector::Name(name) => format!("{name}={value:#x}"),
                FieldSelector::Offset(offset) => format!("+{offset}={value:#x}"),
            };
            args.extend(["--field".to_owned(), field]);
        }
        for entry in &self.maps {
            args.extend([
                "--map".to_owned(),
                format!("{}:{}={}", entry.name, plain_hex(&entry.key), plain_hex(&entry.value)),
            ]);
        }
        args
    }

    /// Resets `runner` to its initial state and runs the program on this input.
    pub fn replay(&self, runner: &mut ObjectRunner<'_>) -> Result<ProgramRun, SearchError> {
        runner.reset()?;
        self.run_on(runner)
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.program_type.context() {
            ContextKind::Packet(_) => "packet",
            ContextKind::Iterator(_) => "element",
            ContextKind::Raw { .. } | ContextKind::NotModelled { .. } => "context",
        };
        write!(f, "{what} of {} bytes [{}]", self.bytes.len(), hex(&self.bytes))?;
        for (selector, value) in &self.fields {
            match selector {
                FieldSelector::Name(name) => write!(f, ", {name}={value:#x}")?,
                FieldSelector::Offset(offset) => write!(f, ", ctx+{offset}={value:#x}")?,
            }
        }
        if self.maps.is_empty() {
            f.write_str(", maps empty")?;
        }
        for entry in &self.maps {
            write!(f, ", {}[{}]=[{}]", entry.name, hex(&entry.key), hex(&entry.value))?;
        }
        Ok(())
    }
}

/// Bytes as hex pairs, a run of four or more equal bytes as `byte×count`.
fn hex(bytes: &[u8]) -> String {
    let mut text = String::new();
    let mut rest = bytes;
    while let Some(&first) = rest.first() {
        let run = rest.iter().take_while(|&&b| b == first).count();
        if !text.is_empty() {
            text.push(' ');
        }
        if run >= 4 {
            let _ = write!(text, "{first:02x}×{run}");
            rest = &rest[run..];
        } else {
            let _ = write!(text, "{first:02x}");
            rest = &rest[1..];
        }
    }
    text
}

/// Why a search could not run.
#[derive(Debug, Error)]
pub enum SearchError {
    /// The program could not be prepared for runs, or an input was refused.
    #[error(transparent)]
    Run(#[from] ObjectRunError),
    /// A map entry was refused.
    #[error(transparent)]
    Map(#[from] MapInsertError),
}

/// Whether a trap of kind `trap` at an obligation's pc shows that an obligation of kind
/// `kind` fails there. `false` for every trap when the interpreter cannot exhibit the
/// failure (see the module docs).
pub fn exhibits(kind: ObligationKind, trap: &TrapKind) -> bool {
    use ObligationKind as K;
    let memory = matches!(trap, TrapKind::Memory(_) | TrapKind::HelperFailed { error: HelperError::Memory(_), .. });
    match kind {
        // An out-of-bounds address may land in any region's window, so any memory fault.
        K::PacketBounds
        | K::MapBounds
        | K::StackBounds
        | K::CtxAccess
        | K::MemoryBounds
        | K::NullDeref
        | K::Dereference => memory || matches!(trap, TrapKind::LegacyPacketLoadRefused { .. }),
        // The table read, or the jump itself.
        K::GotoxTarget => memory || matches!(trap, TrapKind::BadGotoxTarget { .. }),
        K::CallxTarget => matches!(trap, TrapKind::BadCallxTarget { .. }),
        K::UninitRegister => matches!(trap, TrapKind::UninitialisedRegister { .. }),
        K::HelperArgument => matches!(
            trap,
            TrapKind::HelperFailed { error, .. } | TrapKind::KfuncFailed { error, .. }
                if !matches!(error, HelperError::Callback(_))
        ),
        K::PointerArithmetic => matches!(trap, TrapKind::WriteToFramePointer),
        K::Call => matches!(trap, TrapKind::CallDepthExceeded { .. } | TrapKind::UnknownHelper { .. }),
        // The interpreter gives every frame its own 512 bytes: only the kernel sees the sum.
        // A leak to an unprivileged loader, or an instruction the kernel refuses though the
        // ISA defines it, is no fault of the machine.
        K::UninitStack | K::ReturnRange | K::Termination | K::StackDepth | K::Resources | K::Privilege | K::Policy => {
            false
        }
    }
}

/// Whether some trap can confirm an obligation of kind `kind`.
fn searchable(kind: ObligationKind) -> bool {
    !matches!(
        kind,
        ObligationKind::UninitStack
            | ObligationKind::ReturnRange
            | ObligationKind::Termination
            | ObligationKind::Resources
            | ObligationKind::Policy
    )
}

/// Whether `trap` confirms `obligation`.
pub fn confirms(obligation: &Obligation, trap: &Trap) -> bool {
    let inner = elf_run::innermost(trap);
    (trap.pc == obligation.pc && exhibits(obligation.kind, &trap.kind))
        || (inner.pc == obligation.pc && exhibits(obligation.kind, &inner.kind))
}

/// Looks for a counterexample to every obligation of `report` that is not proven, running
/// program `loaded` of `object` (whose analysis `subject` and `report` are). Returns, in
/// obligation order, the index of each such obligation in `report.obligations` and what
/// was found for it.
pub fn search(
    object: &Object,
    loaded: &LoadedProgram,
    subject: &Subject<'_>,
    report: &Report,
    config: &SearchConfig,
) -> Result<Vec<(usize, Finding)>, SearchError> {
    let obligations = &report.obligations;
    let open: Vec<usize> = (0..obligations.len()).filter(|&i| obligations[i].status != Status::Proven).collect();
    let targets: Vec<usize> = open.iter().copied().filter(|&i| searchable(obligations[i].kind)).collect();
    let mut found: Vec<Option<(Counterexample, Trap)>> = vec![None; obligations.len()];
    if !targets.is_empty() {
        let run_config = RunConfig::new(config.callx_model, config.instruction_budget).with_deadline(config.deadline);
        let mut runner = ObjectRunner::with_program_type(object, loaded, subject.spec.program_type, run_config)?;
        let generator = InputGenerator::new(object, subject, config.max_packet_len);
        for &target in &targets {
            if found[target].is_some() {
                continue;
            }
            let hint = Hint::for_obligation(subject, report, &obligations[target]);
            let mut rng = Rng::new(config.seed ^ (target as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            for _ in 0..config.runs_per_obligation {
                if past(config.deadline) {
                    break;
                }
                let input = generator.generate(&mut rng, &hint);
                let Err(trap) = input.replay(&mut runner)?.result else { continue };
                for &i in &targets {
                    if found[i].is_none() && confirms(&obligations[i], &trap) {
                        let shrunk = generator.shrink(
                            &mut runner,
                            &obligations[i],
                            &input,
                            &trap,
                            config.shrink_runs,
                            config.deadline,
                        );
                        found[i] = Some(shrunk);
                    }
                }
                if found[target].is_some() {
                    break;
                }
            }
        }
    }
    Ok(open
        .into_iter()
        .map(|i| {
            let finding = match found[i].take() {
                Some((input, trap)) => Finding::Confirmed { input, trap },
                None => Finding::Unconfirmed,
            };
            (i, finding)
        })
        .collect())
}

/// Whether `deadline` has passed.
fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| Instant::now() > deadline)
}

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
struct MapShape {
    id: MapId,
    name: String,
    kind: MapKind,
    key_size: usize,
    value_size: usize,
    max_entries: u32,
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
        let shape = match program_type.context_in(&subject.section) {
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
            shape,
            constants: constants.into_iter().collect(),
            offsets: offsets.into_iter().collect(),
            sites: sites.into_iter().collect(),
            guards: guards.into_iter().collect(),
            maps,
            max_packet_len,
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
    /// `input` does with `trap`, found with at most `budget` runs: map entries and fields
    /// dropped, field values cut to their low bits, bytes cut from the end (never below the
    /// context's minimum length) and zeroed, map values zeroed.
    fn shrink(
        &self,
        runner: &mut ObjectRunner<'_>,
        obligation: &Obligation,
        input: &Counterexample,
        trap: &Trap,
        budget: u32,
        deadline: Option<Instant>,
    ) -> (Counterexample, Trap) {
        let mut best = (input.clone(), trap.clone());
        let mut left = budget;
        let mut attempt = |best: &mut (Counterexample, Trap), candidate: Counterexample| {
            if left == 0 || candidate == best.0 || past(deadline) {
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

#[cfg(test)]
mod tests {

    use bpfprove_domains::DomainKind;
    use bpfprove_semantics::asm;
    use bpfprove_semantics::elf::MapDef;
    use bpfprove_semantics::model::privilege::Privilege;
    use bpfprove_semantics::program::Program;

    use super::*;
    use crate::verify::{Config, Verifier};

    /// An object with one program, `text` in section `section`, whose `lddw`s at the slots
    /// `map_loads` load map handles (lddw kind `MapIdx`).
    fn object(section: &str, maps: Vec<MapDef>, text: &str, map_loads: &[usize]) -> Object {
        let mut bytes = asm::llvm::parse(text).expect("valid assembly").to_bytes();
        for &slot in map_loads {
            bytes[slot * 8 + 1] |= 5 << 4;
        }
        let program = Program::from_bytes(&bytes).expect("valid program");
        Object::of_program(None, maps, LoadedProgram::bare(section, "prog", program))
    }

    fn map(name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
        MapDef::btf(name, map_type, key_size, value_size, max_entries)
    }

    /// The report and the findings for the one program of `object`.
    fn findings(object: &Object, config: &SearchConfig) -> (Report, Vec<(usize, Finding)>) {
        let loaded = &object.programs[0];
        let subject = Subject::from_object(object, loaded).expect("known program type");
        let report = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
        let findings = search(object, loaded, &subject, &report, config).expect("runs");
        (report, findings)
    }

    /// The finding for the obligation of `kind`, and its trap and input if confirmed.
    fn finding_for(report: &Report, findings: &[(usize, Finding)], kind: ObligationKind) -> Finding {
        let (_, finding) = findings
            .iter()
            .find(|(i, _)| report.obligations[*i].kind == kind)
            .unwrap_or_else(|| panic!("no open {kind} obligation in {:?}", report.failures()));
        finding.clone()
    }

    #[test]
    fn a_read_past_the_checked_packet_length_is_confirmed_and_replays() {
        let text = "
            r2 = *(u32 *)(r1 + 0)
            r3 = *(u32 *)(r1 + 4)
            r4 = r2
            r4 += 14
            if r4 > r3 goto out
            r5 = *(u8 *)(r2 + 23)
        out:
            r0 = 2
            exit";
        let object = object("xdp", Vec::new(), text, &[]);
        let (report, findings) = findings(&object, &SearchConfig::standard());
        let Finding::Confirmed { input, trap } = finding_for(&report, &findings, ObligationKind::PacketBounds) else {
            panic!("{findings:?}")
        };
        assert_eq!(trap.pc, 5);
        // Shrunk to the shortest packet that passes the check.
        assert_eq!(input.to_string(), "packet of 14 bytes [00×14], maps empty");
        let mut runner =
            ObjectRunner::new(&object, &object.programs[0], RunConfig::new(CallxModel::Address, 1000)).expect("xdp");
        assert_eq!(input.replay(&mut runner).expect("runs").result, Err(trap.clone()));
        let text = Finding::Confirmed { input: input.clone(), trap }.to_string();
        assert!(text.starts_with(&format!("confirmed: input packet of {} bytes [", input.bytes.len())), "{text}");
        assert!(text.contains("; trap pc 5: load of 1 bytes at offset 23 of packet"), "{text}");
    }

    #[test]
    fn context_fields_are_chosen_to_index_past_a_map_value() {
        // r0 = slots[0].slot[skb->mark & 15], with 8 slots of 8 bytes.
        let text = "
            r6 = *(u32 *)(r1 + 8)
            r6 &= 15
            r7 = 0
            *(u32 *)(r10 - 4) = r7
            r1 = 0 ll
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto out
            r6 <<= 3
            r0 += r6
            r0 = *(u64 *)(r0 + 0)
        out:
            r0 = 0
            exit";
        let object = object("tc", vec![map("slots", 2, 4, 64, 1)], text, &[4]);
        let (report, findings) = findings(&object, &SearchConfig::standard());
        let Finding::Confirmed { input, trap } = finding_for(&report, &findings, ObligationKind::MapBounds) else {
            panic!("{findings:?}")
        };
        assert_eq!(trap.pc, 12);
        let mark = input.fields.iter().rev().find(|(s, _)| *s == FieldSelector::from("mark")).map(|(_, v)| *v);
        assert!(mark.is_some_and(|mark| mark & 15 >= 8), "{input}");
    }

    #[test]
    fn map_entries_are_chosen_to_match_the_key_the_program_computes() {
        // The value has 8 bytes; reading bytes 8..16 of it faults only if the entry exists.
        let text = "
            r6 = *(u32 *)(r1 + 8)
            *(u32 *)(r10 - 4) = r6
            r1 = 0 ll
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto out
            r0 = *(u64 *)(r0 + 8)
        out:
            r0 = 0
            exit";
        let object = object("tc", vec![map("flows", 1, 4, 8, 16)], text, &[2]);
        let (report, findings) = findings(&object, &SearchConfig::standard());
        let Finding::Confirmed { input, trap } = finding_for(&report, &findings, ObligationKind::MapBounds) else {
            panic!("{findings:?}")
        };
        assert_eq!(trap.pc, 8);
        let mark = input.fields.iter().rev().find(|(s, _)| *s == FieldSelector::from("mark")).map_or(0, |(_, v)| *v);
        assert!(input.maps.iter().any(|e| e.key == mark.to_le_bytes()), "{input}");
        assert!(input.to_string().contains(&format!("flows[{}]=[", hex(&mark.to_le_bytes()))), "{input}");
    }

    #[test]
    fn failures_the_interpreter_cannot_show_stay_unconfirmed() {
        // A read of a stack slot nothing wrote, refused for an unprivileged loader: the
        // search's runs read the stack's bytes.
        let text = "
            r0 = *(u64 *)(r10 - 8)
            r0 = 0
            exit";
        let object = object("socket", Vec::new(), text, &[]);
        let loaded = &object.programs[0];
        let subject = Subject::from_object(&object, loaded).expect("known program type");
        let config = Config { privilege: Privilege::Unprivileged, ..Config::standard(DomainKind::Product) };
        let report = Verifier::new(config).verify(&subject);
        let findings = search(&object, loaded, &subject, &report, &SearchConfig::standard()).expect("runs");
        let finding = finding_for(&report, &findings, ObligationKind::UninitStack);
        assert_eq!(finding, Finding::Unconfirmed);
        assert_eq!(finding.to_string(), "unconfirmed (may be imprecision)");
    }

    #[test]
    fn the_search_is_deterministic_and_budgeted() {
        // Traps only on a packet of exactly 8 bytes whose bytes 4..8 hold 0x12345678: a
        // constant of the program, at the offset of one of its loads.
        let text = "
            r2 = *(u32 *)(r1 + 0)
            r3 = *(u32 *)(r1 + 4)
            r4 = r2
            r4 += 8
            if r4 > r3 goto out
            r5 = *(u32 *)(r2 + 4)
            if r5 != 0x12345678 goto out
            r5 = *(u8 *)(r2 + 8)
        out:
            r0 = 2
            exit";
        let object = object("xdp", Vec::new(), text, &[]);
        let config = SearchConfig::standard();
        let (_, first) = findings(&object, &config);
        let (_, second) = findings(&object, &config);
        assert_eq!(first, second);
        let [(_, Finding::Confirmed { input, trap })] = first.as_slice() else { panic!("{first:?}") };
        assert_eq!((trap.pc, input.bytes.len(), &input.bytes[4..8]), (7, 8, &0x1234_5678u32.to_le_bytes()[..]));
        let (_, none) = findings(&object, &SearchConfig { runs_per_obligation: 0, ..config.clone() });
        assert_eq!(none, [(first[0].0, Finding::Unconfirmed)]);
        let passed = Instant::now().checked_sub(std::time::Duration::from_millis(1));
        let (_, late) = findings(&object, &SearchConfig { deadline: passed, ..config });
        assert_eq!(late, [(first[0].0, Finding::Unconfirmed)], "a deadline that has passed stops the search");
    }

    #[test]
    fn trap_kinds_match_obligation_kinds() {
        let callx = TrapKind::BadCallxTarget { value: 0, model: CallxModel::Address };
        assert!(exhibits(ObligationKind::CallxTarget, &callx));
        assert!(!exhibits(ObligationKind::NullDeref, &callx));
        assert!(!exhibits(ObligationKind::Termination, &TrapKind::BudgetExhausted { budget: 1 }));
        assert!(exhibits(ObligationKind::GotoxTarget, &TrapKind::BadGotoxTarget { value: 0 }));
        assert!(exhibits(ObligationKind::UninitRegister, &TrapKind::UninitialisedRegister { reg: Reg::R3 }));
        assert!(!exhibits(ObligationKind::UninitStack, &TrapKind::UninitialisedRegister { reg: Reg::R3 }));
    }

    #[test]
    fn generated_inputs_fit_their_program() {
        let object = object("kprobe/x", vec![map("flows", 1, 2, 3, 2), map("slots", 2, 4, 8, 3)], "r0 = 0\n exit", &[]);
        let subject = Subject::from_object(&object, &object.programs[0]).expect("kprobe");
        let generator = InputGenerator::new(&object, &subject, 100);
        let mut rng = Rng::new(7);
        let mut runner =
            ObjectRunner::new(&object, &object.programs[0], RunConfig::new(CallxModel::Address, 100)).expect("kprobe");
        let mut entries = 0;
        for _ in 0..500 {
            let input = generator.generate(&mut rng, &Hint::none());
            assert_eq!(input.bytes.len(), 168, "pt_regs");
            assert!(input.fields.is_empty());
            entries += input.maps.len();
            input.replay(&mut runner).expect("every generated input is accepted");
        }
        assert!(entries > 100, "{entries} map entries in 500 inputs");
        assert_eq!(hex(&[0, 0, 0, 0, 0, 1, 2, 2, 2]), "00×5 01 02 02 02");
    }
}
