//! The analyzer on random structurally valid programs: it always ends (with a verdict, or
//! `unknown` when a budget runs out) and never panics, in every domain and program type.

use bpfprove_analyzer::{Config, Subject, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::CallxModel;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::isa::{
    AtomicOp, BinOp, ByteOrder, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width,
};
use bpfprove_semantics::program::{Program, ProgramParts};
use proptest::prelude::*;

fn reg() -> impl Strategy<Value = Reg> {
    (0u8..=10).prop_map(|n| Reg::new(n).expect("0..=10"))
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        reg().prop_map(Operand::Reg),
        prop_oneof![Just(0), Just(-1), Just(8), -600i32..600, any::<i32>()].prop_map(Operand::Imm)
    ]
}

fn width() -> impl Strategy<Value = Width> {
    prop_oneof![Just(Width::W32), Just(Width::W64)]
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![Just(Size::B), Just(Size::H), Just(Size::W), Just(Size::DW)]
}

fn offset() -> impl Strategy<Value = i16> {
    prop_oneof![-520i16..80, any::<i16>()]
}

/// One instruction; jumps and calls get small offsets (made valid or filtered later).
fn insn() -> impl Strategy<Value = Insn> {
    let alu = (width(), proptest::sample::select(BinOp::ALL.to_vec()), reg(), operand())
        .prop_map(|(width, op, dst, src)| Insn::Alu { width, op, dst, src });
    let jump = (width(), proptest::sample::select(Cond::ALL.to_vec()), reg(), operand(), -6i16..6)
        .prop_map(|(width, cond, dst, src, off)| Insn::Jump { width, cond, dst, src, off });
    let load = (size(), any::<bool>(), reg(), reg(), offset()).prop_map(|(size, signed, dst, src, off)| Insn::Load {
        size,
        signed: signed && size != Size::DW,
        dst,
        src,
        off,
    });
    let store =
        (size(), reg(), offset(), operand()).prop_map(|(size, dst, off, src)| Insn::Store { size, dst, off, src });
    let atomic = (prop_oneof![Just(Size::W), Just(Size::DW)], reg(), offset(), reg())
        .prop_map(|(size, dst, off, src)| Insn::Atomic { size, op: AtomicOp::Add, fetch: true, dst, off, src });
    let other = prop_oneof![
        Just(Insn::Exit),
        (-6i16..6).prop_map(|off| Insn::Ja { off }),
        (1i32..200).prop_map(|id| Insn::Call(CallTarget::Helper(id))),
        (-6i32..6).prop_map(|imm| Insn::Call(CallTarget::Local(imm))),
        reg().prop_map(|reg| Insn::Callx { reg }),
        reg().prop_map(|reg| Insn::Gotox { reg }),
        (width(), reg()).prop_map(|(width, dst)| Insn::Neg { width, dst }),
        reg().prop_map(|dst| Insn::Endian { order: ByteOrder::ToBe, dst, bits: 32 }),
        (reg(), any::<i32>(), any::<i32>()).prop_map(|(dst, imm, next_imm)| Insn::Lddw {
            dst,
            kind: LddwKind::Imm64,
            imm,
            next_imm
        }),
        (reg(), -6i32..6).prop_map(|(dst, imm)| Insn::Lddw { dst, kind: LddwKind::CodeAddr, imm, next_imm: 0 }),
        (prop_oneof![Just(Size::B), Just(Size::W)], any::<i32>()).prop_map(|(size, imm)| Insn::LoadPacket {
            size,
            addr: PacketAddr::Abs,
            imm
        }),
    ];
    prop_oneof![4 => alu, 3 => jump, 2 => load, 2 => store, 1 => atomic, 2 => other]
}

/// `insns` and a final `exit`, with every jump, call and code-address load retargeted to an
/// instruction of the program (the generated offset picks which).
fn with_valid_targets(mut insns: Vec<Insn>) -> Vec<Insn> {
    insns.push(Insn::Exit);
    let mut slots = Vec::with_capacity(insns.len());
    let mut next = 0i64;
    for insn in &insns {
        slots.push(next);
        next += insn.slots() as i64;
    }
    let n = insns.len() as i64;
    let retarget = |i: usize, off: i64| -> i64 {
        let target = (i as i64 + off).rem_euclid(n) as usize;
        slots[target] - (slots[i] + 1)
    };
    for (i, insn) in insns.iter_mut().enumerate() {
        *insn = match *insn {
            Insn::Jump { width, cond, dst, src, off } => {
                Insn::Jump { width, cond, dst, src, off: retarget(i, i64::from(off)) as i16 }
            }
            Insn::Ja { off } => Insn::Ja { off: retarget(i, i64::from(off)) as i16 },
            Insn::Call(CallTarget::Local(imm)) => Insn::Call(CallTarget::Local(retarget(i, i64::from(imm)) as i32)),
            Insn::Lddw { dst, kind: LddwKind::CodeAddr, imm, next_imm } => {
                Insn::Lddw { dst, kind: LddwKind::CodeAddr, imm: retarget(i, i64::from(imm)) as i32, next_imm }
            }
            other => other,
        };
    }
    insns
}

fn program_type() -> impl Strategy<Value = ProgramType> {
    prop_oneof![
        Just(ProgramType::SocketFilter),
        Just(ProgramType::Xdp),
        Just(ProgramType::SchedCls),
        Just(ProgramType::Kprobe)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_get_a_verdict(
        insns in proptest::collection::vec(insn(), 1..40),
        program_type in program_type(),
        domain in proptest::sample::select(DomainKind::ALL.to_vec()),
        helper_id in any::<bool>(),
    ) {
        let program = Program::new(with_valid_targets(insns), ProgramParts::default()).expect("targets are valid");
        let subject = Subject::bare("random", &program, program_type);
        let config = Config {
            callx_model: if helper_id { CallxModel::HelperId } else { CallxModel::Address },
            max_visits: 20_000,
            loop_unroll: 64,
            ..Config::standard(domain)
        };
        let report = Verifier::new(config).verify(&subject);
        // A passing program has every obligation proven; the others have a reason.
        prop_assert!(report.verdict != bpfprove_analyzer::Verdict::Pass || report.failures().is_empty());
    }
}
