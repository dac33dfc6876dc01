//! The x86 listing of a compiled program, interleaved with its eBPF instructions (in the
//! LLVM syntax of `asm::llvm::print_insn`), for `bpfprove jit FILE --disasm`.
//!
//! Offsets are from the start of the code. Each eBPF instruction is followed by the x86
//! instructions generated for it (none for a no-op such as `le64`); the out-of-line trap
//! stubs and shared routines come last.

use std::fmt::Write as _;

use bpfprove_semantics::asm::llvm;
use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};

use crate::machine::JitMachine;

/// The listing of `machine`'s code.
pub fn listing(machine: &JitMachine) -> String {
    let code = machine.code();
    let program = machine.program();
    let mut headers: Vec<(u32, String)> = vec![(0, "prologue".to_string())];
    for &(pc, offset) in machine.insn_offsets() {
        let text = match program.insn_at(pc) {
            Some(insn) => format!("{pc}: {}", llvm::print_insn(insn)),
            None => format!("{pc}: (past the last instruction: traps)"),
        };
        headers.push((offset, text));
    }
    headers.push((machine.cold_offset(), "out of line: trap stubs and shared routines".to_string()));

    let mut out = String::new();
    let mut next_header = headers.iter().peekable();
    let mut formatter = IntelFormatter::new();
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut text = String::new();
    while decoder.can_decode() {
        let instruction = decoder.decode();
        let ip = instruction.ip() as u32;
        while let Some((_, header)) = next_header.next_if(|(offset, _)| *offset <= ip) {
            let _ = writeln!(out, "; {header}");
        }
        text.clear();
        formatter.format(&instruction, &mut text);
        let start = ip as usize;
        let bytes: String = code[start..start + instruction.len()].iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(out, "{ip:06x}  {bytes:<24} {text}");
    }
    for (_, header) in next_header {
        let _ = writeln!(out, "; {header}");
    }
    out
}

#[cfg(test)]
mod tests {
    use bpfprove_semantics::asm::llvm;
    use bpfprove_semantics::interp::{CallxModel, RunConfig};

    use super::*;
    use crate::validated::Validated;

    #[test]
    fn listing_interleaves_ebpf_and_x86() {
        let program = llvm::parse("r0 = 42\nr0 += r1\nexit\n").expect("assembles");
        let config = RunConfig::new(CallxModel::Address, 100);
        let machine = JitMachine::new(Validated::unverified(&program), config).expect("compiles");
        let text = listing(&machine);
        let position = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("no `{needle}` in\n{text}"));
        assert!(position("; prologue") < position("; 0: r0 = 0x2a"));
        assert!(position("; 0: r0 = 0x2a") < position("mov esi,2Ah"));
        assert!(position("mov esi,2Ah") < position("; 1: r0 += r1"));
        assert!(position("; 1: r0 += r1") < position("add rsi,rdi"));
        assert!(position("; 2: exit") < position("; 3: (past the last"));
        assert!(position("; 3: (past the last") < position("; out of line"));
    }
}
