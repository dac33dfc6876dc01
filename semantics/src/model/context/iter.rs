//! Iterator contexts (`iter/<target>` programs): `struct bpf_iter__<target>`, whose members
//! are pointers to the iterator's state (`bpf_iter_meta`) and to what it visits. The kernel
//! reads them as BTF-typed tracing arguments, with the types each target registers
//! (`ctx_arg_info`); a target the table does not hold keeps a raw context, whose pointer
//! members load as numbers.
//!
//! The members are read-only and load whole. `bpf_iter_meta` is read with its layout;
//! its `seq` is the `seq_file` the `seq_*` helpers write to.

use super::{AttachedBuffer, ContextField, ContextLayout, FieldInit, FieldKind, Fields, Shape, pointer, value};
use crate::model::kfuncs::ObjectKind;

/// One iterator target: the attach name and its context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IterTarget {
    /// The attach target (`bpf_map_elem` in `iter/bpf_map_elem`).
    pub name: &'static str,
    /// The context structure's members.
    pub layout: &'static ContextLayout,
}

impl IterTarget {
    /// The attached buffers the context points to, by member offset (a run gives them the
    /// visited element's bytes, in this order).
    pub fn buffers(&self) -> impl Iterator<Item = (&'static ContextField, AttachedBuffer)> + use<> {
        let fields: &'static [ContextField] = self.layout.fields;
        fields.iter().filter_map(|f| match f.kind {
            FieldKind::AttachedBuffer { buffer, .. } => Some((f, buffer)),
            _ => None,
        })
    }
}

const META_FIELDS: &[ContextField] = &[
    pointer("seq", 0, 8, FieldKind::Object { kind: ObjectKind::SeqFile, nullable: false }),
    value("session_id", 8, 8, Shape::Narrow, FieldInit::Const(0)),
    value("seq_num", 16, 8, Shape::Narrow, FieldInit::Const(0)),
];

/// `struct bpf_iter_meta`: the output file, the session and the number of the element.
pub static ITER_META: ContextLayout = ContextLayout {
    name: "bpf_iter_meta",
    flavour: "iterator",
    size: 24,
    fields: META_FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// The `meta` member every iterator context starts with.
const META: ContextField = pointer("meta", 0, 8, FieldKind::Struct { target: &ITER_META, nullable: false });

const MAP_ELEM_FIELDS: &[ContextField] = &[
    META,
    pointer("map", 8, 8, FieldKind::Opaque),
    pointer(
        "key",
        16,
        8,
        FieldKind::AttachedBuffer { buffer: AttachedBuffer::MapKey, nullable: true, writable: false },
    ),
    pointer(
        "value",
        24,
        8,
        FieldKind::AttachedBuffer { buffer: AttachedBuffer::MapValue, nullable: true, writable: true },
    ),
];

/// `struct bpf_iter__bpf_map_elem`: the map, and the key (read-only) and value (writable)
/// of the visited element, both NULL on the call after the last element.
pub static BPF_MAP_ELEM: ContextLayout = ContextLayout {
    name: "bpf_iter__bpf_map_elem",
    flavour: "iter/bpf_map_elem",
    size: 32,
    fields: MAP_ELEM_FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// The targets the model describes.
pub static TARGETS: &[IterTarget] = &[IterTarget { name: "bpf_map_elem", layout: &BPF_MAP_ELEM }];

/// The target named `name` (the part of the section after `iter/`), if described.
pub fn target(name: &str) -> Option<&'static IterTarget> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Every layout of this file, for checks over all of them.
pub static LAYOUTS: &[&ContextLayout] = &[&ITER_META, &BPF_MAP_ELEM];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::{BtfStruct, loadable_field};

    #[test]
    fn map_element_members_load_whole_and_never_store() {
        let elem = target("bpf_map_elem").expect("described");
        for offset in [0, 8, 16, 24] {
            assert!(loadable_field(elem.layout, offset, 8, false).is_ok(), "member at {offset}");
            assert!(loadable_field(elem.layout, offset, 4, false).is_err(), "narrow load at {offset}");
            assert!(super::super::storable_field(elem.layout, offset, 8).is_err(), "store at {offset}");
        }
        let buffers: Vec<_> = elem.buffers().map(|(f, b)| (f.name, b)).collect();
        assert_eq!(buffers, [("key", AttachedBuffer::MapKey), ("value", AttachedBuffer::MapValue)]);
        assert_eq!(BtfStruct::of_layout(&ITER_META), Some(BtfStruct::IterMeta));
        assert!(target("task_vma").is_none());
    }

    #[test]
    fn meta_gives_the_seq_file_and_numbers() {
        let seq = loadable_field(&ITER_META, 0, 8, false).expect("seq loads");
        assert_eq!(seq.kind, FieldKind::Object { kind: ObjectKind::SeqFile, nullable: false });
        assert!(loadable_field(&ITER_META, 8, 4, false).is_ok());
        assert!(loadable_field(&ITER_META, 24, 8, false).is_err());
    }
}
