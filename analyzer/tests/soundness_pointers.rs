//! Soundness of the analyzer's pointer reasoning, on small programs in LLVM assembly.
//!
//! Each test pairs an unsafe program, which some machine execution makes fault or run
//! forever, with a safe twin that must keep passing. The expected outcome is `PASS`,
//! `UNKNOWN`, or the failed obligations as `pc KIND STATUS` lines in pc order (as in
//! `programs.rs`).
//!
//! The classes: comparisons of pointers whose addresses may wrap; distinct objects behind
//! one region; NULL-check and packet-variable identities that outlive the execution that
//! made them; and possibly-NULL pointers of every region.

mod common;

use bpfprove_analyzer::Config;
use bpfprove_analyzer::subject::MapInfo;
use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::interp::maps::MapKind;
use common::{Surroundings, assert_outcome};

/// What verifying `text` gives, with map 0 a hash map (4-byte keys, 8-byte values) and
/// map 1 a ring buffer.
fn outcome(text: &str, program_type: ProgramType) -> String {
    let maps = vec![MapInfo::plain("counts", MapKind::Hash, 4, 8), MapInfo::plain("events", MapKind::RingBuffer, 0, 0)];
    common::outcome(text, program_type, Config::standard(DomainKind::Product), Surroundings { maps, kfuncs: &[] })
}

fn check(text: &str, program_type: ProgramType, expect: &str) {
    assert_outcome(&outcome(text, program_type), expect, text);
}

const XDP: ProgramType = ProgramType::Xdp;
const SOCKET: ProgramType = ProgramType::SocketFilter;
const TC: ProgramType = ProgramType::SchedCls;

/// Looks up key `key` of map 0 (the key at `r10 - slot`) into `r0`: six instructions.
fn lookup(key: i32, slot: i32) -> String {
    format!("r2 = {key}\n*(u32 *)(r10 - {slot}) = r2\nr2 = r10\nr2 += -{slot}\nld_pseudo r1, 0x5, 0x0\ncall 0x1\n")
}

/// `r3` = any 64-bit number, from two 32-bit socket-buffer fields: four instructions.
const ANY_NUMBER: &str = "r3 = *(u32 *)(r1 + 0)\nr4 = *(u32 *)(r1 + 4)\nr3 <<= 32\nr3 |= r4\n";

// ---- 1. Comparisons of pointers whose addresses may wrap ----

#[test]
fn negative_context_offsets_compare_below_the_context() {
    // r2 = ctx + [-8, 0]; `r2 >= ctx + 1` as addresses leaves all of [-8, 0], not just 0.
    let text = |adjust: &str| {
        format!(
            "r3 = *(u32 *)(r1 + 0)\nr3 &= 8\n{adjust}r2 = r1\nr2 += r3\nr5 = r1\nr5 += 1\n\
             if r2 >= r5 goto out\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 0\nexit\n"
        )
    };
    // Refuted, not merely unknown: a context pointer whose offset may be other than 0 is a
    // modified context pointer, which no access may use.
    check(&text("r3 += -8\n"), SOCKET, "8 ctx-access refuted");
    check(&text(""), SOCKET, "PASS");
}

#[test]
fn a_pointer_below_its_base_is_not_pruned_as_above_it() {
    // ctx + [-8, 8] < ctx happens (for the negative offsets): the branch is live.
    let text = |adjust: &str| {
        format!(
            "r3 = *(u32 *)(r1 + 0)\nr3 &= 16\n{adjust}r2 = r1\nr2 += r3\nif r2 < r1 goto bad\nr0 = 0\nexit\n\
             bad:\nr0 = *(u32 *)(r2 + 0)\nexit\n"
        )
    };
    check(&text("r3 += -8\n"), SOCKET, "8 ctx-access refuted");
    check(&text(""), SOCKET, "PASS");
}

#[test]
fn stack_pointers_with_wild_offsets_are_not_bounded_by_comparisons() {
    // r2 = r10 + any: `r2 >= r10 - 8` and `r2 s<= r10 - 1` hold for an address that
    // wrapped (r2 = 2^64 - 1), so the access is not proven inside the frame.
    let text = |offset: &str| {
        format!(
            "{ANY_NUMBER}{offset}r2 = 0\n*(u64 *)(r10 - 8) = r2\nr2 = r10\nr2 += r3\nr4 = r10\nr4 += -8\n\
             if r2 < r4 goto out\nr4 = r10\nr4 += -1\nif r2 s> r4 goto out\nr0 = *(u8 *)(r2 + 0)\nout:\nr0 = 0\nexit\n"
        )
    };
    check(&text(""), SOCKET, "14 stack-bounds unknown");
    // With a small offset no address wraps, and the comparisons bound it.
    check(&text("r3 &= 15\nr3 += -12\n"), SOCKET, "PASS");
}

#[test]
fn a_pointer_with_a_wild_offset_may_be_null() {
    let text = |offset: &str| {
        format!(
            "{ANY_NUMBER}{offset}r2 = r10\nr2 += r3\nif r2 == 0 goto bad\nr0 = 0\nexit\nbad:\nr0 = *(u64 *)(r10 + 8)\nexit\n"
        )
    };
    check(&text(""), SOCKET, "9 stack-bounds refuted");
    check(&text("r3 &= 7\n"), SOCKET, "PASS");
}

#[test]
fn bits_of_an_address_are_not_bits_of_its_offset() {
    // (r10 - 8) & r10 is not 0 even though (-8) & 0 is: the taken edge is live.
    let text = |taken: &str| format!("r2 = r10\nr2 += -8\nif r2 & r10 goto taken\nr0 = 0\nexit\ntaken:\n{taken}exit\n");
    check(&text("r0 = *(u64 *)(r10 + 8)\n"), SOCKET, "5 stack-bounds refuted");
    check(&text("r0 = 1\n"), SOCKET, "PASS");
}

#[test]
fn packet_checks_of_huge_offsets_teach_nothing() {
    // data + [16, 2^63) <= data_end may hold by wrapping around: no length is learnt.
    let text = |mask: &str| {
        format!(
            "r0 = 1\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr5 = *(u32 *)(r1 + 12)\nr6 = *(u32 *)(r1 + 16)\n\
             r5 <<= 32\nr5 |= r6\n{mask}if r5 < 16 goto out\nif r5 s< 16 goto out\nr4 = r2\nr4 += r5\n\
             if r4 > r3 goto out\nr0 = *(u8 *)(r2 + 15)\nr0 &= 1\nout:\nexit\n"
        )
    };
    check(&text(""), XDP, "12 packet-bounds unknown");
    check(&text("r5 &= 255\n"), XDP, "PASS");
}

// ---- 2. Distinct objects behind one region ----

/// Two checked lookups of map 0 (keys 0 and 1) into r6 and r7, then `rest`.
fn two_values(rest: &str) -> String {
    format!(
        "{}if r0 == 0 goto out\nr6 = r0\n{}if r0 == 0 goto out\nr7 = r0\n{rest}out:\nr0 = 0\nexit\n",
        lookup(0, 4),
        lookup(1, 8)
    )
}

#[test]
fn values_of_two_lookups_are_different_objects() {
    // The distance between two map values is any number, not 0.
    let moved = |distance: &str| two_values(&format!("{distance}r2 = r10\nr2 += r8\nr3 = 0\n*(u64 *)(r2 - 16) = r3\n"));
    check(&moved("r8 = r7\nr8 -= r6\n"), SOCKET, "23 stack-bounds unknown");
    check(&moved("r8 = r6\nr8 += 4\nr8 -= r6\nr8 += -4\n"), SOCKET, "PASS");
}

#[test]
fn pointers_into_two_map_values_may_differ() {
    let text = |second: &str| {
        two_values(&format!("{second}if r6 != r7 goto bad\ngoto out\nbad:\nr0 = *(u64 *)(r10 + 8)\nexit\n"))
    };
    check(&text(""), SOCKET, "20 stack-bounds refuted");
    check(&text("r7 = r6\n"), SOCKET, "PASS");
}

#[test]
fn a_walk_towards_another_object_does_not_terminate() {
    let text = |second: &str| two_values(&format!("{second}loop:\nif r6 == r7 goto out\nr6 += 8\ngoto loop\n"));
    check(&text(""), SOCKET, "20 termination unknown");
    check(&text("r7 = r6\nr7 += 64\n"), SOCKET, "PASS");
}

#[test]
fn pointers_into_one_value_still_compare() {
    // A walk over one map value bounded by its own end pointer is proven in bounds.
    let text = |end: &str| {
        format!(
            "{}if r0 == 0 goto out\nr6 = r0\nr7 = r0\nr7 += {end}\nloop:\nif r6 >= r7 goto out\n\
             r1 = *(u8 *)(r6 + 0)\nr6 += 1\ngoto loop\nout:\nr0 = 0\nexit\n",
            lookup(0, 4)
        )
    };
    check(&text("8"), SOCKET, "PASS");
    check(&text("9"), SOCKET, "12 map-bounds refuted");
}

#[test]
fn records_reserved_at_one_call_are_different_objects() {
    let text = "call reserve\nif r0 == 0 goto out\nr6 = r0\ncall reserve\nif r0 == 0 goto out\nr7 = r0\n\
                r8 = r7\nr8 -= r6\nr2 = r10\nr2 += r8\nr3 = 0\n*(u64 *)(r2 - 8) = r3\n\
                r1 = r7\nr2 = 0\ncall 0x84\nout:\nr0 = 0\nexit\n\
                reserve:\nld_pseudo r1, 0x5, 0x1\nr2 = 8\nr3 = 0\ncall 0x83\nexit\n";
    // The first record also leaks (it is never submitted), which reference tracking reports
    // at the exit; the difference of the two records is what this test is about.
    check(text, SOCKET, "11 stack-bounds unknown\n21 resources unknown");
}

// ---- 3. NULL checks of one lookup site in other executions ----

#[test]
fn a_null_check_covers_only_the_latest_result_of_a_call_site() {
    // `get` looks up map 0; its first result, kept in r6, is not covered by checking the
    // second one.
    let get = format!("get:\n{}exit\n", lookup(0, 4));
    let text =
        |deref: &str| format!("call get\nr6 = r0\ncall get\nif r0 == 0 goto out\n{deref}out:\nr0 = 0\nexit\n{get}");
    check(&text("r0 = *(u64 *)(r6 + 0)\n"), SOCKET, "4 null-deref unknown");
    check(&text("r0 = *(u64 *)(r0 + 0)\n"), SOCKET, "PASS");
}

#[test]
fn a_null_check_in_a_later_iteration_covers_only_its_result() {
    // Iteration one keeps its (unchecked) result in r6; iteration two checks its own.
    let text = |deref: &str| {
        format!(
            "r9 = 0\nr6 = 0\nloop:\n{}if r9 != 0 goto second\nr6 = r0\nr9 = 1\ngoto loop\n\
             second:\nif r0 == 0 goto out\n{deref}out:\nr0 = 0\nexit\n",
            lookup(0, 4)
        )
    };
    check(&text("r0 = *(u64 *)(r6 + 0)\n"), SOCKET, "14 null-deref unknown");
    check(&text("r0 = *(u64 *)(r0 + 0)\n"), SOCKET, "PASS");
}

#[test]
fn a_pointer_joined_with_a_lookup_result_is_not_its_copy() {
    // r6 is either r7 (unchecked result of the first lookup) or a checked value of the
    // second; r7 == NULL says nothing about r6 on the second path.
    let text = |use_r6: &str| {
        format!(
            "r9 = *(u32 *)(r1 + 0)\n{}r7 = r0\n{}if r0 == 0 goto out\nr6 = r0\n\
             if r9 == 0 goto join\nr6 = r7\njoin:\nif r7 != 0 goto out\n{use_r6}out:\nr0 = 0\nexit\n",
            lookup(0, 4),
            lookup(1, 8)
        )
    };
    check(
        &text("r2 = r10\nr2 += r6\nr3 = 0\n*(u64 *)(r2 - 8) = r3\n"),
        SOCKET,
        "22 pointer-arithmetic refuted\n24 dereference refuted",
    );
    check(&text("r2 = r10\nr3 = 0\n*(u64 *)(r2 - 8) = r3\n"), SOCKET, "PASS");
}

// ---- 4. Packet variables of one site in other executions ----

#[test]
fn a_packet_variable_bounded_in_a_later_call_does_not_bound_an_earlier_result() {
    // `at` returns data + (r2 & 0xfc), a variable offset introduced at one pc. The caller
    // keeps the first result in r8 and bounds the second: that says nothing of r8.
    let text = |deref: &str| {
        format!(
            "r0 = 1\nr6 = *(u32 *)(r1 + 0)\nr7 = *(u32 *)(r1 + 4)\nr9 = *(u32 *)(r1 + 16)\nr1 = r6\nr2 = r9\ncall at\n\
             r8 = r0\nr1 = r6\nr2 = r9\nr2 &= 4\ncall at\nr3 = r0\nr3 += 4\nr0 = 1\nif r3 > r7 goto out\n{deref}\
             r0 &= 1\nout:\nexit\nat:\nr2 &= 0xfc\nr0 = r1\nr0 += r2\nexit\n"
        )
    };
    check(&text("r0 = *(u32 *)(r8 + 0)\n"), XDP, "16 packet-bounds unknown");
    check(&text("r0 = *(u32 *)(r3 - 4)\n"), XDP, "PASS");
}

// ---- 5. Possibly-NULL pointers of every region ----

/// `r6` = `pointer` or NULL (chosen by a context field): four instructions.
fn maybe_null(pointer: &str) -> String {
    format!("r6 = {pointer}\nr2 = *(u32 *)(r1 + 0)\nif r2 != 0 goto keep\nr6 = 0\nkeep:\n")
}

#[test]
fn a_possibly_null_context_pointer_is_not_dereferenced() {
    let text = |check: &str| format!("{}{check}r0 = *(u32 *)(r6 + 0)\nout:\nr0 = 0\nexit\n", maybe_null("r1"));
    check(&text(""), SOCKET, "4 null-deref unknown");
    check(&text("if r6 == 0 goto out\n"), SOCKET, "PASS");
}

#[test]
fn a_possibly_null_stack_pointer_is_not_written() {
    let text = |check: &str| format!("{}{check}r3 = 0\n*(u64 *)(r6 - 8) = r3\nout:\nr0 = 0\nexit\n", maybe_null("r10"));
    check(&text(""), SOCKET, "5 null-deref unknown");
    check(&text("if r6 == 0 goto out\n"), SOCKET, "PASS");
}

#[test]
fn a_possibly_null_map_handle_is_no_helper_argument() {
    let text = |check: &str| {
        format!(
            "ld_pseudo r6, 0x5, 0x0\nr2 = *(u32 *)(r1 + 0)\nif r2 != 0 goto keep\nr6 = 0\nkeep:\n{check}\
             r2 = 0\n*(u32 *)(r10 - 4) = r2\nr2 = r10\nr2 += -4\nr1 = r6\ncall 0x1\nout:\nr0 = 0\nexit\n"
        )
    };
    check(&text(""), SOCKET, "10 helper-argument unknown");
    check(&text("if r6 == 0 goto out\n"), SOCKET, "PASS");
}

#[test]
fn a_possibly_null_context_is_no_helper_argument() {
    let text = |check: &str| format!("{}{check}r1 = r6\ncall 0x11\nout:\nr0 = 0\nexit\n", maybe_null("r1"));
    check(&text(""), TC, "5 helper-argument unknown");
    check(&text("if r6 == 0 goto out\n"), TC, "PASS");
}

#[test]
fn a_possibly_null_pointer_has_no_distance() {
    let text = |check: &str| {
        format!(
            "{}{check}r7 = r6\nr7 -= r10\nr2 = r10\nr2 += r7\nr3 = 0\n*(u64 *)(r2 - 8) = r3\nout:\nr0 = 0\nexit\n",
            maybe_null("r10")
        )
    };
    // A privileged loader may take the difference (Linux's `allow_ptr_leaks`), but it is
    // some number: the store it places stays unproven.
    check(&text(""), SOCKET, "9 stack-bounds unknown");
    check(&text("if r6 == 0 goto out\n"), SOCKET, "PASS");
}

#[test]
fn a_possibly_null_packet_pointer_bounds_no_packet() {
    let text = |check: &str| {
        format!(
            "r0 = 1\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr6 = r2\nr6 += 14\nr4 = *(u32 *)(r1 + 16)\n\
             if r4 != 0 goto keep\nr6 = 0\nkeep:\n{check}if r6 > r3 goto out\nr0 = *(u8 *)(r2 + 13)\nr0 &= 1\nout:\nexit\n"
        )
    };
    check(&text(""), XDP, "9 packet-bounds unknown");
    check(&text("if r6 == 0 goto out\n"), XDP, "PASS");
}

// ---- Identities in proof logs ----

#[test]
fn pointer_identities_survive_the_proof_log() {
    use bpfprove_analyzer::proof::log::{value_log, value_of};
    use bpfprove_analyzer::value::{Nullness, PacketVar, Pointer, Region, Value};
    use bpfprove_semantics::elf::MapId;

    let domain = DomainKind::Product;
    let result = Value::Pointer(Pointer {
        null: Nullness::MaybeNull { id: Some(7) },
        object: Some(7),
        ..Pointer::at(Region::MapValue(bpfprove_analyzer::value::MapSet::one(MapId(0))), domain, 0)
    });
    let packet =
        Value::Pointer(Pointer { var: Some(PacketVar { id: 3, fixed: 4 }), ..Pointer::at(Region::Packet, domain, 4) });
    for value in [result, packet] {
        let log = value_log(&value);
        assert_eq!(value_of(&log, domain).expect("a logged value reads back"), value);
    }
}
