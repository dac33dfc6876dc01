//! Parsing one instruction of the LLVM/kernel syntax.

use super::lex::{Token, is_plain_name, tokenize};
use super::spelling::{
    access, access_type, atomic_of_fetch, atomic_of_lock, bin_op_of, byte_order_of, cond_of, lddw_kind,
};
use crate::asm::AsmErrorKind;
use crate::isa::{AddrSpace, AtomicOp, ByteOrder, CallTarget, Insn, LddwKind, Operand, PacketAddr, Reg, Size, Width};

/// One parsed line that is an instruction, before labels are resolved.
#[derive(Debug)]
pub(super) enum Statement {
    /// A complete instruction.
    Insn(Insn),
    /// A jump, local call or code-address load whose offset is the distance to a label.
    ToLabel(Insn, String),
    /// `rX = NAME ll`: the address of a jump table or of a code label.
    LoadName(Reg, String),
}

/// Parses the tokens of one instruction.
pub(super) fn statement(text: &str) -> Result<Statement, AsmErrorKind> {
    let tokens = tokenize(text)?;
    let mut cursor = Cursor { tokens: &tokens, pos: 0 };
    let statement = cursor.statement()?;
    match cursor.next() {
        None => Ok(statement),
        Some(extra) => Err(AsmErrorKind::Syntax(format!("unexpected `{extra}` after the instruction"))),
    }
}

struct Cursor<'a> {
    tokens: &'a [Token],
    pos: usize,
}

/// A register operand with the width its name says (`w` or `r`).
#[derive(Clone, Copy, PartialEq, Eq)]
struct RegOperand {
    width: Width,
    reg: Reg,
}

fn expected(what: &str, found: Option<&Token>) -> AsmErrorKind {
    match found {
        Some(token) => AsmErrorKind::Syntax(format!("expected {what}, found `{token}`")),
        None => AsmErrorKind::Syntax(format!("expected {what}, found end of line")),
    }
}

/// Reads `r0`..`r10` / `w0`..`w10`; `None` if `name` does not look like a register at all.
fn register(name: &str) -> Option<Result<RegOperand, AsmErrorKind>> {
    let (width, digits) = match name.split_at_checked(1)? {
        ("r", digits) => (Width::W64, digits),
        ("w", digits) => (Width::W32, digits),
        _ => return None,
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let reg = digits.parse::<u8>().ok().and_then(Reg::new);
    Some(reg.map(|reg| RegOperand { width, reg }).ok_or_else(|| AsmErrorKind::InvalidRegister(name.to_owned())))
}

/// A value register must be 64-bit for 64-bit accesses; narrower accesses take either
/// name (objdump prints `w`, kernel-style sources often write `r`).
fn check_value_width(size: Size, value: RegOperand) -> Result<Reg, AsmErrorKind> {
    if size == Size::DW && value.width == Width::W32 {
        return Err(AsmErrorKind::InvalidRegister(format!("w{} (a 64-bit access needs r{0})", value.reg.number())));
    }
    Ok(value.reg)
}

fn same_register(expected: RegOperand, found: RegOperand, role: &str) -> Result<(), AsmErrorKind> {
    if expected == found {
        Ok(())
    } else {
        Err(AsmErrorKind::InvalidRegister(format!("{} ({role} must be {})", show(found), show(expected))))
    }
}

/// The register of an operand that must be named as 64-bit (`rN`).
fn wide(r: RegOperand) -> Result<Reg, AsmErrorKind> {
    match r.width {
        Width::W64 => Ok(r.reg),
        Width::W32 => Err(AsmErrorKind::InvalidRegister(format!("{} (expected r{})", show(r), r.reg.number()))),
    }
}

fn show(r: RegOperand) -> String {
    super::print::reg(r.width, r.reg)
}

fn narrow<T: TryFrom<i128>>(value: i128, error: impl FnOnce(String) -> AsmErrorKind) -> Result<T, AsmErrorKind> {
    T::try_from(value).map_err(|_| error(signed_text(value)))
}

fn signed_text(value: i128) -> String {
    if value < 0 { format!("-{:#x}", value.unsigned_abs()) } else { format!("{value:#x}") }
}

/// A 32-bit immediate: `-2^31 ..= 2^32 - 1`, the upper half taken as its bit pattern, as
/// llvm-mc does (objdump prints `ld_pseudo` immediates unsigned).
fn imm32(value: i128) -> Result<i32, AsmErrorKind> {
    if (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&value) {
        Ok(value as u32 as i32)
    } else {
        Err(AsmErrorKind::ImmediateOutOfRange(signed_text(value)))
    }
}

/// A 64-bit immediate: `-2^63 ..= 2^64 - 1`, by bit pattern.
fn imm64(value: i128) -> Result<u64, AsmErrorKind> {
    if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&value) {
        Ok(value as u64)
    } else {
        Err(AsmErrorKind::ImmediateOutOfRange(signed_text(value)))
    }
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead)
    }

    fn next(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.pos);
        self.pos += usize::from(token.is_some());
        token
    }

    fn eat_punct(&mut self, punct: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Punct(p)) if *p == punct);
        self.pos += usize::from(found);
        found
    }

    fn eat_name(&mut self, name: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Name(n)) if n == name);
        self.pos += usize::from(found);
        found
    }

    fn punct(&mut self, punct: &str) -> Result<(), AsmErrorKind> {
        if self.eat_punct(punct) { Ok(()) } else { Err(expected(&format!("`{punct}`"), self.peek())) }
    }

    fn keyword(&mut self, name: &str) -> Result<(), AsmErrorKind> {
        if self.eat_name(name) { Ok(()) } else { Err(expected(&format!("`{name}`"), self.peek())) }
    }

    fn name(&mut self, what: &str) -> Result<String, AsmErrorKind> {
        match self.peek() {
            Some(Token::Name(name)) => {
                let name = name.clone();
                self.pos += 1;
                Ok(name)
            }
            other => Err(expected(what, other)),
        }
    }

    fn is_register_next(&self) -> bool {
        matches!(self.peek(), Some(Token::Name(n)) if register(n).is_some())
    }

    fn register(&mut self) -> Result<RegOperand, AsmErrorKind> {
        match self.peek() {
            Some(Token::Name(name)) => match register(name) {
                Some(result) => {
                    self.pos += 1;
                    result
                }
                None => Err(AsmErrorKind::InvalidRegister(name.clone())),
            },
            other => Err(expected("a register", other)),
        }
    }

    /// A 64-bit register (`rN`): bases of memory accesses and most fixed operands.
    fn reg64(&mut self) -> Result<Reg, AsmErrorKind> {
        wide(self.register()?)
    }

    fn unsigned(&mut self) -> Result<i128, AsmErrorKind> {
        match self.peek() {
            Some(&Token::Number(n)) => {
                self.pos += 1;
                Ok(n.into())
            }
            other => Err(expected("a number", other)),
        }
    }

    /// A number with an optional leading `-`.
    fn signed(&mut self) -> Result<i128, AsmErrorKind> {
        let negative = self.eat_punct("-");
        let magnitude = self.unsigned()?;
        Ok(if negative { -magnitude } else { magnitude })
    }

    /// A number with a mandatory sign: `+0x3`, `-0x1`.
    fn relative(&mut self) -> Result<i128, AsmErrorKind> {
        if self.eat_punct("+") {
            self.unsigned()
        } else if self.eat_punct("-") {
            Ok(-self.unsigned()?)
        } else {
            Err(expected("`+` or `-`", self.peek()))
        }
    }

    fn is_number_next(&self) -> bool {
        match self.peek() {
            Some(Token::Number(_)) => true,
            Some(Token::Punct("-")) => matches!(self.peek_at(1), Some(Token::Number(_))),
            _ => false,
        }
    }

    /// `( rN ± 0xOFF )` without the parentheses: a base register and a 16-bit offset.
    fn address(&mut self) -> Result<(Reg, i16), AsmErrorKind> {
        let base = self.reg64()?;
        let off = self.relative()?;
        Ok((base, narrow(off, AsmErrorKind::OffsetOutOfRange)?))
    }

    /// `*(u32 *)`: returns the size and whether it is a sign-extending type.
    fn access_cast(&mut self) -> Result<(Size, bool), AsmErrorKind> {
        self.punct("(")?;
        let name = self.name("an access type such as `u32`")?;
        let found = access(&name).ok_or_else(|| AsmErrorKind::Syntax(format!("unknown access type `{name}`")))?;
        self.punct("*")?;
        self.punct(")")?;
        Ok(found)
    }

    fn unsigned_access_cast(&mut self) -> Result<Size, AsmErrorKind> {
        match self.access_cast()? {
            (size, false) => Ok(size),
            (size, true) => Err(AsmErrorKind::Syntax(format!("s{} is only valid for loads", size.bits()))),
        }
    }

    /// A second operand: a register of `width`, or an immediate.
    fn operand(&mut self, width: Width) -> Result<Operand, AsmErrorKind> {
        if self.is_register_next() {
            let r = self.register()?;
            if r.width != width {
                return Err(AsmErrorKind::InvalidRegister(format!(
                    "{} (operands of one instruction share a width)",
                    show(r)
                )));
            }
            Ok(Operand::Reg(r.reg))
        } else {
            Ok(Operand::Imm(imm32(self.signed()?)?))
        }
    }

    /// The target of a jump: a signed offset, or a label.
    fn jump(&mut self, insn: impl FnOnce(i128) -> Result<Insn, AsmErrorKind>) -> Result<Statement, AsmErrorKind> {
        match self.peek() {
            Some(Token::Name(name)) if is_plain_name(name) => {
                let name = name.clone();
                self.pos += 1;
                Ok(Statement::ToLabel(insn(0)?, name))
            }
            _ => Ok(Statement::Insn(insn(self.relative()?)?)),
        }
    }

    fn statement(&mut self) -> Result<Statement, AsmErrorKind> {
        let first = match self.peek() {
            Some(Token::Name(name)) => name.clone(),
            Some(Token::Punct("*")) => return self.store(),
            other => return Err(expected("an instruction", other)),
        };
        if register(&first).is_some() {
            return self.assignment();
        }
        self.pos += 1;
        let insn = match first.as_str() {
            "exit" => Insn::Exit,
            "goto" => return self.jump(|off| Ok(Insn::Ja { off: narrow(off, AsmErrorKind::OffsetOutOfRange)? })),
            "gotol" => return self.jump(|imm| Ok(Insn::Ja32 { imm: narrow(imm, AsmErrorKind::OffsetOutOfRange)? })),
            "may_goto" => {
                return self.jump(|off| Ok(Insn::MayGoto { off: narrow(off, AsmErrorKind::OffsetOutOfRange)? }));
            }
            "gotox" => Insn::Gotox { reg: self.reg64()? },
            "callx" => Insn::Callx { reg: self.reg64()? },
            "call" => return self.call(),
            "if" => return self.conditional_jump(),
            "lock" => self.lock()?,
            "ld_pseudo" => self.ld_pseudo()?,
            _ => return Err(AsmErrorKind::UnknownMnemonic(first)),
        };
        Ok(Statement::Insn(insn))
    }

    /// `call 0x5` (helper), `call pc+0x3` (local), `call kfunc 0x4d2 [btf 0x1]`, `call NAME`.
    fn call(&mut self) -> Result<Statement, AsmErrorKind> {
        let target = if self.eat_name("pc") {
            CallTarget::Local(narrow(self.relative()?, AsmErrorKind::OffsetOutOfRange)?)
        } else if self.eat_name("kfunc") {
            let btf_id = imm32(self.signed()?)?;
            let btf_obj =
                if self.eat_name("btf") { narrow(self.signed()?, AsmErrorKind::ImmediateOutOfRange)? } else { 0 };
            CallTarget::Kfunc { btf_id, btf_obj }
        } else if self.is_number_next() {
            CallTarget::Helper(imm32(self.signed()?)?)
        } else {
            let name = self.name("a helper number or a function name")?;
            if !is_plain_name(&name) {
                return Err(AsmErrorKind::Syntax(format!("`{name}` cannot name a function")));
            }
            return Ok(Statement::ToLabel(Insn::Call(CallTarget::Local(0)), name));
        };
        Ok(Statement::Insn(Insn::Call(target)))
    }

    /// `if w1 s< -0x3 goto +0x1`.
    fn conditional_jump(&mut self) -> Result<Statement, AsmErrorKind> {
        let dst = self.register()?;
        let cond = match self.next() {
            Some(Token::Punct(p)) => {
                cond_of(p).ok_or_else(|| AsmErrorKind::Syntax(format!("`{p}` is no condition")))?
            }
            other => return Err(expected("a condition", other)),
        };
        let src = self.operand(dst.width)?;
        self.keyword("goto")?;
        self.jump(|off| {
            let off = narrow(off, AsmErrorKind::OffsetOutOfRange)?;
            Ok(Insn::Jump { width: dst.width, cond, dst: dst.reg, src, off })
        })
    }

    /// `lock *(u64 *)(r10 - 0x8) += r1`.
    fn lock(&mut self) -> Result<Insn, AsmErrorKind> {
        self.punct("*")?;
        let size = self.atomic_size()?;
        self.punct("(")?;
        let (dst, off) = self.address()?;
        self.punct(")")?;
        let op = match self.next() {
            Some(Token::Punct(p)) => {
                atomic_of_lock(p).ok_or_else(|| AsmErrorKind::Syntax(format!("`{p}` is no atomic operation")))?
            }
            other => return Err(expected("an atomic operator", other)),
        };
        let src = check_value_width(size, self.register()?)?;
        Ok(Insn::Atomic { size, op, fetch: false, dst, off, src })
    }

    fn atomic_size(&mut self) -> Result<Size, AsmErrorKind> {
        match self.unsigned_access_cast()? {
            size @ (Size::W | Size::DW) => Ok(size),
            size => Err(AsmErrorKind::Syntax(format!("atomic operations take u32 or u64, not u{}", size.bits()))),
        }
    }

    /// `ld_pseudo r1, 0x2, 0x5` with an optional second immediate.
    fn ld_pseudo(&mut self) -> Result<Insn, AsmErrorKind> {
        let dst = self.reg64()?;
        let mut values = Vec::with_capacity(3);
        while self.eat_punct(",") {
            values.push(self.signed()?);
        }
        let (src, imm, next_imm) = match values[..] {
            [src, imm] => (src, imm, 0),
            [src, imm, next_imm] => (src, imm, next_imm),
            _ => {
                return Err(AsmErrorKind::OperandCount {
                    mnemonic: "ld_pseudo".into(),
                    expected: 4,
                    found: values.len() + 1,
                });
            }
        };
        let kind = u8::try_from(src).ok().and_then(lddw_kind);
        let kind = kind.ok_or_else(|| AsmErrorKind::ImmediateOutOfRange(signed_text(src)))?;
        Ok(Insn::Lddw { dst, kind, imm: imm32(imm)?, next_imm: imm32(next_imm)? })
    }

    /// `*(u32 *)(r1 - 0x2) = w2` or `= -0x5`.
    fn store(&mut self) -> Result<Statement, AsmErrorKind> {
        self.punct("*")?;
        let size = self.unsigned_access_cast()?;
        self.punct("(")?;
        let (dst, off) = self.address()?;
        self.punct(")")?;
        self.punct("=")?;
        let src = if self.is_register_next() {
            Operand::Reg(check_value_width(size, self.register()?)?)
        } else {
            Operand::Imm(imm32(self.signed()?)?)
        };
        Ok(Statement::Insn(Insn::Store { size, dst, off, src }))
    }

    /// Every form that starts with a destination register.
    fn assignment(&mut self) -> Result<Statement, AsmErrorKind> {
        let dst = self.register()?;
        let op = match self.next() {
            Some(Token::Punct(p)) => *p,
            other => return Err(expected("an assignment operator", other)),
        };
        let alu_op = bin_op_of(op).ok_or_else(|| AsmErrorKind::Syntax(format!("`{op}` is no assignment")))?;
        if op != "=" {
            let src = self.operand(dst.width)?;
            return Ok(Statement::Insn(Insn::Alu { width: dst.width, op: alu_op, dst: dst.reg, src }));
        }
        let insn = match self.peek() {
            Some(Token::Punct("-")) if !self.is_number_next() => {
                self.pos += 1;
                same_register(dst, self.register()?, "the negated register")?;
                Insn::Neg { width: dst.width, dst: dst.reg }
            }
            Some(Token::Punct("(")) => self.move_sign_extend(dst)?,
            Some(Token::Punct("*")) => self.load(dst)?,
            Some(Token::Name(name)) if register(name).is_some() => {
                let src = self.operand(dst.width)?;
                Insn::Alu { width: dst.width, op: alu_op, dst: dst.reg, src }
            }
            Some(Token::Name(name)) => {
                let name = name.clone();
                self.pos += 1;
                return self.named_rhs(dst, name);
            }
            _ => {
                let value = self.signed()?;
                if self.eat_name("ll") {
                    let (imm, next_imm) = Insn::lddw_split(imm64(value)?);
                    Insn::Lddw { dst: wide(dst)?, kind: LddwKind::Imm64, imm, next_imm }
                } else {
                    Insn::Alu { width: dst.width, op: alu_op, dst: dst.reg, src: Operand::Imm(imm32(value)?) }
                }
            }
        };
        Ok(Statement::Insn(insn))
    }

    /// `r1 = (s16)r2`.
    fn move_sign_extend(&mut self, dst: RegOperand) -> Result<Insn, AsmErrorKind> {
        self.punct("(")?;
        let name = self.name("`s8`, `s16` or `s32`")?;
        let from = match (access(&name), dst.width) {
            (Some((size @ (Size::B | Size::H), true)), _) | (Some((size @ Size::W, true)), Width::W64) => size,
            _ => return Err(AsmErrorKind::Syntax(format!("cannot sign-extend from `{name}` into {}", show(dst)))),
        };
        self.punct(")")?;
        let src = self.register()?;
        if src.width != dst.width {
            return Err(AsmErrorKind::InvalidRegister(format!("{} (expected the width of {})", show(src), show(dst))));
        }
        Ok(Insn::MovSx { width: dst.width, dst: dst.reg, src: src.reg, from })
    }

    /// `w2 = *(u16 *)(r3 - 0x8)` and `r0 = *(u8 *)skb[...]`.
    fn load(&mut self, dst: RegOperand) -> Result<Insn, AsmErrorKind> {
        self.punct("*")?;
        let (size, signed) = self.access_cast()?;
        if self.eat_name("skb") {
            return self.load_packet(dst, size, signed);
        }
        if (signed || size == Size::DW) && dst.width == Width::W32 {
            return Err(AsmErrorKind::InvalidRegister(format!(
                "{} (a {} load writes r{})",
                show(dst),
                access_type(size, signed),
                dst.reg.number()
            )));
        }
        self.punct("(")?;
        let (src, off) = self.address()?;
        self.punct(")")?;
        Ok(Insn::Load { size, signed, dst: dst.reg, src, off })
    }

    /// `skb[0x3]`, `skb[r1]`, `skb[r1 + 0x7]` after `r0 = *(u8 *)`.
    fn load_packet(&mut self, dst: RegOperand, size: Size, signed: bool) -> Result<Insn, AsmErrorKind> {
        if dst != (RegOperand { width: Width::W64, reg: Reg::R0 }) {
            return Err(AsmErrorKind::InvalidRegister(format!("{} (packet loads write r0)", show(dst))));
        }
        if signed || size == Size::DW {
            return Err(AsmErrorKind::Syntax("packet loads take u8, u16 or u32".into()));
        }
        self.punct("[")?;
        let (addr, imm) = if self.is_register_next() {
            let base = self.reg64()?;
            let imm = if matches!(self.peek(), Some(Token::Punct("+" | "-"))) { imm32(self.relative()?)? } else { 0 };
            (PacketAddr::Ind(base), imm)
        } else {
            (PacketAddr::Abs, imm32(self.signed()?)?)
        };
        self.punct("]")?;
        Ok(Insn::LoadPacket { size, addr, imm })
    }

    /// Right-hand sides that start with a name: byte-order conversions, fetching atomics,
    /// and `NAME ll`.
    fn named_rhs(&mut self, dst: RegOperand, name: String) -> Result<Statement, AsmErrorKind> {
        if is_plain_name(&name) && self.eat_name("ll") {
            return Ok(Statement::LoadName(wide(dst)?, name));
        }
        if let Some((order, bits)) = byte_order(&name) {
            let dst64 = wide(dst)?;
            same_register(dst, self.register()?, "the converted register")?;
            return Ok(Statement::Insn(Insn::Endian { order, dst: dst64, bits }));
        }
        if name == "addr_space_cast" {
            return self.addr_space_cast(dst).map(Statement::Insn);
        }
        if let Some(op) = atomic_of_fetch(&name) {
            self.punct("(")?;
            let size = self.atomic_size()?;
            self.punct("(")?;
            let (base, off) = self.address()?;
            self.punct(")")?;
            self.punct(",")?;
            let src = self.register()?;
            self.punct(")")?;
            same_register(dst, src, "the fetched register")?;
            let src = check_value_width(size, src)?;
            return Ok(Statement::Insn(Insn::Atomic { size, op, fetch: true, dst: base, off, src }));
        }
        let exchange = match name.as_str() {
            "xchg32_32" => Some((AtomicOp::Xchg, Size::W)),
            "xchg_64" => Some((AtomicOp::Xchg, Size::DW)),
            "cmpxchg32_32" => Some((AtomicOp::CmpXchg, Size::W)),
            "cmpxchg_64" => Some((AtomicOp::CmpXchg, Size::DW)),
            _ => None,
        };
        if let Some((op, size)) = exchange {
            return self.exchange(dst, op, size).map(Statement::Insn);
        }
        Err(AsmErrorKind::Syntax(format!("unexpected `{name}` after `=`")))
    }

    /// `r1 = addr_space_cast(r2, 0x0, 0x1)`: destination then source address space.
    fn addr_space_cast(&mut self, dst: RegOperand) -> Result<Insn, AsmErrorKind> {
        let dst = wide(dst)?;
        self.punct("(")?;
        let src = self.reg64()?;
        self.punct(",")?;
        let dst_as = self.unsigned()?;
        self.punct(",")?;
        let src_as = self.unsigned()?;
        self.punct(")")?;
        let cast = match (dst_as, src_as) {
            (0, 1) => AddrSpace::ToKernel,
            (1, 0) => AddrSpace::ToUser,
            _ => {
                return Err(AsmErrorKind::Syntax(format!(
                    "addr_space_cast converts between address spaces 0 and 1, not from {src_as} to {dst_as}"
                )));
            }
        };
        Ok(Insn::AddrSpaceCast { dst, src, cast })
    }

    /// `w0 = xchg32_32(r10 - 0x4, w0)` and `r0 = cmpxchg_64(r10 - 0x4, r0, r1)`.
    fn exchange(&mut self, dst: RegOperand, op: AtomicOp, size: Size) -> Result<Insn, AsmErrorKind> {
        let width = if size == Size::DW { Width::W64 } else { Width::W32 };
        self.punct("(")?;
        let (base, off) = self.address()?;
        self.punct(",")?;
        let first = self.register()?;
        if op == AtomicOp::CmpXchg {
            let r0 = RegOperand { width, reg: Reg::R0 };
            same_register(r0, dst, "cmpxchg's result")?;
            same_register(r0, first, "cmpxchg's comparand")?;
            self.punct(",")?;
        }
        let src = if op == AtomicOp::CmpXchg { self.register()? } else { first };
        self.punct(")")?;
        if op == AtomicOp::Xchg {
            same_register(dst, src, "the exchanged register")?;
        }
        if src.width != width {
            return Err(AsmErrorKind::InvalidRegister(format!(
                "{} (the operand width is {} bits)",
                show(src),
                size.bits()
            )));
        }
        Ok(Insn::Atomic { size, op, fetch: true, dst: base, off, src: src.reg })
    }
}

/// `be16` → (ToBe, 16).
fn byte_order(name: &str) -> Option<(ByteOrder, u32)> {
    let split = name.find(|c: char| c.is_ascii_digit())?;
    let (prefix, bits) = name.split_at(split);
    let bits = match bits {
        "16" => 16,
        "32" => 32,
        "64" => 64,
        _ => return None,
    };
    Some((byte_order_of(prefix)?, bits))
}
