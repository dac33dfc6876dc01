//! `struct bpf_cgroup_dev_ctx` (kernel/bpf/cgroup.c `cgroup_dev_is_valid_access`):
//! read-only; `access_type` narrowly, `major` and `minor` whole. Defaults: a read of the
//! character device 1:3 (`/dev/null`).

use super::{ContextField, ContextLayout, FieldInit, Fields, Shape, value};
use FieldInit::Const;

const FIELDS: &[ContextField] = &[
    // BPF_DEVCG_DEV_CHAR | BPF_DEVCG_ACC_READ << 16.
    value("access_type", 0, 4, Shape::Narrow, Const(2 | (2 << 16))),
    value("major", 4, 4, Shape::Whole, Const(1)),
    value("minor", 8, 4, Shape::Whole, Const(3)),
];

/// cgroup/dev programs.
pub static CGROUP_DEV: ContextLayout = ContextLayout {
    name: "bpf_cgroup_dev_ctx",
    flavour: "cgroup_dev",
    size: 12,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// Every flavour of `bpf_cgroup_dev_ctx`.
pub static LAYOUTS: &[&ContextLayout] = &[&CGROUP_DEV];
