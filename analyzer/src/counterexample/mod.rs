//! Counterexamples: for each obligation the analysis did not prove, a search for a concrete
//! input on which the reference interpreter traps at that obligation's pc.
//!
//! A trap there shows that the obligation really fails (`confirmed: input …`); finding none
//! within the budget leaves open whether the program is unsafe or the domain too coarse
//! (`unconfirmed (may be imprecision)`).
//!
//! The search is random but seeded (the same findings for the same seed), and guided by the
//! program and the analysis:
//! - packet lengths around every constant of the program, around the invariant's
//!   `min_len` at the obligation's pc, and below the end of the packet access there;
//! - values for context fields, packet words (in either byte order, at the offsets the
//!   program's loads use), map keys and map values: the program's constants (and their
//!   neighbours), small numbers, bit patterns and random words. Values are reused within
//!   one input, so a map key can equal the context field the program computes it from;
//! - maps empty or holding a few entries; global data as loaded.
//!
//! When a few hundred random inputs have not confirmed an obligation, `symbolic` runs the
//! paths to its pc over Z3 bit-vectors (packet or context bytes, packet length, context
//! fields, map entries looked up as variables) and offers each model of a path that fails
//! there as an input; then the random search goes on. A model is only a candidate: like
//! every input, it is reported only if the interpreter traps on it.
//!
//! One [`Budget`] per program bounds everything the search does: interpreter runs,
//! symbolic steps (a solver query counting as many) and a deadline, which each run and
//! each query also observes.
//!
//! Every input runs from the state [`ObjectRunner::new`] creates ([`ObjectRunner::reset`]),
//! so a confirmed input replays on its own ([`Counterexample::replay`]).
//!
//! A trap confirms an obligation only if it happens at the obligation's pc (or the innermost
//! trap of one inside a callback does) and is a kind of trap that obligation's failure
//! causes ([`exhibits`]). The interpreter never traps on some failures: reads of
//! uninitialised stack (stack bytes start zeroed), return values out of range, and
//! non-termination (running out of instruction budget shows that a run is long, not that it
//! is endless). Those obligations stay unconfirmed without a search. Nor does it trap on an
//! argument register a call leaves unset (calls read no argument registers in the machine
//! model), so an uninit-register obligation at a call stays unconfirmed too.

mod budget;
mod generate;
mod input;
mod symbolic;

use std::fmt;
use std::time::Instant;

use bpfprove_semantics::elf::{LoadedProgram, Object};
use bpfprove_semantics::interp::elf_run::{self, ObjectRunError, ObjectRunner};
use bpfprove_semantics::interp::maps::MapInsertError;
use bpfprove_semantics::interp::{CallxModel, HelperError, RunConfig, Trap, TrapKind};
use bpfprove_semantics::isa::Insn;
use bpfprove_semantics::program::Program;
use thiserror::Error;

pub use budget::{Budget, Spent};
pub use generate::{Hint, InputGenerator, Rng};
pub use input::{Counterexample, MapEntry};
use symbolic::Explorer;
pub use symbolic::start_solver;

use crate::obligation::{ObligationKind, Status};
use crate::subject::Subject;
use crate::verify::{Obligation, Report};

/// The knobs of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchConfig {
    /// Most runs spent looking for a trap at one obligation (runs for one obligation may
    /// also confirm others).
    pub runs_per_obligation: u32,
    /// The seed of the input generator.
    pub seed: u64,
    /// The instruction budget of each run.
    pub instruction_budget: u64,
    /// The longest packet tried.
    pub max_packet_len: usize,
    /// How the runs read `callx` (that of the analysis).
    pub callx_model: CallxModel,
    /// Most runs spent shrinking one confirmed input (dropping map entries and fields,
    /// cutting and zeroing bytes while the trap stays).
    pub shrink_runs: u32,
    /// When to stop looking (obligations not confirmed by then stay unconfirmed).
    pub deadline: Option<Instant>,
    /// Most interpreter runs for the whole program (searching, confirming, shrinking).
    pub max_runs: u64,
    /// Most symbolic work for the whole program: instructions run symbolically, a solver
    /// query counting as [`symbolic::STEPS_PER_QUERY`].
    pub max_symbolic_steps: u64,
    /// Whether to ask the solver for inputs that reach each obligation's pc.
    pub symbolic: bool,
}

impl SearchConfig {
    /// 2000 runs per obligation, a fixed seed, 100,000 instructions per run, packets of up
    /// to 1600 bytes (past an Ethernet MTU), address-model `callx`, up to 500 runs to
    /// shrink each counterexample, no deadline, and for the whole program at most 20,000
    /// runs and 200,000 symbolic steps, with the solver on.
    pub fn standard() -> SearchConfig {
        SearchConfig {
            runs_per_obligation: 2000,
            seed: 0x5eed_0bad_c0de_0001,
            instruction_budget: 100_000,
            max_packet_len: 1600,
            callx_model: CallxModel::Address,
            shrink_runs: 500,
            deadline: None,
            max_runs: 20_000,
            max_symbolic_steps: 200_000,
            symbolic: true,
        }
    }
}

/// What the search found for one obligation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// On `input` the interpreter traps at the obligation's pc, with `trap`.
    Confirmed {
        /// The input.
        input: Counterexample,
        /// The trap (as the run reported it: for a trap in a callback, the helper's).
        trap: Trap,
    },
    /// No input tried made the interpreter trap there.
    Unconfirmed,
}

impl Finding {
    /// Whether a trap was found.
    pub fn is_confirmed(&self) -> bool {
        matches!(self, Finding::Confirmed { .. })
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Confirmed { input, trap } => write!(f, "confirmed: input {input}; trap {trap}"),
            Finding::Unconfirmed => f.write_str("unconfirmed (may be imprecision)"),
        }
    }
}

/// Why a search could not run.
#[derive(Debug, Error)]
pub enum SearchError {
    /// The program could not be prepared for runs, or an input was refused.
    #[error(transparent)]
    Run(#[from] ObjectRunError),
    /// A map entry was refused.
    #[error(transparent)]
    Map(#[from] MapInsertError),
}

/// Whether a trap of kind `trap` at an obligation's pc shows that an obligation of kind
/// `kind` fails there. `false` for every trap when the interpreter cannot exhibit the
/// failure (see the module docs).
pub fn exhibits(kind: ObligationKind, trap: &TrapKind) -> bool {
    use ObligationKind as K;
    let memory = matches!(trap, TrapKind::Memory(_) | TrapKind::HelperFailed { error: HelperError::Memory(_), .. });
    match kind {
        // An out-of-bounds address may land in any region's window, so any memory fault.
        K::PacketBounds
        | K::MapBounds
        | K::StackBounds
        | K::CtxAccess
        | K::MemoryBounds
        | K::NullDeref
        | K::Dereference => memory || matches!(trap, TrapKind::LegacyPacketLoadRefused { .. }),
        // The table read, or the jump itself.
        K::GotoxTarget => memory || matches!(trap, TrapKind::BadGotoxTarget { .. }),
        K::CallxTarget => matches!(trap, TrapKind::BadCallxTarget { .. }),
        K::UninitRegister => matches!(trap, TrapKind::UninitialisedRegister { .. }),
        K::HelperArgument => matches!(
            trap,
            TrapKind::HelperFailed { error, .. } | TrapKind::KfuncFailed { error, .. }
                if !matches!(error, HelperError::Callback(_))
        ),
        K::PointerArithmetic => matches!(trap, TrapKind::WriteToFramePointer),
        K::Call => matches!(trap, TrapKind::CallDepthExceeded { .. } | TrapKind::UnknownHelper { .. }),
        // The interpreter gives every frame its own 512 bytes: only the kernel sees the sum.
        // A leak to an unprivileged loader, or an instruction the kernel refuses though the
        // ISA defines it, is no fault of the machine.
        K::UninitStack | K::ReturnRange | K::Termination | K::StackDepth | K::Resources | K::Privilege | K::Policy => {
            false
        }
    }
}

/// Whether some trap can confirm `obligation` of `program` ([`exhibits`] is false for
/// every trap otherwise, so runs for it are wasted).
fn searchable(obligation: &Obligation, program: &Program) -> bool {
    use ObligationKind as K;
    match obligation.kind {
        K::UninitStack | K::ReturnRange | K::Termination | K::StackDepth | K::Resources | K::Privilege | K::Policy => {
            false
        }
        // Calls read no argument registers in the machine model.
        K::UninitRegister => !matches!(program.insn_at(obligation.pc), Some(Insn::Call(_))),
        _ => true,
    }
}

/// Whether `trap` confirms `obligation`.
pub fn confirms(obligation: &Obligation, trap: &Trap) -> bool {
    let inner = elf_run::innermost(trap);
    (trap.pc == obligation.pc && exhibits(obligation.kind, &trap.kind))
        || (inner.pc == obligation.pc && exhibits(obligation.kind, &inner.kind))
}

/// Looks for a counterexample to every obligation of `report` that is not proven, running
/// program `loaded` of `object` (whose analysis `subject` and `report` are). Returns, in
/// obligation order, the index of each such obligation in `report.obligations` and what
/// was found for it.
pub fn search(
    object: &Object,
    loaded: &LoadedProgram,
    subject: &Subject<'_>,
    report: &Report,
    config: &SearchConfig,
) -> Result<Vec<(usize, Finding)>, SearchError> {
    search_counted(object, loaded, subject, report, config).map(|(findings, _)| findings)
}

/// Random runs for each obligation before the solver is asked: most failures show on the
/// first inputs, which cost less than a symbolic exploration.
const RANDOM_PROBE_RUNS: u32 = 256;

/// As [`search`], with the work the search spent.
pub fn search_counted(
    object: &Object,
    loaded: &LoadedProgram,
    subject: &Subject<'_>,
    report: &Report,
    config: &SearchConfig,
) -> Result<(Vec<(usize, Finding)>, Spent), SearchError> {
    let obligations = &report.obligations;
    let open: Vec<usize> = (0..obligations.len()).filter(|&i| obligations[i].status != Status::Proven).collect();
    let targets: Vec<usize> = open.iter().copied().filter(|&i| searchable(&obligations[i], subject.program)).collect();
    let mut budget = Budget::new(config.max_runs, config.max_symbolic_steps, config.deadline);
    let mut found: Vec<Option<(Counterexample, Trap)>> = vec![None; obligations.len()];
    if !targets.is_empty() {
        let run_config = RunConfig::new(config.callx_model, config.instruction_budget).with_deadline(config.deadline);
        let runner = ObjectRunner::with_program_type(object, loaded, subject.spec.program_type, run_config)?;
        let generator = InputGenerator::new(object, subject, config.max_packet_len);
        let explorer = generator.symbolic_inputs().map(|raw_len| {
            Explorer::new(
                subject.program,
                subject.spec.program_type,
                raw_len,
                config.max_packet_len,
                generator.map_shapes().to_vec(),
            )
        });
        let mut trials = Trials { runner, generator, obligations, targets: &targets, found: &mut found, config };
        for &target in &targets {
            if trials.found[target].is_some() {
                continue;
            }
            let hint = Hint::for_obligation(subject, report, &obligations[target]);
            let mut rng = Rng::new(config.seed ^ (target as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            // Every run for this target, random or the solver's, counts against its runs.
            let mut left = config.runs_per_obligation;
            left -= trials.random(target, &mut rng, &hint, left.min(RANDOM_PROBE_RUNS), &mut budget)?;
            if let Some(explorer) =
                explorer.as_ref().filter(|_| config.symbolic && left > 0 && trials.found[target].is_none())
            {
                // The solver's start is the process's cost, once, not this program's.
                budget.extend(start_solver());
                let mut failed = None;
                explorer.explore(obligations[target].pc, &mut budget, &mut |candidate, budget| {
                    if trials.found[target].is_some() || left == 0 {
                        return true;
                    }
                    left -= 1;
                    match trials.attempt(&candidate, budget) {
                        Ok(ran) => !ran || trials.found[target].is_some(),
                        Err(error) => {
                            failed = Some(error);
                            true
                        }
                    }
                });
                if let Some(error) = failed {
                    return Err(error);
                }
            }
            trials.random(target, &mut rng, &hint, left, &mut budget)?;
        }
    }
    let findings = open
        .into_iter()
        .map(|i| {
            let finding = match found[i].take() {
                Some((input, trap)) => Finding::Confirmed { input, trap },
                None => Finding::Unconfirmed,
            };
            (i, finding)
        })
        .collect();
    Ok((findings, budget.spent()))
}

/// The runs of one search and what they confirmed.
struct Trials<'a, 'o> {
    runner: ObjectRunner<'o>,
    generator: InputGenerator,
    obligations: &'a [Obligation],
    targets: &'a [usize],
    found: &'a mut Vec<Option<(Counterexample, Trap)>>,
    config: &'a SearchConfig,
}

impl Trials<'_, '_> {
    /// Up to `runs` random inputs, until `target` is confirmed or the budget runs out;
    /// returns how many ran.
    fn random(
        &mut self,
        target: usize,
        rng: &mut Rng,
        hint: &Hint,
        runs: u32,
        budget: &mut Budget,
    ) -> Result<u32, SearchError> {
        let mut ran = 0;
        while ran < runs && self.found[target].is_none() {
            let input = self.generator.generate(rng, hint);
            if !self.attempt(&input, budget)? {
                break;
            }
            ran += 1;
        }
        Ok(ran)
    }

    /// Runs `input` (if the budget allows: `false` when it does not) and records, shrunk,
    /// every obligation not yet confirmed that its trap confirms.
    fn attempt(&mut self, input: &Counterexample, budget: &mut Budget) -> Result<bool, SearchError> {
        if !budget.take_run() {
            return Ok(false);
        }
        let Err(trap) = input.replay(&mut self.runner)?.result else { return Ok(true) };
        for &i in self.targets {
            if self.found[i].is_none() && confirms(&self.obligations[i], &trap) {
                let shrunk = self.generator.shrink(
                    &mut self.runner,
                    &self.obligations[i],
                    input,
                    &trap,
                    self.config.shrink_runs,
                    budget,
                );
                self.found[i] = Some(shrunk);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {

    use bpfprove_domains::DomainKind;
    use bpfprove_semantics::asm;
    use bpfprove_semantics::elf::MapDef;
    use bpfprove_semantics::model::privilege::Privilege;
    use bpfprove_semantics::program::Program;

    use bpfprove_semantics::interp::context::FieldSelector;
    use bpfprove_semantics::isa::Reg;

    use super::input::hex;
    use super::*;
    use crate::verify::{Config, Verifier};

    /// An object with one program, `text` in section `section`, whose `lddw`s at the slots
    /// `map_loads` load map handles (lddw kind `MapIdx`).
    fn object(section: &str, maps: Vec<MapDef>, text: &str, map_loads: &[usize]) -> Object {
        let mut bytes = asm::llvm::parse(text).expect("valid assembly").to_bytes();
        for &slot in map_loads {
            bytes[slot * 8 + 1] |= 5 << 4;
        }
        let program = Program::from_bytes(&bytes).expect("valid program");
        Object::of_program(None, maps, LoadedProgram::bare(section, "prog", program))
    }

    fn map(name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
        MapDef::btf(name, map_type, key_size, value_size, max_entries)
    }

    /// The report and the findings for the one program of `object`.
    fn findings(object: &Object, config: &SearchConfig) -> (Report, Vec<(usize, Finding)>) {
        let loaded = &object.programs[0];
        let subject = Subject::from_object(object, loaded).expect("known program type");
        let report = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
        let findings = search(object, loaded, &subject, &report, config).expect("runs");
        (report, findings)
    }

    /// The finding for the obligation of `kind`, and its trap and input if confirmed.
    fn finding_for(report: &Report, findings: &[(usize, Finding)], kind: ObligationKind) -> Finding {
        let (_, finding) = findings
            .iter()
            .find(|(i, _)| report.obligations[*i].kind == kind)
            .unwrap_or_else(|| panic!("no open {kind} obligation in {:?}", report.failures()));
        finding.clone()
    }

    #[test]
    fn a_read_past_the_checked_packet_length_is_confirmed_and_replays() {
        let text = "
            r2 = *(u32 *)(r1 + 0)
            r3 = *(u32 *)(r1 + 4)
            r4 = r2
            r4 += 14
            if r4 > r3 goto out
            r5 = *(u8 *)(r2 + 23)
        out:
            r0 = 2
            exit";
        let object = object("xdp", Vec::new(), text, &[]);
        let (report, findings) = findings(&object, &SearchConfig::standard());
        let Finding::Confirmed { input, trap } = finding_for(&report, &findings, ObligationKind::PacketBounds) else {
            panic!("{findings:?}")
        };
        assert_eq!(trap.pc, 5);
        // Shrunk to the shortest packet that passes the check.
        assert_eq!(input.to_string(), "packet of 14 bytes [00×14], maps empty");
        let mut runner =
            ObjectRunner::new(&object, &object.programs[0], RunConfig::new(CallxModel::Address, 1000)).expect("xdp");
        assert_eq!(input.replay(&mut runner).expect("runs").result, Err(trap.clone()));
        let text = Finding::Confirmed { input: input.clone(), trap }.to_string();
        assert!(text.starts_with(&format!("confirmed: input packet of {} bytes [", input.bytes.len())), "{text}");
        assert!(text.contains("; trap pc 5: load of 1 bytes at offset 23 of packet"), "{text}");
    }

    #[test]
    fn context_fields_are_chosen_to_index_past_a_map_value() {
        // r0 = slots[0].slot[skb->mark & 15], with 8 slots of 8 bytes.
        let text = "
            r6 = *(u32 *)(r1 + 8)
            r6 &= 15
            r7 = 0
            *(u32 *)(r10 - 4) = r7
            r1 = 0 ll
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto out
            r6 <<= 3
            r0 += r6
            r0 = *(u64 *)(r0 + 0)
        out:
            r0 = 0
            exit";
        let object = object("tc", vec![map("slots", 2, 4, 64, 1)], text, &[4]);
        let (report, findings) = findings(&object, &SearchConfig::standard());
        let Finding::Confirmed { input, trap } = finding_for(&report, &findings, ObligationKind::MapBounds) else {
            panic!("{findings:?}")
        };
        assert_eq!(trap.pc, 12);
        let mark = input.fields.iter().rev().find(|(s, _)| *s == FieldSelector::from("mark")).map(|(_, v)| *v);
        assert!(mark.is_some_and(|mark| mark & 15 >= 8), "{input}");
    }

    #[test]
    fn map_entries_are_chosen_to_match_the_key_the_program_computes() {
        // The value has 8 bytes; reading bytes 8..16 of it faults only if the entry exists.
        let text = "
            r6 = *(u32 *)(r1 + 8)
            *(u32 *)(r10 - 4) = r6
            r1 = 0 ll
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto out
            r0 = *(u64 *)(r0 + 8)
        out:
            r0 = 0
            exit";
        let object = object("tc", vec![map("flows", 1, 4, 8, 16)], text, &[2]);
        let (report, findings) = findings(&object, &SearchConfig::standard());
        let Finding::Confirmed { input, trap } = finding_for(&report, &findings, ObligationKind::MapBounds) else {
            panic!("{findings:?}")
        };
        assert_eq!(trap.pc, 8);
        let mark = input.fields.iter().rev().find(|(s, _)| *s == FieldSelector::from("mark")).map_or(0, |(_, v)| *v);
        assert!(input.maps.iter().any(|e| e.key == mark.to_le_bytes()), "{input}");
        assert!(input.to_string().contains(&format!("flows[{}]=[", hex(&mark.to_le_bytes()))), "{input}");
    }

    #[test]
    fn failures_the_interpreter_cannot_show_stay_unconfirmed() {
        // A read of a stack slot nothing wrote, refused for an unprivileged loader: the
        // search's runs read the stack's bytes.
        let text = "
            r0 = *(u64 *)(r10 - 8)
            r0 = 0
            exit";
        let object = object("socket", Vec::new(), text, &[]);
        let loaded = &object.programs[0];
        let subject = Subject::from_object(&object, loaded).expect("known program type");
        let config = Config { privilege: Privilege::Unprivileged, ..Config::standard(DomainKind::Product) };
        let report = Verifier::new(config).verify(&subject);
        let findings = search(&object, loaded, &subject, &report, &SearchConfig::standard()).expect("runs");
        let finding = finding_for(&report, &findings, ObligationKind::UninitStack);
        assert_eq!(finding, Finding::Unconfirmed);
        assert_eq!(finding.to_string(), "unconfirmed (may be imprecision)");
    }

    #[test]
    fn the_search_is_deterministic_and_budgeted() {
        // Traps only on a packet of exactly 8 bytes whose bytes 4..8 hold 0x12345678: a
        // constant of the program, at the offset of one of its loads.
        let text = "
            r2 = *(u32 *)(r1 + 0)
            r3 = *(u32 *)(r1 + 4)
            r4 = r2
            r4 += 8
            if r4 > r3 goto out
            r5 = *(u32 *)(r2 + 4)
            if r5 != 0x12345678 goto out
            r5 = *(u8 *)(r2 + 8)
        out:
            r0 = 2
            exit";
        let object = object("xdp", Vec::new(), text, &[]);
        let config = SearchConfig::standard();
        let (_, first) = findings(&object, &config);
        let (_, second) = findings(&object, &config);
        assert_eq!(first, second);
        let [(_, Finding::Confirmed { input, trap })] = first.as_slice() else { panic!("{first:?}") };
        assert_eq!((trap.pc, input.bytes.len(), &input.bytes[4..8]), (7, 8, &0x1234_5678u32.to_le_bytes()[..]));
        let (_, none) = findings(&object, &SearchConfig { runs_per_obligation: 0, ..config.clone() });
        assert_eq!(none, [(first[0].0, Finding::Unconfirmed)]);
        let passed = Instant::now().checked_sub(std::time::Duration::from_millis(1));
        let (_, late) = findings(&object, &SearchConfig { deadline: passed, ..config });
        assert_eq!(late, [(first[0].0, Finding::Unconfirmed)], "a deadline that has passed stops the search");
    }

    /// Traps only when bytes 4..8 of the packet, times 3 and xored with a mask, give a
    /// 32-bit constant: no constant of the program is the word that does it.
    const HIDDEN_WORD: &str = "
            r2 = *(u32 *)(r1 + 0)
            r3 = *(u32 *)(r1 + 4)
            r4 = r2
            r4 += 8
            if r4 > r3 goto out
            w5 = *(u32 *)(r2 + 4)
            w5 *= 3
            w5 ^= 0x5a5a5a5a
            if w5 != 0x1234567 goto out
            r5 = *(u8 *)(r2 + 8)
        out:
            r0 = 2
            exit";

    #[test]
    fn the_solver_finds_a_word_random_inputs_miss() {
        let object = object("xdp", Vec::new(), HIDDEN_WORD, &[]);
        let random = SearchConfig { symbolic: false, ..SearchConfig::standard() };
        let (_, missed) = findings(&object, &random);
        assert!(matches!(missed.as_slice(), [(_, Finding::Unconfirmed)]), "{missed:?}");
        let (_, found) = findings(&object, &SearchConfig::standard());
        let [(_, Finding::Confirmed { input, trap })] = found.as_slice() else { panic!("{found:?}") };
        let word = u32::from_le_bytes(input.bytes[4..8].try_into().expect("4 bytes"));
        assert_eq!((trap.pc, input.bytes.len()), (9, 8));
        assert_eq!(word.wrapping_mul(3) ^ 0x5a5a_5a5a, 0x0123_4567, "{input}");
    }

    #[test]
    fn the_solver_fills_a_map_entry_random_inputs_miss() {
        // Reads past the 8-byte value only when the entry for key 7 holds a hidden word.
        let text = "
            r7 = 7
            *(u32 *)(r10 - 4) = r7
            r1 = 0 ll
            r2 = r10
            r2 += -4
            call 1
            if r0 == 0 goto out
            w1 = *(u32 *)(r0 + 0)
            w1 *= 3
            w1 ^= 0x5a5a5a5a
            if w1 != 0x1234567 goto out
            r0 = *(u64 *)(r0 + 8)
        out:
            r0 = 0
            exit";
        let object = object("tc", vec![map("flows", 1, 4, 8, 16)], text, &[2]);
        let random = SearchConfig { symbolic: false, ..SearchConfig::standard() };
        let (report, missed) = findings(&object, &random);
        assert!(!finding_for(&report, &missed, ObligationKind::MapBounds).is_confirmed(), "{missed:?}");
        let (report, found) = findings(&object, &SearchConfig::standard());
        let Finding::Confirmed { input, trap } = finding_for(&report, &found, ObligationKind::MapBounds) else {
            panic!("{found:?}")
        };
        assert_eq!(trap.pc, 12);
        let [entry] = input.maps.as_slice() else { panic!("{input}") };
        let word = u32::from_le_bytes(entry.value[0..4].try_into().expect("4 bytes"));
        assert_eq!((entry.key.as_slice(), word.wrapping_mul(3) ^ 0x5a5a_5a5a), (&7u32.to_le_bytes()[..], 0x0123_4567));
    }

    #[test]
    fn the_budget_bounds_the_work_of_the_whole_search() {
        // Every access faults only on a word no random input holds: the random search runs
        // until the budget stops it, then the solver.
        let object = object("xdp", Vec::new(), HIDDEN_WORD, &[]);
        let loaded = &object.programs[0];
        let subject = Subject::from_object(&object, loaded).expect("xdp");
        let report = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
        let config = SearchConfig { symbolic: false, max_runs: 150, ..SearchConfig::standard() };
        let (findings, spent) = search_counted(&object, loaded, &subject, &report, &config).expect("runs");
        assert_eq!(spent, Spent { runs: 150, symbolic_steps: 0 }, "{findings:?}");
        // The solver's work is bounded too: too few steps to reach the access and ask.
        let config = SearchConfig { max_runs: 10, max_symbolic_steps: 5, ..SearchConfig::standard() };
        let (findings, spent) = search_counted(&object, loaded, &subject, &report, &config).expect("runs");
        assert!(spent.runs <= 10 && spent.symbolic_steps <= 5, "{spent:?}");
        assert!(matches!(findings.as_slice(), [(_, Finding::Unconfirmed)]), "{findings:?}");
        // With enough of both, the solver's input confirms it right after the random probe.
        let config = SearchConfig { max_runs: RANDOM_PROBE_RUNS.into(), ..SearchConfig::standard() };
        let (findings, _) = search_counted(&object, loaded, &subject, &report, &config).expect("runs");
        assert!(!findings[0].1.is_confirmed(), "the random probe alone misses it: {findings:?}");
        let config = SearchConfig { max_runs: u64::from(RANDOM_PROBE_RUNS) + 10, ..SearchConfig::standard() };
        let (findings, spent) = search_counted(&object, loaded, &subject, &report, &config).expect("runs");
        assert!(findings[0].1.is_confirmed() && spent.runs <= config.max_runs, "{findings:?} {spent:?}");
    }

    #[test]
    fn trap_kinds_match_obligation_kinds() {
        let callx = TrapKind::BadCallxTarget { value: 0, model: CallxModel::Address };
        assert!(exhibits(ObligationKind::CallxTarget, &callx));
        assert!(!exhibits(ObligationKind::NullDeref, &callx));
        assert!(!exhibits(ObligationKind::Termination, &TrapKind::BudgetExhausted { budget: 1 }));
        assert!(exhibits(ObligationKind::GotoxTarget, &TrapKind::BadGotoxTarget { value: 0 }));
        assert!(exhibits(ObligationKind::UninitRegister, &TrapKind::UninitialisedRegister { reg: Reg::R3 }));
        assert!(!exhibits(ObligationKind::UninitStack, &TrapKind::UninitialisedRegister { reg: Reg::R3 }));
    }

    #[test]
    fn generated_inputs_fit_their_program() {
        let object = object("kprobe/x", vec![map("flows", 1, 2, 3, 2), map("slots", 2, 4, 8, 3)], "r0 = 0\n exit", &[]);
        let subject = Subject::from_object(&object, &object.programs[0]).expect("kprobe");
        let generator = InputGenerator::new(&object, &subject, 100);
        let mut rng = Rng::new(7);
        let mut runner =
            ObjectRunner::new(&object, &object.programs[0], RunConfig::new(CallxModel::Address, 100)).expect("kprobe");
        let mut entries = 0;
        for _ in 0..500 {
            let input = generator.generate(&mut rng, &Hint::none());
            assert_eq!(input.bytes.len(), 168, "pt_regs");
            assert!(input.fields.is_empty());
            entries += input.maps.len();
            input.replay(&mut runner).expect("every generated input is accepted");
        }
        assert!(entries > 100, "{entries} map entries in 500 inputs");
        assert_eq!(hex(&[0, 0, 0, 0, 0, 1, 2, 2, 2]), "00×5 01 02 02 02");
    }
}
