//! The known-failures file: every test that disagrees today, with its reason, so that CI
//! fails only on a new disagreement and the list can only shrink.
//!
//! It is TOML: one table per object, one `program = "reason"` entry per test:
//!
//! ```toml
//! [verifier_and]
//! invalid_and_of_negative_number = "precision"
//! ```
//!
//! Reasons are [`Reason`] names. [`KnownFailures::of`] writes the list a judgement implies
//! (`bpfprove selftest --bless`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::classify::{self, Reason};
use crate::error::SelftestError;
use crate::judge::Judgement;
use crate::outcome::{TestId, TestOutcome};

/// The tests expected to disagree, each with its reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownFailures {
    /// Test → reason.
    pub entries: BTreeMap<TestId, Reason>,
}

/// How a judgement compares with the known failures.
#[derive(Clone, Debug, Default)]
pub struct Comparison<'a> {
    /// Disagreeing tests the list does not name: these fail CI.
    pub new: Vec<&'a TestOutcome>,
    /// Listed tests that agree now: remove them from the list.
    pub now_agree: Vec<TestId>,
    /// Listed tests of a judged object that no longer exist.
    pub vanished: Vec<TestId>,
    /// Listed tests that still disagree, for another reason than listed: (test, listed, now).
    pub reason_changed: Vec<(TestId, Reason, Reason)>,
}

impl Comparison<'_> {
    /// Whether the judgement is acceptable: no new disagreement.
    pub fn ok(&self) -> bool {
        self.new.is_empty()
    }
}

const HEADER: &str = "\
# Kernel verifier selftests (tools/testing/selftests/bpf/progs/verifier_*.c of linux-source-6.12)
# on which bpfprove disagrees with the test's annotation today, one table per object, each
# test with the reason category bpfprove's first failure falls in (see
# selftest/src/classify.rs). CI fails on any disagreement not listed here; a listed test that
# agrees again is reported so that it can be removed.
#
# Regenerate after building the objects (scripts/build-selftests):
#   cargo run --release -p bpfprove -- selftest target/selftests/obj -j 2 \\
#       --known-failures selftest/known-failures.toml --bless
";

impl KnownFailures {
    /// The known failures a judgement implies: every disagreeing test with its reason.
    pub fn of(judgement: &Judgement) -> KnownFailures {
        let entries = judgement.tests.iter().filter_map(|t| Some((t.id.clone(), classify::reason(t)?))).collect();
        KnownFailures { entries }
    }

    /// Reads the file at `path`.
    pub fn load(path: &Path) -> Result<KnownFailures, SelftestError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| SelftestError::Read { path: path.to_owned(), source })?;
        KnownFailures::parse(&text, path)
    }

    /// Parses the file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<KnownFailures, SelftestError> {
        let bad = |reason: String| SelftestError::KnownFailures { path: PathBuf::from(path), reason };
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| bad(e.to_string()))?;
        let mut entries = BTreeMap::new();
        for (object, programs) in table {
            let toml::Value::Table(programs) = programs else {
                return Err(bad(format!("`{object}` is not a table of programs")));
            };
            for (program, reason) in programs {
                let toml::Value::String(name) = &reason else {
                    return Err(bad(format!("[{object}] {program}: the reason is not a string")));
                };
                let reason = Reason::from_name(name).ok_or_else(|| {
                    let known: Vec<&str> = Reason::ALL.iter().map(|r| r.name()).collect();
                    bad(format!("[{object}] {program}: unknown reason `{name}` (known: {})", known.join(", ")))
                })?;
                entries.insert(TestId { object: object.clone(), program }, reason);
            }
        }
        Ok(KnownFailures { entries })
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut text = String::from(HEADER);
        let mut current: Option<&str> = None;
        for (id, reason) in &self.entries {
            if current != Some(id.object.as_str()) {
                text.push_str(&format!("\n[{}]\n", key(&id.object)));
                current = Some(&id.object);
            }
            text.push_str(&format!("{} = \"{reason}\"\n", key(&id.program)));
        }
        text
    }

    /// Writes the file's text to `path`.
    pub fn write(&self, path: &Path) -> Result<(), SelftestError> {
        std::fs::write(path, self.render()).map_err(|source| SelftestError::Write { path: path.to_owned(), source })
    }

    /// Compares `judgement` with the list. Listed tests of objects the judgement did not
    /// look at are left alone, so that a run over some objects checks just those.
    pub fn compare<'a>(&self, judgement: &'a Judgement) -> Comparison<'a> {
        let mut comparison = Comparison::default();
        let judged: BTreeMap<&TestId, &TestOutcome> = judgement.tests.iter().map(|t| (&t.id, t)).collect();
        let objects: std::collections::BTreeSet<&str> = judgement
            .tests
            .iter()
            .map(|t| t.id.object.as_str())
            .chain(judgement.skipped.iter().map(|s| s.id.object.as_str()))
            .collect();
        for test in &judgement.tests {
            let Some(now) = classify::reason(test) else { continue };
            match self.entries.get(&test.id) {
                None => comparison.new.push(test),
                Some(&listed) if listed != now => comparison.reason_changed.push((test.id.clone(), listed, now)),
                Some(_) => {}
            }
        }
        for id in self.entries.keys() {
            match judged.get(id) {
                Some(test) if classify::reason(test).is_none() => comparison.now_agree.push(id.clone()),
                Some(_) => {}
                None if objects.contains(id.object.as_str()) => comparison.vanished.push(id.clone()),
                None => {}
            }
        }
        comparison
    }
}

/// A TOML key: bare when it can be, else quoted.
fn key(name: &str) -> String {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        name.to_owned()
    } else {
        let escaped: String = name
            .chars()
            .flat_map(|c| match c {
                '"' => vec!['\\', '"'],
                '\\' => vec!['\\', '\\'],
                c if c.is_control() => format!("\\u{:04x}", c as u32).chars().collect(),
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(object: &str, program: &str) -> TestId {
        TestId { object: object.into(), program: program.into() }
    }

    #[test]
    fn parses_tables_of_programs() {
        let text = "# comment\n[verifier_a]\nfirst = \"precision\"\n\"odd.name\" = \"helper\"\n\n[verifier_b]\nx = \"kfunc\"\n";
        let known = KnownFailures::parse(text, Path::new("k.toml")).expect("valid");
        assert_eq!(known.entries.len(), 3);
        assert_eq!(known.entries[&id("verifier_a", "odd.name")], Reason::Helper);
        assert_eq!(known.entries[&id("verifier_b", "x")], Reason::Kfunc);
    }

    #[test]
    fn renders_what_it_parses_including_keys_that_need_quotes() {
        let mut known = KnownFailures::default();
        known.entries.insert(id("verifier_a", "plain_name"), Reason::Precision);
        known.entries.insert(id("verifier_a", "needs \"quotes\"\\"), Reason::ElfLoad);
        known.entries.insert(id("other.object", "p"), Reason::Retval);
        let text = known.render();
        assert!(text.starts_with("# Kernel verifier selftests"));
        assert_eq!(KnownFailures::parse(&text, Path::new("k.toml")).expect("round trip"), known);
    }

    #[test]
    fn bad_files_are_errors_that_name_the_file_and_entry() {
        for (text, needle) in [
            ("[o]\np = \"no-such-reason\"\n", "unknown reason `no-such-reason`"),
            ("[o]\np = 3\n", "[o] p: the reason is not a string"),
            ("o = \"precision\"\n", "`o` is not a table"),
            ("[o\n", "k.toml"),
        ] {
            let error = KnownFailures::parse(text, Path::new("k.toml")).expect_err(text).to_string();
            assert!(error.contains("k.toml") && error.contains(needle), "{error}");
        }
    }
}
