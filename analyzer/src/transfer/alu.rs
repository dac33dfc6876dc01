//! ALU instructions and 64-bit loads: numbers go through the chosen domain's transfer
//! functions; pointers follow the pointer-arithmetic rules.
//!
//! Rules: a pointer plus or minus a number (64-bit) is a pointer with a moved offset; the
//! difference of two non-NULL pointers into one region (or into the packet's data, end and
//! metadata) is a number, their offsets' difference when they point into one object; a
//! 32-bit move of a pointer is its low half, a number; an address negated, byte-swapped
//! or sign-extended is any number (which an unprivileged loader may not see). Everything
//! else on a pointer (other operations, 32-bit arithmetic, arithmetic on a possibly-NULL pointer, on
//! a map handle, on `data_end`, on a function or code address) breaks the rules, and the
//! result is any number. Except, as in Linux, for a loader that may see addresses: it may
//! subtract any two addresses (NULL-able ones too), or subtract in 32 bits with an address
//! on either side, and gets some number. Writing `r10` breaks them too and changes nothing.

use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::isa::{BinOp, LddwKind, Operand, Reg, Width};

use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};
use crate::stack::any_bytes;
use crate::state::State;
use crate::value::{Functions, MapSet, Num, PacketVar, Pointer, Region, Value};

/// Largest constant part of a packet pointer's offset that keeps its variable.
const MAX_FIXED: i64 = 1 << 32;

impl Env<'_> {
    /// `dst op= src`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn alu(
        &self,
        post: &mut Post,
        state: &mut State,
        pc: usize,
        width: Width,
        op: BinOp,
        dst: Reg,
        src: Operand,
    ) {
        let b = match src {
            Operand::Reg(r) => state.reg(r).clone(),
            Operand::Imm(imm) => Value::constant(self.domain, imm as i64 as u64),
        };
        if dst == Reg::R10 {
            post.check(ObligationKind::PointerArithmetic, Status::Refuted, "r10 is read-only");
            return;
        }
        let result = if op == BinOp::Mov {
            match (width, b) {
                (Width::W64, value) => value,
                (Width::W32, Value::Scalar(n)) => Value::Scalar(n.binary(BinOp::Mov, Width::W32, &n)),
                (Width::W32, _) => {
                    self.check_arithmetic_leak(post, "a 32-bit copy of an address");
                    any_bytes(self.domain, 4)
                }
            }
        } else {
            let a = state.reg(dst).clone();
            self.arithmetic(post, state, pc, width, op, a, b)
        };
        state.set(dst, result);
    }

    #[allow(clippy::too_many_arguments)]
    fn arithmetic(
        &self,
        post: &mut Post,
        state: &mut State,
        pc: usize,
        width: Width,
        op: BinOp,
        a: Value,
        b: Value,
    ) -> Value {
        if let Some(value) = self.arena_arithmetic(post, op, &a, &b) {
            return value;
        }
        let offsetting = width == Width::W64 && matches!(op, BinOp::Add | BinOp::Sub);
        match (a, b) {
            (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(x.binary(op, width, &y)),
            (Value::Pointer(p), Value::Scalar(y)) if offsetting => self.offset_pointer(post, state, pc, p, op, &y),
            (Value::Scalar(y), Value::Pointer(p)) if offsetting && op == BinOp::Add => {
                self.offset_pointer(post, state, pc, p, op, &y)
            }
            (Value::Pointer(p), Value::Pointer(q)) if op == BinOp::Sub && same_kind(p.region, q.region) => {
                if (p.null.may_be_null() || q.null.may_be_null()) && !self.privilege.allows_pointer_leaks() {
                    post.check(
                        ObligationKind::PointerArithmetic,
                        Status::Refuted,
                        "difference of a pointer that may be NULL: check it first",
                    );
                    return self.any_of_width(width);
                }
                post.check(ObligationKind::PointerArithmetic, Status::Proven, "difference of two pointers");
                self.check_arithmetic_leak(post, "the difference of two pointers");
                if p.same_object(&q) && !p.null.may_be_null() && !q.null.may_be_null() {
                    Value::Scalar(p.offset.binary(BinOp::Sub, width, &q.offset))
                } else {
                    self.any_of_width(width)
                }
            }
            (a, b) if op == BinOp::Sub && self.privilege.allows_pointer_leaks() && leaky_difference(width, &a, &b) => {
                post.check(
                    ObligationKind::PointerArithmetic,
                    Status::Proven,
                    format!("a difference involving an address ({width:?}): some number"),
                );
                self.any_of_width(width)
            }
            (a, b) => {
                post.check(
                    ObligationKind::PointerArithmetic,
                    Status::Refuted,
                    format!(
                        "{op:?} ({width:?}) of {} and {} is not allowed",
                        crate::display::value(&a),
                        crate::display::value(&b)
                    ),
                );
                self.any_of_width(width)
            }
        }
    }

    /// Any number of an operation of `width`.
    fn any_of_width(&self, width: Width) -> Value {
        match width {
            Width::W64 => Value::top(self.domain),
            Width::W32 => any_bytes(self.domain, 4),
        }
    }

    /// `p ± y`.
    fn offset_pointer(&self, post: &mut Post, state: &mut State, pc: usize, p: Pointer, op: BinOp, y: &Num) -> Value {
        let refused = match p.region {
            _ if p.null.may_be_null() => Some("the pointer may be NULL: check it before arithmetic"),
            // Linux lets `&map->field`-style code add a known 0 to a map handle
            // (`CONST_PTR_TO_MAP`), except for a loader its Spectre sanitation covers.
            Region::MapHandle(_)
                if op == BinOp::Add && y.as_constant() == Some(0) && self.privilege.allows_pointer_leaks() =>
            {
                None
            }
            Region::MapHandle(_) => Some("arithmetic on a map handle"),
            Region::PacketEnd => Some("arithmetic on data_end"),
            Region::Socket { .. } => Some("arithmetic on a socket pointer"),
            _ => None,
        };
        if let Some(reason) = refused {
            post.check(ObligationKind::PointerArithmetic, Status::Refuted, reason);
            return Value::top(self.domain);
        }
        post.check(ObligationKind::PointerArithmetic, Status::Proven, format!("{} {op:?} a number", p.region));
        let offset = p.offset.binary(op, Width::W64, y);
        let var = if p.region != Region::Packet {
            None
        } else {
            match y.as_constant() {
                Some(c) => p.var.and_then(|v| {
                    let delta = c as i64;
                    let fixed =
                        if op == BinOp::Add { v.fixed.wrapping_add(delta) } else { v.fixed.wrapping_sub(delta) };
                    (fixed.abs() < MAX_FIXED).then_some(PacketVar { id: v.id, fixed })
                }),
                None => {
                    let id = pc as u32;
                    state.forget_identities(id);
                    Some(PacketVar { id, fixed: 0 })
                }
            }
        };
        Value::Pointer(Pointer { offset, var, ..p })
    }

    /// A one-operand operation on the number in `dst`.
    pub(super) fn unary(&self, post: &mut Post, state: &mut State, dst: Reg, f: impl Fn(&Num) -> Num) {
        let result = match state.reg(dst) {
            Value::Scalar(n) => Value::Scalar(f(n)),
            // The kernel lets a privileged loader negate, byte-swap or sign-extend an address
            // (`allow_ptr_leaks`): the result is a number, never a pointer again.
            address if super::privilege::is_address(address) => {
                self.check_arithmetic_leak(post, "a negated, byte-swapped or sign-extended address");
                Value::top(self.domain)
            }
            other => {
                post.check(
                    ObligationKind::PointerArithmetic,
                    Status::Refuted,
                    format!("arithmetic on {}", crate::display::value(other)),
                );
                Value::top(self.domain)
            }
        };
        if dst == Reg::R10 {
            post.check(ObligationKind::PointerArithmetic, Status::Refuted, "r10 is read-only");
            return;
        }
        state.set(dst, result);
    }

    /// The value a 64-bit load gives.
    pub(super) fn lddw(&self, post: &mut Post, pc: usize, kind: LddwKind, imm: i32, next_imm: i32) -> Value {
        let map = MapId(imm as u32);
        match kind {
            LddwKind::Imm64 => match self.subject.program.table_loads().get(&pc) {
                Some(&table) => Value::Pointer(Pointer::at(Region::JumpTable(table), self.domain, 0)),
                None => Value::constant(self.domain, bpfprove_semantics::isa::Insn::lddw_value(imm, next_imm)),
            },
            LddwKind::MapIdx | LddwKind::MapFd => match self.subject.map(map) {
                Some(_) => Value::Pointer(Pointer::at(Region::MapHandle(MapSet::one(map)), self.domain, 0)),
                None => self.no_such_map(post, imm),
            },
            LddwKind::MapIdxValue | LddwKind::MapValue => match self.subject.map(map) {
                // An arena's globals: a user address, a number until the program casts it.
                Some(info) if info.kind == bpfprove_semantics::interp::maps::MapKind::Arena => Value::top(self.domain),
                Some(info) => {
                    let region =
                        if info.data.is_some() { Region::GlobalData(map) } else { Region::MapValue(MapSet::one(map)) };
                    Value::Pointer(Pointer::at(region, self.domain, i64::from(next_imm)))
                }
                None => self.no_such_map(post, imm),
            },
            LddwKind::CodeAddr => {
                self.check_capability(post, "taking a function's address");
                let target = pc as i64 + 1 + i64::from(imm);
                match usize::try_from(target).ok().and_then(|t| self.subject.program.function_at_entry(t)) {
                    Some(function) => Value::Func(Functions { set: [function].into(), nullable: false }),
                    None => Value::top(self.domain),
                }
            }
            LddwKind::VarAddr => Value::top(self.domain),
        }
    }

    fn no_such_map(&self, post: &mut Post, imm: i32) -> Value {
        post.check(
            ObligationKind::MemoryBounds,
            Status::Refuted,
            format!("lddw names map {imm}, which does not exist"),
        );
        Value::top(self.domain)
    }
}

/// Whether a difference of pointers into `a` and `b` is allowed: pointers of one region
/// (a distance when they point into one object, see [`Pointer::same_object`]), or of the
/// packet's data, end and metadata.
fn same_kind(a: Region, b: Region) -> bool {
    let packet = |r: Region| matches!(r, Region::Packet | Region::PacketEnd | Region::PacketMeta);
    a == b || (packet(a) && packet(b))
}

/// Whether Linux lets a loader that may see addresses compute `a - b` as an unusable number:
/// any 64-bit difference of two addresses, and any 32-bit difference involving one (its
/// `adjust_reg_min_max_vals` and `adjust_ptr_min_max_vals` under `allow_ptr_leaks`).
fn leaky_difference(width: Width, a: &Value, b: &Value) -> bool {
    let address = |v: &Value| !matches!(v, Value::Scalar(_) | Value::Uninit);
    match width {
        Width::W64 => address(a) && address(b),
        Width::W32 => address(a) || address(b),
    }
}
