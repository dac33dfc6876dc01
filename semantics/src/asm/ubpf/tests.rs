//! Unit vectors and properties of the uBPF syntax.

use super::*;
use crate::isa::{self, Reg};

/// One row: text as written, its encoding (hex, 8 or 16 bytes), and how [`print_insn`]
/// writes it back.
fn check(text: &str, hex: &str, printed: &str) {
    let insn = parse_insn(text).unwrap_or_else(|e| panic!("`{text}` should parse: {e}"));
    let bytes: Vec<u8> =
        hex.split_whitespace().map(|b| u8::from_str_radix(b, 16).expect("test vector bytes are hex")).collect();
    assert_eq!(isa::encode(&[insn]), bytes, "encoding of `{text}`");
    assert_eq!(print_insn(&insn), printed, "printing of `{text}`");
    assert_eq!(parse_insn(printed), Ok(insn), "re-parsing `{printed}`");
}

#[test]
fn alu_vectors() {
    check("mov32 %r0, 1", "b4 00 00 00 01 00 00 00", "mov32 %r0, 1");
    check("mov %r0, %r1", "bf 10 00 00 00 00 00 00", "mov %r0, %r1");
    check("add64 %r1 , 0xffffffff", "07 01 00 00 ff ff ff ff", "add %r1, -1");
    check("sub32 %r2, -0x10", "14 02 00 00 f0 ff ff ff", "sub32 %r2, -16");
    check("mul %r3, %r4", "2f 43 00 00 00 00 00 00", "mul %r3, %r4");
    check("div32 %r1, 3", "34 01 00 00 03 00 00 00", "div32 %r1, 3");
    check("sdiv %r1, %r2", "3f 21 01 00 00 00 00 00", "sdiv %r1, %r2");
    check("sdiv32 %r1, -3", "34 01 01 00 fd ff ff ff", "sdiv32 %r1, -3");
    check("or %r0, %r10", "4f a0 00 00 00 00 00 00", "or %r0, %r10");
    check("and32 %r0, 0xff", "54 00 00 00 ff 00 00 00", "and32 %r0, 255");
    check("lsh %r0, 63", "67 00 00 00 3f 00 00 00", "lsh %r0, 63");
    check("rsh32 %r0, %r1", "7c 10 00 00 00 00 00 00", "rsh32 %r0, %r1");
    check("mod %r5, 7", "97 05 00 00 07 00 00 00", "mod %r5, 7");
    check("smod32 %r5, %r6", "9c 65 01 00 00 00 00 00", "smod32 %r5, %r6");
    check("xor %r9, %r9", "af 99 00 00 00 00 00 00", "xor %r9, %r9");
    check("arsh32 %r7, 2", "c4 07 00 00 02 00 00 00", "arsh32 %r7, 2");
    check("neg %r2", "87 02 00 00 00 00 00 00", "neg %r2");
    check("neg32 %r2", "84 02 00 00 00 00 00 00", "neg32 %r2");
}

#[test]
fn movsx_and_byte_order_vectors() {
    check("movsx832 %r0, %r1", "bc 10 08 00 00 00 00 00", "movsx832 %r0, %r1");
    check("movsx1632 %r0, %r1", "bc 10 10 00 00 00 00 00", "movsx1632 %r0, %r1");
    check("movsx864 %r0, %r1", "bf 10 08 00 00 00 00 00", "movsx864 %r0, %r1");
    check("addr_space_cast %r8, %r0, 0, 1", "bf 08 01 00 01 00 00 00", "addr_space_cast %r8, %r0, 0, 1");
    check("addr_space_cast %r6, %r2, 1, 0", "bf 26 01 00 00 00 01 00", "addr_space_cast %r6, %r2, 1, 0");
    assert!(parse_insn("addr_space_cast %r6, %r2, 2, 0").is_err());
    check("movsx1664 %r0, %r1", "bf 10 10 00 00 00 00 00", "movsx1664 %r0, %r1");
    check("movsx3264 %r0, %r1", "bf 10 20 00 00 00 00 00", "movsx3264 %r0, %r1");
    check("le16 %r1", "d4 01 00 00 10 00 00 00", "le16 %r1");
    check("le64 %r1", "d4 01 00 00 40 00 00 00", "le64 %r1");
    check("be32 %r1", "dc 01 00 00 20 00 00 00", "be32 %r1");
    check("swap16 %r1", "d7 01 00 00 10 00 00 00", "bswap16 %r1");
    check("bswap64 %r1", "d7 01 00 00 40 00 00 00", "bswap64 %r1");
}

#[test]
fn load_store_vectors() {
    check(
        "lddw %r0, 0x1122334455667788",
        "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11",
        "lddw %r0, 0x1122334455667788",
    );
    check("lddw %r3, -1", "18 03 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff", "lddw %r3, 0xffffffffffffffff");
    check("lddw %r1, map_fd(3)", "18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00", "lddw %r1, map_fd(3)");
    check("lddw %r1, map_value(3, 8)", "18 21 00 00 03 00 00 00 00 00 00 00 08 00 00 00", "lddw %r1, map_value(3, 8)");
    check("lddw %r1, var_addr(9)", "18 31 00 00 09 00 00 00 00 00 00 00 00 00 00 00", "lddw %r1, var_addr(9)");
    check("lddw %r1, code(+2)", "18 41 00 00 02 00 00 00 00 00 00 00 00 00 00 00", "lddw %r1, code(+2)");
    check("lddw %r1, map_idx(1)", "18 51 00 00 01 00 00 00 00 00 00 00 00 00 00 00", "lddw %r1, map_idx(1)");
    check(
        "lddw %r1, map_idx_value(1,4)",
        "18 61 00 00 01 00 00 00 00 00 00 00 04 00 00 00",
        "lddw %r1, map_idx_value(1, 4)",
    );
    check("ldxh %r0, [%r1+2]", "69 10 02 00 00 00 00 00", "ldxh %r0, [%r1+2]");
    check("ldxdw %r0, [%r1]", "79 10 00 00 00 00 00 00", "ldxdw %r0, [%r1]");
    check("ldxb %r0, [%r10 - 8]", "71 a0 f8 ff 00 00 00 00", "ldxb %r0, [%r10-8]");
    check("ldxw %r0, [%r1+0x10]", "61 10 10 00 00 00 00 00", "ldxw %r0, [%r1+16]");
    check("ldxsb %r0, [%r1+1]", "91 10 01 00 00 00 00 00", "ldxsb %r0, [%r1+1]");
    check("ldxsh %r0, [%r1+2]", "89 10 02 00 00 00 00 00", "ldxsh %r0, [%r1+2]");
    check("ldxsw %r0, [%r1+4]", "81 10 04 00 00 00 00 00", "ldxsw %r0, [%r1+4]");
    check("stb [%r10-8], 0x11", "72 0a f8 ff 11 00 00 00", "stb [%r10-8], 17");
    check("sth [%r1], 0x1234", "6a 01 00 00 34 12 00 00", "sth [%r1], 4660");
    check("stw [%r10-4], -1", "62 0a fc ff ff ff ff ff", "stw [%r10-4], -1");
    check("stdw [%r1+8], 0x7fffffff", "7a 01 08 00 ff ff ff 7f", "stdw [%r1+8], 2147483647");
    check("stxb [%r1+2], %r3", "73 31 02 00 00 00 00 00", "stxb [%r1+2], %r3");
    check("stxdw [%r10-8], %r1", "7b 1a f8 ff 00 00 00 00", "stxdw [%r10-8], %r1");
    check("ldabsb 0x10", "30 00 00 00 10 00 00 00", "ldabsb 16");
    check("ldabsw 2", "20 00 00 00 02 00 00 00", "ldabsw 2");
    check("ldindh %r2, 4", "48 20 00 00 04 00 00 00", "ldindh %r2, 4");
}

#[test]
fn atomic_vectors() {
    check("lock add [%r10-8], %r1", "db 1a f8 ff 00 00 00 00", "lock add [%r10-8], %r1");
    check("lock add32 [%r10-8], %r1", "c3 1a f8 ff 00 00 00 00", "lock add32 [%r10-8], %r1");
    check("lock fetch add [%r10-8], %r1", "db 1a f8 ff 01 00 00 00", "lock fetch add [%r10-8], %r1");
    check("lock or32 [%r1], %r2", "c3 21 00 00 40 00 00 00", "lock or32 [%r1], %r2");
    check("lock fetch and [%r1], %r2", "db 21 00 00 51 00 00 00", "lock fetch and [%r1], %r2");
    check("lock fetch xor32 [%r1], %r2", "c3 21 00 00 a1 00 00 00", "lock fetch xor32 [%r1], %r2");
    check("lock xchg [%r10-8], %r1", "db 1a f8 ff e1 00 00 00", "lock xchg [%r10-8], %r1");
    check("lock cmpxchg32 [%r10-8], %r1", "c3 1a f8 ff f1 00 00 00", "lock cmpxchg32 [%r10-8], %r1");
}

#[test]
fn jump_and_call_vectors() {
    check("ja +2", "05 00 02 00 00 00 00 00", "ja +2");
    check("ja -1", "05 00 ff ff 00 00 00 00", "ja -1");
    check("ja32 +0x10000", "06 00 00 00 00 00 01 00", "ja32 +65536");
    check("jeq %r1, 0x10, +3", "15 01 03 00 10 00 00 00", "jeq %r1, 16, +3");
    check("jne32 %r1, %r2, -2", "5e 21 fe ff 00 00 00 00", "jne32 %r1, %r2, -2");
    check("jset %r1, 1, +0", "45 01 00 00 01 00 00 00", "jset %r1, 1, +0");
    check("jsle32 %r1, -5, +1", "d6 01 01 00 fb ff ff ff", "jsle32 %r1, -5, +1");
    check("jlt %r3, %r4, +7", "ad 43 07 00 00 00 00 00", "jlt %r3, %r4, +7");
    check("call 5", "85 00 00 00 05 00 00 00", "call 5");
    check("call helper 1", "85 00 00 00 01 00 00 00", "call 1");
    check("call local +3", "85 10 00 00 03 00 00 00", "call local +3");
    check("call runtime 77", "85 20 00 00 4d 00 00 00", "call runtime 77");
    check("call runtime 77, 2", "85 20 02 00 4d 00 00 00", "call runtime 77, 2");
    check("call %r2", "8d 02 00 00 00 00 00 00", "callx %r2");
    check("call helper %r3", "8d 03 00 00 00 00 00 00", "callx %r3");
    check("callx %r4", "8d 04 00 00 00 00 00 00", "callx %r4");
    check("gotox %r5", "0d 05 00 00 00 00 00 00", "gotox %r5");
    check("exit # done", "95 00 00 00 00 00 00 00", "exit");
}

/// Parses `text` and returns the error's line and kind.
fn error_of(text: &str) -> (usize, AsmErrorKind) {
    let error = parse(text).expect_err("the text is invalid");
    (error.line, error.kind)
}

#[test]
fn rejects_what_the_negative_suite_rejects() {
    let range = |s: &str| AsmErrorKind::ImmediateOutOfRange(s.into());
    assert_eq!(error_of("mov32 %r0, 2147483648\nexit"), (1, range("2147483648")));
    assert_eq!(error_of("mov32 %r0, 0x100000000\nexit"), (1, range("0x100000000")));
    assert_eq!(error_of("ja NOT_A_LABEL\nexit"), (1, AsmErrorKind::UndefinedLabel("NOT_A_LABEL".into())));
    let lock = |found| AsmErrorKind::OperandCount { mnemonic: "lock".into(), expected: 3, found };
    assert_eq!(error_of("lock\nexit"), (1, lock(0)));
    let lock_or = AsmErrorKind::OperandCount { mnemonic: "lock or".into(), expected: 2, found: 1 };
    assert_eq!(error_of("lock or [%r10-8]\nexit"), (1, lock_or));
    assert_eq!(error_of("exit\nldxq %r0, %r1"), (2, AsmErrorKind::UnknownMnemonic("ldxq".into())));
    assert!(matches!(error_of("ldxb %r0, %r1\nexit"), (1, AsmErrorKind::Syntax(_))));
    assert_eq!(error_of("ldxb %r0, [%r1+0x10000]"), (1, AsmErrorKind::OffsetOutOfRange("+0x10000".into())));
    let lddw = AsmErrorKind::OperandCount { mnemonic: "lddw".into(), expected: 2, found: 1 };
    assert_eq!(error_of("lddw %r0\nexit"), (1, lddw));
    assert_eq!(error_of("or %r0, %r50\nexit"), (1, AsmErrorKind::InvalidRegister("%r50".into())));
    assert_eq!(error_of("\n.section foo"), (2, AsmErrorKind::UnknownDirective(".section".into())));
    assert!(matches!(error_of("# nothing\n"), (0, AsmErrorKind::Program(_))));
    assert_eq!(error_of("a:\na:\nexit"), (2, AsmErrorKind::DuplicateLabel("a".into())));
    assert!(matches!(error_of("ja +40000\nexit"), (1, AsmErrorKind::OffsetOutOfRange(_))));
    assert!(matches!(error_of("movsx3232 %r0, %r1"), (1, AsmErrorKind::UnknownMnemonic(_))));
    assert!(matches!(error_of("ldxsdw %r0, [%r1]"), (1, AsmErrorKind::UnknownMnemonic(_))));
    assert!(matches!(error_of("call far 3"), (1, AsmErrorKind::Syntax(_))));
    assert!(matches!(error_of("mov %r0, 1 2"), (1, AsmErrorKind::OperandCount { .. })));
}

#[test]
fn labels_resolve_forwards_backwards_and_to_the_first_exit() {
    let program =
        parse("mov %r0, 0\nloop: add %r0, 1\n  jlt %r0, 10, loop  # back\n ja exit\n ja32 done\ndone:\nexit\n exit")
            .expect("valid");
    assert_eq!(
        program.insn_at(2),
        Some(&Insn::Jump {
            width: crate::isa::Width::W64,
            cond: crate::isa::Cond::Lt,
            dst: Reg::R0,
            src: crate::isa::Operand::Imm(10),
            off: -2
        })
    );
    assert_eq!(program.insn_at(3), Some(&Insn::Ja { off: 1 }));
    assert_eq!(program.insn_at(4), Some(&Insn::Ja32 { imm: 0 }));
    assert_eq!(program.labels().get(&1).map(String::as_str), Some("loop"));
    // An explicit `exit:` label wins over the implicit one.
    let program = parse("ja exit\nexit\nexit:\nexit").expect("valid");
    assert_eq!(program.insn_at(0), Some(&Insn::Ja { off: 1 }));
}

#[test]
fn local_calls_tables_and_code_address_loads() {
    let text = "\
.jumptable JT case0, case1
    lddw %r1, JT
    lddw %r2, fn
    call local fn
    gotox %r1
case0:
    exit
case1:
    mov %r0, 1
    exit
fn:
    mov %r0, 2
    exit
";
    let program = parse(text).expect("valid");
    assert_eq!(program.table_loads().get(&0), Some(&crate::program::JumpTableId(0)));
    assert_eq!(program.jump_tables()[0].targets, vec![6, 7]);
    assert_eq!(program.insn_at(2), Some(&Insn::Lddw { dst: Reg::R2, kind: LddwKind::CodeAddr, imm: 6, next_imm: 0 }));
    assert_eq!(program.insn_at(4), Some(&Insn::Call(crate::isa::CallTarget::Local(4))));
    let printed = print(&program);
    assert!(printed.contains(".jumptable JT case0, case1"), "{printed}");
    assert!(printed.contains("lddw %r1, JT") && printed.contains("lddw %r2, fn"), "{printed}");
    assert!(printed.contains("call local fn"), "{printed}");
    assert_eq!(parse(&printed), Ok(program));
    let clash = parse(".jumptable x a\nx:\na:\nexit").expect_err("a name is a label or a table");
    assert_eq!(clash.kind, AsmErrorKind::DuplicateLabel("x".into()));
}

#[test]
fn parse_insn_refuses_labels() {
    assert_eq!(parse_insn("ja out"), Err(AsmErrorKind::UndefinedLabel("out".into())));
    assert_eq!(parse_insn("lddw %r1, f"), Err(AsmErrorKind::UndefinedLabel("f".into())));
    assert!(matches!(parse_insn("l: exit"), Err(AsmErrorKind::Syntax(_))));
    assert!(matches!(parse_insn("  # only a comment"), Err(AsmErrorKind::Syntax(_))));
}

mod properties {
    use proptest::prelude::*;

    use super::super::{parse, parse_insn, print, print_insn};
    use crate::isa::arbitrary;

    /// This syntax's side of [`crate::asm::testing::check_parsed`].
    fn check_parsed(text: &str) -> Result<(), TestCaseError> {
        let syntax = crate::asm::testing::Syntax { parse_insn, print_insn, parse, print };
        crate::asm::testing::check_parsed(&syntax, text)
    }

    /// Words the syntax is made of, so random lines reach deep into the parser.
    const VOCABULARY: [&str; 24] = [
        "mov",
        "add32",
        "lddw",
        "ldxw",
        "stb",
        "stxdw",
        "lock",
        "fetch",
        "xchg",
        "call",
        "local",
        "ja",
        "jeq32",
        "exit",
        "%r1",
        "%r10",
        "[%r1+2]",
        "[%r10-0x8",
        "0xffffffff",
        "-2147483649",
        "+3",
        "L:",
        ".jumptable",
        "code(+1)",
    ];

    proptest! {
        #[test]
        fn parse_insn_inverts_print_insn(insn in arbitrary::insn()) {
            let text = print_insn(&insn);
            prop_assert_eq!(parse_insn(&text), Ok(insn), "{}", text);
        }

        #[test]
        fn parse_inverts_print(program in arbitrary::program()) {
            let text = print(&program);
            prop_assert_eq!(parse(&text), Ok(program), "{}", text);
        }

        #[test]
        fn random_text_never_panics(text in "\\PC{0,80}") {
            check_parsed(&text)?;
        }

        #[test]
        fn random_token_soup_never_panics(words in prop::collection::vec(prop::sample::select(VOCABULARY.to_vec()), 0..12),
                                          separators in prop::collection::vec(prop::sample::select(vec![" ", ", ", "\n", ":"]), 12)) {
            let text: String = words.iter().zip(&separators).flat_map(|(w, s)| [*w, *s]).collect();
            check_parsed(&text)?;
        }
    }
}
