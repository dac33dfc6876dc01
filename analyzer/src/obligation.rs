//! Proof obligations: every check the analyzer makes is a record with a pc, a kind and a
//! status, kept apart from the instructions that give rise to it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObligationKind {
    /// A packet access lies between `data` and `data_end`.
    PacketBounds,
    /// A map-value or global-data access lies inside the value (and writes only writable data).
    MapBounds,
    /// A stack access lies inside a live frame.
    StackBounds,
    /// A context access is a permitted access of one field.
    CtxAccess,
    /// Any other memory access (ring-buffer records, jump tables) lies inside its object.
    MemoryBounds,
    /// The accessed pointer is not NULL.
    NullDeref,
    /// The accessed register holds a pointer at all.
    Dereference,
    /// A read register is initialised.
    UninitRegister,
    /// Read stack bytes are initialised.
    UninitStack,
    /// A helper or kfunc argument has its prototype's kind.
    HelperArgument,
    /// Arithmetic on a pointer is one the rules allow (and `r10` is not written).
    PointerArithmetic,
    /// The program's (or a callback's) return value lies in the allowed range.
    ReturnRange,
    /// Every loop terminates.
    Termination,
    /// A `callx` goes only to subprogram entries (or, in the helper-id model, to helpers).
    CallxTarget,
    /// A `gotox` goes only to entries of the jump table its register was loaded from, inside
    /// the same subprogram, and the table read stays inside the table.
    GotoxTarget,
    /// A call is to a known helper, kfunc or subprogram, within eight frames, not recursive.
    Call,
    /// The frames of every call chain fit in 512 bytes together (each rounded up to 32).
    StackDepth,
    /// Every acquired reference is released and every RCU read section closed before the
    /// program exits or tail-calls, and no section is closed that is not open.
    Resources,
    /// What the loader's privilege allows: an unprivileged loader may not leak pointers
    /// (into memory outside the stack, the return value, comparisons, helper arguments), load
    /// other program types than socket filters, or use `CAP_BPF` features (subprogram calls,
    /// kfuncs, loops, the gated helpers).
    Privilege,
    /// What the kernel's verifier refuses though the ISA defines it and memory safety does
    /// not need it: a constant divisor of 0, a constant shift count outside the width.
    Policy,
}

impl ObligationKind {
    /// Every kind.
    pub const ALL: [ObligationKind; 20] = [
        ObligationKind::PacketBounds,
        ObligationKind::MapBounds,
        ObligationKind::StackBounds,
        ObligationKind::CtxAccess,
        ObligationKind::MemoryBounds,
        ObligationKind::NullDeref,
        ObligationKind::Dereference,
        ObligationKind::UninitRegister,
        ObligationKind::UninitStack,
        ObligationKind::HelperArgument,
        ObligationKind::PointerArithmetic,
        ObligationKind::ReturnRange,
        ObligationKind::Termination,
        ObligationKind::CallxTarget,
        ObligationKind::GotoxTarget,
        ObligationKind::Call,
        ObligationKind::StackDepth,
        ObligationKind::Resources,
        ObligationKind::Privilege,
        ObligationKind::Policy,
    ];

    /// The kebab-case name used in output, manifests and proof logs.
    pub fn name(self) -> &'static str {
        match self {
            ObligationKind::PacketBounds => "packet-bounds",
            ObligationKind::MapBounds => "map-bounds",
            ObligationKind::StackBounds => "stack-bounds",
            ObligationKind::CtxAccess => "ctx-access",
            ObligationKind::MemoryBounds => "memory-bounds",
            ObligationKind::NullDeref => "null-deref",
            ObligationKind::Dereference => "dereference",
            ObligationKind::UninitRegister => "uninit-register",
            ObligationKind::UninitStack => "uninit-stack",
            ObligationKind::HelperArgument => "helper-argument",
            ObligationKind::PointerArithmetic => "pointer-arithmetic",
            ObligationKind::ReturnRange => "return-range",
            ObligationKind::Termination => "termination",
            ObligationKind::CallxTarget => "callx-target",
            ObligationKind::GotoxTarget => "gotox-target",
            ObligationKind::Call => "call",
            ObligationKind::StackDepth => "stack-depth",
            ObligationKind::Resources => "resources",
            ObligationKind::Privilege => "privilege",
            ObligationKind::Policy => "policy",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<ObligationKind> {
        ObligationKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for ObligationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// It holds in every state the invariant allows.
    Proven,
    /// It fails in every state the invariant allows (so in every execution reaching it).
    Refuted,
    /// Neither: it may fail, or the domain is too coarse to tell.
    Unknown,
}

impl Status {
    /// `proven` if `ok`, else `refuted` if `certainly_bad`, else `unknown`.
    pub fn decide(ok: bool, certainly_bad: bool) -> Status {
        if ok {
            Status::Proven
        } else if certainly_bad {
            Status::Refuted
        } else {
            Status::Unknown
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Proven => "proven",
            Status::Refuted => "refuted",
            Status::Unknown => "unknown",
        })
    }
}

/// One check as the transfer functions produce it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Check {
    /// What is checked.
    pub kind: ObligationKind,
    /// How it came out.
    pub status: Status,
    /// What was needed and what the state held (for people).
    pub detail: String,
}

impl Check {
    /// A check.
    pub fn new(kind: ObligationKind, status: Status, detail: impl Into<String>) -> Check {
        Check { kind, status, detail: detail.into() }
    }
}
