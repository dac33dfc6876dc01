//! One line of uBPF-syntax text into a [`Statement`]: mnemonic tables and operand shapes.

use super::lex::{self, Target};
use crate::asm::AsmErrorKind;
use crate::isa::{
    AddrSpace, AtomicOp, BinOp, ByteOrder, CallTarget, Cond, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width,
};

/// What one line says (besides its labels).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Statement {
    /// An instruction; `target` is set when its offset names a label.
    Insn { insn: Insn, target: Option<String> },
    /// `lddw %rN, NAME`: a table's address if `NAME` is a `.jumptable`, else a label's code
    /// address.
    NamedLoad { dst: Reg, name: String },
    /// `.jumptable NAME L1, L2, ...`.
    JumpTable { name: String, entries: Vec<String> },
}

impl Statement {
    /// Whether the statement refers to the label or table `name`.
    pub(super) fn names(&self, name: &str) -> bool {
        match self {
            Statement::Insn { target, .. } => target.as_deref() == Some(name),
            Statement::NamedLoad { name: loaded, .. } => loaded == name,
            Statement::JumpTable { entries, .. } => entries.iter().any(|entry| entry == name),
        }
    }
}

/// A parsed line: the labels it defines, then at most one statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Line {
    pub(super) labels: Vec<String>,
    pub(super) statement: Option<Statement>,
}

/// Binary ALU mnemonics, without the `32`/`64` width suffix.
const ALU_OPS: [(&str, BinOp); 14] = [
    ("add", BinOp::Add),
    ("sub", BinOp::Sub),
    ("mul", BinOp::Mul),
    ("div", BinOp::Div),
    ("sdiv", BinOp::SDiv),
    ("or", BinOp::Or),
    ("and", BinOp::And),
    ("lsh", BinOp::Lsh),
    ("rsh", BinOp::Rsh),
    ("mod", BinOp::Mod),
    ("smod", BinOp::SMod),
    ("xor", BinOp::Xor),
    ("mov", BinOp::Mov),
    ("arsh", BinOp::Arsh),
];

/// Conditional jump mnemonics, without the `32` suffix.
const JUMP_CONDS: [(&str, Cond); 11] = [
    ("jeq", Cond::Eq),
    ("jgt", Cond::Gt),
    ("jge", Cond::Ge),
    ("jset", Cond::Set),
    ("jne", Cond::Ne),
    ("jsgt", Cond::SGt),
    ("jsge", Cond::SGe),
    ("jlt", Cond::Lt),
    ("jle", Cond::Le),
    ("jslt", Cond::SLt),
    ("jsle", Cond::SLe),
];

/// Atomic operations after `lock [fetch]`, without the `32` suffix.
const ATOMIC_OPS: [(&str, AtomicOp); 6] = [
    ("add", AtomicOp::Add),
    ("or", AtomicOp::Or),
    ("and", AtomicOp::And),
    ("xor", AtomicOp::Xor),
    ("xchg", AtomicOp::Xchg),
    ("cmpxchg", AtomicOp::CmpXchg),
];

/// Byte-order mnemonic prefixes; the suffix is the bit count.
const BYTE_ORDERS: [(&str, ByteOrder); 4] =
    [("le", ByteOrder::ToLe), ("be", ByteOrder::ToBe), ("bswap", ByteOrder::Swap), ("swap", ByteOrder::Swap)];

/// Access-size suffixes of loads and stores.
const SIZES: [(&str, Size); 4] = [("b", Size::B), ("h", Size::H), ("w", Size::W), ("dw", Size::DW)];

/// `lddw` kinds other than a plain constant or a code address, spelled `kind(imm)` or
/// `kind(imm, next_imm)`.
pub(super) const LDDW_KINDS: [(&str, LddwKind); 6] = [
    ("map_fd", LddwKind::MapFd),
    ("map_value", LddwKind::MapValue),
    ("var_addr", LddwKind::VarAddr),
    ("code", LddwKind::CodeAddr),
    ("map_idx", LddwKind::MapIdx),
    ("map_idx_value", LddwKind::MapIdxValue),
];

fn lookup<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn size_named(name: &str) -> Option<Size> {
    lookup(&SIZES, name)
}

/// Splits a `32`/`64` width suffix off a mnemonic (no suffix means 64 bits).
fn width_suffix(mnemonic: &str) -> (&str, Width) {
    if let Some(base) = mnemonic.strip_suffix("32") {
        (base, Width::W32)
    } else {
        (mnemonic.strip_suffix("64").unwrap_or(mnemonic), Width::W64)
    }
}

fn expect_count(mnemonic: &str, operands: &[String], expected: usize) -> Result<(), AsmErrorKind> {
    if operands.len() == expected {
        Ok(())
    } else {
        Err(AsmErrorKind::OperandCount { mnemonic: mnemonic.to_owned(), expected, found: operands.len() })
    }
}

fn plain(insn: Insn) -> Statement {
    Statement::Insn { insn, target: None }
}

/// An instruction whose offset is `target`: stored now if relative, else resolved later.
fn targeted<T: Default>(target: Target<T>, build: impl FnOnce(T) -> Insn) -> Statement {
    match target {
        Target::Relative(offset) => Statement::Insn { insn: build(offset), target: None },
        Target::Label(name) => Statement::Insn { insn: build(T::default()), target: Some(name) },
    }
}

/// A register or an immediate, told apart by the `%`.
fn operand(token: &str) -> Result<Operand, AsmErrorKind> {
    if token.starts_with('%') { lex::register(token).map(Operand::Reg) } else { lex::imm32(token).map(Operand::Imm) }
}

/// Parses one line (comment already removed).
pub(super) fn line(text: &str) -> Result<Line, AsmErrorKind> {
    let mut rest = text.trim();
    let mut parsed = Line::default();
    // Labels may precede an instruction on the same line: `loop: add %r1, 1`.
    while let Some((head, tail)) = rest.split_once(':') {
        if head.contains(char::is_whitespace) || head.is_empty() {
            break;
        }
        parsed.labels.push(lex::label_name(head)?.to_owned());
        rest = tail.trim_start();
    }
    if !rest.is_empty() {
        parsed.statement = Some(statement(rest)?);
    }
    Ok(parsed)
}

/// Parses a statement: a directive or an instruction.
fn statement(text: &str) -> Result<Statement, AsmErrorKind> {
    let (mnemonic, operand_text) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let operands = lex::tokens(operand_text)?;
    if mnemonic.starts_with('.') {
        return directive(mnemonic, operands);
    }
    instruction(mnemonic, operands)
}

fn directive(name: &str, operands: Vec<String>) -> Result<Statement, AsmErrorKind> {
    if name != ".jumptable" {
        return Err(AsmErrorKind::UnknownDirective(name.to_owned()));
    }
    let Some((table, entries)) = operands.split_first() else {
        return Err(AsmErrorKind::Syntax(".jumptable needs a name".into()));
    };
    let entries = entries.iter().map(|e| lex::label_name(e).map(str::to_owned)).collect::<Result<_, _>>()?;
    Ok(Statement::JumpTable { name: lex::label_name(table)?.to_owned(), entries })
}

fn instruction(mnemonic: &str, ops: Vec<String>) -> Result<Statement, AsmErrorKind> {
    let count = |expected| expect_count(mnemonic, &ops, expected);
    match mnemonic {
        "exit" => count(0).map(|()| plain(Insn::Exit)),
        "lock" => atomic(ops),
        "call" => call(ops),
        "callx" => count(1).and_then(|()| Ok(plain(Insn::Callx { reg: lex::register(&ops[0])? }))),
        "gotox" => count(1).and_then(|()| Ok(plain(Insn::Gotox { reg: lex::register(&ops[0])? }))),
        "ja" => count(1).and_then(|()| Ok(targeted(lex::target(&ops[0], lex::offset16)?, |off| Insn::Ja { off }))),
        "may_goto" => {
            count(1).and_then(|()| Ok(targeted(lex::target(&ops[0], lex::offset16)?, |off| Insn::MayGoto { off })))
        }
        "ja32" => count(1).and_then(|()| Ok(targeted(lex::target(&ops[0], lex::offset32)?, |imm| Insn::Ja32 { imm }))),
        "lddw" => count(2).and_then(|()| lddw(lex::register(&ops[0])?, &ops[1])),
        _ => memory_or_alu(mnemonic, &ops),
    }
}

/// Loads, stores, packet loads, jumps and ALU instructions: the mnemonic families whose
/// names carry a size or width suffix.
fn memory_or_alu(mnemonic: &str, ops: &[String]) -> Result<Statement, AsmErrorKind> {
    let count = |expected| expect_count(mnemonic, ops, expected);
    if let Some((signed, size)) = mnemonic
        .strip_prefix("ldxs")
        .and_then(|s| size_named(s).map(|z| (true, z)))
        .or_else(|| mnemonic.strip_prefix("ldx").and_then(size_named).map(|z| (false, z)))
        && !(signed && size == Size::DW)
    {
        count(2)?;
        let (src, off) = lex::memory(&ops[1])?;
        return Ok(plain(Insn::Load { size, signed, dst: lex::register(&ops[0])?, src, off }));
    }
    if let Some(size) = mnemonic.strip_prefix("stx").and_then(size_named) {
        count(2)?;
        let (dst, off) = lex::memory(&ops[0])?;
        return Ok(plain(Insn::Store { size, dst, off, src: Operand::Reg(lex::register(&ops[1])?) }));
    }
    if let Some(size) = mnemonic.strip_prefix("st").and_then(size_named) {
        count(2)?;
        let (dst, off) = lex::memory(&ops[0])?;
        return Ok(plain(Insn::Store { size, dst, off, src: Operand::Imm(lex::imm32(&ops[1])?) }));
    }
    if let Some(size) = mnemonic.strip_prefix("ldabs").and_then(size_named) {
        count(1)?;
        return Ok(plain(Insn::LoadPacket { size, addr: PacketAddr::Abs, imm: lex::imm32(&ops[0])? }));
    }
    if let Some(size) = mnemonic.strip_prefix("ldind").and_then(size_named) {
        count(2)?;
        let addr = PacketAddr::Ind(lex::register(&ops[0])?);
        return Ok(plain(Insn::LoadPacket { size, addr, imm: lex::imm32(&ops[1])? }));
    }
    if let Some((order, bits)) = BYTE_ORDERS.iter().find_map(|&(prefix, order)| {
        let bits = mnemonic.strip_prefix(prefix)?;
        ["16", "32", "64"].contains(&bits).then(|| (order, bits.parse::<u32>().expect("one of 16, 32, 64")))
    }) {
        count(1)?;
        return Ok(plain(Insn::Endian { order, dst: lex::register(&ops[0])?, bits }));
    }
    if mnemonic == "addr_space_cast" {
        count(4)?;
        let cast = match (lex::imm32(&ops[2])?, lex::imm32(&ops[3])?) {
            (0, 1) => AddrSpace::ToKernel,
            (1, 0) => AddrSpace::ToUser,
            _ => return Err(AsmErrorKind::Syntax("addr_space_cast converts between address spaces 0 and 1".into())),
        };
        return Ok(plain(Insn::AddrSpaceCast { dst: lex::register(&ops[0])?, src: lex::register(&ops[1])?, cast }));
    }
    if let Some(from) = mnemonic.strip_prefix("movsx") {
        let (from, width) = width_suffix(from);
        let from = match (from, width) {
            ("8", _) => Size::B,
            ("16", _) => Size::H,
            ("32", Width::W64) => Size::W,
            _ => return Err(AsmErrorKind::UnknownMnemonic(mnemonic.to_owned())),
        };
        count(2)?;
        return Ok(plain(Insn::MovSx { width, dst: lex::register(&ops[0])?, src: lex::register(&ops[1])?, from }));
    }
    let (base, width) = width_suffix(mnemonic);
    if base == "neg" {
        count(1)?;
        return Ok(plain(Insn::Neg { width, dst: lex::register(&ops[0])? }));
    }
    if let Some(op) = lookup(&ALU_OPS, base) {
        count(2)?;
        return Ok(plain(Insn::Alu { width, op, dst: lex::register(&ops[0])?, src: operand(&ops[1])? }));
    }
    // Jumps take only the `32` suffix: `jeq64` is not a mnemonic.
    let (base, width) = mnemonic.strip_suffix("32").map_or((mnemonic, Width::W64), |base| (base, Width::W32));
    if let Some(cond) = lookup(&JUMP_CONDS, base) {
        count(3)?;
        let (dst, src) = (lex::register(&ops[0])?, operand(&ops[1])?);
        return Ok(targeted(lex::target(&ops[2], lex::offset16)?, |off| Insn::Jump { width, cond, dst, src, off }));
    }
    Err(AsmErrorKind::UnknownMnemonic(mnemonic.to_owned()))
}

/// `lock [fetch] op[32] [%rD+off], %rS`.
fn atomic(ops: Vec<String>) -> Result<Statement, AsmErrorKind> {
    let fetch = ops.first().is_some_and(|op| op == "fetch");
    let rest = &ops[usize::from(fetch)..];
    let Some((name, operands)) = rest.split_first() else {
        return Err(AsmErrorKind::OperandCount { mnemonic: "lock".into(), expected: 3, found: ops.len() });
    };
    let (base, size) = name.strip_suffix("32").map_or((name.as_str(), Size::DW), |base| (base, Size::W));
    let op = lookup(&ATOMIC_OPS, base).ok_or_else(|| AsmErrorKind::UnknownMnemonic(format!("lock {name}")))?;
    expect_count(&format!("lock {name}"), operands, 2)?;
    let (dst, off) = lex::memory(&operands[0])?;
    let src = lex::register(&operands[1])?;
    // Exchanges always fetch; `fetch` is accepted but redundant for them.
    let fetch = fetch || matches!(op, AtomicOp::Xchg | AtomicOp::CmpXchg);
    Ok(plain(Insn::Atomic { size, op, fetch, dst, off, src }))
}

/// `call N`, `call %rN`, `call helper N|%rN`, `call local L|+N`, `call runtime ID[, OBJ]`.
fn call(ops: Vec<String>) -> Result<Statement, AsmErrorKind> {
    let helper = |target: &str| -> Result<Statement, AsmErrorKind> {
        if target.starts_with('%') {
            Ok(plain(Insn::Callx { reg: lex::register(target)? }))
        } else {
            Ok(plain(Insn::Call(CallTarget::Helper(lex::imm32(target)?))))
        }
    };
    match ops.as_slice() {
        [target] => helper(target),
        [mode, target] if mode == "helper" => helper(target),
        [mode, target] if mode == "local" => {
            Ok(targeted(lex::target(target, lex::offset32)?, |imm| Insn::Call(CallTarget::Local(imm))))
        }
        [mode, rest @ ..] if mode == "runtime" && matches!(rest.len(), 1 | 2) => {
            let btf_id = lex::imm32(&rest[0])?;
            let btf_obj = rest.get(1).map(|obj| lex::offset16(obj)).transpose()?.unwrap_or(0);
            Ok(plain(Insn::Call(CallTarget::Kfunc { btf_id, btf_obj })))
        }
        [mode, ..] if !matches!(mode.as_str(), "helper" | "local" | "runtime") && ops.len() == 2 => {
            Err(AsmErrorKind::Syntax(format!("call mode must be helper, local or runtime, found `{mode}`")))
        }
        _ => Err(AsmErrorKind::OperandCount { mnemonic: "call".into(), expected: 1, found: ops.len() }),
    }
}

/// `lddw %rD, VALUE`, `lddw %rD, NAME` or `lddw %rD, kind(imm[, next_imm])`.
fn lddw(dst: Reg, value: &str) -> Result<Statement, AsmErrorKind> {
    if lex::looks_numeric(value) {
        let (imm, next_imm) = Insn::lddw_split(lex::imm64(value)?);
        return Ok(plain(Insn::Lddw { dst, kind: LddwKind::Imm64, imm, next_imm }));
    }
    if let Some((kind_name, args)) = lex::call_form(value) {
        let kind = lookup(&LDDW_KINDS, kind_name)
            .ok_or_else(|| AsmErrorKind::Syntax(format!("unknown lddw kind `{kind_name}`")))?;
        let (first, next_imm) = match args.as_slice() {
            [first] => (*first, 0),
            [first, next] => (*first, lex::imm32(next)?),
            _ => return Err(AsmErrorKind::Syntax(format!("`{value}` takes one or two numbers"))),
        };
        // A code address is an offset like a jump's; the other kinds hold plain numbers.
        let imm = if kind == LddwKind::CodeAddr { lex::offset32(first)? } else { lex::imm32(first)? };
        return Ok(plain(Insn::Lddw { dst, kind, imm, next_imm }));
    }
    Ok(Statement::NamedLoad { dst, name: lex::label_name(value)?.to_owned() })
}
