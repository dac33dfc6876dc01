//! `struct bpf_sysctl` (kernel/bpf/cgroup.c `sysctl_is_valid_access`): `write` read-only,
//! `file_pos` readable narrowly and writable whole. Defaults: a read at position 0.

use super::{ContextField, ContextLayout, FieldInit, Fields, Shape, value};

const FIELDS: &[ContextField] = &[
    value("write", 0, 4, Shape::Narrow, FieldInit::Const(0)),
    value("file_pos", 4, 4, Shape::Narrow, FieldInit::Const(0)),
];

/// cgroup/sysctl programs.
pub static SYSCTL: ContextLayout = ContextLayout {
    name: "bpf_sysctl",
    flavour: "cgroup_sysctl",
    size: 8,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::Only(&["file_pos"]),
    packet_writes: false,
};

/// Every flavour of `bpf_sysctl`.
pub static LAYOUTS: &[&ContextLayout] = &[&SYSCTL];
