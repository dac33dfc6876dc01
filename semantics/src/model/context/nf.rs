//! `struct bpf_nf_ctx` (net/netfilter/nf_bpf_link.c `nf_is_valid_access`): two read-only
//! 64-bit pointers to kernel objects (`state`, `skb`), which the model does not describe:
//! a program may pass them on (to kfuncs) but not dereference them.

use super::{ContextField, ContextLayout, FieldKind, Fields, pointer};

const FIELDS: &[ContextField] = &[pointer("state", 0, 8, FieldKind::Opaque), pointer("skb", 8, 8, FieldKind::Opaque)];

/// netfilter programs.
pub static NF: ContextLayout = ContextLayout {
    name: "bpf_nf_ctx",
    flavour: "netfilter",
    size: 16,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// Every flavour of `bpf_nf_ctx`.
pub static LAYOUTS: &[&ContextLayout] = &[&NF];
