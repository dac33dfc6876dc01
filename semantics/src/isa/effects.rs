//! Which registers an instruction reads, writes and leaves undefined: the facts the
//! interpreter's initialisation checks and the analyzer's dataflow share.

use super::{AtomicOp, BinOp, CallTarget, Insn, Operand, PacketAddr, Reg};

/// A set of registers, one bit per register number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegSet(u16);

impl RegSet {
    /// No registers.
    pub const EMPTY: RegSet = RegSet(0);
    /// `r1`–`r5`: the argument registers, which calls leave undefined.
    pub const CALLER_SAVED: RegSet = RegSet(0b11_1110);

    /// The set holding only `reg`.
    pub const fn of(reg: Reg) -> RegSet {
        RegSet(1 << reg.number())
    }

    /// `r1`..=`r<count>`: the first `count` argument registers (`count <= 5`).
    pub const fn arguments(count: usize) -> RegSet {
        RegSet(((1u16 << count) - 1) << 1)
    }

    /// The union of both sets.
    pub const fn union(self, other: RegSet) -> RegSet {
        RegSet(self.0 | other.0)
    }

    /// The registers of `self` not in `other`.
    pub const fn minus(self, other: RegSet) -> RegSet {
        RegSet(self.0 & !other.0)
    }

    /// The registers in both sets.
    pub const fn intersection(self, other: RegSet) -> RegSet {
        RegSet(self.0 & other.0)
    }

    /// Whether `reg` is in the set.
    pub const fn contains(self, reg: Reg) -> bool {
        self.0 & (1 << reg.number()) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The lowest-numbered register in the set.
    pub fn first(self) -> Option<Reg> {
        if self.0 == 0 { None } else { Reg::new(self.0.trailing_zeros() as u8) }
    }

    /// The raw bit mask (bit `n` is `rn`).
    pub const fn bits(self) -> u16 {
        self.0
    }
}

impl FromIterator<Reg> for RegSet {
    fn from_iter<I: IntoIterator<Item = Reg>>(regs: I) -> RegSet {
        regs.into_iter().fold(RegSet::EMPTY, |set, reg| set.union(RegSet::of(reg)))
    }
}

/// The register effects of one instruction, seen from the function that executes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegisterEffects {
    /// Registers whose values it reads. Call arguments are not included: how many a callee
    /// reads depends on its prototype, which the ISA does not know.
    pub reads: RegSet,
    /// Registers it defines.
    pub writes: RegSet,
    /// Registers it leaves undefined (`r1`–`r5` after calls and legacy packet loads).
    pub clobbers: RegSet,
}

impl Insn {
    /// The instruction's register effects.
    pub fn register_effects(&self) -> RegisterEffects {
        let one = RegSet::of;
        let operand = |src: Operand| match src {
            Operand::Reg(reg) => one(reg),
            Operand::Imm(_) => RegSet::EMPTY,
        };
        let call = RegisterEffects { reads: RegSet::EMPTY, writes: one(Reg::R0), clobbers: RegSet::CALLER_SAVED };
        let (reads, writes) = match *self {
            Insn::Alu { op: BinOp::Mov, dst, src, .. } => (operand(src), one(dst)),
            Insn::Alu { dst, src, .. } => (one(dst).union(operand(src)), one(dst)),
            Insn::Neg { dst, .. } | Insn::Endian { dst, .. } => (one(dst), one(dst)),
            Insn::MovSx { dst, src, .. } | Insn::AddrSpaceCast { dst, src, .. } => (one(src), one(dst)),
            Insn::Lddw { dst, .. } => (RegSet::EMPTY, one(dst)),
            Insn::LoadPacket { addr, .. } => {
                let reads = match addr {
                    PacketAddr::Abs => RegSet::EMPTY,
                    PacketAddr::Ind(src) => one(src),
                };
                return RegisterEffects { reads, writes: one(Reg::R0), clobbers: RegSet::CALLER_SAVED };
            }
            Insn::Load { dst, src, .. } => (one(src), one(dst)),
            Insn::Store { dst, src, .. } => (one(dst).union(operand(src)), RegSet::EMPTY),
            Insn::Atomic { op: AtomicOp::CmpXchg, dst, src, .. } => {
                (one(dst).union(one(src)).union(one(Reg::R0)), one(Reg::R0))
            }
            Insn::Atomic { fetch, dst, src, .. } => {
                (one(dst).union(one(src)), if fetch { one(src) } else { RegSet::EMPTY })
            }
            Insn::Ja { .. } | Insn::Ja32 { .. } | Insn::MayGoto { .. } => (RegSet::EMPTY, RegSet::EMPTY),
            Insn::Jump { dst, src, .. } => (one(dst).union(operand(src)), RegSet::EMPTY),
            Insn::Call(CallTarget::Helper(_) | CallTarget::Local(_) | CallTarget::Kfunc { .. }) => return call,
            Insn::Callx { reg } => return RegisterEffects { reads: one(reg), ..call },
            Insn::Gotox { reg } => (one(reg), RegSet::EMPTY),
            Insn::Exit => (one(Reg::R0), RegSet::EMPTY),
        };
        RegisterEffects { reads, writes, clobbers: RegSet::EMPTY }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::{Size, Width};

    #[test]
    fn alu_reads_dst_except_for_mov() {
        let add = Insn::Alu { width: Width::W64, op: BinOp::Add, dst: Reg::R1, src: Operand::Reg(Reg::R2) };
        let effects = add.register_effects();
        assert_eq!(effects.reads, [Reg::R1, Reg::R2].into_iter().collect());
        assert_eq!(effects.writes, RegSet::of(Reg::R1));
        let mov = Insn::Alu { width: Width::W32, op: BinOp::Mov, dst: Reg::R1, src: Operand::Imm(3) };
        assert_eq!(mov.register_effects().reads, RegSet::EMPTY);
    }

    #[test]
    fn calls_define_r0_and_clobber_arguments() {
        let effects = Insn::Call(CallTarget::Helper(1)).register_effects();
        assert_eq!(effects.writes, RegSet::of(Reg::R0));
        assert_eq!(effects.clobbers, RegSet::arguments(5));
        assert_eq!(Insn::Callx { reg: Reg::R3 }.register_effects().reads, RegSet::of(Reg::R3));
    }

    #[test]
    fn atomics_and_stores() {
        let cmpxchg =
            Insn::Atomic { size: Size::DW, op: AtomicOp::CmpXchg, fetch: true, dst: Reg::R10, off: -8, src: Reg::R1 };
        assert!(cmpxchg.register_effects().reads.contains(Reg::R0));
        assert_eq!(cmpxchg.register_effects().writes, RegSet::of(Reg::R0));
        let store = Insn::Store { size: Size::W, dst: Reg::R10, off: -4, src: Operand::Imm(1) };
        assert_eq!(store.register_effects().reads, RegSet::of(Reg::R10));
        assert_eq!(Insn::Exit.register_effects().reads, RegSet::of(Reg::R0));
        assert_eq!(RegSet::arguments(2).first(), Some(Reg::R1));
    }
}
