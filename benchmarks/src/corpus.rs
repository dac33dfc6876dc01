//! The corpus manifest (`benchmarks/corpus/manifest.toml`) as data.
//!
//! This module does no IO: the manifest text is compiled in ([`MANIFEST`]) and building the
//! objects is `benchmarks/corpus/build.sh`'s job (tests run it).

use std::fmt;

use bpfprove_semantics::model::privilege::Privilege;
use serde::Deserialize;
use thiserror::Error;

/// The manifest's text.
pub const MANIFEST: &str = include_str!("../corpus/manifest.toml");

/// A `-mcpu` level the corpus is built at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cpu {
    /// `-mcpu=v1`.
    V1,
    /// `-mcpu=v2`.
    V2,
    /// `-mcpu=v3`.
    V3,
    /// `-mcpu=v4`: callx, gotox + `.jumptables`, sign-extending loads, 32-bit jumps.
    V4,
}

impl Cpu {
    /// Every level, oldest first.
    pub const ALL: [Cpu; 4] = [Cpu::V1, Cpu::V2, Cpu::V3, Cpu::V4];

    /// The name `build.sh` uses for its output directory (`v1`..`v4`).
    pub const fn name(self) -> &'static str {
        match self {
            Cpu::V1 => "v1",
            Cpu::V2 => "v2",
            Cpu::V3 => "v3",
            Cpu::V4 => "v4",
        }
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Expected verdict of a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Memory-safe, and every indirect call and jump goes where it may.
    Safe,
    /// Has a fault the analyzer must report.
    Unsafe,
}

/// Kinds of the first failing proof obligation of an unsafe program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// A packet access not proven below `data_end`.
    PacketBounds,
    /// A map value (or global data) access outside the value.
    MapBounds,
    /// A stack access outside the frame.
    StackBounds,
    /// A dereference of a possibly-NULL pointer.
    NullDeref,
    /// A read of uninitialised stack.
    UninitStack,
    /// A read of an uninitialised register, such as a helper or kfunc argument the program
    /// never set.
    UninitRegister,
    /// A `callx` whose target may not be a subprogram entry.
    CallxTarget,
    /// A `gotox` whose target may not be a jump-table entry of the current function.
    GotoxTarget,
    /// A loop with no known bound.
    Termination,
}

/// What a compiled program contains (checked on the loaded program at `-mcpu=v4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feature {
    /// A `callx`.
    Callx,
    /// A `gotox` through a `.jumptables` table.
    Gotox,
    /// A load from global data holding function pointers.
    CallTable,
    /// An `lddw` of a function's address.
    CodeAddress,
    /// A bpf-to-bpf call.
    LocalCall,
    /// A map handle load.
    Map,
    /// A global data load.
    GlobalData,
    /// A legacy packet load (`ldabs`/`ldind`).
    Ldabs,
    /// An atomic instruction.
    Atomic,
    /// A backward jump.
    Loop,
}

/// One program of the corpus.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Source file stem: `corpus/src/<object>.c`, built to `<cpu>/<object>.o`.
    pub object: String,
    /// ELF section (the `SEC(...)` name).
    pub section: String,
    /// Function symbol.
    pub function: String,
    /// Expected verdict.
    pub verdict: Verdict,
    /// What the program does and why it is (un)safe.
    pub why: String,
    /// What the compiled program contains at `-mcpu=v4`.
    pub expect: Vec<Feature>,
    /// Levels the claims hold for (all when absent).
    #[serde(default = "all_cpus")]
    pub cpus: Vec<Cpu>,
    /// Levels at which plain intervals cannot prove the program safe.
    #[serde(default)]
    pub needs_bit_level: Vec<Cpu>,
    /// For unsafe programs: the kind of the first failing obligation.
    pub fault: Option<FaultKind>,
    /// For unsafe programs: the instruction (llvm-objdump text at `-mcpu=v4`) where it fails.
    pub fault_at: Option<String>,
    /// Remarks for analyzer authors.
    pub notes: Option<String>,
    /// Whether the claims are for a loader without capabilities (`--unprivileged`): a
    /// privileged loader reads unwritten stack as unknown numbers, so such a fault exists
    /// only for an unprivileged one.
    #[serde(default)]
    pub unprivileged: bool,
}

impl Entry {
    /// The loader the entry's claims are for.
    pub fn privilege(&self) -> Privilege {
        if self.unprivileged { Privilege::Unprivileged } else { Privilege::Privileged }
    }
}

fn all_cpus() -> Vec<Cpu> {
    Cpu::ALL.to_vec()
}

/// The whole manifest.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Programs in manifest order.
    #[serde(rename = "program")]
    pub programs: Vec<Entry>,
}

/// Why a manifest is not valid.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ManifestError {
    /// The TOML does not parse or does not match the schema.
    #[error("manifest does not parse: {0}")]
    Parse(String),
    /// An entry contradicts itself (e.g. an unsafe program without a fault).
    #[error("program `{function}`: {reason}")]
    Inconsistent {
        /// The entry's function.
        function: String,
        /// What is wrong.
        reason: String,
    },
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| ManifestError::Parse(e.to_string()))?;
        for (i, entry) in manifest.programs.iter().enumerate() {
            let inconsistent =
                |reason: &str| ManifestError::Inconsistent { function: entry.function.clone(), reason: reason.into() };
            let has_fault = entry.fault.is_some() && entry.fault_at.is_some();
            match entry.verdict {
                Verdict::Unsafe if !has_fault => return Err(inconsistent("unsafe without fault and fault_at")),
                Verdict::Safe if entry.fault.is_some() || entry.fault_at.is_some() => {
                    return Err(inconsistent("safe with a fault"));
                }
                _ => {}
            }
            if entry.cpus.is_empty() {
                return Err(inconsistent("no cpus"));
            }
            if entry.needs_bit_level.iter().any(|c| !entry.cpus.contains(c)) {
                return Err(inconsistent("needs_bit_level names a cpu outside cpus"));
            }
            if manifest.programs[..i].iter().any(|e| e.object == entry.object && e.function == entry.function) {
                return Err(inconsistent("listed twice"));
            }
        }
        Ok(manifest)
    }

    /// The corpus manifest.
    pub fn corpus() -> Manifest {
        Manifest::parse(MANIFEST).expect("the corpus manifest is checked by this crate's tests")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_manifest_parses_and_covers_the_issue() {
        let manifest = Manifest::parse(MANIFEST).expect("valid manifest");
        assert!(manifest.programs.len() >= 30, "{} programs", manifest.programs.len());
        let unsafe_kinds: Vec<_> = manifest.programs.iter().filter_map(|e| e.fault).collect();
        for kind in [FaultKind::PacketBounds, FaultKind::NullDeref, FaultKind::UninitStack, FaultKind::CallxTarget] {
            assert!(unsafe_kinds.contains(&kind), "no unsafe twin of kind {kind:?}");
        }
        assert!(manifest.programs.iter().any(|e| e.expect.contains(&Feature::Gotox)));
    }

    #[test]
    fn rejects_inconsistent_entries() {
        let unsafe_without_fault = r#"
            [[program]]
            object = "o"
            section = "xdp"
            function = "f"
            verdict = "unsafe"
            why = "?"
            expect = []
        "#;
        assert!(matches!(Manifest::parse(unsafe_without_fault), Err(ManifestError::Inconsistent { .. })));
        assert!(matches!(Manifest::parse("[[program]]\nobject = 1"), Err(ManifestError::Parse(_))));
    }
}
