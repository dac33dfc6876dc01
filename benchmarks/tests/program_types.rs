//! One C program per program type (`corpus/src/types/`, listed in `corpus/types.toml`):
//! each is verified with the product domain, run in the interpreter on packets or context
//! bytes, and, where the kernel crate can test-run its type, run in the live kernel with
//! `r0` and the packet compared against the interpreter.
//!
//! Every program with verdict `pass` is safe (the kernel loads it); those with `fail` are
//! unsafe twins that must be refused. A `pass` entry without `known-gap` must PASS and
//! never trap; an entry with one must still show its gap (the analyzer does not PASS it, or
//! the interpreter cannot run it), so that closing a gap means deleting the line.

mod common;

use std::path::Path;

use common::Rng;
use serde::Deserialize;

use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_kernel::KernelError;
use bpfprove_kernel::capability;
use bpfprove_kernel::object::{ProgramResult, compare_program, load_for_verdict};
use bpfprove_semantics::elf::{self, LoadedProgram, Object};
use bpfprove_semantics::interp::context::ContextKind;
use bpfprove_semantics::interp::elf_run::{self, ObjectRunner};
use bpfprove_semantics::interp::iter_context::ElementSizes;
use bpfprove_semantics::interp::{CallxModel, RunConfig};

/// Random inputs per program besides the hand-made packets.
const RANDOM_INPUTS: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TypesManifest {
    program: Vec<TypeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TypeEntry {
    object: String,
    section: String,
    function: String,
    verdict: String,
    exercises: String,
    known_gap: Option<String>,
    /// Map-element iterators: the key and value sizes of the map the runs attach to.
    element_sizes: Option<[u32; 2]>,
    kernel_run: bool,
    kernel_gap: Option<String>,
}

fn manifest() -> TypesManifest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/types.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(entry: &TypeEntry) -> Object {
    let path = common::corpus_dir().join("types").join(format!("{}.o", entry.object));
    elf::load(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn program<'a>(object: &'a Object, entry: &TypeEntry) -> &'a LoadedProgram {
    object
        .programs
        .iter()
        .find(|p| p.name == entry.function && p.section == entry.section)
        .unwrap_or_else(|| panic!("{} not in {} section {}", entry.function, entry.object, entry.section))
}

/// Ethernet + IPv4 (ihl 5, ttl 64) + 20 bytes of L4 header with destination port `port`.
fn ipv4_packet(protocol: u8, port: u16) -> Vec<u8> {
    let mut packet = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    packet.extend_from_slice(&[0x45, 0x28, 0, 40, 0, 1, 0, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    packet.extend_from_slice(&[0x30, 0x39]);
    packet.extend_from_slice(&port.to_be_bytes());
    packet.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0]);
    packet
}

/// Packets that take the programs' deeper paths (all at least an Ethernet header long, as
/// the kernel's test run wants).
fn packets() -> Vec<Vec<u8>> {
    let mut ttl_one = ipv4_packet(1, 0);
    ttl_one[22] = 1;
    vec![vec![0; 14], ipv4_packet(6, 80), ipv4_packet(17, 53), ipv4_packet(1, 0), ttl_one, vec![0xff; 200]]
}

/// Inputs for a program whose context is `context` (an iterator's elements are of
/// `element` bytes), or why there are none.
fn inputs(context: ContextKind, element: usize, rng: &mut Rng) -> Result<Vec<Vec<u8>>, String> {
    let fixed = match context {
        ContextKind::Packet(_) => packets(),
        ContextKind::Raw { size } => vec![vec![0; size.unwrap_or(64)]],
        // The call after the last element, and a zeroed element.
        ContextKind::Iterator(_) => vec![Vec::new(), vec![0; element]],
        ContextKind::NotModelled { .. } => return Err(format!("context not modelled: {context:?}")),
    };
    Ok(common::context_inputs(context, fixed, RANDOM_INPUTS, element, rng))
}

/// The analyzer's outcome: `Ok(())` for PASS, else why not.
fn analyze(object: &Object, program: &LoadedProgram) -> Result<(), String> {
    let subject = Subject::from_object(object, program)
        .ok_or_else(|| format!("section `{}` names no program type the analyzer knows", program.section))?;
    let report = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
    match report.verdict {
        Verdict::Pass => Ok(()),
        _ => Err(report
            .failures()
            .iter()
            .take(2)
            .map(|o| format!("pc {} {} {}: {}", o.pc, o.kind, o.status, o.detail))
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

/// The interpreter's outcome over the inputs: how many runs, or the first trap / refusal.
fn interpret(object: &Object, program: &LoadedProgram, entry: &TypeEntry, seed: u64) -> Result<usize, String> {
    let config = RunConfig::new(CallxModel::Address, 1_000_000);
    let mut runner = ObjectRunner::new(object, program, config).map_err(|e| format!("interpreter: {e}"))?;
    let mut element = 0;
    if let Some([key, value]) = entry.element_sizes {
        runner = runner.with_element_sizes(ElementSizes { key, value });
        element = (key + value) as usize;
    }
    let mut rng = Rng(seed);
    let mut runs = 0;
    for input in inputs(runner.context(), element, &mut rng)? {
        let run = runner.run(&input).map_err(|e| format!("interpreter input: {e}"))?;
        if let Err(trap) = run.result {
            let at = runner.location(elf_run::innermost(&trap).pc).map(|l| l.to_string()).unwrap_or_default();
            return Err(format!("trap: {trap} at {at} on {} input bytes", input.len()));
        }
        runs += 1;
    }
    Ok(runs)
}

#[test]
fn every_program_type_verifies_and_runs_or_shows_its_known_gap() {
    if !common::tools_present() {
        return;
    }
    let manifest = manifest();
    let mut problems = Vec::new();
    let mut table = Vec::new();
    let mut twins = 0;
    for (index, entry) in manifest.program.iter().enumerate() {
        assert!(!entry.exercises.is_empty(), "{}: says what it exercises", entry.function);
        let object = load(entry);
        let program = program(&object, entry);
        let analyzed = analyze(&object, program);
        if entry.verdict == "fail" {
            assert!(
                entry.known_gap.is_none() && !entry.kernel_run,
                "{}: twins have no gap or kernel run",
                entry.function
            );
            match &analyzed {
                Ok(()) => problems.push(format!("{}: an unsafe twin passes", entry.function)),
                Err(why) => table.push(format!("{}/{}: refused: {why}", entry.section, entry.function)),
            }
            twins += 1;
            continue;
        }
        assert_eq!(entry.verdict, "pass", "{}: verdict is pass or fail", entry.function);
        let interpreted = interpret(&object, program, entry, 0x51ed_270b ^ index as u64);
        let title = format!("{}/{}", entry.section, entry.function);
        table.push(format!(
            "{title}: analyzer {}, interpreter {}",
            analyzed.as_ref().map_or_else(|e| format!("FAIL ({e})"), |()| "PASS".to_owned()),
            interpreted.as_ref().map_or_else(|e| format!("NOT RUN ({e})"), |n| format!("{n} runs"))
        ));
        match (&entry.known_gap, &analyzed, &interpreted) {
            (None, Ok(()), Ok(_)) => {}
            (None, _, _) => {
                problems.push(format!("{title}: expected PASS and clean runs: {analyzed:?} {interpreted:?}"))
            }
            (Some(gap), Ok(()), Ok(_)) => {
                problems.push(format!("{title}: known gap closed (remove `known-gap = \"{gap}\"` from types.toml)"))
            }
            (Some(_), _, _) => {}
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(manifest.program.len() - twins >= 40, "one program per program type: {}", manifest.program.len());
    assert!(twins >= 5, "unsafe twins: {twins}");
}

#[test]
fn packet_program_types_agree_with_the_live_kernel() {
    if !common::tools_present() || !capability::available_or_explain("program_types kernel comparison") {
        return;
    }
    let manifest = manifest();
    let mut problems = Vec::new();
    let mut compared = 0;
    for entry in manifest.program.iter().filter(|e| e.kernel_run) {
        let object = load(entry);
        let program = program(&object, entry);
        let title = format!("{}/{}", entry.section, entry.function);
        match (compare_program(&object, program, &packets()), &entry.kernel_gap) {
            (ProgramResult::Ran { agreed, differed, .. }, None) if differed.is_empty() && agreed > 0 => {
                eprintln!("{title}: kernel and interpreter agree on {agreed} packets");
                compared += 1;
            }
            (ProgramResult::Ran { agreed, differed, .. }, Some(gap)) if !differed.is_empty() => {
                eprintln!("{title}: agree on {agreed} packets, differ on {} (known: {gap})", differed.len());
                compared += 1;
            }
            (ProgramResult::Ran { differed, .. }, Some(gap)) if differed.is_empty() => {
                problems.push(format!("{title}: kernel gap closed (remove `kernel-gap = \"{gap}\"`)"))
            }
            (other, _) => problems.push(format!("{title}: {other:?}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared >= 5, "only {compared} programs compared");
}

/// The kernel's own verdict where the kernel crate loads the type: every `pass` program is
/// accepted and every unsafe twin refused, so the manifest's verdicts are the kernel's.
#[test]
fn the_live_kernel_agrees_with_every_verdict_it_can_check() {
    if !common::tools_present() || !capability::available_or_explain("program_types kernel verdicts") {
        return;
    }
    let mut problems = Vec::new();
    let (mut checked, mut not_loaded) = (0, Vec::new());
    for entry in &manifest().program {
        let object = load(entry);
        let program = program(&object, entry);
        let title = format!("{}/{}", entry.section, entry.function);
        match (load_for_verdict(&object, program), entry.verdict.as_str()) {
            (Ok(()), "pass") | (Err(KernelError::Rejected { .. }), "fail") => checked += 1,
            (Err(KernelError::Unsupported(_)), _) => not_loaded.push(title),
            // A perf event array without max_entries: libbpf sizes it to the cpu count, the
            // kernel crate creates maps as written.
            (Err(KernelError::Syscall { command: "BPF_MAP_CREATE", .. }), _) => {
                not_loaded.push(format!("{title} (map as written not creatable)"))
            }
            (outcome, verdict) => problems.push(format!("{title}: manifest says {verdict}, kernel: {outcome:?}")),
        }
    }
    eprintln!("{checked} verdicts checked in the kernel; not loaded by the kernel crate: {}", not_loaded.join(", "));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 10, "only {checked} verdicts checked");
}
