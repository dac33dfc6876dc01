//! `(inst, hex, asm)` rows for every instruction form the lowering uses, in the manner of
//! Cranelift's `emit_tests.rs`, plus a round trip through iced-x86's decoder: the bytes
//! must decode to one instruction, print as the row's assembly, and re-encode to the same
//! bytes. The hex was cross-checked once against `llvm-mc -triple x86_64 -show-encoding`.

use iced_x86::{Decoder, DecoderOptions, Encoder, Formatter, IntelFormatter};

use super::*;
use crate::inst::{AluOp, CondCode, Extend, Gpr, Inst, Label, Mem, MemWidth, OpSize, ShiftCount, ShiftOp};

/// Encodes one instruction that uses no label.
fn encode(inst: &Inst) -> Vec<u8> {
    let mut emitter = Emitter::new(0, 16);
    emitter.emit(inst).unwrap_or_else(|e| panic!("{inst:?} does not encode: {e}"));
    emitter.finish().expect("no labels to resolve").code
}

/// Decodes `bytes` as exactly one instruction and prints it in Intel syntax.
fn disassemble(bytes: &[u8]) -> (iced_x86::Instruction, String) {
    let mut decoder = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let instruction = decoder.decode();
    assert!(!instruction.is_invalid(), "{bytes:02x?} does not decode");
    assert_eq!(instruction.len(), bytes.len(), "{bytes:02x?} holds more than one instruction");
    let mut text = String::new();
    IntelFormatter::new().format(&instruction, &mut text);
    (instruction, text)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks one row: encoding, disassembly, and re-encoding of the decoded instruction.
fn check(inst: Inst, expected_hex: &str, expected_asm: &str) {
    let bytes = encode(&inst);
    assert_eq!(hex(&bytes), expected_hex, "encoding of {inst:?}");
    let (decoded, text) = disassemble(&bytes);
    assert_eq!(text, expected_asm, "disassembly of {inst:?}");
    let mut encoder = Encoder::new(64);
    encoder.encode(&decoded, 0).expect("a decoded instruction re-encodes");
    assert_eq!(encoder.take_buffer(), bytes, "round trip of {inst:?}");
}

/// The rows: an instruction, its encoding, and its Intel-syntax disassembly.
fn rows() -> Vec<(Inst, &'static str, &'static str)> {
    use Gpr::*;
    let m = |base, disp| Mem::at(base, disp);
    vec![
        (Inst::AluRR { op: AluOp::Add, size: OpSize::S64, dst: Rsi, src: Rdi }, "4801fe", "add rsi,rdi"),
        (Inst::AluRR { op: AluOp::Sub, size: OpSize::S32, dst: R8, src: R13 }, "4529e8", "sub r8d,r13d"),
        (Inst::AluRR { op: AluOp::And, size: OpSize::S64, dst: Rbx, src: R12 }, "4c21e3", "and rbx,r12"),
        (Inst::AluRR { op: AluOp::Or, size: OpSize::S32, dst: R11, src: Rbp }, "4109eb", "or r11d,ebp"),
        (Inst::AluRR { op: AluOp::Xor, size: OpSize::S32, dst: Rdx, src: Rdx }, "31d2", "xor edx,edx"),
        (Inst::AluRR { op: AluOp::Cmp, size: OpSize::S64, dst: R9, src: R10 }, "4d39d1", "cmp r9,r10"),
        (Inst::AluRR { op: AluOp::Test, size: OpSize::S32, dst: Rax, src: Rax }, "85c0", "test eax,eax"),
        (Inst::AluRI { op: AluOp::Add, size: OpSize::S64, dst: Rsi, imm: 1 }, "4883c601", "add rsi,1"),
        (Inst::AluRI { op: AluOp::Sub, size: OpSize::S64, dst: R15, imm: 1000 }, "4981efe8030000", "sub r15,3E8h"),
        (
            Inst::AluRI { op: AluOp::Sub, size: OpSize::S64, dst: Rcx, imm: i32::MIN },
            "4881e900000080",
            "sub rcx,0FFFFFFFF80000000h",
        ),
        (Inst::AluRI { op: AluOp::And, size: OpSize::S32, dst: R12, imm: -1 }, "4183e4ff", "and r12d,0FFFFFFFFh"),
        (Inst::AluRI { op: AluOp::Cmp, size: OpSize::S32, dst: Rdi, imm: -1 }, "83ffff", "cmp edi,0FFFFFFFFh"),
        (Inst::AluRI { op: AluOp::Test, size: OpSize::S64, dst: R13, imm: 7 }, "49f7c507000000", "test r13,7"),
        (Inst::AluRM { op: AluOp::Cmp, size: OpSize::S64, dst: Rcx, src: m(R14, 8) }, "493b4e08", "cmp rcx,[r14+8]"),
        (Inst::AluRM { op: AluOp::Add, size: OpSize::S64, dst: Rcx, src: m(R14, 0) }, "49030e", "add rcx,[r14]"),
        (Inst::AluMR { op: AluOp::Add, size: OpSize::S64, dst: m(R14, 24), src: Rcx }, "49014e18", "add [r14+18h],rcx"),
        (
            Inst::AluMI { op: AluOp::Cmp, size: OpSize::S64, dst: m(R14, 32), imm: 7 },
            "49837e2007",
            "cmp qword ptr [r14+20h],7",
        ),
        (Inst::MovRR { size: OpSize::S64, dst: R14, src: Rdi }, "4989fe", "mov r14,rdi"),
        (Inst::MovRR { size: OpSize::S32, dst: Rbx, src: Rbx }, "89db", "mov ebx,ebx"),
        (Inst::MovRI { dst: Rsi, value: 42 }, "be2a000000", "mov esi,2Ah"),
        (Inst::MovRI { dst: R8, value: u64::MAX }, "49c7c0ffffffff", "mov r8,0FFFFFFFFFFFFFFFFh"),
        (Inst::MovRI { dst: Rax, value: 0x0000_c0de_0000_0000 }, "48b800000000dec00000", "mov rax,0C0DE00000000h"),
        (
            Inst::Load { width: MemWidth::B, extend: Extend::Zero, dst: Rsi, src: Mem::indexed(Rcx, Rdx, 1, -1) },
            "0fb67411ff",
            "movzx esi,byte ptr [rcx+rdx-1]",
        ),
        (
            Inst::Load { width: MemWidth::H, extend: Extend::Sign, dst: Rdi, src: m(Rax, -2) },
            "480fbf78fe",
            "movsx rdi,word ptr [rax-2]",
        ),
        (
            Inst::Load { width: MemWidth::W, extend: Extend::Zero, dst: R12, src: m(Rax, -4) },
            "448b60fc",
            "mov r12d,[rax-4]",
        ),
        (
            Inst::Load { width: MemWidth::W, extend: Extend::Sign, dst: R13, src: m(Rax, -4) },
            "4c6368fc",
            "movsxd r13,[rax-4]",
        ),
        (
            Inst::Load { width: MemWidth::D, extend: Extend::Zero, dst: Rbp, src: m(R14, 72) },
            "498b6e48",
            "mov rbp,[r14+48h]",
        ),
        (Inst::Store { width: MemWidth::B, dst: m(Rax, -1), src: Rdi }, "408878ff", "mov [rax-1],dil"),
        (Inst::Store { width: MemWidth::H, dst: m(Rax, -2), src: R9 }, "66448948fe", "mov [rax-2],r9w"),
        (
            Inst::Store { width: MemWidth::D, dst: Mem::indexed(Rcx, Rdx, 1, -8), src: Rbx },
            "48895c11f8",
            "mov [rcx+rdx-8],rbx",
        ),
        (Inst::StoreImm { width: MemWidth::B, dst: m(Rax, -1), imm: -1 }, "c640ffff", "mov byte ptr [rax-1],0FFh"),
        (
            Inst::StoreImm { width: MemWidth::W, dst: m(Rax, -4), imm: 0x1234_5678 },
            "c740fc78563412",
            "mov dword ptr [rax-4],12345678h",
        ),
        (
            Inst::StoreImm { width: MemWidth::D, dst: m(R14, 160), imm: 3 },
            "49c786a000000003000000",
            "mov qword ptr [r14+0A0h],3",
        ),
        (Inst::Lea { dst: Rax, src: m(Rsi, -8) }, "488d46f8", "lea rax,[rsi-8]"),
        (Inst::Lea { dst: Rcx, src: Mem::indexed(Rcx, Rdx, 1, -8) }, "488d4c11f8", "lea rcx,[rcx+rdx-8]"),
        (Inst::Imul { size: OpSize::S64, dst: Rsi, src: R12 }, "490faff4", "imul rsi,r12"),
        (Inst::ImulImm { size: OpSize::S32, dst: Rdi, src: Rdi, imm: 3 }, "6bff03", "imul edi,3"),
        (Inst::SignExtendAccumulator { size: OpSize::S64 }, "4899", "cqo"),
        (Inst::SignExtendAccumulator { size: OpSize::S32 }, "99", "cdq"),
        (Inst::Div { size: OpSize::S64, signed: false, divisor: Rcx }, "48f7f1", "div rcx"),
        (Inst::Div { size: OpSize::S32, signed: true, divisor: R10 }, "41f7fa", "idiv r10d"),
        (Inst::Neg { size: OpSize::S64, dst: Rbx }, "48f7db", "neg rbx"),
        (Inst::Shift { op: ShiftOp::Shl, size: OpSize::S64, dst: Rsi, count: ShiftCount::Cl }, "48d3e6", "shl rsi,cl"),
        (
            Inst::Shift { op: ShiftOp::Shr, size: OpSize::S64, dst: Rcx, count: ShiftCount::Imm(32) },
            "48c1e920",
            "shr rcx,20h",
        ),
        (
            Inst::Shift { op: ShiftOp::Sar, size: OpSize::S32, dst: R11, count: ShiftCount::Imm(31) },
            "41c1fb1f",
            "sar r11d,1Fh",
        ),
        (
            Inst::Shift { op: ShiftOp::Rol, size: OpSize::S16, dst: Rdi, count: ShiftCount::Imm(8) },
            "66c1c708",
            "rol di,8",
        ),
        (
            Inst::ExtendReg { extend: Extend::Sign, from: MemWidth::B, size: OpSize::S64, dst: Rsi, src: Rdi },
            "480fbef7",
            "movsx rsi,dil",
        ),
        (
            Inst::ExtendReg { extend: Extend::Sign, from: MemWidth::W, size: OpSize::S64, dst: Rbx, src: R8 },
            "4963d8",
            "movsxd rbx,r8d",
        ),
        (
            Inst::ExtendReg { extend: Extend::Sign, from: MemWidth::H, size: OpSize::S32, dst: Rsi, src: Rsi },
            "0fbff6",
            "movsx esi,si",
        ),
        (
            Inst::ExtendReg { extend: Extend::Zero, from: MemWidth::H, size: OpSize::S32, dst: R9, src: R9 },
            "450fb7c9",
            "movzx r9d,r9w",
        ),
        (Inst::Bswap { size: OpSize::S32, dst: R10 }, "410fca", "bswap r10d"),
        (Inst::Bswap { size: OpSize::S64, dst: Rsi }, "480fce", "bswap rsi"),
        (Inst::Push(R12), "4154", "push r12"),
        (Inst::Pop(Rbx), "5b", "pop rbx"),
        (Inst::Ret, "c3", "ret"),
        (Inst::CallReg(Rax), "ffd0", "call rax"),
        (Inst::CallMem(m(R14, 56)), "41ff5638", "call qword ptr [r14+38h]"),
        (Inst::JmpReg(Rax), "ffe0", "jmp rax"),
        (Inst::LockAlu { op: AluOp::Or, size: OpSize::S64, dst: m(Rcx, 0), src: Rsi }, "f0480931", "lock or [rcx],rsi"),
        (Inst::LockXadd { size: OpSize::S32, dst: m(Rcx, 0), src: Rdx }, "f00fc111", "lock xadd [rcx],edx"),
        (Inst::Xchg { size: OpSize::S64, dst: m(Rcx, 0), src: R13 }, "4c8729", "xchg [rcx],r13"),
        (Inst::LockCmpxchg { size: OpSize::S64, dst: m(Rcx, 0), src: Rdx }, "f0480fb111", "lock cmpxchg [rcx],rdx"),
    ]
}

#[test]
fn every_row_encodes_and_disassembles_as_written() {
    for (inst, hex, asm) in rows() {
        check(inst, hex, asm);
    }
}

#[test]
fn branches_use_rel32_and_are_patched_to_their_labels() {
    // L0: jmp L1; jne L0; call L1; L1: ret
    let (l0, l1) = (Label(0), Label(1));
    let mut emitter = Emitter::new(2, 32);
    let program =
        [Inst::Bind(l0), Inst::Jmp(l1), Inst::Jcc(CondCode::Ne, l0), Inst::Call(l1), Inst::Bind(l1), Inst::Ret];
    emitter.emit_all(&program).expect("encodes");
    let emitted = emitter.finish().expect("labels resolve");
    // jmp +11 (over jne rel32 and call rel32); jne -11 (back to 0); call +0.
    assert_eq!(hex(&emitted.code), "e90b0000000f85f5ffffffe800000000c3");
    assert_eq!(emitted.label_offsets, vec![0, 16]);
}

#[test]
fn unbound_and_doubly_bound_labels_are_errors() {
    let mut emitter = Emitter::new(1, 8);
    emitter.emit(&Inst::Jmp(Label(0))).expect("encodes");
    assert_eq!(emitter.finish().unwrap_err(), JitError::Internal("branch to an unbound label"));
    let mut emitter = Emitter::new(1, 8);
    emitter.emit(&Inst::Bind(Label(0))).expect("binds");
    assert!(emitter.emit(&Inst::Bind(Label(0))).is_err());
}
