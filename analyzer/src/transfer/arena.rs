//! Arena pointers (`Value::Arena`, the verifier's `PTR_TO_ARENA`), as the interpreter's
//! `arena_step` runs them.
//!
//! - `addr_space_cast(r, 0, 1)` of any initialised value is an arena pointer, in a program
//!   that names one arena map (Linux refuses the cast otherwise) and for a loader with
//!   `CAP_BPF` (only such a loader has an arena); `addr_space_cast(r, 1, 0)` is a number.
//! - ALU operations with an arena pointer and a number (or another arena pointer) on the
//!   other side give an arena pointer (32-bit arithmetic, whose value nothing needs); a
//!   64-bit copy copies it (`transfer::alu`), a 32-bit one gives a 32-bit number; with any
//!   other address on the other side the operation is refused (Linux would turn the
//!   address into an arena pointer; the model does not go there).
//! - Loads and stores through an arena pointer are always safe (`PROBE_MEM32`: a page not
//!   allocated reads 0 and ignores stores); a load gives a number of its width. Linux
//!   refuses sign-extending loads from the arena, and atomics on it are not modelled: both
//!   are refused.
//! - Storing an arena pointer outside the stack stores its 32-bit number. The stack would
//!   keep its type in Linux, which the interpreter does not follow: spills are refused.

use bpfprove_semantics::elf::MapId;
use bpfprove_semantics::interp::maps::MapKind;
use bpfprove_semantics::isa::{AddrSpace, BinOp, Insn, LddwKind, Reg, Size};

use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};
use crate::stack::any_bytes;
use crate::state::State;
use crate::value::Value;

impl Env<'_> {
    /// The arena maps the program loads (Linux's `prog->aux->arena` is the one it may load).
    fn arenas_named(&self) -> std::collections::BTreeSet<MapId> {
        let arena = |map: MapId| self.subject.map(map).is_some_and(|info| info.kind == MapKind::Arena);
        self.subject
            .program
            .insns()
            .iter()
            .filter_map(|d| match d.insn {
                Insn::Lddw {
                    kind: LddwKind::MapIdx | LddwKind::MapFd | LddwKind::MapIdxValue | LddwKind::MapValue,
                    imm,
                    ..
                } => Some(MapId(imm as u32)),
                _ => None,
            })
            .filter(|&map| arena(map))
            .collect()
    }

    /// `dst = addr_space_cast(src, ...)`.
    pub(super) fn addr_space_cast(&self, post: &mut Post, state: &mut State, dst: Reg, cast: AddrSpace) {
        match self.arenas_named().len() {
            0 => post.check(
                ObligationKind::Policy,
                Status::Refuted,
                "addr_space_cast in a program that names no arena map",
            ),
            1 => {}
            _ => post.check(
                ObligationKind::Policy,
                Status::Refuted,
                "Linux gives a program one arena; this one names more",
            ),
        }
        self.check_capability(post, "an arena");
        let value = match cast {
            AddrSpace::ToKernel => Value::Arena,
            AddrSpace::ToUser => Value::top(self.domain),
        };
        state.set(dst, value);
    }

    /// `a op b` (`op` not `Mov`) when either side is an arena pointer; `None` otherwise.
    pub(super) fn arena_arithmetic(&self, post: &mut Post, op: BinOp, a: &Value, b: &Value) -> Option<Value> {
        if !matches!(a, Value::Arena) && !matches!(b, Value::Arena) {
            return None;
        }
        let plain = |v: &Value| matches!(v, Value::Arena | Value::Scalar(_));
        if plain(a) && plain(b) {
            post.check(ObligationKind::PointerArithmetic, Status::Proven, format!("arena pointer {op:?} a number"));
        } else {
            post.check(
                ObligationKind::PointerArithmetic,
                Status::Refuted,
                format!(
                    "{op:?} of an arena pointer and {} (only numbers move arena pointers)",
                    crate::display::value(if matches!(a, Value::Arena) { b } else { a })
                ),
            );
        }
        Some(Value::Arena)
    }

    /// A load through an arena pointer in `src`; `None` if `src` holds none.
    pub(super) fn arena_load(
        &self,
        post: &mut Post,
        state: &State,
        src: Reg,
        size: Size,
        signed: bool,
    ) -> Option<Value> {
        if !matches!(state.reg(src), Value::Arena) {
            return None;
        }
        if signed {
            post.check(ObligationKind::Policy, Status::Refuted, "Linux refuses sign-extending loads from the arena");
        } else {
            post.check(ObligationKind::MemoryBounds, Status::Proven, "arena access (PROBE_MEM32: cannot fault)");
        }
        Some(any_bytes(self.domain, size.bytes()))
    }

    /// A store of `value` through an arena pointer in `dst`: whether it was one.
    pub(super) fn arena_store(&self, post: &mut Post, state: &State, dst: Reg) -> bool {
        if !matches!(state.reg(dst), Value::Arena) {
            return false;
        }
        post.check(ObligationKind::MemoryBounds, Status::Proven, "arena access (PROBE_MEM32: cannot fault)");
        true
    }

    /// What storing `value` outside the arena stores: an arena pointer is its 32-bit number
    /// in memory other than the stack, and refused on the stack.
    pub(super) fn arena_pointer_stored(&self, post: &mut Post, value: Value, on_stack: bool) -> Value {
        if !matches!(value, Value::Arena) {
            return value;
        }
        if on_stack {
            post.check(ObligationKind::Dereference, Status::Refuted, "spilling an arena pointer is not modelled");
        }
        any_bytes(self.domain, 4)
    }

    /// An atomic operation with `dst` or `src` an arena pointer: refused.
    pub(super) fn check_arena_atomic(&self, post: &mut Post, state: &State, dst: Reg, src: Reg) -> bool {
        let arena = matches!(state.reg(dst), Value::Arena) || matches!(state.reg(src), Value::Arena);
        if arena {
            post.check(ObligationKind::Dereference, Status::Refuted, "atomic operations on the arena are not modelled");
        }
        arena
    }
}
