//! What is analysed: a program and what its instructions refer to (maps, global data and
//! the function addresses stored in it, source lines, kfunc names), independent of where
//! it came from (an ELF object or assembly text).

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_semantics::elf::{LoadedProgram, MapDef, MapId, MapOrigin, Object, SourceLine};
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::isa::{Insn, LddwKind};
use bpfprove_semantics::model::maps::{MapType, ProgramAccess};
use bpfprove_semantics::model::section::TypeChoice;
use bpfprove_semantics::program::{FunctionId, Program};

use crate::spec::ProgramSpec;

/// A global data section as a program sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSection {
    /// `.rodata*`: never written.
    pub read_only: bool,
    /// Its initial bytes, with function addresses filled in.
    pub image: Vec<u8>,
    /// The 8-byte slots that hold function addresses in the file, by byte offset.
    pub function_slots: BTreeMap<u32, FunctionId>,
    /// The 8-byte slots whose type is a function pointer, by byte offset, with the
    /// subprograms a typed update from user space may store there (those of the object
    /// whose prototype matches); NULL is always possible.
    pub function_pointer_slots: BTreeMap<u32, BTreeSet<FunctionId>>,
    /// Whether another program of the object loads its address (and so may write it).
    pub shared: bool,
}

/// A map the program refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// Its name.
    pub name: String,
    /// How the kernel (and the interpreter) treats it.
    pub kind: MapKind,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// For global data sections, their contents.
    pub data: Option<DataSection>,
    /// Its `BPF_MAP_TYPE_*`, when known (maps built by hand in tests may leave it out).
    pub map_type: Option<MapType>,
    /// For a map of maps: the template of its inner maps, which a lookup returns.
    pub inner: Option<MapId>,
    /// Whether it is only the template of some map of maps' inner maps.
    pub template: bool,
    /// What programs may do to its values (its access flags; frozen `.rodata`).
    pub access: ProgramAccess,
    /// The byte offset of its value's `struct bpf_spin_lock`, if it has one.
    pub spin_lock: Option<u32>,
}

impl MapInfo {
    /// A read-write map of `kind` with no data image, BTF type, inner map or lock (what
    /// tests and bare programs describe by hand).
    pub fn plain(name: &str, kind: MapKind, key_size: u32, value_size: u32) -> MapInfo {
        MapInfo {
            name: name.to_owned(),
            kind,
            key_size,
            value_size,
            data: None,
            map_type: None,
            inner: None,
            template: false,
            access: ProgramAccess::READ_WRITE,
            spin_lock: None,
        }
    }
}

/// A program with everything the analysis needs to know about its surroundings.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    /// Its section (the `SEC` name), or a name for text programs.
    pub section: String,
    /// Its function.
    pub function: String,
    /// The instructions.
    pub program: &'a Program,
    /// The rules of its program type.
    pub spec: ProgramSpec,
    /// Maps by [`MapId`].
    pub maps: Vec<MapInfo>,
    /// Kfunc names by the BTF id in `call` instructions.
    pub kfuncs: BTreeMap<i32, String>,
    /// Source lines by pc.
    pub lines: BTreeMap<usize, SourceLine>,
}

impl<'a> Subject<'a> {
    /// Program `loaded` of `object`, whose type comes from its section (or, for
    /// iproute2-style names, from the object's other programs: [`Object::program_types`]).
    /// `None` when no type can be chosen; [`Object::program_type_of`] says why.
    pub fn from_object(object: &Object, loaded: &'a LoadedProgram) -> Option<Subject<'a>> {
        let program_type = object.program_type_of(loaded, TypeChoice::default()).ok()?;
        Some(Subject::from_object_as(object, loaded, program_type))
    }

    /// Program `loaded` of `object` as a program of type `program_type`, whatever its
    /// section says (a `--program-type` override).
    pub fn from_object_as(object: &Object, loaded: &'a LoadedProgram, program_type: ProgramType) -> Subject<'a> {
        let spec = ProgramSpec::in_section(program_type, &loaded.section);
        let referenced = |program: &Program, map: MapId| {
            program
                .insns()
                .iter()
                .any(|d| matches!(d.insn, Insn::Lddw { kind: LddwKind::MapIdxValue, imm, .. } if imm as u32 == map.0))
        };
        let maps = object
            .maps
            .iter()
            .enumerate()
            .map(|(index, def)| {
                let id = MapId(index as u32);
                let data = match &def.origin {
                    MapOrigin::Data { read_only, .. } => Some(DataSection {
                        read_only: *read_only,
                        image: loaded.data_image(object, id).unwrap_or_default(),
                        function_slots: loaded
                            .function_pointers
                            .iter()
                            .filter(|p| p.map == id)
                            .map(|p| (p.offset, p.function))
                            .collect(),
                        function_pointer_slots: def
                            .function_pointer_variables
                            .iter()
                            .map(|(&offset, names)| (offset, subprograms_named(&loaded.program, names)))
                            .collect(),
                        shared: object
                            .programs
                            .iter()
                            .any(|other| other.name != loaded.name && referenced(&other.program, id)),
                    }),
                    _ => None,
                };
                map_info(def, data)
            })
            .collect();
        Subject {
            section: loaded.section.clone(),
            function: loaded.name.clone(),
            program: &loaded.program,
            spec,
            maps,
            kfuncs: loaded.kfuncs(object),
            lines: loaded.lines.clone(),
        }
    }

    /// A program without maps (from bytecode or assembly text) of type `program_type`.
    pub fn bare(name: &str, program: &'a Program, program_type: ProgramType) -> Subject<'a> {
        Subject {
            section: program_type.name().to_owned(),
            function: name.to_owned(),
            program,
            spec: ProgramSpec::of(program_type),
            maps: Vec::new(),
            kfuncs: BTreeMap::new(),
            lines: BTreeMap::new(),
        }
    }

    /// Map `id`.
    pub fn map(&self, id: MapId) -> Option<&MapInfo> {
        self.maps.get(id.0 as usize)
    }

    /// `SECTION/FUNCTION`.
    pub fn title(&self) -> String {
        format!("{}/{}", self.section, self.function)
    }

    /// The source line of `pc`: the nearest line record at or before it in its function.
    pub fn source_line(&self, pc: usize) -> Option<&SourceLine> {
        let function = self.program.function_containing(pc)?;
        let entry = self.program.function(function).entry;
        self.lines.range(entry..=pc).next_back().map(|(_, line)| line)
    }
}

/// The subprograms of `program` (never the program's own function, which nothing may call)
/// named in `names`.
fn subprograms_named(program: &Program, names: &[String]) -> BTreeSet<FunctionId> {
    (1..program.functions().len() as u32)
        .map(FunctionId)
        .filter(|&id| names.iter().any(|n| *n == program.function(id).name))
        .collect()
}

fn map_info(def: &MapDef, data: Option<DataSection>) -> MapInfo {
    MapInfo {
        name: def.name.clone(),
        kind: MapKind::of(def),
        key_size: def.key_size,
        value_size: def.value_size,
        data,
        map_type: MapType::from_number(def.map_type).filter(|_| !matches!(def.origin, MapOrigin::Data { .. })),
        inner: def.extras.inner,
        template: def.extras.template,
        access: def.program_access(),
        spin_lock: def.extras.spin_lock,
    }
}
