//! Test support: one instruction's abstract successors, run alone (followed by `exit`s) in a
//! bare XDP program under the product domain, for the randomised transfer tests against the
//! one semantics.

use bpfprove_domains::DomainKind;
use bpfprove_semantics::interp::CallxModel;
use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::isa::Insn;
use bpfprove_semantics::model::privilege::Privilege;
use bpfprove_semantics::program::{FunctionId, Program, ProgramParts};

use super::{CallKind, CallOutcome, Calls, Env, Post, Stop};
use crate::domain_spec::Zones;
use crate::globals::GlobalSummary;
use crate::spec::{ProgramSpec, Prototypes};
use crate::state::State;
use crate::subject::Subject;
use crate::widening::Thresholds;

/// Calls are not generated.
struct NoCalls;
impl Calls for NoCalls {
    fn call(&mut self, _: usize, _: CallKind, _: FunctionId, _: State) -> Result<CallOutcome, Stop> {
        Err(Stop::Budget("no calls in these tests".into()))
    }
}

/// The successors of `insn` from `state` (a jump's target is the second `exit`), with the
/// relational components `zones` and `equalities`.
pub(crate) fn post_alone(insn: Insn, state: &State, zones: Zones, equalities: bool) -> Post {
    let domain = DomainKind::Product;
    let mut insns = vec![insn, Insn::Exit];
    if matches!(insn, Insn::Jump { .. }) {
        insns.push(Insn::Exit);
    }
    let program = Program::new(insns, ProgramParts::default()).expect("a valid program");
    let mut subject = Subject::bare("t", &program, ProgramType::Xdp);
    subject.spec = ProgramSpec::of(ProgramType::Xdp);
    let globals = GlobalSummary::initial(&subject, domain);
    let thresholds = Thresholds::none();
    let env = Env {
        domain,
        subject: &subject,
        prototypes: Prototypes::builtin(),
        callx_model: CallxModel::Address,
        globals: &globals,
        thresholds: &thresholds,
        widening_delay: 10,
        privilege: Privilege::Privileged,
        zones,
        equalities,
    };
    env.post(&mut NoCalls, 0, &insn, state).expect("no budget")
}
