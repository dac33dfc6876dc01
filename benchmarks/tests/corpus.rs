//! The corpus against the loader: every object loads, our instruction text equals
//! llvm-objdump-22's for every function, and every manifest claim holds.

mod common;

use bpfprove_benchmarks::corpus::{Cpu, Feature, Manifest, Verdict};
use bpfprove_semantics::elf::{self, IndirectKind, LoadedProgram, Object};
use bpfprove_semantics::isa::{CallTarget, Insn, LddwKind};

fn load_all() -> Vec<(Cpu, String, Object)> {
    common::objects()
        .into_iter()
        .map(|(cpu, stem, path)| {
            let object = elf::load(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (cpu, stem, object)
        })
        .collect()
}

#[test]
fn every_object_loads_and_matches_objdump() {
    if !common::tools_present() {
        return;
    }
    let objects = common::objects();
    assert_eq!(
        objects.len(),
        4 * std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/src"))
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "c")))
            .count()
    );
    let mut compared = 0;
    for (_, _, path) in &objects {
        let object = elf::load(&common::read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = common::objdump_functions(path);
        let mut ours = Vec::new();
        for section in &object.code_sections {
            for function in &section.functions {
                let lines = section
                    .insns
                    .iter()
                    .filter(|d| (function.start..function.end).contains(&d.pc))
                    .map(|d| common::normalise(&section.objdump_text(d)))
                    .collect::<Vec<_>>();
                ours.push((section.name.clone(), function.name.clone(), lines));
            }
        }
        assert_eq!(ours.len(), expected.len(), "{}: function count", path.display());
        for (ours, theirs) in ours.iter().zip(&expected) {
            assert_eq!((&ours.0, &ours.1), (&theirs.0, &theirs.1), "{}", path.display());
            for (i, (a, b)) in ours.2.iter().zip(&theirs.2).enumerate() {
                assert_eq!(a, b, "{} {}/{} instruction {i}", path.display(), ours.0, ours.1);
            }
            assert_eq!(ours.2.len(), theirs.2.len(), "{} {}: instruction count", path.display(), ours.1);
            compared += ours.2.len();
        }
    }
    assert!(compared > 1000, "compared only {compared} instructions");
}

fn has(program: &LoadedProgram, feature: Feature) -> bool {
    let insns = || program.program.insns().iter();
    match feature {
        Feature::Callx => insns().any(|d| matches!(d.insn, Insn::Callx { .. })),
        Feature::Gotox => {
            insns().any(|d| matches!(d.insn, Insn::Gotox { .. })) && !program.program.table_loads().is_empty()
        }
        Feature::CallTable => !program.call_tables.is_empty(),
        Feature::CodeAddress => insns().any(|d| matches!(d.insn, Insn::Lddw { kind: LddwKind::CodeAddr, .. })),
        Feature::LocalCall => insns().any(|d| matches!(d.insn, Insn::Call(CallTarget::Local(_)))),
        Feature::Map => insns().any(|d| matches!(d.insn, Insn::Lddw { kind: LddwKind::MapIdx, .. })),
        Feature::GlobalData => insns().any(|d| matches!(d.insn, Insn::Lddw { kind: LddwKind::MapIdxValue, .. })),
        Feature::Ldabs => insns().any(|d| matches!(d.insn, Insn::LoadPacket { .. })),
        Feature::Atomic => insns().any(|d| matches!(d.insn, Insn::Atomic { .. })),
        Feature::Loop => insns().any(|d| {
            d.insn.branch_target(d.pc).is_some_and(|t| t <= d.pc as i64)
                && !matches!(d.insn, Insn::Call(_) | Insn::Lddw { .. })
        }),
    }
}

#[test]
fn manifest_claims_hold_for_the_compiled_programs() {
    if !common::tools_present() {
        return;
    }
    let manifest = Manifest::corpus();
    let objects = load_all();
    for entry in &manifest.programs {
        for &cpu in &entry.cpus {
            let (_, _, object) = objects
                .iter()
                .find(|(c, stem, _)| *c == cpu && *stem == entry.object)
                .unwrap_or_else(|| panic!("{cpu}/{}.o not built", entry.object));
            let program = object
                .programs_in(&entry.section)
                .find(|p| p.name == entry.function)
                .unwrap_or_else(|| panic!("{cpu}/{}: no {}/{}", entry.object, entry.section, entry.function));
            if cpu != Cpu::V4 {
                continue;
            }
            for &feature in &entry.expect {
                assert!(has(program, feature), "{}: expected {feature:?}", entry.function);
            }
            // gotox appears exactly where the manifest says.
            assert_eq!(has(program, Feature::Gotox), entry.expect.contains(&Feature::Gotox), "{}", entry.function);
            assert_eq!(has(program, Feature::Callx), entry.expect.contains(&Feature::Callx), "{}", entry.function);
            if let Some(fault_at) = &entry.fault_at {
                let section = object.code_sections.iter().find(|s| s.name == entry.section).expect("section exists");
                let function = section.functions.iter().find(|f| f.name == entry.function).expect("function exists");
                let found = section
                    .insns
                    .iter()
                    .filter(|d| (function.start..function.end).contains(&d.pc))
                    .any(|d| section.objdump_text(d).contains(fault_at.as_str()));
                assert!(found, "{}: no instruction `{fault_at}`", entry.function);
            }
            assert!(entry.verdict == Verdict::Safe || entry.fault.is_some());
        }
    }
    // Every program of every v4 object is in the manifest.
    for (cpu, stem, object) in &objects {
        for program in object.programs.iter().filter(|_| *cpu == Cpu::V4) {
            assert!(
                manifest.programs.iter().any(|e| e.object == *stem && e.function == program.name),
                "{stem}: {} is not in the manifest",
                program.name
            );
        }
    }
}

#[test]
fn indirect_sites_name_their_tables_and_targets() {
    if !common::tools_present() {
        return;
    }
    let objects = load_all();
    let v4 =
        |stem: &str| objects.iter().find(|(c, s, _)| *c == Cpu::V4 && s == stem).map(|(_, _, o)| o).expect("built");

    // The switch: one gotox, its table has one entry per case (0..=14) and every entry lies
    // inside the function.
    let switch = v4("switch").program("switch_dispatch").expect("program");
    let table = &switch.program.jump_tables()[0];
    assert_eq!(table.name, "BPF.JT.0.0");
    assert_eq!(table.targets.len(), 15);
    let [site] = switch.indirect_sites.as_slice() else { panic!("one gotox: {:?}", switch.indirect_sites) };
    assert!(matches!(&site.kind, IndirectKind::Gotox { tables, .. } if tables.len() == 1));
    let f = &switch.program.functions()[0];
    assert!(table.targets.iter().all(|t| (f.entry..f.end).contains(t)));

    // The call table: four entries, each a distinct handler function of the program.
    let calls = v4("callx").program("callx_table").expect("program");
    let table = calls.call_tables.iter().find(|t| t.name == "handlers").expect("handlers table");
    assert!(table.read_only);
    let names: Vec<_> = table
        .entries
        .iter()
        .map(|e| calls.program.function(e.expect("every entry is a function")).name.as_str())
        .collect();
    assert_eq!(names, ["handle_pass", "handle_drop", "handle_tx", "handle_len"]);
    let image = calls.data_image(v4("callx"), table.map).expect("data section");
    let first = u64::from_le_bytes(image[table.offset as usize..][..8].try_into().expect("8 bytes"));
    let handle_pass = calls.program.functions().iter().find(|f| f.name == "handle_pass").expect("linked");
    assert_eq!(first, bpfprove_semantics::program::code_address(handle_pass.entry));

    // The overrun twin: the table object has three functions, then two plain numbers.
    let overrun = v4("unsafe_control").program("callx_table_overrun").expect("program");
    let padded = overrun.call_tables.iter().find(|t| t.name == "padded_table").expect("padded table");
    assert_eq!(padded.entries.iter().map(Option::is_some).collect::<Vec<_>>(), [true, true, true, false, false]);

    // Line info names the source of the faulting read.
    let past_end = v4("unsafe_memory").program("xdp_read_past_end").expect("program");
    let lines: Vec<_> = past_end.lines.values().map(|l| l.text.clone()).collect();
    assert!(lines.iter().any(|t| t.contains("ip->protocol")), "{lines:?}");
}
