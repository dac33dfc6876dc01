//! Objects in the styles of older loaders (`loaders/src/*.c`, built by `corpus/build.sh`
//! into `build/loaders/`): iproute2's tc (`struct bpf_elf_map` maps of 28 and 36 bytes,
//! `classifier`/`action` sections, numeric tail-call slots), samples/bpf and bcc-era objects
//! (20-byte `struct bpf_map_def`, `kprobe/...`, a `version` section) and libbpf 1.x objects
//! (BTF maps, `?` no-autoload, bare `kprobe`/`uprobe`). Every object loads, every program
//! gets a type (with the loader's command-line type where its section names none) and
//! verifies; the only refusals allowed are the genuine ones listed in [`GENUINE`].

mod common;

use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf;
use bpfprove_semantics::model::program_type::ProgramType;
use bpfprove_semantics::model::section::{TypeChoice, resolve};

/// Each object and the type its loader's command line gives programs whose section names
/// none (`tc ... bpf da obj FILE` loads as `sched_cls`), as `--default-program-type` does.
const OBJECTS: &[(&str, Option<&str>)] =
    &[("iproute2_tc", Some("sched_cls")), ("samples_kprobe", None), ("libbpf_modern", None), ("truncated_map", None)];

/// Refusals for a genuine reason: (object, function or "" for the whole object, the text
/// the error must contain, why it is genuine).
const GENUINE: &[(&str, &str, &str, &str)] = &[(
    "truncated_map",
    "",
    "legacy map `counts` has 12 bytes, fewer than 16",
    "its SEC(\"maps\") definition is 12 bytes: max_entries is missing, so no loader can create the map",
)];

#[test]
fn every_loader_style_object_loads_and_verifies() {
    if !common::tools_present() {
        return;
    }
    let mut problems = Vec::new();
    let mut verified = 0;
    for &(name, default) in OBJECTS {
        let path = common::corpus_dir().join("loaders").join(format!("{name}.o"));
        let object_genuine = GENUINE.iter().find(|g| g.0 == name && g.1.is_empty());
        let object = match (elf::load(&common::read(&path)), object_genuine) {
            (Ok(object), None) => object,
            (Err(error), Some(g)) if error.to_string().contains(g.2) => {
                eprintln!("{name}: refused as expected ({}): {error}", g.3);
                continue;
            }
            (Err(error), _) => {
                problems.push(format!("{name}: load error: {error}"));
                continue;
            }
            (Ok(_), Some(g)) => {
                problems.push(format!("{name}: listed as genuinely broken ({}) but loads", g.3));
                continue;
            }
        };
        assert!(!object.programs.is_empty(), "{name}: has programs");
        let default = default.map(|n| ProgramType::from_name(n).unwrap_or_else(|| panic!("type {n}")));
        let sections: Vec<&str> = object.programs.iter().map(|p| p.section.as_str()).collect();
        let types = resolve(&sections, TypeChoice { force: None, default });
        for (program, program_type) in object.programs.iter().zip(types) {
            let genuine = GENUINE.iter().find(|g| g.0 == name && g.1 == program.name);
            let matches = |why: &str| genuine.is_some_and(|g| why.contains(g.2));
            let outcome = match program_type {
                Err(error) => Err(format!("no type: {error}")),
                Ok(t) => {
                    let subject = Subject::from_object_as(&object, program, t);
                    let report = Verifier::new(Config::standard(DomainKind::Product)).verify(&subject);
                    match report.verdict {
                        Verdict::Pass => Ok(t),
                        _ => Err(report
                            .failures()
                            .iter()
                            .take(2)
                            .map(|o| format!("pc {} {} {}: {}", o.pc, o.kind, o.status, o.detail))
                            .collect::<Vec<_>>()
                            .join("; ")),
                    }
                }
            };
            eprintln!("{name} {}/{}: {outcome:?}", program.section, program.name);
            match (outcome, genuine) {
                (Ok(_), None) => verified += 1,
                (Err(why), Some(_)) if matches(&why) => {}
                (Ok(_), Some(g)) => problems.push(format!("{name}/{}: listed as genuine ({}) but passes", g.1, g.3)),
                (Err(why), _) => problems.push(format!("{name} {}/{}: {why}", program.section, program.name)),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(verified >= 10, "only {verified} programs verified");
}
