//! The kernel model, as data: program types, their contexts, and which helpers and kfuncs
//! each may call. One place, below both readers: the interpreter (`interp`) applies it
//! concretely and the analyzer abstractly, so the two cannot disagree about what the
//! kernel offers a program.

pub mod availability;
pub mod context;
pub mod helpers;
pub mod kfuncs;
pub mod maps;
pub mod privilege;
pub mod program_type;
pub mod section;
