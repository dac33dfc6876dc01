//! What the kernel verifier does that real programs need (issue 11, items 6 and 7): the
//! privilege switch, may_goto, bpf_loop callbacks, spin-lock regions and tail calls. Each
//! safe program beside its unsafe twins, as `pc KIND STATUS` lines of the failed obligations,
//! or `PASS`.

mod common;

use bpfprove_analyzer::Config;
use bpfprove_analyzer::subject::MapInfo;
use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::model::privilege::Privilege;
use common::{Surroundings, assert_outcome};

const SOCKET: ProgramType = ProgramType::SocketFilter;
const KPROBE: ProgramType = ProgramType::Kprobe;
const XDP: ProgramType = ProgramType::Xdp;

/// What verifying `text` for a loader of `privilege` gives, with map 0 an 8-byte array.
fn outcome(text: &str, program_type: ProgramType, privilege: Privilege) -> String {
    let maps = vec![MapInfo::plain("m", MapKind::Array, 4, 8)];
    let config = Config { privilege, ..Config::standard(DomainKind::Product) };
    common::outcome(text, program_type, config, Surroundings { maps, kfuncs: &[] })
}

/// Checks `text` under both privileges.
fn check(text: &str, program_type: ProgramType, privileged: &str, unprivileged: &str) {
    assert_outcome(&outcome(text, program_type, Privilege::Privileged), privileged, text);
    assert_outcome(&outcome(text, program_type, Privilege::Unprivileged), unprivileged, text);
}

const LOOKUP: &str = "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0x0\ncall 1\n";

#[test]
fn uninitialised_stack_reads_are_unknown_numbers_when_privileged() {
    check("r0 = *(u64 *)(r10 - 8)\nr0 &= 1\nexit\n", SOCKET, "PASS", "0 uninit-stack unknown");
    // A helper's key read from never-written stack.
    let key = "r2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0x0\ncall 1\nr0 = 0\nexit\n";
    check(key, SOCKET, "PASS", "4 uninit-stack unknown");
}

#[test]
fn addresses_may_be_returned_only_when_privileged_and_unranged() {
    check("r0 = r10\nexit\n", KPROBE, "PASS", "0 privilege refuted\n1 privilege refuted");
    // XDP's range holds for privileged loaders too.
    assert_outcome(&outcome("r0 = r10\nexit\n", XDP, Privilege::Privileged), "1 return-range refuted", "xdp");
}

#[test]
fn addresses_stored_outside_the_stack_leak() {
    let store = format!("{LOOKUP}if r0 == 0 goto +1\n*(u64 *)(r0 + 0) = r10\nr0 = 0\nexit\n");
    // The lookup's lddw takes two slots, so the store is at pc 8.
    check(&store, SOCKET, "PASS", "8 privilege refuted");
    let spill = format!(
        "{LOOKUP}if r0 == 0 goto +3\n*(u64 *)(r10 - 16) = r0\nr1 = *(u64 *)(r10 - 16)\nr0 = *(u64 *)(r1 + 0)\nr0 = 0\nexit\n"
    );
    check(&spill, SOCKET, "PASS", "PASS");
}

#[test]
fn comparisons_of_addresses_leak_unless_null_tests() {
    check("r2 = r10\nr0 = 0\nif r2 > 0x1000 goto +1\nr0 = 1\nexit\n", SOCKET, "PASS", "2 privilege refuted");
    let null_test = format!("{LOOKUP}if r0 != 0 goto +1\nexit\nr0 = 0\nexit\n");
    check(&null_test, SOCKET, "PASS", "PASS");
}

#[test]
fn arithmetic_that_exposes_addresses_leaks() {
    check("r2 = r10\nr3 = r10\nr3 += -8\nr2 -= r3\nr0 = 0\nexit\n", SOCKET, "PASS", "3 privilege refuted");
    check("w2 = w10\nr0 = 0\nexit\n", SOCKET, "PASS", "0 privilege refuted");
    check(
        "*(u64 *)(r10 - 8) = r10\nr0 = *(u32 *)(r10 - 8)\nr0 = 0\nexit\n",
        SOCKET,
        "1 policy refuted",
        "1 privilege refuted\n1 policy refuted",
    );
}

#[test]
fn unprivileged_loaders_get_socket_filters_without_cap_bpf_features() {
    check("r0 = 2\nexit\n", XDP, "PASS", "0 privilege refuted");
    check("call f\nr0 = 0\nexit\nf:\nr0 = 0\nexit\n", SOCKET, "PASS", "0 privilege refuted");
    check("r1 = 4\nr1 += -1\nif r1 != 0 goto -2\nr0 = 0\nexit\n", SOCKET, "PASS", "2 privilege refuted");
    let printk = "r1 = 0x0a6968\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 4\ncall 6\nr0 = 0\nexit\n";
    check(printk, SOCKET, "PASS", "5 privilege refuted");
}

/// Checks `text` for a privileged loader.
fn check_privileged(text: &str, program_type: ProgramType, expect: &str) {
    assert_outcome(&outcome(text, program_type, Privilege::Privileged), expect, text);
}

#[test]
fn loops_through_may_goto_end_by_its_budget() {
    // No condition ends the loop: the budget does.
    check_privileged("r0 = 0\nloop:\nmay_goto +2\nr0 += 1\ngoto loop\nr0 = 0\nexit\n", SOCKET, "PASS");
    // The same loop without may_goto never ends.
    check_privileged("r0 = 0\nloop:\nr0 += 1\ngoto loop\n", SOCKET, "2 termination unknown");
    // One cycle passes the may_goto, the other (pcs 1 and 2) does not: termination is left
    // open at the loop's latch and on the cycle the budget does not bound.
    let bypass = "r0 = 0\nloop:\nr0 += 1\nif r0 > 7 goto loop\nmay_goto +1\ngoto loop\nr0 = 0\nexit\n";
    check_privileged(bypass, SOCKET, "1 termination unknown\n4 termination unknown");
}

#[test]
fn may_goto_goes_either_way_whatever_the_state() {
    // The loop may stop at any round, so r0 is any round's count; both edges are analysed.
    let text = "r1 = 0\nloop:\nmay_goto +4\nr1 += 1\nif r1 < 16 goto loop\nr0 = 0\nexit\nr0 = r1\nr0 &= 3\nexit\n";
    check_privileged(text, XDP, "PASS");
    // A stack write that moves down each round leaves the frame after 64 rounds: the budget
    // is no bound on it.
    let walk = "r1 = r10\nloop:\nmay_goto +4\nr1 += -8\nr2 = 0\n*(u64 *)(r1 + 0) = r2\ngoto loop\nr0 = 0\nexit\n";
    check_privileged(walk, SOCKET, "4 stack-bounds unknown");
}
