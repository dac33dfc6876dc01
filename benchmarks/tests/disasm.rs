//! What `bpfprove disasm FILE.o` prints ([`elf::listing`]) on the corpus: the switch
//! program's jump table with its targets and the gotox that uses it, the call-table
//! program's function targets, maps, kfuncs, and source lines.

mod common;

use bpfprove_semantics::elf;

fn listing(object: &str, section: Option<&str>) -> String {
    let path = common::corpus_dir().join("v4").join(format!("{object}.o"));
    let object = elf::load(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    elf::listing(&object, section).expect("the section exists")
}

/// The instruction line of slot `slot` in a listing: (text, annotation).
fn insn_line(listing: &str, slot: u64) -> (String, String) {
    let prefix = format!("{slot}:\t");
    let line = listing
        .lines()
        .find(|l| l.trim_start().starts_with(&prefix))
        .unwrap_or_else(|| panic!("no slot {slot} in\n{listing}"));
    let rest = line.trim_start().strip_prefix(&prefix).expect("found by prefix");
    let (text, note) = rest.split_once(" ; ").unwrap_or((rest, ""));
    (common::normalise(text), note.to_owned())
}

#[test]
fn switch_shows_its_jump_table_and_the_gotox_using_it() {
    if !common::tools_present() {
        return;
    }
    let text = listing("switch", Some("xdp"));
    let table = text
        .lines()
        .find_map(|l| l.strip_prefix("  jump table BPF.JT.0.0 (15 entries): "))
        .unwrap_or_else(|| panic!("no jump table line in\n{text}"));
    let targets: Vec<&str> = table.split(", ").collect();
    assert_eq!(targets.len(), 15, "{table}");
    // Every entry is an instruction of switch_dispatch (which starts at slot 0 of `xdp`).
    for target in &targets {
        let offset = target.strip_prefix("switch_dispatch+0x").unwrap_or_else(|| panic!("{target}"));
        let offset = u64::from_str_radix(offset, 16).expect("hex offset");
        assert_eq!(offset % 8, 0, "{target}");
        insn_line(&text, offset / 8);
    }
    // The gotox that uses it, in the program summary and annotated in the code.
    let user = text
        .lines()
        .find_map(|l| l.strip_prefix("    used by gotox r3 at switch_dispatch+0x"))
        .unwrap_or_else(|| panic!("no gotox line in\n{text}"));
    let gotox_slot = u64::from_str_radix(user, 16).expect("hex offset") / 8;
    assert_eq!(insn_line(&text, gotox_slot), ("gotox r3".to_owned(), "via jump table BPF.JT.0.0".to_owned()));
    // The table's load is resolved to the table.
    let load = text.lines().find_map(|l| l.strip_prefix("    loaded at switch_dispatch+0x")).expect("load line");
    let load_slot = u64::from_str_radix(load, 16).expect("hex offset") / 8;
    assert_eq!(insn_line(&text, load_slot).1, "jump table BPF.JT.0.0 (15 entries)");
    // --section xdp leaves out the socket program's table.
    assert!(!text.contains("BPF.JT.1.0"));
    assert!(listing("switch", None).contains("  jump table BPF.JT.1.0 (16 entries): "));
}

#[test]
fn call_tables_show_their_function_targets() {
    if !common::tools_present() {
        return;
    }
    let text = listing("callx", None);
    for expected in [
        "  handlers (.rodata+0x0, read-only, 4 slots): handle_pass, handle_drop, handle_tx, handle_len",
        "  default_ops (.rodata+0x20, read-only, 3 slots): handle_tx, handle_pass, handle_drop",
        "  callx r3 at callx_table+0x80: may call handle_pass, handle_drop, handle_tx, handle_len \
         (call tables: handlers, default_ops)",
        "  callx r3 at callx_global+0x90: may call handle_tx",
        "  map#0 .rodata: 56 bytes, read-only",
    ] {
        assert!(text.lines().any(|l| l == expected), "no line `{expected}` in\n{text}");
    }
    // Code-address loads name their function, local calls their callee.
    let text = listing("callx", Some("xdp"));
    let (load, note) = insn_line(&text, 9);
    assert_eq!((load.as_str(), note.as_str()), ("r3 = 0x0 ll", "function handle_pass"));
    assert!(text.contains("call 0x10                                ; function run_dispatch"), "{text}");
}

#[test]
fn maps_helpers_and_source_lines_are_named() {
    if !common::tools_present() {
        return;
    }
    let text = listing("tc_classifier", None);
    for expected in [
        "  map#0 flows: hash (type 1), key 16 bytes, value 24 bytes, max_entries 4096, flags 0x0 [.maps]",
        "  map#2 buckets: lru_hash (type 9), key 4 bytes, value 16 bytes, max_entries 256, flags 0x0 [.maps]",
    ] {
        assert!(text.lines().any(|l| l == expected), "no line `{expected}` in\n{text}");
    }
    assert!(text.lines().any(|l| l.ends_with("; map flows")), "{text}");
    assert!(text.lines().any(|l| l.ends_with("; bpf_map_lookup_elem")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("; tc_classifier.c:") && l.contains("bpf_map_lookup_elem(&flows")));
    let missing =
        elf::listing(&elf::load(&common::read(&common::corpus_dir().join("v4/callx.o"))).expect("loads"), Some("tc"));
    assert_eq!(missing.map_err(|e| e.to_string()), Err("no code section `tc` (sections: .text, xdp)".to_owned()));
}

#[test]
fn kfunc_calls_name_their_extern() {
    if !common::tools_present() {
        return;
    }
    let text = listing("kfuncs", None);
    let calls: Vec<&str> = text.lines().filter(|l| l.contains("call -0x1")).collect();
    assert_eq!(calls.len(), 2, "{text}");
    assert!(calls[0].ends_with("; kfunc bpf_kfunc_implicit_arg"), "{text}");
    assert!(calls[1].ends_with("; kfunc bpf_kfunc_implicit_arg_legacy"), "{text}");
    // Each program numbers its kfuncs from 1.
    for expected in [
        "  kfunc bpf_kfunc_implicit_arg: called as kfunc btf id 1",
        "  kfunc bpf_kfunc_implicit_arg_legacy: called as kfunc btf id 1",
    ] {
        assert!(text.lines().any(|l| l == expected), "no line `{expected}` in\n{text}");
    }
}
