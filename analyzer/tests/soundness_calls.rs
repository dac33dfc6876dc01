//! Soundness around calls, helpers and memory they write: small programs in LLVM assembly
//! that the analyzer once accepted although they are unsafe, each beside a safe twin that
//! must keep passing. Every case goes through [`check`]: the expected outcome is `PASS`, or
//! the failed obligations as `pc KIND STATUS` lines in pc order.

mod common;

use std::collections::BTreeMap;

use bpfprove_analyzer::Config;
use bpfprove_analyzer::subject::{DataSection, MapInfo};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::program::FunctionId;
use common::{Surroundings, assert_outcome};

const XDP: ProgramType = ProgramType::Xdp;
const SOCKET: ProgramType = ProgramType::SocketFilter;
const TC: ProgramType = ProgramType::SchedCls;

/// The maps every test program sees: 0 a hash map, 1 a ring buffer, 2 a writable `.data`
/// section whose first slot holds the address of function 1 (a function-pointer variable of
/// a prototype function 1 has) and whose second slot holds 7, 3 a `.rodata` section holding
/// 7 in its first slot.
fn maps() -> Vec<MapInfo> {
    let data = |read_only: bool, image: Vec<u8>, pointers: &[(u32, u32)]| DataSection {
        read_only,
        image,
        function_slots: pointers.iter().map(|&(offset, f)| (offset, FunctionId(f))).collect(),
        function_pointer_slots: if read_only {
            BTreeMap::new()
        } else {
            [(0, [FunctionId(1)].into_iter().collect())].into_iter().collect()
        },
        shared: false,
    };
    let mut data_image = vec![0u8; 16];
    data_image[8] = 7;
    let mut rodata_image = vec![0u8; 8];
    rodata_image[0] = 7;
    let global = |name: &str, section: DataSection| MapInfo {
        name: name.into(),
        kind: MapKind::GlobalData,
        key_size: 4,
        value_size: section.image.len() as u32,
        access: bpfprove_semantics::model::maps::ProgramAccess::of(0, section.read_only),
        spin_lock: None,
        data: Some(section),
        map_type: None,
        inner: None,
        template: false,
    };
    vec![
        MapInfo::plain("counts", MapKind::Hash, 4, 8),
        MapInfo::plain("events", MapKind::RingBuffer, 0, 0),
        global(".data", data(false, data_image, &[(0, 1)])),
        global(".rodata", data(true, rodata_image, &[])),
    ]
}

/// What verifying `text` gives.
fn outcome(text: &str, program_type: ProgramType, config: Config) -> String {
    common::outcome(text, program_type, config, Surroundings { maps: maps(), kfuncs: &[] })
}

/// Checks that `text` verifies to `expect` with the product domain and standard settings.
fn check(text: &str, program_type: ProgramType, expect: &str) {
    check_with(text, program_type, Config::standard(DomainKind::Product), expect);
}

fn check_with(text: &str, program_type: ProgramType, config: Config, expect: &str) {
    assert_outcome(&outcome(text, program_type, config), expect, text);
}

// --- Class 6: invalidation inside callees reaches the callers' registers and stacks. ---

/// Looks up key 0 of `counts` into `r0` and leaves the program when it is NULL (pcs 0..=7).
const LOOKUP: &str = "r2 = 0\n*(u32 *)(r10 - 4) = r2\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0x0\ncall 0x1\n\
                      if r0 == 0 goto out\n";

/// A subprogram calling helper `helper` on key 0 of `counts`.
fn on_key(name: &str, helper: u32) -> String {
    format!(
        "{name}:\nr2 = 0\n*(u32 *)(r10 - 4) = r2\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x5, 0x0\ncall {helper:#x}\n\
         r0 = 0\nexit\n"
    )
}

#[test]
fn a_map_delete_in_a_callee_invalidates_the_callers_saved_registers() {
    let caller = format!("{LOOKUP}r6 = r0\ncall del\nr0 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit\n");
    check(&format!("{caller}{}", on_key("del", 3)), SOCKET, "10 dereference refuted");
    check(&format!("{caller}{}", on_key("del", 1)), SOCKET, "PASS");
}

#[test]
fn a_map_delete_two_calls_down_invalidates_the_outermost_registers() {
    let caller = format!("{LOOKUP}r6 = r0\ncall mid\nr0 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit\n");
    let mid = "mid:\nr6 = 5\ncall del\nr0 = r6\nexit\n";
    check(&format!("{caller}{mid}{}", on_key("del", 3)), SOCKET, "10 dereference refuted");
    check(&format!("{caller}{mid}{}", on_key("del", 1)), SOCKET, "PASS");
}

#[test]
fn a_map_delete_in_a_callee_invalidates_the_callers_spilled_pointers() {
    let caller = format!(
        "{LOOKUP}*(u64 *)(r10 - 16) = r0\ncall del\nr6 = *(u64 *)(r10 - 16)\nr0 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit\n"
    );
    check(&format!("{caller}{}", on_key("del", 3)), SOCKET, "11 dereference refuted");
    check(&format!("{caller}{}", on_key("del", 1)), SOCKET, "PASS");
}

#[test]
fn a_record_submitted_by_a_callee_is_gone_for_the_caller() {
    let reserve = "ld_pseudo r1, 0x5, 0x1\nr2 = 8\nr3 = 0\ncall 0x83\nif r0 == 0 goto out\nr6 = r0\n";
    let used_after = format!(
        "{reserve}r1 = r0\ncall submit\nr1 = 0\n*(u64 *)(r6 + 0) = r1\nout:\nr0 = 0\nexit\n\
         submit:\nr2 = 0\ncall 0x84\nr0 = 0\nexit\n"
    );
    check(&used_after, SOCKET, "10 dereference refuted");
    let used_before = format!(
        "{reserve}r1 = 0\n*(u64 *)(r6 + 0) = r1\nr1 = r6\ncall submit\nout:\nr0 = 0\nexit\n\
         submit:\nr2 = 0\ncall 0x84\nr0 = 0\nexit\n"
    );
    check(&used_before, SOCKET, "PASS");
}

/// Checks 8 bytes of packet at `r6` (pcs 0..=4), calls `sub`, then reads the packet (pc 6).
const PACKET_CALLER: &str = "r6 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr2 = r6\nr2 += 8\nif r2 > r3 goto out\n\
                             call sub\nr0 = *(u8 *)(r6 + 0)\nout:\nr0 = 2\nexit\n";

#[test]
fn a_packet_move_in_a_callee_invalidates_the_callers_packet_pointers() {
    check(&format!("{PACKET_CALLER}sub:\nr2 = 4\ncall 0x2c\nr0 = 0\nexit\n"), XDP, "6 dereference refuted");
    check(&format!("{PACKET_CALLER}sub:\nr0 = 0\nexit\n"), XDP, "PASS");
}

#[test]
fn a_tail_call_in_a_subprogram_may_return_another_programs_packet_and_r0() {
    let tail = "sub:\nld_pseudo r2, 0x5, 0x0\nr3 = 0\ncall 0xc\nr0 = 0\nexit\n";
    check(&format!("{PACKET_CALLER}{tail}"), XDP, "6 dereference refuted");
    // The tail-called program's r0 comes back to the caller of the subprogram.
    let uses_r0 =
        format!("call sub\nr1 = r10\nr1 += -8\nr1 += r0\nr2 = 0\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit\n{tail}");
    check(&uses_r0, XDP, "5 stack-bounds unknown");
    // In the program itself a tail call that succeeds never comes back.
    check("ld_pseudo r2, 0x5, 0x0\nr3 = 0\ncall 0xc\nr0 = 0\nexit\n", XDP, "PASS");
}

// --- Class 7: memory written by helpers is forgotten or tracked. ---

#[test]
fn a_helper_writing_the_stack_at_a_variable_offset_forgets_what_it_may_overwrite() {
    let text = |mask: u32| {
        format!(
            "*(u64 *)(r10 - 8) = r1\nr2 = 0\n*(u64 *)(r10 - 16) = r2\nr4 = *(u32 *)(r1 + 0)\nr4 &= {mask}\n\
             r3 = r10\nr3 += -16\nr3 += r4\nr2 = 0\nr4 = 8\ncall 0x1a\nr1 = *(u64 *)(r10 - 8)\n\
             r0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit\n"
        )
    };
    check(&text(8), TC, "12 dereference refuted");
    check(&text(0), TC, "PASS");
}

#[test]
fn a_helper_writing_global_data_forgets_its_old_contents() {
    // skb_load_bytes overwrites the function pointer in `.data`; calling it is no longer safe.
    let text = |helper_writes: bool| {
        let write = if helper_writes {
            "ld_pseudo r3, 0x6, 0x2, 0x0\nr2 = 0\nr4 = 8\ncall 0x1a\n"
        } else {
            "ld_pseudo r3, 0x6, 0x2, 0x8\nr2 = 0\nr4 = 8\ncall 0x1a\n"
        };
        format!(
            "r7 = f ll\nr6 = r1\n{write}ld_pseudo r2, 0x6, 0x2, 0x0\nr2 = *(u64 *)(r2 + 0)\nif r2 == 0 goto out\nr1 = r6\n\
             callx r2\nout:\nr0 = 0\nexit\nf:\nr0 = 0\nexit\n"
        )
    };
    check(&text(true), TC, "13 callx-target unknown");
    check(&text(false), TC, "PASS");
}

// --- Class 9: r10 is read-only. ---

#[test]
fn loads_fills_and_atomics_may_not_write_r10() {
    check("*(u64 *)(r10 - 8) = r1\nr10 = *(u64 *)(r10 - 8)\nr0 = 0\nexit\n", SOCKET, "1 pointer-arithmetic refuted");
    check("r10 = *(u32 *)(r1 + 0)\nr0 = 0\nexit\n", SOCKET, "0 pointer-arithmetic refuted");
    check("r10 = 5 ll\nr0 = 0\nexit\n", SOCKET, "0 pointer-arithmetic refuted");
    check(
        "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr10 = atomic_fetch_add((u64 *)(r2 + 0), r10)\nr0 = 0\nexit\n",
        SOCKET,
        "4 pointer-arithmetic refuted",
    );
    check("*(u64 *)(r10 - 8) = r1\nr2 = *(u64 *)(r10 - 8)\nr0 = 0\nexit\n", SOCKET, "PASS");
}

// --- Class 10: the combined stack depth of a call chain is at most 512 bytes. ---

#[test]
fn the_frames_of_a_call_chain_share_512_bytes() {
    // 480 bytes here (rounded to 32) plus 64 in the callee: 544.
    let deep = "r1 = 0\n*(u64 *)(r10 - 480) = r1\ncall sub\nr0 = 0\nexit\nsub:\nr1 = 0\n*(u64 *)(r10 - 40) = r1\nr0 = 0\nexit\n";
    check(deep, SOCKET, "2 stack-depth refuted");
    // 480 + 32 = 512 fits.
    check(&deep.replace("r10 - 40", "r10 - 32"), SOCKET, "PASS");
    // A frame with no stack access still counts 32 bytes.
    check(
        &deep.replace("*(u64 *)(r10 - 40) = r1\n", "").replace("r10 - 480", "r10 - 488"),
        SOCKET,
        "2 stack-depth refuted",
    );
}

#[test]
fn a_subprogram_making_a_tail_call_sits_on_less_than_256_bytes() {
    let text = |depth: u32| {
        format!(
            "r2 = 0\n*(u64 *)(r10 - {depth}) = r2\ncall sub\nr0 = 0\nexit\n\
             sub:\nld_pseudo r2, 0x5, 0x0\nr3 = 0\ncall 0xc\nr0 = 0\nexit\n"
        )
    };
    check(&text(256), SOCKET, "2 stack-depth refuted");
    check(&text(224), SOCKET, "PASS");
}

#[test]
fn callbacks_count_in_the_call_chain() {
    let text = |depth: u32| {
        format!(
            "r1 = 0\n*(u64 *)(r10 - 480) = r1\nr1 = 4\nr2 = step ll\nr3 = 0\nr4 = 0\ncall 0xb5\nr0 = 0\nexit\n\
             step:\nr1 = 0\n*(u64 *)(r10 - {depth}) = r1\nr0 = 0\nexit\n"
        )
    };
    check(&text(40), SOCKET, "7 stack-depth refuted");
    check(&text(32), SOCKET, "PASS");
}

#[test]
fn stack_passed_to_a_callee_counts_for_its_owner() {
    // The callee writes 480 bytes down the caller's frame: the caller's frame is 480 deep.
    let text = "r1 = r10\nr1 += -480\ncall sub\nr0 = 0\nexit\nsub:\nr2 = 0\n*(u64 *)(r1 + 0) = r2\n\
                *(u64 *)(r10 - 40) = r2\nr0 = 0\nexit\n";
    check(text, SOCKET, "2 stack-depth refuted");
}

// --- Class 11: `.data` and `.bss` may be written by user space after load. ---

#[test]
fn writable_global_data_is_unknown_unless_its_initial_values_are_assumed() {
    // `.data` slot 1 holds 7 in the file; user space may have written anything since.
    let text = |map: u32, offset: u32| {
        format!(
            "ld_pseudo r1, 0x6, {map:#x}, {offset:#x}\nr1 = *(u64 *)(r1 + 0)\nr2 = r10\nr2 += -8\nr2 += r1\n\
             r1 = 0\n*(u64 *)(r2 + 0) = r1\nr0 = 0\nexit\n"
        )
    };
    // 7 as an offset from fp - 8 leaves the frame either way: the loaded value matters.
    let negative = |map: u32, offset: u32| text(map, offset).replace("r2 += -8\n", "r2 += -16\n");
    check(&negative(2, 8), SOCKET, "7 stack-bounds unknown");
    let assume = Config { assume_initial_globals: true, ..Config::standard(DomainKind::Product) };
    check_with(&negative(2, 8), SOCKET, assume, "PASS");
    // `.rodata` is frozen at load: its contents are known.
    check(&negative(3, 0), SOCKET, "PASS");
}

#[test]
fn function_pointer_globals_hold_null_or_a_matching_subprogram() {
    // `static int (*f)(struct __sk_buff *); if (f) f(skb);`
    let text = "r7 = f ll\nr6 = r1\nld_pseudo r2, 0x6, 0x2, 0x0\nr2 = *(u64 *)(r2 + 0)\nif r2 == 0 goto out\nr1 = r6\n\
                callx r2\nout:\nr0 = 0\nexit\nf:\nr0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit\n";
    check(text, TC, "PASS");
    // Without the NULL check the pointer may be NULL.
    check(&text.replace("if r2 == 0 goto out\n", ""), TC, "7 callx-target unknown");
}

#[test]
fn stores_through_a_lookup_of_a_global_data_map_reach_its_variables() {
    // The `.data` map's value is the section itself: writing it through the looked-up
    // pointer replaces the function pointer.
    let text = "r7 = f ll\nr6 = r1\nr2 = 0\n*(u32 *)(r10 - 4) = r2\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x1, 0x2\n\
                call 0x1\nif r0 == 0 goto out\nr1 = 0\n*(u64 *)(r0 + 8) = r1\nr1 = 0x1234\n*(u64 *)(r0 + 0) = r1\n\
                ld_pseudo r2, 0x6, 0x2, 0x0\nr2 = *(u64 *)(r2 + 0)\nif r2 == 0 goto out\nr1 = r6\ncallx r2\n\
                out:\nr0 = 0\nexit\nf:\nr0 = 0\nexit\n";
    check(text, TC, "20 callx-target unknown");
    // Writing only the other variable leaves the function pointer typed.
    check(&text.replace("*(u64 *)(r0 + 0) = r1", "*(u64 *)(r0 + 8) = r1"), TC, "PASS");
}
