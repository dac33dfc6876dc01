//! Context layouts in the analyzer: per structure and program type, the fields a program
//! may read and write, in which widths, and the pointers some fields hold, each rule with
//! a safe program and its unsafe twin. The layouts are the semantics' own
//! (`semantics::model::context`); these tests check that the analyzer applies them.
//!
//! Expected outcomes are `PASS`, `UNKNOWN`, or the failed obligations as `pc KIND STATUS`
//! lines in pc order (as in `programs.rs`).

use bpfprove_analyzer::spec::{ContextSpec, ProgramSpec};
use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::{
    ContextLayout, ProgramType, cgroup_dev, nf, perf_event, sk_buff, sk_lookup, sk_msg, sk_reuseport, sock, sock_addr,
    sock_ops, sockopt, sysctl,
};

/// What verifying `text` gives when its context has `layout` (the program type otherwise
/// being a tc classifier's, which only the helpers it may call depend on).
fn outcome(text: &str, layout: &'static ContextLayout) -> String {
    let program = asm::llvm::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let program_type = ProgramType::SchedCls;
    let mut subject = Subject::bare("test", &program, program_type);
    subject.spec =
        ProgramSpec { context: ContextSpec::Layout(layout), return_range: None, ..ProgramSpec::of(program_type) };
    let report = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
    match report.verdict {
        Verdict::Pass => "PASS".to_owned(),
        Verdict::Unknown(_) => "UNKNOWN".to_owned(),
        Verdict::Fail => {
            let mut lines: Vec<String> =
                report.failures().iter().map(|o| format!("{} {} {}", o.pc, o.kind, o.status)).collect();
            lines.dedup();
            lines.join("\n")
        }
    }
}

fn check(layout: &'static ContextLayout, text: &str, expect: &str) {
    assert_eq!(outcome(text, layout).trim(), expect.trim(), "\n--- {} ({}) ---\n{text}", layout.name, layout.flavour);
}

/// `r0 = 0; exit`, appended to every program below.
const EXIT: &str = "r0 = 0\nexit\n";

fn with_exit(body: &str) -> String {
    format!("{body}{EXIT}")
}

#[test]
fn sockopt_optval_is_a_bounded_buffer() {
    let checked = |access: &str| {
        with_exit(&format!(
            "r2 = *(u64 *)(r1 + 8)\nr3 = *(u64 *)(r1 + 16)\nr4 = r2\nr4 += 4\nif r4 > r3 goto out\n{access}out:\n"
        ))
    };
    check(&sockopt::GETSOCKOPT, &checked("r0 = *(u32 *)(r2 + 0)\n"), "PASS");
    check(&sockopt::SETSOCKOPT, &checked("r5 = 1\n*(u32 *)(r2 + 0) = r5\n"), "PASS");
    // Without the optval_end check, or past what it showed.
    check(&sockopt::GETSOCKOPT, &with_exit("r2 = *(u64 *)(r1 + 8)\nr0 = *(u8 *)(r2 + 0)\n"), "1 packet-bounds unknown");
    check(&sockopt::GETSOCKOPT, &checked("r0 = *(u32 *)(r2 + 1)\n"), "5 packet-bounds unknown");
    // optval_end is no pointer to bytes, and the pointers are loaded whole.
    check(
        &sockopt::GETSOCKOPT,
        &with_exit("r3 = *(u64 *)(r1 + 16)\nr0 = *(u8 *)(r3 - 1)\n"),
        "1 packet-bounds refuted",
    );
    check(&sockopt::GETSOCKOPT, &with_exit("r2 = *(u32 *)(r1 + 8)\n"), "0 ctx-access refuted");
}

#[test]
fn sockopt_fields_are_writable_per_hook() {
    let store = |offset: u32| with_exit(&format!("r2 = 0\n*(u32 *)(r1 + {offset}) = r2\n"));
    check(&sockopt::GETSOCKOPT, &store(36), "PASS"); // retval
    check(&sockopt::GETSOCKOPT, &store(32), "PASS"); // optlen
    check(&sockopt::GETSOCKOPT, &store(24), "1 ctx-access refuted"); // level
    check(&sockopt::SETSOCKOPT, &store(24), "PASS");
    check(&sockopt::SETSOCKOPT, &store(36), "1 ctx-access refuted");
    check(&sockopt::SETSOCKOPT, &with_exit("r0 = *(u32 *)(r1 + 36)\n"), "0 ctx-access refuted");
    // The socket is never NULL here and reads as a full socket.
    check(&sockopt::SETSOCKOPT, &with_exit("r2 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r2 + 12)\n"), "PASS");
    check(
        &sockopt::SETSOCKOPT,
        &with_exit("r2 = *(u64 *)(r1 + 0)\nr3 = 0\n*(u32 *)(r2 + 16) = r3\n"),
        "2 ctx-access refuted",
    );
}

#[test]
fn cgroup_sock_fields_follow_the_attach_point() {
    let read = |offset: u32, size: &str| with_exit(&format!("r0 = *({size} *)(r1 + {offset})\n"));
    // src_port (44) and src_ip4 (24) are only there after a bind.
    check(&sock::SOCK_CREATE, &read(44, "u32"), "0 ctx-access refuted");
    check(&sock::POST_BIND4, &read(44, "u16"), "PASS");
    check(&sock::POST_BIND4, &read(24, "u8"), "PASS");
    check(&sock::POST_BIND4, &read(28, "u32"), "0 ctx-access refuted"); // src_ip6
    check(&sock::POST_BIND6, &read(32, "u32"), "PASS");
    check(&sock::POST_BIND6, &read(24, "u32"), "0 ctx-access refuted");
    // mark (16) is writable and readable, whole, at creation only.
    let store_mark = with_exit("r2 = 7\n*(u32 *)(r1 + 16) = r2\n");
    check(&sock::SOCK_CREATE, &store_mark, "PASS");
    check(&sock::POST_BIND4, &store_mark, "1 ctx-access refuted");
    check(&sock::SOCK_CREATE, &read(16, "u16"), "0 ctx-access refuted");
    check(&sock::SOCK_CREATE, &with_exit("r2 = 7\n*(u32 *)(r1 + 4) = r2\n"), "1 ctx-access refuted"); // family
    // dst_port: 16 bits (or the 32-bit word with its padding), not the padding alone.
    check(&sock::SOCK_CREATE, &read(48, "u32"), "PASS");
    check(&sock::SOCK_CREATE, &read(49, "u8"), "PASS");
    check(&sock::SOCK_CREATE, &read(50, "u16"), "0 ctx-access refuted");
}

#[test]
fn sock_addr_fields_follow_the_hook() {
    let read = |offset: u32, size: &str| with_exit(&format!("r0 = *({size} *)(r1 + {offset})\n"));
    let store = |offset: u32, size: &str| with_exit(&format!("r2 = 1\n*({size} *)(r1 + {offset}) = r2\n"));
    check(&sock_addr::INET4, &store(4, "u32"), "PASS"); // user_ip4
    check(&sock_addr::INET4, &read(4, "u8"), "PASS");
    check(&sock_addr::INET4, &store(4, "u16"), "1 ctx-access refuted");
    check(&sock_addr::INET4, &read(8, "u32"), "0 ctx-access refuted"); // user_ip6
    check(&sock_addr::INET4, &read(40, "u32"), "0 ctx-access refuted"); // msg_src_ip4
    check(&sock_addr::SENDMSG4, &store(40, "u32"), "PASS");
    check(&sock_addr::INET6, &read(16, "u64"), "PASS");
    check(&sock_addr::INET6, &store(8, "u64"), "PASS");
    check(&sock_addr::INET6, &read(12, "u64"), "0 ctx-access refuted");
    check(&sock_addr::INET6, &store(24, "u32"), "PASS"); // user_port
    check(&sock_addr::INET6, &store(28, "u32"), "1 ctx-access refuted"); // family
    check(&sock_addr::INET6, &read(28, "u16"), "0 ctx-access refuted");
    check(&sock_addr::UNIX, &read(4, "u32"), "0 ctx-access refuted");
    // sk is a full socket, never NULL.
    check(&sock_addr::INET4, &with_exit("r2 = *(u64 *)(r1 + 64)\nr0 = *(u32 *)(r2 + 8)\n"), "PASS");
}

#[test]
fn sock_ops_reads_whole_words_and_writes_reply() {
    check(&sock_ops::SOCK_OPS, &with_exit("r2 = 1\n*(u32 *)(r1 + 4) = r2\n*(u32 *)(r1 + 164) = r2\n"), "PASS");
    check(&sock_ops::SOCK_OPS, &with_exit("r2 = 1\n*(u32 *)(r1 + 0) = r2\n"), "1 ctx-access refuted");
    check(&sock_ops::SOCK_OPS, &with_exit("r0 = *(u16 *)(r1 + 0)\n"), "0 ctx-access refuted");
    check(&sock_ops::SOCK_OPS, &with_exit("r0 = *(u8 *)(r1 + 213)\nr0 = *(u64 *)(r1 + 168)\n"), "PASS");
    check(&sock_ops::SOCK_OPS, &with_exit("r0 = *(u32 *)(r1 + 168)\n"), "0 ctx-access refuted");
    // sk may be NULL.
    check(&sock_ops::SOCK_OPS, &with_exit("r2 = *(u64 *)(r1 + 184)\nr0 = *(u32 *)(r2 + 4)\n"), "1 null-deref unknown");
    check(
        &sock_ops::SOCK_OPS,
        &with_exit("r2 = *(u64 *)(r1 + 184)\nif r2 == 0 goto out\nr0 = *(u32 *)(r2 + 4)\nout:\n"),
        "PASS",
    );
    // The header bytes may be read after a bounds check, never written.
    let header = |access: &str| {
        with_exit(&format!(
            "r2 = *(u64 *)(r1 + 192)\nr3 = *(u64 *)(r1 + 200)\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\n{access}out:\n"
        ))
    };
    check(&sock_ops::SOCK_OPS, &header("r0 = *(u8 *)(r2 + 0)\n"), "PASS");
    check(&sock_ops::SOCK_OPS, &header("r5 = 0\n*(u8 *)(r2 + 0) = r5\n"), "6 packet-bounds refuted");
}

#[test]
fn sk_msg_data_is_a_writable_buffer() {
    let text = "r2 = *(u64 *)(r1 + 0)\nr3 = *(u64 *)(r1 + 8)\nr4 = r2\nr4 += 2\nif r4 > r3 goto out\n\
                r5 = *(u16 *)(r2 + 0)\n*(u16 *)(r2 + 0) = r5\nout:\n";
    check(&sk_msg::SK_MSG, &with_exit(text), "PASS");
    check(&sk_msg::SK_MSG, &with_exit("r2 = *(u32 *)(r1 + 0)\n"), "0 ctx-access refuted");
    check(&sk_msg::SK_MSG, &with_exit("r0 = *(u16 *)(r1 + 68)\n"), "0 ctx-access refuted");
    check(&sk_msg::SK_MSG, &with_exit("r2 = 1\n*(u32 *)(r1 + 68) = r2\n"), "1 ctx-access refuted");
    check(&sk_msg::SK_MSG, &with_exit("r2 = *(u64 *)(r1 + 72)\nr0 = *(u32 *)(r2 + 12)\n"), "PASS");
}

#[test]
fn sk_lookup_socket_may_be_null_and_ports_read_narrowly() {
    check(&sk_lookup::SK_LOOKUP, &with_exit("r2 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r2 + 4)\n"), "1 null-deref unknown");
    check(
        &sk_lookup::SK_LOOKUP,
        &with_exit("r2 = *(u64 *)(r1 + 0)\nif r2 != 0 goto read\ngoto out\nread:\nr0 = *(u32 *)(r2 + 4)\nout:\n"),
        "PASS",
    );
    check(
        &sk_lookup::SK_LOOKUP,
        &with_exit("r0 = *(u32 *)(r1 + 36)\nr0 = *(u16 *)(r1 + 36)\nr0 = *(u16 *)(r1 + 38)\nr0 = *(u8 *)(r1 + 61)\n"),
        "PASS",
    );
    check(&sk_lookup::SK_LOOKUP, &with_exit("r0 = *(u64 *)(r1 + 36)\n"), "0 ctx-access refuted");
    check(&sk_lookup::SK_LOOKUP, &with_exit("r2 = 0\n*(u32 *)(r1 + 60) = r2\n"), "1 ctx-access refuted");
}

#[test]
fn small_cgroup_contexts() {
    check(&sysctl::SYSCTL, &with_exit("r0 = *(u8 *)(r1 + 0)\nr2 = 4\n*(u32 *)(r1 + 4) = r2\n"), "PASS");
    check(&sysctl::SYSCTL, &with_exit("r2 = 1\n*(u32 *)(r1 + 0) = r2\n"), "1 ctx-access refuted");
    check(&sysctl::SYSCTL, &with_exit("r2 = 1\n*(u16 *)(r1 + 4) = r2\n"), "1 ctx-access refuted");
    check(&cgroup_dev::CGROUP_DEV, &with_exit("r0 = *(u16 *)(r1 + 0)\nr0 = *(u32 *)(r1 + 8)\n"), "PASS");
    check(&cgroup_dev::CGROUP_DEV, &with_exit("r0 = *(u16 *)(r1 + 4)\n"), "0 ctx-access refuted");
    check(&cgroup_dev::CGROUP_DEV, &with_exit("r0 = *(u32 *)(r1 + 12)\n"), "0 ctx-access refuted");
}

#[test]
fn sk_reuseport_rules() {
    check(&sk_reuseport::SK_REUSEPORT, &with_exit("r0 = *(u16 *)(r1 + 20)\nr0 = *(u8 *)(r1 + 24)\n"), "PASS");
    check(&sk_reuseport::SK_REUSEPORT, &with_exit("r0 = *(u8 *)(r1 + 20)\n"), "0 ctx-access refuted");
    check(&sk_reuseport::SK_REUSEPORT, &with_exit("r2 = *(u64 *)(r1 + 40)\nr0 = *(u32 *)(r2 + 12)\n"), "PASS");
    // The migrating socket may be NULL and is only a socket's common part.
    check(
        &sk_reuseport::SK_REUSEPORT,
        &with_exit("r2 = *(u64 *)(r1 + 48)\nr0 = *(u32 *)(r2 + 4)\n"),
        "1 null-deref unknown",
    );
    check(
        &sk_reuseport::SK_REUSEPORT,
        &with_exit("r2 = *(u64 *)(r1 + 48)\nif r2 == 0 goto out\nr0 = *(u32 *)(r2 + 12)\nout:\n"),
        "2 ctx-access refuted",
    );
}

#[test]
fn flow_dissector_fills_its_flow_keys() {
    let keys = |access: &str| with_exit(&format!("r2 = *(u64 *)(r1 + 144)\n{access}"));
    check(&sk_buff::FLOW_DISSECTOR, &keys("r3 = 5\n*(u16 *)(r2 + 0) = r3\n*(u32 *)(r2 + 52) = r3\n"), "PASS");
    check(&sk_buff::FLOW_DISSECTOR, &keys("r3 = 5\n*(u32 *)(r2 + 54) = r3\n"), "2 memory-bounds refuted");
    check(&sk_buff::FLOW_DISSECTOR, &with_exit("r0 = *(u32 *)(r1 + 8)\n"), "0 ctx-access refuted");
    check(&sk_buff::TC, &with_exit("r0 = *(u64 *)(r1 + 144)\n"), "0 ctx-access refuted");
}

#[test]
fn cgroup_skb_and_lwt_read_but_do_not_write_the_packet() {
    let packet = |access: &str| {
        with_exit(&format!(
            "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\n{access}out:\n"
        ))
    };
    for layout in [&sk_buff::CGROUP_SKB, &sk_buff::LWT] {
        check(layout, &packet("r0 = *(u8 *)(r2 + 0)\n"), "PASS");
        check(layout, &packet("r5 = 0\n*(u8 *)(r2 + 0) = r5\n"), "6 packet-bounds refuted");
        check(layout, &with_exit("r0 = *(u32 *)(r1 + 140)\n"), "0 ctx-access refuted"); // data_meta
    }
    check(&sk_buff::LWT_XMIT, &packet("r5 = 0\n*(u8 *)(r2 + 0) = r5\n"), "PASS");
    check(&sk_buff::CGROUP_SKB, &with_exit("r2 = 1\n*(u32 *)(r1 + 8) = r2\n"), "PASS"); // mark
    check(&sk_buff::SK_SKB, &with_exit("r0 = *(u32 *)(r1 + 8)\n"), "0 ctx-access refuted");
}

#[test]
fn perf_event_and_netfilter_contexts() {
    check(&perf_event::PERF_EVENT, &with_exit("r0 = *(u64 *)(r1 + 128)\nr0 = *(u32 *)(r1 + 168)\n"), "PASS");
    check(&perf_event::PERF_EVENT, &with_exit("r0 = *(u32 *)(r1 + 128)\n"), "0 ctx-access refuted");
    // The kernel pointers are held and compared, never dereferenced.
    check(&nf::NF, &with_exit("r2 = *(u64 *)(r1 + 8)\nif r2 == 0 goto out\nout:\n"), "PASS");
    check(&nf::NF, &with_exit("r2 = *(u64 *)(r1 + 8)\nr0 = *(u32 *)(r2 + 0)\n"), "1 dereference refuted");
}

#[test]
fn a_null_check_covers_copies_of_one_load_only() {
    // Two loads of sk are two pointers: checking the first says nothing of the second.
    let text = with_exit(
        "r2 = *(u64 *)(r1 + 168)\nr3 = *(u64 *)(r1 + 168)\nif r2 == 0 goto out\nr0 = *(u32 *)(r3 + 4)\nout:\n",
    );
    check(&sk_buff::TC, &text, "3 null-deref unknown");
    let copy = with_exit("r2 = *(u64 *)(r1 + 168)\nr3 = r2\nif r2 == 0 goto out\nr0 = *(u32 *)(r3 + 4)\nout:\n");
    check(&sk_buff::TC, &copy, "PASS");
}

#[test]
fn a_socket_is_no_memory_for_helpers() {
    // csum_diff(from = sk, 4, NULL, 0, 0): the kernel takes no socket as helper memory, and
    // the interpreter's socket region is no memory a helper may read.
    let text =
        with_exit("r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr2 = 4\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nout:\n");
    check(&sk_buff::TC, &text, "6 helper-argument refuted");
}
