//! Proptest strategies for instructions and programs, shared by the crate's property tests
//! (codec round trips, both assembly syntaxes).
//!
//! [`insn`] generates exactly the instructions [`super::decode`] can produce, so
//! `decode ∘ encode` is the identity on them. [`program`] generates small valid programs
//! whose every jump, call, code-address load and jump-table entry targets a labelled slot,
//! which is what a printer needs to write them back symbolically.

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;

use super::{
    AddrSpace, AtomicOp, BinOp, ByteOrder, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width,
};
use crate::program::{JumpTable, JumpTableId, Program, ProgramParts};

/// Any register `r0`..`r10`.
pub(crate) fn reg() -> impl Strategy<Value = Reg> {
    (0u8..=10).prop_map(|n| Reg::new(n).expect("0..=10 is a register"))
}

pub(crate) fn width() -> impl Strategy<Value = Width> {
    prop_oneof![Just(Width::W32), Just(Width::W64)]
}

pub(crate) fn size() -> impl Strategy<Value = Size> {
    prop_oneof![Just(Size::B), Just(Size::H), Just(Size::W), Just(Size::DW)]
}

/// Immediates biased towards the edges, where printing and range checks go wrong.
pub(crate) fn imm32() -> impl Strategy<Value = i32> {
    prop_oneof![any::<i32>(), Just(0), Just(-1), Just(i32::MIN), Just(i32::MAX), -16i32..16]
}

pub(crate) fn off16() -> impl Strategy<Value = i16> {
    prop_oneof![any::<i16>(), Just(0), Just(-1), Just(i16::MIN), Just(i16::MAX), -16i16..16]
}

pub(crate) fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![reg().prop_map(Operand::Reg), imm32().prop_map(Operand::Imm)]
}

fn lddw_kind() -> impl Strategy<Value = LddwKind> {
    prop_oneof![
        3 => Just(LddwKind::Imm64),
        1 => Just(LddwKind::MapFd),
        1 => Just(LddwKind::MapValue),
        1 => Just(LddwKind::VarAddr),
        1 => Just(LddwKind::CodeAddr),
        1 => Just(LddwKind::MapIdx),
        1 => Just(LddwKind::MapIdxValue),
    ]
}

fn atomic_op() -> impl Strategy<Value = AtomicOp> {
    prop::sample::select(vec![
        AtomicOp::Add,
        AtomicOp::Or,
        AtomicOp::And,
        AtomicOp::Xor,
        AtomicOp::Xchg,
        AtomicOp::CmpXchg,
    ])
}

/// Any instruction that [`super::decode`] can produce (e.g. no `ldsx` of 8 bytes, no
/// `movsx` of 32 bits at 32-bit width, `Xchg`/`CmpXchg` always fetching).
pub(crate) fn insn() -> impl Strategy<Value = Insn> {
    let alu = (width(), prop::sample::select(BinOp::ALL.to_vec()), reg(), operand())
        .prop_map(|(width, op, dst, src)| Insn::Alu { width, op, dst, src });
    let neg = (width(), reg()).prop_map(|(width, dst)| Insn::Neg { width, dst });
    let movsx = (width(), reg(), reg(), prop::sample::select(vec![Size::B, Size::H, Size::W]))
        .prop_filter("movsx32 takes 8 or 16 bits", |(w, _, _, from)| !(*w == Width::W32 && *from == Size::W))
        .prop_map(|(width, dst, src, from)| Insn::MovSx { width, dst, src, from });
    let endian = (
        prop::sample::select(vec![ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap]),
        reg(),
        prop::sample::select(vec![16u32, 32, 64]),
    )
        .prop_map(|(order, dst, bits)| Insn::Endian { order, dst, bits });
    let cast = (reg(), reg(), prop::sample::select(vec![AddrSpace::ToKernel, AddrSpace::ToUser]))
        .prop_map(|(dst, src, cast)| Insn::AddrSpaceCast { dst, src, cast });
    let lddw = (reg(), lddw_kind(), imm32(), imm32()).prop_map(|(dst, kind, imm, next_imm)| Insn::Lddw {
        dst,
        kind,
        imm,
        next_imm,
    });
    let packet = (
        prop::sample::select(vec![Size::B, Size::H, Size::W]),
        prop_oneof![Just(PacketAddr::Abs), reg().prop_map(PacketAddr::Ind)],
        imm32(),
    )
        .prop_map(|(size, addr, imm)| Insn::LoadPacket { size, addr, imm });
    let load = (size(), any::<bool>(), reg(), reg(), off16()).prop_map(|(size, signed, dst, src, off)| Insn::Load {
        size,
        signed: signed && size != Size::DW,
        dst,
        src,
        off,
    });
    let store =
        (size(), reg(), off16(), operand()).prop_map(|(size, dst, off, src)| Insn::Store { size, dst, off, src });
    let atomic = (prop::sample::select(vec![Size::W, Size::DW]), atomic_op(), any::<bool>(), reg(), off16(), reg())
        .prop_map(|(size, op, fetch, dst, off, src)| {
            let fetch = fetch || matches!(op, AtomicOp::Xchg | AtomicOp::CmpXchg);
            Insn::Atomic { size, op, fetch, dst, off, src }
        });
    let jump = (width(), prop::sample::select(Cond::ALL.to_vec()), reg(), operand(), off16())
        .prop_map(|(width, cond, dst, src, off)| Insn::Jump { width, cond, dst, src, off });
    let call = prop_oneof![
        imm32().prop_map(CallTarget::Helper),
        imm32().prop_map(CallTarget::Local),
        (imm32(), off16()).prop_map(|(btf_id, btf_obj)| CallTarget::Kfunc { btf_id, btf_obj }),
    ]
    .prop_map(Insn::Call);
    prop_oneof![
        alu,
        neg,
        movsx,
        endian,
        cast,
        lddw,
        packet,
        load,
        store,
        atomic,
        off16().prop_map(|off| Insn::Ja { off }),
        off16().prop_map(|off| Insn::MayGoto { off }),
        imm32().prop_map(|imm| Insn::Ja32 { imm }),
        jump,
        call,
        reg().prop_map(|reg| Insn::Callx { reg }),
        reg().prop_map(|reg| Insn::Gotox { reg }),
        Just(Insn::Exit),
    ]
}

/// Instructions that have no pc-relative target.
fn straight_insn() -> impl Strategy<Value = Insn> {
    insn().prop_filter("no pc-relative target", |i| i.branch_target(0).is_none())
}

/// A label name: an identifier that neither syntax reads as a register or keyword.
pub(crate) fn label_name() -> impl Strategy<Value = String> {
    const RESERVED: [&str; 8] = ["ll", "pc", "kfunc", "btf", "skb", "local", "call", "exit"];
    "[A-Za-z_][A-Za-z0-9_]{0,6}".prop_filter("not a register or keyword", |name| {
        let is_register = |prefix: char| {
            name.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        };
        !RESERVED.contains(&name.as_str()) && !is_register('r') && !is_register('w')
    })
}

/// One instruction of a generated program, with targets as item indices.
#[derive(Clone, Debug)]
enum Item {
    Straight(Insn),
    /// A jump, local call or code-address load (its offset is filled in) to item `target`.
    Branch(Insn, usize),
    /// A plain `lddw` of zero into `dst` that loads the address of table `table`.
    TableLoad(Reg, usize),
}

fn item(items: usize, tables: usize) -> BoxedStrategy<Item> {
    let branch = prop_oneof![
        (width(), prop::sample::select(Cond::ALL.to_vec()), reg(), operand())
            .prop_map(|(width, cond, dst, src)| Insn::Jump { width, cond, dst, src, off: 0 }),
        Just(Insn::Ja { off: 0 }),
        Just(Insn::Ja32 { imm: 0 }),
        Just(Insn::MayGoto { off: 0 }),
        Just(Insn::Call(CallTarget::Local(0))),
        reg().prop_map(|dst| Insn::Lddw { dst, kind: LddwKind::CodeAddr, imm: 0, next_imm: 0 }),
    ];
    let code = prop_oneof![
        4 => straight_insn().prop_map(Item::Straight),
        2 => (branch, 0..items).prop_map(|(insn, target)| Item::Branch(insn, target)),
    ];
    if tables == 0 {
        return code.boxed();
    }
    let table_load = (reg(), 0..tables).prop_map(|(dst, table)| Item::TableLoad(dst, table));
    prop_oneof![6 => code, 1 => table_load].boxed()
}

/// A small valid program: up to 16 instructions, jumps and calls to labelled slots, up to
/// two jump tables with loads of their addresses, and some extra labels.
pub(crate) fn program() -> impl Strategy<Value = Program> {
    (1usize..16, 0usize..3)
        .prop_flat_map(|(items, tables)| {
            (
                vec(item(items, tables), items),
                vec(vec(0..items, 0..4), tables),
                btree_set(label_name(), items + tables + 1),
                vec(any::<bool>(), items + 1),
            )
        })
        .prop_map(|(items, table_entries, names, extra_labels)| {
            build_program(items, table_entries, names, extra_labels)
        })
}

fn build_program(
    items: Vec<Item>,
    table_entries: Vec<Vec<usize>>,
    names: std::collections::BTreeSet<String>,
    extra_labels: Vec<bool>,
) -> Program {
    let mut slot_of = Vec::with_capacity(items.len() + 1);
    let mut slot = 0;
    for item in &items {
        slot_of.push(slot);
        slot += match item {
            Item::Straight(insn) | Item::Branch(insn, _) => insn.slots(),
            Item::TableLoad(..) => 2,
        };
    }
    slot_of.push(slot);
    let mut names = names.into_iter();
    let mut parts = ProgramParts::default();
    for entries in &table_entries {
        let name = names.next().expect("one name per table");
        parts.jump_tables.push(JumpTable { name, targets: entries.iter().map(|&e| slot_of[e]).collect() });
    }
    let mut labelled: Vec<usize> = table_entries.iter().flatten().copied().collect();
    let mut insns = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        insns.push(match *item {
            Item::Straight(insn) => insn,
            Item::Branch(mut insn, target) => {
                labelled.push(target);
                let relative = slot_of[target] as i64 - (slot_of[i] as i64 + 1);
                match &mut insn {
                    Insn::Jump { off, .. } | Insn::Ja { off } | Insn::MayGoto { off } => *off = relative as i16,
                    Insn::Ja32 { imm } | Insn::Call(CallTarget::Local(imm)) | Insn::Lddw { imm, .. } => {
                        *imm = relative as i32
                    }
                    _ => unreachable!("branch items are jumps, calls and code-address loads"),
                }
                insn
            }
            Item::TableLoad(dst, table) => {
                parts.table_loads.insert(slot_of[i], JumpTableId(table as u32));
                Insn::Lddw { dst, kind: LddwKind::Imm64, imm: 0, next_imm: 0 }
            }
        });
    }
    labelled.extend(extra_labels.iter().enumerate().filter(|(_, extra)| **extra).map(|(i, _)| i));
    labelled.sort_unstable();
    labelled.dedup();
    for item in labelled {
        parts.labels.insert(slot_of[item], names.next().expect("one name per item"));
    }
    Program::new(insns, parts).expect("generated programs are valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::{decode, decode_one, encode};

    proptest! {
        #[test]
        fn decode_inverts_encode(insn in insn()) {
            let bytes = encode(&[insn]);
            prop_assert_eq!(bytes.len(), 8 * insn.slots());
            prop_assert_eq!(decode_one(&bytes, 0).expect("encoded instructions decode"), insn);
        }

        #[test]
        fn programs_round_trip_through_bytes(program in program()) {
            let insns: Vec<Insn> = program.insns().iter().map(|d| d.insn).collect();
            let decoded: Vec<Insn> = decode(&program.to_bytes()).expect("decodes").into_iter().map(|d| d.insn).collect();
            prop_assert_eq!(decoded, insns);
        }

        #[test]
        fn decode_never_panics(bytes in vec(any::<u8>(), 0..64)) {
            match decode(&bytes) {
                // An error names a slot of the input (one past the last for a truncation).
                Err(error) => prop_assert!(error.pc <= bytes.len() / 8, "{error:?} for {} bytes", bytes.len()),
                // What decodes re-encodes to the same bytes, slot by slot, except the
                // normalised pre-LLVM-19 `callx`.
                Ok(decoded) => {
                    let reencoded = encode(&decoded.iter().map(|d| d.insn).collect::<Vec<_>>());
                    prop_assert_eq!(reencoded.len(), bytes.len());
                    for (ours, theirs) in reencoded.chunks(8).zip(bytes.chunks(8)) {
                        prop_assert!(ours == theirs || theirs[0] == 0x8d, "{theirs:02x?} -> {ours:02x?}");
                    }
                }
            }
        }

        #[test]
        fn decode_survives_corrupted_instructions(insn in insn(), at in 0usize..16, byte in any::<u8>()) {
            let mut bytes = encode(&[insn]);
            let at = at % bytes.len();
            bytes[at] = byte;
            if let Ok(decoded) = decode(&bytes) {
                // Whatever decodes must encode back to the same bytes, except the
                // normalised pre-LLVM-19 callx.
                let reencoded = encode(&decoded.iter().map(|d| d.insn).collect::<Vec<_>>());
                prop_assert!(reencoded == bytes || bytes[0] == 0x8d, "{bytes:02x?} -> {reencoded:02x?}");
            }
        }
    }
}
