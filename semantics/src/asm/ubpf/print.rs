//! Instructions and programs back into uBPF-syntax text that [`super::parse`] reads.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::parse::LDDW_KINDS;
use crate::isa::{AtomicOp, BinOp, ByteOrder, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width};
use crate::program::Program;

fn reg(r: Reg) -> String {
    format!("%r{}", r.number())
}

fn operand(src: Operand) -> String {
    match src {
        Operand::Reg(r) => reg(r),
        Operand::Imm(imm) => imm.to_string(),
    }
}

fn memory(base: Reg, off: i16) -> String {
    if off == 0 { format!("[{}]", reg(base)) } else { format!("[{}{:+}]", reg(base), off) }
}

fn size(size: Size) -> &'static str {
    match size {
        Size::B => "b",
        Size::H => "h",
        Size::W => "w",
        Size::DW => "dw",
    }
}

fn width32(width: Width) -> &'static str {
    match width {
        Width::W32 => "32",
        Width::W64 => "",
    }
}

fn bin_op(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "div",
        BinOp::SDiv => "sdiv",
        BinOp::Or => "or",
        BinOp::And => "and",
        BinOp::Lsh => "lsh",
        BinOp::Rsh => "rsh",
        BinOp::Mod => "mod",
        BinOp::SMod => "smod",
        BinOp::Xor => "xor",
        BinOp::Mov => "mov",
        BinOp::Arsh => "arsh",
    }
}

fn cond(cond: Cond) -> &'static str {
    match cond {
        Cond::Eq => "jeq",
        Cond::Ne => "jne",
        Cond::Set => "jset",
        Cond::Gt => "jgt",
        Cond::Ge => "jge",
        Cond::Lt => "jlt",
        Cond::Le => "jle",
        Cond::SGt => "jsgt",
        Cond::SGe => "jsge",
        Cond::SLt => "jslt",
        Cond::SLe => "jsle",
    }
}

fn atomic_op(op: AtomicOp) -> &'static str {
    match op {
        AtomicOp::Add => "add",
        AtomicOp::Or => "or",
        AtomicOp::And => "and",
        AtomicOp::Xor => "xor",
        AtomicOp::Xchg => "xchg",
        AtomicOp::CmpXchg => "cmpxchg",
    }
}

/// A relative slot offset as a jump operand: `+3`, `-1`, `+0`.
fn relative(offset: i64) -> String {
    format!("{offset:+}")
}

/// How the target of a pc-relative instruction is written: a label name, or `+N`.
type TargetText<'a> = &'a dyn Fn(i64) -> String;

/// Prints one instruction; `target` spells the pc-relative offset of jumps, local calls and
/// code-address loads.
fn insn_with(insn: &Insn, target: TargetText<'_>) -> String {
    match *insn {
        Insn::Alu { width, op, dst, src } => format!("{}{} {}, {}", bin_op(op), width32(width), reg(dst), operand(src)),
        Insn::Neg { width, dst } => format!("neg{} {}", width32(width), reg(dst)),
        Insn::MovSx { width, dst, src, from } => {
            let width_bits = if width == Width::W32 { 32 } else { 64 };
            format!("movsx{}{} {}, {}", from.bits(), width_bits, reg(dst), reg(src))
        }
        Insn::AddrSpaceCast { dst, src, cast } => {
            let (dst_as, src_as) = cast.spaces();
            format!("addr_space_cast {}, {}, {dst_as}, {src_as}", reg(dst), reg(src))
        }
        Insn::Endian { order, dst, bits } => {
            let name = match order {
                ByteOrder::ToLe => "le",
                ByteOrder::ToBe => "be",
                ByteOrder::Swap => "bswap",
            };
            format!("{name}{bits} {}", reg(dst))
        }
        Insn::Lddw { dst, kind: LddwKind::Imm64, imm, next_imm } => {
            format!("lddw {}, {:#x}", reg(dst), Insn::lddw_value(imm, next_imm))
        }
        Insn::Lddw { dst, kind, imm, next_imm } => {
            let name = LDDW_KINDS.iter().find(|(_, k)| *k == kind).map(|(n, _)| *n).expect("every kind but Imm64");
            let first = if kind == LddwKind::CodeAddr { relative(imm.into()) } else { imm.to_string() };
            if kind == LddwKind::CodeAddr && next_imm == 0 {
                let named = target(imm.into());
                if !named.starts_with(['+', '-']) {
                    return format!("lddw {}, {named}", reg(dst));
                }
            }
            match next_imm {
                0 => format!("lddw {}, {name}({first})", reg(dst)),
                next => format!("lddw {}, {name}({first}, {next})", reg(dst)),
            }
        }
        Insn::LoadPacket { size: s, addr: PacketAddr::Abs, imm } => format!("ldabs{} {imm}", size(s)),
        Insn::LoadPacket { size: s, addr: PacketAddr::Ind(src), imm } => {
            format!("ldind{} {}, {imm}", size(s), reg(src))
        }
        Insn::Load { size: s, signed, dst, src, off } => {
            format!("ldx{}{} {}, {}", if signed { "s" } else { "" }, size(s), reg(dst), memory(src, off))
        }
        Insn::Store { size: s, dst, off, src: Operand::Imm(imm) } => {
            format!("st{} {}, {imm}", size(s), memory(dst, off))
        }
        Insn::Store { size: s, dst, off, src: Operand::Reg(src) } => {
            format!("stx{} {}, {}", size(s), memory(dst, off), reg(src))
        }
        Insn::Atomic { size: s, op, fetch, dst, off, src } => {
            let always_fetches = matches!(op, AtomicOp::Xchg | AtomicOp::CmpXchg);
            let fetch = if fetch && !always_fetches { "fetch " } else { "" };
            let suffix = if s == Size::W { "32" } else { "" };
            format!("lock {fetch}{}{suffix} {}, {}", atomic_op(op), memory(dst, off), reg(src))
        }
        Insn::Ja { off } => format!("ja {}", target(off.into())),
        Insn::Ja32 { imm } => format!("ja32 {}", target(imm.into())),
        Insn::MayGoto { off } => format!("may_goto {}", target(off.into())),
        Insn::Jump { width, cond: c, dst, src, off } => {
            format!("{}{} {}, {}, {}", cond(c), width32(width), reg(dst), operand(src), target(off.into()))
        }
        Insn::Call(CallTarget::Helper(id)) => format!("call {id}"),
        Insn::Call(CallTarget::Local(imm)) => format!("call local {}", target(imm.into())),
        Insn::Call(CallTarget::Kfunc { btf_id, btf_obj: 0 }) => format!("call runtime {btf_id}"),
        Insn::Call(CallTarget::Kfunc { btf_id, btf_obj }) => format!("call runtime {btf_id}, {btf_obj}"),
        Insn::Callx { reg: r } => format!("callx {}", reg(r)),
        Insn::Gotox { reg: r } => format!("gotox {}", reg(r)),
        Insn::Exit => "exit".to_owned(),
    }
}

/// Prints one instruction with numeric offsets (`ja +3`, `call local -2`).
pub fn print_insn(insn: &Insn) -> String {
    insn_with(insn, &relative)
}

/// Prints a program: `.jumptable` directives first, then the instructions with a `NAME:`
/// line before each labelled slot. Targets that have a label are printed by name, others
/// as `+N`; a jump-table entry must be a label, so an unlabelled table target gets the
/// label `L<slot>`.
pub fn print(program: &Program) -> String {
    let mut labels: BTreeMap<usize, String> = program.labels().clone();
    for table in program.jump_tables() {
        for &slot in &table.targets {
            labels.entry(slot).or_insert_with(|| format!("L{slot}"));
        }
    }
    let mut out = String::new();
    for table in program.jump_tables() {
        let entries: Vec<&str> = table.targets.iter().map(|slot| labels[slot].as_str()).collect();
        let separator = if entries.is_empty() { "" } else { " " };
        writeln!(out, ".jumptable {}{separator}{}", table.name, entries.join(", "))
            .expect("writing to a String cannot fail");
    }
    for decoded in program.insns() {
        if let Some(label) = labels.get(&decoded.pc) {
            writeln!(out, "{label}:").expect("writing to a String cannot fail");
        }
        let line = match program.table_loads().get(&decoded.pc) {
            Some(id) => {
                let Insn::Lddw { dst, .. } = decoded.insn else { unreachable!("Program checks table loads are lddw") };
                let table = &program.jump_tables()[id.0 as usize];
                format!("lddw {}, {}", reg(dst), table.name)
            }
            None => {
                let pc = decoded.pc as i64;
                let name = |offset: i64| -> String {
                    usize::try_from(pc + 1 + offset)
                        .ok()
                        .and_then(|slot| labels.get(&slot))
                        .cloned()
                        .unwrap_or_else(|| relative(offset))
                };
                insn_with(&decoded.insn, &name)
            }
        };
        writeln!(out, "    {line}").expect("writing to a String cannot fail");
    }
    if let Some(label) = labels.get(&program.slots()) {
        writeln!(out, "{label}:").expect("writing to a String cannot fail");
    }
    out
}
