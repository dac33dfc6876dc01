//! What the analyzer tests on assembly programs share: a bare subject around the program
//! and its verdict as text: `PASS`, `UNKNOWN`, or the failed obligations as `pc KIND STATUS`
//! lines in pc order.

use std::collections::BTreeMap;

use bpfprove_analyzer::spec::ProgramSpec;
use bpfprove_analyzer::subject::MapInfo;
use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_semantics::asm;
use bpfprove_semantics::interp::context::ProgramType;

/// What a test program runs beside: its maps (by id) and kfunc names (by BTF id).
pub struct Surroundings<'a> {
    /// The maps, map id `i` at index `i`.
    pub maps: Vec<MapInfo>,
    /// Kfunc names by the BTF id their `call` uses.
    pub kfuncs: &'a [(i32, &'a str)],
}

/// What verifying `text` (a `program_type` program in LLVM syntax) with `config` gives.
pub fn outcome(text: &str, program_type: ProgramType, config: Config, surroundings: Surroundings<'_>) -> String {
    let program = asm::llvm::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut subject = Subject::bare("test", &program, program_type);
    subject.spec = ProgramSpec::of(program_type);
    subject.maps = surroundings.maps;
    subject.kfuncs = surroundings.kfuncs.iter().map(|&(id, name)| (id, name.to_owned())).collect::<BTreeMap<_, _>>();
    let report = Verifier::new(config).verify(&subject);
    match report.verdict {
        Verdict::Pass => "PASS".to_owned(),
        Verdict::Unknown(_) => "UNKNOWN".to_owned(),
        Verdict::Fail => {
            let mut lines: Vec<String> =
                report.failures().iter().map(|o| format!("{} {} {}", o.pc, o.kind, o.status)).collect();
            lines.dedup();
            lines.join("\n")
        }
    }
}

/// Asserts that `got`, the outcome of `text`, is `expect` (whitespace around either aside).
pub fn assert_outcome(got: &str, expect: &str, text: &str) {
    assert_eq!(got.trim(), expect.trim(), "\n--- program ---\n{text}");
}
