//! The `bpfprove` command line.

fn main() {}
