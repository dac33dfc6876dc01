//! Hand-picked programs whose JIT runs must equal the interpreter's (result or trap, and
//! the memory afterwards), each through one `check` helper (`check_kfuncs` with kfuncs);
//! and the W^X property of the code the JIT maps.

use std::collections::BTreeMap;

use bpfprove_jit_x86::{JitMachine, Validated, run_on_memory};
use bpfprove_semantics::asm::llvm;
use bpfprove_semantics::elf::{LoadedProgram, Object};
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::maps::MapTable;
use bpfprove_semantics::interp::{self, CallxModel, KernelHelpers, Outcome, RunConfig, Trap, TrapKind};

/// Runs `text` (LLVM syntax) on `memory` in both engines and checks they agree; returns
/// the interpreter's result for further checks.
fn check(text: &str, memory: &[u8], budget: u64) -> Result<Outcome, Trap> {
    let program = llvm::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let config = RunConfig::new(CallxModel::Address, budget);
    let (mut expected_memory, mut actual_memory) = (memory.to_vec(), memory.to_vec());
    let expected = interp::run_on_memory(&program, &mut expected_memory, &config, &mut interp::DefaultHelpers);
    let actual = run_on_memory(&program, &mut actual_memory, &config, &mut interp::DefaultHelpers)
        .unwrap_or_else(|e| panic!("{text}: the JIT cannot compile it: {e}"));
    assert_eq!(actual, expected, "results differ for\n{text}");
    assert_eq!(actual_memory, expected_memory, "memory differs for\n{text}");
    expected
}

fn r0(result: Result<Outcome, Trap>) -> u64 {
    result.expect("no trap").r0
}

#[test]
fn alu_and_division_edge_cases() {
    assert_eq!(r0(check("r0 = 7\nr1 = 0\nr0 /= r1\nexit", &[], 100)), 0);
    assert_eq!(r0(check("r0 = 7\nr1 = 0\nr0 %= r1\nexit", &[], 100)), 7);
    assert_eq!(r0(check("r0 = -1\nw1 = 0\nw0 %= w1\nexit", &[], 100)), 0xffff_ffff);
    let min = "r0 = 0x8000000000000000 ll\nr1 = -1\n";
    assert_eq!(r0(check(&format!("{min}r0 s/= r1\nexit"), &[], 100)), 1 << 63);
    assert_eq!(r0(check(&format!("{min}r0 s%= r1\nexit"), &[], 100)), 0);
    assert_eq!(r0(check("r0 = -7\nr0 s%= 2\nexit", &[], 100)), -1i64 as u64);
    // A 32-bit shift by a count that masks to 0 still zero-extends.
    assert_eq!(r0(check("r0 = -1\nr1 = 32\nw0 <<= w1\nexit", &[], 100)), 0xffff_ffff);
    assert_eq!(r0(check("r0 = -1\nw0 s>>= 0\nexit", &[], 100)), 0xffff_ffff);
    assert_eq!(r0(check("r0 = 0x1234\nr0 = be16 r0\nexit", &[], 100)), 0x3412);
    assert_eq!(r0(check("r0 = 0x80\nr0 = (s8)r0\nexit", &[], 100)), -128i64 as u64);
}

#[test]
fn memory_in_and_out_of_bounds() {
    assert_eq!(r0(check("r0 = *(u16 *)(r1 + 1)\nexit", &[1, 2, 3], 100)), 0x0302);
    check("r0 = *(u64 *)(r1 + 1)\nexit", &[1, 2, 3], 100).expect_err("out of bounds");
    check("r0 = *(u8 *)(r1 - 1)\nexit", &[1, 2, 3], 100).expect_err("below the region");
    check("*(u32 *)(r1 + 0) = 0x11223344\nr0 = 0\nexit", &[0; 4], 100).expect("in bounds");
    check("*(u64 *)(r10 - 520) = 1\nr0 = 0\nexit", &[], 100).expect_err("below the stack frame");
    check("r2 = 0\nr0 = *(u8 *)(r2 + 0)\nexit", &[], 100).expect_err("null");
    let atomic = "r0 = 1\n*(u64 *)(r10 - 8) = r0\nlock *(u64 *)(r10 - 8) += r0\nr0 = *(u64 *)(r10 - 8)\nexit";
    assert_eq!(r0(check(atomic, &[], 100)), 2);
}

#[test]
fn calls_budget_and_traps() {
    let calls = "r6 = 3\nL: r1 = r6\ncall f\nr6 += -1\nif r6 != 0 goto L\nexit\nf: r0 = r1\nr0 *= 3\nexit";
    assert_eq!(r0(check(calls, &[], 1000)), 3);
    // The budget runs out in the middle of a segment: same pc as the interpreter.
    for budget in 1..20 {
        let _ = check("r0 = 0\nL: r0 += 1\nr0 += 2\nr0 += 3\ngoto L\nexit", &[], budget);
    }
    check("r1 = 0\ncall f\nexit\nf: call f\nexit", &[], 1000).expect_err("call depth");
    check("r1 = 1\ncallx r1\nr0 = 0\nexit", &[], 1000).expect_err("callx target");
    check("r10 = 1\nexit", &[], 1000).expect_err("write to r10");
    check("r0 |= r10\nexit", &[], 1000).expect_err("r0 undefined");
    check("r1 = 5\nr0 = 1\ncall 5\nexit", &[], 1000).expect("helper 5 returns");
    // A static subprogram may return without r0 (its exit does not read it)...
    assert_eq!(r0(check("call f\nr0 = 3\nexit\nf: exit", &[], 1000)), 3);
    // ...and the caller's read of it traps.
    check("call f\nr0 += 3\nexit\nf: exit", &[], 1000).expect_err("r0 undefined after the call");
}

#[test]
fn a_missed_legacy_packet_load_ends_only_its_function() {
    let packet: Vec<u8> = (0..16).collect();
    let subprogram = |load: &str| format!("call f\nr0 += 100\nexit\nf: r7 = 60\n{load}\nr0 += 42\nexit");
    assert_eq!(r0(check(&subprogram("r0 = *(u8 *)skb[0xa]"), &packet, 100)), 10 + 42 + 100);
    // Linux (checked against the kernel by bpfprove-kernel): the subprogram returns 0.
    assert_eq!(r0(check(&subprogram("r0 = *(u32 *)skb[0x3e8]"), &packet, 100)), 100);
    assert_eq!(r0(check(&subprogram("r0 = *(u16 *)skb[r7 + 0x3]"), &packet, 100)), 100);
    // In the entry function a miss ends the program.
    assert_eq!(r0(check("r0 = 5\nr0 = *(u8 *)skb[0x3e8]\nr0 = 7\nexit", &packet, 100)), 0);
}

/// Runs `text` in both engines with Linux's helpers and kfunc ids 1 and 2 standing for
/// `bpf_kfunc_implicit_arg` and a kfunc no run implements; checks they agree.
fn check_kfuncs(text: &str) -> Result<Outcome, Trap> {
    let program = llvm::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let config = RunConfig::new(CallxModel::Address, 100);
    let helpers = || {
        let object = Object::of_program(None, Vec::new(), LoadedProgram::bare("tc", "prog", program.clone()));
        let maps = MapTable::install(&object, &object.programs[0], &mut interp::Memory::new()).expect("no maps");
        let kfuncs = BTreeMap::from([(1, "bpf_kfunc_implicit_arg".to_owned()), (2, "bpf_nope".to_owned())]);
        KernelHelpers::new(maps, ProgramType::SchedCls).with_kfuncs(kfuncs)
    };
    let (mut expected_memory, mut actual_memory) = (vec![0; 8], vec![0; 8]);
    let expected = interp::run_on_memory(&program, &mut expected_memory, &config, &mut helpers());
    let actual = run_on_memory(&program, &mut actual_memory, &config, &mut helpers())
        .unwrap_or_else(|e| panic!("{text}: the JIT cannot compile it: {e}"));
    assert_eq!(actual, expected, "results differ for\n{text}");
    expected
}

#[test]
fn kfunc_calls_go_through_the_shared_helper_layer() {
    let outcome = check_kfuncs("r1 = 40\ncall kfunc 0x1\nr0 += 2\nexit").expect("implemented");
    assert_eq!(outcome.r0, 42);
    let trap = check_kfuncs("r1 = 1\ncall kfunc 0x2\nexit").expect_err("not implemented");
    assert_eq!(trap.kind, TrapKind::UnknownKfunc { btf_id: 2, name: "bpf_nope".into() });
    let trap = check_kfuncs("call kfunc 0x3\nexit").expect_err("no such id");
    assert_eq!(trap.kind, TrapKind::UnsupportedKfunc { btf_id: 3, btf_obj: 0 });
    // Without kfuncs (bpf_conformance's helpers) every kfunc call traps alike.
    let trap = check("call kfunc 0x1\nexit", &[], 100).expect_err("no kfuncs");
    assert_eq!(trap.kind, TrapKind::UnsupportedKfunc { btf_id: 1, btf_obj: 0 });
}

/// The permissions `/proc/self/maps` lists for the mapping containing `address`.
fn permissions_of(address: usize) -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("Linux exposes /proc/self/maps");
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(permissions)) = (fields.next(), fields.next()) else { continue };
        let Some((start, end)) = range.split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) else { continue };
        if (start..end).contains(&address) {
            return permissions.to_string();
        }
    }
    panic!("no mapping contains {address:#x}");
}

#[test]
fn jit_output_is_sealed_read_execute() {
    let program = llvm::parse("r0 = 42\nexit").expect("assembles");
    let machine =
        JitMachine::new(Validated::unverified(&program), RunConfig::new(CallxModel::Address, 10)).expect("compiles");
    let permissions = permissions_of(machine.code_address() as usize);
    assert!(permissions.starts_with("r-x"), "the code's page is {permissions}");
    assert!(!permissions.contains('w'), "the code's page is writable: {permissions}");
    let mut memory = machine.new_memory().expect("small memory");
    assert_eq!(machine.run(&mut memory, &[], &mut interp::DefaultHelpers).map(|o| o.r0), Ok(42));
}

#[test]
fn may_goto_is_refused_naming_its_pc() {
    let program = llvm::parse("r0 = 0\nmay_goto +1\nr0 = 1\nexit").expect("assembles");
    let Err(error) = JitMachine::new(Validated::unverified(&program), RunConfig::new(CallxModel::Address, 10)) else {
        panic!("the JIT refuses may_goto");
    };
    assert_eq!(error.to_string(), "pc 1: the JIT does not compile may_goto");
}

#[test]
fn arena_programs_are_refused_naming_the_cast() {
    let program = llvm::parse("r1 = 0\nr2 = addr_space_cast(r1, 0x0, 0x1)\nr0 = 0\nexit").expect("assembles");
    let Err(error) = JitMachine::new(Validated::unverified(&program), RunConfig::new(CallxModel::Address, 10)) else {
        panic!("the JIT refuses arena programs");
    };
    assert_eq!(error.to_string(), "pc 1: the JIT does not compile addr_space_cast (arena programs)");
}
