//! `struct bpf_perf_event_data` on x86-64 (kernel/trace/bpf_trace.c
//! `pe_prog_is_valid_access`): read-only; the registers as whole 64-bit words, the sample
//! period and address also narrowly. Defaults: zero registers, period 1.

use super::{ContextField, ContextLayout, FieldInit, Fields, PT_REGS_BYTES, Shape, value};
use FieldInit::Const;

const FIELDS: &[ContextField] = &[
    value("regs", 0, PT_REGS_BYTES as u32, Shape::Wide, Const(0)),
    value("sample_period", PT_REGS_BYTES as u32, 8, Shape::Narrow, Const(1)),
    value("addr", PT_REGS_BYTES as u32 + 8, 8, Shape::Narrow, Const(0)),
];

/// perf_event programs.
pub static PERF_EVENT: ContextLayout = ContextLayout {
    name: "bpf_perf_event_data",
    flavour: "perf_event",
    size: PT_REGS_BYTES as u32 + 16,
    fields: FIELDS,
    readable: Fields::All,
    writable: Fields::None,
    packet_writes: false,
};

/// Every flavour of `bpf_perf_event_data`.
pub static LAYOUTS: &[&ContextLayout] = &[&PERF_EVENT];
