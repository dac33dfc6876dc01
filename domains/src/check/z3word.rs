//! Z3 words (in progress).
