//! Every corpus program, at every cpu level, gives identical results in the JIT and in the
//! interpreter: the same outcome or trap, the same outputs (ring buffers, perf events,
//! `trace_printk`), and the same memory afterwards (context, packet, stacks, maps, global
//! data), run after run on one runner each, so map state carries over alike.

mod common;

use common::Rng;

use bpfprove_analyzer::{Config, Subject, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_jit_x86::object_run::JitObjectRunner;
use bpfprove_semantics::elf;
use bpfprove_semantics::interp::context::ContextKind;
use bpfprove_semantics::interp::elf_run::ObjectRunner;
use bpfprove_semantics::interp::{CallxModel, RunConfig, UninitialisedStack};

/// Random inputs per program and cpu, besides the fixed packets.
const RANDOM_INPUTS: usize = 16;

/// Ethernet + IPv4 + a TCP header to port 80, and Ethernet + IPv6: deeper parser paths.
fn packets() -> Vec<Vec<u8>> {
    let mut ipv4 = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    ipv4.extend_from_slice(&[0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    ipv4.extend_from_slice(&[0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0]);
    let mut ipv6 = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, 17, 64];
    ipv6.extend_from_slice(&[0x20; 40]);
    vec![Vec::new(), vec![0; 14], ipv4, ipv6, vec![0xff; 1600]]
}

/// The inputs for a program whose context is `context`: none for an iterator, whose
/// context the JIT's runner cannot install.
fn inputs(context: ContextKind, rng: &mut Rng) -> Vec<Vec<u8>> {
    match context {
        ContextKind::Packet(_) => common::context_inputs(context, packets(), RANDOM_INPUTS, 0, rng),
        ContextKind::Iterator(_) => Vec::new(),
        _ => common::context_inputs(context, Vec::new(), RANDOM_INPUTS, 0, rng),
    }
}

/// The first difference between the two runners' memories, in words.
fn difference(interpreter: &ObjectRunner<'_>, jit: &JitObjectRunner) -> String {
    let (a, b) = (interpreter.memory(), jit.memory());
    let (ours, theirs): (Vec<_>, Vec<_>) = (a.regions().collect(), b.regions().collect());
    if ours.len() != theirs.len() {
        return format!("{} regions vs {}", ours.len(), theirs.len());
    }
    for ((id, x), (_, y)) in ours.iter().zip(&theirs) {
        if x != y {
            let at = x.bytes().iter().zip(y.bytes()).position(|(p, q)| p != q);
            return format!(
                "region {} ({}): access {:?} vs {:?}, first differing byte {at:?}",
                id.0,
                x.kind(),
                x.access(),
                y.access()
            );
        }
    }
    "bookkeeping (packet, jump tables, maps or context view)".to_string()
}

#[test]
fn every_corpus_program_runs_alike_in_the_jit_and_the_interpreter() {
    if !common::tools_present() {
        return;
    }
    let (mut runs, mut programs, mut verified) = (0, 0, 0);
    let verifier = Verifier::new(Config::standard(DomainKind::Product));
    let mut failures = Vec::new();
    for (cpu, stem, path) in common::objects() {
        let object = elf::load(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for program in &object.programs {
            // The JIT does not track stack writes (a documented difference): compare both
            // engines reading uninitialised stack as the frame's bytes.
            let config =
                RunConfig::new(CallxModel::Address, 1_000_000).with_uninitialised_stack(UninitialisedStack::Arbitrary);
            let mut interpreter = ObjectRunner::new(&object, program, config.clone())
                .unwrap_or_else(|e| panic!("{cpu} {stem} {}: the interpreter cannot run it: {e}", program.name));
            // Programs the analyzer proves safe compile through its token; the unsafe twins
            // compile unverified, so that their traps are compared too.
            let subject = Subject::from_object(&object, program).expect("corpus sections are known program types");
            let compiled = match verifier.verified(&subject) {
                Ok(token) => {
                    verified += 1;
                    JitObjectRunner::new(&object, program, token, config)
                }
                Err(_) => JitObjectRunner::unverified(&object, program, config),
            };
            let mut jit =
                compiled.unwrap_or_else(|e| panic!("{cpu} {stem} {}: the JIT cannot compile it: {e}", program.name));
            programs += 1;
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ programs as u64);
            for input in inputs(interpreter.context(), &mut rng) {
                let expected = interpreter.run(&input);
                let actual = jit.run(&input);
                runs += 1;
                let name = format!("{cpu} {stem} {} on {} input bytes", program.name, input.len());
                if actual != expected {
                    failures.push(format!("{name}: interpreter {expected:?}, JIT {actual:?}"));
                } else if jit.memory() != interpreter.memory() {
                    failures.push(format!("{name}: memory differs after the run: {}", difference(&interpreter, &jit)));
                }
            }
        }
    }
    println!(
        "{programs} programs ({verified} compiled through the analyzer's token), {runs} runs, {} differ",
        failures.len()
    );
    assert!(verified >= 100, "only {verified} of {programs} programs verified (the safe ones all should)");
    assert!(failures.is_empty(), "{} of {runs} runs differ:\n{}", failures.len(), failures.join("\n"));
    // Every program of the manifest, at every cpu level, ran.
    let manifest = bpfprove_benchmarks::corpus::Manifest::corpus();
    let expected: usize = manifest.programs.iter().map(|entry| entry.cpus.len()).sum();
    assert!(programs >= expected && runs > 1000, "only {programs} programs (manifest: {expected}), {runs} runs");
}

#[test]
fn a_token_compiles_only_its_own_program() {
    if !common::tools_present() {
        return;
    }
    let path = common::corpus_dir().join("v4").join("callx.o");
    let object = elf::load(&common::read(&path)).expect("loads");
    let (first, second) = (&object.programs[0], &object.programs[1]);
    let subject = Subject::from_object(&object, first).expect("xdp");
    let token = Verifier::new(Config::standard(DomainKind::Product)).verified(&subject).expect("callx programs verify");
    let config = RunConfig::new(CallxModel::Address, 1_000_000);
    assert!(JitObjectRunner::new(&object, first, token, config.clone()).is_ok());
    let error = JitObjectRunner::new(&object, second, token, config).expect_err("another program's token");
    assert!(error.to_string().contains(&second.name), "{error}");
}
