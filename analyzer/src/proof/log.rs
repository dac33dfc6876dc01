//! The JSON proof log: its document types (serde), and conversions between them and the
//! analysis' own types. The JSON Schema is `analyzer/schema/proof-log.schema.json`; a test
//! validates logs of the whole corpus against it.
//!
//! Numbers are serialised as the words of their domain's representation (hexadecimal
//! strings, so that no JSON reader rounds them), next to a readable rendering; states list
//! only initialised registers and written stack slots.

use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::isa::Reg;
use bpfprove_semantics::model::context::{AttachedBuffer, BtfStruct};
use bpfprove_semantics::model::privilege::Privilege;
use bpfprove_semantics::program::{FunctionId, JumpTableId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

use crate::engine::{Analysis, ContextResult, Unrolled};
use crate::globals::GlobalSummary;
use crate::obligation::{ObligationKind, Status};
use crate::references::{IterState, Resources};
use crate::stack::{Frame, SAVED_REGISTERS_END, Slot};
use crate::state::{PacketFacts, State};
use crate::subject::Subject;
use crate::ties::{Place, Ties};
use crate::transfer::Resolved;
use crate::value::{CodeAddress, Functions, MapSet, Nullness, Num, PacketVar, Pointer, Region, Value};
use crate::value::{KernelKind, SocketView};
use crate::verify::{Config, Report, Verdict};
use crate::zone::{Var, Zone};
use bpfprove_semantics::model::kfuncs::{IterKind, ObjectKind};

/// The version of the document format; a checker refuses other versions. Version 2 keeps
/// states only at cut points unless asked for every pc ([`Invariants`]).
pub const SCHEMA_VERSION: u32 = 2;

/// Which pcs' states a log keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invariants {
    /// Only the cut points ([`super::cut_points`]): the checker re-derives the rest.
    CutPoints,
    /// Every reached pc.
    EveryPc,
}

impl Invariants {
    /// `cut-points` or `every-pc`, as the log's options name it.
    pub fn name(self) -> &'static str {
        match self {
            Invariants::CutPoints => "cut-points",
            Invariants::EveryPc => "every-pc",
        }
    }
}

/// A proof log: every program of one object verified with one configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofLog {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What wrote it.
    pub tool: String,
    /// The object's identity.
    pub object: ObjectId,
    /// The configuration.
    pub options: Options,
    /// One entry per verified program.
    pub programs: Vec<ProgramLog>,
}

/// Why a text is not a proof log this checker can read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not a JSON document with a numeric `schema_version`.
    #[error("not a bpfprove proof log (no numeric `schema_version`): {0}")]
    NoVersion(serde_json::Error),
    /// Another version of the format.
    #[error(
        "schema version {0}: this checker reads version {SCHEMA_VERSION} only (write the log again with this bpfprove)"
    )]
    Version(u64),
    /// The right version, but not a well-formed document.
    #[error("not a well-formed proof log of schema version {SCHEMA_VERSION}: {0}")]
    Malformed(serde_json::Error),
}

impl ProofLog {
    /// Reads a log from its JSON text, refusing other schema versions before anything else
    /// (their fields differ, so reading them as this version would fail less clearly).
    pub fn from_json(text: &str) -> Result<ProofLog, ReadError> {
        #[derive(Deserialize)]
        struct Version {
            schema_version: u64,
        }
        let version: Version = serde_json::from_str(text).map_err(ReadError::NoVersion)?;
        if version.schema_version != u64::from(SCHEMA_VERSION) {
            return Err(ReadError::Version(version.schema_version));
        }
        serde_json::from_str(text).map_err(ReadError::Malformed)
    }

    /// The log as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a proof log is plain data")
    }
}

/// Which object was verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectId {
    /// The file name as given (informative).
    pub file: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The configuration of the verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// `interval`, `signed-interval`, `tnum` or `product`.
    pub domain: String,
    /// `address` or `helper-id`.
    pub callx_model: String,
    /// Loop-head visits before widening.
    pub widening_delay: u32,
    /// Whether widening used thresholds.
    pub widening_thresholds: bool,
    /// Descending passes.
    pub narrowing_passes: u32,
    /// Most unrolling rounds per loop.
    pub loop_unroll: u32,
    /// `widen-first`, `unroll` or `widen`: which loops were unrolled. The checker does not
    /// need it (it re-checks the log's loops as they are); logs written before the switch
    /// existed say nothing and are read as `unroll`.
    #[serde(default = "unroll")]
    pub loops: String,
    /// Most instruction visits.
    pub max_visits: u64,
    /// Most contexts.
    pub max_contexts: usize,
    /// Time limit in milliseconds.
    pub time_limit_ms: Option<u64>,
    /// Whether `.data`/`.bss` were assumed to hold the file's values (`--assume-initial-globals`)
    /// rather than anything user space may write; the checker starts from the same assumption.
    #[serde(default)]
    pub assume_initial_globals: bool,
    /// `privileged` or `unprivileged`: the loader the program was verified for; the checker
    /// applies the same rules. Logs written before the switch existed say nothing and are
    /// read as privileged.
    #[serde(default = "privileged")]
    pub privilege: String,
    /// `cut-points` or `every-pc`: which pcs' states the log keeps ([`Invariants`]). The
    /// checker does not read it: it derives every state the log leaves out, and rejects a pc
    /// it reaches twice without a logged state.
    pub invariants: String,
}

fn unroll() -> String {
    crate::loops::LoopStrategy::Unroll.name().to_owned()
}

fn privileged() -> String {
    Privilege::Privileged.name().to_owned()
}

/// One program's verification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramLog {
    /// Its ELF section.
    pub section: String,
    /// Its function.
    pub function: String,
    /// SHA-256 of the linked program's bytecode.
    pub program_sha256: String,
    /// Its program type.
    pub program_type: String,
    /// `pass`, `fail` or `unknown`.
    pub verdict: String,
    /// Why it is `unknown`.
    pub stop_reason: Option<String>,
    /// The global data summary (one value per 8-byte slot), in runs of slots alike.
    pub globals: Vec<GlobalRunLog>,
    /// Every distinct value the states of the contexts hold; states refer to them by index
    /// (a program's states share few distinct values).
    pub values: Vec<ValueLog>,
    /// The analysed contexts (function × entry state) that the program's execution reaches.
    pub contexts: Vec<ContextLog>,
    /// Every obligation.
    pub obligations: Vec<ObligationLog>,
    /// Resolved `callx` and `gotox` targets.
    pub targets: Vec<TargetLog>,
    /// Counters.
    pub stats: StatsLog,
}

/// Consecutive 8-byte slots of global data holding one value (a large zeroed `.bss` is one
/// run, not a line per slot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalRunLog {
    /// The data section's map id.
    pub map: u32,
    /// Byte offset of the first slot.
    pub offset: u32,
    /// How many slots, at least 1.
    pub slots: u32,
    /// Their value.
    pub value: ValueLog,
}

/// A function analysed from one entry state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextLog {
    /// Its id, referred to by calls and obligations.
    pub id: usize,
    /// The function's name.
    pub function: String,
    /// The function's index in the program.
    pub function_id: u32,
    /// The function's first pc.
    pub entry_pc: usize,
    /// The state it is entered with.
    pub entry: StateLog,
    /// The join of its states at `exit`, if it returns.
    pub exit: Option<StateLog>,
    /// The invariant before each reachable instruction outside unrolled loops: at the cut
    /// points only, or at every pc ([`Invariants`]).
    pub invariants: Vec<InvariantLog>,
    /// Loops analysed by unrolling.
    pub unrolled: Vec<UnrolledLog>,
    /// The contexts each call site calls.
    pub calls: Vec<CallLog>,
}

/// The invariant before one instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvariantLog {
    /// The instruction.
    pub pc: usize,
    /// The state.
    pub state: StateLog,
    /// The state, readable.
    pub text: String,
}

/// A loop analysed by unrolling, iteration by iteration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnrolledLog {
    /// The loop's head.
    pub head: usize,
    /// The loop's instructions.
    pub members: Vec<usize>,
    /// One entry per iteration; the last reaches no back edge.
    pub rounds: Vec<RoundLog>,
}

/// One iteration of an unrolled loop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundLog {
    /// States of the loop's instructions in this iteration (outside nested unrolled loops).
    pub invariants: Vec<InvariantLog>,
    /// Nested loops unrolled in this iteration.
    pub unrolled: Vec<UnrolledLog>,
    /// Nested loops widened in this iteration, and why.
    pub widened: Vec<WidenedLog>,
}

/// A loop iterated with widening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidenedLog {
    /// Its head.
    pub head: usize,
    /// Why it was not unrolled.
    pub reason: String,
}

/// The contexts a call site calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallLog {
    /// The call's pc.
    pub pc: usize,
    /// The callee's name.
    pub callee: String,
    /// The callee's function index.
    pub function_id: u32,
    /// Contexts of the callee entered from here.
    pub contexts: Vec<usize>,
}

/// An abstract state. Its values are indices into the program's [`ProgramLog::values`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateLog {
    /// Initialised registers (the others are uninitialised): register number → value.
    pub regs: BTreeMap<u8, u32>,
    /// Stack frames, outermost first: their written slots.
    pub frames: Vec<Vec<SlotLog>>,
    /// Packet size facts.
    pub packet: PacketLog,
    /// Held references and open RCU read sections (absent: none).
    #[serde(default, skip_serializing_if = "ResourcesLog::is_empty")]
    pub resources: ResourcesLog,
    /// Classes of places holding one number (absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ties: Vec<Vec<PlaceLog>>,
    /// Difference constraints `x - y <= bound` (absent: none; see [`crate::zone`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zone: Vec<ZoneLog>,
    /// Links `place = base + offset (mod 2^64)` (absent: none; see [`crate::links`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkLog>,
}

/// A link `place = base + offset (mod 2^64)`, the offset a decimal integer below 2^64.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkLog {
    /// The place described.
    pub place: PlaceLog,
    /// The place it is described from.
    pub base: PlaceLog,
    /// What is added.
    pub offset: String,
}

/// A zone constraint `x - y <= bound`: variables `zero`, `len`, `num:rN`, `off:rN`, the bound
/// a decimal integer (it may pass 64 bits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneLog {
    /// The variable bounded from above.
    pub x: String,
    /// The variable subtracted.
    pub y: String,
    /// The bound.
    pub bound: String,
}

/// A register (`reg`) or a stack slot (`frame`, `offset`, `size`) in a class of ties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, untagged)]
pub enum PlaceLog {
    /// A register.
    Reg {
        /// 0..=10.
        reg: u8,
    },
    /// A stack slot.
    Slot {
        /// The frame's depth.
        frame: u8,
        /// The slot's first byte from the frame pointer.
        offset: i16,
        /// Its bytes.
        size: u8,
    },
}

/// What a state may hold that the program must give back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcesLog {
    /// Pcs of the calls whose acquired references may be held.
    pub held: Vec<u32>,
    /// Fewest and most RCU read sections that may be open.
    pub rcu: [u8; 2],
    /// Pcs of the calls whose acquired references are held on every path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub surely: Vec<u32>,
    /// Iterators that may be active.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iterators: Vec<IteratorLog>,
    /// Fewest and most `bpf_spin_lock`s that may be held (0 or 1).
    #[serde(default, skip_serializing_if = "is_zero_pair")]
    pub spin_lock: [u8; 2],
}

fn is_zero_pair(pair: &[u8; 2]) -> bool {
    *pair == [0, 0]
}

/// An iterator that may be active: its frame and offset, kind (`bpf_iter_<kind>`; absent
/// when unknown) and whether it is active on every path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IteratorLog {
    /// The stack frame.
    pub frame: u8,
    /// The offset of its first byte.
    pub offset: i16,
    /// Its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether it is active on every path.
    pub surely: bool,
    /// Whether a `next` may have found it drained.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drained: bool,
}

impl ResourcesLog {
    fn is_empty(&self) -> bool {
        self.held.is_empty()
            && self.rcu == [0, 0]
            && self.surely.is_empty()
            && self.iterators.is_empty()
            && self.spin_lock == [0, 0]
    }
}

/// A written stack slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotLog {
    /// Offset from the frame pointer: negative for the program's bytes, `0..32` for the
    /// `r6`–`r9` a calling frame keeps (see [`crate::stack`]).
    pub offset: i16,
    /// Bytes, 1..=8.
    pub size: u8,
    /// What they hold: an index into [`ProgramLog::values`].
    pub value: u32,
}

/// What bounds checks established about the packet's length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketLog {
    /// `len >= min_len`.
    pub min_len: u64,
    /// `len >= base(id) + range`.
    pub ranges: Vec<RangeLog>,
    /// Whether a helper may have moved the packet since the function was entered.
    pub moved: bool,
    /// `data - data_meta >= meta_len` (absent: 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub meta_len: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One packet-variable fact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeLog {
    /// The variable (the pc that introduced it).
    pub id: u32,
    /// The range.
    pub range: i64,
}

/// A number of the log's domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumLog {
    /// The domain representation's words, as `0x...` strings.
    pub parts: Vec<String>,
    /// Readable bounds.
    pub text: String,
}

/// An abstract value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ValueLog {
    /// Possibly uninitialised.
    Uninit,
    /// A number.
    Scalar {
        /// Its value.
        value: NumLog,
    },
    /// A pointer.
    Pointer {
        /// `ctx`, `stack:N`, `packet`, `packet_end`, `packet_meta`, `map_value:M`,
        /// `global:M`, `map:M`, `jump_table:T` or `record:PC:SIZE`.
        region: String,
        /// Offset in the region.
        offset: NumLog,
        /// Whether it may be NULL.
        maybe_null: bool,
        /// The helper call whose copies share a NULL check.
        null_id: Option<u32>,
        /// For packet pointers: the shared variable part.
        var: Option<VarLog>,
        /// For map values and records: the helper call whose latest result it points into.
        object: Option<u32>,
        /// Whether it points into the map value whose `bpf_spin_lock` is held.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        locked: bool,
    },
    /// Function addresses.
    Func {
        /// Function indices.
        functions: Vec<u32>,
        /// Whether NULL is possible.
        nullable: bool,
    },
    /// A code address from a jump table.
    Code {
        /// The table.
        table: u32,
        /// The entries.
        index: NumLog,
    },
    /// An arena pointer.
    Arena,
}

/// A packet pointer's variable part.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarLog {
    /// Introduced at this pc.
    pub id: u32,
    /// Constant added since.
    pub fixed: i64,
}

/// One obligation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObligationLog {
    /// Where.
    pub pc: usize,
    /// In which context.
    pub context: usize,
    /// What.
    pub kind: ObligationKind,
    /// How it came out.
    pub status: Status,
    /// The deciding domain.
    pub domain: String,
    /// Details.
    pub detail: String,
    /// The source line, when the object has line info.
    pub source: Option<String>,
}

/// Where an indirect transfer may go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetLog {
    /// The `callx`/`gotox` pc.
    pub pc: usize,
    /// In which context.
    pub context: usize,
    /// `callx` or `gotox`.
    pub kind: String,
    /// Called functions' names (callx, address model).
    pub functions: Vec<String>,
    /// Helper numbers (callx, helper-id model).
    pub helpers: Vec<i32>,
    /// Target pcs (gotox).
    pub targets: Vec<usize>,
}

/// Counters of the verification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsLog {
    /// Instruction visits.
    pub iterations: u64,
    /// Widenings.
    pub widenings: u64,
    /// Contexts analysed (including superseded ones).
    pub contexts: usize,
    /// Fixpoint restarts after new gotox edges.
    pub restarts: u64,
    /// Rounds of the global-data iteration.
    pub rounds: u32,
    /// Most states one fixpoint held at once.
    pub peak_states: usize,
    /// Wall time in milliseconds.
    pub time_ms: f64,
    /// The process's peak resident memory in KiB when the log was written, if known.
    pub peak_rss_kib: Option<u64>,
}

/// Why a log cannot be read back into states.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// A number's words do not form a value of the log's domain.
    #[error("a number has {0} words, not a value of the log's domain")]
    BadNumber(usize),
    /// A word is not a `0x...` hexadecimal string.
    #[error("`{0}` is not a 0x-prefixed hexadecimal word")]
    BadWord(String),
    /// A region name is malformed.
    #[error("unknown region `{0}`")]
    BadRegion(String),
    /// A register number is out of range.
    #[error("register {0} does not exist")]
    BadRegister(u8),
    /// A zone constraint is malformed or the zone contradicts itself.
    #[error("zone: {0}")]
    BadZone(String),
    /// A link's offset is not a 64-bit word.
    #[error("link: {0}")]
    BadLink(String),
    /// A stack slot is malformed (size or overlap).
    #[error("stack slot at {offset} of {size} bytes is malformed")]
    BadSlot {
        /// Its offset.
        offset: i16,
        /// Its size.
        size: u8,
    },
    /// The state has no frame.
    #[error("a state has no stack frame")]
    NoFrame,
    /// A run of global slots is empty, unaligned or makes the summary too large.
    #[error("global data run of {slots} slots at offset {offset} of map {map} is empty, unaligned or too long")]
    BadGlobalRun {
        /// The map.
        map: u32,
        /// The first slot's offset.
        offset: u32,
        /// The run's slots.
        slots: u32,
    },
    /// A state refers to a value the program's table does not have.
    #[error("value {0} is not in the program's table of values")]
    BadValueIndex(u32),
    /// The RCU read-section depths are not a range of at most the tracked depth.
    #[error("RCU read-section depths [{min}, {max}] are malformed")]
    BadRcuDepth {
        /// The fewest.
        min: u8,
        /// The most.
        max: u8,
    },
}

/// SHA-256 of `bytes`, in hexadecimal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Options {
    /// The options of `config`, for a log keeping `invariants`.
    pub fn of(config: &Config, invariants: Invariants) -> Options {
        Options {
            domain: config.domain_spec().to_string(),
            callx_model: match config.callx_model {
                bpfprove_semantics::interp::CallxModel::Address => "address".to_owned(),
                bpfprove_semantics::interp::CallxModel::HelperId => "helper-id".to_owned(),
            },
            widening_delay: config.widening_delay,
            widening_thresholds: config.widening_thresholds,
            narrowing_passes: config.narrowing_passes,
            loop_unroll: config.loop_unroll,
            loops: config.loops.name().to_owned(),
            max_visits: config.max_visits,
            max_contexts: config.max_contexts,
            time_limit_ms: config.time_limit.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
            assume_initial_globals: config.assume_initial_globals,
            privilege: config.privilege.name().to_owned(),
            invariants: invariants.name().to_owned(),
        }
    }
}

fn num_log(n: &Num) -> NumLog {
    NumLog { parts: n.parts().iter().map(|w| format!("{w:#x}")).collect(), text: crate::display::num(n) }
}

fn region_name(region: Region) -> String {
    match region {
        Region::Context => "ctx".into(),
        Region::Stack { frame } => format!("stack:{frame}"),
        Region::Packet => "packet".into(),
        Region::PacketEnd => "packet_end".into(),
        Region::PacketMeta => "packet_meta".into(),
        Region::MapValue(maps) => format!("map_value:{maps}"),
        Region::GlobalData(map) => format!("global:{}", map.0),
        Region::MapHandle(maps) => format!("map:{maps}"),
        Region::JumpTable(table) => format!("jump_table:{}", table.0),
        Region::Record { pc, size } => format!("record:{pc}:{size}"),
        Region::Socket { view, reference: None } => view.name().into(),
        Region::Socket { view, reference: Some(pc) } => format!("{}:{pc}", view.name()),
        Region::Block { size } => format!("block:{size}"),
        Region::BtfStruct(structure) => format!("btf:{}", structure.name()),
        Region::AttachedBuffer { buffer, writable } => {
            format!("{}:{}", crate::value::buffer_name(buffer), if writable { "rw" } else { "ro" })
        }
        Region::Kernel { pc, kind } => {
            let (frame, offset) = match kind {
                KernelKind::Item { frame, offset, .. } => (frame, -i32::from(offset)),
                KernelKind::Object(_) => (0, 0),
            };
            format!("kernel:{pc}:{}:{frame}:{offset}", kind.name())
        }
    }
}

/// A value for the log.
pub fn value_log(value: &Value) -> ValueLog {
    match value {
        Value::Uninit => ValueLog::Uninit,
        Value::Scalar(n) => ValueLog::Scalar { value: num_log(n) },
        Value::Pointer(p) => ValueLog::Pointer {
            region: region_name(p.region),
            offset: num_log(&p.offset),
            maybe_null: p.null.may_be_null(),
            null_id: p.null.id(),
            var: p.var.map(|v| VarLog { id: v.id, fixed: v.fixed }),
            object: p.object,
            locked: p.locked,
        },
        Value::Func(f) => ValueLog::Func { functions: f.set.iter().map(|id| id.0).collect(), nullable: f.nullable },
        Value::Code(c) => ValueLog::Code { table: c.table.0, index: num_log(&c.index) },
        Value::Arena => ValueLog::Arena,
    }
}

/// The distinct values of a program's logged states, as they are met.
#[derive(Default)]
struct ValueTable {
    index: std::collections::HashMap<ValueLog, u32>,
    values: Vec<ValueLog>,
}

impl ValueTable {
    /// The index of `value`, added if new.
    fn intern(&mut self, value: &Value) -> u32 {
        let log = value_log(value);
        if let Some(&at) = self.index.get(&log) {
            return at;
        }
        let at = u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values");
        self.values.push(log.clone());
        self.index.insert(log, at);
        at
    }
}

/// A state for the log, its values interned in `table`.
fn state_log(state: &State, table: &mut ValueTable) -> StateLog {
    StateLog {
        regs: Reg::all()
            .filter(|r| !matches!(state.reg(*r), Value::Uninit))
            .map(|r| (r.number(), table.intern(state.reg(r))))
            .collect(),
        frames: state
            .frames
            .iter()
            .map(|frame| {
                frame
                    .slots()
                    .map(|(offset, slot)| SlotLog { offset, size: slot.size, value: table.intern(&slot.value) })
                    .collect()
            })
            .collect(),
        packet: PacketLog {
            min_len: state.packet.min_len,
            ranges: state.packet.ranges.iter().map(|(id, range)| RangeLog { id: *id, range: *range }).collect(),
            moved: state.packet.moved,
            meta_len: state.packet.meta_len,
        },
        resources: ResourcesLog {
            held: state.resources.held.iter().copied().collect(),
            rcu: [state.resources.rcu_min, state.resources.rcu_max],
            spin_lock: [state.resources.spin_min, state.resources.spin_max],
            surely: state.resources.surely.iter().copied().collect(),
            iterators: state
                .resources
                .iterators
                .iter()
                .map(|(&(frame, offset), i)| IteratorLog {
                    frame,
                    offset,
                    kind: i.kind.map(|k| k.name().to_owned()),
                    surely: i.surely,
                    drained: i.drained,
                })
                .collect(),
        },
        ties: state.ties.classes().map(|class| class.iter().map(|&place| place_log(place)).collect()).collect(),
        links: state
            .links
            .facts()
            .map(|link| LinkLog {
                place: place_log(link.place),
                base: place_log(link.base),
                offset: link.offset.to_string(),
            })
            .collect(),
        zone: state
            .zone
            .constraints()
            .map(|(x, y, c)| ZoneLog { x: x.name(), y: y.name(), bound: c.to_string() })
            .collect(),
    }
}

fn place_log(place: Place) -> PlaceLog {
    match place {
        Place::Reg(reg) => PlaceLog::Reg { reg: reg.number() },
        Place::Slot { frame, start, size } => PlaceLog::Slot { frame, offset: start, size },
    }
}

fn place_of(log: &PlaceLog) -> Result<Place, LogError> {
    Ok(match *log {
        PlaceLog::Reg { reg } => Place::Reg(Reg::new(reg).ok_or(LogError::BadRegister(reg))?),
        PlaceLog::Slot { frame, offset, size } => Place::Slot { frame, start: offset, size },
    })
}

/// The pcs of one context whose states a log keeps: all of them, or its cut points.
type Kept = Option<BTreeSet<usize>>;

fn invariants_log(
    states: &BTreeMap<usize, State>,
    skip: &BTreeSet<usize>,
    kept: &Kept,
    table: &mut ValueTable,
) -> Vec<InvariantLog> {
    states
        .iter()
        .filter(|(pc, _)| !skip.contains(pc) && kept.as_ref().is_none_or(|cut| cut.contains(pc)))
        .map(|(pc, s)| InvariantLog { pc: *pc, state: state_log(s, table), text: crate::display::state(s) })
        .collect()
}

fn unrolled_log(loop_: &Unrolled, kept: &Kept, table: &mut ValueTable) -> UnrolledLog {
    UnrolledLog {
        head: loop_.head,
        members: loop_.members.iter().copied().collect(),
        rounds: loop_
            .rounds
            .iter()
            .map(|round| RoundLog {
                invariants: invariants_log(&round.states, &BTreeSet::new(), kept, table),
                unrolled: round.unrolled.values().map(|nested| unrolled_log(nested, kept, table)).collect(),
                widened: round.widened.iter().map(|(h, r)| WidenedLog { head: *h, reason: r.clone() }).collect(),
            })
            .collect(),
    }
}

fn context_log(
    subject: &Subject,
    id: usize,
    context: &ContextResult,
    invariants: Invariants,
    table: &mut ValueTable,
) -> ContextLog {
    let function = subject.program.function(context.function);
    let in_unrolled = context.unrolled.values().flat_map(|u| u.members.iter().copied()).collect();
    let kept = match invariants {
        Invariants::CutPoints => Some(super::cut_points::cut_points(subject.program, context)),
        Invariants::EveryPc => None,
    };
    ContextLog {
        id,
        function: function.name.clone(),
        function_id: context.function.0,
        entry_pc: function.entry,
        entry: state_log(&context.entry, table),
        exit: context.exit.as_ref().map(|exit| state_log(exit, table)),
        invariants: invariants_log(&context.invariants, &in_unrolled, &kept, table),
        unrolled: context.unrolled.values().map(|loop_| unrolled_log(loop_, &kept, table)).collect(),
        calls: context
            .callees
            .iter()
            .map(|((pc, callee), contexts)| CallLog {
                pc: *pc,
                callee: subject.program.function(*callee).name.clone(),
                function_id: callee.0,
                contexts: contexts.iter().copied().collect(),
            })
            .collect(),
    }
}

impl ProgramLog {
    /// The log of `report`, the verification of `subject`, keeping `invariants`.
    /// `peak_rss_kib` is filled in by whoever can measure it.
    pub fn of(subject: &Subject, report: &Report, invariants: Invariants, peak_rss_kib: Option<u64>) -> ProgramLog {
        let (verdict, stop_reason) = match &report.verdict {
            Verdict::Pass => ("pass", None),
            Verdict::Fail => ("fail", None),
            Verdict::Unknown(why) => ("unknown", Some(why.clone())),
        };
        let live = report.analysis.as_ref().map(Analysis::live).unwrap_or_default();
        let analysis = report.analysis.as_ref();
        let mut table = ValueTable::default();
        let contexts = analysis
            .map(|a| live.iter().map(|&id| context_log(subject, id, &a.contexts[id], invariants, &mut table)).collect())
            .unwrap_or_default();
        let mut targets = Vec::new();
        if let Some(a) = analysis {
            for &id in &live {
                for (pc, resolved) in &a.contexts[id].resolved {
                    targets.push(match resolved {
                        Resolved::Callx { functions, helpers } => TargetLog {
                            pc: *pc,
                            context: id,
                            kind: "callx".into(),
                            functions: functions.iter().map(|f| subject.program.function(*f).name.clone()).collect(),
                            helpers: helpers.clone(),
                            targets: Vec::new(),
                        },
                        Resolved::Gotox { targets } => TargetLog {
                            pc: *pc,
                            context: id,
                            kind: "gotox".into(),
                            functions: Vec::new(),
                            helpers: Vec::new(),
                            targets: targets.clone(),
                        },
                    });
                }
            }
        }
        ProgramLog {
            section: subject.section.clone(),
            function: subject.function.clone(),
            program_sha256: sha256_hex(&subject.program.to_bytes()),
            program_type: subject.spec.program_type.name().to_owned(),
            verdict: verdict.to_owned(),
            stop_reason,
            globals: global_runs(&report.globals),
            values: table.values,
            contexts,
            obligations: report
                .obligations
                .iter()
                .map(|o| ObligationLog {
                    pc: o.pc,
                    context: o.context,
                    kind: o.kind,
                    status: o.status,
                    domain: o.domain.name().to_owned(),
                    detail: o.detail.clone(),
                    source: subject.source_line(o.pc).map(|l| l.to_string()),
                })
                .collect(),
            targets,
            stats: StatsLog {
                iterations: report.stats.visits,
                widenings: report.stats.widenings,
                contexts: report.stats.contexts,
                restarts: report.stats.restarts,
                rounds: report.rounds,
                peak_states: report.stats.peak_states,
                time_ms: report.elapsed.as_secs_f64() * 1000.0,
                peak_rss_kib,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reading states back.

fn word(text: &str) -> Result<u64, LogError> {
    text.strip_prefix("0x")
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| LogError::BadWord(text.to_owned()))
}

/// The number `log` describes, in `domain`.
pub fn num_of(log: &NumLog, domain: DomainKind) -> Result<Num, LogError> {
    let words = log.parts.iter().map(|p| word(p)).collect::<Result<Vec<u64>, _>>()?;
    domain.from_parts(&words).ok_or(LogError::BadNumber(words.len()))
}

fn region_of(name: &str) -> Result<Region, LogError> {
    let bad = || LogError::BadRegion(name.to_owned());
    let mut pieces = name.split(':');
    let kind = pieces.next().ok_or_else(bad)?;
    if kind == "map_value" || kind == "map" {
        // A set of maps: ascending ids joined by commas, at most `MAP_SET_CAP` of them.
        let ids = pieces.next().ok_or_else(bad)?.split(',').map(|p| p.parse().map(MapId).map_err(|_| bad()));
        let ids = ids.collect::<Result<Vec<MapId>, _>>()?;
        let set = MapSet::of(ids.iter().copied()).ok_or_else(bad)?;
        // One spelling per set (and nothing after it), so a log names each region one way.
        if set.iter().collect::<Vec<_>>() != ids || pieces.next().is_some() {
            return Err(bad());
        }
        return Ok(if kind == "map" { Region::MapHandle(set) } else { Region::MapValue(set) });
    }
    let mut number = || -> Result<u32, LogError> { pieces.next().and_then(|p| p.parse().ok()).ok_or_else(bad) };
    let region = match kind {
        "ctx" => Region::Context,
        "packet" => Region::Packet,
        "packet_end" => Region::PacketEnd,
        "packet_meta" => Region::PacketMeta,
        view if SocketView::named(view).is_some() => {
            let reference = pieces.next().map(|p| p.parse().map_err(|_| bad())).transpose()?;
            Region::Socket { view: SocketView::named(view).ok_or_else(bad)?, reference }
        }
        "block" => Region::Block { size: number()? },
        "btf" => {
            let name = pieces.next().ok_or_else(bad)?;
            Region::BtfStruct(BtfStruct::ALL.into_iter().find(|s| s.name() == name).ok_or_else(bad)?)
        }
        buffer @ ("iter_key" | "iter_value") => {
            let buffer = if buffer == "iter_key" { AttachedBuffer::MapKey } else { AttachedBuffer::MapValue };
            let writable = match pieces.next() {
                Some("rw") => true,
                Some("ro") => false,
                _ => return Err(bad()),
            };
            Region::AttachedBuffer { buffer, writable }
        }
        "stack" => Region::Stack { frame: u8::try_from(number()?).map_err(|_| bad())? },
        "global" => Region::GlobalData(MapId(number()?)),
        "jump_table" => Region::JumpTable(JumpTableId(number()?)),
        "record" => {
            let pc = number()?;
            Region::Record { pc, size: number()? }
        }
        "kernel" => {
            let pc = number()?;
            let name = pieces.next().ok_or_else(bad)?;
            let frame = pieces.next().and_then(|p| p.parse::<u8>().ok()).ok_or_else(bad)?;
            let below = pieces.next().and_then(|p| p.parse::<u16>().ok()).ok_or_else(bad)?;
            let offset = i16::try_from(below).ok().filter(|&b| b <= 512).map(|b| -b).ok_or_else(bad)?;
            let kind = kernel_kind(name, frame, offset).ok_or_else(bad)?;
            Region::Kernel { pc, kind }
        }
        _ => return Err(bad()),
    };
    if pieces.next().is_some() {
        return Err(bad());
    }
    Ok(region)
}

/// The kfunc result kind named `name` (see [`KernelKind::name`]).
fn kernel_kind(name: &str, frame: u8, offset: i16) -> Option<KernelKind> {
    if let Some(object) = ObjectKind::ALL.into_iter().find(|o| o.name() == name) {
        return (frame == 0 && offset == 0).then_some(KernelKind::Object(object));
    }
    let kind = [IterKind::Num, IterKind::Bits].into_iter().find(|k| name.strip_prefix("item_") == Some(k.name()))?;
    (usize::from(frame) < bpfprove_semantics::interp::MAX_FRAMES).then_some(KernelKind::Item { kind, frame, offset })
}

/// The value `log` describes.
pub fn value_of(log: &ValueLog, domain: DomainKind) -> Result<Value, LogError> {
    Ok(match log {
        ValueLog::Uninit => Value::Uninit,
        ValueLog::Scalar { value } => Value::Scalar(num_of(value, domain)?),
        ValueLog::Pointer { region, offset, maybe_null, null_id, var, object, locked } => Value::Pointer(Pointer {
            region: region_of(region)?,
            offset: num_of(offset, domain)?,
            null: if *maybe_null { Nullness::MaybeNull { id: *null_id } } else { Nullness::NonNull },
            var: var.as_ref().map(|v| PacketVar { id: v.id, fixed: v.fixed }),
            object: *object,
            locked: *locked,
        }),
        ValueLog::Func { functions, nullable } => {
            Value::Func(Functions { set: functions.iter().map(|&f| FunctionId(f)).collect(), nullable: *nullable })
        }
        ValueLog::Code { table, index } => {
            Value::Code(CodeAddress { table: JumpTableId(*table), index: num_of(index, domain)? })
        }
        ValueLog::Arena => Value::Arena,
    })
}

/// The values of a program's `values` table, read in `domain`.
pub fn values_of(values: &[ValueLog], domain: DomainKind) -> Result<Vec<Value>, LogError> {
    values.iter().map(|v| value_of(v, domain)).collect()
}

/// The value at `index` of a program's `values`.
fn value_at(values: &[Value], index: u32) -> Result<Value, LogError> {
    values.get(index as usize).cloned().ok_or(LogError::BadValueIndex(index))
}

/// The state `log` describes, its values indices into `values` (the program's table, read
/// by [`values_of`]).
pub fn state_of(log: &StateLog, domain: DomainKind, values: &[Value]) -> Result<State, LogError> {
    let mut state = State::entry(domain);
    for reg in Reg::all() {
        state.set(reg, Value::Uninit);
    }
    for (&reg, &value) in &log.regs {
        let r = Reg::new(reg).ok_or(LogError::BadRegister(reg))?;
        state.set(r, value_at(values, value)?);
    }
    if log.frames.is_empty() {
        return Err(LogError::NoFrame);
    }
    let mut frames = imbl::Vector::new();
    for slots in &log.frames {
        let mut parsed: Vec<(i16, Slot)> = Vec::new();
        let mut covered_to = i32::MIN;
        for slot in slots {
            let (start, end) = (i32::from(slot.offset), i32::from(slot.offset) + i32::from(slot.size));
            if !(1..=8).contains(&slot.size)
                || start < -512
                || end > i32::from(SAVED_REGISTERS_END)
                || start < covered_to
            {
                return Err(LogError::BadSlot { offset: slot.offset, size: slot.size });
            }
            covered_to = end;
            parsed.push((slot.offset, Slot { size: slot.size, value: value_at(values, slot.value)? }));
        }
        frames.push_back(Frame::from_slots(parsed));
    }
    state.frames = frames;
    state.packet = PacketFacts {
        min_len: log.packet.min_len,
        ranges: log.packet.ranges.iter().map(|r| (r.id, r.range)).collect(),
        moved: log.packet.moved,
        meta_len: log.packet.meta_len,
    };
    let [rcu_min, rcu_max] = log.resources.rcu;
    if rcu_min > rcu_max || rcu_max > crate::references::MAX_RCU_DEPTH {
        return Err(LogError::BadRcuDepth { min: rcu_min, max: rcu_max });
    }
    let mut iterators = imbl::OrdMap::new();
    for i in &log.resources.iterators {
        let kind = match i.kind.as_deref() {
            None => None,
            Some(name) => Some(
                [IterKind::Num, IterKind::Bits]
                    .into_iter()
                    .find(|k| k.name() == name)
                    .ok_or_else(|| LogError::BadRegion(format!("iterator kind {name}")))?,
            ),
        };
        iterators.insert((i.frame, i.offset), IterState { kind, surely: i.surely, drained: i.drained });
    }
    let held: imbl::OrdSet<u32> = log.resources.held.iter().copied().collect();
    let surely: imbl::OrdSet<u32> = log.resources.surely.iter().copied().collect();
    if !surely.is_subset(&held) {
        return Err(LogError::BadRegion("a surely held reference is not held".into()));
    }
    let [spin_min, spin_max] = log.resources.spin_lock;
    if spin_min > spin_max || spin_max > 1 {
        return Err(LogError::BadRegion(format!("spin lock count [{spin_min}, {spin_max}]")));
    }
    state.resources = Resources { held, surely, iterators, rcu_min, rcu_max, spin_min, spin_max };
    let mut classes = Vec::new();
    for class in &log.ties {
        let mut places = std::collections::BTreeSet::new();
        for place in class {
            places.insert(place_of(place)?);
        }
        classes.push(places);
    }
    state.ties = Ties::from_classes(classes);
    let mut links = Vec::new();
    for link in &log.links {
        let offset = link.offset.parse().map_err(|_| LogError::BadLink(format!("offset `{}`", link.offset)))?;
        links.push(crate::links::Link { place: place_of(&link.place)?, base: place_of(&link.base)?, offset });
    }
    // Canonical again: the log's facts are all the state claims, and the checker checks them.
    state.links = crate::links::Links::from_facts(links);
    let mut constraints = Vec::new();
    for c in &log.zone {
        let var = |name: &str| Var::named(name).ok_or_else(|| LogError::BadZone(format!("variable `{name}`")));
        let bound: i128 = c.bound.parse().map_err(|_| LogError::BadZone(format!("bound `{}`", c.bound)))?;
        if bound.abs() > crate::zone::LIMIT {
            return Err(LogError::BadZone(format!("bound {bound} out of range")));
        }
        constraints.push((var(&c.x)?, var(&c.y)?, bound));
    }
    // Closed again: what the log states is all the state claims, closure only derives.
    state.zone = Zone::of(constraints).ok_or_else(|| LogError::BadZone("the constraints contradict".into()))?;
    state.drop_stale_ties();
    Ok(state)
}

/// The runs of `globals`.
fn global_runs(globals: &GlobalSummary) -> Vec<GlobalRunLog> {
    let mut runs: Vec<(MapId, u32, u32, &Value)> = Vec::new();
    for (&(map, offset), value) in globals.slots() {
        match runs.last_mut() {
            Some((m, start, slots, v)) if *m == map && *start + 8 * *slots == offset && *v == value => *slots += 1,
            _ => runs.push((map, offset, 1, value)),
        }
    }
    runs.into_iter()
        .map(|(map, offset, slots, value)| GlobalRunLog { map: map.0, offset, slots, value: value_log(value) })
        .collect()
}

/// Slots a summary may have beyond its data sections' own (stores the analysis could not
/// place inside a section reach a few more): a bound on what a log makes the checker build.
const MAX_SLOTS_BEYOND_SECTIONS: u64 = 1 << 20;

/// The global summary `runs` describe, 8-byte aligned; `section_slots` is how many slots the
/// program's data sections have, and the runs may add at most [`MAX_SLOTS_BEYOND_SECTIONS`].
pub fn globals_of(runs: &[GlobalRunLog], domain: DomainKind, section_slots: u64) -> Result<GlobalSummary, LogError> {
    let mut parsed = Vec::new();
    let mut total = 0u64;
    for run in runs {
        let map = MapId(run.map);
        let end = u64::from(run.offset) + 8 * u64::from(run.slots);
        total += u64::from(run.slots);
        let bounded = end <= u64::from(u32::MAX) + 1 && total <= section_slots + MAX_SLOTS_BEYOND_SECTIONS;
        if run.slots == 0 || run.offset % 8 != 0 || !bounded {
            return Err(LogError::BadGlobalRun { map: run.map, offset: run.offset, slots: run.slots });
        }
        let value = value_of(&run.value, domain)?;
        parsed.extend((0..run.slots).map(|i| ((map, run.offset + 8 * i), value.clone())));
    }
    Ok(GlobalSummary::from_slots(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_sets_have_one_spelling_and_at_most_eight_members() {
        let set = MapSet::of([MapId(3), MapId(1)]).expect("two maps");
        for region in [Region::MapValue(set), Region::MapHandle(set), Region::MapValue(MapSet::one(MapId(7)))] {
            assert_eq!(region_of(&region_name(region)), Ok(region));
        }
        let iterator_regions = [
            Region::BtfStruct(BtfStruct::IterMeta),
            Region::AttachedBuffer { buffer: AttachedBuffer::MapKey, writable: false },
            Region::AttachedBuffer { buffer: AttachedBuffer::MapValue, writable: true },
        ];
        for region in iterator_regions {
            assert_eq!(region_of(&region_name(region)), Ok(region));
        }
        for bad in ["btf:task_struct", "iter_key", "iter_value:xx", "iter_key:ro:1"] {
            assert!(region_of(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(region_name(Region::MapValue(set)), "map_value:1,3");
        for bad in ["map_value:3,1", "map_value:1,1", "map:", "map:1,", "map_value:0,1,2,3,4,5,6,7,8", "map:1:2"] {
            assert!(region_of(bad).is_err(), "{bad} accepted");
        }
    }
}
