use bpfprove_jit_x86::run_on_memory;
use bpfprove_semantics::asm::llvm;
use bpfprove_semantics::interp::{self, CallxModel, RunConfig};

fn both(text: &str, mem: &[u8]) {
    let program = llvm::parse(text).expect("assembles");
    let config = RunConfig::new(CallxModel::Address, 10_000);
    let mut m1 = mem.to_vec();
    let mut m2 = mem.to_vec();
    let i = interp::run_on_memory(&program, &mut m1, &config, &mut interp::DefaultHelpers);
    let j = run_on_memory(&program, &mut m2, &config, &mut interp::DefaultHelpers).expect("compiles");
    println!("interp {i:?}\njit    {j:?}");
    assert_eq!(i, j);
    assert_eq!(m1, m2);
}

#[test]
fn smoke() {
    both("r0 = 42\nexit\n", &[]);
    both("r0 = 1\nr0 += 41\nexit\n", &[]);
    both("r0 = *(u8 *)(r1 + 1)\nexit\n", &[1, 2, 3]);
    both("r0 = *(u64 *)(r1 + 1)\nexit\n", &[1, 2, 3]);
    both("*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit\n", &[1, 2, 3]);
    both("r0 = 0\nr2 = 10\nL: r0 += r2\nr2 -= 1\nif r2 != 0 goto L\nexit\n", &[]);
    both("r0 = 0\nL: r0 += 1\ngoto L\nexit\n", &[]);
}
