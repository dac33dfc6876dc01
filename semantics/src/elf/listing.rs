//! A human-readable listing of a loaded object, for `bpfprove disasm FILE.o`: maps, global
//! data, then every code section's functions in `llvm-objdump -d` syntax with relocations
//! resolved (map, data, function, kfunc and jump-table names) and source lines, then per
//! program its functions, the kfuncs it calls (with their program-local ids), jump tables
//! (entries as targets, and the `gotox` that uses each), call tables (entries as functions)
//! and `callx` sites.

use std::fmt::Write as _;

use super::{CodeSection, IndirectKind, LoadedProgram, MapOrigin, Object, RelocationTarget, SourceLine};
use crate::interp::kernel_helpers::helper_name;
use crate::interp::maps::map_type_name;
use crate::isa::{CallTarget, Insn};
use crate::program::FunctionId;

/// Why a listing could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no code section `{section}` (sections: {available})")]
pub struct ListingError {
    /// The section asked for.
    pub section: String,
    /// The object's code sections, comma-separated.
    pub available: String,
}

/// The listing of `object`, or of its code section `section` (and the programs in it) only.
pub fn listing(object: &Object, section: Option<&str>) -> Result<String, ListingError> {
    if let Some(name) = section
        && !object.code_sections.iter().any(|s| s.name == name)
    {
        let names: Vec<&str> = object.code_sections.iter().map(|s| s.name.as_str()).collect();
        return Err(ListingError { section: name.to_owned(), available: names.join(", ") });
    }
    let wanted = |name: &str| section.is_none_or(|s| s == name);
    let mut out = String::new();
    if let Some(license) = &object.license {
        let _ = writeln!(out, "license: {license}");
    }
    write_maps(&mut out, object);
    write_call_tables(&mut out, object);
    for (index, code) in object.code_sections.iter().enumerate().filter(|(_, s)| wanted(&s.name)) {
        write_section(&mut out, object, index, code);
    }
    for program in object.programs.iter().filter(|p| wanted(&p.section)) {
        write_program(&mut out, object, program);
    }
    Ok(out)
}

fn write_maps(out: &mut String, object: &Object) {
    let (data, maps): (Vec<_>, Vec<_>) =
        object.maps.iter().enumerate().partition(|(_, m)| matches!(m.origin, MapOrigin::Data { .. }));
    if !maps.is_empty() {
        let _ = writeln!(out, "\nmaps:");
        for (id, map) in maps {
            let kind = map_type_name(map.map_type).unwrap_or("unknown");
            let _ = writeln!(
                out,
                "  map#{id} {}: {kind} (type {}), key {} bytes, value {} bytes, max_entries {}, flags {:#x} [{}]",
                map.name, map.map_type, map.key_size, map.value_size, map.max_entries, map.flags, map.section
            );
        }
    }
    if !data.is_empty() {
        let _ = writeln!(out, "\ndata sections:");
        for (id, map) in data {
            let MapOrigin::Data { read_only, bytes } = &map.origin else { continue };
            let access = if *read_only { "read-only" } else { "read-write" };
            let _ = writeln!(out, "  map#{id} {}: {} bytes, {access}", map.name, bytes.len());
        }
    }
}

/// Every call table of the object once (programs that load the same data share them).
fn write_call_tables(out: &mut String, object: &Object) {
    let mut seen = Vec::new();
    for program in &object.programs {
        for table in &program.call_tables {
            if seen.contains(&(table.map, table.offset)) {
                continue;
            }
            if seen.is_empty() {
                let _ = writeln!(out, "\ncall tables:");
            }
            seen.push((table.map, table.offset));
            let section = object.map(table.map).map_or("?", |m| m.name.as_str());
            let entries: Vec<&str> =
                table.entries.iter().map(|e| e.map_or("-", |f| function_name(program, f))).collect();
            let access = if table.read_only { "read-only" } else { "writable" };
            let _ = writeln!(
                out,
                "  {} ({section}+{:#x}, {access}, {} slots): {}",
                table.name,
                table.offset,
                table.entries.len(),
                entries.join(", ")
            );
        }
    }
}

fn write_section(out: &mut String, object: &Object, index: usize, code: &CodeSection) {
    let _ = writeln!(out, "\nsection {}:", code.name);
    let lines: std::collections::BTreeMap<usize, &SourceLine> =
        object.line_records.iter().filter(|r| r.section == code.name).map(|r| (r.slot, &r.line)).collect();
    for function in &code.functions {
        let scope = if function.global { "global" } else { "local" };
        let _ = writeln!(out, "\n<{}>: {scope}, slots {}..{}", function.name, function.start, function.end);
        // Columns change within a line; print each source line once per run of slots.
        let mut last_line = None;
        for decoded in code.insns.iter().filter(|d| (function.start..function.end).contains(&d.pc)) {
            let line = lines.get(&decoded.pc).filter(|l| Some((&l.file, l.line)) != last_line);
            if let Some(line) = line {
                let file = line.file.rsplit('/').next().unwrap_or(&line.file);
                let _ = writeln!(out, "; {file}:{}: {}", line.line, line.text.trim());
                last_line = Some((&line.file, line.line));
            }
            let _ = writeln!(out, "{:>8}:\t{}", decoded.pc, slot_text(object, index, decoded.pc).unwrap_or_default());
        }
    }
}

/// The text `disasm` shows for slot `slot` of code section `section`: the instruction in
/// `llvm-objdump -d` syntax as the file holds it, and what its relocation, call or indirect
/// jump resolves to (`r1 = 0x0 ll ; map counts`). `None` past the section's code.
pub fn slot_text(object: &Object, section: usize, slot: usize) -> Option<String> {
    let code = object.code_sections.get(section)?;
    let decoded = &code.insns[code.insns.binary_search_by_key(&slot, |d| d.pc).ok()?];
    let text = code.objdump_text(decoded);
    let note = annotation(object, code, slot, &decoded.insn).or_else(|| indirect_annotation(object, section, slot));
    Some(match note {
        Some(note) => format!("{text:<40} ; {note}"),
        None => text,
    })
}

/// The text `disasm` shows for the instruction at `pc` of `program` ([`slot_text`] of the
/// slot it was loaded from), so `verify` and `disasm` print one instruction alike.
pub fn program_insn_text(object: &Object, program: &LoadedProgram, pc: usize) -> Option<String> {
    let (section, slot) = program.section_slot(pc)?;
    slot_text(object, section, slot)
}

/// What an instruction's relocation or call resolves to.
fn annotation(object: &Object, code: &CodeSection, slot: usize, insn: &Insn) -> Option<String> {
    if let Some(relocation) = code.relocation_at(slot) {
        return Some(match &relocation.target {
            RelocationTarget::Code { section, slot } => {
                let target = object.code_sections.get(*section);
                let function = target.and_then(|s| s.functions.iter().find(|f| f.start == *slot));
                match (function, target) {
                    (Some(f), _) => format!("function {}", f.name),
                    (None, Some(s)) => format!("code {}+{:#x}", s.name, 8 * slot),
                    (None, None) => format!("code {}", relocation.symbol),
                }
            }
            RelocationTarget::Map(id) => format!("map {}", object.map(*id).map_or("?", |m| m.name.as_str())),
            RelocationTarget::Data { map, offset } => {
                let section = object.map(*map).map_or("?", |m| m.name.as_str());
                if relocation.symbol == section || relocation.symbol.is_empty() {
                    format!("&{section}+{offset:#x}")
                } else {
                    format!("&{} ({section}+{offset:#x})", relocation.symbol)
                }
            }
            RelocationTarget::JumpTable { entries, .. } => {
                format!("jump table {} ({entries} entries)", relocation.symbol)
            }
            RelocationTarget::Kfunc => format!("kfunc {}", relocation.symbol),
        });
    }
    match *insn {
        Insn::Call(CallTarget::Helper(id)) => {
            Some(helper_name(id).map_or_else(|| format!("helper {id}"), |name| format!("bpf_{name}")))
        }
        Insn::Call(CallTarget::Local(_)) => {
            let target = usize::try_from(insn.branch_target(slot)?).ok()?;
            code.functions.iter().find(|f| f.start == target).map(|f| format!("function {}", f.name))
        }
        Insn::Call(CallTarget::Kfunc { btf_id, btf_obj }) => Some(format!("kfunc btf id {btf_id} (object {btf_obj})")),
        _ => None,
    }
}

/// What the `callx`/`gotox` at slot `slot` of code section `section` may reach, from the
/// first program that contains it.
fn indirect_annotation(object: &Object, section: usize, slot: usize) -> Option<String> {
    object.programs.iter().find_map(|program| {
        let site = program.indirect_sites.iter().find(|site| program.section_slot(site.pc) == Some((section, slot)))?;
        Some(match &site.kind {
            IndirectKind::Gotox { tables, .. } => {
                let names: Vec<&str> = tables
                    .iter()
                    .filter_map(|t| program.program.jump_tables().get(t.0 as usize))
                    .map(|t| t.name.as_str())
                    .collect();
                format!("via jump table {}", names.join(", "))
            }
            IndirectKind::Callx { functions, .. } => {
                let names: Vec<&str> = functions.iter().map(|&f| function_name(program, f)).collect();
                format!("may call {}", names.join(", "))
            }
        })
    })
}

/// Where program slot `pc` is, as `function+0xoffset`.
fn place(program: &LoadedProgram, pc: usize) -> String {
    match program.program.function_containing(pc) {
        Some(id) => {
            let function = program.program.function(id);
            format!("{}+{:#x}", function.name, 8 * (pc - function.entry))
        }
        None => format!("slot {pc}"),
    }
}

fn function_name(program: &LoadedProgram, id: FunctionId) -> &str {
    program.program.functions().get(id.0 as usize).map_or("?", |f| f.name.as_str())
}

fn write_program(out: &mut String, object: &Object, program: &LoadedProgram) {
    let _ = writeln!(out, "\nprogram {} (section {}):", program.name, program.section);
    for (function, origin) in program.program.functions().iter().zip(&program.origins) {
        let section = object.code_sections.get(origin.section).map_or("?", |s| s.name.as_str());
        let _ = writeln!(
            out,
            "  function {} at slot {} ({} slots, from {section}+{:#x})",
            function.name,
            function.entry,
            function.end - function.entry,
            8 * origin.section_slot
        );
    }
    for (id, name) in program.kfuncs(object) {
        let _ = writeln!(out, "  kfunc {name}: called as kfunc btf id {id}");
    }
    for (index, table) in program.program.jump_tables().iter().enumerate() {
        let targets: Vec<String> = table.targets.iter().map(|&t| place(program, t)).collect();
        let _ = writeln!(out, "  jump table {} ({} entries): {}", table.name, table.targets.len(), targets.join(", "));
        for site in &program.indirect_sites {
            if let IndirectKind::Gotox { reg, tables } = &site.kind
                && tables.iter().any(|t| t.0 as usize == index)
            {
                let _ = writeln!(out, "    used by gotox {reg} at {}", place(program, site.pc));
            }
        }
        for (&pc, table_id) in program.program.table_loads() {
            if table_id.0 as usize == index {
                let _ = writeln!(out, "    loaded at {}", place(program, pc));
            }
        }
    }
    for site in &program.indirect_sites {
        if let IndirectKind::Callx { reg, functions, tables } = &site.kind {
            let targets: Vec<&str> = functions.iter().map(|&f| function_name(program, f)).collect();
            let tables: Vec<&str> =
                tables.iter().filter_map(|&t| program.call_tables.get(t)).map(|t| t.name.as_str()).collect();
            let _ = writeln!(
                out,
                "  callx {reg} at {}: may call {}{}",
                place(program, site.pc),
                if targets.is_empty() { "nothing".to_owned() } else { targets.join(", ") },
                if tables.is_empty() { String::new() } else { format!(" (call tables: {})", tables.join(", ")) }
            );
        }
    }
}
