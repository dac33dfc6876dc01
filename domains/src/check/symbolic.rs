//! Z3 proofs (in progress).
