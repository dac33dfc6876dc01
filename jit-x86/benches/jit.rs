//! The JIT against the interpreter, in nanoseconds per executed instruction (criterion's
//! element throughput is the number of instructions one run executes), on a tight ALU
//! loop, a memory loop (stack and context) and call-heavy programs (bpf-to-bpf calls, and
//! helper calls); and the JIT's compile time per instruction. Targets (issue 6): the tight
//! loop at most 1.0 ns/insn and at least 15 times faster than the interpreter; compiling at
//! most 1 µs per instruction.

use std::hint::black_box;

use bpfprove_jit_x86::{JitMachine, Validated};
use bpfprove_semantics::asm::llvm;
use bpfprove_semantics::interp::memory::region_base;
use bpfprove_semantics::interp::{Access, CallxModel, DefaultHelpers, Machine, Memory, RegionKind, RunConfig};
use bpfprove_semantics::program::Program;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// `r0 = sum(1..=N)` with a three-instruction body (the loop rbpf's figures are quoted for).
const TIGHT_LOOP: &str = "
    r0 = 0
    r1 = 100000
loop:
    r0 += r1
    r1 += -1
    if r1 != 0 goto loop
    exit
";

/// Eight ALU operations per iteration: a mix of arithmetic, logic and shifts.
const ALU_MIX: &str = "
    r0 = 1
    r1 = 100000
    r2 = 7
loop:
    r0 += r1
    r0 ^= 0x5a5a
    r2 = r0
    r2 >>= 3
    r0 -= r2
    r0 <<= 1
    r1 += -1
    if r1 != 0 goto loop
    exit
";

/// A running sum kept on the stack, plus a byte read from the context each iteration.
const MEMORY_LOOP: &str = "
    r6 = r1
    r1 = 100000
    *(u64 *)(r10 - 8) = 0
loop:
    r2 = *(u64 *)(r10 - 8)
    r2 += r1
    r3 = r1
    r3 &= 63
    r4 = r6
    r4 += r3
    r5 = *(u8 *)(r4 + 0)
    r2 += r5
    *(u64 *)(r10 - 8) = r2
    r1 += -1
    if r1 != 0 goto loop
    r0 = *(u64 *)(r10 - 8)
    exit
";

/// A loop calling a local function (bpf-to-bpf calls: frame entry and exit).
const LOCAL_CALLS: &str = "
    r6 = 20000
    r7 = 0
loop:
    r1 = r6
    call triple
    r7 += r0
    r6 += -1
    if r6 != 0 goto loop
    r0 = r7
    exit
triple:
    r0 = r1
    r0 *= 3
    exit
";

/// A loop calling the suite's helper 5 (which returns r1): calls from generated code into
/// Rust.
const HELPER_CALLS: &str = "
    r6 = 20000
    r7 = 1
loop:
    r1 = r7
    call 5
    r7 = r0
    r7 += 1
    r6 += -1
    if r6 != 0 goto loop
    r0 = r7
    exit
";

fn parse(text: &str) -> Program {
    llvm::parse(text).expect("bench programs assemble")
}

/// A memory with a 64-byte context; returns it and the arguments for a run.
fn memory_for(new_memory: Result<Memory, bpfprove_semantics::interp::Trap>) -> (Memory, [u64; 2]) {
    let mut memory = new_memory.expect("small memory");
    let bytes: Vec<u8> = (0..64).collect();
    let ctx = memory.add_region(RegionKind::Context, bytes, Access::ReadWrite).expect("small region");
    (memory, [region_base(ctx), 64])
}

fn bench_program(c: &mut Criterion, name: &str, text: &str) {
    let program = parse(text);
    let config = RunConfig::new(CallxModel::Address, u64::MAX);
    let interpreter = Machine::new(&program, config.clone());
    let jit = JitMachine::new(Validated::unverified(&program), config).expect("bench programs compile");
    let (mut interpreter_memory, args) = memory_for(interpreter.new_memory());
    let (mut jit_memory, _) = memory_for(jit.new_memory());
    let expected = interpreter.run(&mut interpreter_memory, &args, &mut DefaultHelpers).expect("no trap");
    let outcome = jit.run(&mut jit_memory, &args, &mut DefaultHelpers).expect("no trap");
    assert_eq!(outcome, expected, "{name}: the JIT and the interpreter disagree");

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(outcome.instructions));
    group.bench_function("jit", |b| {
        b.iter(|| jit.run(black_box(&mut jit_memory), black_box(&args), &mut DefaultHelpers))
    });
    group.bench_function("interpreter", |b| {
        b.iter(|| interpreter.run(black_box(&mut interpreter_memory), black_box(&args), &mut DefaultHelpers))
    });
    group.finish();
}

fn execution(c: &mut Criterion) {
    bench_program(c, "tight_loop", TIGHT_LOOP);
    bench_program(c, "alu_mix", ALU_MIX);
    bench_program(c, "memory_loop", MEMORY_LOOP);
    bench_program(c, "local_calls", LOCAL_CALLS);
    bench_program(c, "helper_calls", HELPER_CALLS);
}

/// A large straight program mixing ALU operations, stack and context accesses, and
/// forward branches: the kind of code compile time is quoted for.
fn large_program(blocks: usize) -> Program {
    let mut text = String::from("    r6 = r1\n    r0 = 0\n");
    for block in 0..blocks {
        text.push_str(&format!(
            "    r2 = {block}\n    r0 += r2\n    w3 = w0\n    w3 <<= 3\n    r0 ^= r3\n    \
             *(u64 *)(r10 - 16) = r0\n    r4 = *(u32 *)(r6 + 8)\n    r0 += r4\n    \
             if r0 > 0x1000 goto skip{block}\n    r0 /= 3\nskip{block}:\n"
        ));
    }
    text.push_str("    exit\n");
    parse(&text)
}

fn compilation(c: &mut Criterion) {
    let program = large_program(1000);
    let config = RunConfig::new(CallxModel::Address, u64::MAX);
    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(program.insns().len() as u64));
    group.sample_size(20);
    group.bench_function("jit", |b| {
        b.iter(|| JitMachine::new(Validated::unverified(black_box(&program)), config.clone()).expect("compiles"))
    });
    group.finish();
}

criterion_group!(benches, execution, compilation);
criterion_main!(benches);
