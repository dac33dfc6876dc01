//! The analyzer on small programs in LLVM assembly, one feature per test. Every case goes
//! through [`check`]: the expected outcome is `PASS`, `UNKNOWN`, or the failed obligations
//! as `pc KIND STATUS` lines in pc order.

mod common;

use bpfprove_analyzer::Config;
use bpfprove_analyzer::subject::MapInfo;
use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::CallxModel;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::model::privilege::Privilege;
use common::{Surroundings, assert_outcome};

/// What verifying `text` gives, with map 0 a hash map (4-byte keys, 8-byte values).
fn outcome(text: &str, program_type: ProgramType, config: Config, kfuncs: &[(i32, &str)]) -> String {
    let maps = vec![MapInfo::plain("counts", MapKind::Hash, 4, 8)];
    common::outcome(text, program_type, config, Surroundings { maps, kfuncs })
}

/// Checks that `text` (a `program_type` program) verifies to `expect` with the product
/// domain and standard settings.
fn check(text: &str, program_type: ProgramType, expect: &str) {
    check_with(text, program_type, Config::standard(DomainKind::Product), expect);
}

fn check_with(text: &str, program_type: ProgramType, config: Config, expect: &str) {
    let got =
        outcome(text, program_type, config, &[(1, "bpf_kfunc_implicit_arg"), (2, "bpf_kfunc_implicit_arg_legacy")]);
    assert_outcome(&got, expect, text);
}

fn unprivileged() -> Config {
    Config { privilege: Privilege::Unprivileged, ..Config::standard(DomainKind::Product) }
}

const XDP: ProgramType = ProgramType::Xdp;
const SOCKET: ProgramType = ProgramType::SocketFilter;
const TC: ProgramType = ProgramType::SchedCls;

#[test]
fn packet_reads_need_a_data_end_check() {
    let checked = "r2 = *(u32 *)(r1 + 0x0)\nr3 = *(u32 *)(r1 + 0x4)\nr0 = 1\nr4 = r2\nr4 += 14\nif r4 > r3 goto out\n";
    check(&format!("{checked}r0 = *(u8 *)(r2 + 13)\nr0 &= 3\nout:\nexit\n"), XDP, "PASS");
    check(&format!("{checked}r0 = *(u8 *)(r2 + 14)\nr0 &= 3\nout:\nexit\n"), XDP, "6 packet-bounds unknown");
}

#[test]
fn variable_packet_offsets_share_their_bounds_check() {
    // r5 = data + (byte & 0x3c); checking r5 + 4 against data_end covers r5[0..4].
    let text = "r2 = *(u32 *)(r1 + 0x0)\nr3 = *(u32 *)(r1 + 0x4)\nr0 = 1\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\n\
                r6 = *(u8 *)(r2 + 0)\nr6 &= 0x3c\nr5 = r2\nr5 += r6\nr7 = r5\nr7 += 4\nif r7 > r3 goto out\n\
                r0 = *(u32 *)(r5 + 0)\nr0 &= 3\nout:\nexit\n";
    check(text, XDP, "PASS");
}

#[test]
fn map_values_must_be_null_checked() {
    let lookup = "r2 = 0\n*(u32 *)(r10 - 4) = r2\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0x0\ncall 0x1\n";
    check(&format!("{lookup}r0 = *(u64 *)(r0 + 0)\nexit\n"), SOCKET, "7 null-deref unknown");
    check(
        &format!("{lookup}r6 = r0\nif r0 == 0 goto out\nr0 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit\n"),
        SOCKET,
        "PASS",
    );
    check(
        &format!("{lookup}if r0 == 0 goto out\nr0 = *(u64 *)(r0 + 4)\nout:\nr0 = 0\nexit\n"),
        SOCKET,
        "8 map-bounds refuted",
    );
}

#[test]
fn spilled_pointers_fill_back_and_uninitialised_stack_is_reported() {
    check("*(u64 *)(r10 - 8) = r1\nr2 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r2 + 0)\nexit\n", SOCKET, "PASS");
    // Never-written stack is an unknown number for a privileged loader, refused otherwise.
    check("r0 = *(u64 *)(r10 - 16)\nexit\n", SOCKET, "PASS");
    check_with("r0 = *(u64 *)(r10 - 16)\nexit\n", SOCKET, unprivileged(), "0 uninit-stack unknown");
    // The kernel refuses a 4-byte fill of a spilled pointer; what it gives is a number, not
    // a pointer.
    check(
        "*(u64 *)(r10 - 8) = r1\nr2 = *(u32 *)(r10 - 8)\nr0 = *(u32 *)(r2 + 0)\nexit\n",
        SOCKET,
        "1 policy refuted\n2 dereference refuted",
    );
    check("r0 = *(u64 *)(r10 - 520)\nexit\n", SOCKET, "0 stack-bounds refuted");
}

#[test]
fn registers_must_be_initialised() {
    check("r0 = r5\nexit\n", SOCKET, "0 uninit-register unknown");
}

#[test]
fn pointer_arithmetic_follows_the_rules() {
    check("r1 &= 1\nr0 = 0\nexit\n", SOCKET, "0 pointer-arithmetic refuted");
    check("r10 += 8\nr0 = 0\nexit\n", SOCKET, "0 pointer-arithmetic refuted");
    check("w1 += 8\nr0 = 0\nexit\n", SOCKET, "0 pointer-arithmetic refuted");
    check("r2 = r10\nr2 += -8\nr3 = r10\nr3 -= r2\nr0 = r3\nexit\n", SOCKET, "PASS");
}

#[test]
fn context_fields_follow_the_program_type() {
    check("r0 = *(u32 *)(r1 + 8)\nexit\n", SOCKET, "PASS");
    check("r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit\n", SOCKET, "1 ctx-access refuted");
    check("r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit\n", TC, "PASS");
    check("r0 = *(u32 *)(r1 + 2)\nexit\n", XDP, "0 ctx-access refuted\n1 return-range unknown");
}

#[test]
fn return_values_follow_the_program_type() {
    check("r0 = 2\nexit\n", XDP, "PASS");
    check("r0 = 7\nexit\n", XDP, "1 return-range refuted");
    // A socket filter's return value has no range: only an unprivileged loader may not see
    // an address there.
    check("r0 = r1\nexit\n", SOCKET, "PASS");
    check_with("r0 = r1\nexit\n", SOCKET, unprivileged(), "1 privilege refuted");
    check("r0 = r1\nexit\n", XDP, "1 return-range refuted");
}

#[test]
fn callx_goes_to_function_entries_in_the_address_model() {
    let text = "r1 = 3\nr4 = callee ll\ncallx r4\nexit\ncallee:\nr0 = r1\nexit\n";
    check(text, SOCKET, "PASS");
    check("r1 = 3\nr4 = 0x1234 ll\ncallx r4\nexit\n", SOCKET, "3 callx-target refuted");
    let either = "r2 = *(u32 *)(r1 + 8)\nr4 = a ll\nif r2 == 0 goto go\nr4 = b ll\ngo:\ncallx r4\nexit\na:\nr0 = 1\nexit\nb:\nr0 = 2\nexit\n";
    check(either, SOCKET, "PASS");
}

#[test]
fn callx_names_a_helper_in_the_helper_id_model() {
    let text = "r4 = 7\ncallx r4\nexit\n";
    let helper_id = Config { callx_model: CallxModel::HelperId, ..Config::standard(DomainKind::Product) };
    check_with(text, SOCKET, helper_id, "PASS");
    check(text, SOCKET, "1 callx-target refuted");
}

#[test]
fn gotox_needs_an_aligned_index_inside_the_table() {
    let table = ".jumptable JT a, b, c, d\nr2 = *(u32 *)(r1 + 8)\n";
    let dispatch = "r2 <<= 3\nr3 = JT ll\nr3 += r2\nr4 = *(u64 *)(r3 + 0)\ngotox r4\na:\nr0 = 0\nexit\nb:\nr0 = 1\nexit\nc:\nr0 = 2\nexit\nd:\nr0 = 3\nexit\n";
    check(&format!("{table}r2 &= 3\n{dispatch}"), SOCKET, "PASS");
    check(&format!("{table}r2 &= 7\n{dispatch}"), SOCKET, "6 gotox-target unknown\n7 gotox-target unknown");
    // Intervals lose the alignment of `index << 3` once the index is a range.
    let interval = Config::standard(DomainKind::Interval);
    check_with(&format!("{table}r2 &= 3\n{dispatch}"), SOCKET, interval, "7 gotox-target refuted");
}

#[test]
fn calls_are_bounded_and_not_recursive() {
    check("r0 = 0\ncall self\nexit\nself:\ncall self\nexit\n", SOCKET, "3 call refuted");
    let mut chain = String::from("call f1\nr0 = 0\nexit\n");
    for i in 1..9 {
        chain.push_str(&format!("f{i}:\ncall f{}\nexit\n", i + 1));
    }
    chain.push_str("f9:\nr0 = 0\nexit\n");
    check(&chain, SOCKET, "15 call refuted");
}

#[test]
fn bounded_loops_terminate_and_others_stay_unknown() {
    check("r0 = 0\nr1 = 0\nloop:\nr0 += r1\nr1 += 1\nif r1 < 100 goto loop\nexit\n", SOCKET, "PASS");
    check("r0 = 0\nloop:\nr2 = *(u32 *)(r1 + 8)\nif r2 != 0 goto loop\nexit\n", SOCKET, "2 termination unknown");
}

#[test]
fn budgets_end_in_unknown_not_a_hang() {
    let tight = Config { max_visits: 50, ..Config::standard(DomainKind::Product) };
    check_with("r0 = 0\nr1 = 0\nloop:\nr0 += r1\nr1 += 1\nif r1 < 100000 goto loop\nexit\n", SOCKET, tight, "UNKNOWN");
}

#[test]
fn kfuncs_with_implicit_arguments_need_only_their_visible_ones() {
    // bpf_kfunc_implicit_arg takes one visible argument; the kernel supplies the rest.
    check("r1 = 5\ncall kfunc 0x1\nexit\n", SOCKET, "PASS");
    // The legacy form has two visible arguments: leaving r2 undefined is an error.
    check("r1 = 5\ncall kfunc 0x2\nexit\n", SOCKET, "1 uninit-register unknown");
    check("r1 = 5\ncall kfunc 0x3\nexit\n", SOCKET, "1 call refuted");
}

#[test]
fn bpf_loop_runs_its_callback_over_the_caller_stack() {
    let text = "r2 = 0\n*(u64 *)(r10 - 8) = r2\nr1 = 16\nr2 = step ll\nr3 = r10\nr3 += -8\nr4 = 0\ncall 0xb5\n\
                r0 = *(u64 *)(r10 - 8)\nexit\nstep:\nr3 = *(u64 *)(r2 + 0)\nr3 += r1\n*(u64 *)(r2 + 0) = r3\nr0 = 0\nexit\n";
    check(text, SOCKET, "PASS");
    let bad_return = text.replace("r0 = 0\nexit\n", "r0 = 5\nexit\n");
    check(&bad_return, SOCKET, "8 return-range refuted");
}

#[test]
fn deleting_an_entry_leaves_pointers_to_its_value_dangling() {
    let lookup = "r2 = 0\n*(u32 *)(r10 - 4) = r2\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0x0\ncall 0x1\n\
                  if r0 == 0 goto out\nr6 = r0\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0x0\ncall 0x3\n";
    check(&format!("{lookup}r0 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit\n"), SOCKET, "14 dereference refuted");
}

#[test]
fn atomics_on_the_context_are_refused() {
    check("r2 = 1\nlock *(u32 *)(r1 + 8) += w2\nr0 = 0\nexit\n", TC, "1 ctx-access refuted");
}

#[test]
fn helpers_are_available_only_to_the_program_types_the_kernel_offers_them_to() {
    // bpf_redirect: tc and XDP, never a socket filter.
    check("r1 = 1\nr2 = 0\ncall 23\nr0 = 0\nexit\n", TC, "PASS");
    check("r1 = 1\nr2 = 0\ncall 23\nr0 = 0\nexit\n", SOCKET, "2 call refuted");
    // bpf_get_current_pid_tgid: every program type (bpf_base_func_proto since 6.10);
    // bpf_get_current_uid_gid: tracing programs, not XDP.
    check("call 14\nr0 = 0\nexit\n", XDP, "PASS");
    check("call 15\nr0 = 0\nexit\n", ProgramType::Kprobe, "PASS");
    check("call 15\nr0 = 0\nexit\n", XDP, "0 call refuted");
    // bpf_skb_load_bytes: not in a kprobe.
    let load = "r6 = r1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\ncall 26\nr0 = 0\nexit\n";
    check(load, SOCKET, "PASS");
    check(load, ProgramType::Kprobe, "6 call refuted");
}

#[test]
fn a_missed_legacy_load_returns_zero_from_its_subprogram() {
    // Linux (checked against the kernel by bpfprove-kernel): a legacy packet load that
    // misses ends the subprogram with r0 = 0, so the caller sees 0 as well as [1, 8].
    let callee = "f:\nr6 = r1\nr0 = *(u8 *)skb[0x0]\nr0 &= 7\nr0 += 1\nexit\n";
    let caller = "r6 = r1\ncall f\nr2 = 0\n*(u64 *)(r10 - 8) = r2\nr1 = r10\nr1 -= r0\n";
    check(&format!("{caller}r0 = *(u8 *)(r1 + 0)\nexit\n{callee}"), SOCKET, "6 stack-bounds unknown");
    let checked = caller.replace("call f\n", "call f\nif r0 == 0 goto out\n");
    check(&format!("{checked}r0 = *(u8 *)(r1 + 0)\nout:\nexit\n{callee}"), SOCKET, "PASS");
}
