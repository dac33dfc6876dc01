//! Lays out generated instructions with symbolic labels and resolves them into a
//! [`Program`].

use std::collections::BTreeMap;

use bpfprove_semantics::isa::{CallTarget, Insn, LddwKind};
use bpfprove_semantics::program::{JumpTable, JumpTableId, Program, ProgramError, ProgramParts};

/// A position in the generated code, bound once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LabelId(usize);

/// Instructions being laid out.
#[derive(Debug, Default)]
pub(super) struct Builder {
    insns: Vec<Insn>,
    /// Slot of the next instruction.
    slot: usize,
    label_slots: Vec<Option<usize>>,
    /// `(index into insns, slot of the instruction, target)` for every pc-relative operand.
    fixups: Vec<(usize, usize, LabelId)>,
    tables: Vec<Vec<LabelId>>,
    table_loads: BTreeMap<usize, JumpTableId>,
}

impl Builder {
    /// A fresh label.
    pub fn label(&mut self) -> LabelId {
        self.label_slots.push(None);
        LabelId(self.label_slots.len() - 1)
    }

    /// Binds `label` to the next instruction's slot.
    pub fn bind(&mut self, label: LabelId) {
        self.label_slots[label.0] = Some(self.slot);
    }

    /// Instructions so far.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Appends an instruction; returns its slot.
    pub fn push(&mut self, insn: Insn) -> usize {
        let pc = self.slot;
        self.insns.push(insn);
        self.slot += insn.slots();
        pc
    }

    /// Appends a jump, local call or code-address `lddw` whose target is `label`.
    pub fn push_to(&mut self, insn: Insn, label: LabelId) -> usize {
        let index = self.insns.len();
        let pc = self.push(insn);
        self.fixups.push((index, pc, label));
        pc
    }

    /// Declares a jump table of `targets`.
    pub fn table(&mut self, targets: Vec<LabelId>) -> JumpTableId {
        self.tables.push(targets);
        JumpTableId(self.tables.len() as u32 - 1)
    }

    /// Appends a `lddw` of `table`'s address into `insn`'s destination.
    pub fn push_table_load(&mut self, insn: Insn, table: JumpTableId) -> usize {
        let pc = self.push(insn);
        self.table_loads.insert(pc, table);
        pc
    }

    /// The slot `label` was bound to.
    pub fn slot_of(&self, label: LabelId) -> Option<usize> {
        self.label_slots[label.0]
    }

    /// Resolves every label and builds the program; `function_entries` are declared as
    /// functions even where no call names them.
    pub fn finish(mut self, function_entries: &[LabelId]) -> Result<Program, ProgramError> {
        let slot = |label: LabelId| self.label_slots[label.0].unwrap_or(0);
        for &(index, pc, label) in &self.fixups {
            let relative = slot(label) as i64 - (pc as i64 + 1);
            match &mut self.insns[index] {
                Insn::Ja { off } | Insn::Jump { off, .. } => *off = relative as i16,
                Insn::Ja32 { imm } | Insn::Call(CallTarget::Local(imm)) => *imm = relative as i32,
                Insn::Lddw { kind: LddwKind::CodeAddr, imm, .. } => *imm = relative as i32,
                _ => {}
            }
        }
        let jump_tables = self
            .tables
            .iter()
            .enumerate()
            .map(|(i, targets)| JumpTable {
                name: format!("JT{i}"),
                targets: targets.iter().map(|&l| slot(l)).collect(),
            })
            .collect();
        let parts = ProgramParts {
            labels: BTreeMap::new(),
            function_entries: function_entries.iter().map(|&l| slot(l)).collect(),
            jump_tables,
            table_loads: self.table_loads,
            ..ProgramParts::default()
        };
        Program::new(self.insns, parts)
    }
}
