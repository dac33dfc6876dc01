//! `bpfprove-analyzer`: abstract interpretation of eBPF programs.
//!
//! It proves that a program is memory-safe and that every `callx` and `gotox` goes only
//! where it may, with any value domain of `bpfprove-domains`, and records the proof as
//! obligations and per-pc invariants that [`proof`] writes as a JSON log and checks again
//! without the fixpoint engine.
//!
//! ```text
//! Subject (program + maps + data) ─► Verifier ─► Engine (per function × entry state)
//!                                                  │  cfg + wto: iteration order, widening points
//!                                                  │  transfer::Env::post: one instruction
//!                                                  ▼
//!                              Analysis (invariants, checks) ─► Report (verdict, obligations)
//!                                                                  └─► proof::log ─► proof::check
//! ```
//!
//! - [`value`], [`stack`], [`state`]: the abstract state (registers, byte-precise stack
//!   frames, packet-size facts), [`globals`]: global data; [`ties`], [`links`] and [`zone`]:
//!   relations between places (equal numbers, words a constant apart, difference bounds).
//! - [`transfer`]: the abstract meaning of each instruction and the checks it must pass.
//! - [`cfg`], [`wto`], [`engine`]: graphs, iteration order and the fixpoint; [`loops`]:
//!   which loops are widened or unrolled, [`termination`]: why widened loops end.
//! - [`spec`]: program types and helper/kfunc prototypes, as data.
//! - [`verify`]: configuration, budgets, verdicts.

pub mod cfg;
pub mod counterexample;
pub mod display;
pub mod domain_spec;
pub mod engine;
pub mod globals;
pub mod links;
pub mod loops;
pub mod may_goto;
pub mod obligation;
pub mod proof;
pub mod references;
pub mod spec;
pub mod stack;
pub mod stack_depth;
pub mod state;
pub mod subject;
pub mod termination;
pub mod ties;
pub mod transfer;
pub mod value;
pub mod verify;
pub mod widening;
pub mod wto;
pub mod zone;
pub mod zone_facts;

pub use loops::{LoopMethod, LoopStrategy};
pub use obligation::{ObligationKind, Status};
pub use subject::Subject;
pub use verify::{Config, LoopReport, Obligation, Report, Verdict, Verified, Verifier};
