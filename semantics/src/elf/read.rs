//! Reading the ELF file: sections, symbols, maps, relocations, jump tables and BTF, resolved
//! into section-relative terms. Linking programs from these is [`super::link`]'s job.

use std::collections::{BTreeMap, HashMap};

use object::LittleEndian;
use object::elf::{FileHeader64, SectionHeader64, Sym64};
use object::read::elf::{FileHeader, Rel as _, SectionHeader as _, SectionTable, Sym as _, SymbolTable};
use object::read::{SectionIndex, SymbolIndex};

use super::btf::{self, Btf};
use super::{
    CodeRelocation, CodeSection, ElfError, ElfErrorKind, FILE, LineRecord, MAP_TYPE_ARRAY, MapDef, MapExtras, MapId,
    MapOrigin, RelocationTarget, SourceLine, SymbolFunction,
};
use crate::isa::{self, CallTarget, Insn, SLOT_BYTES};

mod map_defs;

use map_defs::read_map_definitions;

const EM_BPF: u16 = 247;
/// Old LLVM wrote no machine (`EM_NONE`) into BPF objects; libbpf accepts them.
const EM_NONE: u16 = 0;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const SHT_PROGBITS: u32 = 1;
const SHT_NOBITS: u32 = 8;
const SHF_ALLOC: u64 = 1 << 1;
const SHF_EXECINSTR: u64 = 1 << 2;
const STT_NOTYPE: u8 = 0;
const STT_OBJECT: u8 = 1;
const STT_FUNC: u8 = 2;
const STB_LOCAL: u8 = 0;
const R_BPF_64_64: u32 = 1;
const R_BPF_64_ABS64: u32 = 2;
const R_BPF_64_32: u32 = 10;

/// Largest global data section accepted: a corrupt size must not become a huge allocation.
const MAX_DATA_SECTION: u64 = 64 << 20;

/// What a section is to the loader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SectionRole {
    /// Executable code: index into `code_sections`.
    Code(usize),
    /// Global data: its map.
    Data(MapId),
    /// `.maps` or the legacy `maps`.
    Maps,
    /// `.jumptables`.
    JumpTables,
    /// `.addr_space.1`: global variables in the arena (libbpf places them in its last
    /// pages).
    ArenaData,
    /// Anything else (debug info, BTF, strings, license, ...).
    Other,
}

/// The section of global variables in the arena (libbpf's `ARENA_SEC`).
const ARENA_DATA_SECTION: &str = ".addr_space.1";

/// The object's arena map, if it has one.
fn arena_map(maps: &[MapDef]) -> Option<MapId> {
    let arena = crate::model::maps::MapType::Arena.number();
    maps.iter().position(|m| m.map_type == arena).map(|i| MapId(i as u32))
}

/// The offset in the arena's user range of its globals: libbpf puts them in the last pages.
pub(crate) fn arena_globals_offset(arena: &MapDef) -> Option<u64> {
    const PAGE: u64 = 4096;
    let pages = (arena.extras.arena_globals.len() as u64).div_ceil(PAGE) * PAGE;
    (u64::from(arena.max_entries) * PAGE).checked_sub(pages)
}

/// A symbol, with what the loader needs of it.
#[derive(Clone, Debug)]
pub(super) struct Symbol {
    pub name: String,
    pub section: Option<SectionIndex>,
    pub value: u64,
    pub size: u64,
    pub kind: u8,
    pub global: bool,
    /// `SHN_UNDEF`: declared here, defined elsewhere (an `extern`).
    pub undefined: bool,
}

/// A function pointer stored in global data: which data slot, which code slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct DataFunctionPointer {
    pub map: MapId,
    pub offset: u32,
    pub section: usize,
    pub slot: usize,
}

/// A data object (symbol) in a global data section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct DataObject {
    pub map: MapId,
    pub name: String,
    pub offset: u32,
    pub size: u32,
}

/// The object file in section-relative terms.
#[derive(Debug)]
pub(super) struct RawObject {
    pub license: Option<String>,
    pub code_sections: Vec<CodeSection>,
    pub maps: Vec<MapDef>,
    pub line_records: Vec<LineRecord>,
    pub function_pointers: Vec<DataFunctionPointer>,
    pub data_objects: Vec<DataObject>,
    /// Byte offset in `.jumptables` → the table's entries (byte offsets into a code section).
    pub jump_tables: BTreeMap<u64, JumpTableData>,
}

/// A `BPF.JT.*` table as it is in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct JumpTableData {
    pub name: String,
    pub entries: Vec<u64>,
}

type Endian = LittleEndian;

struct File<'a> {
    data: &'a [u8],
    sections: SectionTable<'a, FileHeader64<Endian>, &'a [u8]>,
    symtab: SymbolTable<'a, FileHeader64<Endian>, &'a [u8]>,
    names: Vec<String>,
}

fn malformed(section: impl Into<String>, offset: u64, what: impl Into<String>) -> ElfError {
    ElfError::new(section, offset, ElfErrorKind::Malformed(what.into()))
}

/// Reads everything the loader needs from `data`.
pub(super) fn read(data: &[u8]) -> Result<RawObject, ElfError> {
    let file = open(data)?;
    let symbols = read_symbols(&file)?;

    // Roles first: relocations in any section may point at any other.
    let mut roles = vec![SectionRole::Other; file.sections.len()];
    let mut code_sections = Vec::new();
    let mut maps = Vec::new();
    for (index, header) in file.sections.enumerate() {
        let name = &file.names[index.0];
        let (sh_type, flags) = (header.sh_type(Endian::default()).0, header.sh_flags(Endian::default()).0);
        let role = if sh_type == SHT_PROGBITS && flags & SHF_EXECINSTR != 0 {
            let bytes = section_data(&file, index, header)?;
            if bytes.is_empty() {
                SectionRole::Other
            } else {
                code_sections.push(code_section(name, bytes, index, &symbols)?);
                SectionRole::Code(code_sections.len() - 1)
            }
        } else if name == ".maps" || name == "maps" {
            SectionRole::Maps
        } else if name == ".jumptables" {
            SectionRole::JumpTables
        } else if name == ARENA_DATA_SECTION {
            SectionRole::ArenaData
        } else if flags & SHF_ALLOC != 0
            && (sh_type == SHT_PROGBITS || sh_type == SHT_NOBITS)
            && [".data", ".rodata", ".bss"].iter().any(|p| name.starts_with(p))
        {
            maps.push(data_map(&file, index, header)?);
            SectionRole::Data(MapId(maps.len() as u32 - 1))
        } else {
            SectionRole::Other
        };
        roles[index.0] = role;
    }

    let btf = match section_by_name(&file, ".BTF") {
        Some((_, bytes)) => Some(Btf::parse(bytes).map_err(|e| btf_error(".BTF", e))?),
        None => None,
    };
    if let Some(btf) = &btf {
        for map in maps.iter_mut().filter(|m| matches!(m.origin, MapOrigin::Data { .. })) {
            map.function_pointer_variables =
                btf.function_pointer_variables(&map.section).map_err(|e| btf_error(".BTF", e))?;
        }
    }
    let map_symbols = read_map_definitions(&file, &symbols, btf.as_ref(), &mut maps)?;
    if let Some((index, bytes)) = section_by_name(&file, ARENA_DATA_SECTION) {
        let arena = arena_map(&maps).ok_or_else(|| {
            ElfError::new(ARENA_DATA_SECTION, 0, ElfErrorKind::BadMap("arena globals but no arena map".into()))
        })?;
        let size = file.sections.section(index).map(|h| h.sh_size(Endian::default())).unwrap_or(0);
        if size > MAX_DATA_SECTION {
            return Err(malformed(ARENA_DATA_SECTION, 0, format!("arena globals of {size} bytes are too large")));
        }
        let mut image = bytes.to_vec();
        image.resize(usize::try_from(size).unwrap_or(0).max(image.len()), 0);
        maps[arena.0 as usize].extras.arena_globals = image;
    }
    let jump_tables = read_jump_tables(&file, &symbols, &roles)?;

    let ctx = Context { file: &file, symbols: &symbols, roles: &roles, maps: &maps, map_symbols: &map_symbols };
    for (index, header) in file.sections.enumerate() {
        let Some((rels, _)) = header.rel(Endian::default(), file.data).map_err(|e| {
            malformed(file.names.get(index.0).cloned().unwrap_or_default(), 0, format!("relocation section: {e}"))
        })?
        else {
            continue;
        };
        let target = header.info_link(Endian::default());
        let Some(&role) = roles.get(target.0) else {
            return Err(malformed(&file.names[index.0], 0, "relocations for a section that does not exist"));
        };
        if let SectionRole::Code(code) = role {
            let relocations = ctx.code_relocations(&code_sections[code], rels, &code_sections)?;
            code_sections[code].relocations = relocations;
        }
    }
    let mut function_pointers = Vec::new();
    for header in file.sections.iter() {
        let Ok(Some((rels, _))) = header.rel(Endian::default(), file.data) else { continue };
        let target = header.info_link(Endian::default());
        if let Some(&SectionRole::Data(map)) = roles.get(target.0) {
            ctx.data_relocations(map, rels, &code_sections, &mut function_pointers)?;
        }
    }

    let data_objects = symbols
        .iter()
        .filter(|s| matches!(s.kind, STT_OBJECT | STT_NOTYPE) && !s.name.is_empty())
        .filter_map(|s| match roles.get(s.section?.0)? {
            SectionRole::Data(map) => Some(DataObject {
                map: *map,
                name: s.name.clone(),
                offset: u32::try_from(s.value).ok()?,
                size: u32::try_from(s.size).ok()?,
            }),
            _ => None,
        })
        .collect();

    let line_records = match (&btf, section_by_name(&file, ".BTF.ext")) {
        (Some(btf), Some((_, ext))) => btf::line_records(ext, btf)
            .map_err(|e| btf_error(".BTF.ext", e))?
            .into_iter()
            .map(|r| LineRecord {
                section: r.section,
                slot: r.insn_offset as usize / SLOT_BYTES,
                line: SourceLine { file: r.file, line: r.line, column: r.column, text: r.text },
            })
            .collect(),
        _ => Vec::new(),
    };
    let license = section_by_name(&file, "license").map(|(_, bytes)| {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    });
    Ok(RawObject { license, code_sections, maps, line_records, function_pointers, data_objects, jump_tables })
}

/// The BTF declaration tags on the object's functions, by function name (empty without
/// `.BTF`).
pub(super) fn function_decl_tags(data: &[u8]) -> Result<BTreeMap<String, Vec<String>>, ElfError> {
    let file = open(data)?;
    match section_by_name(&file, ".BTF") {
        Some((_, bytes)) => {
            Btf::parse(bytes).and_then(|btf| btf.function_decl_tags()).map_err(|e| btf_error(".BTF", e))
        }
        None => Ok(BTreeMap::new()),
    }
}

fn btf_error(section: &str, e: btf::BtfError) -> ElfError {
    ElfError::new(section, e.offset as u64, ElfErrorKind::Btf(e))
}

fn open(data: &[u8]) -> Result<File<'_>, ElfError> {
    let ident = data.get(..16).ok_or_else(|| {
        ElfError::new(FILE, data.len() as u64, ElfErrorKind::Truncated("ELF header needs 64 bytes".into()))
    })?;
    if ident[..4] != [0x7f, b'E', b'L', b'F'] {
        return Err(malformed(FILE, 0, "no ELF magic"));
    }
    if ident[4] != ELFCLASS64 {
        return Err(ElfError::new(FILE, 4, ElfErrorKind::WrongMachine(format!("ELF class {}", ident[4]))));
    }
    if ident[5] != ELFDATA2LSB {
        return Err(ElfError::new(FILE, 5, ElfErrorKind::WrongMachine("big-endian data".into())));
    }
    let header = FileHeader64::<Endian>::parse(data)
        .map_err(|e| ElfError::new(FILE, 0, ElfErrorKind::Truncated(format!("ELF header: {e}"))))?;
    let machine = header.e_machine(Endian::default()).0;
    if machine != EM_BPF && machine != EM_NONE {
        return Err(ElfError::new(
            FILE,
            18,
            ElfErrorKind::WrongMachine(format!("e_machine {machine}, not EM_BPF (247) or EM_NONE (0)")),
        ));
    }
    let sections = header
        .sections(Endian::default(), data)
        .map_err(|e| malformed(FILE, header.e_shoff.get(Endian::default()), format!("section table: {e}")))?;
    let symtab = sections
        .symbols(Endian::default(), data, object::elf::SHT_SYMTAB)
        .map_err(|e| malformed(".symtab", 0, e.to_string()))?;
    let mut names = Vec::with_capacity(sections.len());
    for (index, header) in sections.enumerate() {
        let name = sections
            .section_name(Endian::default(), header)
            .map_err(|e| malformed(FILE, 0, format!("name of section {}: {e}", index.0)))?;
        // Errors name sections, so even a nameless one gets a name.
        names.push(if name.is_empty() {
            format!("<section {}>", index.0)
        } else {
            String::from_utf8_lossy(name).into_owned()
        });
    }
    Ok(File { data, sections, symtab, names })
}

fn section_data<'a>(
    file: &File<'a>,
    index: SectionIndex,
    header: &SectionHeader64<Endian>,
) -> Result<&'a [u8], ElfError> {
    header.data(Endian::default(), file.data).map_err(|e| {
        ElfError::new(
            file.names[index.0].clone(),
            0,
            ElfErrorKind::Truncated(format!("section data out of the file ({e})")),
        )
    })
}

fn section_by_name<'a>(file: &File<'a>, name: &str) -> Option<(SectionIndex, &'a [u8])> {
    let index = file.names.iter().position(|n| n == name)?;
    let header = file.sections.section(SectionIndex(index)).ok()?;
    Some((SectionIndex(index), header.data(Endian::default(), file.data).ok()?))
}

fn read_symbols(file: &File<'_>) -> Result<Vec<Symbol>, ElfError> {
    let mut symbols = Vec::with_capacity(file.symtab.len());
    for (index, sym) in file.symtab.enumerate() {
        symbols.push(symbol(file, index, sym)?);
    }
    Ok(symbols)
}

fn symbol(file: &File<'_>, index: SymbolIndex, sym: &Sym64<Endian>) -> Result<Symbol, ElfError> {
    let at = || (index.0 * 24) as u64;
    let name =
        file.symtab.symbol_name(Endian::default(), sym).map_err(|e| malformed(".symtab", at(), e.to_string()))?;
    let section = file
        .symtab
        .symbol_section(Endian::default(), sym, index)
        .map_err(|e| malformed(".symtab", at(), e.to_string()))?;
    Ok(Symbol {
        name: String::from_utf8_lossy(name).into_owned(),
        section,
        value: sym.st_value(Endian::default()),
        size: sym.st_size(Endian::default()),
        kind: sym.st_type().0,
        global: sym.st_bind().0 != STB_LOCAL,
        undefined: sym.is_undefined(Endian::default()),
    })
}

/// Decodes a code section and finds its function symbols.
fn code_section(name: &str, bytes: &[u8], index: SectionIndex, symbols: &[Symbol]) -> Result<CodeSection, ElfError> {
    let mut starts: Vec<(u64, &Symbol)> =
        symbols.iter().filter(|s| s.kind == STT_FUNC && s.section == Some(index)).map(|s| (s.value, s)).collect();
    starts.sort_by_key(|(value, _)| *value);
    starts.dedup_by_key(|(value, _)| *value);
    let (insns, broken) = match isa::decode(bytes) {
        Ok(insns) => (insns, BTreeMap::new()),
        Err(e) => decode_by_function(name, bytes, &starts, e)?,
    };
    let slots = bytes.len() / SLOT_BYTES;
    let mut boundary = vec![false; slots];
    for d in &insns {
        boundary[d.pc] = true;
    }
    let mut functions = Vec::with_capacity(starts.len());
    for (i, &(value, sym)) in starts.iter().enumerate() {
        let decoded = |s: usize| boundary[s] || broken.contains_key(&s);
        let start = slot_of(value).filter(|&s| s < slots && decoded(s)).ok_or_else(|| {
            malformed(name, value, format!("function `{}` does not start at an instruction", sym.name))
        })?;
        let next = starts.get(i + 1).map_or(slots as u64, |(v, _)| v / SLOT_BYTES as u64) as usize;
        let by_size = slot_of(value.saturating_add(sym.size)).filter(|_| sym.size > 0).unwrap_or(next);
        let end = by_size.min(next).min(slots);
        if end <= start {
            return Err(malformed(name, value, format!("function `{}` is empty", sym.name)));
        }
        functions.push(SymbolFunction { name: sym.name.clone(), start, end, global: sym.global });
    }
    if functions.is_empty() {
        // Code without symbols (e.g. stripped): one function named after the section.
        functions.push(SymbolFunction { name: name.to_owned(), start: 0, end: slots, global: true });
    }
    Ok(CodeSection { name: name.to_owned(), insns, functions, relocations: Vec::new(), broken })
}

/// Decodes a section that does not decode as a whole function by function, so that an
/// undecodable function (a selftest's deliberately malformed program) fails only the
/// programs that reach it: its instructions are left out, and its start slot maps to the
/// error. Bytes before the first function must decode.
fn decode_by_function(
    name: &str,
    bytes: &[u8],
    starts: &[(u64, &Symbol)],
    whole: isa::DecodeError,
) -> Result<(Vec<isa::Decoded>, BTreeMap<usize, ElfError>), ElfError> {
    let slots = bytes.len() / SLOT_BYTES;
    let error = |e: isa::DecodeError| ElfError::new(name, (e.pc * SLOT_BYTES) as u64, ElfErrorKind::Decode(e));
    let mut bounds: Vec<usize> =
        starts.iter().filter_map(|(value, _)| slot_of(*value)).filter(|&s| s < slots).collect();
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(slots);
    let first_function = starts.first().and_then(|(value, _)| slot_of(*value));
    let mut insns = Vec::new();
    let mut broken = BTreeMap::new();
    for pair in bounds.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        match isa::decode(&bytes[from * SLOT_BYTES..to * SLOT_BYTES]) {
            Ok(decoded) => insns.extend(decoded.into_iter().map(|d| isa::Decoded { pc: d.pc + from, ..d })),
            Err(e) if first_function.is_some_and(|first| from >= first) => {
                broken.insert(from, error(isa::DecodeError { pc: e.pc + from, ..e }));
            }
            Err(_) => return Err(error(whole)),
        }
    }
    Ok((insns, broken))
}

/// The slot of a byte offset, if it is slot-aligned.
fn slot_of(byte: u64) -> Option<usize> {
    byte.is_multiple_of(SLOT_BYTES as u64).then(|| usize::try_from(byte / SLOT_BYTES as u64).ok()).flatten()
}

fn data_map(file: &File<'_>, index: SectionIndex, header: &SectionHeader64<Endian>) -> Result<MapDef, ElfError> {
    let name = file.names[index.0].clone();
    let size = header.sh_size(Endian::default());
    if size > MAX_DATA_SECTION {
        return Err(malformed(name, 0, format!("data section of {size} bytes is too large")));
    }
    let bytes = if header.sh_type(Endian::default()).0 == SHT_NOBITS {
        vec![0; size as usize]
    } else {
        section_data(file, index, header)?.to_vec()
    };
    Ok(MapDef {
        section: name.clone(),
        origin: MapOrigin::Data { read_only: name.starts_with(".rodata"), bytes },
        map_type: MAP_TYPE_ARRAY,
        key_size: 4,
        value_size: size as u32,
        max_entries: 1,
        flags: 0,
        function_pointer_variables: BTreeMap::new(),
        extras: MapExtras::default(),
        name,
    })
}

fn read_jump_tables(
    file: &File<'_>,
    symbols: &[Symbol],
    roles: &[SectionRole],
) -> Result<BTreeMap<u64, JumpTableData>, ElfError> {
    let mut tables = BTreeMap::new();
    let Some(index) = roles.iter().position(|r| *r == SectionRole::JumpTables) else { return Ok(tables) };
    let (_, bytes) = section_by_name(file, ".jumptables").ok_or_else(|| malformed(".jumptables", 0, "unreadable"))?;
    for sym in symbols.iter().filter(|s| s.section == Some(SectionIndex(index)) && s.size > 0) {
        let bad = |what: &str| {
            ElfError::new(".jumptables", sym.value, ElfErrorKind::BadJumpTable(format!("`{}`: {what}", sym.name)))
        };
        if !sym.size.is_multiple_of(SLOT_BYTES as u64) {
            return Err(bad("size is not a multiple of 8"));
        }
        let start = usize::try_from(sym.value).map_err(|_| bad("offset out of range"))?;
        let len = usize::try_from(sym.size).map_err(|_| bad("size out of range"))?;
        let table =
            start.checked_add(len).and_then(|end| bytes.get(start..end)).ok_or_else(|| bad("out of section"))?;
        let entries = table
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        tables.insert(sym.value, JumpTableData { name: sym.name.clone(), entries });
    }
    Ok(tables)
}

/// Whether `sym` is an extern function declaration (`extern int f(int) __ksym;`): an
/// undefined global or weak symbol of no type or function type, as clang emits for a called
/// extern (libbpf reads the same symbols as kfunc externs).
fn is_extern_function(sym: &Symbol) -> bool {
    sym.undefined && sym.global && matches!(sym.kind, STT_NOTYPE | STT_FUNC) && !sym.name.is_empty()
}

/// What resolving relocations needs.
struct Context<'a, 'f> {
    file: &'a File<'f>,
    symbols: &'a [Symbol],
    roles: &'a [SectionRole],
    maps: &'a [MapDef],
    map_symbols: &'a HashMap<(usize, u64), MapId>,
}

impl Context<'_, '_> {
    /// The symbol a relocation names, which must be defined in this object.
    fn relocation_symbol(&self, section: &str, offset: u64, index: u32) -> Result<&Symbol, ElfError> {
        let sym = self.any_relocation_symbol(section, offset, index)?;
        if sym.section.is_none() {
            return Err(ElfError::new(
                section,
                offset,
                ElfErrorKind::MissingSymbol(format!("`{}` is not defined in this object", sym.name)),
            ));
        }
        Ok(sym)
    }

    /// The symbol a relocation names, defined or not.
    fn any_relocation_symbol(&self, section: &str, offset: u64, index: u32) -> Result<&Symbol, ElfError> {
        self.symbols.get(index as usize).filter(|_| index != 0).ok_or_else(|| {
            ElfError::new(section, offset, ElfErrorKind::MissingSymbol(format!("symbol index {index} does not exist")))
        })
    }

    fn role_of(&self, sym: &Symbol) -> SectionRole {
        sym.section.and_then(|s| self.roles.get(s.0).copied()).unwrap_or(SectionRole::Other)
    }

    fn section_name_of(&self, sym: &Symbol) -> String {
        sym.section.and_then(|s| self.file.names.get(s.0).cloned()).unwrap_or_default()
    }

    /// The slot a byte offset in code section `code` names: it must start an instruction.
    fn code_slot(
        &self,
        at: (&str, u64),
        code_sections: &[CodeSection],
        code: usize,
        byte: i64,
    ) -> Result<usize, ElfError> {
        let section = &code_sections[code];
        let slot = u64::try_from(byte).ok().and_then(slot_of);
        match slot {
            Some(slot) if section.insns.binary_search_by_key(&slot, |d| d.pc).is_ok() => Ok(slot),
            _ => Err(ElfError::new(
                at.0,
                at.1,
                ElfErrorKind::BadRelocation(format!(
                    "target {byte:#x} in `{}` is not an instruction boundary",
                    section.name
                )),
            )),
        }
    }

    fn code_relocations(
        &self,
        section: &CodeSection,
        rels: &[object::elf::Rel64<Endian>],
        code_sections: &[CodeSection],
    ) -> Result<Vec<CodeRelocation>, ElfError> {
        let name = section.name.as_str();
        let mut out = Vec::with_capacity(rels.len());
        for rel in rels {
            let offset = rel.r_offset(Endian::default());
            let r_type = rel.r_type(Endian::default()).0;
            let bad = |what: String| ElfError::new(name, offset, ElfErrorKind::BadRelocation(what));
            let slot = slot_of(offset).ok_or_else(|| bad("offset is not slot-aligned".into()))?;
            if section.broken_function_at(slot).is_some() {
                // Its programs fail with the decode error; nothing links it.
                continue;
            }
            let insn = section
                .insns
                .binary_search_by_key(&slot, |d| d.pc)
                .map(|i| section.insns[i].insn)
                .map_err(|_| bad("offset is not an instruction".into()))?;
            let index = rel.r_sym(Endian::default());
            let sym = self.any_relocation_symbol(name, offset, index)?;
            if let (R_BPF_64_32, Insn::Call(CallTarget::Local(_))) = (r_type, insn)
                && is_extern_function(sym)
            {
                // A call to a function no object defines: a kfunc (`__ksym`), which libbpf
                // resolves against the kernel's BTF.
                out.push(CodeRelocation { slot, symbol: sym.name.clone(), target: RelocationTarget::Kfunc });
                continue;
            }
            let sym = self.relocation_symbol(name, offset, index)?;
            let target = match (r_type, insn) {
                (R_BPF_64_64, Insn::Lddw { imm, .. }) => {
                    let addend = i64::from(imm);
                    let value = sym.value as i64;
                    match self.role_of(sym) {
                        SectionRole::Code(code) => RelocationTarget::Code {
                            section: code,
                            slot: self.code_slot((name, offset), code_sections, code, value.wrapping_add(addend))?,
                        },
                        SectionRole::Maps => {
                            let index = sym.section.map_or(0, |s| s.0);
                            let map = self.map_symbols.get(&(index, sym.value)).ok_or_else(|| {
                                ElfError::new(
                                    name,
                                    offset,
                                    ElfErrorKind::BadMap(format!("`{}` is not a map", sym.name)),
                                )
                            })?;
                            RelocationTarget::Map(*map)
                        }
                        SectionRole::Data(map) => {
                            let size = self.maps[map.0 as usize].value_size as i64;
                            let at = value.wrapping_add(addend);
                            if !(0..=size).contains(&at) {
                                return Err(bad(format!(
                                    "data offset {at:#x} outside `{}`",
                                    self.section_name_of(sym)
                                )));
                            }
                            RelocationTarget::Data { map, offset: at as u32 }
                        }
                        SectionRole::ArenaData => {
                            let arena =
                                arena_map(self.maps).ok_or_else(|| bad("arena globals but no arena map".into()))?;
                            let def = &self.maps[arena.0 as usize];
                            let size = def.extras.arena_globals.len() as u64;
                            let at = value.wrapping_add(addend);
                            let start = arena_globals_offset(def)
                                .ok_or_else(|| bad("arena globals larger than the arena".into()))?;
                            let offset = u64::try_from(at)
                                .ok()
                                .filter(|&at| at <= size)
                                .and_then(|at| u32::try_from(start + at).ok())
                                .ok_or_else(|| {
                                    bad(format!("arena global offset {at:#x} outside `{ARENA_DATA_SECTION}`"))
                                })?;
                            RelocationTarget::Data { map: arena, offset }
                        }
                        SectionRole::JumpTables => {
                            if addend != 0 || sym.size == 0 {
                                return Err(bad(format!("jump-table load of `{}` with addend {addend}", sym.name)));
                            }
                            RelocationTarget::JumpTable { offset: sym.value, entries: (sym.size / 8) as usize }
                        }
                        SectionRole::Other => {
                            return Err(ElfError::new(
                                name,
                                offset,
                                ElfErrorKind::UnknownSection(format!(
                                    "`{}` is in section `{}`",
                                    sym.name,
                                    self.section_name_of(sym)
                                )),
                            ));
                        }
                    }
                }
                (R_BPF_64_32, Insn::Call(CallTarget::Local(imm))) => {
                    let SectionRole::Code(code) = self.role_of(sym) else {
                        return Err(bad(format!("call target `{}` is not code", sym.name)));
                    };
                    let byte = (sym.value as i64).wrapping_add((i64::from(imm) + 1) * SLOT_BYTES as i64);
                    RelocationTarget::Code {
                        section: code,
                        slot: self.code_slot((name, offset), code_sections, code, byte)?,
                    }
                }
                (R_BPF_64_64 | R_BPF_64_32, _) => {
                    return Err(bad(format!("relocation type {r_type} does not apply to `{insn:?}`")));
                }
                _ => return Err(bad(format!("unsupported relocation type {r_type} in code"))),
            };
            out.push(CodeRelocation { slot, symbol: sym.name.clone(), target });
        }
        out.sort_by_key(|r| r.slot);
        if let Some(w) = out.windows(2).find(|w| w[0].slot == w[1].slot) {
            return Err(ElfError::new(
                name,
                (w[0].slot * SLOT_BYTES) as u64,
                ElfErrorKind::BadRelocation("two relocations at one instruction".into()),
            ));
        }
        Ok(out)
    }

    fn data_relocations(
        &self,
        map: MapId,
        rels: &[object::elf::Rel64<Endian>],
        code_sections: &[CodeSection],
        out: &mut Vec<DataFunctionPointer>,
    ) -> Result<(), ElfError> {
        let def = &self.maps[map.0 as usize];
        let name = def.section.as_str();
        let MapOrigin::Data { bytes, .. } = &def.origin else { return Ok(()) };
        for rel in rels {
            let offset = rel.r_offset(Endian::default());
            let r_type = rel.r_type(Endian::default()).0;
            let bad = |what: String| ElfError::new(name, offset, ElfErrorKind::BadRelocation(what));
            if r_type != R_BPF_64_ABS64 {
                return Err(bad(format!("unsupported relocation type {r_type} in data")));
            }
            let start = usize::try_from(offset).map_err(|_| bad("offset out of range".into()))?;
            let slot = start
                .checked_add(8)
                .and_then(|end| bytes.get(start..end))
                .ok_or_else(|| bad("8-byte slot outside the section".into()))?;
            let addend = i64::from_le_bytes([slot[0], slot[1], slot[2], slot[3], slot[4], slot[5], slot[6], slot[7]]);
            let sym = self.relocation_symbol(name, offset, rel.r_sym(Endian::default()))?;
            let SectionRole::Code(code) = self.role_of(sym) else {
                return Err(ElfError::new(
                    name,
                    offset,
                    ElfErrorKind::UnknownSection(format!(
                        "data pointer to `{}` in `{}`: only function pointers are supported in data",
                        sym.name,
                        self.section_name_of(sym)
                    )),
                ));
            };
            let slot = self.code_slot((name, offset), code_sections, code, (sym.value as i64).wrapping_add(addend))?;
            out.push(DataFunctionPointer { map, offset: offset as u32, section: code, slot });
        }
        Ok(())
    }
}
