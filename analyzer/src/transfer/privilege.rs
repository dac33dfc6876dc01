//! What the loader's privilege forbids ([`Privilege`]): for an unprivileged loader, pointers
//! that become visible as numbers (stored outside the stack, returned, compared, subtracted,
//! passed to helpers), program types other than socket filters, and the `CAP_BPF` features
//! (subprogram calls, kfuncs, function addresses, loops, the gated helpers). A privileged
//! loader passes every check here, and no check is recorded for it.

use bpfprove_semantics::isa::{Cond, Operand, Reg, Width};
use bpfprove_semantics::model::privilege::Privilege;
use bpfprove_semantics::program::FunctionId;

use super::{Env, Post};
use crate::obligation::{ObligationKind, Status};
use crate::spec::{ArgKind, Prototype};
use crate::state::State;
use crate::value::{Region, Value};

/// Whether `value` is an address of any kind (a number the loader must not see).
pub(super) fn is_address(value: &Value) -> bool {
    matches!(value, Value::Pointer(_) | Value::Func(_) | Value::Code(_) | Value::Arena)
}

impl Env<'_> {
    fn unprivileged(&self) -> bool {
        self.privilege == Privilege::Unprivileged
    }

    fn forbid(&self, post: &mut Post, detail: String) {
        post.check(ObligationKind::Privilege, Status::Refuted, detail);
    }

    /// At the program's first instruction: the program type must be one the loader may load.
    pub(super) fn check_program_type_allowed(&self, post: &mut Post, pc: usize, state: &State) {
        let program = self.subject.program;
        let at_entry = state.depth() == 0 && program.functions().first().is_some_and(|f| f.entry == pc);
        let program_type = self.subject.spec.program_type;
        if at_entry && !self.privilege.allows_program_type(program_type) {
            self.forbid(post, format!("an {} loader may not load {program_type} programs", self.privilege));
        }
    }

    /// A store of `value` into memory of `region`: outside the stack, an address leaks.
    pub(super) fn check_store_leak(&self, post: &mut Post, region: Region, value: &Value) {
        if self.unprivileged() && is_address(value) && !matches!(region, Region::Stack { .. }) {
            self.forbid(post, format!("an address stored into {region} leaks it to an unprivileged loader"));
        }
    }

    /// `r0` at the program's exit: an address leaks.
    pub(super) fn check_return_leak(&self, post: &mut Post, state: &State) {
        if self.unprivileged() && is_address(state.reg(Reg::R0)) {
            self.forbid(post, "an address returned leaks it to an unprivileged loader".into());
        }
    }

    /// `if a op b`: comparing an address with anything but a NULL test of a pointer that may
    /// be NULL (`a` only, against the constant 0, 64-bit `==`/`!=`), or two packet pointers,
    /// leaks it. `null_test` says whether the instruction has that form.
    fn check_comparison_leak(&self, post: &mut Post, a: &Value, b: Option<&Value>, null_test: bool) {
        if !self.unprivileged() {
            return;
        }
        let packet = |v: &Value| matches!(v, Value::Pointer(p) if matches!(p.region, Region::Packet | Region::PacketEnd | Region::PacketMeta));
        let packet_pair = b.is_some_and(|b| packet(a) && packet(b));
        let source_leaks = b.is_some_and(|b| is_address(b) && !packet_pair);
        let null_check = null_test && matches!(a, Value::Pointer(p) if p.null.may_be_null());
        let target_leaks = is_address(a) && !packet_pair && !null_check;
        if source_leaks || target_leaks {
            self.forbid(post, "a pointer comparison leaks an address to an unprivileged loader".into());
        }
    }

    /// `if dst cond src`: see [`Env::check_comparison_leak`].
    pub(super) fn check_jump_leak(
        &self,
        post: &mut Post,
        state: &State,
        width: Width,
        cond: Cond,
        dst: Reg,
        src: Operand,
    ) {
        let a = state.reg(dst);
        let (b, null_test) = match src {
            Operand::Reg(r) => (Some(state.reg(r)), false),
            Operand::Imm(imm) => (None, imm == 0 && width == Width::W64 && matches!(cond, Cond::Eq | Cond::Ne)),
        };
        self.check_comparison_leak(post, a, b, null_test);
    }

    /// Arithmetic that turns an address into a number (the difference of two pointers, a
    /// 32-bit copy of one).
    pub(super) fn check_arithmetic_leak(&self, post: &mut Post, what: &str) {
        if self.unprivileged() {
            self.forbid(post, format!("{what} leaks an address to an unprivileged loader"));
        }
    }

    /// A read of stack bytes: part of a spilled address read as a number leaks it.
    pub(super) fn check_partial_fill_leak(&self, post: &mut Post, leaks: bool) {
        if self.unprivileged() && leaks {
            self.forbid(post, "reading part of a spilled address leaks it to an unprivileged loader".into());
        }
    }

    /// Helper arguments of kind `anything` that hold addresses leak them.
    pub(super) fn check_argument_leaks(&self, post: &mut Post, state: &State, proto: &Prototype) {
        if !self.unprivileged() {
            return;
        }
        for (i, kind) in proto.args.iter().enumerate() {
            let Some(reg) = Reg::new(i as u8 + 1) else { continue };
            if *kind == ArgKind::Anything && is_address(state.reg(reg)) {
                self.forbid(
                    post,
                    format!("{} argument {} leaks an address to an unprivileged loader", proto.name, i + 1),
                );
            }
        }
    }

    /// A helper call: the gated helpers need a capability.
    pub(super) fn check_helper_allowed(&self, post: &mut Post, id: i32, name: &str) {
        if !self.privilege.allows_helper(id) {
            self.forbid(post, format!("helper {id} ({name}) needs CAP_BPF or CAP_PERFMON"));
        }
    }

    /// A `CAP_BPF` feature: `what` names it (a subprogram call, a kfunc, a loop, ...).
    pub(super) fn check_capability(&self, post: &mut Post, what: &str) {
        if !self.privilege.allows_calls_and_loops() {
            self.forbid(post, format!("{what} needs CAP_BPF"));
        }
    }

    /// A jump from `pc` to `target`: a backward jump may close a loop, which needs CAP_BPF
    /// (the kernel refuses every back-edge of an unprivileged program).
    pub(super) fn check_backward_jump(&self, post: &mut Post, pc: usize, target: usize) {
        if target <= pc {
            self.check_capability(post, &format!("a backward jump to {target} (a loop)"));
        }
    }

    /// Whether `function` is a call an unprivileged program may not make (every subprogram).
    pub(super) fn check_subprogram_call(&self, post: &mut Post, function: FunctionId) {
        let name = &self.subject.program.function(function).name;
        self.check_capability(post, &format!("calling subprogram {name}"));
    }
}
