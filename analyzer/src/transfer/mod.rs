//! The abstract transfer function: what one instruction does to a [`State`], and the
//! checks it must pass.
//!
//! [`Transfer::post`] is the only entry point. It is used by the fixpoint engine and by the
//! independent proof checker alike, so both read every instruction the same way. Calls into
//! subprograms are delegated to a [`Calls`] implementation (the engine analyses the callee;
//! the checker looks up the callee's logged invariants).
//!
//! One module per instruction family: `alu`, `branch`, `memory`, `call`.

mod alu;
mod arena;
mod branch;
mod call;
mod kfunc;
mod links;
mod memory;
#[cfg(test)]
mod one_instruction;
mod packet_meta;
mod policy;
mod privilege;
mod resources;
mod spin_lock;
mod ties;
mod zone;
mod zone_z3;

pub use zone_z3::{MAX_QUERIES, RLIMIT_PER_QUERY};

use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::CallxModel;
use bpfprove_semantics::isa::{Insn, Reg};
use bpfprove_semantics::model::privilege::Privilege;
use bpfprove_semantics::program::FunctionId;

use crate::domain_spec::Zones;
use crate::globals::GlobalSummary;
use crate::obligation::{Check, ObligationKind, Status};
use crate::spec::Prototypes;
use crate::state::State;
use crate::subject::Subject;
use crate::ties::{Place, Ties};
use crate::value::Value;
use crate::widening::Thresholds;

pub use call::{CallKind, CallOutcome, Calls, callee_entry, merge_return};

/// Why an analysis stopped early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stop {
    /// A budget ran out.
    #[error("budget exhausted: {0}")]
    Budget(String),
}

/// Everything the transfer function reads besides the state.
#[derive(Clone, Copy, Debug)]
pub struct Env<'a> {
    /// The value domain.
    pub domain: DomainKind,
    /// The program and its surroundings.
    pub subject: &'a Subject<'a>,
    /// Helper and kfunc prototypes.
    pub prototypes: &'a Prototypes,
    /// How `callx` is read.
    pub callx_model: CallxModel,
    /// Global data contents.
    pub globals: &'a GlobalSummary,
    /// Widening thresholds (for callback loops).
    pub thresholds: &'a Thresholds,
    /// Iterations of a callback loop before widening.
    pub widening_delay: u32,
    /// Who loads the program.
    pub privilege: Privilege,
    /// Whether zones are tracked ([`crate::zone`]), and how their transfers are computed.
    pub zones: Zones,
    /// Whether links between places are tracked ([`crate::links`]).
    pub equalities: bool,
}

/// Where a `callx` or `gotox` may go, as resolved at one pc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// `callx` targets: subprograms (address model) or helper numbers (helper-id model).
    Callx {
        /// Subprograms.
        functions: Vec<FunctionId>,
        /// Helper numbers.
        helpers: Vec<i32>,
    },
    /// `gotox` targets (pcs).
    Gotox {
        /// Target pcs.
        targets: Vec<usize>,
    },
}

impl Resolved {
    /// Adds the targets of `other` (the same instruction under another state); a different
    /// kind cannot happen for one instruction and leaves `self` as it is.
    pub fn merge(&mut self, other: Resolved) {
        fn union<T: Ord>(into: &mut Vec<T>, more: Vec<T>) {
            into.extend(more);
            into.sort();
            into.dedup();
        }
        match (self, other) {
            (Resolved::Callx { functions, helpers }, Resolved::Callx { functions: f, helpers: h }) => {
                union(functions, f);
                union(helpers, h);
            }
            (Resolved::Gotox { targets }, Resolved::Gotox { targets: t }) => union(targets, t),
            _ => {}
        }
    }
}

/// What an instruction leads to.
#[derive(Clone, Debug, Default)]
pub struct Post {
    /// Successor pcs with their states (infeasible edges left out).
    pub edges: Vec<(usize, State)>,
    /// The state at an `exit`, when the instruction is one (and is reached).
    pub exit: Option<State>,
    /// The checks the instruction had to pass.
    pub checks: Vec<Check>,
    /// Indirect targets resolved here.
    pub resolved: Option<Resolved>,
    /// Stores to global data: (section, offset, length, value).
    pub global_stores: Vec<GlobalStore>,
    /// Stack frames accessed, with the lowest offset each access may reach.
    pub stack_uses: Vec<StackUse>,
}

/// An access of stack frame `frame` (0 is the program's) reaching down to `lowest`
/// (clamped to the frame): what a frame's depth is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackUse {
    /// The frame's depth in the call stack.
    pub frame: u8,
    /// The lowest offset from its frame pointer the access may touch.
    pub lowest: i64,
}

/// A store to global data seen by the transfer function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalStore {
    /// The section.
    pub map: bpfprove_semantics::elf::MapId,
    /// Byte offsets it may start at (every one of them is recorded).
    pub offsets: Vec<u64>,
    /// Its length.
    pub len: u32,
    /// What is stored (any number for atomics and smeared stores).
    pub value: Value,
}

impl Post {
    fn check(&mut self, kind: ObligationKind, status: Status, detail: impl Into<String>) {
        self.checks.push(Check::new(kind, status, detail));
    }
}

impl Env<'_> {
    /// The post-state(s) of the instruction `insn` at `pc` from `state`.
    pub fn post(&self, calls: &mut dyn Calls, pc: usize, insn: &Insn, state: &State) -> Result<Post, Stop> {
        let mut post = Post::default();
        let frame_pointer = state.reg(Reg::R10).clone();
        let mut state = state.clone();
        self.check_reads(&mut post, insn, pc, &mut state);
        self.check_frame_pointer_kept(&mut post, insn);
        self.check_program_type_allowed(&mut post, pc, &state);
        let ties = self.ties_after(insn, &state);
        let before = self.zones.on().then(|| state.clone());
        let links = self.equalities.then(|| self.links_after(insn, &state));
        self.check_policy(&mut post, insn);
        let next = pc + insn.slots();
        match *insn {
            Insn::Alu { width, op, dst, src } => {
                self.alu(&mut post, &mut state, pc, width, op, dst, src);
                post.edges.push((next, state));
            }
            Insn::Neg { width, dst } => {
                self.unary(&mut post, &mut state, dst, |n| n.negate(width));
                post.edges.push((next, state));
            }
            Insn::MovSx { width, dst, src, from } => {
                let value = state.reg(src).clone();
                if matches!(value, Value::Scalar(_)) || dst == Reg::R10 {
                    state.set(dst, value);
                    self.unary(&mut post, &mut state, dst, |n| n.move_sign_extend(width, from));
                } else {
                    // Linux gives a loader that may see addresses some number (of the
                    // operation's width) for part of an address, sign-extended.
                    self.check_arithmetic_leak(&mut post, "a sign-extended part of an address");
                    let any = match width {
                        bpfprove_semantics::isa::Width::W64 => Value::top(self.domain),
                        bpfprove_semantics::isa::Width::W32 => crate::stack::any_bytes(self.domain, 4),
                    };
                    state.set(dst, any);
                }
                post.edges.push((next, state));
            }
            Insn::AddrSpaceCast { dst, cast, .. } => {
                self.addr_space_cast(&mut post, &mut state, dst, cast);
                post.edges.push((next, state));
            }
            Insn::Endian { order, dst, bits } => {
                self.unary(&mut post, &mut state, dst, |n| n.byte_order(order, bits));
                post.edges.push((next, state));
            }
            Insn::Lddw { dst, kind, imm, next_imm } => {
                let value = self.lddw(&mut post, pc, kind, imm, next_imm);
                state.set(dst, value);
                post.edges.push((next, state));
            }
            Insn::Load { size, signed, dst, src, off } => {
                let value = self.load(&mut post, &state, pc, src, off, size, signed);
                // A nullable pointer loaded here is a new one: older copies of what this
                // load gave are no longer its copies.
                if let Value::Pointer(p) = &value
                    && p.null.id() == Some(pc as u32)
                {
                    state.forget_identities(pc as u32);
                }
                state.set(dst, value);
                post.edges.push((next, state));
            }
            Insn::Store { size, dst, off, src } => {
                let value = match src {
                    bpfprove_semantics::isa::Operand::Reg(r) => state.reg(r).clone(),
                    bpfprove_semantics::isa::Operand::Imm(imm) => Value::constant(self.domain, imm as i64 as u64),
                };
                self.store(&mut post, &mut state, pc, dst, off, size, value);
                post.edges.push((next, state));
            }
            Insn::Atomic { size, op, fetch, dst, off, src } => {
                self.atomic(&mut post, &mut state, pc, size, op, fetch, dst, off, src);
                post.edges.push((next, state));
            }
            Insn::LoadPacket { size, addr, imm } => {
                self.load_packet(&mut post, &mut state, size, addr, imm);
                // An access outside the packet ends the current function, returning 0: a
                // subprogram returns to its caller (Linux), the entry function ends the
                // program.
                let mut ended = state.clone();
                ended.set(Reg::R0, Value::constant(self.domain, 0));
                if state.depth() == 0 {
                    self.check_program_exit(&mut post, &ended, pc);
                }
                post.exit = Some(ended);
                post.edges.push((next, state));
            }
            Insn::Ja { .. } | Insn::Ja32 { .. } => {
                let target = insn.branch_target(pc).expect("jumps have targets") as usize;
                self.check_backward_jump(&mut post, pc, target);
                post.edges.push((target, state));
            }
            Insn::MayGoto { .. } => {
                // Either way, whatever the state: the budget is the run's, not the program's.
                let target = insn.branch_target(pc).expect("jumps have targets") as usize;
                self.check_backward_jump(&mut post, pc, target);
                post.edges.push((next, state.clone()));
                post.edges.push((target, state));
            }
            Insn::Jump { width, cond, dst, src, off: _ } => {
                let target = insn.branch_target(pc).expect("jumps have targets") as usize;
                self.check_backward_jump(&mut post, pc, target);
                self.check_jump_leak(&mut post, &state, width, cond, dst, src);
                let (taken, fallthrough) = self.branch(&state, pc, width, cond, dst, src);
                let zone_allows = |s: &mut State, relation| {
                    !self.zones.on() || self.zone_branch(&state, width, relation, dst, src, s)
                };
                if let Some(mut s) = fallthrough
                    && zone_allows(&mut s, bpfprove_domains::Relation::not_taken(cond))
                {
                    self.release_failed_acquisitions(&state, dst, src, &mut s);
                    post.edges.push((next, s));
                }
                if let Some(mut s) = taken
                    && zone_allows(&mut s, bpfprove_domains::Relation::taken(cond))
                {
                    self.release_failed_acquisitions(&state, dst, src, &mut s);
                    post.edges.push((target, s));
                }
            }
            Insn::Call(target) => {
                if let Some(s) = self.call(calls, &mut post, state, pc, target)? {
                    post.edges.push((next, s));
                }
            }
            Insn::Callx { reg } => {
                if let Some(s) = self.callx(calls, &mut post, state, pc, reg)? {
                    post.edges.push((next, s));
                }
            }
            Insn::Gotox { reg } => self.gotox(&mut post, state, pc, reg),
            Insn::Exit => {
                if state.depth() == 0 {
                    self.check_program_exit(&mut post, &state, pc);
                    self.check_nothing_held(&mut post, &state, "the program's exit");
                }
                post.exit = Some(state);
            }
        }
        // After a failed check the analysis goes on only to report more: what the
        // instruction wrote is then not worth trusting for ties.
        let proven = post.checks.iter().all(|c| c.status == Status::Proven);
        let ties = if proven { ties } else { Ties::none() };
        for (_, successor) in &mut post.edges {
            successor.set(Reg::R10, frame_pointer.clone());
            successor.ties = ties.clone();
            successor.drop_stale_ties();
        }
        if let Some(before) = before {
            // Zones, like ties, trust nothing an instruction that failed a check wrote.
            post.edges.retain_mut(|(_, successor)| {
                if !proven {
                    successor.zone = crate::zone::Zone::none();
                    return true;
                }
                if !matches!(insn, Insn::Jump { .. } | Insn::Ja { .. } | Insn::Ja32 { .. } | Insn::MayGoto { .. }) {
                    successor.zone = self.zone_after(insn, &before, successor);
                }
                self.settle_zone(successor)
            });
        }
        if let Some(links) = links {
            // Links, like ties, trust nothing an instruction that failed a check wrote; a
            // branch then refines every place linked to an operand.
            let links = if proven { links } else { crate::links::Links::none() };
            post.edges.retain_mut(|(_, successor)| {
                successor.links = links.clone();
                successor.drop_stale_ties();
                match *insn {
                    Insn::Jump { dst, src, .. } => {
                        self.spread_links(successor, Place::Reg(dst))
                            && match src {
                                bpfprove_semantics::isa::Operand::Reg(r) => self.spread_links(successor, Place::Reg(r)),
                                bpfprove_semantics::isa::Operand::Imm(_) => true,
                            }
                    }
                    _ => true,
                }
            });
        }
        if let Some(exit) = &mut post.exit {
            exit.ties = Ties::none();
            exit.zone = crate::zone::Zone::none();
            exit.links = crate::links::Links::none();
        }
        Ok(post)
    }

    /// Every register the instruction reads must be initialised; reads of undefined ones are
    /// reported, then treated as any number so one mistake is reported once.
    fn check_reads(&self, post: &mut Post, insn: &Insn, pc: usize, state: &mut State) {
        // A static subprogram returns r0 as it is: its caller, or the helper that called it
        // as a callback, judges it. Analysed alone (depth 0), its exit ends the program.
        let reads = if state.depth() > 0 {
            self.subject.program.reads_everywhere(pc, insn)
        } else {
            insn.register_effects().reads
        };
        for reg in Reg::all().filter(|r| reads.contains(*r)) {
            let status = match state.reg(reg) {
                Value::Uninit => Status::Unknown,
                _ => Status::Proven,
            };
            if status != Status::Proven {
                post.check(ObligationKind::UninitRegister, status, format!("{reg} may be uninitialised"));
                state.set(reg, Value::top(self.domain));
            }
        }
    }

    /// No instruction may write `r10` (Linux refuses any write to it). ALU instructions
    /// report it themselves; this covers loads, fills, `lddw` and fetching atomics. The
    /// successors keep the old `r10` (see [`Env::post`]), so one mistake is reported once.
    fn check_frame_pointer_kept(&self, post: &mut Post, insn: &Insn) {
        let reported_by_alu =
            matches!(insn, Insn::Alu { .. } | Insn::Neg { .. } | Insn::Endian { .. } | Insn::MovSx { .. });
        if !reported_by_alu && insn.register_effects().writes.contains(Reg::R10) {
            post.check(ObligationKind::PointerArithmetic, Status::Refuted, "r10 is read-only");
        }
    }

    /// The value the kernel judges of a returned `r0`: for `int`-returning LSM programs its
    /// low 32 bits, sign-extended (`w0 = -1` returns -1).
    fn judged_return_value(&self, r0: &crate::value::Num) -> crate::value::Num {
        if self.subject.spec.program_type.return_value_is_32_bit() {
            r0.move_sign_extend(bpfprove_semantics::isa::Width::W64, bpfprove_semantics::isa::Size::W)
        } else {
            r0.clone()
        }
    }

    /// `r0` at the program's exit must be a number in the program type's range; a program
    /// type without one may return anything initialised, an address only to a privileged
    /// loader (the kernel's `check_return_code`).
    fn check_program_exit(&self, post: &mut Post, state: &State, _pc: usize) {
        self.check_return_leak(post, state);
        let range = self.subject.spec.return_range;
        let (status, detail) = match (state.reg(Reg::R0), range) {
            (Value::Scalar(n), Some((lo, hi))) => match self.judged_return_value(n).signed_bounds() {
                Some((a, b)) => (
                    Status::decide(lo <= a && b <= hi, b < lo || a > hi),
                    format!("r0 in [{a}, {b}], allowed [{lo}, {hi}]"),
                ),
                None => (Status::Proven, "unreachable".to_owned()),
            },
            (Value::Scalar(_), None) => (Status::Proven, "r0 is a number".to_owned()),
            (Value::Uninit, _) => (Status::Unknown, "r0 may be uninitialised".to_owned()),
            (other, None) => (Status::Proven, format!("r0 is an address ({})", crate::display::value(other))),
            (other, _) => (Status::Refuted, format!("r0 returns an address ({})", crate::display::value(other))),
        };
        post.check(ObligationKind::ReturnRange, status, detail);
    }
}
