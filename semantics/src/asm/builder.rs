//! Label resolution shared by both assembly syntaxes.

use std::collections::{BTreeMap, HashMap};

use super::{AsmError, AsmErrorKind};
use crate::isa::{CallTarget, Insn, LddwKind, Reg};
use crate::program::{JumpTable, JumpTableId, Program, ProgramParts};

#[derive(Debug)]
struct Pending {
    line: usize,
    insn: Insn,
    /// The label a pc-relative instruction goes to, resolved when the program is finished.
    target: Option<String>,
}

#[derive(Debug)]
struct PendingTable {
    line: usize,
    name: String,
    entries: Vec<String>,
}

/// Collects instructions, labels and tables in source order, then resolves labels into
/// offsets and builds a [`Program`].
#[derive(Debug, Default)]
pub(crate) struct ProgramBuilder {
    insns: Vec<Pending>,
    next_slot: usize,
    labels: HashMap<String, usize>,
    tables: Vec<PendingTable>,
    table_loads: Vec<(usize, usize, String)>,
}

impl ProgramBuilder {
    pub(crate) fn new() -> ProgramBuilder {
        ProgramBuilder::default()
    }

    /// Defines `name` at the next instruction.
    pub(crate) fn label(&mut self, line: usize, name: &str) -> Result<(), AsmError> {
        if self.labels.insert(name.to_owned(), self.next_slot).is_some() {
            return Err(AsmError::new(line, AsmErrorKind::DuplicateLabel(name.to_owned())));
        }
        Ok(())
    }

    /// Appends an instruction with nothing to resolve.
    pub(crate) fn push(&mut self, line: usize, insn: Insn) {
        self.push_pending(line, insn, None);
    }

    /// Appends a jump, local call or code-address `lddw` whose offset is that of `label`.
    /// The offset already in `insn` is replaced.
    pub(crate) fn push_to(&mut self, line: usize, insn: Insn, label: String) {
        self.push_pending(line, insn, Some(label));
    }

    /// Appends a `lddw` of the address of jump table `table`.
    pub(crate) fn push_table_load(&mut self, line: usize, dst: Reg, table: &str) {
        self.table_loads.push((line, self.next_slot, table.to_owned()));
        self.push(line, Insn::Lddw { dst, kind: LddwKind::Imm64, imm: 0, next_imm: 0 });
    }

    /// Declares a jump table whose entries are `entries` (labels).
    pub(crate) fn jump_table(&mut self, line: usize, name: &str, entries: Vec<String>) {
        self.tables.push(PendingTable { line, name: name.to_owned(), entries });
    }

    /// Whether `name` is a declared jump table (so that a load of it is a table load).
    pub(crate) fn is_table(&self, name: &str) -> bool {
        self.tables.iter().any(|t| t.name == name)
    }

    fn push_pending(&mut self, line: usize, insn: Insn, target: Option<String>) {
        self.next_slot += insn.slots();
        self.insns.push(Pending { line, insn, target });
    }

    /// Resolves every label and builds the program.
    pub(crate) fn finish(self) -> Result<Program, AsmError> {
        let lookup = |line: usize, name: &str| -> Result<usize, AsmError> {
            self.labels.get(name).copied().ok_or_else(|| AsmError::new(line, AsmErrorKind::UndefinedLabel(name.into())))
        };
        let mut insns = Vec::with_capacity(self.insns.len());
        let mut slot = 0usize;
        for pending in &self.insns {
            let mut insn = pending.insn;
            if let Some(label) = &pending.target {
                let relative = lookup(pending.line, label)? as i64 - (slot as i64 + 1);
                set_relative(&mut insn, relative)
                    .ok_or_else(|| AsmError::new(pending.line, AsmErrorKind::OffsetOutOfRange(relative.to_string())))?;
            }
            slot += insn.slots();
            insns.push(insn);
        }

        let mut parts = ProgramParts::default();
        let mut table_ids = HashMap::new();
        for table in &self.tables {
            if table_ids.insert(table.name.clone(), JumpTableId(parts.jump_tables.len() as u32)).is_some()
                || self.labels.contains_key(&table.name)
            {
                return Err(AsmError::new(table.line, AsmErrorKind::DuplicateLabel(table.name.clone())));
            }
            let targets = table.entries.iter().map(|entry| lookup(table.line, entry)).collect::<Result<_, _>>()?;
            parts.jump_tables.push(JumpTable { name: table.name.clone(), targets });
        }
        let mut table_loads = BTreeMap::new();
        for (line, pc, name) in &self.table_loads {
            let id =
                table_ids.get(name).ok_or_else(|| AsmError::new(*line, AsmErrorKind::UndefinedLabel(name.clone())))?;
            table_loads.insert(*pc, *id);
        }
        parts.table_loads = table_loads;
        // Several labels may name one slot; keep the alphabetically first so output is stable.
        for (name, &slot) in &self.labels {
            let kept = parts.labels.entry(slot).or_insert_with(|| name.clone());
            if name < kept {
                *kept = name.clone();
            }
        }
        Program::new(insns, parts).map_err(|e| AsmError::new(0, e.into()))
    }
}

/// Stores a relative offset into the field this instruction keeps it in, if it fits.
fn set_relative(insn: &mut Insn, relative: i64) -> Option<()> {
    match insn {
        Insn::Ja { off } | Insn::Jump { off, .. } | Insn::MayGoto { off } => *off = i16::try_from(relative).ok()?,
        Insn::Ja32 { imm } | Insn::Call(CallTarget::Local(imm)) | Insn::Lddw { kind: LddwKind::CodeAddr, imm, .. } => {
            *imm = i32::try_from(relative).ok()?
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_labels_across_lddw() {
        let mut b = ProgramBuilder::new();
        b.push_to(1, Insn::Ja { off: 0 }, "end".into());
        b.push(2, Insn::Lddw { dst: Reg::R0, kind: LddwKind::Imm64, imm: 5, next_imm: 0 });
        b.label(3, "end").expect("first definition");
        b.push(4, Insn::Exit);
        let program = b.finish().expect("valid");
        assert_eq!(program.insn_at(0), Some(&Insn::Ja { off: 2 }));
        assert_eq!(program.labels().get(&3).map(String::as_str), Some("end"));
    }

    #[test]
    fn reports_undefined_and_duplicate_labels_with_lines() {
        let mut b = ProgramBuilder::new();
        b.push_to(7, Insn::Ja { off: 0 }, "nowhere".into());
        let err = b.finish().unwrap_err();
        assert_eq!(err, AsmError::new(7, AsmErrorKind::UndefinedLabel("nowhere".into())));

        let mut b = ProgramBuilder::new();
        b.label(1, "a").expect("first definition");
        assert_eq!(b.label(2, "a").unwrap_err(), AsmError::new(2, AsmErrorKind::DuplicateLabel("a".into())));
    }

    #[test]
    fn jump_tables_and_their_loads() {
        let mut b = ProgramBuilder::new();
        b.jump_table(1, "JT", vec!["x".into(), "y".into()]);
        b.push_table_load(2, Reg::R1, "JT");
        b.push(3, Insn::Gotox { reg: Reg::R1 });
        b.label(4, "x").expect("new");
        b.push(5, Insn::Exit);
        b.label(6, "y").expect("new");
        b.push(7, Insn::Exit);
        let program = b.finish().expect("valid");
        assert_eq!(program.jump_tables()[0].targets, vec![3, 4]);
        assert_eq!(program.table_loads().get(&0), Some(&JumpTableId(0)));
    }
}
