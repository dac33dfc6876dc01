//! Program text: one instruction per line, labels, comments and `.jumptable` directives,
//! with targets written as names.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::lex::is_plain_name;
use super::parse::{Statement, statement};
use super::print::{operand, print_insn, reg};
use super::spelling::cond_spelling;
use crate::asm::{AsmError, AsmErrorKind, ProgramBuilder};
use crate::isa::{Insn, LddwKind};
use crate::program::Program;

/// Names of labels and tables for printing a program: the program's own where they can be
/// written, generated (`L<pc>`, `JT<n>`) where they cannot or where a target has none.
struct Names {
    labels: BTreeMap<usize, String>,
    tables: Vec<String>,
}

impl Names {
    fn new(program: &Program) -> Names {
        let mut used = BTreeSet::new();
        let table_names: Vec<Option<String>> = program
            .jump_tables()
            .iter()
            .map(|t| (is_plain_name(&t.name) && used.insert(t.name.clone())).then(|| t.name.clone()))
            .collect();
        let mut labels = BTreeMap::new();
        for (&pc, name) in program.labels() {
            let placeable = program.is_boundary(pc) || pc == program.slots();
            if placeable && is_plain_name(name) && used.insert(name.clone()) {
                labels.insert(pc, name.clone());
            }
        }
        let fresh = |base: String, used: &mut BTreeSet<String>| {
            let mut name = base;
            while used.contains(&name) {
                name.push('_');
            }
            used.insert(name.clone());
            name
        };
        let targets = program
            .insns()
            .iter()
            .filter(|d| symbolic_target(program, d.pc, &d.insn))
            .filter_map(|d| d.insn.branch_target(d.pc))
            .filter_map(|t| usize::try_from(t).ok())
            .chain(program.jump_tables().iter().flat_map(|t| t.targets.iter().copied()))
            .collect::<BTreeSet<usize>>();
        for pc in targets {
            labels.entry(pc).or_insert_with(|| fresh(format!("L{pc}"), &mut used));
        }
        let tables = table_names
            .iter()
            .enumerate()
            .map(|(i, name)| match name {
                Some(name) => name.clone(),
                None => fresh(format!("JT{i}"), &mut used),
            })
            .collect();
        Names { labels, tables }
    }
}

/// Whether the program printer writes this instruction's target as a name. A code-address
/// load with a non-zero second immediate stays a raw `ld_pseudo` so that nothing is lost.
fn symbolic_target(program: &Program, pc: usize, insn: &Insn) -> bool {
    match insn {
        Insn::Lddw { kind: LddwKind::CodeAddr, next_imm, .. } => *next_imm == 0,
        Insn::Lddw { .. } => program.table_loads().contains_key(&pc),
        _ => insn.branch_target(pc).is_some(),
    }
}

/// A program as text that [`super::parse()`] reads back to an equal program: jump tables as
/// `.jumptable` directives first, then instructions with a label line at every named slot
/// and at every target, and targets, table loads and code-address loads written by name.
///
/// Names the syntax cannot carry (not identifiers, registers, duplicates) are replaced by
/// generated ones, and a table load is written by the table's name alone, so the immediate
/// of its `lddw` (meaningless once the table's address is patched in) reads back as 0.
pub fn print(program: &Program) -> String {
    let names = Names::new(program);
    let mut out = String::new();
    for (table, name) in program.jump_tables().iter().zip(&names.tables) {
        let entries: Vec<&str> = table.targets.iter().map(|t| names.labels[t].as_str()).collect();
        let separator = if entries.is_empty() { "" } else { " " };
        let _ = writeln!(out, ".jumptable {name}{separator}{}", entries.join(", "));
    }
    for decoded in program.insns() {
        if let Some(label) = names.labels.get(&decoded.pc) {
            let _ = writeln!(out, "{label}:");
        }
        let target = || {
            let target = decoded.insn.branch_target(decoded.pc).expect("symbolic targets exist");
            names.labels[&usize::try_from(target).expect("validated target")].as_str()
        };
        let text = match decoded.insn {
            insn if !symbolic_target(program, decoded.pc, &insn) => print_insn(&insn),
            Insn::Lddw { dst, .. } => match program.table_loads().get(&decoded.pc) {
                Some(table) => format!("{dst} = {} ll", names.tables[table.0 as usize]),
                None => format!("{dst} = {} ll", target()),
            },
            Insn::Call(_) => format!("call {}", target()),
            Insn::Ja { .. } => format!("goto {}", target()),
            Insn::Ja32 { .. } => format!("gotol {}", target()),
            Insn::MayGoto { .. } => format!("may_goto {}", target()),
            Insn::Jump { width, cond, dst, src, .. } => {
                format!("if {} {} {} goto {}", reg(width, dst), cond_spelling(cond), operand(width, src), target())
            }
            insn => print_insn(&insn),
        };
        let _ = writeln!(out, "\t{text}");
    }
    if let Some(label) = names.labels.get(&program.slots()) {
        let _ = writeln!(out, "{label}:");
    }
    out
}

/// Strips a `;`, `#` or `//` comment.
fn strip_comment(line: &str) -> &str {
    let end = [";", "#", "//"].iter().filter_map(|marker| line.find(marker)).min().unwrap_or(line.len());
    &line[..end]
}

/// What one source line holds besides its optional label.
enum Line<'a> {
    Empty,
    JumpTable { name: String, entries: Vec<String> },
    Statement(&'a str),
}

/// Splits a leading `NAME:` off a line.
fn split_label(line: &str) -> Result<(Option<&str>, &str), AsmErrorKind> {
    let Some((head, rest)) = line.split_once(':') else { return Ok((None, line)) };
    let head = head.trim();
    if !is_plain_name(head) {
        return Err(AsmErrorKind::Syntax(format!("`{head}` cannot be a label")));
    }
    Ok((Some(head), rest))
}

fn classify(rest: &str) -> Result<Line<'_>, AsmErrorKind> {
    let trimmed = rest.trim();
    if trimmed.is_empty() {
        return Ok(Line::Empty);
    }
    let Some(directive) = trimmed.strip_prefix('.') else { return Ok(Line::Statement(trimmed)) };
    let (word, args) = directive.split_once(char::is_whitespace).unwrap_or((directive, ""));
    if word != "jumptable" {
        return Err(AsmErrorKind::UnknownDirective(format!(".{word}")));
    }
    let args = args.trim();
    let (name, entries) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    if !is_plain_name(name) {
        return Err(AsmErrorKind::Syntax(format!("`{name}` cannot name a jump table")));
    }
    let entries: Vec<String> =
        if entries.trim().is_empty() { Vec::new() } else { entries.split(',').map(|e| e.trim().to_owned()).collect() };
    if let Some(bad) = entries.iter().find(|e| !is_plain_name(e)) {
        return Err(AsmErrorKind::Syntax(format!("`{bad}` cannot be a jump-table entry")));
    }
    Ok(Line::JumpTable { name: name.to_owned(), entries })
}

/// Parses a whole program. Jump tables may be declared anywhere; they are registered first
/// so that a load may name a table declared below it.
pub(super) fn parse(text: &str) -> Result<Program, AsmError> {
    let mut builder = ProgramBuilder::new();
    let mut body = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let at = |kind| AsmError::new(line, kind);
        let (label, rest) = split_label(strip_comment(raw)).map_err(at)?;
        match classify(rest).map_err(at)? {
            Line::JumpTable { name, entries } => {
                builder.jump_table(line, &name, entries);
                body.push((line, label, None));
            }
            Line::Empty => body.push((line, label, None)),
            Line::Statement(text) => body.push((line, label, Some(statement(text).map_err(at)?))),
        }
    }
    for (line, label, statement) in body {
        if let Some(label) = label {
            builder.label(line, label)?;
        }
        match statement {
            None => {}
            Some(Statement::Insn(insn)) => builder.push(line, insn),
            Some(Statement::ToLabel(insn, label)) => builder.push_to(line, insn, label),
            Some(Statement::LoadName(dst, name)) if builder.is_table(&name) => {
                builder.push_table_load(line, dst, &name)
            }
            Some(Statement::LoadName(dst, name)) => {
                let insn = Insn::Lddw { dst, kind: LddwKind::CodeAddr, imm: 0, next_imm: 0 };
                builder.push_to(line, insn, name);
            }
        }
    }
    builder.finish()
}
