//! Kernel rules that the analyzer once let through: modified context pointers, references
//! that are never released, RCU read sections out of balance, LD_ABS without the context in
//! r6 or in a program type without it, and (for precision) metadata bounded against `data`.
//! Each case gives the failed obligations as `pc KIND STATUS` lines, or `PASS`.

mod common;

use bpfprove_analyzer::Config;
use bpfprove_analyzer::subject::MapInfo;
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::{self, ProgramType};
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::interp::memory::{FaultReason, region_base};
use bpfprove_semantics::interp::{CallxModel, DefaultHelpers, Machine, RunConfig, TrapKind};
use common::{Surroundings, assert_outcome};

const XDP: ProgramType = ProgramType::Xdp;
const SOCKET: ProgramType = ProgramType::SocketFilter;
const TC: ProgramType = ProgramType::SchedCls;

/// What verifying `text` gives, with map 0 a ring buffer, map 1 a program array, and kfuncs
/// 1 and 2 the RCU lock and unlock.
fn outcome(text: &str, program_type: ProgramType) -> String {
    let maps =
        vec![MapInfo::plain("rb", MapKind::RingBuffer, 0, 0), MapInfo::plain("progs", MapKind::Unsupported, 4, 4)];
    let kfuncs = [(1, "bpf_rcu_read_lock"), (2, "bpf_rcu_read_unlock")];
    common::outcome(text, program_type, Config::standard(DomainKind::Product), Surroundings { maps, kfuncs: &kfuncs })
}

fn check(text: &str, program_type: ProgramType, expect: &str) {
    assert_outcome(&outcome(text, program_type), expect, text);
}

#[test]
fn context_accesses_use_the_unmodified_context_pointer() {
    check("r0 = *(u32 *)(r1 + 8)\nr0 = 0\nexit\n", SOCKET, "PASS");
    check("r1 += 8\nr0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit\n", SOCKET, "1 ctx-access refuted");
    // Back at offset 0 it is the context again.
    check("r1 += 8\nr1 += -8\nr0 = *(u32 *)(r1 + 8)\nr0 = 0\nexit\n", SOCKET, "PASS");
    check("r1 += 8\n*(u32 *)(r1 + 0) = 1\nr0 = 0\nexit\n", TC, "1 ctx-access refuted");
}

/// Reserves an 8-byte record into r0.
const RESERVE: &str = "ld_pseudo r1, 0x5, 0x0\nr2 = 8\nr3 = 0\ncall 131\n";

#[test]
fn reserved_records_are_released_on_every_path() {
    // Surely held at the exit: the leak is certain.
    check(&format!("{RESERVE}r0 = 0\nexit\n"), SOCKET, "6 resources refuted");
    // Submitted when reserved; nothing held when the reservation failed.
    check(&format!("{RESERVE}if r0 == 0 goto out\nr1 = r0\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit\n"), SOCKET, "PASS");
    // A copy tested for NULL tells the same.
    check(
        &format!(
            "{RESERVE}r6 = r0\nif r6 != 0 goto keep\nr0 = 0\nexit\nkeep:\nr1 = r6\nr2 = 0\ncall 133\nr0 = 0\nexit\n"
        ),
        SOCKET,
        "PASS",
    );
    // Kept past its NULL check and never released.
    check(
        &format!(
            "{RESERVE}if r0 == 0 goto out\nr7 = r0\nr0 = 0\nif r7 != 0 goto out\nr1 = r7\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit\n"
        ),
        SOCKET,
        "13 resources unknown",
    );
    // Overwriting the only pointer does not release the record.
    check(
        &format!("{RESERVE}if r0 == 0 goto out\nr0 = 0\nif r0 == 0 goto out\nout:\nr0 = 0\nexit\n"),
        SOCKET,
        "9 resources unknown",
    );
}

#[test]
fn a_record_reserved_again_at_one_site_while_held_is_refused() {
    // The first record would be lost when the loop reserves the second.
    let text = format!(
        "r6 = 0\nloop:\n{RESERVE}if r0 == 0 goto next\nr7 = r0\nif r6 == 0 goto next\nr1 = r7\nr2 = 0\ncall 132\n\
         next:\nr6 += 1\nif r6 < 2 goto loop\nr0 = 0\nexit\n"
    );
    let got = outcome(&text, SOCKET);
    assert!(got.contains("resources unknown"), "{got}");
}

#[test]
fn tail_calls_and_legacy_loads_hold_no_reference() {
    let tail_call = "r6 = r1\nr1 = r6\nld_pseudo r2, 0x5, 0x1\nr3 = 0\ncall 12\nr0 = 0\nexit\n";
    check(tail_call, SOCKET, "PASS");
    let held = format!(
        "r6 = r1\n{RESERVE}if r0 == 0 goto out\nr7 = r0\nr1 = r6\nld_pseudo r2, 0x5, 0x1\nr3 = 0\ncall 12\n\
         r1 = r7\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit\n"
    );
    check(&held, SOCKET, "12 resources refuted");
    let held = format!(
        "r6 = r1\n{RESERVE}if r0 == 0 goto out\nr7 = r0\nr0 = *(u8 *)skb[0]\nr1 = r7\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit\n"
    );
    check(&held, SOCKET, "8 resources refuted");
}

#[test]
fn rcu_read_sections_balance() {
    check("call kfunc 0x1\ncall kfunc 0x2\nr0 = 0\nexit\n", TC, "PASS");
    check("call kfunc 0x1\nr0 = 0\nexit\n", TC, "2 resources refuted");
    check("call kfunc 0x2\nr0 = 0\nexit\n", TC, "0 resources refuted");
    // Locked on one path only, unlocked on both.
    check(
        "r0 = *(u32 *)(r1 + 0)\nif r0 == 0 goto skip\ncall kfunc 0x1\nskip:\ncall kfunc 0x2\nr0 = 0\nexit\n",
        TC,
        "3 resources unknown",
    );
    check("r6 = r1\ncall kfunc 0x1\nr0 = *(u8 *)skb[0]\ncall kfunc 0x2\nr0 = 0\nexit\n", TC, "2 resources refuted");
}

#[test]
fn legacy_packet_loads_need_the_context_in_r6_and_a_socket_or_tc_program() {
    check("r6 = r1\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit\n", SOCKET, "PASS");
    check("r6 = 0\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit\n", SOCKET, "1 ctx-access refuted");
    check("r6 = r1\nr6 += 4\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit\n", SOCKET, "2 ctx-access refuted");
    check("r6 = r1\nr0 = *(u8 *)skb[0]\nr0 = 2\nexit\n", XDP, "1 packet-bounds refuted");
}

#[test]
fn metadata_reads_need_a_check_against_data() {
    let load = "r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 0)\nr4 = r2\nr4 += 4\n";
    check(&format!("{load}if r4 > r3 goto out\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 2\nexit\n"), XDP, "PASS");
    check(
        &format!("{load}if r4 > r3 goto out\nr0 = *(u32 *)(r2 + 1)\nout:\nr0 = 2\nexit\n"),
        XDP,
        "5 packet-bounds unknown",
    );
    check(
        &format!("{load}if r3 >= r4 goto read\nr0 = 2\nexit\nread:\nr0 = *(u32 *)(r2 + 0)\nr0 = 2\nexit\n"),
        XDP,
        "PASS",
    );
    check("r2 = *(u32 *)(r1 + 8)\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit\n", XDP, "1 packet-bounds unknown");
    // The check is forgotten when a helper may move the packet.
    check(
        &format!(
            "{load}if r4 > r3 goto out\nr6 = r1\nr1 = r6\nr2 = -4\ncall 54\nr2 = *(u32 *)(r6 + 8)\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 2\nexit\n"
        ),
        XDP,
        "10 packet-bounds unknown",
    );
}

/// Runs `text` as a `program_type` program on a 16-byte zero packet: `r0`, or the trap.
fn run(text: &str, program_type: ProgramType) -> Result<u64, TrapKind> {
    let program = asm::llvm::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let machine = Machine::new(&program, RunConfig::new(CallxModel::Address, 100));
    let mut memory = machine.new_memory().expect("small memory");
    let installed = context::install(&mut memory, program_type, &[0; 16]).expect("a packet context");
    let args = [region_base(installed.context)];
    machine.run(&mut memory, &args, &mut DefaultHelpers).map(|o| o.r0).map_err(|t| t.kind)
}

#[test]
fn the_interpreter_refuses_the_legacy_loads_the_kernel_refuses() {
    let load = "r0 = *(u8 *)skb[0]\nexit\n";
    assert_eq!(run(&format!("r6 = r1\n{load}"), SOCKET), Ok(0));
    assert_eq!(run(&format!("r6 = r1\n{load}"), TC), Ok(0));
    let no_ctx = TrapKind::LegacyPacketLoadRefused { why: "r6 is not the context" };
    assert_eq!(run(&format!("r6 = 0\n{load}"), SOCKET), Err(no_ctx.clone()));
    assert_eq!(run(&format!("r6 = r1\nr6 += 8\n{load}"), SOCKET), Err(no_ctx));
    let no_skb = TrapKind::LegacyPacketLoadRefused { why: "the program type has no skb" };
    assert_eq!(run(&format!("r6 = r1\n{load}"), XDP), Err(no_skb));
}

#[test]
fn the_interpreter_refuses_context_accesses_through_a_modified_pointer() {
    assert_eq!(run("r0 = *(u32 *)(r1 + 8)\nexit\n", SOCKET), Ok(0));
    let trap = run("r1 += 8\nr0 = *(u32 *)(r1 + 0)\nexit\n", SOCKET);
    assert!(matches!(&trap, Err(TrapKind::Memory(f)) if f.reason == FaultReason::ModifiedContextPointer), "{trap:?}");
    let trap = run("r1 += 8\n*(u32 *)(r1 + 0) = 1\nr0 = 0\nexit\n", TC);
    assert!(matches!(&trap, Err(TrapKind::Memory(f)) if f.reason == FaultReason::ModifiedContextPointer), "{trap:?}");
}
