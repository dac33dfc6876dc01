//! One module per subcommand.

pub(crate) mod asm;
pub(crate) mod bench;
pub(crate) mod check_proof;
pub(crate) mod conformance;
pub(crate) mod difftest;
pub(crate) mod jit;
pub(crate) mod kernel;
pub(crate) mod paper;
pub(crate) mod prove_domains;
pub(crate) mod run;
pub(crate) mod scale;
pub(crate) mod selftest;
pub(crate) mod soundness_fuzz;
pub(crate) mod verify;
