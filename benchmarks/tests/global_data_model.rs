//! The global-data model on real objects: a `.bss` variable typed as a function pointer
//! holds NULL or a subprogram of the same prototype, whatever user space writes.

mod common;

use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
use bpfprove_benchmarks::corpus::Cpu;
use bpfprove_domains::DomainKind;
use bpfprove_semantics::elf::MapOrigin;

#[test]
fn function_pointer_variables_list_the_functions_of_their_prototype() {
    if !common::tools_present() {
        return;
    }
    let object = common::load_object(Cpu::V3, "callx");
    let bss = object.maps.iter().find(|m| m.section == ".bss").expect("callx.o has a .bss");
    assert!(matches!(bss.origin, MapOrigin::Data { read_only: false, .. }));
    // `static handler_fn installed_handler;` takes `int (struct xdp_md *, u32)`.
    let slots: Vec<_> = bss.function_pointer_variables.values().collect();
    assert_eq!(slots.len(), 1, "{:?}", bss.function_pointer_variables);
    assert!(slots[0].iter().any(|name| name == "handle_tx"), "{slots:?}");
    assert!(!slots[0].iter().any(|name| name == "callx_global"), "a program's own function takes one argument");
}

#[test]
fn a_global_function_pointer_is_safe_to_call_after_a_null_check_only() {
    if !common::tools_present() {
        return;
    }
    let verdict = |object: &str, function: &str| {
        let object = common::load_object(Cpu::V3, object);
        let loaded = object.programs.iter().find(|p| p.name == function).expect("program in the object");
        let subject = Subject::from_object(&object, loaded).expect("an xdp program");
        Verifier::new(Config::standard(DomainKind::Product)).verify(&subject).verdict
    };
    assert_eq!(verdict("callx", "callx_global"), Verdict::Pass);
    assert_eq!(verdict("unsafe_control", "callx_global_nocheck"), Verdict::Fail);
}
