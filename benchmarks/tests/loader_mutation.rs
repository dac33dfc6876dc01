//! The loader never panics: byte-level mutations of valid corpus objects load to `Ok` or to
//! an `Err`, never a panic.
//!
//! CI runs 10 000 cases over a fixed set of objects. For long offline runs set
//! `BPFPROVE_MUTATION_CASES` (e.g. 1000000), and `BPFPROVE_MUTATION_ALL=1` to mutate every
//! corpus object at every cpu level; use `--release`.

mod common;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use bpfprove_semantics::elf;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

/// The objects mutated: one per program feature (gotox and jump tables, call tables, BTF and
/// legacy maps, global data, ldabs, subprograms), at v4 and one at v1.
const OBJECTS: [(&str, &str); 7] = [
    ("v4", "switch"),
    ("v4", "callx"),
    ("v4", "unsafe_control"),
    ("v4", "legacy"),
    ("v4", "globals"),
    ("v4", "subprogs"),
    ("v1", "tc_classifier"),
];

/// Whether `BPFPROVE_MUTATION_ALL` asks for every corpus object at every cpu level.
fn all_objects() -> bool {
    std::env::var_os("BPFPROVE_MUTATION_ALL").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The bytes of the objects mutated: [`OBJECTS`], or every built object under
/// `BPFPROVE_MUTATION_ALL`.
fn corpus() -> &'static [Vec<u8>] {
    static BYTES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    BYTES.get_or_init(|| {
        if all_objects() {
            return common::objects().iter().map(|(_, _, path)| common::read(path)).collect();
        }
        OBJECTS
            .iter()
            .map(|(cpu, stem)| common::read(&common::corpus_dir().join(cpu).join(format!("{stem}.o"))))
            .collect()
    })
}

/// One edit of an object's bytes. Positions are fractions of the length so that one strategy
/// fits every object.
#[derive(Clone, Debug)]
enum Mutation {
    /// Set the byte at a position.
    Byte(f64, u8),
    /// XOR one bit.
    Bit(f64, u8),
    /// Write a 32-bit value (little endian) that is likely to be a boundary: 0, all ones,
    /// small numbers, sizes around the file length.
    Word(f64, u32),
    /// Cut the file at a position.
    Truncate(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let position = 0.0..1.0f64;
    let word = prop_oneof![
        Just(0u32),
        Just(u32::MAX),
        Just(0x8000_0000),
        0u32..64,
        (0u32..0x4000).prop_map(|x| x * 8),
        any::<u32>(),
    ];
    prop_oneof![
        4 => (position.clone(), any::<u8>()).prop_map(|(p, b)| Mutation::Byte(p, b)),
        4 => (position.clone(), 0u8..8).prop_map(|(p, b)| Mutation::Bit(p, b)),
        4 => (position.clone(), word).prop_map(|(p, w)| Mutation::Word(p, w)),
        1 => position.prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len.saturating_sub(1));
    match *mutation {
        Mutation::Byte(p, b) => {
            let i = at(p, bytes.len());
            bytes[i] = b;
        }
        Mutation::Bit(p, bit) => {
            let i = at(p, bytes.len());
            bytes[i] ^= 1 << bit;
        }
        Mutation::Word(p, w) => {
            let i = at(p, bytes.len().saturating_sub(3));
            bytes[i..i + 4].copy_from_slice(&w.to_le_bytes());
        }
        Mutation::Truncate(p) => bytes.truncate(at(p, bytes.len())),
    }
}

fn cases() -> u32 {
    std::env::var("BPFPROVE_MUTATION_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

#[test]
fn mutated_objects_load_or_fail_without_panicking() {
    if !common::tools_present() {
        return;
    }
    // Every unmutated object loads, so mutations start from valid input.
    for bytes in corpus() {
        elf::load(bytes).expect("corpus object loads");
    }
    let config = Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    };
    let loaded = AtomicU32::new(0);
    let rejected = AtomicU32::new(0);
    proptest!(config, |(object in 0..corpus().len(), mutations in prop::collection::vec(mutation(), 1..6))| {
        let mut bytes = corpus()[object].clone();
        for m in &mutations {
            if bytes.len() >= 4 {
                apply(&mut bytes, m);
            }
        }
        match elf::load(&bytes) {
            Ok(_) => _ = loaded.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                // Errors name a place: a section (or the file) and an offset within it.
                prop_assert!(!e.section.is_empty());
                rejected.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let (loaded, rejected) = (loaded.into_inner(), rejected.into_inner());
    eprintln!(
        "mutation cases over {} objects: {} run, {loaded} loaded, {rejected} rejected, 0 panics",
        corpus().len(),
        loaded + rejected
    );
    // Both outcomes occur, so the mutations neither always break the file nor miss it.
    assert!(loaded > 0 && rejected > 0, "{loaded} loaded, {rejected} rejected");
}
