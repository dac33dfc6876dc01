//! What a selftest program expects, read from the BTF declaration tags its source put on
//! the program's function (`comment:test_expect_failure`, `comment:test_retval=7`, ...).
//!
//! The rules follow the kernel's test loader: a program with no tag at all expects success
//! when loaded privileged; a tag of the unprivileged family alone means the program is
//! tested unprivileged only; `__retval` asks for a test run after a successful load.

use std::fmt;

use crate::error::AnnotationError;

/// Every tag this module reads starts with this.
const PREFIX: &str = "comment:";

/// `POINTER_VALUE` of the kernel's test loader: a retval that matches any value.
const POINTER_VALUE: &str = "POINTER_VALUE";
/// `TEST_DATA_LEN`: the size of the packet a test run gets.
pub const TEST_DATA_LEN: u32 = 64;

/// The verdict a mode expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// The verifier accepts the program.
    Success,
    /// The verifier refuses the program.
    Failure,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Success => "success",
            Expected::Failure => "failure",
        })
    }
}

/// The value a test run must return (compared on its low 32 bits, as the kernel reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retval {
    /// Exactly this 32-bit value.
    Value(i32),
    /// Any value (`POINTER_VALUE`: the program returns a pointer).
    Any,
}

impl Retval {
    /// Whether a run that returned `r0` meets this expectation.
    pub fn accepts(self, r0: u64) -> bool {
        match self {
            Retval::Value(expected) => r0 as u32 == expected as u32,
            Retval::Any => true,
        }
    }
}

impl fmt::Display for Retval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retval::Value(value) => write!(f, "{value}"),
            Retval::Any => f.write_str(POINTER_VALUE),
        }
    }
}

/// What one mode (privileged or unprivileged) expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeExpectation {
    /// The verdict.
    pub expected: Expected,
    /// Substrings the kernel's verifier log must contain, in order.
    pub messages: Vec<String>,
    /// The value a test run must return, when the test asks for a run.
    pub retval: Option<Retval>,
}

impl ModeExpectation {
    fn success() -> ModeExpectation {
        ModeExpectation { expected: Expected::Success, messages: Vec::new(), retval: None }
    }
}

/// A machine architecture a test may be restricted to (`__arch_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// `X86_64`.
    X86_64,
    /// `ARM64`.
    Arm64,
    /// `RISCV64`.
    Riscv64,
}

impl Arch {
    /// The architecture bpfprove's JIT and the test runs stand for.
    pub const HOST: Arch = Arch::X86_64;

    fn parse(name: &str) -> Option<Arch> {
        match name {
            "X86_64" => Some(Arch::X86_64),
            "ARM64" => Some(Arch::Arm64),
            "RISCV64" => Some(Arch::Riscv64),
            _ => None,
        }
    }
}

/// Everything a program's tags say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// The privileged expectation, when the program is tested privileged.
    pub privileged: Option<ModeExpectation>,
    /// The unprivileged expectation, when the program is tested unprivileged.
    pub unprivileged: Option<ModeExpectation>,
    /// `__auxiliary`: not a test, only a callee or tail-call target of others.
    pub auxiliary: bool,
    /// `__description`.
    pub description: Option<String>,
    /// `__log_level`.
    pub log_level: Option<i32>,
    /// `__flag(...)`, as written (`BPF_F_STRICT_ALIGNMENT`, `!BPF_F_...`, or a number).
    pub flags: Vec<String>,
    /// `__arch_*`: the architectures the test is for (empty: all).
    pub arches: Vec<Arch>,
}

impl Expectation {
    /// Reads the tags of one function, in the order the BTF lists them. Tags that are not
    /// test annotations (no `comment:` prefix, or annotations that concern the JIT's or the
    /// rewriter's output) are ignored.
    pub fn from_tags<S: AsRef<str>>(tags: &[S]) -> Result<Expectation, AnnotationError> {
        let mut expectation = Expectation::default();
        let mut privileged_mentioned = false;
        for tag in tags {
            let tag = tag.as_ref();
            let Some(body) = tag.strip_prefix(PREFIX) else { continue };
            let (key, value) = match body.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (body, None),
            };
            let bad = |reason: &str| AnnotationError { tag: tag.to_owned(), reason: reason.to_owned() };
            match (key, value) {
                ("test_expect_success", None) => privileged(&mut expectation).expected = Expected::Success,
                ("test_expect_failure", None) => privileged(&mut expectation).expected = Expected::Failure,
                ("test_expect_msg", Some(value)) => {
                    privileged(&mut expectation).messages.push(numbered_message(value, &bad)?)
                }
                ("test_retval", Some(value)) => privileged(&mut expectation).retval = Some(parse_retval(value, &bad)?),
                ("test_auxiliary", None) => {
                    expectation.auxiliary = true;
                    privileged_mentioned = true;
                }
                ("test_expect_success_unpriv", None) => unprivileged(&mut expectation).expected = Expected::Success,
                ("test_expect_failure_unpriv", None) => unprivileged(&mut expectation).expected = Expected::Failure,
                ("test_expect_msg_unpriv", Some(value)) => {
                    let message = numbered_message(value, &bad)?;
                    unprivileged(&mut expectation).messages.push(message);
                }
                ("test_retval_unpriv", Some(value)) => {
                    unprivileged(&mut expectation).retval = Some(parse_retval(value, &bad)?);
                }
                ("test_auxiliary_unpriv", None) => {
                    expectation.auxiliary = true;
                    unprivileged(&mut expectation);
                }
                ("test_description", Some(value)) => expectation.description = Some(value.to_owned()),
                ("test_log_level", Some(value)) => {
                    expectation.log_level = Some(value.parse().map_err(|_| bad("log level is not a number"))?);
                }
                ("test_prog_flags", Some(value)) => expectation.flags.push(value.to_owned()),
                ("test_arch", Some(value)) => expectation.arches.push(
                    Arch::parse(value)
                        .ok_or_else(|| bad("unknown architecture (X86_64, ARM64 and RISCV64 are known)"))?,
                ),
                // Expected translations and JIT output, BTF paths: about other stages.
                ("test_expect_xlated" | "test_expect_xlated_unpriv" | "test_jited" | "test_jited_unpriv", Some(_))
                | ("test_btf_path", Some(_)) => {}
                (
                    "test_expect_success"
                    | "test_expect_failure"
                    | "test_auxiliary"
                    | "test_expect_success_unpriv"
                    | "test_expect_failure_unpriv"
                    | "test_auxiliary_unpriv",
                    Some(_),
                ) => return Err(bad("takes no value")),
                (
                    "test_expect_msg"
                    | "test_retval"
                    | "test_expect_msg_unpriv"
                    | "test_retval_unpriv"
                    | "test_description"
                    | "test_log_level"
                    | "test_prog_flags"
                    | "test_arch",
                    None,
                ) => return Err(bad("needs a value")),
                // Comments of other tools, or annotations newer than this reader.
                _ => {}
            }
        }
        // As the kernel's loader: a program tested in neither mode is tested privileged.
        if expectation.privileged.is_none() && (privileged_mentioned || expectation.unprivileged.is_none()) {
            expectation.privileged = Some(ModeExpectation::success());
        }
        Ok(expectation)
    }

    /// Whether the test is meant for `arch` (a test without `__arch_*` is for all).
    pub fn runs_on(&self, arch: Arch) -> bool {
        self.arches.is_empty() || self.arches.contains(&arch)
    }
}

fn privileged(expectation: &mut Expectation) -> &mut ModeExpectation {
    expectation.privileged.get_or_insert_with(ModeExpectation::success)
}

fn unprivileged(expectation: &mut Expectation) -> &mut ModeExpectation {
    expectation.unprivileged.get_or_insert_with(ModeExpectation::success)
}

/// `__msg("...")` is tagged `COUNTER=message` so that equal messages stay distinct tags.
fn numbered_message(value: &str, bad: &dyn Fn(&str) -> AnnotationError) -> Result<String, AnnotationError> {
    match value.split_once('=') {
        Some((counter, message)) if !counter.is_empty() && counter.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(message.to_owned())
        }
        _ => Err(bad("message without its `NUMBER=` prefix")),
    }
}

fn parse_retval(value: &str, bad: &dyn Fn(&str) -> AnnotationError) -> Result<Retval, AnnotationError> {
    match value {
        POINTER_VALUE => Ok(Retval::Any),
        "INT_MIN" => Ok(Retval::Value(i32::MIN)),
        "TEST_DATA_LEN" => Ok(Retval::Value(TEST_DATA_LEN as i32)),
        _ => parse_c_int(value).ok_or_else(|| bad("retval is not a 32-bit number")),
    }
}

/// A C integer literal as `strtol(.., 0)` reads it (decimal, `0x` hex or `0` octal, with a
/// sign), kept when it fits 32 bits (signed or unsigned, as the loader compares bits).
fn parse_c_int(text: &str) -> Option<Retval> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    let value = if negative { -magnitude } else { magnitude };
    if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&value) { Some(Retval::Value(value as i32)) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(tags: &[&str]) -> Expectation {
        Expectation::from_tags(tags).expect("valid tags")
    }

    #[test]
    fn no_tags_expect_privileged_success() {
        let expectation = read(&[]);
        assert_eq!(expectation.privileged, Some(ModeExpectation::success()));
        assert_eq!(expectation.unprivileged, None);
        assert!(!expectation.auxiliary);
    }

    #[test]
    fn failure_with_messages_in_order() {
        let expectation = read(&[
            "comment:test_expect_failure",
            "comment:test_expect_msg=3=R1 invalid",
            "comment:test_expect_msg=4=a=b",
        ]);
        let privileged = expectation.privileged.expect("privileged");
        assert_eq!(privileged.expected, Expected::Failure);
        assert_eq!(privileged.messages, ["R1 invalid", "a=b"]);
    }

    #[test]
    fn retvals_in_every_spelling() {
        let cases = [
            ("7", Retval::Value(7)),
            ("-1", Retval::Value(-1)),
            ("0xffffffff", Retval::Value(-1)),
            ("010", Retval::Value(8)),
            ("INT_MIN", Retval::Value(i32::MIN)),
            ("TEST_DATA_LEN", Retval::Value(64)),
            ("POINTER_VALUE", Retval::Any),
        ];
        for (text, retval) in cases {
            let tag = format!("comment:test_retval={text}");
            assert_eq!(read(&[&tag]).privileged.and_then(|p| p.retval), Some(retval), "{text}");
        }
        assert!(Retval::Value(-1).accepts(0xffff_ffff) && Retval::Value(-1).accepts(u64::MAX));
        assert!(!Retval::Value(1).accepts(2) && Retval::Any.accepts(2));
    }

    #[test]
    fn unprivileged_tags_alone_mean_no_privileged_test() {
        let expectation = read(&["comment:test_expect_failure_unpriv", "comment:test_expect_msg_unpriv=1=leaks addr"]);
        assert_eq!(expectation.privileged, None);
        let unprivileged = expectation.unprivileged.expect("unprivileged");
        assert_eq!((unprivileged.expected, unprivileged.messages.len()), (Expected::Failure, 1));

        let both = read(&["comment:test_expect_success", "comment:test_expect_failure_unpriv"]);
        assert!(both.privileged.is_some() && both.unprivileged.is_some());
    }

    #[test]
    fn auxiliary_arch_flags_and_description() {
        let expectation = read(&[
            "comment:test_auxiliary",
            "comment:test_arch=ARM64",
            "comment:test_prog_flags=BPF_F_TEST_STATE_FREQ",
            "comment:test_description=a b",
            "comment:test_log_level=2",
            "comment:test_jited=5=\tmov x0, #1",
            "not a test annotation",
        ]);
        assert!(expectation.auxiliary && expectation.privileged.is_some());
        assert!(!expectation.runs_on(Arch::X86_64) && expectation.runs_on(Arch::Arm64));
        assert_eq!(expectation.flags, ["BPF_F_TEST_STATE_FREQ"]);
        assert_eq!((expectation.description.as_deref(), expectation.log_level), (Some("a b"), Some(2)));
        assert!(read(&[]).runs_on(Arch::X86_64));
    }

    #[test]
    fn malformed_annotations_name_the_tag() {
        for tag in [
            "comment:test_retval=seven",
            "comment:test_retval=0x1ffffffff",
            "comment:test_expect_msg=no counter",
            "comment:test_arch=MIPS",
            "comment:test_expect_failure=1",
            "comment:test_retval",
            "comment:test_log_level=high",
        ] {
            let error = Expectation::from_tags(&[tag]).expect_err(tag);
            assert_eq!(error.tag, tag);
        }
    }
}
