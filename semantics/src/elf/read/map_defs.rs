//! Map definitions: BTF-defined maps in `.maps`, legacy `struct bpf_map_def`s in `maps` of
//! every historical size, and map-in-map templates from both, each checked against the
//! kernel's creation rules ([`crate::model::maps::violation`]).

use std::collections::{BTreeMap, HashMap};

use object::read::SectionIndex;
use object::read::elf::SectionHeader as _;

use super::{Endian, File, STT_FUNC, STT_NOTYPE, STT_OBJECT, Symbol, btf_error, section_by_name};
use crate::elf::btf::{Btf, BtfMapDef};
use crate::elf::{ElfError, ElfErrorKind, MapDef, MapExtras, MapId, MapOrigin};
use crate::model::maps::{MapType, libbpf_max_entries, violation};

/// The possible CPUs of the modelled machine, which libbpf gives a perf event array
/// defined with no size. Runs execute on CPU 0.
const MODEL_CPUS: u32 = 1;

/// The fields of `struct bpf_map_def` every loader reads: type, key_size, value_size,
/// max_entries.
const LEGACY_MIN_BYTES: u64 = 16;
/// libbpf's `struct bpf_map_def`: the four fields and `map_flags`. Bytes past it are
/// refused unless zero, as libbpf did, except in the two layouts below.
const LEGACY_LIBBPF_BYTES: u64 = 20;
/// samples/bpf's `struct bpf_map_def`: `inner_map_idx` (the index, in the section, of
/// an outer map's template) and `numa_node` follow.
const LEGACY_SAMPLES_BYTES: u64 = 28;
/// iproute2's `struct bpf_elf_map`: `id`, `pinning`, `inner_id` (the `id` of an outer
/// map's template) and `inner_idx` (the slot of an inner map in its outer map) follow.
const LEGACY_IPROUTE2_BYTES: u64 = 36;

/// Reads the map symbols of `.maps` (through BTF) and `maps` (legacy definitions), appends
/// their definitions to `maps` (then the inner-map templates), and returns (section,
/// symbol value) → map.
pub(super) fn read_map_definitions(
    file: &File<'_>,
    symbols: &[Symbol],
    btf: Option<&Btf>,
    maps: &mut Vec<MapDef>,
) -> Result<HashMap<(usize, u64), MapId>, ElfError> {
    let mut by_place = HashMap::new();
    if let Some((index, _)) = section_by_name(file, ".maps") {
        let Some(btf) = btf else {
            return Err(ElfError::new(".maps", 0, ElfErrorKind::BadMap("`.maps` without `.BTF`".into())));
        };
        let defs = btf.map_definitions().map_err(|e| btf_error(".BTF", e))?;
        let in_section = map_symbols(symbols, index);
        // Maps declared with `__array(values, ...)`: (map, its `values` area in the section, inner template).
        let mut with_values = Vec::new();
        for (i, sym) in in_section.iter().enumerate() {
            let bad = |what: String| ElfError::new(".maps", sym.value, ElfErrorKind::BadMap(what));
            let d = defs.get(&sym.name).ok_or_else(|| bad(format!("no BTF definition for `{}`", sym.name)))?;
            let def = btf_map(&sym.name, d).map_err(bad)?;
            let id = MapId(maps.len() as u32);
            if let Some(values_offset) = d.values_offset {
                // A symbol without a size (hand-written) extends to the next map.
                let next = in_section.get(i + 1).map_or(u64::MAX, |s| s.value);
                let end = if sym.size > 0 { sym.value.saturating_add(sym.size) } else { next };
                let start = sym.value + u64::from(values_offset);
                with_values.push((id, sym.value, start..end, d.inner.as_deref().cloned()));
            }
            maps.push(def);
            by_place.insert((index.0, sym.value), id);
        }
        let mut initial = values_initialisers(file, symbols, index)?;
        for (outer, place, area, inner) in with_values {
            let entries: Vec<(u64, Symbol)> = initial.range(area.clone()).map(|(&o, s)| (o, s.clone())).collect();
            for (offset, _) in &entries {
                initial.remove(offset);
            }
            let values = ValuesArea { outer, place, start: area.start, inner };
            bind_values(maps, values, &entries, index, &by_place)?;
        }
        if let Some((&offset, sym)) = initial.iter().next() {
            return Err(ElfError::new(
                ".maps",
                offset,
                ElfErrorKind::BadRelocation(format!("`{}` is used outside the `values` of a map", sym.name)),
            ));
        }
    }
    if let Some((index, bytes)) = section_by_name(file, "maps") {
        read_legacy_maps(symbols, index, bytes, maps, &mut by_place)?;
    }
    for def in maps.iter_mut().filter(|def| !matches!(def.origin, MapOrigin::Data { .. })) {
        def.max_entries = libbpf_max_entries(def.map_type, def.max_entries, MODEL_CPUS);
    }
    check_definitions(maps, &by_place)?;
    Ok(by_place)
}

/// The named object symbols of section `index`, by offset.
fn map_symbols(symbols: &[Symbol], index: SectionIndex) -> Vec<&Symbol> {
    let mut in_section: Vec<&Symbol> = symbols
        .iter()
        .filter(|s| s.section == Some(index) && matches!(s.kind, STT_OBJECT | STT_NOTYPE) && !s.name.is_empty())
        .collect();
    in_section.sort_by_key(|s| s.value);
    in_section
}

/// A map definition from BTF.
fn btf_map(name: &str, d: &BtfMapDef) -> Result<MapDef, String> {
    Ok(MapDef {
        name: name.into(),
        section: ".maps".into(),
        origin: MapOrigin::Btf,
        map_type: d.map_type.ok_or_else(|| format!("map `{name}` has no type"))?,
        key_size: d.key_size.unwrap_or(0),
        value_size: d.value_size.unwrap_or(0),
        max_entries: d.max_entries.unwrap_or(0),
        flags: d.map_flags.unwrap_or(0),
        function_pointer_variables: BTreeMap::new(),
        extras: MapExtras { map_extra: d.map_extra.unwrap_or(0), typed: d.typed, ..MapExtras::default() },
    })
}

/// The relocations of `.maps` (`.values = { [i] = &map }` of a map of maps, `{ [i] = &prog }`
/// of a program array), as offset in the section → the symbol named.
fn values_initialisers(
    file: &File<'_>,
    symbols: &[Symbol],
    maps_section: SectionIndex,
) -> Result<BTreeMap<u64, Symbol>, ElfError> {
    let mut initial = BTreeMap::new();
    for header in file.sections.iter() {
        let Ok(Some((rels, _))) = header.rel(Endian::default(), file.data) else { continue };
        if header.info_link(Endian::default()) != maps_section {
            continue;
        }
        for rel in rels {
            let offset = rel.r_offset.get(Endian::default());
            let index = rel.r_sym(Endian::default()) as usize;
            let sym = symbols.get(index).ok_or_else(|| {
                ElfError::new(".maps", offset, ElfErrorKind::BadRelocation(format!("symbol {index} does not exist")))
            })?;
            initial.insert(offset, sym.clone());
        }
    }
    Ok(initial)
}

/// A map's `__array(values, ...)`: the map, where its definition and its `values` start in
/// `.maps`, and (for a map of maps) its inner map template.
struct ValuesArea {
    outer: MapId,
    place: u64,
    start: u64,
    inner: Option<BtfMapDef>,
}

/// Makes the template of a map of maps, and binds the slots `entries` (the relocations in
/// its `values`) initialise: to maps of `.maps` for a map of maps, to programs for a
/// program array, as libbpf does.
fn bind_values(
    maps: &mut Vec<MapDef>,
    values: ValuesArea,
    entries: &[(u64, Symbol)],
    maps_section: SectionIndex,
    by_place: &HashMap<(usize, u64), MapId>,
) -> Result<(), ElfError> {
    let ValuesArea { outer, place, start, inner } = values;
    let outer_def = &maps[outer.0 as usize];
    let name = outer_def.name.clone();
    let max_entries = outer_def.max_entries;
    let map_type = MapType::from_number(outer_def.map_type);
    let bad_map = |what: String| ElfError::new(".maps", place, ElfErrorKind::BadMap(what));
    let holds_programs = map_type == Some(MapType::ProgArray);
    match (map_type.is_some_and(MapType::holds_maps), holds_programs, inner) {
        (true, _, Some(inner)) => {
            let template = btf_map(&format!("{name}.inner"), &inner).map_err(bad_map)?;
            let template_id = MapId(maps.len() as u32);
            maps.push(MapDef { extras: MapExtras { template: true, ..template.extras.clone() }, ..template });
            maps[outer.0 as usize].extras.inner = Some(template_id);
        }
        (false, true, None) => {}
        (true, _, None) => {
            return Err(bad_map(format!("map of maps `{name}`: its `values` are not map definitions")));
        }
        (false, true, Some(_)) => {
            return Err(bad_map(format!("program array `{name}`: its `values` are not functions")));
        }
        (false, false, _) => {
            return Err(bad_map(format!("map `{name}` has `values` but is neither a map of maps nor a program array")));
        }
    }
    for (offset, sym) in entries {
        let bad = |what: String| ElfError::new(".maps", *offset, ElfErrorKind::BadRelocation(what));
        let slot = (offset - start) / 8;
        if !(offset - start).is_multiple_of(8) || slot >= u64::from(max_entries) {
            return Err(bad(format!("`.values` entry past the end of `{name}`")));
        }
        let slot = slot as u32;
        if holds_programs {
            if sym.kind != STT_FUNC || sym.section.is_none_or(|s| s == maps_section) {
                return Err(bad(format!("`{}` in program array `{name}` is not a program", sym.name)));
            }
            maps[outer.0 as usize].extras.initial_programs.push((slot, sym.name.clone()));
        } else {
            let map = sym
                .section
                .and_then(|section| by_place.get(&(section.0, sym.value)))
                .ok_or_else(|| bad(format!("`{}` in map of maps `{name}` is not a map of `.maps`", sym.name)))?;
            maps[outer.0 as usize].extras.initial_maps.push((slot, *map));
        }
    }
    Ok(())
}

/// Reads legacy definitions of any size: the four fields every loader reads, `map_flags`
/// when present, the map-in-map fields of samples/bpf's and iproute2's layouts, and
/// otherwise only zero bytes past libbpf's `struct bpf_map_def` (libbpf refuses others).
fn read_legacy_maps(
    symbols: &[Symbol],
    index: SectionIndex,
    bytes: &[u8],
    maps: &mut Vec<MapDef>,
    by_place: &mut HashMap<(usize, u64), MapId>,
) -> Result<(), ElfError> {
    let in_section = map_symbols(symbols, index);
    if in_section.is_empty() {
        return Ok(());
    }
    // Symbols without a size (hand-written assembly) share the section equally, as libbpf did.
    let shared_size = bytes.len() as u64 / in_section.len() as u64;
    let first = maps.len();
    // Per map: the two extra fields of its layout.
    let mut links = Vec::with_capacity(in_section.len());
    for sym in &in_section {
        let size = if sym.size > 0 { sym.size } else { shared_size };
        let truncated = |what: String| ElfError::new("maps", sym.value, ElfErrorKind::Truncated(what));
        let words = usize::try_from(sym.value)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
            .ok_or_else(|| truncated(format!("legacy map `{}` ({size} bytes) is past the section's end", sym.name)))?;
        if size < LEGACY_MIN_BYTES {
            return Err(truncated(format!(
                "legacy map `{}` has {size} bytes, fewer than {LEGACY_MIN_BYTES}",
                sym.name
            )));
        }
        let field = |i: usize| words.get(4 * i..4 * i + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let known = match size {
            LEGACY_SAMPLES_BYTES => {
                links.push(Link::Samples { inner_map_idx: field(5) });
                LEGACY_SAMPLES_BYTES
            }
            LEGACY_IPROUTE2_BYTES => {
                links.push(Link::Iproute2 { id: field(5), inner_id: field(7), inner_idx: field(8) });
                LEGACY_IPROUTE2_BYTES
            }
            _ => {
                links.push(Link::None);
                LEGACY_LIBBPF_BYTES.min(size)
            }
        };
        if let Some(at) = words[known as usize..].iter().position(|&b| b != 0) {
            return Err(ElfError::new(
                "maps",
                sym.value + known + at as u64,
                ElfErrorKind::BadMap(format!(
                    "legacy map `{}`: its {size}-byte definition has non-zero bytes past the {known} this loader (like libbpf) knows",
                    sym.name
                )),
            ));
        }
        by_place.insert((index.0, sym.value), MapId(maps.len() as u32));
        maps.push(MapDef {
            name: sym.name.clone(),
            section: "maps".into(),
            origin: MapOrigin::Legacy,
            map_type: field(0),
            key_size: field(1),
            value_size: field(2),
            max_entries: field(3),
            flags: if size >= LEGACY_LIBBPF_BYTES { field(4) } else { 0 },
            function_pointer_variables: BTreeMap::new(),
            extras: MapExtras::default(),
        });
    }
    link_legacy_templates(&in_section, &links, first, maps)
}

/// The map-in-map fields of a legacy layout.
#[derive(Clone, Copy, Debug)]
enum Link {
    None,
    Samples { inner_map_idx: u32 },
    Iproute2 { id: u32, inner_id: u32, inner_idx: u32 },
}

/// Points every legacy map of maps (numbered from `first` in `maps`) at its template.
fn link_legacy_templates(
    in_section: &[&Symbol],
    links: &[Link],
    first: usize,
    maps: &mut [MapDef],
) -> Result<(), ElfError> {
    for (i, link) in links.iter().enumerate() {
        let outer = first + i;
        if !MapType::from_number(maps[outer].map_type).is_some_and(MapType::holds_maps) {
            continue;
        }
        let bad = |what: String| ElfError::new("maps", in_section[i].value, ElfErrorKind::BadMap(what));
        let template = match *link {
            Link::Samples { inner_map_idx } => {
                let index = inner_map_idx as usize;
                (index < links.len() && index != i).then_some(first + index).ok_or_else(|| {
                    bad(format!("map of maps `{}`: inner_map_idx {inner_map_idx} names no other map", maps[outer].name))
                })?
            }
            Link::Iproute2 { inner_id, .. } => {
                let found =
                    links.iter().position(|l| matches!(l, Link::Iproute2 { id, .. } if *id == inner_id && *id != 0));
                first
                    + found
                        .ok_or_else(|| bad(format!("map of maps `{}`: no map has id {inner_id}", maps[outer].name)))?
            }
            Link::None => {
                return Err(bad(format!(
                    "map of maps `{}` has no inner map template (a {}-byte legacy definition has no inner_map_idx)",
                    maps[outer].name, in_section[i].size
                )));
            }
        };
        maps[outer].extras.inner = Some(MapId(template as u32));
        // iproute2 puts the template itself at its `inner_idx`.
        if let Link::Iproute2 { inner_idx, .. } = links[template - first]
            && inner_idx < maps[outer].max_entries
        {
            maps[outer].extras.initial_maps.push((inner_idx, MapId(template as u32)));
        }
    }
    Ok(())
}

/// Applies the kernel's creation rules to every definition, and checks that each map of
/// maps has a template that may be an inner map and initial maps that match it.
fn check_definitions(maps: &[MapDef], by_place: &HashMap<(usize, u64), MapId>) -> Result<(), ElfError> {
    let place_of =
        |id: usize| -> u64 { by_place.iter().find(|(_, m)| m.0 as usize == id).map_or(0, |((_, offset), _)| *offset) };
    for (id, def) in maps.iter().enumerate() {
        if matches!(def.origin, MapOrigin::Data { .. }) {
            continue;
        }
        let bad = |what: String| ElfError::new(def.section.clone(), place_of(id), ElfErrorKind::BadMap(what));
        if let Some(why) = violation(&def.shape()) {
            return Err(bad(format!("map `{}`: {why}", def.name)));
        }
        let holds_maps = MapType::from_number(def.map_type).is_some_and(MapType::holds_maps);
        match (holds_maps, def.extras.inner) {
            (true, None) => return Err(bad(format!("map of maps `{}` has no inner map template", def.name))),
            (true, Some(template)) => {
                let inner = &maps[template.0 as usize];
                let inner_type = MapType::from_number(inner.map_type);
                if inner_type.is_none_or(|t| t.holds_maps() || matches!(t, MapType::ProgArray | MapType::StructOps)) {
                    return Err(bad(format!(
                        "map of maps `{}`: a {} map cannot be an inner map",
                        def.name,
                        inner_type.map_or("unknown", MapType::name)
                    )));
                }
                for &(slot, map) in &def.extras.initial_maps {
                    let m = &maps[map.0 as usize];
                    // Linux's `bpf_map_meta_equal`, without the flags that only inner arrays may differ in.
                    if (m.map_type, m.key_size, m.value_size) != (inner.map_type, inner.key_size, inner.value_size) {
                        return Err(bad(format!(
                            "map of maps `{}`: `{}` at slot {slot} does not match the inner map template",
                            def.name, m.name
                        )));
                    }
                }
            }
            (false, _) => {}
        }
    }
    Ok(())
}
