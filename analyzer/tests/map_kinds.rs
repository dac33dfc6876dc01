//! Map kinds in the analyzer: maps of maps (a lookup gives an inner map handle with the
//! template's sizes), the values of a map reached both directly and through its outer map,
//! and the helpers each map type may be passed to. Each case gives the failed obligations
//! as `pc KIND STATUS` lines, or `PASS`.

mod common;

use bpfprove_analyzer::Config;
use bpfprove_analyzer::subject::MapInfo;
use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::model::maps::MapType;
use common::{Surroundings, assert_outcome};

/// A map of type `map_type`.
fn map(name: &str, map_type: MapType, kind: MapKind, key_size: u32, value_size: u32) -> MapInfo {
    MapInfo {
        name: name.into(),
        kind,
        key_size,
        value_size,
        data: None,
        map_type: Some(map_type),
        inner: None,
        template: false,
        access: bpfprove_semantics::model::maps::ProgramAccess::READ_WRITE,
        spin_lock: None,
    }
}

/// Map 0 a hash (8-byte values) that map 1, an array of maps, holds; map 2 the template of
/// map 1's inner maps; map 3 a queue.
fn maps() -> Vec<MapInfo> {
    let mut outer = map("outer", MapType::ArrayOfMaps, MapKind::ArrayOfMaps, 4, 4);
    outer.inner = Some(MapId(2));
    let mut template = map("outer.inner", MapType::Hash, MapKind::Hash, 4, 8);
    template.template = true;
    vec![
        map("direct", MapType::Hash, MapKind::Hash, 4, 8),
        outer,
        template,
        map("queue", MapType::Queue, MapKind::Queue, 0, 8),
    ]
}

fn check(text: &str, expect: &str) {
    let config = Config::standard(DomainKind::Product);
    let got = common::outcome(text, ProgramType::SocketFilter, config, Surroundings { maps: maps(), kfuncs: &[] });
    assert_outcome(&got, expect, text);
}

/// Looks up key 0 (at `r10 - 4`) of the outer map; `r0` is the inner map or NULL.
const OUTER_LOOKUP: &str = "*(u32 *)(r10 - 4) = 0\nld_pseudo r1, 0x5, 0x1\nr2 = r10\nr2 += -4\ncall 1\n";
/// Looks up key 0 of the inner map in `r0`; `r0` is its value or NULL.
const INNER_LOOKUP: &str = "r1 = r0\nr2 = r10\nr2 += -4\ncall 1\n";

#[test]
fn an_inner_map_from_a_map_of_maps_has_the_templates_sizes() {
    let read = |offset: u32| {
        format!(
            "{OUTER_LOOKUP}if r0 == 0 goto out\n{INNER_LOOKUP}if r0 == 0 goto out\nr1 = *(u64 *)(r0 + {offset})\nout:\nr0 = 0\nexit\n"
        )
    };
    check(&read(0), "PASS");
    // Unsafe twin: the template's values have 8 bytes.
    check(&read(8), "12 map-bounds refuted");
}

#[test]
fn an_inner_map_may_be_null_until_checked() {
    check(&format!("{OUTER_LOOKUP}{INNER_LOOKUP}r0 = 0\nexit\n"), "9 helper-argument unknown");
}

#[test]
fn deleting_through_the_map_itself_frees_values_reached_through_its_outer_map() {
    // r6: a value of the inner map reached through the outer map; then key 0 is deleted
    // from map 0 directly, which may be that inner map.
    let program = |delete: &str| {
        format!(
            "{OUTER_LOOKUP}if r0 == 0 goto out\n{INNER_LOOKUP}if r0 == 0 goto out\nr6 = r0\n{delete}\
             r1 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit\n"
        )
    };
    let delete = "ld_pseudo r1, 0x5, 0x0\nr2 = r10\nr2 += -4\ncall 3\n";
    check(&program(""), "PASS");
    check(&program(delete), "18 dereference refuted");
}

#[test]
fn map_types_take_only_their_kernels_helpers() {
    // A queue has no lookup (only push, pop and peek).
    let queue = "*(u32 *)(r10 - 4) = 0\nld_pseudo r1, 0x5, 0x3\nr2 = r10\nr2 += -4\ncall 1\nr0 = 0\nexit\n";
    check(queue, "5 helper-argument refuted");
    // Programs cannot update a map of maps.
    let update = "*(u32 *)(r10 - 4) = 0\nld_pseudo r1, 0x5, 0x1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -4\nr4 = 0\n\
                  call 2\nr0 = 0\nexit\n";
    check(update, "8 helper-argument refuted");
}
