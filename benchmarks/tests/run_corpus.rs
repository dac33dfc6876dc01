//! Every safe corpus program runs in the interpreter, with its maps, global data and Linux's
//! helpers, on a few inputs (hand-made packets and seeded random packets or context bytes)
//! at every cpu level it is listed for, without a trap. A trap here means either a wrong
//! manifest verdict or a gap in the machine model (context layout, map, helper).

mod common;

use common::Rng;

use bpfprove_benchmarks::corpus::{Cpu, Manifest, Verdict};
use bpfprove_semantics::elf;
use bpfprove_semantics::interp::context::ContextKind;
use bpfprove_semantics::interp::elf_run::{self, ObjectRunner};
use bpfprove_semantics::interp::{CallxModel, RunConfig};

/// Random inputs per program and cpu, besides the hand-made packets.
const RANDOM_INPUTS: usize = 24;

/// Ethernet + IPv4 (ihl 5) + a 20-byte L4 header of protocol `protocol`, destination port
/// `port`.
fn ipv4_packet(protocol: u8, port: u16, vlan: bool) -> Vec<u8> {
    let mut packet = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    if vlan {
        packet.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
    }
    packet.extend_from_slice(&[0x08, 0x00]);
    packet.extend_from_slice(&[0x45, 0, 0, 40, 0, 1, 0, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    packet.extend_from_slice(&[0x30, 0x39]);
    packet.extend_from_slice(&port.to_be_bytes());
    packet.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0]);
    packet.extend_from_slice(&[0xab; 16]);
    packet
}

/// Ethernet + IPv6 with hop limit 64.
fn ipv6_packet() -> Vec<u8> {
    let mut packet = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x86, 0xdd];
    packet.extend_from_slice(&[0x60, 0, 0, 0, 0, 8, 17, 64]);
    packet.extend_from_slice(&[0x20; 32]);
    packet.extend_from_slice(&[0; 8]);
    packet
}

/// Packets that take the programs' deeper paths.
fn packets() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        vec![0; 14],
        ipv4_packet(6, 22, false),
        ipv4_packet(6, 80, true),
        ipv4_packet(17, 53, false),
        ipv4_packet(1, 0, false),
        ipv6_packet(),
        vec![0xff; 1600],
    ]
}

/// The inputs for a program whose context is `context` (an iterator gets the call after
/// its last element: the sizes of the map it would attach to are not in the object).
fn inputs(context: ContextKind, rng: &mut Rng) -> Vec<Vec<u8>> {
    let fixed = match context {
        ContextKind::Packet(_) => packets(),
        _ => Vec::new(),
    };
    let random = if matches!(context, ContextKind::Iterator(_)) { 0 } else { RANDOM_INPUTS };
    let mut inputs = common::context_inputs(context, fixed, random, 0, rng);
    if matches!(context, ContextKind::Iterator(_)) {
        inputs.push(Vec::new());
    }
    inputs
}

#[test]
fn every_safe_program_runs_without_a_trap() {
    if !common::tools_present() {
        return;
    }
    let manifest = Manifest::corpus();
    let mut runs = 0;
    let mut failures = Vec::new();
    for entry in manifest.programs.iter().filter(|e| e.verdict == Verdict::Safe) {
        for &cpu in &entry.cpus {
            let path = common::corpus_dir().join(cpu.name()).join(format!("{}.o", entry.object));
            let object = elf::load(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let program = object
                .programs_in(&entry.section)
                .find(|p| p.name == entry.function)
                .unwrap_or_else(|| panic!("{}: no {} in {}", path.display(), entry.function, entry.section));
            let config = RunConfig::new(CallxModel::Address, 1_000_000);
            // One runner per program and cpu: later inputs see what earlier ones left in the maps.
            let mut runner = ObjectRunner::new(&object, program, config).expect("the corpus's program types are known");
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ runs as u64);
            for input in inputs(runner.context(), &mut rng) {
                let run = runner.run(&input).expect("inputs fit the context");
                runs += 1;
                if let Err(trap) = run.result {
                    let at = runner.location(elf_run::innermost(&trap).pc).map(|l| l.to_string()).unwrap_or_default();
                    failures.push(format!("{cpu} {}: {trap} at {at} on input {input:02x?}", entry.function));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} runs trapped:\n{}", failures.len(), failures.join("\n"));
    assert!(runs > 1000, "only {runs} runs");
}

/// The runs produce what the programs are meant to send out: a ring-buffer record with the
/// fixed pid, a perf event sample, a trace_printk line, and map state that persists.
#[test]
fn outputs_and_maps_are_observable() {
    if !common::tools_present() {
        return;
    }
    let dir = common::corpus_dir().join("v4");
    let load = |name: &str| elf::load(&common::read(&dir.join(format!("{name}.o")))).expect("corpus objects load");
    let config = RunConfig::new(CallxModel::Address, 1_000_000);

    let tracing = load("tracing");
    let openat = tracing.program("kprobe_openat").expect("in the corpus");
    let mut runner = ObjectRunner::new(&tracing, openat, config.clone()).expect("kprobe");
    let run = runner.run(&[]).expect("pt_regs");
    assert_eq!(run.result.map(|o| o.r0), Ok(0));
    let [output] = run.outputs.as_slice() else { panic!("one record: {:?}", run.outputs) };
    let line = elf_run::describe_output(output, runner.maps());
    assert!(line.starts_with("ringbuf events: 96 bytes: 92 10 00 00 e8 03 00 00"), "{line}");
    // The per-pid counter: inserted by the first run, incremented by the second.
    runner.run(&[]).expect("pt_regs").result.expect("no trap");
    let counts = tracing.maps.iter().position(|m| m.name == "open_counts").expect("map");
    let entries = runner.maps().entries(runner.memory(), elf::MapId(counts as u32));
    assert_eq!(entries, [(4242u32.to_le_bytes().to_vec(), 2u64.to_le_bytes().to_vec())]);

    let execve = tracing.program("tp_execve").expect("in the corpus");
    let mut runner = ObjectRunner::new(&tracing, execve, config.clone()).expect("tracepoint");
    let run = runner.run(&[0; 64]).expect("record");
    let lines: Vec<String> = run.outputs.iter().map(|o| elf_run::describe_output(o, runner.maps())).collect();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("perf_event exec_events: 32 bytes: 92 10 00 00 00 00 00 00 62 70 66"), "{lines:?}");

    let globals = load("globals");
    let config_program = globals.program("globals_config").expect("in the corpus");
    let mut runner = ObjectRunner::new(&globals, config_program, config).expect("xdp");
    let run = runner.run(&[0; 1501]).expect("packet");
    assert_eq!(run.result.map(|o| o.r0), Ok(1), "XDP_DROP above cfg_max_len");
    let lines: Vec<String> = run.outputs.iter().map(|o| elf_run::describe_output(o, runner.maps())).collect();
    assert_eq!(lines, ["trace_printk: oversized packet: 1501 bytes"]);
    assert_eq!(runner.run(&[0; 100]).expect("packet").result.map(|o| o.r0), Ok(2), "XDP_PASS");
}

/// Kfunc calls run by name at every cpu: `bpf_kfunc_implicit_arg(skb->len)` returns the
/// length, so the program drops exactly the packets longer than 1500 bytes.
#[test]
fn kfuncs_run_by_name() {
    if !common::tools_present() {
        return;
    }
    for cpu in Cpu::ALL {
        let object = elf::load(&common::read(&common::corpus_dir().join(cpu.name()).join("kfuncs.o")))
            .expect("corpus objects load");
        let program = object.program("tc_kfunc_implicit").expect("in the corpus");
        assert_eq!(program.kfuncs(&object).into_values().collect::<Vec<_>>(), ["bpf_kfunc_implicit_arg"]);
        let config = RunConfig::new(CallxModel::Address, 1_000);
        let mut runner = ObjectRunner::new(&object, program, config).expect("tc");
        for (len, r0) in [(0, 0), (1500, 0), (1501, 2)] {
            let run = runner.run(&vec![0; len]).expect("packet");
            assert_eq!(run.result.map(|o| o.r0), Ok(r0), "{cpu}: a {len}-byte packet");
        }
    }
}
