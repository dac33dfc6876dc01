//! The x86-64 instructions the JIT emits, as data.
//!
//! [`crate::lower`] turns eBPF into a list of [`Inst`]; [`crate::emit`] turns each into
//! bytes through iced-x86's encoder. Each variant is one x86 instruction (or a label
//! binding), so the listing and the `(inst, hex, asm)` test rows in `emit_tests.rs` speak
//! of exactly what runs. Only the forms the lowering needs exist.

use std::fmt;

/// A general-purpose register, in hardware numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Gpr {
    Rax,
    Rcx,
    Rdx,
    Rbx,
    Rsp,
    Rbp,
    Rsi,
    Rdi,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
}

/// Operand size of a register operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpSize {
    /// 16 bits (only byte-swapping rotates use it).
    S16,
    /// 32 bits; the result is zero-extended to 64.
    S32,
    /// 64 bits.
    S64,
}

/// Width of a memory access or of a narrow register operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemWidth {
    /// 1 byte.
    B,
    /// 2 bytes.
    H,
    /// 4 bytes.
    W,
    /// 8 bytes.
    D,
}

impl MemWidth {
    /// Bytes accessed.
    pub const fn bytes(self) -> i32 {
        match self {
            MemWidth::B => 1,
            MemWidth::H => 2,
            MemWidth::W => 4,
            MemWidth::D => 8,
        }
    }
}

/// How a narrow value is widened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Extend {
    /// Zero-extend.
    Zero,
    /// Sign-extend.
    Sign,
}

/// A memory operand `[base + index * scale + disp]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mem {
    /// Base register.
    pub base: Gpr,
    /// Index register and scale (1, 2, 4 or 8).
    pub index: Option<(Gpr, u8)>,
    /// Displacement.
    pub disp: i32,
}

impl Mem {
    /// `[base + disp]`.
    pub const fn at(base: Gpr, disp: i32) -> Mem {
        Mem { base, index: None, disp }
    }

    /// `[base + index * scale + disp]`.
    pub const fn indexed(base: Gpr, index: Gpr, scale: u8, disp: i32) -> Mem {
        Mem { base, index: Some((index, scale)), disp }
    }
}

/// Two-operand integer operations that set flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum AluOp {
    Add,
    Sub,
    And,
    Or,
    Xor,
    /// Subtract, keeping only the flags.
    Cmp,
    /// And, keeping only the flags.
    Test,
}

/// Shifts and rotates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ShiftOp {
    Shl,
    Shr,
    Sar,
    Rol,
}

/// Shift counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShiftCount {
    /// A constant count.
    Imm(u8),
    /// The count in `cl`.
    Cl,
}

/// Condition codes of `jcc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum CondCode {
    /// Equal / zero.
    E,
    /// Not equal / not zero.
    Ne,
    /// Unsigned above.
    A,
    /// Unsigned above or equal (no carry).
    Ae,
    /// Unsigned below (carry).
    B,
    /// Unsigned below or equal.
    Be,
    /// Signed greater.
    G,
    /// Signed greater or equal.
    Ge,
    /// Signed less.
    L,
    /// Signed less or equal.
    Le,
}

/// A position in the code, bound once with [`Inst::Bind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(pub u32);

/// One x86-64 instruction, or a label binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Inst {
    /// Binds a label to the current position (emits nothing).
    Bind(Label),
    /// `op dst, src`.
    AluRR {
        /// Operation.
        op: AluOp,
        /// Operand size.
        size: OpSize,
        /// First operand and destination.
        dst: Gpr,
        /// Second operand.
        src: Gpr,
    },
    /// `op dst, imm` (the immediate is sign-extended for 64-bit operations).
    AluRI {
        /// Operation.
        op: AluOp,
        /// Operand size.
        size: OpSize,
        /// First operand and destination.
        dst: Gpr,
        /// Immediate.
        imm: i32,
    },
    /// `op dst, [src]`.
    AluRM {
        /// Operation.
        op: AluOp,
        /// Operand size.
        size: OpSize,
        /// First operand and destination.
        dst: Gpr,
        /// Memory operand.
        src: Mem,
    },
    /// `op [dst], src`.
    AluMR {
        /// Operation.
        op: AluOp,
        /// Operand size.
        size: OpSize,
        /// Memory operand and destination.
        dst: Mem,
        /// Register operand.
        src: Gpr,
    },
    /// `op qword/dword [dst], imm`.
    AluMI {
        /// Operation.
        op: AluOp,
        /// Operand size.
        size: OpSize,
        /// Memory operand and destination.
        dst: Mem,
        /// Immediate.
        imm: i32,
    },
    /// `mov dst, src`.
    MovRR {
        /// Operand size.
        size: OpSize,
        /// Destination.
        dst: Gpr,
        /// Source.
        src: Gpr,
    },
    /// Loads a 64-bit constant with the shortest `mov` that produces it.
    MovRI {
        /// Destination.
        dst: Gpr,
        /// The value the register holds afterwards.
        value: u64,
    },
    /// A load of `width` bytes into `dst`, widened by `extend`.
    Load {
        /// Access width.
        width: MemWidth,
        /// How the value is widened to 64 bits.
        extend: Extend,
        /// Destination.
        dst: Gpr,
        /// Address.
        src: Mem,
    },
    /// A store of the low `width` bytes of `src`.
    Store {
        /// Access width.
        width: MemWidth,
        /// Address.
        dst: Mem,
        /// Stored register.
        src: Gpr,
    },
    /// A store of an immediate (sign-extended to 8 bytes for `D`).
    StoreImm {
        /// Access width.
        width: MemWidth,
        /// Address.
        dst: Mem,
        /// Immediate (truncated to `width`).
        imm: i32,
    },
    /// `lea dst, [src]`.
    Lea {
        /// Destination.
        dst: Gpr,
        /// Address computed.
        src: Mem,
    },
    /// `imul dst, src`.
    Imul {
        /// Operand size.
        size: OpSize,
        /// First operand and destination.
        dst: Gpr,
        /// Second operand.
        src: Gpr,
    },
    /// `imul dst, src, imm`.
    ImulImm {
        /// Operand size.
        size: OpSize,
        /// Destination.
        dst: Gpr,
        /// Operand.
        src: Gpr,
        /// Immediate factor.
        imm: i32,
    },
    /// `cdq` (32) or `cqo` (64): sign-extends the accumulator into `rdx`.
    SignExtendAccumulator {
        /// Operand size.
        size: OpSize,
    },
    /// `div` / `idiv` of `rdx:rax` by `divisor`.
    Div {
        /// Operand size.
        size: OpSize,
        /// `idiv` if set.
        signed: bool,
        /// Divisor.
        divisor: Gpr,
    },
    /// `neg dst`.
    Neg {
        /// Operand size.
        size: OpSize,
        /// Operand.
        dst: Gpr,
    },
    /// A shift or rotate of `dst`.
    Shift {
        /// Operation.
        op: ShiftOp,
        /// Operand size.
        size: OpSize,
        /// Operand.
        dst: Gpr,
        /// Count.
        count: ShiftCount,
    },
    /// `movzx`/`movsx`/`movsxd dst, src` from the low `from` bytes of `src`.
    ExtendReg {
        /// Zero or sign extension.
        extend: Extend,
        /// Width taken from `src` (`B`, `H` or, for sign extension, `W`).
        from: MemWidth,
        /// Destination size.
        size: OpSize,
        /// Destination.
        dst: Gpr,
        /// Source.
        src: Gpr,
    },
    /// `bswap dst`.
    Bswap {
        /// Operand size (32 or 64).
        size: OpSize,
        /// Operand.
        dst: Gpr,
    },
    /// `push reg`.
    Push(Gpr),
    /// `pop reg`.
    Pop(Gpr),
    /// `ret`.
    Ret,
    /// `jmp label` (rel32).
    Jmp(Label),
    /// `jcc label` (rel32).
    Jcc(CondCode, Label),
    /// `call label` (rel32).
    Call(Label),
    /// `call reg`.
    CallReg(Gpr),
    /// `call qword [mem]`.
    CallMem(Mem),
    /// `jmp reg`.
    JmpReg(Gpr),
    /// `lock op [dst], src` for `Add`, `And`, `Or`, `Xor`.
    LockAlu {
        /// Operation.
        op: AluOp,
        /// Operand size (32 or 64).
        size: OpSize,
        /// Memory operand.
        dst: Mem,
        /// Register operand.
        src: Gpr,
    },
    /// `lock xadd [dst], src`.
    LockXadd {
        /// Operand size (32 or 64).
        size: OpSize,
        /// Memory operand.
        dst: Mem,
        /// Register operand; receives the old value.
        src: Gpr,
    },
    /// `xchg [dst], src` (locked by the hardware).
    Xchg {
        /// Operand size (32 or 64).
        size: OpSize,
        /// Memory operand.
        dst: Mem,
        /// Register operand; receives the old value.
        src: Gpr,
    },
    /// `lock cmpxchg [dst], src`, comparing with the accumulator.
    LockCmpxchg {
        /// Operand size (32 or 64).
        size: OpSize,
        /// Memory operand.
        dst: Mem,
        /// Value stored on equality.
        src: Gpr,
    },
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}
