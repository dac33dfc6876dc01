//! Hand-picked programs whose JIT runs must equal the interpreter's (result or trap, and
//! the memory afterwards), each through one `check` helper; and the W^X property of the
//! code the JIT maps.

use bpfprove_jit_x86::{JitMachine, Validated, run_on_memory};
use bpfprove_semantics::asm::llvm;
use bpfprove_semantics::interp::{self, CallxModel, Outcome, RunConfig, Trap};

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
    check("r0 = 1\nlock *(u64 *)(r10 - 8) += r0\nr0 = *(u64 *)(r10 - 8)\nexit", &[], 100).expect("atomic");
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
        JitMachine::new(Validated::structural(&program), RunConfig::new(CallxModel::Address, 10)).expect("compiles");
    let permissions = permissions_of(machine.code_address() as usize);
    assert!(permissions.starts_with("r-x"), "the code's page is {permissions}");
    assert!(!permissions.contains('w'), "the code's page is writable: {permissions}");
    let mut memory = machine.new_memory().expect("small memory");
    assert_eq!(machine.run(&mut memory, &[], &mut interp::DefaultHelpers).map(|o| o.r0), Ok(42));
}
