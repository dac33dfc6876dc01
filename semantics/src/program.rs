//! The program model: decoded instructions plus what the bytes alone cannot say (function
//! names, jump tables and the `lddw`s that load their addresses, label names).
//!
//! A [`Program`] is structurally valid by construction: every pc-relative target lands on
//! an instruction boundary inside the program, never on the second slot of an `lddw`, and
//! every jump-table entry does too. Later layers rely on this and do not re-check it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use thiserror::Error;

use crate::isa::{self, CallTarget, Decoded, Insn, LddwKind, RegSet};

/// Base of the code address space. The address of the instruction at slot `pc` is
/// `CODE_BASE + 8 * pc`; function pointers and jump-table entries hold such addresses, and
/// the interpreter and the JIT agree on this encoding.
pub const CODE_BASE: u64 = 0x0000_c0de_0000_0000;

/// The code address of slot `pc`.
pub const fn code_address(pc: usize) -> u64 {
    CODE_BASE + 8 * pc as u64
}

/// The slot a code address names, if it is one (in range of `slots` and 8-byte aligned).
pub fn pc_of_code_address(address: u64, slots: usize) -> Option<usize> {
    let offset = address.checked_sub(CODE_BASE)?;
    if offset % 8 != 0 {
        return None;
    }
    let pc = usize::try_from(offset / 8).ok()?;
    (pc < slots).then_some(pc)
}

/// Index of a function in [`Program::functions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionId(pub u32);

/// Index of a jump table in [`Program::jump_tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JumpTableId(pub u32);

/// A function (subprogram): a contiguous run of slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Its name (a symbol or label, or `sub_<pc>` when none is known).
    pub name: String,
    /// First slot.
    pub entry: usize,
    /// One past the last slot.
    pub end: usize,
    /// Whether the kernel verifies it on its own: the program's entry function or a global
    /// (non-`static`) subprogram. Its exit must define `r0`. A static subprogram's exit
    /// instead hands `r0`, defined or not, to its caller (see [`Program::exit_reads_r0`]).
    pub verified_alone: bool,
}

/// A table of code addresses that a `gotox` may jump through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JumpTable {
    /// Its name (e.g. `BPF.JT.0.0`).
    pub name: String,
    /// Target slot of each 8-byte entry.
    pub targets: Vec<usize>,
}

/// What a program is built from besides its instructions.
#[derive(Clone, Debug, Default)]
pub struct ProgramParts {
    /// Names of slots (labels and function symbols).
    pub labels: BTreeMap<usize, String>,
    /// Slots known to start functions, beyond those that calls and code-address loads name.
    pub function_entries: Vec<usize>,
    /// Entries of the global (non-`static`) subprograms, which the kernel verifies on their
    /// own ([`Function::verified_alone`]). The entry function at slot 0 always is.
    pub global_functions: BTreeSet<usize>,
    /// Jump tables.
    pub jump_tables: Vec<JumpTable>,
    /// `lddw` slots (of kind [`LddwKind::Imm64`]) that load the address of a jump table.
    pub table_loads: BTreeMap<usize, JumpTableId>,
}

/// Why instructions do not form a program.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProgramError {
    /// The bytes did not decode.
    #[error(transparent)]
    Decode(#[from] isa::DecodeError),
    /// There are no instructions.
    #[error("program has no instructions")]
    Empty,
    /// A jump, call or code-address load names a slot outside the program.
    #[error("pc {pc}: target {target} is outside the program (0..{slots})")]
    TargetOutOfRange {
        /// Slot of the instruction.
        pc: usize,
        /// Target slot.
        target: i64,
        /// Number of slots.
        slots: usize,
    },
    /// A target is the second slot of an `lddw`.
    #[error("pc {pc}: target {target} is the second half of an lddw")]
    TargetInsideLddw {
        /// Slot of the instruction (or of the table-loading `lddw`).
        pc: usize,
        /// Target slot.
        target: usize,
    },
    /// A jump-table entry is not a valid target.
    #[error("jump table {table} entry {entry}: target {target} is not an instruction boundary")]
    BadJumpTableEntry {
        /// Table name.
        table: String,
        /// Entry index.
        entry: usize,
        /// Target slot.
        target: usize,
    },
    /// A table load is not at a plain 64-bit `lddw`, or names no table.
    #[error("pc {pc}: jump-table load must be a plain lddw naming a declared table")]
    BadTableLoad {
        /// Slot given for the load.
        pc: usize,
    },
}

/// A structurally valid program. See the module docs for the invariants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Decoded>,
    /// Slot → index into `insns`; `None` for the second slot of an `lddw`.
    slot_index: Vec<Option<u32>>,
    functions: Vec<Function>,
    jump_tables: Vec<JumpTable>,
    table_loads: BTreeMap<usize, JumpTableId>,
    labels: BTreeMap<usize, String>,
}

impl Program {
    /// Decodes `bytes` into a program with no extra parts.
    pub fn from_bytes(bytes: &[u8]) -> Result<Program, ProgramError> {
        Program::new(isa::decode(bytes)?.into_iter().map(|d| d.insn).collect(), ProgramParts::default())
    }

    /// Lays out `insns` from slot 0 and checks every target.
    pub fn new(insns: Vec<Insn>, parts: ProgramParts) -> Result<Program, ProgramError> {
        if insns.is_empty() {
            return Err(ProgramError::Empty);
        }
        let mut decoded = Vec::with_capacity(insns.len());
        let mut slot_index = Vec::with_capacity(insns.len());
        for insn in insns {
            let pc = slot_index.len();
            slot_index.push(Some(decoded.len() as u32));
            if insn.slots() == 2 {
                slot_index.push(None);
            }
            decoded.push(Decoded { pc, insn });
        }
        let slots = slot_index.len();
        let check_target = |pc: usize, target: i64| -> Result<usize, ProgramError> {
            let slot = usize::try_from(target).ok().filter(|&t| t < slots).ok_or(ProgramError::TargetOutOfRange {
                pc,
                target,
                slots,
            })?;
            if slot_index[slot].is_none() {
                return Err(ProgramError::TargetInsideLddw { pc, target: slot });
            }
            Ok(slot)
        };

        let mut entries = vec![0];
        for d in &decoded {
            if let Some(target) = d.insn.branch_target(d.pc) {
                let slot = check_target(d.pc, target)?;
                if matches!(d.insn, Insn::Call(CallTarget::Local(_)) | Insn::Lddw { kind: LddwKind::CodeAddr, .. }) {
                    entries.push(slot);
                }
            }
        }
        for &entry in &parts.function_entries {
            entries.push(check_target(entry, entry as i64)?);
        }
        for table in &parts.jump_tables {
            for (entry, &target) in table.targets.iter().enumerate() {
                if target >= slots || slot_index[target].is_none() {
                    return Err(ProgramError::BadJumpTableEntry { table: table.name.clone(), entry, target });
                }
            }
        }
        for (&pc, &table) in &parts.table_loads {
            let is_plain_lddw = pc < slots
                && slot_index[pc]
                    .is_some_and(|i| matches!(decoded[i as usize].insn, Insn::Lddw { kind: LddwKind::Imm64, .. }));
            if !is_plain_lddw || table.0 as usize >= parts.jump_tables.len() {
                return Err(ProgramError::BadTableLoad { pc });
            }
        }
        entries.sort_unstable();
        entries.dedup();
        let functions = entries
            .iter()
            .enumerate()
            .map(|(i, &entry)| Function {
                name: parts.labels.get(&entry).cloned().unwrap_or_else(|| format!("sub_{entry}")),
                entry,
                end: entries.get(i + 1).copied().unwrap_or(slots),
                verified_alone: entry == 0 || parts.global_functions.contains(&entry),
            })
            .collect();
        Ok(Program {
            insns: decoded,
            slot_index,
            functions,
            jump_tables: parts.jump_tables,
            table_loads: parts.table_loads,
            labels: parts.labels,
        })
    }

    /// The instructions in slot order, each with its slot.
    pub fn insns(&self) -> &[Decoded] {
        &self.insns
    }

    /// Number of 8-byte slots.
    pub fn slots(&self) -> usize {
        self.slot_index.len()
    }

    /// The instruction starting at slot `pc`, if one does.
    pub fn insn_at(&self, pc: usize) -> Option<&Insn> {
        let index = (*self.slot_index.get(pc)?)?;
        Some(&self.insns[index as usize].insn)
    }

    /// Whether an instruction starts at slot `pc`.
    pub fn is_boundary(&self, pc: usize) -> bool {
        self.slot_index.get(pc).is_some_and(Option::is_some)
    }

    /// Functions in slot order; the first starts at slot 0.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// The function starting at slot `pc`, if any.
    pub fn function_at_entry(&self, pc: usize) -> Option<FunctionId> {
        self.functions.binary_search_by_key(&pc, |f| f.entry).ok().map(|i| FunctionId(i as u32))
    }

    /// The function containing slot `pc`.
    pub fn function_containing(&self, pc: usize) -> Option<FunctionId> {
        let i = self.functions.partition_point(|f| f.entry <= pc);
        (i > 0 && pc < self.slots()).then(|| FunctionId(i as u32 - 1))
    }

    /// The function with the given id.
    pub fn function(&self, id: FunctionId) -> &Function {
        &self.functions[id.0 as usize]
    }

    /// Whether the `exit` at `pc` reads `r0` wherever it runs. The kernel reads it at the
    /// exit of a function it verifies alone ([`Function::verified_alone`]); a static
    /// subprogram's exit reads it only when it ends a callback (the helper that called the
    /// callback reads the result), and otherwise hands it, defined or not, to its caller.
    pub fn exit_reads_r0(&self, pc: usize) -> bool {
        self.function_containing(pc).is_none_or(|id| self.function(id).verified_alone)
    }

    /// The registers `insn`, at slot `pc`, reads wherever it runs: its
    /// [`Insn::register_effects`], less `r0` at a static subprogram's exit
    /// ([`Program::exit_reads_r0`]).
    pub fn reads_everywhere(&self, pc: usize, insn: &Insn) -> RegSet {
        let reads = insn.register_effects().reads;
        if *insn == Insn::Exit && !self.exit_reads_r0(pc) { reads.minus(RegSet::of(isa::Reg::R0)) } else { reads }
    }

    /// Jump tables.
    pub fn jump_tables(&self) -> &[JumpTable] {
        &self.jump_tables
    }

    /// `lddw` slots that load a jump table's address.
    pub fn table_loads(&self) -> &BTreeMap<usize, JumpTableId> {
        &self.table_loads
    }

    /// Names of slots.
    pub fn labels(&self) -> &BTreeMap<usize, String> {
        &self.labels
    }

    /// The program's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        isa::encode(&self.insns.iter().map(|d| d.insn).collect::<Vec<_>>())
    }
}

impl fmt::Display for FunctionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "function#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::{BinOp, Operand, Reg, Width};

    fn mov(dst: Reg, imm: i32) -> Insn {
        Insn::Alu { width: Width::W64, op: BinOp::Mov, dst, src: Operand::Imm(imm) }
    }

    #[test]
    fn finds_functions_from_calls() {
        let insns = vec![Insn::Call(CallTarget::Local(1)), Insn::Exit, mov(Reg::R0, 1), Insn::Exit];
        let p = Program::new(insns, ProgramParts::default()).expect("valid");
        assert_eq!(p.functions().len(), 2);
        assert_eq!(p.functions()[1], Function { name: "sub_2".into(), entry: 2, end: 4, verified_alone: false });
        assert_eq!(p.function_containing(3), Some(FunctionId(1)));
        assert_eq!(p.function_at_entry(2), Some(FunctionId(1)));
    }

    #[test]
    fn rejects_jumps_into_lddw_and_out_of_range() {
        let lddw = Insn::Lddw { dst: Reg::R0, kind: LddwKind::Imm64, imm: 1, next_imm: 0 };
        let err = Program::new(vec![Insn::Ja { off: 1 }, lddw, Insn::Exit], ProgramParts::default()).unwrap_err();
        assert_eq!(err, ProgramError::TargetInsideLddw { pc: 0, target: 2 });
        let err = Program::new(vec![Insn::Ja { off: 5 }, Insn::Exit], ProgramParts::default()).unwrap_err();
        assert_eq!(err, ProgramError::TargetOutOfRange { pc: 0, target: 6, slots: 2 });
        assert_eq!(Program::new(vec![], ProgramParts::default()).unwrap_err(), ProgramError::Empty);
    }

    #[test]
    fn code_addresses_round_trip() {
        assert_eq!(pc_of_code_address(code_address(7), 8), Some(7));
        assert_eq!(pc_of_code_address(code_address(8), 8), None);
        assert_eq!(pc_of_code_address(code_address(7) + 4, 8), None);
        assert_eq!(pc_of_code_address(3, 8), None);
    }
}
