//! Registers that are undefined on *every* path to an instruction, so that reading one
//! traps whenever the instruction runs, as in the interpreter
//! (`TrapKind::UninitialisedRegister`).
//!
//! A forward must-analysis over slots: the set of surely-undefined registers, intersected
//! at joins. Function entries (which `callx` and helper callbacks may reach from anywhere)
//! start with `r0` and `r6`–`r9` undefined, as the interpreter starts every callee, and
//! `gotox` may reach every jump-table target of its function. The interpreter decides
//! per path; a read that is undefined on some paths only is not caught here, so the JIT
//! then reads the interpreter's placeholder value instead of trapping. Verified programs
//! never read undefined registers.

use bpfprove_semantics::isa::{CallTarget, Insn, Reg, RegSet};
use bpfprove_semantics::program::Program;

/// Registers every function starts without: `r0` and `r6`–`r9`.
const CALLEE_UNDEFINED: u16 = 0b11_1100_0001;
/// `r1`–`r5`.
const ARGUMENTS: u16 = RegSet::CALLER_SAVED.bits();
/// Not yet reached: every register (the identity of the intersection).
const UNREACHED: u16 = 0x7ff;

/// Per slot, the registers undefined on every path reaching it.
///
/// A static subprogram returns `r0` as it left it, so whether `r0` is surely undefined
/// after a call depends on the callee: each pass assumes, per function, that it returns
/// `r0` undefined if every exit the previous pass reached leaves it so. The assumptions
/// start at "undefined" and only weaken, so the passes stop at the greatest fixpoint.
pub(super) fn surely_undefined(program: &Program) -> Vec<u16> {
    let mut returns_undefined_r0 = vec![true; program.functions().len()];
    loop {
        let state = one_pass(program, &returns_undefined_r0);
        let next = functions_leaving_r0_undefined(program, &state);
        if next == returns_undefined_r0 {
            return state;
        }
        returns_undefined_r0 = next;
    }
}

/// Per function, whether every way out of it that `state` reaches leaves `r0` undefined:
/// its exits, and the legacy packet loads that return 0 when they miss.
fn functions_leaving_r0_undefined(program: &Program, state: &[u16]) -> Vec<bool> {
    let r0 = RegSet::of(Reg::R0).bits();
    let mut leaves = vec![true; program.functions().len()];
    for d in program.insns() {
        let leaves_undefined = match d.insn {
            Insn::Exit => state[d.pc] & r0 != 0,
            Insn::LoadPacket { .. } => state[d.pc] == UNREACHED,
            _ => continue,
        };
        if let Some(id) = program.function_containing(d.pc) {
            leaves[id.0 as usize] &= leaves_undefined;
        }
    }
    leaves
}

/// The must-analysis under the callees' assumed `r0` (see [`surely_undefined`]).
fn one_pass(program: &Program, returns_undefined_r0: &[bool]) -> Vec<u16> {
    let slots = program.slots();
    let mut state = vec![UNREACHED; slots + 1];
    let mut work: Vec<usize> = Vec::new();
    for function in program.functions() {
        state[function.entry] = CALLEE_UNDEFINED;
        work.push(function.entry);
    }
    let push = |state: &mut Vec<u16>, work: &mut Vec<usize>, target: usize, value: u16| {
        if let Some(slot) = state.get_mut(target) {
            let met = *slot & value;
            if met != *slot {
                *slot = met;
                work.push(target);
            }
        }
    };
    while let Some(pc) = work.pop() {
        let Some(insn) = program.insn_at(pc) else { continue };
        let before = state[pc];
        let effects = insn.register_effects();
        let next = pc + insn.slots();
        let after = (before & !effects.writes.bits()) | effects.clobbers.bits();
        match *insn {
            Insn::Exit => {}
            Insn::Ja { .. } | Insn::Ja32 { .. } => {
                let target = insn.branch_target(pc).expect("jumps have targets") as usize;
                push(&mut state, &mut work, target, after);
            }
            Insn::Jump { .. } | Insn::MayGoto { .. } => {
                let target = insn.branch_target(pc).expect("jumps have targets") as usize;
                push(&mut state, &mut work, target, after);
                push(&mut state, &mut work, next, after);
            }
            Insn::Gotox { .. } => {
                let function = program.function_containing(pc).map(|id| program.function(id).clone());
                for table in program.jump_tables() {
                    for &target in &table.targets {
                        if function.as_ref().is_some_and(|f| (f.entry..f.end).contains(&target)) {
                            push(&mut state, &mut work, target, after);
                        }
                    }
                }
            }
            // A call returns with r1–r5 undefined, whatever the callee does, and r0 as the
            // callee left it: a `callx` target is not known here.
            Insn::Call(CallTarget::Local(_)) | Insn::Callx { .. } => {
                let r0 = RegSet::of(Reg::R0).bits();
                let callee = insn.branch_target(pc).and_then(|target| program.function_at_entry(target as usize));
                let r0_after = match callee {
                    Some(id) if returns_undefined_r0[id.0 as usize] => r0,
                    _ => 0,
                };
                push(&mut state, &mut work, next, (((before | ARGUMENTS) & !r0) | r0_after) & 0x7ff);
            }
            _ => push(&mut state, &mut work, next, after),
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use bpfprove_semantics::asm::llvm;

    use super::*;

    #[test]
    fn reads_undefined_on_every_path_are_found() {
        // r0 is undefined at 0; r2 is defined on one path to 4 only; r6 on both.
        let program =
            llvm::parse("r0 |= r10\nif r1 > 0 goto L\nr2 = 1\nL: r6 = 1\nr0 = r2\nexit\n").expect("assembles");
        let undefined = surely_undefined(&program);
        assert_ne!(undefined[0] & 1, 0, "r0 is undefined at entry");
        assert_eq!(undefined[4] & (1 << 2), 0, "r2 is defined on one path into slot 4");
        assert_eq!(undefined[4] & (1 << 6), 0, "r6 is defined on both paths into slot 4");
        assert_ne!(undefined[3] & (1 << 6), 0, "r6 is undefined before it is written");
    }
}
