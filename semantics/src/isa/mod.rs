//! The eBPF instruction set as typed data: RFC 9669 plus Linux's `callx` (0x8d) and
//! `gotox` (0x0d).
//!
//! Everything outside this module sees [`Insn`], never raw opcode fields. [`decode`] turns
//! bytes into instructions (rejecting every encoding RFC 9669 leaves undefined, including
//! non-zero "unused" fields), and [`encode`] turns them back. `decode ∘ encode` is the
//! identity on instructions; `encode ∘ decode` is the identity on bytes except for the
//! pre-LLVM-19 `callx` form, which [`decode`] normalises.

#[cfg(test)]
pub(crate) mod arbitrary;
mod codec;
mod effects;
mod opcode;

use std::fmt;

pub use codec::{DecodeError, DecodeErrorKind, Decoded, Field, SLOT_BYTES, decode, decode_one, encode, encode_into};
pub use effects::{RegSet, RegisterEffects};

/// One of the eleven eBPF registers, `r0`..=`r10`. The invariant (`< 11`) is kept by the
/// constructor so that code indexing a register file never needs a bounds check to be safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reg(u8);

impl Reg {
    /// `r0`: return value of calls and of the program.
    pub const R0: Reg = Reg(0);
    /// `r1`: first argument; the context pointer at program entry.
    pub const R1: Reg = Reg(1);
    /// `r2`.
    pub const R2: Reg = Reg(2);
    /// `r3`.
    pub const R3: Reg = Reg(3);
    /// `r4`.
    pub const R4: Reg = Reg(4);
    /// `r5`: last argument register.
    pub const R5: Reg = Reg(5);
    /// `r6`: first callee-saved register.
    pub const R6: Reg = Reg(6);
    /// `r7`.
    pub const R7: Reg = Reg(7);
    /// `r8`.
    pub const R8: Reg = Reg(8);
    /// `r9`: last callee-saved register.
    pub const R9: Reg = Reg(9);
    /// `r10`: the read-only frame pointer.
    pub const R10: Reg = Reg(10);
    /// Number of registers.
    pub const COUNT: usize = 11;

    /// The register numbered `n`, if `n <= 10`.
    pub const fn new(n: u8) -> Option<Reg> {
        if n <= 10 { Some(Reg(n)) } else { None }
    }

    /// The register's number, `0..=10`.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The register's number as encoded in an instruction's 4-bit field.
    pub const fn number(self) -> u8 {
        self.0
    }

    /// All registers in numeric order.
    pub fn all() -> impl Iterator<Item = Reg> {
        (0..=10).map(Reg)
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// Operand width of an ALU or JMP instruction: the whole 64-bit register, or its low
/// 32-bit sub-register (`w` registers; ALU results are then zero-extended).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// 32-bit sub-register (`BPF_ALU` / `BPF_JMP32` classes).
    W32,
    /// Full 64-bit register (`BPF_ALU64` / `BPF_JMP` classes).
    W64,
}

/// Size of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    /// 1 byte.
    B,
    /// 2 bytes.
    H,
    /// 4 bytes.
    W,
    /// 8 bytes.
    DW,
}

impl Size {
    /// Number of bytes accessed.
    pub const fn bytes(self) -> u32 {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }

    /// Number of bits accessed.
    pub const fn bits(self) -> u32 {
        self.bytes() * 8
    }

    /// The size of an access of `len` bytes, if there is one.
    pub const fn from_bytes(len: u32) -> Option<Size> {
        match len {
            1 => Some(Size::B),
            2 => Some(Size::H),
            4 => Some(Size::W),
            8 => Some(Size::DW),
            _ => None,
        }
    }
}

/// Second operand of an ALU, JMP or store instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// A register (`BPF_X`).
    Reg(Reg),
    /// A 32-bit immediate (`BPF_K`); sign-extended to 64 bits where the operation is 64-bit.
    Imm(i32),
}

/// Binary ALU operations. Signed division and modulo are the v4 `offset = 1` forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `dst += src`.
    Add,
    /// `dst -= src`.
    Sub,
    /// `dst *= src`.
    Mul,
    /// Unsigned division; division by zero yields 0.
    Div,
    /// Signed division (v4); division by zero yields 0.
    SDiv,
    /// Bitwise or.
    Or,
    /// Bitwise and.
    And,
    /// Left shift; the count is masked to the operand width.
    Lsh,
    /// Logical right shift; the count is masked to the operand width.
    Rsh,
    /// Unsigned modulo; modulo by zero leaves `dst` unchanged.
    Mod,
    /// Signed modulo (v4); modulo by zero leaves `dst` unchanged.
    SMod,
    /// Bitwise exclusive or.
    Xor,
    /// `dst = src`.
    Mov,
    /// Arithmetic right shift; the count is masked to the operand width.
    Arsh,
}

impl BinOp {
    /// Every binary operation, in opcode order.
    pub const ALL: [BinOp; 14] = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::SDiv,
        BinOp::Or,
        BinOp::And,
        BinOp::Lsh,
        BinOp::Rsh,
        BinOp::Mod,
        BinOp::SMod,
        BinOp::Xor,
        BinOp::Mov,
        BinOp::Arsh,
    ];
}

/// Byte-order operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `le16/32/64`: convert to little endian, which on eBPF's little-endian model only
    /// truncates (zero-extends the low `bits`).
    ToLe,
    /// `be16/32/64`: convert to big endian, i.e. swap the low `bits` and zero-extend.
    ToBe,
    /// `bswap16/32/64` (v4, `BPF_ALU64` class): unconditional swap.
    Swap,
}

/// Conditions of conditional jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `&` is non-zero.
    Set,
    /// Unsigned `>`.
    Gt,
    /// Unsigned `>=`.
    Ge,
    /// Unsigned `<`.
    Lt,
    /// Unsigned `<=`.
    Le,
    /// Signed `>`.
    SGt,
    /// Signed `>=`.
    SGe,
    /// Signed `<`.
    SLt,
    /// Signed `<=`.
    SLe,
}

impl Cond {
    /// Every condition, in opcode order.
    pub const ALL: [Cond; 11] = [
        Cond::Eq,
        Cond::Gt,
        Cond::Ge,
        Cond::Set,
        Cond::Ne,
        Cond::SGt,
        Cond::SGe,
        Cond::Lt,
        Cond::Le,
        Cond::SLt,
        Cond::SLe,
    ];

    /// The condition that holds exactly when `self` does not.
    pub const fn negate(self) -> Option<Cond> {
        // `Set` has no negation among the conditions.
        Some(match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Set => return None,
            Cond::Gt => Cond::Le,
            Cond::Ge => Cond::Lt,
            Cond::Lt => Cond::Ge,
            Cond::Le => Cond::Gt,
            Cond::SGt => Cond::SLe,
            Cond::SGe => Cond::SLt,
            Cond::SLt => Cond::SGe,
            Cond::SLe => Cond::SGt,
        })
    }
}

/// The direction of an `addr_space_cast` (`BPF_ALU64 | BPF_MOV | BPF_X`, `off = 1`): the
/// cast between an arena's user addresses (address space 1) and the program's own
/// (address space 0). The `imm` field holds `dst_as << 16 | src_as`; Linux accepts only
/// these two casts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddrSpace {
    /// `imm = 1`, `as(1) -> as(0)`: the arena pointer the program dereferences, the low
    /// 32 bits of the user address.
    ToKernel,
    /// `imm = 1 << 16`, `as(0) -> as(1)`: the full user address (the arena's
    /// `user_vm_start` upper half over the low 32 bits; 0 stays 0).
    ToUser,
}

impl AddrSpace {
    /// The `imm` field of the cast: `dst_as << 16 | src_as`.
    pub const fn imm(self) -> i32 {
        match self {
            AddrSpace::ToKernel => 1,
            AddrSpace::ToUser => 1 << 16,
        }
    }

    /// The cast whose `imm` field is `imm`, if Linux knows it.
    pub const fn from_imm(imm: i32) -> Option<AddrSpace> {
        match imm {
            1 => Some(AddrSpace::ToKernel),
            0x1_0000 => Some(AddrSpace::ToUser),
            _ => None,
        }
    }

    /// `(dst_as, src_as)` as LLVM prints them.
    pub const fn spaces(self) -> (u32, u32) {
        (self.imm() as u32 >> 16, self.imm() as u32 & 0xffff)
    }
}

/// Read-modify-write operations of `BPF_ATOMIC` instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// `lock add` / `atomic_fetch_add`.
    Add,
    /// `lock or` / `atomic_fetch_or`.
    Or,
    /// `lock and` / `atomic_fetch_and`.
    And,
    /// `lock xor` / `atomic_fetch_xor`.
    Xor,
    /// Exchange (always fetches).
    Xchg,
    /// Compare with `r0` and exchange (always fetches into `r0`).
    CmpXchg,
}

/// What the 64-bit immediate of an `lddw` means, from its `src` field (RFC 9669 table 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LddwKind {
    /// `src = 0`: a plain 64-bit constant.
    Imm64,
    /// `src = 1`: `map_by_fd(imm)`.
    MapFd,
    /// `src = 2`: `map_val(map_by_fd(imm)) + next_imm`.
    MapValue,
    /// `src = 3`: `var_addr(imm)`, a BTF variable.
    VarAddr,
    /// `src = 4`: `code_addr(imm)`, the address of the instruction `imm` slots after this one.
    CodeAddr,
    /// `src = 5`: `map_by_idx(imm)`.
    MapIdx,
    /// `src = 6`: `map_val(map_by_idx(imm)) + next_imm`.
    MapIdxValue,
}

/// How a `call` instruction names its target (`src` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallTarget {
    /// `src = 0`: a helper function by its number.
    Helper(i32),
    /// `src = 1`: a bpf-to-bpf call; the callee starts `offset + 1` slots after the call.
    Local(i32),
    /// `src = 2`: a kernel function by BTF id (`offset` selects the BTF object).
    Kfunc {
        /// BTF id of the function.
        btf_id: i32,
        /// Index of the BTF object (0 is vmlinux).
        btf_obj: i16,
    },
}

/// Encoding of a `callx` seen on input. Both mean the same; the first is canonical and is
/// what [`encode`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallxEncoding {
    /// LLVM ≥ 19 and Linux: register in `dst_reg`.
    DstReg,
    /// Before LLVM 19: register number in `imm`.
    Imm,
}

/// Legacy packet-load addressing (`BPF_LD | BPF_ABS` and `BPF_LD | BPF_IND`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketAddr {
    /// Absolute offset `imm`.
    Abs,
    /// Offset `src + imm`.
    Ind(Reg),
}

/// One decoded eBPF instruction. `lddw` is one instruction that occupies two 8-byte slots;
/// every other instruction occupies one. Jump and call offsets count slots, as in the ISA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Insn {
    /// `dst = dst op src` (or `dst = src` for [`BinOp::Mov`]).
    Alu {
        /// Operand width.
        width: Width,
        /// Operation.
        op: BinOp,
        /// Destination (and first operand).
        dst: Reg,
        /// Second operand.
        src: Operand,
    },
    /// `dst = -dst`.
    Neg {
        /// Operand width.
        width: Width,
        /// Destination.
        dst: Reg,
    },
    /// `dst = (sN) src` (v4 `movsx`): sign-extend the low `from` bits of `src`. For
    /// `width = W32` the 32-bit result is then zero-extended.
    MovSx {
        /// Operand width.
        width: Width,
        /// Destination.
        dst: Reg,
        /// Source register.
        src: Reg,
        /// Bits taken from `src`: 8, 16 or (64-bit only) 32.
        from: Size,
    },
    /// `dst = addr_space_cast(src, dst_as, src_as)` (`BPF_ALU64 | BPF_MOV | BPF_X` with
    /// `off = 1`): converts an arena address between the user's and the program's view.
    AddrSpaceCast {
        /// Destination.
        dst: Reg,
        /// Source register.
        src: Reg,
        /// Which way.
        cast: AddrSpace,
    },
    /// Byte-order conversion of the low `bits` of `dst`, zero-extended.
    Endian {
        /// Which conversion.
        order: ByteOrder,
        /// Destination.
        dst: Reg,
        /// 16, 32 or 64.
        bits: u32,
    },
    /// `lddw`: a 64-bit immediate load whose meaning is given by `kind`.
    Lddw {
        /// Destination.
        dst: Reg,
        /// Meaning of the immediates.
        kind: LddwKind,
        /// First slot's `imm`.
        imm: i32,
        /// Second slot's `imm`.
        next_imm: i32,
    },
    /// Legacy packet load into `r0` (`ldabs*` / `ldind*`), big-endian.
    LoadPacket {
        /// Access size (not `DW`).
        size: Size,
        /// Addressing mode.
        addr: PacketAddr,
        /// Offset.
        imm: i32,
    },
    /// `dst = *(size *)(src + off)`, zero-extended; `signed` loads (v4 `ldsx`) sign-extend.
    Load {
        /// Access size.
        size: Size,
        /// Sign-extend (v4 `BPF_MEMSX`, not for `DW`).
        signed: bool,
        /// Destination.
        dst: Reg,
        /// Base address register.
        src: Reg,
        /// Offset from `src`.
        off: i16,
    },
    /// `*(size *)(dst + off) = src` (`BPF_ST` for an immediate, `BPF_STX` for a register).
    Store {
        /// Access size.
        size: Size,
        /// Base address register.
        dst: Reg,
        /// Offset from `dst`.
        off: i16,
        /// Stored value.
        src: Operand,
    },
    /// Atomic read-modify-write on `*(size *)(dst + off)` (size `W` or `DW`).
    Atomic {
        /// Access size.
        size: Size,
        /// Operation.
        op: AtomicOp,
        /// Whether the old value is written back to `src` (always for `Xchg`, and into `r0`
        /// for `CmpXchg`).
        fetch: bool,
        /// Base address register.
        dst: Reg,
        /// Offset from `dst`.
        off: i16,
        /// Operand register.
        src: Reg,
    },
    /// Unconditional jump by `off` slots (`BPF_JMP | BPF_JA`).
    Ja {
        /// Slot offset relative to the next instruction.
        off: i16,
    },
    /// Unconditional jump by a 32-bit offset (v4 `gotol`, `BPF_JMP32 | BPF_JA`).
    Ja32 {
        /// Slot offset relative to the next instruction.
        imm: i32,
    },
    /// `may_goto +off` (`BPF_JMP | BPF_JCOND`, `src = BPF_MAY_GOTO`): falls through while the
    /// run's loop budget lasts ([`crate::interp::MAY_GOTO_BUDGET`] executions), then jumps.
    /// Loops through it end however their conditions go (the kernel's `can_loop`).
    MayGoto {
        /// Slot offset relative to the next instruction.
        off: i16,
    },
    /// Conditional jump: `if dst cond src goto +off`.
    Jump {
        /// Operand width.
        width: Width,
        /// Condition.
        cond: Cond,
        /// First operand.
        dst: Reg,
        /// Second operand.
        src: Operand,
        /// Slot offset relative to the next instruction.
        off: i16,
    },
    /// Call of a helper, a local function or a kfunc.
    Call(CallTarget),
    /// Indirect call through a register (0x8d).
    Callx {
        /// Register holding the target (a code address, or a helper id in the helper-id
        /// model).
        reg: Reg,
    },
    /// Indirect jump through a register holding a jump-table entry (0x0d, Linux 6.19).
    Gotox {
        /// Register holding the target code address.
        reg: Reg,
    },
    /// Return from the function (or the program).
    Exit,
}

impl Insn {
    /// Number of 8-byte slots the instruction occupies (2 for `lddw`, else 1).
    pub const fn slots(&self) -> usize {
        match self {
            Insn::Lddw { .. } => 2,
            _ => 1,
        }
    }

    /// For a `lddw` with [`LddwKind::Imm64`], the 64-bit constant.
    pub const fn lddw_value(imm: i32, next_imm: i32) -> u64 {
        (imm as u32 as u64) | ((next_imm as u32 as u64) << 32)
    }

    /// Splits a 64-bit constant into the `(imm, next_imm)` pair of a `lddw`.
    pub const fn lddw_split(value: u64) -> (i32, i32) {
        (value as u32 as i32, (value >> 32) as u32 as i32)
    }

    /// Slot index of the target of a pc-relative jump or local call at slot `pc`, if this
    /// instruction has one.
    pub fn branch_target(&self, pc: usize) -> Option<i64> {
        let rel = match *self {
            Insn::Ja { off } | Insn::Jump { off, .. } | Insn::MayGoto { off } => off as i64,
            Insn::Ja32 { imm } => imm as i64,
            Insn::Call(CallTarget::Local(imm)) => imm as i64,
            Insn::Lddw { kind: LddwKind::CodeAddr, imm, .. } => imm as i64,
            _ => return None,
        };
        Some(pc as i64 + 1 + rel)
    }
}
