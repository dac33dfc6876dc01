//! Unit tests of the loader on small objects built by clang-22. Without clang-22 these tests
//! fail under CI and otherwise say how to install it and pass.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use object::LittleEndian;
use object::read::elf::{FileHeader, SectionHeader};

use super::*;
use crate::isa::{CallTarget, LddwKind};

const PRELUDE: &str = r#"
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
typedef unsigned int u32;
typedef unsigned long long u64;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
struct bpf_map_def { u32 type, key_size, value_size, max_entries, map_flags; };
char _license[] SEC("license") = "GPL";
"#;

/// Compiles `source` (after [`PRELUDE`]) at `-mcpu=v4`.
fn compile(source: &str) -> Option<Vec<u8>> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    if Command::new("clang-22").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "clang-22 missing under CI: run ./scripts/setup");
        eprintln!("clang-22 not found: install it with ./scripts/setup to run this test");
        return None;
    }
    let dir = std::env::temp_dir();
    let stem = format!("bpfprove-elf-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let (c, o) = (dir.join(format!("{stem}.c")), dir.join(format!("{stem}.o")));
    std::fs::write(&c, format!("{PRELUDE}\n{source}")).expect("temp dir is writable");
    let out = Command::new("clang-22")
        .args(["-target", "bpf", "-O2", "-g", "-mcpu=v4", "-c"])
        .arg(&c)
        .arg("-o")
        .arg(&o)
        .output()
        .expect("clang-22 runs");
    assert!(out.status.success(), "clang-22 failed: {}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&o).expect("clang wrote the object");
    let _ = std::fs::remove_file(&c);
    let _ = std::fs::remove_file(&o);
    Some(bytes)
}

/// File offset and size of section `name`.
fn section_range(bytes: &[u8], name: &str) -> (usize, usize) {
    let e = LittleEndian;
    let header = object::elf::FileHeader64::<LittleEndian>::parse(bytes).expect("valid ELF");
    let sections = header.sections(e, bytes).expect("section table");
    let (_, s) = sections.section_by_name(e, name.as_bytes()).unwrap_or_else(|| panic!("no section {name}"));
    (s.sh_offset(e) as usize, s.sh_size(e) as usize)
}

const TWO_PROGRAMS: &str = r#"
static __attribute__((noinline)) int twice(int x) { return x * 2; }
__attribute__((noinline)) int plus_one(int x) { return twice(x) + 1; }
SEC("xdp") int first(void *ctx) { return plus_one(*(volatile int *)ctx); }
SEC("xdp") int second(void *ctx) { return twice(*(volatile int *)ctx); }
"#;

#[test]
fn links_each_program_with_the_subprograms_it_reaches() {
    let Some(bytes) = compile(TWO_PROGRAMS) else { return };
    let object = load(&bytes).expect("loads");
    assert_eq!(object.license.as_deref(), Some("GPL"));
    let names: Vec<_> = object.programs.iter().map(|p| (p.section.as_str(), p.name.as_str())).collect();
    assert_eq!(names, [("xdp", "first"), ("xdp", "second")]);

    let first = object.program("first").expect("linked");
    let functions: Vec<_> = first.program.functions().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(functions, ["first", "plus_one", "twice"]);
    // Every local call lands on the entry of a function of the program.
    for d in first.program.insns() {
        if let Insn::Call(CallTarget::Local(_)) = d.insn {
            let target = d.insn.branch_target(d.pc).expect("calls have targets") as usize;
            assert!(first.program.function_at_entry(target).is_some(), "call at {} to {target}", d.pc);
        }
    }
    let second = object.program("second").expect("linked");
    let functions: Vec<_> = second.program.functions().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(functions, ["second", "twice"]);
    assert_eq!(second.origins[1].name, "twice");
    assert_eq!(object.code_sections[second.origins[1].section].name, ".text");
}

#[test]
fn maps_and_global_data_become_indexed_loads() {
    let source = r#"
        struct key { u32 a, b, c; };
        struct { __uint(type, 1); __uint(max_entries, 7); __type(key, struct key); __type(value, u64); } flows SEC(".maps");
        struct bpf_map_def SEC("maps") legacy = { 2, 4, 16, 3, 8 };
        const volatile u32 limit = 5;
        u64 hits;
        SEC("tc") int prog(void *ctx) {
            struct key k = { 1, 2, 3 };
            u32 zero = 0;
            u64 *v = bpf_map_lookup_elem(&flows, &k);
            u64 *w = bpf_map_lookup_elem(&legacy, &zero);
            hits++;
            return (v ? *v : 0) + (w ? *w : 0) + limit;
        }
    "#;
    let Some(bytes) = compile(source) else { return };
    let object = load(&bytes).expect("loads");
    let flows = object.maps.iter().find(|m| m.name == "flows").expect("BTF map");
    assert_eq!(
        (flows.origin.clone(), flows.map_type, flows.key_size, flows.value_size, flows.max_entries),
        (MapOrigin::Btf, 1, 12, 8, 7)
    );
    let legacy = object.maps.iter().find(|m| m.name == "legacy").expect("legacy map");
    assert_eq!(
        (legacy.map_type, legacy.key_size, legacy.value_size, legacy.max_entries, legacy.flags),
        (2, 4, 16, 3, 8)
    );
    let rodata = object.maps.iter().position(|m| m.name == ".rodata").expect("rodata");
    let MapOrigin::Data { read_only: true, bytes } = &object.maps[rodata].origin else { panic!("read-only data") };
    assert!(bytes.chunks(4).any(|word| word == 5u32.to_le_bytes()), "{bytes:?}");

    let program = object.program("prog").expect("linked");
    let kinds: Vec<_> = program
        .program
        .insns()
        .iter()
        .filter_map(|d| match d.insn {
            Insn::Lddw { kind, imm, next_imm, .. } => Some((kind, object.maps[imm as usize].name.as_str(), next_imm)),
            _ => None,
        })
        .collect();
    assert!(kinds.contains(&(LddwKind::MapIdx, "flows", 0)), "{kinds:?}");
    assert!(kinds.contains(&(LddwKind::MapIdx, "legacy", 0)), "{kinds:?}");
    assert!(kinds.iter().any(|&(kind, name, _)| (kind, name) == (LddwKind::MapIdxValue, ".rodata")), "{kinds:?}");
    assert!(kinds.contains(&(LddwKind::MapIdxValue, ".bss", 0)), "{kinds:?}");
}

#[test]
fn callx_sites_list_address_taken_functions_and_lines_name_the_source() {
    let source = r#"
        typedef int (*fn_t)(int);
        static __attribute__((noinline)) int inc(int x) { return x + 1; }
        static __attribute__((noinline)) int dec(int x) { return x - 1; }
        static __attribute__((noinline)) int unused(int x) { return x; }
        SEC("xdp") int pick(void *ctx) {
            int v = *(volatile int *)ctx;
            fn_t f = v & 1 ? inc : dec;
            return f(v);
        }
    "#;
    let Some(bytes) = compile(source) else { return };
    let object = load(&bytes).expect("loads");
    let program = object.program("pick").expect("linked");
    let [site] = program.indirect_sites.as_slice() else { panic!("{:?}", program.indirect_sites) };
    let IndirectKind::Callx { functions, tables, .. } = &site.kind else { panic!("{site:?}") };
    let mut names: Vec<_> = functions.iter().map(|&f| program.program.function(f).name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["dec", "inc"]);
    assert!(tables.is_empty());
    let line = program.source_line(site.pc).expect("BTF line info");
    assert!(line.text.contains("f(v)"), "{line:?}");
    assert!(line.file.ends_with(".c"));
}

/// Loads `bytes` after `patch`, expecting an error: of the object, or else of its first
/// program that fails (a program's own fault fails only it).
fn load_patched(bytes: &[u8], patch: impl FnOnce(&mut Vec<u8>)) -> ElfError {
    let mut bytes = bytes.to_vec();
    patch(&mut bytes);
    match load(&bytes) {
        Err(error) => error,
        Ok(object) => object.failed_programs.first().expect("patched object must be rejected").error.clone(),
    }
}

#[test]
fn bad_headers_are_typed_errors() {
    let Some(bytes) = compile(TWO_PROGRAMS) else { return };
    let e = load(&bytes[..10]).expect_err("truncated");
    assert!(matches!(e.kind, ElfErrorKind::Truncated(_)) && e.section == FILE, "{e}");
    let e = load_patched(&bytes, |b| b[18] = 62);
    assert!(matches!(e.kind, ElfErrorKind::WrongMachine(_)) && e.offset == 18, "{e}");
    let e = load_patched(&bytes, |b| b[5] = 2);
    assert!(matches!(e.kind, ElfErrorKind::WrongMachine(_)), "{e}");
    let e = load_patched(&bytes, |b| b[4] = 1);
    assert!(matches!(e.kind, ElfErrorKind::WrongMachine(_)), "{e}");
    let e = load_patched(&bytes, |b| b.truncate(b.len() - 100));
    assert!(matches!(e.kind, ElfErrorKind::Malformed(_) | ElfErrorKind::Truncated(_)), "{e}");
}

#[test]
fn bad_code_and_relocations_name_section_and_offset() {
    let Some(bytes) = compile(TWO_PROGRAMS) else { return };
    // An undefined opcode in the second instruction of `xdp`.
    let (xdp, _) = section_range(&bytes, "xdp");
    let e = load_patched(&bytes, |b| b[xdp + 8] = 0xff);
    assert_eq!((e.section.as_str(), e.offset), ("xdp", 8), "{e}");
    assert!(matches!(e.kind, ElfErrorKind::Decode(_)), "{e}");
    // A relocation moved off its instruction boundary.
    let (rel, _) = section_range(&bytes, ".relxdp");
    let e = load_patched(&bytes, |b| b[rel] += 4);
    assert!(matches!(e.kind, ElfErrorKind::BadRelocation(_)) && e.section == "xdp", "{e}");
    // A relocation naming a symbol index past the table.
    let e = load_patched(&bytes, |b| b[rel + 12..rel + 16].copy_from_slice(&0x7fff_u32.to_le_bytes()));
    assert!(matches!(e.kind, ElfErrorKind::MissingSymbol(_)) && e.section == "xdp", "{e}");
}

#[test]
fn externs_and_unknown_sections_are_rejected() {
    let Some(bytes) = compile("extern int config; SEC(\"xdp\") int prog(void *ctx) { return config; }") else {
        return;
    };
    let e = load(&bytes).expect_err("undefined extern");
    assert!(matches!(&e.kind, ElfErrorKind::MissingSymbol(s) if s.contains("config")) && e.section == "xdp", "{e}");

    let Some(bytes) = compile("int knob SEC(\".mydata\") = 3; SEC(\"xdp\") int prog(void *ctx) { return knob; }")
    else {
        return;
    };
    let e = load(&bytes).expect_err("unknown section");
    assert!(matches!(&e.kind, ElfErrorKind::UnknownSection(s) if s.contains(".mydata")), "{e}");
}

#[test]
fn jump_tables_attach_to_their_loads_and_bad_entries_are_rejected() {
    let source = r#"
        SEC("xdp") int sw(unsigned char *ctx) {
            unsigned v = *(volatile unsigned *)ctx, r = ctx[4];
            switch (v) {
            case 0: r ^= 0x13; break; case 1: r += 7; break; case 2: r *= 3; break; case 3: r -= 5; break;
            case 4: r <<= 2; break; case 5: r >>= 1; break; case 6: r |= 0x40; break; case 7: r &= 0xff; break;
            case 8: r = r / 5; break; case 9: r = r / 3; break; case 10: r = ~r; break; case 11: r += 1000; break;
            case 12: r ^= 0xffff; break; case 13: r = r % 7; break;
            default: r = 0;
            }
            return r;
        }
    "#;
    let Some(bytes) = compile(source) else { return };
    let object = load(&bytes).expect("loads");
    let program = object.program("sw").expect("linked");
    let [(&load_pc, &table)] = program.program.table_loads().iter().collect::<Vec<_>>()[..] else {
        panic!("one table load")
    };
    assert_eq!(program.program.jump_tables()[table.0 as usize].targets.len(), 14);
    let [site] = program.indirect_sites.as_slice() else { panic!("one gotox") };
    assert!(site.pc > load_pc);
    assert!(matches!(&site.kind, IndirectKind::Gotox { tables, .. } if tables == &[table]), "{site:?}");

    let (tables, _) = section_range(&bytes, ".jumptables");
    let e = load_patched(&bytes, |b| b[tables] = 3);
    assert!(matches!(e.kind, ElfErrorKind::BadJumpTable(_)) && e.section == ".jumptables" && e.offset == 0, "{e}");
}

const KFUNCS: &str = r#"
#define __ksym __attribute__((section(".ksyms")))
extern int bpf_first(int a) __ksym;
extern int bpf_second(int a) __attribute__((weak)) __ksym;
extern int bpf_plain(int a);
static __attribute__((noinline)) int helper(int x) { return bpf_second(x) + bpf_plain(x); }
SEC("tc") int both(void *ctx) {
    int v = *(volatile int *)ctx;
    return bpf_first(v) + helper(v) + bpf_first(v + 1);
}
SEC("tc") int only_second(void *ctx) { return bpf_second(*(volatile int *)ctx); }
"#;

/// The kfunc calls of `program`, as (slot, btf_id, btf_obj).
fn kfunc_calls(program: &LoadedProgram) -> Vec<(usize, i32, i16)> {
    program
        .program
        .insns()
        .iter()
        .filter_map(|d| match d.insn {
            Insn::Call(CallTarget::Kfunc { btf_id, btf_obj }) => Some((d.pc, btf_id, btf_obj)),
            _ => None,
        })
        .collect()
}

#[test]
fn calls_of_extern_functions_become_kfunc_calls_with_program_local_ids() {
    let Some(bytes) = compile(KFUNCS) else { return };
    let object = load(&bytes).expect("externs that are only called load");

    // The code sections keep the file's unrelocated `call -0x1`s, each relocated against
    // its extern.
    let tc = object.code_sections.iter().find(|s| s.name == "tc").expect("tc section");
    let externs: Vec<&str> =
        tc.relocations.iter().filter(|r| r.target == RelocationTarget::Kfunc).map(|r| r.symbol.as_str()).collect();
    assert_eq!(externs, ["bpf_first", "bpf_first", "bpf_second"]);
    for relocation in tc.relocations.iter().filter(|r| r.target == RelocationTarget::Kfunc) {
        let d = tc.insns.iter().find(|d| d.pc == relocation.slot).expect("relocated instruction");
        assert_eq!(tc.objdump_text(d), "call -0x1");
    }

    // Ids in the order of first use: the program's own calls, then its subprogram's.
    let both = object.program("both").expect("linked");
    let names = both.kfuncs(&object);
    assert_eq!(
        names.iter().map(|(id, name)| (*id, name.as_str())).collect::<Vec<_>>(),
        [(1, "bpf_first"), (2, "bpf_second"), (3, "bpf_plain")]
    );
    let calls = kfunc_calls(both);
    let ids: Vec<i32> = calls.iter().map(|&(_, id, _)| id).collect();
    assert_eq!(ids, [1, 1, 2, 3]);
    assert!(calls.iter().all(|&(_, _, btf_obj)| btf_obj == 0));
    // The subprogram's calls are in the subprogram.
    let helper = both.program.functions().iter().find(|f| f.name == "helper").expect("linked");
    assert!(calls.iter().filter(|&&(_, id, _)| id >= 2).all(|&(pc, _, _)| (helper.entry..helper.end).contains(&pc)));

    // Another program numbers its own kfuncs.
    let only_second = object.program("only_second").expect("linked");
    assert_eq!(only_second.kfuncs(&object), BTreeMap::from([(1, "bpf_second".to_owned())]));
    assert_eq!(kfunc_calls(only_second).iter().map(|&(_, id, _)| id).collect::<Vec<_>>(), [1]);

    // The listing names the kfunc beside each call, and per program.
    let text = listing(&object, Some("tc")).expect("tc exists");
    assert_eq!(text.lines().filter(|l| l.ends_with("; kfunc bpf_first")).count(), 2, "{text}");
    assert!(text.lines().any(|l| l == "  kfunc bpf_second: called as kfunc btf id 2"), "{text}");
    // The subprogram's call is in `.text`.
    assert!(!text.contains("; kfunc bpf_plain"), "{text}");
    let text = listing(&object, None).expect("whole object");
    assert!(text.lines().any(|l| l.ends_with("; kfunc bpf_plain")), "{text}");
}

/// File offset of the symbol table entry of `name`.
fn symbol_entry(bytes: &[u8], name: &str) -> usize {
    let e = LittleEndian;
    let header = object::elf::FileHeader64::<LittleEndian>::parse(bytes).expect("valid ELF");
    let sections = header.sections(e, bytes).expect("section table");
    let symbols = sections.symbols(e, bytes, object::elf::SHT_SYMTAB).expect("symbol table");
    let (index, _) = symbols
        .enumerate()
        .find(|(_, s)| symbols.symbol_name(e, *s).is_ok_and(|n| n == name.as_bytes()))
        .unwrap_or_else(|| panic!("no symbol {name}"));
    let (symtab, _) = section_range(bytes, ".symtab");
    symtab + 24 * index.0
}

#[test]
fn undefined_symbols_used_other_than_by_calls_are_missing_symbols() {
    let externs = r#"
        #define __ksym __attribute__((section(".ksyms")))
        extern int bpf_first(int a) __ksym;
    "#;
    // The address of an extern function, loaded by `lddw`.
    let source = format!("{externs} SEC(\"xdp\") int addr(void *ctx) {{ return (long)&bpf_first; }}");
    let Some(bytes) = compile(&source) else { return };
    let e = load(&bytes).expect_err("an extern's address");
    assert!(matches!(&e.kind, ElfErrorKind::MissingSymbol(s) if s.contains("bpf_first")), "{e}");
    assert_eq!((e.section.as_str(), e.offset), ("xdp", 0), "{e}");

    // A function pointer to an extern in global data.
    let source = format!(
        "{externs} int (*hook)(int) = bpf_first;
        SEC(\"xdp\") int data(void *ctx) {{ return hook(1); }}"
    );
    let Some(bytes) = compile(&source) else { return };
    let e = load(&bytes).expect_err("an extern in data");
    assert!(matches!(&e.kind, ElfErrorKind::MissingSymbol(s) if s.contains("bpf_first")), "{e}");
    assert_eq!((e.section.as_str(), e.offset), (".data", 0), "{e}");

    // A call relocated against an undefined symbol that is not a function.
    let source = format!("{externs} SEC(\"xdp\") int call(void *ctx) {{ return bpf_first(1); }}");
    let Some(bytes) = compile(&source) else { return };
    assert!(load(&bytes).is_ok());
    let entry = symbol_entry(&bytes, "bpf_first");
    let e = load_patched(&bytes, |b| b[entry + 4] = (b[entry + 4] & 0xf0) | 1); // STT_OBJECT
    assert!(matches!(&e.kind, ElfErrorKind::MissingSymbol(s) if s.contains("bpf_first")), "{e}");
    assert_eq!((e.section.as_str(), e.offset), ("xdp", 8), "{e}");
    // ... or that is local.
    let e = load_patched(&bytes, |b| b[entry + 4] &= 0x0f); // STB_LOCAL
    assert!(matches!(&e.kind, ElfErrorKind::MissingSymbol(_)) && e.section == "xdp", "{e}");
}

#[test]
fn maps_larger_than_the_kernel_allows_are_rejected_naming_them() {
    let use_map = |map: &str| {
        format!(
            "SEC(\"tc\") int prog(void *skb) {{ u32 k = 0; char *v = bpf_map_lookup_elem(&{map}, &k); return v ? v[1] : 0; }}"
        )
    };
    let btf = "struct { __uint(type, 1); __uint(key_size, 4); __uint(value_size, 0x9f06799d); __uint(max_entries, 4); } \
               flows SEC(\".maps\");";
    let legacy = "struct bpf_map_def SEC(\"maps\") slots = { 2, 4, 0xfffffff0, 1, 0 };";
    let wide_key = "struct { __uint(type, 1); __uint(key_size, 0x400000); __uint(value_size, 8); __uint(max_entries, 4); } \
                    keys SEC(\".maps\");";
    for (definition, map, section) in [(btf, "flows", ".maps"), (legacy, "slots", "maps"), (wide_key, "keys", ".maps")]
    {
        let Some(bytes) = compile(&format!("{definition}\n{}", use_map(map))) else { return };
        let e = load(&bytes).expect_err("the kernel refuses such a map");
        assert!(
            matches!(&e.kind, ElfErrorKind::BadMap(s) if s.contains(&format!("map `{map}`"))) && e.section == section,
            "{e}"
        );
    }
}

#[test]
fn objects_of_old_llvm_without_a_machine_load() {
    let Some(mut bytes) = compile("SEC(\"xdp\") int prog(void *ctx) { return 2; }") else { return };
    bytes[18..20].copy_from_slice(&0u16.to_le_bytes());
    let object = load(&bytes).expect("EM_NONE is accepted, as libbpf does");
    assert!(object.program("prog").is_some());
    bytes[18..20].copy_from_slice(&62u16.to_le_bytes());
    let e = load(&bytes).expect_err("x86-64 objects are not eBPF");
    assert!(matches!(e.kind, ElfErrorKind::WrongMachine(_)) && e.offset == 18, "{e}");
}

const USE_OUTER: &str = r#"
SEC("xdp") int prog(void *ctx) {
    u32 k = 0;
    void *inner = bpf_map_lookup_elem(&outer, &k);
    if (!inner) return 0;
    u64 *v = bpf_map_lookup_elem(inner, &k);
    return v ? *v : 1;
}
"#;

#[test]
fn legacy_definitions_of_every_size_take_the_known_prefix() {
    // 16 bytes (no flags), 20 (libbpf), 24 with a zero tail, and samples/bpf's 28 with an
    // inner map template.
    let source = r#"
        struct def16 { u32 type, key_size, value_size, max_entries; };
        struct def24 { u32 type, key_size, value_size, max_entries, map_flags, pad; };
        struct def28 { u32 type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node; };
        struct def16 SEC("maps") short_def = { 2, 4, 8, 4 };
        struct def24 SEC("maps") padded = { 1, 4, 8, 4, 0, 0 };
    "#;
    let Some(bytes) = compile(&format!(
        "{source}\nSEC(\"xdp\") int prog(void *c) {{ u32 k = 0; return bpf_map_lookup_elem(&short_def, &k) != 0; }}"
    )) else {
        return;
    };
    let object = load(&bytes).expect("loads");
    let shapes: Vec<_> =
        object.maps.iter().map(|m| (m.name.as_str(), m.map_type, m.key_size, m.value_size, m.flags)).collect();
    assert!(shapes.contains(&("short_def", 2, 4, 8, 0)) && shapes.contains(&("padded", 1, 4, 8, 0)), "{shapes:?}");

    let samples = r#"
        struct def28 { u32 type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node; };
        struct def28 SEC("maps") inner = { 2, 4, 8, 1, 0, 0, 0 };
        struct def28 SEC("maps") outer = { 12, 4, 4, 2, 0, 0, 0 };
    "#;
    let Some(bytes) = compile(&format!("{samples}\n{USE_OUTER}")) else { return };
    let object = load(&bytes).expect("loads");
    let id = |name: &str| object.maps.iter().position(|m| m.name == name).map(|i| MapId(i as u32));
    let outer = &object.maps[id("outer").expect("outer").0 as usize];
    assert_eq!(outer.extras.inner, id("inner"), "inner_map_idx 0 names `inner`");

    let unknown = "struct def24 { u32 type, key_size, value_size, max_entries, map_flags, pad; };\n\
                   struct def24 SEC(\"maps\") odd = { 2, 4, 8, 4, 0, 7 };\n\
                   SEC(\"xdp\") int prog(void *c) { u32 k = 0; return bpf_map_lookup_elem(&odd, &k) != 0; }";
    let Some(bytes) = compile(unknown) else { return };
    let e = load(&bytes).expect_err("libbpf refuses unknown non-zero bytes");
    assert!(matches!(&e.kind, ElfErrorKind::BadMap(s) if s.contains("`odd`") && s.contains("non-zero")), "{e}");
    assert_eq!((e.section.as_str(), e.offset), ("maps", 20));
}

#[test]
fn iproute2_maps_in_maps_name_their_template_by_id() {
    let source = r#"
        struct bpf_elf_map { u32 type, size_key, size_value, max_elem, flags, id, pinning, inner_id, inner_idx; };
        struct bpf_elf_map SEC("maps") inner = { 2, 4, 8, 1, 0, 42, 0, 0, 1 };
        struct bpf_elf_map SEC("maps") outer = { 12, 4, 4, 2, 0, 0, 0, 42, 0 };
    "#;
    let Some(bytes) = compile(&format!("{source}\n{USE_OUTER}")) else { return };
    let object = load(&bytes).expect("loads");
    let outer = object.maps.iter().find(|m| m.name == "outer").expect("outer");
    let inner = object.maps.iter().position(|m| m.name == "inner").map(|i| MapId(i as u32));
    assert_eq!(outer.extras.inner, inner);
    assert_eq!(outer.extras.initial_maps, vec![(1, inner.expect("inner"))], "the template sits at its inner_idx");
}

const BTF_MAP_IN_MAP: &str = r#"
#define __array(name, val) typeof(val) *name[]
struct inner_map { __uint(type, 2); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } inner_a SEC(".maps"), inner_b SEC(".maps");
struct {
    __uint(type, 12); __uint(max_entries, 4); __type(key, u32); __type(value, u32);
    __array(values, struct inner_map);
} outer SEC(".maps") = { .values = { [0] = &inner_a, [3] = &inner_b } };
"#;

#[test]
fn btf_maps_in_maps_have_a_template_and_initial_inner_maps() {
    let Some(bytes) = compile(&format!("{BTF_MAP_IN_MAP}\n{USE_OUTER}")) else { return };
    let object = load(&bytes).expect("loads");
    let id = |name: &str| object.maps.iter().position(|m| m.name == name).map(|i| MapId(i as u32)).expect(name);
    let outer = &object.maps[id("outer").0 as usize];
    let template = &object.maps[outer.extras.inner.expect("a template").0 as usize];
    assert_eq!(
        (template.name.as_str(), template.map_type, template.key_size, template.value_size),
        ("outer.inner", 2, 4, 8)
    );
    assert!(template.extras.template);
    assert_eq!(outer.extras.initial_maps, vec![(0, id("inner_a")), (3, id("inner_b"))]);

    // An initial inner map that does not match the template is refused.
    let mismatched = BTF_MAP_IN_MAP.replace("inner_a SEC(\".maps\"), inner_b SEC(\".maps\");", "inner_a SEC(\".maps\");\n\
        struct { __uint(type, 2); __uint(max_entries, 1); __type(key, u32); __type(value, u32); } inner_b SEC(\".maps\");")
        .replace("[3] = &inner_b", "[3] = (void *)&inner_b");
    let Some(bytes) = compile(&format!("{mismatched}\n{USE_OUTER}")) else { return };
    let e = load(&bytes).expect_err("inner_b's value is 4 bytes, the template's 8");
    assert!(matches!(&e.kind, ElfErrorKind::BadMap(s) if s.contains("`inner_b` at slot 3")), "{e}");
}

#[test]
fn a_map_of_maps_without_template_is_refused() {
    let source = "struct bpf_map_def SEC(\"maps\") outer = { 12, 4, 4, 2, 0 };";
    let Some(bytes) = compile(&format!("{source}\n{USE_OUTER}")) else { return };
    let e = load(&bytes).expect_err("no inner_map_idx in libbpf's layout");
    assert!(matches!(&e.kind, ElfErrorKind::BadMap(s) if s.contains("no inner map template")), "{e}");
}

#[test]
fn global_functions_of_text_become_programs_only_when_asked() {
    let source = r#"
        static __attribute__((noinline)) int helper(int x) { return x + 1; }
        int filter(void *ctx) { return helper(*(int *)ctx); }
        int other(void *ctx) { return 0; }
    "#;
    let Some(bytes) = compile(source) else { return };
    let object = load(&bytes).expect("loads");
    assert!(object.programs.is_empty(), "libbpf's rule: `.text` holds subprograms");
    let object = load_with_text_programs(&bytes).expect("loads");
    let mut names: Vec<_> = object.programs.iter().map(|p| (p.section.as_str(), p.name.as_str())).collect();
    names.sort();
    assert_eq!(names, [(".text", "filter"), (".text", "other")], "the static helper stays a subprogram");
    let filter = object.program("filter").expect("linked");
    assert_eq!(filter.program.functions().len(), 2, "with the subprogram it calls");
}

const BTF_PROG_ARRAY: &str = r#"
#define __array(name, val) typeof(val) *name[]
int first(void *ctx);
int second(void *ctx);
struct inner_map { __uint(type, 2); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } inner SEC(".maps");
struct {
    __uint(type, 3); __uint(max_entries, 4); __uint(key_size, 4);
    __array(values, int (void *));
} jumps SEC(".maps") = { .values = { [0] = (void *)&second, [2] = (void *)&first } };
struct {
    __uint(type, 12); __uint(max_entries, 2); __type(key, u32);
    __array(values, struct inner_map);
} outer SEC(".maps") = { .values = { [1] = &inner } };
static long (*bpf_tail_call)(void *ctx, void *map, u32 index) = (void *)12;
SEC("socket") int first(void *ctx) { bpf_tail_call(ctx, &jumps, 0); return bpf_map_lookup_elem(&outer, &(u32){0}) != 0; }
SEC("socket") int second(void *ctx) { return 2; }
"#;

#[test]
fn btf_program_arrays_bind_their_initial_slots_to_programs() {
    let Some(bytes) = compile(BTF_PROG_ARRAY) else { return };
    let object = load(&bytes).expect("loads");
    let id = |name: &str| object.maps.iter().position(|m| m.name == name).map(|i| MapId(i as u32)).expect(name);
    let jumps = &object.maps[id("jumps").0 as usize];
    assert_eq!(jumps.value_size, 4, "libbpf gives `values` 4-byte values");
    assert_eq!(jumps.extras.initial_programs, vec![(0, "second".to_owned()), (2, "first".to_owned())]);
    assert_eq!(jumps.extras.inner, None);
    let outer = &object.maps[id("outer").0 as usize];
    assert_eq!(outer.extras.initial_maps, vec![(1, id("inner"))], "relocations of a later map stay its own");
    assert!(outer.extras.initial_programs.is_empty());

    // A program array slot past `max_entries` is refused, naming the map.
    let Some(bytes) = compile(&BTF_PROG_ARRAY.replace("[2] = (void *)&first", "[4] = (void *)&first")) else { return };
    let e = load(&bytes).expect_err("slot 4 of a 4-entry array");
    assert!(matches!(&e.kind, ElfErrorKind::BadRelocation(s) if s.contains("past the end of `jumps`")), "{e}");
    // A map in a program array is refused.
    let Some(bytes) = compile(&BTF_PROG_ARRAY.replace("[2] = (void *)&first", "[2] = (void *)&inner")) else { return };
    let e = load(&bytes).expect_err("a map is no program");
    assert!(
        matches!(&e.kind, ElfErrorKind::BadRelocation(s) if s.contains("`inner` in program array `jumps` is not a program")),
        "{e}"
    );
    // A subprogram of `.text` is no entry point.
    let with_subprogram = BTF_PROG_ARRAY
        .replace("[2] = (void *)&first", "[2] = (void *)&helper")
        .replace("int first(void *ctx);", "int first(void *ctx); int helper(void *ctx);")
        + "__attribute__((noinline)) int helper(void *ctx) { return 1; }";
    let Some(bytes) = compile(&with_subprogram) else { return };
    let e = load(&bytes).expect_err("`helper` is a subprogram");
    assert!(matches!(&e.kind, ElfErrorKind::BadRelocation(s) if s.contains("`helper` is not a program")), "{e}");
}

#[test]
fn a_malformed_program_fails_alone() {
    // In one section: a program that decodes (mov64 with src_reg 15), one whose jump
    // leaves it, and a good one between them.
    let source = r#"
        SEC("socket") __attribute__((naked)) int bad_decode(void) { asm volatile (".quad 0x000000000000f2bf\n exit"); }
        SEC("socket") int good(void *ctx) { return 1; }
        SEC("socket") __attribute__((naked)) int bad_jump(void) { asm volatile (".quad 0x0000000000050005\n r0 = 0\n exit"); }
    "#;
    let Some(bytes) = compile(source) else { return };
    let object = load(&bytes).expect("the good program loads");
    let names: Vec<_> = object.programs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["good"]);
    let failed = |name: &str| &object.failed_program(name).expect(name).error;
    assert!(matches!(failed("bad_decode").kind, ElfErrorKind::Decode(_)), "{}", failed("bad_decode"));
    assert_eq!((failed("bad_decode").section.as_str(), failed("bad_decode").offset), ("socket", 0));
    assert!(matches!(&failed("bad_jump").kind, ElfErrorKind::BadControlFlow(s) if s.contains("leaves `bad_jump`")));
    assert_eq!(object.failed_programs.len(), 2);
}

#[test]
fn ulong_map_fields_are_read_from_their_enum() {
    // libbpf's `__ulong(name, value)`: an enum member whose one enumerator is the value.
    let source = r#"
        #define __ulong(name, val) enum { __unique_##name = val } name
        struct { __uint(type, 33); __uint(max_entries, 2); __uint(map_flags, 1024); __ulong(map_extra, 1ull << 44); } arena SEC(".maps");
        SEC("xdp") int prog(void *ctx) { return 2; }
    "#;
    let Some(bytes) = compile(source) else { return };
    let object = load(&bytes).expect("loads");
    let arena = object.maps.iter().find(|m| m.name == "arena").expect("arena");
    assert_eq!(arena.extras.map_extra, 1 << 44);
}

#[test]
fn arena_globals_load_as_the_arena_maps_last_pages() {
    // `__arena` globals live in `.addr_space.1`; libbpf puts them in the arena's last pages
    // and relocates their loads to the arena map's value at that offset.
    let source = r#"
        struct { __uint(type, 33); __uint(max_entries, 4); __uint(map_flags, 1024); } arena SEC(".maps");
        int __attribute__((address_space(1))) counter = 5;
        SEC("syscall") int prog(void *ctx) { return counter; }
    "#;
    let Some(bytes) = compile(source) else { return };
    let object = load(&bytes).expect("loads");
    let (index, arena) = object.maps.iter().enumerate().find(|(_, m)| m.name == "arena").expect("arena");
    assert_eq!(arena.extras.arena_globals, 5u32.to_le_bytes());
    let loads: Vec<_> = object.programs[0]
        .program
        .insns()
        .iter()
        .filter_map(|d| match d.insn {
            Insn::Lddw { kind: LddwKind::MapIdxValue, imm, next_imm, .. } => Some((imm, next_imm)),
            _ => None,
        })
        .collect();
    assert_eq!(loads, [(index as i32, 3 * 4096)]);
}

#[test]
fn arena_globals_without_an_arena_are_refused() {
    let source = r#"
        int __attribute__((address_space(1))) counter = 5;
        SEC("syscall") int prog(void *ctx) { return counter; }
    "#;
    let Some(bytes) = compile(source) else { return };
    let error = load(&bytes).expect_err("no arena map");
    assert!(matches!(&error.kind, ElfErrorKind::BadMap(s) if s.contains("no arena map")), "{error}");
}
