//! Issue 10, class 12: a legacy packet load (`LD_ABS`/`LD_IND`) that misses the packet
//! inside a subprogram ends that subprogram with `r0 = 0`, not the whole program. The
//! kernel is the judge (a tc program: its test runs start the packet at the Ethernet
//! header, as the interpreter does); the interpreter must agree with it.

use bpfprove_kernel::btf::FuncInfo;
use bpfprove_kernel::capability::available_or_explain;
use bpfprove_kernel::program::{LoadRequest, ProgramType, TestInput, load};
use bpfprove_semantics::interp::{CallxModel, DefaultHelpers, RunConfig, run_on_memory};
use bpfprove_semantics::isa::{BinOp, CallTarget, Insn, Operand, PacketAddr, Reg, Size, Width, encode};
use bpfprove_semantics::program::Program;

fn alu(op: BinOp, dst: Reg, src: Operand) -> Insn {
    Insn::Alu { width: Width::W64, op, dst, src }
}

/// `main: r6 = r1; call sub; r0 += 100; exit` and
/// `sub: r6 = r1; r0 = packet[offset] (ld_abs or ld_ind); r0 += 42; exit`.
fn program(load_packet: Insn) -> Vec<Insn> {
    vec![
        alu(BinOp::Mov, Reg::R6, Operand::Reg(Reg::R1)),
        Insn::Call(CallTarget::Local(2)),
        alu(BinOp::Add, Reg::R0, Operand::Imm(100)),
        Insn::Exit,
        alu(BinOp::Mov, Reg::R6, Operand::Reg(Reg::R1)),
        alu(BinOp::Mov, Reg::R7, Operand::Imm(60)),
        load_packet,
        alu(BinOp::Add, Reg::R0, Operand::Imm(42)),
        Insn::Exit,
    ]
}

fn kernel_r0(insns: &[Insn], packet: &[u8]) -> u32 {
    let info = FuncInfo::for_entries(&[0, 4]).expect("BTF loads");
    let bytecode = encode(insns);
    let request = LoadRequest { program_type: ProgramType::SchedCls, bytecode: &bytecode, func_info: Some(&info) };
    let loaded = load(&request).unwrap_or_else(|e| panic!("kernel load: {e}"));
    loaded.test_run(TestInput { data: Some(packet), ctx: None }).expect("test run").retval
}

fn interpreter_r0(insns: Vec<Insn>, packet: &[u8]) -> u64 {
    let program = Program::new(insns, Default::default()).expect("valid program");
    let mut memory = packet.to_vec();
    let config = RunConfig::new(CallxModel::Address, 1000);
    run_on_memory(&program, &mut memory, &config, &mut DefaultHelpers).expect("no trap").r0
}

#[test]
fn a_missed_legacy_load_returns_zero_from_its_subprogram() {
    if !available_or_explain("ld_abs in a subprogram") {
        return;
    }
    let packet: Vec<u8> = (0..64).collect();
    let cases = [
        // In bounds: the subprogram returns packet[10] + 42.
        (Insn::LoadPacket { size: Size::B, addr: PacketAddr::Abs, imm: 10 }, 10 + 42 + 100),
        // Out of bounds: the subprogram returns 0 and main goes on to add 100.
        (Insn::LoadPacket { size: Size::W, addr: PacketAddr::Abs, imm: 1000 }, 100),
        (Insn::LoadPacket { size: Size::H, addr: PacketAddr::Ind(Reg::R7), imm: 3 }, 100),
    ];
    for (load_packet, expected) in cases {
        let kernel = kernel_r0(&program(load_packet), &packet);
        assert_eq!(u64::from(kernel), expected, "kernel, {load_packet:?}");
        assert_eq!(interpreter_r0(program(load_packet), &packet), expected, "interpreter, {load_packet:?}");
    }
}
