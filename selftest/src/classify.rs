//! Why a test disagrees, as one category read off its first failure, and which rule a
//! PASS on a test that expects failure breaks.
//!
//! The categories point at the part of the kernel model that needs work; they come from
//! bpfprove's own messages (the first failed obligation or the load error), never from the
//! kernel's.

use std::fmt;

use crate::outcome::{Disagreement, Got, RetvalCheck, TestOutcome};

/// What a disagreement is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The ELF object does not load (an instruction, relocation or section the loader refuses).
    ElfLoad,
    /// The section names a program type bpfprove does not model.
    UnsupportedProgramType,
    /// A helper that is unknown or not available to the program type.
    Helper,
    /// A kfunc that is unknown or not available.
    Kfunc,
    /// A map kind or map operation bpfprove does not model.
    MapKind,
    /// Map handles: a register that should hold one map (or one of a set) holds anything.
    MapHandle,
    /// Packet metadata (`data_meta`).
    DataMeta,
    /// References, locks and RCU sections (acquire/release pairs).
    ReferenceTracking,
    /// A rule that depends on privilege (uninitialised stack, returning or storing pointers,
    /// pointer comparisons, ...).
    PrivilegedRule,
    /// Context field access rules.
    ContextAccess,
    /// Helper or kfunc argument kinds.
    HelperArgument,
    /// Loops: termination not proven.
    Termination,
    /// An obligation bpfprove could not decide (`unknown`): the domain is too coarse.
    Precision,
    /// An obligation bpfprove refutes although the kernel accepts the program.
    Refuted,
    /// A budget (time, visits, contexts) ran out.
    Budget,
    /// The interpreter's run returned another value, or trapped.
    Retval,
    /// bpfprove PASSes a program the kernel refuses for memory safety.
    AcceptsUnsafe,
    /// bpfprove PASSes a program the kernel refuses for a policy (not memory safety).
    AcceptsPolicyViolation,
}

impl Reason {
    /// Every reason, in the order reports list them.
    pub const ALL: [Reason; 18] = [
        Reason::ElfLoad,
        Reason::UnsupportedProgramType,
        Reason::Helper,
        Reason::Kfunc,
        Reason::MapKind,
        Reason::MapHandle,
        Reason::DataMeta,
        Reason::ReferenceTracking,
        Reason::PrivilegedRule,
        Reason::ContextAccess,
        Reason::HelperArgument,
        Reason::Termination,
        Reason::Precision,
        Reason::Refuted,
        Reason::Budget,
        Reason::Retval,
        Reason::AcceptsUnsafe,
        Reason::AcceptsPolicyViolation,
    ];

    /// The kebab-case name the known-failures file uses.
    pub fn name(self) -> &'static str {
        match self {
            Reason::ElfLoad => "elf-load",
            Reason::UnsupportedProgramType => "unsupported-program-type",
            Reason::Helper => "helper",
            Reason::Kfunc => "kfunc",
            Reason::MapKind => "map-kind",
            Reason::MapHandle => "map-handle",
            Reason::DataMeta => "data-meta",
            Reason::ReferenceTracking => "reference-tracking",
            Reason::PrivilegedRule => "privileged-rule",
            Reason::ContextAccess => "context-access",
            Reason::HelperArgument => "helper-argument",
            Reason::Termination => "termination",
            Reason::Precision => "precision",
            Reason::Refuted => "refuted",
            Reason::Budget => "budget",
            Reason::Retval => "retval",
            Reason::AcceptsUnsafe => "accepts-unsafe",
            Reason::AcceptsPolicyViolation => "accepts-policy-violation",
        }
    }

    /// The reason named `name`.
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The reason of a disagreeing test (`None` when it agrees).
pub fn reason(test: &TestOutcome) -> Option<Reason> {
    Some(match test.disagreement()? {
        Disagreement::PassOnExpectedFailure => match rule_broken(test) {
            Rule::MemorySafety => Reason::AcceptsUnsafe,
            Rule::KernelPolicy => Reason::AcceptsPolicyViolation,
        },
        Disagreement::Retval => Reason::Retval,
        Disagreement::LoadErrorOnExpectedSuccess | Disagreement::LoadErrorOnExpectedFailure => {
            load_error_reason(test.got.detail())
        }
        Disagreement::FailOnExpectedSuccess => failure_reason(test.got.detail()),
    })
}

fn load_error_reason(detail: &str) -> Reason {
    if detail.contains("names no program type") || detail.contains("unknown program type") {
        Reason::UnsupportedProgramType
    } else if detail.contains("map type") || detail.contains("map kind") {
        Reason::MapKind
    } else {
        Reason::ElfLoad
    }
}

/// Reads `pc N: KIND STATUS: DETAIL` (or `budget: ...`).
fn failure_reason(first: &str) -> Reason {
    if first.starts_with("budget:") {
        return Reason::Budget;
    }
    let rest = first.split_once(": ").map_or(first, |(_, rest)| rest);
    let (head, detail) = rest.split_once(": ").unwrap_or((rest, ""));
    let mut words = head.split_whitespace();
    let (kind, status) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let detail_has = |needle: &str| detail.contains(needle);
    if detail_has("data_meta") || detail_has("meta") && kind == "packet-bounds" {
        return Reason::DataMeta;
    }
    match kind {
        "call" if detail_has("kfunc") => Reason::Kfunc,
        "call" if detail_has("helper") => Reason::Helper,
        "helper-argument" if detail_has("map kind") || detail_has("map type") => Reason::MapKind,
        _ if detail_has("is not a map") || detail_has("map handle") => Reason::MapHandle,
        "helper-argument" => Reason::HelperArgument,
        "resources" => Reason::ReferenceTracking,
        "uninit-stack" => Reason::PrivilegedRule,
        "return-range" if detail_has("returns an address") => Reason::PrivilegedRule,
        "pointer-arithmetic" if detail_has("leak") || detail_has("compar") => Reason::PrivilegedRule,
        "ctx-access" => Reason::ContextAccess,
        "termination" => Reason::Termination,
        _ if status == "unknown" => Reason::Precision,
        _ => Reason::Refuted,
    }
}

/// The kind of rule a program that the kernel refuses breaks, as its expected messages tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Memory safety: an access out of bounds, through a non-pointer or NULL, of
    /// uninitialised data, or a bad pointer handed to the kernel. The default when the
    /// messages say nothing recognisable: an unexplained PASS is presumed unsafe.
    MemorySafety,
    /// A kernel policy that is not memory safety (privilege, return codes, loops, program
    /// size, references leaked, helpers not allowed here).
    KernelPolicy,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::MemorySafety => "memory safety",
            Rule::KernelPolicy => "kernel policy",
        })
    }
}

/// Verifier messages that name a policy rather than an unsafe access (substrings of the
/// kernel's wording, matched case-insensitively): privilege, return values, loops, program
/// and stack size, reference leaks, helper availability, alignment (x86-64 needs none),
/// division by a constant zero (defined in eBPF), pointer offsets beyond the kernel's
/// arithmetic limit, map access flags user space chose, helpers that may not take packet
/// pointers.
const POLICY_MESSAGES: &[&str] = &[
    "leaks addr",
    "pointer comparison prohibited",
    "pointer arithmetic prohibited",
    "pointer arithmetic on",
    "at program exit the register r0",
    "should have been in",
    "infinite loop",
    "back-edge",
    "loop detected",
    "unreleased reference",
    "reference has not been acquired",
    "bpf_exit instruction",
    "cannot call",
    "unknown func",
    "program of this type cannot use helper",
    "not allowed",
    "combined stack size",
    "too many",
    "jump out of range",
    "sleepable",
    "rcu",
    "lock",
    "tail_call",
    "attach",
    "btf",
    "the call stack of",
    "last insn is not",
    "unreachable insn",
    "is not allowed",
    "div by zero",
    "too large",
    "only allowed in functions",
    "is not pointing to valid bpf_map",
    "same insn cannot be used with different pointers",
    "misaligned",
    "subtraction from stack pointer",
    "pointer be out of bounds",
    "map forbidden",
    "helper access to the packet",
];

/// The rule a test that expects failure is about (its `__msg`s decide; see [`Rule`]).
pub fn rule_broken(test: &TestOutcome) -> Rule {
    let policy = test.expectation.messages.iter().any(|message| {
        let lower = message.to_lowercase();
        POLICY_MESSAGES.iter().any(|p| lower.contains(p))
    });
    if policy { Rule::KernelPolicy } else { Rule::MemorySafety }
}

/// One line of detail for a disagreement: the first failure, the load error, or the run.
pub fn detail(test: &TestOutcome) -> String {
    match (&test.got, &test.retval) {
        (Got::Pass, Some(RetvalCheck::Mismatch { expected, r0 })) => {
            format!("retval: expected {expected}, interpreter returned {} ({r0:#x})", *r0 as u32 as i32)
        }
        (Got::Pass, Some(RetvalCheck::Trapped(trap))) => format!("retval run trapped: {trap}"),
        (Got::Pass, _) => match test.expectation.messages.first() {
            Some(message) => format!("kernel expects: {message}"),
            None => String::new(),
        },
        (got, _) => got.detail().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::{Expected, ModeExpectation};
    use crate::outcome::TestId;

    fn outcome(expected: Expected, got: Got, messages: &[&str]) -> TestOutcome {
        TestOutcome {
            id: TestId { object: "o".into(), program: "p".into() },
            section: "socket".into(),
            expectation: ModeExpectation {
                expected,
                messages: messages.iter().map(|m| m.to_string()).collect(),
                retval: None,
            },
            got,
            retval: None,
            kernel: None,
        }
    }

    fn failing(first: &str) -> TestOutcome {
        outcome(Expected::Success, Got::Fail { first: first.into() }, &[])
    }

    #[test]
    fn agreeing_tests_have_no_reason() {
        assert_eq!(reason(&outcome(Expected::Success, Got::Pass, &[])), None);
        assert_eq!(reason(&outcome(Expected::Failure, Got::Fail { first: "pc 0: x refuted: y".into() }, &[])), None);
    }

    #[test]
    fn failures_are_sorted_by_their_first_obligation() {
        let cases = [
            ("pc 3: call refuted: unknown helper 84", Reason::Helper),
            ("pc 3: call refuted: unknown kfunc `bpf_cpumask_create`", Reason::Kfunc),
            (
                "pc 8: helper-argument refuted: map_lookup_elem argument 1 (r1): map kind Some(Unsupported) is not accepted",
                Reason::MapKind,
            ),
            ("pc 8: helper-argument refuted: tail_call argument 2 (r2): any is not a map", Reason::MapHandle),
            (
                "pc 8: helper-argument unknown: probe_read_kernel argument 2 (r2): size in [0, 8]",
                Reason::HelperArgument,
            ),
            ("pc 2: resources refuted: reference 1 is not released", Reason::ReferenceTracking),
            ("pc 2: uninit-stack unknown: 0 of 1 possible 8-byte reads", Reason::PrivilegedRule),
            ("pc 9: return-range refuted: r0 returns an address (stack0+0)", Reason::PrivilegedRule),
            ("pc 9: return-range refuted: r0 in [55, 55], allowed [0, 4]", Reason::Refuted),
            ("pc 1: ctx-access refuted: 0 of 1 offsets in [168, 168]", Reason::ContextAccess),
            ("pc 4: termination unknown: no bound found within 4096 iterations", Reason::Termination),
            ("pc 4: map-bounds unknown: offsets [0, 4294967315] + 8 of a 48-byte value", Reason::Precision),
            ("pc 4: packet-bounds unknown: data_meta + 4 beyond data", Reason::DataMeta),
            ("budget: time limit of 20 s", Reason::Budget),
        ];
        for (first, expected) in cases {
            assert_eq!(reason(&failing(first)), Some(expected), "{first}");
        }
    }

    #[test]
    fn load_errors_are_sorted_by_what_failed() {
        let load = |detail: &str| outcome(Expected::Success, Got::LoadError(detail.into()), &[]);
        assert_eq!(
            reason(&load("section `lsm/x` names no program type the analyzer knows")),
            Some(Reason::UnsupportedProgramType)
        );
        assert_eq!(
            reason(&load("cannot load the ELF object: .text+0x2a0: pc 4: unknown opcode 0xe5")),
            Some(Reason::ElfLoad)
        );
        let failure = outcome(Expected::Failure, Got::LoadError("cannot load the ELF object: x".into()), &[]);
        assert_eq!(failure.disagreement(), Some(Disagreement::LoadErrorOnExpectedFailure));
    }

    #[test]
    fn a_pass_on_an_expected_failure_names_the_rule() {
        let pass = |messages: &[&str]| outcome(Expected::Failure, Got::Pass, messages);
        assert_eq!(rule_broken(&pass(&["invalid access to packet"])), Rule::MemorySafety);
        assert_eq!(rule_broken(&pass(&["R0 leaks addr as return value"])), Rule::KernelPolicy);
        assert_eq!(rule_broken(&pass(&["Unreleased reference id=2"])), Rule::KernelPolicy);
        // Without a message nothing excuses it: presumed unsafe.
        assert_eq!(rule_broken(&pass(&[])), Rule::MemorySafety);
        assert_eq!(reason(&pass(&[])), Some(Reason::AcceptsUnsafe));
        assert_eq!(reason(&pass(&["div by zero"])), Some(Reason::AcceptsPolicyViolation));
    }

    #[test]
    fn reason_names_round_trip() {
        for reason in Reason::ALL {
            assert_eq!(Reason::from_name(reason.name()), Some(reason));
        }
        assert_eq!(Reason::from_name("no-such-reason"), None);
    }
}
