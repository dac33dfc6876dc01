//! A stable name for an obligation, shared by every domain: (pc, kind, operand).
//!
//! Domains see the same instructions but not the same states, so the analyzer may check an
//! instruction in several contexts and word its details differently per domain. The key
//! leaves both out: the operand comes from the instruction (the accessed memory operand,
//! the register read) or, where one instruction carries several checks of one kind, from
//! the argument the check names (`argument 2` of a helper call). Per key, a program's
//! status is the worst over its contexts: proven only if proven everywhere it is reached.

use std::collections::BTreeMap;
use std::fmt;

use bpfprove_analyzer::{Obligation, ObligationKind, Status};
use bpfprove_semantics::isa::Insn;
use bpfprove_semantics::program::Program;
use serde::Serialize;

/// Which check: the same in every domain's report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObligationKey {
    /// The instruction.
    pub pc: usize,
    /// What is checked.
    pub kind: ObligationKind,
    /// What at that instruction: `r1+4` (memory at r1 + 4), `r3` (a register), `arg2` (a
    /// helper's second argument), or `-` (the instruction as a whole).
    pub operand: String,
}

impl fmt::Display for ObligationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pc {} {} [{}]", self.pc, self.kind, self.operand)
    }
}

/// One key's outcome in one program: the worst status over the contexts, and the detail
/// of the context that gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyedStatus {
    /// Worst status.
    pub status: Status,
    /// The detail of an obligation with that status.
    pub detail: String,
}

/// The obligations of one report, by key.
pub type ObligationMap = BTreeMap<ObligationKey, KeyedStatus>;

/// The key of `obligation` in `program`.
pub fn key_of(obligation: &Obligation, program: &Program) -> ObligationKey {
    ObligationKey {
        pc: obligation.pc,
        kind: obligation.kind,
        operand: operand(obligation, program.insn_at(obligation.pc)),
    }
}

/// Every obligation of a report, keyed, with the worst status per key.
pub fn keyed(obligations: &[Obligation], program: &Program) -> ObligationMap {
    let mut out = ObligationMap::new();
    for obligation in obligations {
        let key = key_of(obligation, program);
        let entry = out
            .entry(key)
            .or_insert_with(|| KeyedStatus { status: obligation.status, detail: obligation.detail.clone() });
        if severity(obligation.status) > severity(entry.status) {
            *entry = KeyedStatus { status: obligation.status, detail: obligation.detail.clone() };
        }
    }
    out
}

/// Proven < unknown < refuted.
fn severity(status: Status) -> u8 {
    match status {
        Status::Proven => 0,
        Status::Unknown => 1,
        Status::Refuted => 2,
    }
}

fn operand(obligation: &Obligation, insn: Option<&Insn>) -> String {
    if let Some(argument) = argument_named(&obligation.detail) {
        return format!("arg{argument}");
    }
    match obligation.kind {
        ObligationKind::UninitRegister => leading_register(&obligation.detail).unwrap_or("-").to_owned(),
        ObligationKind::PacketBounds
        | ObligationKind::MapBounds
        | ObligationKind::StackBounds
        | ObligationKind::CtxAccess
        | ObligationKind::MemoryBounds
        | ObligationKind::NullDeref
        | ObligationKind::Dereference
        | ObligationKind::UninitStack => insn.and_then(memory_operand).unwrap_or_else(|| "-".to_owned()),
        ObligationKind::PointerArithmetic => match insn {
            Some(Insn::Alu { dst, .. } | Insn::Neg { dst, .. }) => dst.to_string(),
            _ => "-".to_owned(),
        },
        ObligationKind::ReturnRange => "r0".to_owned(),
        // `callx`/`gotox` name their register; the table loads before them (checked as
        // targets too) their memory operand.
        _ => match insn {
            Some(Insn::Callx { reg } | Insn::Gotox { reg }) => reg.to_string(),
            Some(other) => memory_operand(other).unwrap_or_else(|| "-".to_owned()),
            None => "-".to_owned(),
        },
    }
}

/// `base+off` of a memory instruction.
fn memory_operand(insn: &Insn) -> Option<String> {
    let (base, off) = match *insn {
        Insn::Load { src, off, .. } => (src, off),
        Insn::Store { dst, off, .. } | Insn::Atomic { dst, off, .. } => (dst, off),
        _ => return None,
    };
    Some(format!("{base}{off:+}"))
}

/// The `N` of "argument N" in a helper-argument detail.
fn argument_named(detail: &str) -> Option<u32> {
    let rest = detail.split(" argument ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The `rN` a detail starts with.
fn leading_register(detail: &str) -> Option<&str> {
    let word = detail.split_whitespace().next()?;
    let is_register = word.len() >= 2 && word.starts_with('r') && word[1..].chars().all(|c| c.is_ascii_digit());
    is_register.then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_arguments_are_told_apart_by_number() {
        assert_eq!(argument_named("bpf_map_lookup_elem argument 2 (r2): map-bounds: x"), Some(2));
        assert_eq!(argument_named("r1 may be uninitialised"), None);
    }

    #[test]
    fn uninitialised_reads_name_their_register() {
        assert_eq!(leading_register("r7 may be uninitialised"), Some("r7"));
        assert_eq!(leading_register("recursive call"), None);
    }
}
