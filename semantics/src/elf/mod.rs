//! Loading eBPF ELF objects as clang emits them (`-target bpf`, any `-mcpu`), with no
//! preprocessing.
//!
//! [`load`] turns the bytes of a relocatable object into an [`Object`]:
//! - [`Object::code_sections`]: every executable section as it is in the file (unrelocated
//!   instructions, function symbols, relocations), which is what `llvm-objdump -d` shows;
//! - [`Object::maps`]: BTF-defined maps (`.maps`), legacy maps (`maps`) and the global data
//!   sections (`.data*`, `.rodata*`, `.bss*`), which are one-entry array maps as in libbpf.
//!   Their positions are the indices that `lddw` kinds `MapIdx`/`MapIdxValue` name;
//! - [`Object::programs`]: one [`LoadedProgram`] per function symbol of every executable
//!   section but `.text`, linked into a self-contained [`Program`]: the program's function
//!   comes first, then every subprogram it can reach (bpf-to-bpf calls, code-address loads,
//!   function pointers in the data it loads), with calls and loads rewritten to program-relative
//!   forms and jump tables (`.jumptables`, `BPF.JT.*`) attached to the loads that use them.
//!   Calls of extern functions (kfuncs declared `__ksym`, undefined symbols) become kfunc
//!   calls with program-local ids ([`LoadedProgram::kfuncs`]); any other use of an
//!   undefined symbol is an [`ElfErrorKind::MissingSymbol`].
//!
//! The loader never panics on bad input: every failure is an [`ElfError`] naming the section
//! and byte offset concerned.

mod btf;
mod link;
mod listing;
mod read;

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

use crate::isa::{CallTarget, DecodeError, Decoded, Insn, Reg};
use crate::model::program_type::ProgramType;
use crate::model::section::{self, SectionError, TypeChoice};
use crate::program::{FunctionId, JumpTableId, Program, ProgramError};

pub use btf::BtfError;
pub use listing::{ListingError, listing, program_insn_text, slot_text};

/// Loads an eBPF relocatable ELF object. Functions of `.text` are subprograms, as libbpf
/// has them.
pub fn load(bytes: &[u8]) -> Result<Object, ElfError> {
    load_linking(bytes, link::TextFunctions::Subprograms)
}

/// Loads an object whose global functions of `.text` are programs too (each also linked
/// with the subprograms it reaches, in section `.text`): what objects written for older
/// loaders, with no `SEC()` on their programs, need once the user names a program type.
pub fn load_with_text_programs(bytes: &[u8]) -> Result<Object, ElfError> {
    load_linking(bytes, link::TextFunctions::GlobalArePrograms)
}

fn load_linking(bytes: &[u8], text: link::TextFunctions) -> Result<Object, ElfError> {
    let raw = read::read(bytes)?;
    let (programs, failed_programs) = link::link_all(&raw, text);
    check_program_slots(&raw.maps, &programs, &failed_programs)?;
    Ok(Object {
        license: raw.license,
        code_sections: raw.code_sections,
        maps: raw.maps,
        programs,
        failed_programs,
        line_records: raw.line_records,
    })
}

/// Checks that every program a program array holds from the start is an entry-point
/// program of the object (libbpf: not a subprogram of `.text`).
fn check_program_slots(maps: &[MapDef], programs: &[LoadedProgram], failed: &[FailedProgram]) -> Result<(), ElfError> {
    for map in maps {
        for (slot, name) in &map.extras.initial_programs {
            if !programs.iter().any(|p| &p.name == name) && !failed.iter().any(|p| &p.name == name) {
                return Err(ElfError::new(
                    ".maps",
                    0,
                    ElfErrorKind::BadRelocation(format!(
                        "slot {slot} of program array `{}`: `{name}` is not a program of the object",
                        map.name
                    )),
                ));
            }
        }
    }
    Ok(())
}

/// The BTF declaration tags (`__attribute__((btf_decl_tag(...)))`) on the functions of an
/// object, by function name, in BTF order; tags on parameters are left out. An object
/// without `.BTF` has none. This is how the kernel's selftests record what each program
/// expects (`comment:test_expect_failure`, ...); see the `bpfprove-selftest` crate.
pub fn function_decl_tags(bytes: &[u8]) -> Result<BTreeMap<String, Vec<String>>, ElfError> {
    read::function_decl_tags(bytes)
}

/// A loaded object file.
#[derive(Clone, Debug)]
pub struct Object {
    /// Contents of the `license` section, if any (without the trailing NUL).
    pub license: Option<String>,
    /// Executable sections in file order, unrelocated.
    pub code_sections: Vec<CodeSection>,
    /// Maps and global data sections; [`MapId`] indexes this.
    pub maps: Vec<MapDef>,
    /// Programs in section order, then symbol order.
    pub programs: Vec<LoadedProgram>,
    /// Programs that could not be loaded (a function that does not decode, a jump out of
    /// its function, a bad relocation, ...), in the same order: each fails alone, as the
    /// kernel loads each program on its own.
    pub failed_programs: Vec<FailedProgram>,
    /// BTF line information of the whole object (empty without `.BTF.ext`).
    pub line_records: Vec<LineRecord>,
}

impl Object {
    /// An object of one program and `maps` that no ELF file gave: what assembly, a
    /// generator or a test builds.
    pub fn of_program(license: Option<String>, maps: Vec<MapDef>, program: LoadedProgram) -> Object {
        Object {
            license,
            code_sections: Vec::new(),
            maps,
            programs: vec![program],
            failed_programs: Vec::new(),
            line_records: Vec::new(),
        }
    }

    /// The programs of section `section` (as named by `SEC(...)`).
    pub fn programs_in<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a LoadedProgram> + 'a {
        self.programs.iter().filter(move |p| p.section == section)
    }

    /// The program named `name` (its function symbol).
    pub fn program(&self, name: &str) -> Option<&LoadedProgram> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The program named `name` that could not be loaded, if it is one.
    pub fn failed_program(&self, name: &str) -> Option<&FailedProgram> {
        self.failed_programs.iter().find(|p| p.name == name)
    }

    /// The map with id `id`.
    pub fn map(&self, id: MapId) -> Option<&MapDef> {
        self.maps.get(id.0 as usize)
    }

    /// The id of the map named `name` (a map definition's or a data section's name).
    pub fn map_by_name(&self, name: &str) -> Option<MapId> {
        let index = self.maps.iter().position(|m| m.name == name)?;
        Some(MapId(u32::try_from(index).ok()?))
    }

    /// The program type of each program, in [`Object::programs`] order, as `choice` and
    /// the section names decide ([`section::resolve`]): one result per program, so an
    /// unknown section fails only its own program.
    pub fn program_types(&self, choice: TypeChoice) -> Vec<Result<ProgramType, SectionError>> {
        let sections: Vec<&str> = self.programs.iter().map(|p| p.section.as_str()).collect();
        section::resolve(&sections, choice)
    }

    /// The program type of `program` (one of [`Object::programs`]) under `choice`.
    pub fn program_type_of(&self, program: &LoadedProgram, choice: TypeChoice) -> Result<ProgramType, SectionError> {
        let index = self.programs.iter().position(|p| std::ptr::eq(p, program));
        match index {
            Some(index) => self.program_types(choice).swap_remove(index),
            // Not this object's: its section alone decides.
            None => section::resolve(&[program.section.as_str()], choice).swap_remove(0),
        }
    }
}

/// A program of the object that could not be loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedProgram {
    /// Its section (`SEC(...)` name).
    pub section: String,
    /// Its function symbol.
    pub name: String,
    /// Why it could not be loaded.
    pub error: ElfError,
}

/// Index of a map in [`Object::maps`]; the `imm` of `lddw` kinds `MapIdx`/`MapIdxValue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MapId(pub u32);

impl fmt::Display for MapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "map#{}", self.0)
    }
}

/// `BPF_MAP_TYPE_ARRAY`, the type libbpf gives global data sections.
pub const MAP_TYPE_ARRAY: u32 = 2;

/// Where a map comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapOrigin {
    /// A BTF-defined map in `.maps`.
    Btf,
    /// A `struct bpf_map_def` in the legacy `maps` section.
    Legacy,
    /// A global data section: one entry holding the whole section.
    Data {
        /// `.rodata*` sections are read-only.
        read_only: bool,
        /// Initial contents (zeros for `.bss`), before function-pointer relocation; see
        /// [`LoadedProgram::data_image`].
        bytes: Vec<u8>,
    },
}

/// A map definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    /// The map's symbol name, or the data section's name.
    pub name: String,
    /// Section that defines it (`.maps`, `maps`, or the data section itself).
    pub section: String,
    /// Where it comes from.
    pub origin: MapOrigin,
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u32,
    /// For a data section, the byte offsets of its variables whose BTF type is a function
    /// pointer, each with the names of the object's functions of that prototype.
    pub function_pointer_variables: BTreeMap<u32, Vec<String>>,
    /// What the definition says beyond its shape (BTF types, `map_extra`, map-in-map).
    pub extras: MapExtras,
}

/// What a map definition says beyond its type, sizes and flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapExtras {
    /// `map_extra` (a bloom filter's hash count, an arena's start address).
    pub map_extra: u64,
    /// Whether the key and the value have BTF types (`__type(key, ...)`), which storage
    /// maps need.
    pub typed: bool,
    /// The byte offset of the value's `struct bpf_spin_lock`, if it has one (from BTF).
    pub spin_lock: Option<u32>,
    /// For a map of maps: the template every inner map must match (a map of the object:
    /// the `__array(values, ...)` struct, or the legacy `inner_map_idx` map).
    pub inner: Option<MapId>,
    /// For a map of maps: the inner maps the object puts in it (`.values = { [i] = &m }`),
    /// as (slot, map).
    pub initial_maps: Vec<(u32, MapId)>,
    /// For a program array: the programs of the object it holds from the start
    /// (`.values = { [i] = &prog }`), as (slot, program name), in slot order.
    pub initial_programs: Vec<(u32, String)>,
    /// Whether this map is only a template of the maps some map of maps holds (it is
    /// never created, and programs never name it).
    pub template: bool,
    /// For an arena: the initial bytes of the object's arena globals (`.addr_space.1`),
    /// which libbpf copies into the arena's last pages.
    pub arena_globals: Vec<u8>,
}

impl MapDef {
    /// What programs may do to its values (its access flags; `.rodata` is frozen).
    pub fn program_access(&self) -> crate::model::maps::ProgramAccess {
        let frozen = matches!(self.origin, MapOrigin::Data { read_only: true, .. });
        crate::model::maps::ProgramAccess::of(self.flags, frozen)
    }

    /// The definition as the kernel's creation check sees it.
    pub fn shape(&self) -> crate::model::maps::MapShape {
        crate::model::maps::MapShape {
            map_type: self.map_type,
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries: self.max_entries,
            flags: self.flags,
            map_extra: self.extras.map_extra,
            typed: self.extras.typed,
        }
    }

    /// A BTF-defined map (`.maps`) with no flags: how tests and tools that build objects by
    /// hand describe a map.
    pub fn btf(name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
        MapDef {
            name: name.into(),
            section: ".maps".into(),
            origin: MapOrigin::Btf,
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: 0,
            function_pointer_variables: BTreeMap::new(),
            extras: MapExtras { typed: true, ..MapExtras::default() },
        }
    }
}

/// An executable section as it is in the file.
#[derive(Clone, Debug)]
pub struct CodeSection {
    /// Section name (the `SEC(...)` string, or `.text`).
    pub name: String,
    /// Decoded instructions; `pc` counts slots from the section start.
    pub insns: Vec<Decoded>,
    /// Function symbols, sorted by start.
    pub functions: Vec<SymbolFunction>,
    /// Relocations that apply to instructions, sorted by slot.
    pub relocations: Vec<CodeRelocation>,
    /// Functions that do not decode, by start slot: their instructions are not in
    /// [`CodeSection::insns`], and every program that reaches one fails with its error
    /// ([`Object::failed_programs`]).
    pub broken: BTreeMap<usize, ElfError>,
}

impl CodeSection {
    /// Number of 8-byte slots.
    pub fn slots(&self) -> usize {
        self.insns.last().map_or(0, |d| d.pc + d.insn.slots())
    }

    /// The function symbol containing slot `slot`.
    pub fn function_containing(&self, slot: usize) -> Option<&SymbolFunction> {
        self.functions.iter().find(|f| f.start <= slot && slot < f.end)
    }

    /// The decode error of the function containing slot `slot`, if it does not decode.
    pub fn broken_function_at(&self, slot: usize) -> Option<&ElfError> {
        self.function_containing(slot).and_then(|f| self.broken.get(&f.start))
    }

    /// The relocation at slot `slot`, if any.
    pub fn relocation_at(&self, slot: usize) -> Option<&CodeRelocation> {
        self.relocations.binary_search_by_key(&slot, |r| r.slot).ok().map(|i| &self.relocations[i])
    }

    /// Instruction `insn` at its slot as `llvm-objdump -d` prints it, including the
    /// ` <function+0x...>` annotation objdump adds after jump targets.
    pub fn objdump_text(&self, decoded: &Decoded) -> String {
        let text = crate::asm::llvm::print_insn_objdump(&decoded.insn);
        let target = match decoded.insn {
            Insn::Ja { .. } | Insn::Ja32 { .. } | Insn::Jump { .. } | Insn::MayGoto { .. } => {
                decoded.insn.branch_target(decoded.pc)
            }
            _ => None,
        };
        let annotation = target.and_then(|t| {
            let t = usize::try_from(t).ok()?;
            let f = self.functions.iter().rev().find(|f| f.start <= t)?;
            Some(format!(" <{}+{:#x}>", f.name, 8 * (t - f.start)))
        });
        text + annotation.as_deref().unwrap_or("")
    }
}

/// A function symbol in a code section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolFunction {
    /// Symbol name.
    pub name: String,
    /// First slot (from the section start).
    pub start: usize,
    /// One past the last slot.
    pub end: usize,
    /// Global (`STB_GLOBAL`/`STB_WEAK`) rather than local.
    pub global: bool,
}

/// A relocation applied to an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRelocation {
    /// Slot of the instruction (from the section start).
    pub slot: usize,
    /// Name of the symbol the relocation names.
    pub symbol: String,
    /// What it resolves to.
    pub target: RelocationTarget,
}

/// What a relocation resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelocationTarget {
    /// A code address: slot `slot` of code section `section` (index into
    /// [`Object::code_sections`]).
    Code {
        /// Code section index.
        section: usize,
        /// Slot in that section.
        slot: usize,
    },
    /// A map (its handle).
    Map(MapId),
    /// A byte of a global data section (a map value).
    Data {
        /// The data section's map.
        map: MapId,
        /// Byte offset in it.
        offset: u32,
    },
    /// A jump table in `.jumptables`.
    JumpTable {
        /// Byte offset of the table in `.jumptables`.
        offset: u64,
        /// Number of 8-byte entries.
        entries: usize,
    },
    /// A function this object declares but does not define (`extern ... __ksym`, an
    /// undefined symbol): a kernel function, named by [`CodeRelocation::symbol`]. Only
    /// calls may refer to one; the linked program calls it as
    /// [`CallTarget::Kfunc`](crate::isa::CallTarget::Kfunc) (see [`LoadedProgram::kfuncs`]).
    Kfunc,
}

/// One BTF line record: which source line an instruction comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRecord {
    /// Code section name.
    pub section: String,
    /// Slot of the instruction in the section.
    pub slot: usize,
    /// The source line.
    pub line: SourceLine,
}

/// A source position with its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// Source file.
    pub file: String,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// The line's text.
    pub text: String,
}

impl fmt::Display for SourceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if self.column > 0 {
            write!(f, ":{}", self.column)?;
        }
        Ok(())
    }
}

/// A program linked into a self-contained [`Program`].
#[derive(Clone, Debug)]
pub struct LoadedProgram {
    /// Its section (`SEC(...)` name), which decides the program type.
    pub section: String,
    /// Its function symbol.
    pub name: String,
    /// The linked program: function 0 is the program, the others are the subprograms it
    /// can reach. Map loads are `lddw` kind `MapIdx` (imm = [`MapId`]), global data loads
    /// kind `MapIdxValue` (imm = [`MapId`], next_imm = offset), function addresses kind
    /// `CodeAddr`, jump-table loads plain `lddw`s listed in [`Program::table_loads`]. Calls
    /// of extern functions (kfuncs) are `call` kind `Kfunc` with `btf_obj = 0` and a
    /// program-local `btf_id`, 1, 2, ... in the order of first use, since real BTF ids
    /// depend on the running kernel ([`LoadedProgram::kfuncs`] names them).
    pub program: Program,
    /// Where each function of [`LoadedProgram::program`] comes from, in program order.
    pub origins: Vec<FunctionOrigin>,
    /// Slots of global data that hold function addresses once relocated.
    pub function_pointers: Vec<FunctionPointer>,
    /// Function pointers grouped by the data object holding them.
    pub call_tables: Vec<CallTable>,
    /// For every `callx` and `gotox`: what is in play.
    pub indirect_sites: Vec<IndirectSite>,
    /// Source lines by program slot (where BTF line info says).
    pub lines: BTreeMap<usize, SourceLine>,
}

impl LoadedProgram {
    /// `program` in section `section` as no ELF file gave it: no function origins, function
    /// pointers, indirect sites or source lines.
    pub fn bare(section: impl Into<String>, name: impl Into<String>, program: Program) -> LoadedProgram {
        LoadedProgram {
            section: section.into(),
            name: name.into(),
            program,
            origins: Vec::new(),
            function_pointers: Vec::new(),
            call_tables: Vec::new(),
            indirect_sites: Vec::new(),
            lines: BTreeMap::new(),
        }
    }

    /// The source line of slot `pc`: the nearest line record at or before it in the same
    /// function.
    pub fn source_line(&self, pc: usize) -> Option<&SourceLine> {
        let function = self.program.function_containing(pc)?;
        let entry = self.program.function(function).entry;
        self.lines.range(entry..=pc).next_back().map(|(_, line)| line)
    }

    /// The kfuncs the program calls, by the program-local BTF id of their `call`s: the name
    /// of the extern symbol each call was relocated against in `object` (the object this
    /// program was linked from). Calls of kind `Kfunc` that were already in the file (no
    /// relocation) have no name and are left out.
    ///
    /// The names are derived from the relocations rather than stored, so that a
    /// `LoadedProgram` built by hand (tests, other front ends) needs no extra field.
    pub fn kfuncs(&self, object: &Object) -> BTreeMap<i32, String> {
        let mut names = BTreeMap::new();
        for d in self.program.insns() {
            let Insn::Call(CallTarget::Kfunc { btf_id, btf_obj: 0 }) = d.insn else { continue };
            let Some((section, slot)) = self.section_slot(d.pc) else { continue };
            let relocation = object.code_sections.get(section).and_then(|s| s.relocation_at(slot));
            if let Some(CodeRelocation { symbol, target: RelocationTarget::Kfunc, .. }) = relocation {
                names.entry(btf_id).or_insert_with(|| symbol.clone());
            }
        }
        names
    }

    /// The code section (index into [`Object::code_sections`]) and slot that program slot
    /// `pc` was copied from.
    pub fn section_slot(&self, pc: usize) -> Option<(usize, usize)> {
        let id = self.program.function_containing(pc)?;
        let origin = self.origins.get(id.0 as usize)?;
        Some((origin.section, origin.section_slot + pc - self.program.function(id).entry))
    }

    /// The initial bytes of global data section `map` as this program sees them: the file's
    /// bytes with every function pointer set to its target's code address
    /// ([`crate::program::code_address`]). `None` if `map` is not a data section.
    pub fn data_image(&self, object: &Object, map: MapId) -> Option<Vec<u8>> {
        let MapOrigin::Data { bytes, .. } = &object.map(map)?.origin else { return None };
        let mut image = bytes.clone();
        for pointer in self.function_pointers.iter().filter(|p| p.map == map) {
            let at = pointer.offset as usize;
            let address = crate::program::code_address(self.program.function(pointer.function).entry);
            if let Some(slot) = image.get_mut(at..at + 8) {
                slot.copy_from_slice(&address.to_le_bytes());
            }
        }
        Some(image)
    }
}

/// Where a function of a linked program comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionOrigin {
    /// Code section index in [`Object::code_sections`].
    pub section: usize,
    /// Slot of the function's first instruction in that section.
    pub section_slot: usize,
    /// Its symbol name.
    pub name: String,
}

/// An 8-byte slot of global data holding a function's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionPointer {
    /// The data section.
    pub map: MapId,
    /// Byte offset in it.
    pub offset: u32,
    /// The function it points to.
    pub function: FunctionId,
}

/// A data object (a symbol in a data section, or a run of slots without one) holding
/// function pointers: a constant call table, a vtable-like struct or a function-pointer
/// variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallTable {
    /// Its symbol name, or `<section>+<offset>` when it has none.
    pub name: String,
    /// The data section.
    pub map: MapId,
    /// Byte offset of the object in the section.
    pub offset: u32,
    /// Each 8-byte slot of the object: the function it points to, or `None` for data.
    pub entries: Vec<Option<FunctionId>>,
    /// Whether the section is read-only (a true constant table).
    pub read_only: bool,
}

/// An indirect control transfer and what may be involved in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndirectSite {
    /// Slot of the `callx`/`gotox`.
    pub pc: usize,
    /// Which kind, and what is in play.
    pub kind: IndirectKind,
}

/// The kind of an indirect control transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndirectKind {
    /// `callx reg`: the functions whose address the program takes (code-address loads and
    /// function pointers in data it loads), and the call tables it loads. A callx can reach
    /// no other function of the program.
    Callx {
        /// The register.
        reg: Reg,
        /// Address-taken functions.
        functions: Vec<FunctionId>,
        /// Call tables in data sections the program loads.
        tables: Vec<usize>,
    },
    /// `gotox reg`: the jump tables loaded in the same function.
    Gotox {
        /// The register.
        reg: Reg,
        /// Jump tables whose address the function loads.
        tables: Vec<JumpTableId>,
    },
}

/// Why an object could not be loaded: where, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{section}+{offset:#x}: {kind}")]
pub struct ElfError {
    /// Section concerned (`<file>` for the ELF header and section table).
    pub section: String,
    /// Byte offset in that section (or in the file for `<file>`).
    pub offset: u64,
    /// What was wrong.
    pub kind: ElfErrorKind,
}

/// The kinds of [`ElfError`].
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ElfErrorKind {
    /// The file is not a well-formed ELF file (truncated, or tables out of range).
    #[error("malformed ELF: {0}")]
    Malformed(String),
    /// A section or structure ends before the data it must hold.
    #[error("truncated: {0}")]
    Truncated(String),
    /// Not a 64-bit little-endian eBPF object.
    #[error("not a 64-bit little-endian eBPF object: {0}")]
    WrongMachine(String),
    /// Instructions do not decode.
    #[error(transparent)]
    Decode(DecodeError),
    /// A relocation's type, place or addend makes no sense for what it applies to.
    #[error("bad relocation: {0}")]
    BadRelocation(String),
    /// A relocation names a symbol that is missing or undefined (e.g. an extern).
    #[error("missing symbol: {0}")]
    MissingSymbol(String),
    /// A relocation points into a section the loader does not know what to do with.
    #[error("unknown section kind: {0}")]
    UnknownSection(String),
    /// A map definition is missing or incomplete.
    #[error("bad map definition: {0}")]
    BadMap(String),
    /// BTF could not be read.
    #[error("bad BTF: {0}")]
    Btf(BtfError),
    /// A jump-table entry does not name an instruction of the function that uses it.
    #[error("bad jump table: {0}")]
    BadJumpTable(String),
    /// A jump leaves its function symbol, or a call lands outside every function.
    #[error("bad control flow: {0}")]
    BadControlFlow(String),
    /// The linked program violates a [`Program`] invariant.
    #[error("program `{function}`: {source}")]
    Program {
        /// The program's function.
        function: String,
        /// The violation.
        source: ProgramError,
    },
    /// The linked program is larger than the instruction encoding can address.
    #[error("program too large: {0}")]
    TooLarge(String),
}

impl ElfError {
    pub(crate) fn new(section: impl Into<String>, offset: u64, kind: ElfErrorKind) -> ElfError {
        ElfError { section: section.into(), offset, kind }
    }
}

/// Section name used in errors about the file header and section table.
pub const FILE: &str = "<file>";

#[cfg(test)]
mod tests;
