//! The adversarial suite: hand-written programs in `benchmarks/adversarial/*.toml`, each with
//! the verdict a sound verifier must give and, for an unsafe one, the input on which the
//! reference interpreter traps (the proof that it is unsafe). `adversarial/README.md`
//! describes the format.
//!
//! Every case is checked three ways and every mismatch of every case is reported at once:
//! - the analyzer (product domain, standard settings) passes exactly the safe cases, and no
//!   domain passes an unsafe one;
//! - an unsafe case's input makes the interpreter trap (unless the case says why the
//!   interpreter cannot show the fault);
//! - a safe case runs without a trap on its own inputs and on seeded random ones.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bpfprove_analyzer::counterexample::{Counterexample, Hint, InputGenerator, MapEntry, Rng};
use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::asm;
use bpfprove_semantics::elf::{
    CodeRelocation, CodeSection, FunctionOrigin, FunctionPointer, LoadedProgram, MapDef, MapId, MapOrigin, Object,
    RelocationTarget, SymbolFunction,
};
use bpfprove_semantics::interp::context::{FieldSelector, ProgramType};
use bpfprove_semantics::interp::elf_run::{self, ObjectRunner};
use bpfprove_semantics::interp::iter_context::ElementSizes;
use bpfprove_semantics::interp::{CallxModel, RunConfig, Trap};
use bpfprove_semantics::isa::{CallTarget, Insn};
use bpfprove_semantics::model::privilege::Privilege;
use bpfprove_semantics::program::{Program, ProgramParts};
use serde::Deserialize;

/// The classes of issue 10, by the name a case's `class` uses; other names are extra topics.
const ISSUE_CLASSES: [&str; 13] = [
    "pointer-compare-wrap",
    "distinct-objects",
    "null-identity",
    "packet-identity",
    "maybe-null",
    "callee-invalidation",
    "helper-written-memory",
    "helper-environment",
    "r10-read-only",
    "stack-depth",
    "global-data",
    "ld-abs-subprogram",
    "interpreter-strictness",
];

/// Instructions a run may take: enough for every bounded loop of the suite, few enough
/// that a case meant to loop forever shows it quickly.
const INSTRUCTION_BUDGET: u64 = 200_000;

/// Random inputs a safe case is run on besides its own.
const RANDOM_RUNS: u32 = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    class: String,
    /// A section name, which selects the program type as libbpf does (`xdp`, `tc`, `socket`, ...).
    section: String,
    verdict: Expected,
    why: String,
    program: String,
    #[serde(default)]
    maps: Vec<MapSpec>,
    #[serde(default)]
    data: Vec<DataSpec>,
    /// Kfunc names by the BTF id their calls use.
    #[serde(default)]
    kfuncs: BTreeMap<i32, String>,
    /// Labels of the functions that are global (non-`static`), which the kernel verifies
    /// on their own; the others are static subprograms.
    #[serde(default)]
    global_functions: Vec<String>,
    /// Map-element iterators: the iterated map's key and value sizes (inputs are then
    /// elements, the key's bytes then the value's; empty for the call after the last).
    element: Option<[u32; 2]>,
    /// Unsafe cases: the input on which the interpreter traps.
    trap: Option<InputSpec>,
    /// Unsafe cases the interpreter cannot exhibit: why.
    no_trap_because: Option<String>,
    /// The pc of the instruction that traps on `trap` (inside a callback, the callback's):
    /// the fault the case is about, not an earlier accident of the input.
    trap_pc: Option<usize>,
    /// Safe cases: inputs to run besides the random ones.
    #[serde(default)]
    inputs: Vec<InputSpec>,
    /// The loader: `privileged` (the default) or `unprivileged`. The analyzer verifies for
    /// it and the interpreter runs as strictly as it (uninitialised stack reads trap only
    /// for unprivileged runs).
    #[serde(default = "privileged")]
    privilege: String,
    /// Unsafe cases: obligation kinds the product domain must fail among others, so that a
    /// case refused for an unrelated reason does not hide the rule it is about.
    #[serde(default)]
    fails: Vec<String>,
    /// Safe cases: the domain that must pass it (`zone` for relations), if not the product.
    domain: Option<String>,
}

fn privileged() -> String {
    Privilege::Privileged.name().to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Expected {
    Safe,
    Unsafe,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapSpec {
    name: String,
    #[serde(rename = "type")]
    map_type: String,
    #[serde(default)]
    key: u32,
    #[serde(default)]
    value: u32,
    entries: u32,
    /// `map_flags` (`BPF_F_RDONLY_PROG` is 0x80, `BPF_F_WRONLY_PROG` 0x100).
    #[serde(default)]
    flags: u32,
    /// The byte offset of the value's `struct bpf_spin_lock`, as its BTF would give it.
    #[serde(default)]
    spin_lock: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataSpec {
    name: String,
    /// Initial contents, as hex.
    bytes: String,
    #[serde(default)]
    read_only: bool,
    /// Slots holding the address of a function (by its label).
    #[serde(default)]
    pointers: Vec<PointerSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointerSpec {
    offset: u32,
    function: String,
    /// Whether the variable's BTF type is a function pointer whose prototype `function`
    /// matches, as clang's BTF says of `static int (*f)(void *)`: user space may then store
    /// only NULL or `function` there.
    #[serde(default)]
    typed: bool,
}

/// One run's input.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputSpec {
    /// The packet's (or raw context's) first bytes, as hex.
    #[serde(default)]
    bytes: String,
    /// Its length, when longer than `bytes` (zero-filled).
    len: Option<usize>,
    /// Context fields by name.
    #[serde(default)]
    fields: BTreeMap<String, u32>,
    #[serde(default)]
    entries: Vec<EntrySpec>,
    /// Contents of writable global data sections as user space wrote them after load.
    #[serde(default)]
    data: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    map: String,
    key: String,
    value: String,
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in `{text}`"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| format!("`{text}`: {e}")))
        .collect()
}

fn map_type_number(name: &str) -> Result<u32, String> {
    Ok(match name {
        "hash" => 1,
        "array" => 2,
        "prog_array" => 3,
        "perf_event_array" => 4,
        "sockmap" => 15,
        "xskmap" => 17,
        "sockhash" => 18,
        "cgroup_storage" => 19,
        "percpu_cgroup_storage" => 21,
        "sk_storage" => 24,
        "ringbuf" => 27,
        "arena" => 33,
        other => return Err(format!("unknown map type `{other}`")),
    })
}

/// Everything a case needs for both the analyzer and the interpreter.
struct Built {
    object: Object,
    /// The object the interpreter runs: the same, with global data as user space set it.
    run_object: Option<Object>,
    program_type: ProgramType,
}

impl Case {
    /// The iterated map's sizes, for map-element iterators.
    fn element_sizes(&self) -> Option<ElementSizes> {
        self.element.map(|[key, value]| ElementSizes { key, value })
    }

    /// The map ids by name: maps first, then data sections.
    fn map_ids(&self) -> BTreeMap<String, u32> {
        let names = self.maps.iter().map(|m| &m.name).chain(self.data.iter().map(|d| &d.name));
        names.enumerate().map(|(i, name)| (name.clone(), i as u32)).collect()
    }

    /// The name of the data section with map id `map`.
    fn data_name(&self, map: MapId) -> String {
        self.map_ids().into_iter().find(|(_, id)| *id == map.0).map(|(name, _)| name).unwrap_or_default()
    }

    /// The program text with `%NAME` replaced by the id of map or data section `NAME`.
    fn program_text(&self) -> String {
        let mut ids: Vec<(String, u32)> = self.map_ids().into_iter().collect();
        ids.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        let mut text = self.program.clone();
        for (name, id) in ids {
            text = text.replace(&format!("%{name}"), &id.to_string());
        }
        text
    }

    fn map_defs(&self, data_override: &BTreeMap<String, String>) -> Result<Vec<MapDef>, String> {
        let mut defs = Vec::new();
        for map in &self.maps {
            let mut def = MapDef::btf(&map.name, map_type_number(&map.map_type)?, map.key, map.value, map.entries);
            def.flags = map.flags;
            def.extras.spin_lock = map.spin_lock;
            defs.push(def);
        }
        for data in &self.data {
            let bytes = hex(data_override.get(&data.name).unwrap_or(&data.bytes))?;
            if bytes.len() != hex(&data.bytes)?.len() {
                return Err(format!("data `{}` written by user space changes its size", data.name));
            }
            let value_size = bytes.len() as u32;
            let function_pointer_variables = data
                .pointers
                .iter()
                .filter(|pointer| pointer.typed)
                .map(|pointer| (pointer.offset, vec![pointer.function.clone()]))
                .collect();
            defs.push(MapDef {
                name: data.name.clone(),
                section: data.name.clone(),
                origin: MapOrigin::Data { read_only: data.read_only, bytes },
                map_type: 2,
                key_size: 4,
                value_size,
                max_entries: 1,
                flags: if data.read_only { 0x80 } else { 0 },
                function_pointer_variables,
                extras: Default::default(),
            });
        }
        Ok(defs)
    }

    fn build(&self) -> Result<Built, String> {
        let program_type =
            ProgramType::of_section(&self.section).ok_or(format!("unknown section `{}`", self.section))?;
        let parsed = asm::llvm::parse(&self.program_text()).map_err(|e| format!("assembly: {e}"))?;
        let labels: BTreeMap<&str, usize> = parsed.labels().iter().map(|(&pc, name)| (name.as_str(), pc)).collect();
        // A function whose address only global data holds is a function all the same, as
        // its symbol makes it in an object clang wrote.
        let mut function_entries = Vec::new();
        for pointer in self.data.iter().flat_map(|d| &d.pointers) {
            function_entries
                .push(*labels.get(pointer.function.as_str()).ok_or(format!("no label `{}`", pointer.function))?);
        }
        let global_functions = self
            .global_functions
            .iter()
            .map(|name| labels.get(name.as_str()).copied().ok_or(format!("no label `{name}`")))
            .collect::<Result<_, _>>()?;
        let parts = ProgramParts {
            labels: parsed.labels().clone(),
            function_entries,
            global_functions,
            jump_tables: parsed.jump_tables().to_vec(),
            table_loads: parsed.table_loads().clone(),
        };
        let program =
            Program::new(parsed.insns().iter().map(|d| d.insn).collect(), parts).map_err(|e| e.to_string())?;
        let mut function_pointers = Vec::new();
        let ids = self.map_ids();
        for data in &self.data {
            for pointer in &data.pointers {
                let pc = labels.get(pointer.function.as_str()).ok_or(format!("no label `{}`", pointer.function))?;
                let function =
                    program.function_at_entry(*pc).ok_or(format!("`{}` is not a function entry", pointer.function))?;
                function_pointers.push(FunctionPointer {
                    map: MapId(ids[&data.name]),
                    offset: pointer.offset,
                    function,
                });
            }
        }
        // Kfunc names reach the analyzer and the interpreter through relocations, as they do
        // for an object clang wrote: one code section holding the program as it is.
        let relocations = program
            .insns()
            .iter()
            .filter_map(|d| match d.insn {
                Insn::Call(CallTarget::Kfunc { btf_id, btf_obj: 0 }) => self
                    .kfuncs
                    .get(&btf_id)
                    .map(|name| CodeRelocation { slot: d.pc, symbol: name.clone(), target: RelocationTarget::Kfunc }),
                _ => None,
            })
            .collect();
        let origins: Vec<FunctionOrigin> = program
            .functions()
            .iter()
            .enumerate()
            .map(|(i, f)| FunctionOrigin { section: 0, section_slot: f.entry, name: format!("f{i}") })
            .collect();
        let code = CodeSection {
            name: self.section.clone(),
            insns: program.insns().to_vec(),
            functions: vec![SymbolFunction { name: self.name.clone(), start: 0, end: program.slots(), global: true }],
            relocations,
            broken: Default::default(),
        };
        let object_with = |data_override: &BTreeMap<String, String>| -> Result<Object, String> {
            let loaded = LoadedProgram {
                origins: origins.clone(),
                // Bytes user space wrote are final: no relocation puts an address back.
                function_pointers: function_pointers
                    .iter()
                    .filter(|p| !data_override.contains_key(&self.data_name(p.map)))
                    .copied()
                    .collect(),
                ..LoadedProgram::bare(self.section.clone(), self.name.clone(), program.clone())
            };
            Ok(Object {
                code_sections: vec![code.clone()],
                ..Object::of_program(Some("GPL".into()), self.map_defs(data_override)?, loaded)
            })
        };
        let object = object_with(&BTreeMap::new())?;
        let run_object = match &self.trap {
            Some(input) if !input.data.is_empty() => Some(object_with(&input.data)?),
            _ => None,
        };
        Ok(Built { object, run_object, program_type })
    }

    fn counterexample(&self, input: &InputSpec, program_type: ProgramType) -> Result<Counterexample, String> {
        let mut bytes = hex(&input.bytes)?;
        if let Some(len) = input.len {
            if len < bytes.len() {
                return Err(format!("len {len} is shorter than the {} bytes given", bytes.len()));
            }
            bytes.resize(len, 0);
        }
        let ids = self.map_ids();
        let mut maps = Vec::new();
        for entry in &input.entries {
            let id = ids.get(&entry.map).ok_or(format!("no map `{}`", entry.map))?;
            maps.push(MapEntry {
                map: MapId(*id),
                name: entry.map.clone(),
                key: hex(&entry.key)?,
                value: hex(&entry.value)?,
            });
        }
        for name in input.data.keys() {
            if !self.data.iter().any(|d| &d.name == name && !d.read_only) {
                return Err(format!("input writes `{name}`, which is not a writable data section"));
            }
        }
        let fields = input.fields.iter().map(|(name, &value)| (FieldSelector::Name(name.clone()), value)).collect();
        Ok(Counterexample { program_type, bytes, fields, maps })
    }

    /// The shape errors of the case itself (not of the analyzer or the interpreter).
    fn validate(&self) -> Result<(), String> {
        if self.why.trim().is_empty() {
            return Err("no `why`".into());
        }
        if let Some(kind) = self.fails.iter().find(|k| bpfprove_analyzer::ObligationKind::from_name(k).is_none()) {
            return Err(format!("`fails` names `{kind}`, which is no obligation kind"));
        }
        if self.trap_pc.is_some() != self.trap.is_some() {
            return Err("`trap_pc` goes with `trap`, and every `trap` names its `trap_pc`".into());
        }
        match self.verdict {
            Expected::Unsafe => match (&self.trap, &self.no_trap_because) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => return Err("an unsafe case has exactly one of `trap` and `no_trap_because`".into()),
            },
            Expected::Safe => {
                if self.trap.is_some() || self.no_trap_because.is_some() {
                    return Err("a safe case has no `trap` and no `no_trap_because`".into());
                }
                if !self.fails.is_empty() {
                    return Err("a safe case fails no obligation: no `fails`".into());
                }
            }
        }
        Ok(())
    }
}

fn verdict_name(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Unknown(_) => "UNKNOWN",
    }
}

/// What the analyzer says of `object`'s program with `domain` for a loader of `privilege`:
/// whether it passed, its verdict and failures, and the kinds that failed.
fn analyze(object: &Object, domain: DomainSpec, privilege: Privilege) -> (bool, String, Vec<String>) {
    let loaded = &object.programs[0];
    let subject = Subject::from_object(object, loaded).expect("the section names a program type");
    let report = Verifier::new(Config { privilege, ..Config::of_spec(domain) }).verify(&subject);
    let failures: Vec<String> = report.failures().iter().map(|o| format!("{} {} {}", o.pc, o.kind, o.status)).collect();
    let kinds = report.failures().iter().map(|o| o.kind.name().to_owned()).collect();
    let passed = report.verdict == Verdict::Pass;
    (passed, format!("{} [{}]", verdict_name(&report.verdict), failures.join(", ")), kinds)
}

/// The analyzer accepts a `may_goto` loop for any budget, so runs use a small one that fits
/// in the instruction budget (the kernel's 8 Mi rounds would not).
const MAY_GOTO_BUDGET: u64 = 1000;

fn run_config(privilege: Privilege) -> RunConfig {
    RunConfig::new(CallxModel::Address, INSTRUCTION_BUDGET)
        .with_privilege(privilege)
        .with_may_goto_budget(MAY_GOTO_BUDGET)
}

/// A runner of the object's program, attached to a map with `element`'s sizes if given.
fn runner(
    object: &Object,
    privilege: Privilege,
    element: Option<ElementSizes>,
) -> Result<ObjectRunner<'_>, elf_run::ObjectRunError> {
    let runner = ObjectRunner::new(object, &object.programs[0], run_config(privilege))?;
    Ok(match element {
        Some(sizes) => runner.with_element_sizes(sizes),
        None => runner,
    })
}

/// The trap of one run of `input`, or `Ok(None)` if it ran to the end.
fn run_once(
    object: &Object,
    input: &Counterexample,
    privilege: Privilege,
    element: Option<ElementSizes>,
) -> Result<Option<Trap>, String> {
    let mut runner = runner(object, privilege, element).map_err(|e| e.to_string())?;
    let run = input.replay(&mut runner).map_err(|e| format!("input {input}: {e}"))?;
    Ok(run.result.err())
}

/// The mismatches of one case, each a line.
fn check_case(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = case.validate() {
        return vec![format!("malformed: {e}")];
    }
    let built = match case.build() {
        Ok(built) => built,
        Err(e) => return vec![format!("malformed: {e}")],
    };
    let privilege = match case.privilege.parse::<Privilege>() {
        Ok(privilege) => privilege,
        Err(e) => return vec![format!("malformed: {e}")],
    };
    let product = DomainSpec::plain(DomainKind::Product);
    let (passed, summary, failed_kinds) = analyze(&built.object, product, privilege);
    for kind in &case.fails {
        if !failed_kinds.contains(kind) {
            problems.push(format!("verdict: expected a failed `{kind}` obligation, product gives {summary}"));
        }
    }
    let judge = match case.domain.as_deref().map(str::parse::<DomainSpec>) {
        None => product,
        Some(Ok(spec)) => spec,
        Some(Err(e)) => return vec![format!("malformed: {e}")],
    };
    match case.verdict {
        Expected::Safe if judge != product => {
            let (passed, summary, _) = analyze(&built.object, judge, privilege);
            if !passed {
                problems.push(format!("verdict: expected PASS (safe), {judge} gives {summary}"));
            }
        }
        Expected::Safe if !passed => problems.push(format!("verdict: expected PASS (safe), product gives {summary}")),
        Expected::Unsafe if passed => problems.push("verdict: expected not PASS (unsafe), product gives PASS".into()),
        _ => {}
    }
    if case.verdict == Expected::Unsafe {
        // Every non-relational domain alone and with equalities, the product with zones (by
        // rules and by Z3), and the product with zones and equalities.
        let others =
            DomainKind::ALL.into_iter().flat_map(|d| [DomainSpec::plain(d), DomainSpec::with_equalities(d)]).chain([
                DomainSpec::with_zones(DomainKind::Product),
                DomainSpec::with_z3_zones(DomainKind::Product),
                DomainSpec { equalities: true, ..DomainSpec::with_zones(DomainKind::Product) },
            ]);
        let unsound: Vec<String> =
            others.filter(|&d| d != product && analyze(&built.object, d, privilege).0).map(|d| d.to_string()).collect();
        if !unsound.is_empty() {
            problems.push(format!("verdict: also PASSed by {}", unsound.join(", ")));
        }
    }
    match (&case.trap, case.verdict) {
        (Some(spec), _) => {
            let run_object = built.run_object.as_ref().unwrap_or(&built.object);
            match case
                .counterexample(spec, built.program_type)
                .and_then(|input| run_once(run_object, &input, privilege, case.element_sizes()))
            {
                Ok(Some(trap)) => {
                    let pc = elf_run::innermost(&trap).pc;
                    if case.trap_pc.is_some_and(|expected| expected != pc) {
                        problems.push(format!("interpreter: expected a trap at pc {:?}, got {trap}", case.trap_pc));
                    }
                }
                Ok(None) => problems.push("interpreter: the trap input runs without a trap".into()),
                Err(e) => problems.push(format!("malformed trap input: {e}")),
            }
        }
        (None, Expected::Safe) => {
            for spec in &case.inputs {
                match case.counterexample(spec, built.program_type).and_then(|input| {
                    run_once(&built.object, &input, privilege, case.element_sizes())
                        .map(|trap| trap.map(|t| format!("input {input}: {t}")))
                }) {
                    Ok(None) => {}
                    Ok(Some(trap)) => problems.push(format!("interpreter: safe case traps on {trap}")),
                    Err(e) => problems.push(format!("malformed input: {e}")),
                }
            }
            if let Some(trap) = random_trap(&built.object, privilege, case.element_sizes()) {
                problems.push(format!("interpreter: safe case traps on {trap}"));
            }
        }
        (None, Expected::Unsafe) => {}
    }
    problems
}

/// A seeded random input on which a (supposedly safe) program traps, described.
fn random_trap(object: &Object, privilege: Privilege, element: Option<ElementSizes>) -> Option<String> {
    let loaded = &object.programs[0];
    let subject = Subject::from_object(object, loaded)?;
    let generator = InputGenerator::new(object, &subject, 256);
    let mut runner = runner(object, privilege, element).ok()?;
    let mut rng = Rng::new(0xad7e_55a1);
    for _ in 0..RANDOM_RUNS {
        let input = generator.generate(&mut rng, &Hint::none());
        if let Ok(run) = input.replay(&mut runner)
            && let Err(trap) = run.result
        {
            return Some(format!("input {input}: {trap}"));
        }
    }
    None
}

/// The product verdict and the trap input's outcome, for `ADVERSARIAL_VERBOSE=1`.
fn describe(case: &Case) -> String {
    let Ok(built) = case.build() else { return "malformed".into() };
    let Ok(privilege) = case.privilege.parse::<Privilege>() else { return "malformed".into() };
    let domain = case.domain.as_deref().and_then(|d| d.parse().ok()).unwrap_or(DomainSpec::plain(DomainKind::Product));
    let (_, summary, _) = analyze(&built.object, domain, privilege);
    let run = case.trap.as_ref().map(|spec| {
        let object = built.run_object.as_ref().unwrap_or(&built.object);
        match case
            .counterexample(spec, built.program_type)
            .and_then(|input| run_once(object, &input, privilege, case.element_sizes()))
        {
            Ok(Some(trap)) => format!("traps (innermost pc {}): {trap}", elf_run::innermost(&trap).pc),
            Ok(None) => "no trap".to_owned(),
            Err(e) => e,
        }
    });
    format!("{summary} {}", run.unwrap_or_default())
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("adversarial")
}

/// Every case of every file, with the file it comes from.
fn load_suite() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .expect("benchmarks/adversarial exists")
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable file");
        let file: CaseFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().expect("a file").to_string_lossy().into_owned();
        cases.extend(file.cases.into_iter().map(|case| (name.clone(), case)));
    }
    cases
}

#[test]
fn the_suite_covers_every_class_with_distinct_cases() {
    let cases = load_suite();
    assert!(cases.len() >= 100, "{} cases; the suite keeps at least 100", cases.len());
    let mut names = BTreeSet::new();
    for (file, case) in &cases {
        assert!(names.insert(case.name.as_str()), "{file}: case `{}` appears twice", case.name);
    }
    let classes: BTreeSet<&str> = cases.iter().map(|(_, c)| c.class.as_str()).collect();
    for class in ISSUE_CLASSES {
        assert!(classes.contains(class), "no case of class `{class}`");
    }
    let extra = classes.iter().filter(|c| !ISSUE_CLASSES.contains(c)).count();
    assert!(extra >= 5, "only {extra} classes beyond issue 10's");
}

#[test]
fn every_case_meets_its_expectation() {
    let cases = load_suite();
    let mut report = String::new();
    let mut failed = 0;
    for (file, case) in &cases {
        let problems = check_case(case);
        if std::env::var_os("ADVERSARIAL_VERBOSE").is_some() {
            eprintln!("{:<48} {:?} {}", case.name, case.verdict, describe(case));
        }
        if !problems.is_empty() {
            failed += 1;
            let _ = writeln!(report, "{file}: {} [{}] ({:?})", case.name, case.class, case.verdict);
            for problem in problems {
                let _ = writeln!(report, "    {problem}");
            }
        }
    }
    assert!(failed == 0, "{failed} of {} adversarial cases do not meet their expectation:\n{report}", cases.len());
}

/// One case parsed from `text` (a single `[[case]]` table).
fn case_from(text: &str) -> Case {
    let file: CaseFile = toml::from_str(text).expect("a valid case");
    file.cases.into_iter().next().expect("one case")
}

#[test]
fn the_runner_reports_wrong_expectations() {
    let unsafe_read = r#"
        [[case]]
        name = "t"
        class = "t"
        section = "socket"
        verdict = "safe"
        why = "claims safe, reads a NULL pointer"
        program = "r1 = 0\nr0 = *(u64 *)(r1 + 0)\nexit"
    "#;
    let problems = check_case(&case_from(unsafe_read));
    assert!(problems.iter().any(|p| p.starts_with("verdict: expected PASS")), "{problems:?}");
    assert!(problems.iter().any(|p| p.starts_with("interpreter: safe case traps")), "{problems:?}");

    let safe_program = r#"
        [[case]]
        name = "t"
        class = "t"
        section = "socket"
        verdict = "unsafe"
        why = "claims unsafe, returns 0"
        program = "r0 = 0\nexit"
        trap = { len = 16 }
        trap_pc = 1
    "#;
    let problems = check_case(&case_from(safe_program));
    assert!(problems.iter().any(|p| p.contains("product gives PASS")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("also PASSed by interval")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("runs without a trap")), "{problems:?}");

    let both = safe_program.replace("trap = { len = 16 }", "trap = { len = 16 }\nno_trap_because = \"x\"");
    assert_eq!(
        check_case(&case_from(&both)),
        ["malformed: an unsafe case has exactly one of `trap` and `no_trap_because`"]
    );
    let bad_map = safe_program.replace("r0 = 0\\nexit", "ld_pseudo r1, 0x5, %nomap\\nexit");
    assert!(check_case(&case_from(&bad_map))[0].starts_with("malformed: assembly"));
}
