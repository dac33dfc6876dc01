//! Linking one program: its function first, then every subprogram it can reach, laid out one
//! after another; calls, code-address loads, map loads and jump-table loads are rewritten
//! into the program-relative forms [`Program`] understands, and calls of extern functions
//! into kfunc calls with program-local ids.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::read::{JumpTableData, RawObject};
use super::{
    CallTable, CodeSection, ElfError, ElfErrorKind, FailedProgram, FunctionOrigin, FunctionPointer, IndirectKind,
    IndirectSite, LoadedProgram, MapId, MapOrigin, RelocationTarget,
};
use crate::isa::{CallTarget, Decoded, Insn, LddwKind, SLOT_BYTES};
use crate::program::{FunctionId, JumpTable, JumpTableId, Program, ProgramParts};

/// A function of the object: (code section index, index in its `functions`).
type FunctionKey = (usize, usize);

/// Which functions of `.text` are programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TextFunctions {
    /// None: they are subprograms (libbpf's rule).
    Subprograms,
    /// The global ones too (once the user names a program type for them).
    GlobalArePrograms,
}

/// Links every program of the object: each function of each code section but `.text`,
/// and with [`TextFunctions::GlobalArePrograms`] each global function of `.text`.
/// A program that fails to link fails alone: it is returned among the failures, and the
/// others still link.
pub(super) fn link_all(raw: &RawObject, text: TextFunctions) -> (Vec<LoadedProgram>, Vec<FailedProgram>) {
    let mut programs = Vec::new();
    let mut failed = Vec::new();
    for (index, section) in raw.code_sections.iter().enumerate() {
        let is_text = section.name == ".text";
        if is_text && text == TextFunctions::Subprograms {
            continue;
        }
        for (function, symbol) in section.functions.iter().enumerate() {
            if is_text && !symbol.global {
                continue;
            }
            match link(raw, (index, function)) {
                Ok(program) => programs.push(program),
                Err(error) => {
                    failed.push(FailedProgram { section: section.name.clone(), name: symbol.name.clone(), error })
                }
            }
        }
    }
    (programs, failed)
}

fn error(section: &CodeSection, slot: usize, kind: ElfErrorKind) -> ElfError {
    ElfError::new(section.name.clone(), (slot * SLOT_BYTES) as u64, kind)
}

/// The instructions of a function, in slot order.
fn function_insns(raw: &RawObject, key: FunctionKey) -> &[Decoded] {
    let section = &raw.code_sections[key.0];
    let f = &section.functions[key.1];
    let from = section.insns.partition_point(|d| d.pc < f.start);
    let to = section.insns.partition_point(|d| d.pc < f.end);
    &section.insns[from..to]
}

/// Number of slots a function occupies once copied (its last `lddw` may end past a
/// symbol's declared end).
fn function_slots(raw: &RawObject, key: FunctionKey) -> usize {
    let start = raw.code_sections[key.0].functions[key.1].start;
    function_insns(raw, key).last().map_or(0, |d| d.pc + d.insn.slots() - start)
}

/// The function of code section `section` that starts at `slot`; `from` names the
/// instruction that refers to it, for the error.
fn function_at(
    raw: &RawObject,
    section: usize,
    slot: usize,
    from: (&CodeSection, usize),
) -> Result<FunctionKey, ElfError> {
    let code = &raw.code_sections[section];
    match code.functions.iter().position(|f| f.start == slot) {
        Some(index) => Ok((section, index)),
        None => Err(error(
            from.0,
            from.1,
            ElfErrorKind::BadControlFlow(format!("target slot {slot} of `{}` does not start a function", code.name)),
        )),
    }
}

/// The raw target slot of a local call without a relocation (a call inside one section).
fn local_call_slot(section: &CodeSection, pc: usize, imm: i32) -> Result<usize, ElfError> {
    usize::try_from(pc as i64 + 1 + i64::from(imm))
        .map_err(|_| error(section, pc, ElfErrorKind::BadControlFlow(format!("call offset {imm} leaves the section"))))
}

/// Every function the program can reach, entry first, and the data sections it loads.
fn reachable(raw: &RawObject, entry: FunctionKey) -> Result<(Vec<FunctionKey>, BTreeSet<MapId>), ElfError> {
    let mut order = vec![entry];
    let mut seen = BTreeSet::from([entry]);
    let mut queue = VecDeque::from([entry]);
    let mut data_maps = BTreeSet::new();
    let mut visit = |key: FunctionKey, queue: &mut VecDeque<FunctionKey>, order: &mut Vec<FunctionKey>| {
        if seen.insert(key) {
            order.push(key);
            queue.push_back(key);
        }
    };
    while let Some(key) = queue.pop_front() {
        let section = &raw.code_sections[key.0];
        if let Some(error) = section.broken.get(&section.functions[key.1].start) {
            return Err(error.clone());
        }
        for d in function_insns(raw, key) {
            match (section.relocation_at(d.pc).map(|r| &r.target), d.insn) {
                (Some(RelocationTarget::Code { section: s, slot }), _) => {
                    visit(function_at(raw, *s, *slot, (section, d.pc))?, &mut queue, &mut order)
                }
                (Some(RelocationTarget::Data { map, .. }), _) if data_maps.insert(*map) => {
                    for p in raw.function_pointers.iter().filter(|p| p.map == *map) {
                        visit(function_at(raw, p.section, p.slot, (section, d.pc))?, &mut queue, &mut order);
                    }
                }
                (None, Insn::Call(CallTarget::Local(imm))) => {
                    let slot = local_call_slot(section, d.pc, imm)?;
                    visit(function_at(raw, key.0, slot, (section, d.pc))?, &mut queue, &mut order)
                }
                _ => {}
            }
        }
    }
    Ok((order, data_maps))
}

/// A relative offset from the slot after `pc` to `target`, as an `imm`.
fn relative(section: &CodeSection, raw_pc: usize, pc: usize, target: usize) -> Result<i32, ElfError> {
    i32::try_from(target as i64 - (pc as i64 + 1))
        .map_err(|_| error(section, raw_pc, ElfErrorKind::TooLarge("offset does not fit 32 bits".into())))
}

/// Links the program whose function is `entry`.
fn link(raw: &RawObject, entry: FunctionKey) -> Result<LoadedProgram, ElfError> {
    let (order, data_maps) = reachable(raw, entry)?;
    let mut base = HashMap::new();
    let mut next = 0usize;
    for &key in &order {
        base.insert(key, next);
        next += function_slots(raw, key);
    }
    let base_of = |key: FunctionKey| base[&key];

    let mut insns = Vec::new();
    let mut parts = ProgramParts::default();
    let mut table_ids: HashMap<u64, JumpTableId> = HashMap::new();
    let mut address_taken = BTreeSet::new();
    let mut lines = BTreeMap::new();
    // Program-local kfunc ids by extern symbol, in the order of first use.
    let mut kfunc_ids: HashMap<&str, i32> = HashMap::new();
    for &key in &order {
        let section = &raw.code_sections[key.0];
        let function = &section.functions[key.1];
        let here = base_of(key);
        parts.labels.insert(here, function.name.clone());
        parts.function_entries.push(here);
        if function.global {
            parts.global_functions.insert(here);
        }
        for record in raw.line_records.iter().filter(|r| r.section == section.name) {
            if (function.start..function.end).contains(&record.slot) {
                lines.insert(here + record.slot - function.start, record.line.clone());
            }
        }
        for d in function_insns(raw, key) {
            let pc = here + d.pc - function.start;
            let relocation = section.relocation_at(d.pc);
            let insn = match (relocation.map(|r| &r.target), d.insn) {
                (Some(RelocationTarget::Kfunc), Insn::Call(CallTarget::Local(_))) => {
                    let name = relocation.map_or("", |r| r.symbol.as_str());
                    let next = kfunc_ids.len() + 1;
                    let btf_id = match kfunc_ids.get(name) {
                        Some(&id) => id,
                        None => {
                            let id = i32::try_from(next)
                                .map_err(|_| error(section, d.pc, ElfErrorKind::TooLarge("too many kfuncs".into())))?;
                            kfunc_ids.insert(name, id);
                            id
                        }
                    };
                    Insn::Call(CallTarget::Kfunc { btf_id, btf_obj: 0 })
                }
                (Some(RelocationTarget::Code { section: s, slot }), Insn::Call(CallTarget::Local(_))) => {
                    let target = base_of(function_at(raw, *s, *slot, (section, d.pc))?);
                    Insn::Call(CallTarget::Local(relative(section, d.pc, pc, target)?))
                }
                (Some(RelocationTarget::Code { section: s, slot }), Insn::Lddw { dst, .. }) => {
                    let target = base_of(function_at(raw, *s, *slot, (section, d.pc))?);
                    address_taken.insert(target);
                    Insn::Lddw { dst, kind: LddwKind::CodeAddr, imm: relative(section, d.pc, pc, target)?, next_imm: 0 }
                }
                (Some(RelocationTarget::Map(map)), Insn::Lddw { dst, .. }) => {
                    Insn::Lddw { dst, kind: LddwKind::MapIdx, imm: map.0 as i32, next_imm: 0 }
                }
                (Some(RelocationTarget::Data { map, offset }), Insn::Lddw { dst, .. }) => {
                    Insn::Lddw { dst, kind: LddwKind::MapIdxValue, imm: map.0 as i32, next_imm: *offset as i32 }
                }
                (Some(RelocationTarget::JumpTable { offset, .. }), Insn::Lddw { dst, .. }) => {
                    let id = match table_ids.get(offset) {
                        Some(id) => *id,
                        None => {
                            let table = raw.jump_tables.get(offset).ok_or_else(|| {
                                error(section, d.pc, ElfErrorKind::BadJumpTable(format!("no table at {offset:#x}")))
                            })?;
                            let id = JumpTableId(parts.jump_tables.len() as u32);
                            parts.jump_tables.push(resolve_jump_table(raw, key, here, *offset, table)?);
                            table_ids.insert(*offset, id);
                            id
                        }
                    };
                    parts.table_loads.insert(pc, id);
                    Insn::Lddw { dst, kind: LddwKind::Imm64, imm: 0, next_imm: 0 }
                }
                (Some(_), insn) => {
                    return Err(error(
                        section,
                        d.pc,
                        ElfErrorKind::BadRelocation(format!("relocation does not apply to `{insn:?}`")),
                    ));
                }
                (None, Insn::Call(CallTarget::Local(imm))) => {
                    let slot = local_call_slot(section, d.pc, imm)?;
                    let target = base_of(function_at(raw, key.0, slot, (section, d.pc))?);
                    Insn::Call(CallTarget::Local(relative(section, d.pc, pc, target)?))
                }
                (None, insn) => {
                    if let Some(target) = insn.branch_target(d.pc)
                        && !(function.start as i64..function.end as i64).contains(&target)
                    {
                        return Err(error(
                            section,
                            d.pc,
                            ElfErrorKind::BadControlFlow(format!("jump to slot {target} leaves `{}`", function.name)),
                        ));
                    }
                    insn
                }
            };
            insns.push(insn);
        }
    }

    let name = raw.code_sections[entry.0].functions[entry.1].name.clone();
    let program = Program::new(insns, parts).map_err(|source| {
        error(
            &raw.code_sections[entry.0],
            raw.code_sections[entry.0].functions[entry.1].start,
            ElfErrorKind::Program { function: name.clone(), source },
        )
    })?;
    let id_of =
        |slot: usize| program.function_at_entry(slot).expect("every linked function's entry is a function entry");

    let origins = order
        .iter()
        .map(|&(s, f)| FunctionOrigin {
            section: s,
            section_slot: raw.code_sections[s].functions[f].start,
            name: raw.code_sections[s].functions[f].name.clone(),
        })
        .collect();
    let function_pointers: Vec<FunctionPointer> = raw
        .function_pointers
        .iter()
        .filter(|p| data_maps.contains(&p.map))
        .map(|p| {
            let key = raw.code_sections[p.section].functions.iter().position(|f| f.start == p.slot);
            let key = key.expect("reachable() resolved every pointer of a loaded data section");
            FunctionPointer { map: p.map, offset: p.offset, function: id_of(base_of((p.section, key))) }
        })
        .collect();
    let call_tables = call_tables(raw, &function_pointers);
    let mut taken: BTreeSet<FunctionId> = address_taken.into_iter().map(id_of).collect();
    taken.extend(function_pointers.iter().map(|p| p.function));
    let indirect_sites = indirect_sites(&program, &taken, call_tables.len());
    Ok(LoadedProgram {
        section: raw.code_sections[entry.0].name.clone(),
        name,
        program,
        origins,
        function_pointers,
        call_tables,
        indirect_sites,
        lines,
    })
}

/// Resolves the entries of a jump table used in function `key` (placed at `here`): each is a
/// byte offset into the function's section and must name an instruction of that function.
fn resolve_jump_table(
    raw: &RawObject,
    key: FunctionKey,
    here: usize,
    offset: u64,
    table: &JumpTableData,
) -> Result<JumpTable, ElfError> {
    let section = &raw.code_sections[key.0];
    let function = &section.functions[key.1];
    let mut targets = Vec::with_capacity(table.entries.len());
    for (entry, &byte) in table.entries.iter().enumerate() {
        let slot =
            byte.is_multiple_of(SLOT_BYTES as u64).then(|| usize::try_from(byte / SLOT_BYTES as u64).ok()).flatten();
        match slot {
            Some(slot)
                if (function.start..function.end).contains(&slot)
                    && section.insns.binary_search_by_key(&slot, |d| d.pc).is_ok() =>
            {
                targets.push(here + slot - function.start)
            }
            _ => {
                return Err(ElfError::new(
                    ".jumptables",
                    offset + 8 * entry as u64,
                    ElfErrorKind::BadJumpTable(format!(
                        "`{}` entry {entry} ({byte:#x}) is not an instruction of `{}`",
                        table.name, function.name
                    )),
                ));
            }
        }
    }
    Ok(JumpTable { name: table.name.clone(), targets })
}

/// Groups function pointers by the data object holding them.
fn call_tables(raw: &RawObject, pointers: &[FunctionPointer]) -> Vec<CallTable> {
    let mut tables: Vec<CallTable> = Vec::new();
    let mut placed = vec![false; pointers.len()];
    let maps: BTreeSet<MapId> = pointers.iter().map(|p| p.map).collect();
    for map in maps {
        let def = &raw.maps[map.0 as usize];
        let read_only = matches!(def.origin, MapOrigin::Data { read_only: true, .. });
        let mut objects: Vec<_> = raw
            .data_objects
            .iter()
            .filter(|o| {
                o.map == map && o.size >= 8 && u64::from(o.offset) + u64::from(o.size) <= u64::from(def.value_size)
            })
            .collect();
        objects.sort_by_key(|o| (o.offset, o.size));
        for object in objects {
            let inside = |p: &FunctionPointer| {
                p.map == map && p.offset >= object.offset && p.offset < object.offset + object.size
            };
            if !pointers.iter().any(inside) {
                continue;
            }
            let mut entries = vec![None; object.size as usize / 8];
            for (i, p) in pointers.iter().enumerate().filter(|(_, p)| inside(p)) {
                placed[i] = true;
                if (p.offset - object.offset).is_multiple_of(8)
                    && let Some(entry) = entries.get_mut(((p.offset - object.offset) / 8) as usize)
                {
                    *entry = Some(p.function);
                }
            }
            tables.push(CallTable { name: object.name.clone(), map, offset: object.offset, entries, read_only });
        }
        let unplaced: Vec<usize> = (0..pointers.len()).filter(|&i| pointers[i].map == map && !placed[i]).collect();
        for i in unplaced {
            let p = &pointers[i];
            placed[i] = true;
            tables.push(CallTable {
                name: format!("{}+{:#x}", def.section, p.offset),
                map,
                offset: p.offset,
                entries: vec![Some(p.function)],
                read_only,
            });
        }
    }
    tables
}

/// What is in play at each `callx` and `gotox`.
fn indirect_sites(program: &Program, address_taken: &BTreeSet<FunctionId>, call_tables: usize) -> Vec<IndirectSite> {
    let mut sites = Vec::new();
    for d in program.insns() {
        let kind = match d.insn {
            Insn::Callx { reg } => IndirectKind::Callx {
                reg,
                functions: address_taken.iter().copied().collect(),
                tables: (0..call_tables).collect(),
            },
            Insn::Gotox { reg } => {
                let function = program.function_containing(d.pc).map(|f| program.function(f));
                let tables = program
                    .table_loads()
                    .iter()
                    .filter(|(pc, _)| function.is_some_and(|f| (f.entry..f.end).contains(*pc)))
                    .map(|(_, id)| *id)
                    .collect::<BTreeSet<_>>();
                IndirectKind::Gotox { reg, tables: tables.into_iter().collect() }
            }
            _ => continue,
        };
        sites.push(IndirectSite { pc: d.pc, kind });
    }
    sites
}
