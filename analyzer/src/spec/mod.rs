//! What the analyzer knows about the kernel, as data: program types (context, return
//! range) and helper and kfunc prototypes.

mod helper_kinds;
mod program_types;
mod prototypes;

pub use program_types::{ContextSpec, ProgramSpec, TRACEPOINT_CONTEXT_BYTES};
pub use prototypes::{ArgKind, ImplicitArg, MapKindName, NamedRet, Prototype, Prototypes, RcuEffect, RetKind};
