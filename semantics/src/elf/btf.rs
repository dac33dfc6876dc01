//! Just enough BTF to load programs: the types behind BTF-defined maps (`.maps`), the line
//! records of `.BTF.ext`, and the declaration tags attached to functions (which is how the
//! kernel's selftests annotate their expected verdicts).
//!
//! Every read is bounds-checked and every type walk is bounded by [`MAX_TYPE_DEPTH`], so
//! malformed input yields a [`BtfError`], never a panic or a hang.

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

const BTF_MAGIC: u16 = 0xeb9f;
/// Longest chain of modifiers/typedefs/pointers followed before giving up (cycles in
/// malformed BTF would otherwise loop forever).
const MAX_TYPE_DEPTH: usize = 32;

const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
const KIND_ENUM: u32 = 6;
const KIND_FWD: u32 = 7;
const KIND_TYPEDEF: u32 = 8;
const KIND_VOLATILE: u32 = 9;
const KIND_CONST: u32 = 10;
const KIND_RESTRICT: u32 = 11;
const KIND_FUNC: u32 = 12;
const KIND_FUNC_PROTO: u32 = 13;
const KIND_VAR: u32 = 14;
const KIND_DATASEC: u32 = 15;
const KIND_FLOAT: u32 = 16;
const KIND_DECL_TAG: u32 = 17;
const KIND_TYPE_TAG: u32 = 18;
const KIND_ENUM64: u32 = 19;

/// Why BTF could not be read. `offset` is a byte offset in the `.BTF` (or `.BTF.ext`)
/// section.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("offset {offset:#x}: {reason}")]
pub struct BtfError {
    /// Byte offset in the section.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

fn error<T>(offset: usize, reason: impl Into<String>) -> Result<T, BtfError> {
    Err(BtfError { offset, reason: reason.into() })
}

/// A little-endian reader over a byte slice that reports where it ran out.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u32_at(&self, offset: usize) -> Result<u32, BtfError> {
        match offset.checked_add(4).and_then(|end| self.bytes.get(offset..end)) {
            Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            None => error(offset, "truncated"),
        }
    }

    fn u16_at(&self, offset: usize) -> Result<u16, BtfError> {
        match offset.checked_add(2).and_then(|end| self.bytes.get(offset..end)) {
            Some(b) => Ok(u16::from_le_bytes([b[0], b[1]])),
            None => error(offset, "truncated"),
        }
    }

    fn slice(&self, offset: usize, len: usize) -> Result<&'a [u8], BtfError> {
        match offset.checked_add(len).and_then(|end| self.bytes.get(offset..end)) {
            Some(b) => Ok(b),
            None => error(offset, format!("truncated: {len} bytes needed")),
        }
    }
}

/// One BTF type, with only the fields the loader uses.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Type {
    /// A type with a byte size and nothing the loader follows (int, enum, float, struct or
    /// union members it does not need).
    Sized { size: u32 },
    /// A struct or union: its size and members (name, type, offset in bits).
    Struct { size: u32, members: Vec<(String, u32, u32)> },
    /// A pointer to a type.
    Ptr { target: u32 },
    /// An array of `count` elements.
    Array { element: u32, count: u32 },
    /// typedef, volatile, const, restrict, type tag: the same value as `target`.
    Alias { target: u32 },
    /// A variable.
    Var { name: String, target: u32 },
    /// A data section: the variables it holds, with their byte offsets.
    Datasec { name: String, vars: Vec<(u32, u32)> },
    /// A function: its name and prototype.
    Func { name: String, proto: u32 },
    /// A function prototype: return type (0 for void) and parameter types.
    FuncProto { ret: u32, params: Vec<u32> },
    /// A declaration tag (`__attribute__((btf_decl_tag(value)))`) on type `target`;
    /// `component` is -1 for the declaration itself, else a member or parameter index.
    DeclTag { value: String, target: u32, component: i32 },
    /// Anything else (forward declarations).
    Other,
}

/// Parsed `.BTF`: its types and strings.
#[derive(Clone, Debug)]
pub struct Btf {
    /// Type id `i` is `types[i - 1]`.
    types: Vec<Type>,
    strings: Vec<u8>,
}

/// A map definition read from a BTF `.maps` variable. Fields absent from the definition
/// are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfMapDef {
    /// `type` (BPF_MAP_TYPE_*).
    pub map_type: Option<u32>,
    /// `key_size`, or the size of `key`'s type.
    pub key_size: Option<u32>,
    /// `value_size`, or the size of `value`'s type.
    pub value_size: Option<u32>,
    /// `max_entries`.
    pub max_entries: Option<u32>,
    /// `map_flags`.
    pub map_flags: Option<u32>,
    /// `map_extra`.
    pub map_extra: Option<u64>,
    /// Whether both the key and the value are given as types (`__type`).
    pub typed: bool,
    /// For a map of maps (`__array(values, struct inner)`): the inner map's definition.
    pub inner: Option<Box<BtfMapDef>>,
    /// For a map of maps or a program array declared with `__array(values, ...)`: the byte
    /// offset of `values` in the definition, where the relocations of its initialiser
    /// (`.values = { [i] = &map }` or `{ [i] = &prog }`) apply.
    pub values_offset: Option<u32>,
}

impl Btf {
    /// Parses a `.BTF` section.
    pub fn parse(bytes: &[u8]) -> Result<Btf, BtfError> {
        let r = Reader { bytes };
        if r.u16_at(0)? != BTF_MAGIC {
            return error(0, "bad magic (not little-endian BTF)");
        }
        let hdr_len = r.u32_at(4)? as usize;
        let type_off = r.u32_at(8)? as usize;
        let type_len = r.u32_at(12)? as usize;
        let str_off = r.u32_at(16)? as usize;
        let str_len = r.u32_at(20)? as usize;
        let type_start = hdr_len.checked_add(type_off).ok_or(BtfError { offset: 8, reason: "overflow".into() })?;
        let str_start = hdr_len.checked_add(str_off).ok_or(BtfError { offset: 16, reason: "overflow".into() })?;
        let strings = r.slice(str_start, str_len)?.to_vec();
        let type_bytes = r.slice(type_start, type_len)?;
        let mut btf = Btf { types: Vec::new(), strings };
        let types = Reader { bytes: type_bytes };
        let mut at = 0;
        while at < type_bytes.len() {
            let (ty, size) = btf.parse_type(types, at).map_err(|e| BtfError { offset: e.offset + type_start, ..e })?;
            btf.types.push(ty);
            at += size;
        }
        Ok(btf)
    }

    /// The NUL-terminated string at `offset` of the string section.
    pub fn string(&self, offset: u32) -> Result<String, BtfError> {
        let start = offset as usize;
        let tail =
            self.strings.get(start..).ok_or(BtfError { offset: start, reason: "string offset out of range".into() })?;
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        Ok(String::from_utf8_lossy(&tail[..end]).into_owned())
    }

    /// Parses the type at `at`, returning it and its encoded length.
    fn parse_type(&self, r: Reader<'_>, at: usize) -> Result<(Type, usize), BtfError> {
        let name_off = r.u32_at(at)?;
        let info = r.u32_at(at + 4)?;
        let size_or_type = r.u32_at(at + 8)?;
        let vlen = (info & 0xffff) as usize;
        let kind = (info >> 24) & 0x1f;
        let body = at + 12;
        let (ty, extra) = match kind {
            // Linux takes ints of 1, 2, 4, 8 or 16 bytes only; any other size (a corrupt
            // object) would become a map's key or value size.
            KIND_INT if !matches!(size_or_type, 1 | 2 | 4 | 8 | 16) => {
                return error(at + 8, format!("int type of {size_or_type} bytes (Linux takes 1, 2, 4, 8 or 16)"));
            }
            KIND_INT => (Type::Sized { size: size_or_type }, 4),
            KIND_PTR => (Type::Ptr { target: size_or_type }, 0),
            KIND_ARRAY => (Type::Array { element: r.u32_at(body)?, count: r.u32_at(body + 8)? }, 12),
            KIND_STRUCT | KIND_UNION => {
                let mut members = Vec::with_capacity(vlen.min(1024));
                for i in 0..vlen {
                    let m = body + 12 * i;
                    // With `kind_flag` set, the offset's top 8 bits are a bitfield size.
                    let offset = r.u32_at(m + 8)?;
                    let offset = if info & (1 << 31) != 0 { offset & 0x00ff_ffff } else { offset };
                    members.push((self.string(r.u32_at(m)?)?, r.u32_at(m + 4)?, offset));
                }
                (Type::Struct { size: size_or_type, members }, 12 * vlen)
            }
            KIND_ENUM => (Type::Sized { size: size_or_type }, 8 * vlen),
            KIND_ENUM64 => (Type::Sized { size: size_or_type }, 12 * vlen),
            KIND_FLOAT => (Type::Sized { size: size_or_type }, 0),
            KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG => {
                (Type::Alias { target: size_or_type }, 0)
            }
            KIND_FWD => (Type::Other, 0),
            KIND_FUNC => (Type::Func { name: self.string(name_off)?, proto: size_or_type }, 0),
            KIND_FUNC_PROTO => {
                let mut params = Vec::with_capacity(vlen.min(1024));
                for i in 0..vlen {
                    params.push(r.u32_at(body + 8 * i + 4)?);
                }
                (Type::FuncProto { ret: size_or_type, params }, 8 * vlen)
            }
            KIND_VAR => (Type::Var { name: self.string(name_off)?, target: size_or_type }, 4),
            KIND_DATASEC => {
                let mut vars = Vec::with_capacity(vlen.min(1024));
                for i in 0..vlen {
                    vars.push((r.u32_at(body + 12 * i)?, r.u32_at(body + 12 * i + 4)?));
                }
                (Type::Datasec { name: self.string(name_off)?, vars }, 12 * vlen)
            }
            KIND_DECL_TAG => {
                let component = r.u32_at(body)? as i32;
                (Type::DeclTag { value: self.string(name_off)?, target: size_or_type, component }, 4)
            }
            other => return error(at, format!("unknown BTF kind {other}")),
        };
        // The whole record must be present even where the loader skips it.
        r.slice(body, extra)?;
        Ok((ty, 12 + extra))
    }

    fn get(&self, id: u32) -> Result<&Type, BtfError> {
        let index = (id as usize).checked_sub(1);
        match index.and_then(|i| self.types.get(i)) {
            Some(t) => Ok(t),
            None => error(0, format!("type id {id} does not exist")),
        }
    }

    /// Follows aliases (typedef, const, volatile, ...) to the underlying type id.
    fn resolve(&self, mut id: u32) -> Result<u32, BtfError> {
        for _ in 0..MAX_TYPE_DEPTH {
            match self.get(id)? {
                Type::Alias { target } => id = *target,
                _ => return Ok(id),
            }
        }
        error(0, format!("type chain from id {id} is too deep"))
    }

    /// The byte size of type `id`.
    fn size_of(&self, id: u32) -> Result<u32, BtfError> {
        let mut id = id;
        let mut scale: u64 = 1;
        for _ in 0..MAX_TYPE_DEPTH {
            id = self.resolve(id)?;
            let size = match self.get(id)? {
                Type::Sized { size } | Type::Struct { size, .. } => *size,
                Type::Ptr { .. } => 8,
                Type::Array { element, count } => {
                    scale = scale.saturating_mul(u64::from(*count));
                    id = *element;
                    continue;
                }
                _ => return error(0, format!("type id {id} has no size")),
            };
            return u32::try_from(scale.saturating_mul(u64::from(size)))
                .or(error(0, format!("size of type id {id} overflows")));
        }
        error(0, format!("type chain from id {id} is too deep"))
    }

    /// The number a `__uint(name, N)` member encodes: `int (*name)[N]`.
    fn uint_member(&self, id: u32) -> Result<u32, BtfError> {
        match self.get(self.resolve(id)?)? {
            Type::Ptr { target } => match self.get(self.resolve(*target)?)? {
                Type::Array { count, .. } => Ok(*count),
                _ => error(0, "__uint member does not point to an array"),
            },
            _ => error(0, "__uint member is not a pointer"),
        }
    }

    /// The size of the type a `__type(name, T)` member encodes: `T *name`.
    fn type_member_size(&self, id: u32) -> Result<u32, BtfError> {
        match self.get(self.resolve(id)?)? {
            Type::Ptr { target } => self.size_of(*target),
            _ => error(0, "__type member is not a pointer"),
        }
    }

    /// The variables of data section `section` whose type is a function pointer, by byte
    /// offset, each with the names of the functions whose prototype is the pointer's.
    pub fn function_pointer_variables(&self, section: &str) -> Result<BTreeMap<u32, Vec<String>>, BtfError> {
        let mut slots = BTreeMap::new();
        for ty in &self.types {
            let Type::Datasec { name, vars } = ty else { continue };
            if name != section {
                continue;
            }
            for &(var, offset) in vars {
                let Type::Var { target, .. } = self.get(var)? else { continue };
                let Type::Ptr { target: pointee } = self.get(self.resolve(*target)?)? else { continue };
                let proto = self.resolve(*pointee)?;
                if !matches!(self.get(proto)?, Type::FuncProto { .. }) {
                    continue;
                }
                let mut matching = Vec::new();
                for ty in &self.types {
                    if let Type::Func { name, proto: other } = ty
                        && self.same_prototype(proto, *other)?
                    {
                        matching.push(name.clone());
                    }
                }
                slots.insert(offset, matching);
            }
        }
        Ok(slots)
    }

    /// Whether prototypes `a` and `b` return and take the same types (up to typedefs and
    /// qualifiers).
    fn same_prototype(&self, a: u32, b: u32) -> Result<bool, BtfError> {
        let underlying = |id: u32| if id == 0 { Ok(0) } else { self.resolve(id) };
        let (Type::FuncProto { ret: ra, params: pa }, Type::FuncProto { ret: rb, params: pb }) =
            (self.get(underlying(a)?)?, self.get(underlying(b)?)?)
        else {
            return Ok(false);
        };
        if pa.len() != pb.len() || underlying(*ra)? != underlying(*rb)? {
            return Ok(false);
        }
        for (x, y) in pa.iter().zip(pb) {
            if underlying(*x)? != underlying(*y)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The declaration tags on whole functions (not on their parameters), by function name, in
    /// the order the BTF lists them. A tag naming a type id that does not exist, or a
    /// parameter a function does not have, is an error.
    pub fn function_decl_tags(&self) -> Result<BTreeMap<String, Vec<String>>, BtfError> {
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (index, ty) in self.types.iter().enumerate() {
            let Type::DeclTag { value, target, component } = ty else { continue };
            let in_tag = |e: BtfError| BtfError { reason: format!("decl tag {}: {}", index + 1, e.reason), ..e };
            let Type::Func { name, proto } = self.get(*target).map_err(in_tag)? else { continue };
            if *component == -1 {
                tags.entry(name.clone()).or_default().push(value.clone());
                continue;
            }
            let parameters = match self.get(self.resolve(*proto).map_err(in_tag)?).map_err(in_tag)? {
                Type::FuncProto { params, .. } => params.len(),
                _ => return error(0, format!("decl tag {}: function `{name}` has no prototype", index + 1)),
            };
            if !usize::try_from(*component).is_ok_and(|c| c < parameters) {
                return error(
                    0,
                    format!(
                        "decl tag {}: component {component} of function `{name}`, which has {parameters} parameters",
                        index + 1
                    ),
                );
            }
        }
        Ok(tags)
    }

    /// The map definitions of the `.maps` data section, by variable name.
    pub fn map_definitions(&self) -> Result<HashMap<String, BtfMapDef>, BtfError> {
        let mut defs = HashMap::new();
        for ty in &self.types {
            let Type::Datasec { name, vars } = ty else { continue };
            if name != ".maps" {
                continue;
            }
            for &(var, _) in vars {
                let Type::Var { name, target } = self.get(var)? else {
                    return error(0, format!("`.maps` entry {var} is not a variable"));
                };
                defs.insert(name.clone(), self.map_definition(*target)?);
            }
        }
        Ok(defs)
    }

    fn map_definition(&self, id: u32) -> Result<BtfMapDef, BtfError> {
        self.map_definition_at_depth(id, 0)
    }

    /// The definition of struct type `id`; `depth` counts the map-of-maps levels above
    /// it (Linux nests maps one level deep).
    fn map_definition_at_depth(&self, id: u32, depth: u32) -> Result<BtfMapDef, BtfError> {
        let Type::Struct { members, .. } = self.get(self.resolve(id)?)? else {
            return error(0, format!("map definition type {id} is not a struct"));
        };
        let mut def = BtfMapDef::default();
        let (mut typed_key, mut typed_value) = (false, false);
        for (name, ty, offset) in members {
            match name.as_str() {
                "type" => def.map_type = Some(self.uint_member(*ty)?),
                "max_entries" => def.max_entries = Some(self.uint_member(*ty)?),
                "map_flags" => def.map_flags = Some(self.uint_member(*ty)?),
                "map_extra" => def.map_extra = Some(u64::from(self.uint_member(*ty)?)),
                "key_size" => def.key_size = Some(self.uint_member(*ty)?),
                "value_size" => def.value_size = Some(self.uint_member(*ty)?),
                "key" => {
                    def.key_size = Some(self.type_member_size(*ty)?);
                    typed_key = true;
                }
                "value" => {
                    def.value_size = Some(self.type_member_size(*ty)?);
                    typed_value = true;
                }
                "values" => {
                    // libbpf: `values` makes the value a 4-byte map or program id.
                    if def.value_size.is_some_and(|size| size != 4) {
                        return error(0, "`values` of a map definition conflicts with a value size other than 4");
                    }
                    def.value_size = Some(4);
                    def.inner = self.values_member(*ty, depth)?.map(Box::new);
                    def.values_offset = Some(offset / 8);
                }
                // pinning, numa_node, ...: not needed to run or verify.
                _ => {}
            }
        }
        def.typed = typed_key && typed_value;
        Ok(def)
    }

    /// The inner map definition a `values` member declares (`__array(values, struct
    /// inner)`: a zero-length array of pointers to the inner definition), or `None` for
    /// a program array's `__array(values, int (void *))` (pointers to a function type).
    fn values_member(&self, id: u32, depth: u32) -> Result<Option<BtfMapDef>, BtfError> {
        let Type::Array { element, .. } = self.get(self.resolve(id)?)? else {
            return error(0, "`values` of a map definition is not an array");
        };
        let Type::Ptr { target } = self.get(self.resolve(*element)?)? else {
            return error(0, "`values` of a map definition is not an array of pointers");
        };
        let target = self.resolve(*target)?;
        match self.get(target)? {
            Type::Struct { .. } if depth > 0 => error(0, "a map of maps inside a map of maps"),
            Type::Struct { .. } => self.map_definition_at_depth(target, depth + 1).map(Some),
            Type::FuncProto { .. } => Ok(None),
            _ => error(0, "`values` of a map definition points to neither a map definition nor a function type"),
        }
    }
}

/// One `.BTF.ext` line record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRecord {
    /// Name of the code section it belongs to.
    pub section: String,
    /// Byte offset of the instruction in that section.
    pub insn_offset: u32,
    /// Source file.
    pub file: String,
    /// The source line's text.
    pub text: String,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
}

/// Reads the line records of a `.BTF.ext` section; strings come from `btf`.
pub fn line_records(ext: &[u8], btf: &Btf) -> Result<Vec<LineRecord>, BtfError> {
    let r = Reader { bytes: ext };
    if r.u16_at(0)? != BTF_MAGIC {
        return error(0, "bad .BTF.ext magic");
    }
    let hdr_len = r.u32_at(4)? as usize;
    let line_off = r.u32_at(16)? as usize;
    let line_len = r.u32_at(20)? as usize;
    let start = hdr_len.checked_add(line_off).ok_or(BtfError { offset: 16, reason: "overflow".into() })?;
    if line_len == 0 {
        return Ok(Vec::new());
    }
    let lines = Reader { bytes: r.slice(start, line_len)? };
    let record_size = lines.u32_at(0)? as usize;
    if record_size < 16 {
        return error(start, format!("line record size {record_size} is below 16"));
    }
    let mut records = Vec::new();
    let mut at = 4;
    while at < line_len {
        let section = btf.string(lines.u32_at(at)?).map_err(|e| BtfError { offset: start + at, ..e })?;
        let count = lines.u32_at(at + 4)? as usize;
        at += 8;
        for _ in 0..count {
            let record = lines.slice(at, record_size).map_err(|e| BtfError { offset: start + e.offset, ..e })?;
            let field = |i: usize| u32::from_le_bytes([record[i], record[i + 1], record[i + 2], record[i + 3]]);
            let line_col = field(12);
            records.push(LineRecord {
                section: section.clone(),
                insn_offset: field(0),
                file: btf.string(field(4))?,
                text: btf.string(field(8))?,
                line: line_col >> 10,
                column: line_col & 0x3ff,
            });
            at += record_size;
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a BTF blob from encoded types and a string table.
    fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
        let type_len = (types.len() * 4) as u32;
        let mut out = Vec::new();
        out.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for word in [24, 0, type_len, type_len, strings.len() as u32] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        for word in types {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(strings);
        out
    }

    fn info(kind: u32, vlen: u32) -> u32 {
        (kind << 24) | vlen
    }

    #[test]
    fn reads_a_btf_defined_map() {
        // strings: 0:"" 1:"int" 5:"type" 10:"key" 14:"m" 16:".maps" 22:"max_entries"
        let strings = b"\0int\0type\0key\0m\0.maps\0max_entries\0";
        #[rustfmt::skip]
        let types = [
            /* 1 int */ 1, info(KIND_INT, 0), 4, 32,
            /* 2 int[2] */ 0, info(KIND_ARRAY, 0), 0, 1, 1, 2,
            /* 3 int (*)[2] */ 0, info(KIND_PTR, 0), 2,
            /* 4 int * */ 0, info(KIND_PTR, 0), 1,
            /* 5 int[9] */ 0, info(KIND_ARRAY, 0), 0, 1, 1, 9,
            /* 6 int (*)[9] */ 0, info(KIND_PTR, 0), 5,
            /* 7 struct */ 0, info(KIND_STRUCT, 3), 24, 5, 3, 0, 10, 4, 64, 22, 6, 128,
            /* 8 var m */ 14, info(KIND_VAR, 0), 7, 1,
            /* 9 datasec */ 16, info(KIND_DATASEC, 1), 0, 8, 0, 24,
        ];
        let btf = Btf::parse(&blob(&types, strings)).expect("valid BTF");
        let defs = btf.map_definitions().expect("valid maps");
        let m = &defs["m"];
        assert_eq!((m.map_type, m.key_size, m.max_entries, m.value_size), (Some(2), Some(4), Some(9), None));
    }

    #[test]
    fn ints_of_sizes_linux_refuses_are_an_error() {
        for size in [0, 3, 32, 0x9f06_799d, 0xffff_fff0] {
            let parsed = Btf::parse(&blob(&[1, info(KIND_INT, 0), size, 32], b"\0int\0"));
            let error = parsed.err().unwrap_or_else(|| panic!("an int of {size} bytes loads"));
            assert!(error.reason.contains("int type of"), "{error:?}");
        }
        assert!(Btf::parse(&blob(&[1, info(KIND_INT, 0), 16, 128], b"\0int\0")).is_ok());
    }

    #[test]
    fn cyclic_aliases_are_an_error_not_a_hang() {
        #[rustfmt::skip]
        let types = [
            0, info(KIND_TYPEDEF, 0), 2,
            0, info(KIND_CONST, 0), 1,
        ];
        let btf = Btf::parse(&blob(&types, b"\0")).expect("parses");
        assert!(btf.size_of(1).is_err());
    }

    /// strings: 0:"" 1:"prog" 6:"comment:test_expect_failure" 34:"comment:test_retval=7" 56:"x"
    const TAG_STRINGS: &[u8] = b"\0prog\0comment:test_expect_failure\0comment:test_retval=7\0x\0";

    #[test]
    fn function_tags_are_read_in_order_and_parameter_tags_are_not_function_tags() {
        #[rustfmt::skip]
        let types = [
            /* 1 int */ 56, info(KIND_INT, 0), 4, 32,
            /* 2 proto int(int) */ 0, info(KIND_FUNC_PROTO, 1), 1, 0, 1,
            /* 3 func prog */ 1, info(KIND_FUNC, 0), 2,
            /* 4 tag on prog */ 6, info(KIND_DECL_TAG, 0), 3, u32::MAX,
            /* 5 tag on prog */ 34, info(KIND_DECL_TAG, 0), 3, u32::MAX,
            /* 6 tag on parameter 0 */ 56, info(KIND_DECL_TAG, 0), 3, 0,
            /* 7 tag on a type, not a function */ 56, info(KIND_DECL_TAG, 0), 1, u32::MAX,
        ];
        let btf = Btf::parse(&blob(&types, TAG_STRINGS)).expect("valid BTF");
        let tags = btf.function_decl_tags().expect("valid tags");
        assert_eq!(tags.len(), 1);
        assert_eq!(tags["prog"], ["comment:test_expect_failure", "comment:test_retval=7"]);
    }

    #[test]
    fn malformed_decl_tags_are_errors() {
        #[rustfmt::skip]
        let dangling = [
            /* 1 tag on type 9, which does not exist */ 6, info(KIND_DECL_TAG, 0), 9, u32::MAX,
        ];
        let error = Btf::parse(&blob(&dangling, TAG_STRINGS)).expect("parses").function_decl_tags().unwrap_err();
        assert!(error.reason.contains("decl tag 1") && error.reason.contains("does not exist"), "{error:?}");

        #[rustfmt::skip]
        let bad_parameter = [
            /* 1 proto void() */ 0, info(KIND_FUNC_PROTO, 0), 0,
            /* 2 func prog */ 1, info(KIND_FUNC, 0), 1,
            /* 3 tag on parameter 2 of a function without parameters */ 6, info(KIND_DECL_TAG, 0), 2, 2,
        ];
        let error = Btf::parse(&blob(&bad_parameter, TAG_STRINGS)).expect("parses").function_decl_tags().unwrap_err();
        assert!(error.reason.contains("component 2"), "{error:?}");

        // A tag record cut short is a parse error, not a read past the end.
        assert!(Btf::parse(&blob(&[6, info(KIND_DECL_TAG, 0), 1], TAG_STRINGS)).is_err());
    }

    #[test]
    fn truncation_is_reported_with_an_offset() {
        let mut bytes = blob(&[0, info(KIND_ARRAY, 0), 0, 1], b"\0");
        bytes.truncate(bytes.len() - 1);
        assert!(Btf::parse(&bytes).is_err());
        assert_eq!(Btf::parse(&[0x9f]).unwrap_err().offset, 0);
    }
}
