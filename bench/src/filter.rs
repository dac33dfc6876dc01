//! `-f` filters in veristat's syntax.
//!
//! - `<stat><op><value>` compares a count (`total_insns>1000`); `op` is one of `<`, `<=`,
//!   `>`, `>=`, `=`/`==`, `!=`; the value is an integer, or `success`/`failure` (also
//!   `true`/`false`, `s`/`f`, `match`/`mismatch`) for 1 and 0, so `verdict=failure` works.
//!   Beyond veristat, `domain=tnum` compares the verifier's name.
//! - Anything else is a glob (`*`, `?`) on names: `<glob>` matches the file or the program,
//!   `<file-glob>/<prog-glob>` both, `/<prog-glob>` or `<file-glob>/` one of them. A file
//!   glob may match the whole name (`v4/xdp.o`) or its last component (`xdp.o`).
//! - A leading `!` makes a filter a deny filter. A row is kept when no deny filter matches
//!   and either there are no allow filters or one of them matches.

use crate::error::BenchError;
use crate::row::{Column, Row};

/// Comparison operators, longest first so `<=` is not read as `<`.
const OPERATORS: [(&str, Op); 7] =
    [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt), ("=", Op::Eq)];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn holds<T: PartialOrd>(self, left: T, right: T) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Test {
    Stat { column: Column, op: Op, value: i64 },
    Domain { op: Op, name: String },
    Name { file: Option<String>, prog: Option<String>, any: Option<String> },
}

/// One `-f` filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    deny: bool,
    test: Test,
}

impl Filter {
    /// Parses one filter.
    pub fn parse(text: &str) -> Result<Filter, BenchError> {
        let (deny, body) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        Ok(Filter { deny, test: parse_test(body)? })
    }

    fn matches(&self, row: &Row) -> bool {
        match &self.test {
            Test::Stat { column, op, value } => row.number(*column).is_some_and(|n| op.holds(n, *value)),
            Test::Domain { op, name } => op.holds(row.domain.as_str(), name.as_str()),
            Test::Name { file, prog, any } => match any {
                Some(glob) => file_matches(glob, &row.file_name) || glob_matches(glob, &row.prog_name),
                None => {
                    file.as_deref().is_none_or(|g| file_matches(g, &row.file_name))
                        && prog.as_deref().is_none_or(|g| glob_matches(g, &row.prog_name))
                }
            },
        }
    }
}

fn parse_test(body: &str) -> Result<Test, BenchError> {
    let bad = |why: String| BenchError::BadArgument(format!("filter `{body}`: {why}"));
    for (symbol, op) in OPERATORS {
        let Some(at) = body.find(symbol) else { continue };
        let (name, value) = (&body[..at], &body[at + symbol.len()..]);
        let column = Column::by_name(name).map_err(|e| bad(e.to_string()))?;
        if column == Column::Domain {
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(bad("the domain is compared with = or != only".to_owned()));
            }
            return Ok(Test::Domain { op, name: value.to_owned() });
        }
        if !column.is_number() && column != Column::Verdict {
            return Err(bad(format!("`{}` is not a count", column.name())));
        }
        let value = match value.to_ascii_lowercase().as_str() {
            "true" | "t" | "success" | "succ" | "s" | "match" | "m" => 1,
            "false" | "f" | "failure" | "fail" | "mismatch" | "mis" => 0,
            number => number.parse().map_err(|_| bad(format!("`{value}` is not an integer")))?,
        };
        return Ok(Test::Stat { column, op, value });
    }
    let test = match body.split_once('/') {
        None => Test::Name { file: None, prog: None, any: Some(body.to_owned()) },
        Some((file, prog)) => Test::Name {
            file: (!file.is_empty()).then(|| file.to_owned()),
            prog: (!prog.is_empty()).then(|| prog.to_owned()),
            any: None,
        },
    };
    match &test {
        Test::Name { file: None, prog: None, any: None } => Err(bad("names neither a file nor a program".to_owned())),
        Test::Name { any: Some(glob), .. } if glob.is_empty() => Err(bad("empty".to_owned())),
        _ => Ok(test),
    }
}

/// Whether `row` passes `filters`.
pub fn keep(filters: &[Filter], row: &Row) -> bool {
    let (deny, allow): (Vec<&Filter>, Vec<&Filter>) = filters.iter().partition(|f| f.deny);
    !deny.iter().any(|f| f.matches(row)) && (allow.is_empty() || allow.iter().any(|f| f.matches(row)))
}

/// A file glob matches the file's name as printed (`v4/xdp.o`) or its last component
/// (`xdp.o`, what veristat prints).
fn file_matches(glob: &str, name: &str) -> bool {
    glob_matches(glob, name) || name.rsplit_once('/').is_some_and(|(_, base)| glob_matches(glob, base))
}

/// Whether `text` matches `glob` (`*` any run, `?` any one character). Iterative, with one
/// backtrack point, so no input makes it recurse or blow up.
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let (glob, text): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if g < glob.len() && (glob[g] == '?' || glob[g] == text[t]) {
            g += 1;
            t += 1;
        } else if g < glob.len() && glob[g] == '*' {
            star = Some((g, t));
            g += 1;
        } else if let Some((star_g, star_t)) = star {
            g = star_g + 1;
            t = star_t + 1;
            star = Some((star_g, star_t + 1));
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("*.o", "v4/xdp.o"));
        assert!(glob_matches("xdp_*", "xdp_parse"));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "ac"));
        assert!(glob_matches("*a*b*", "xxaxxbxx"));
        assert!(!glob_matches("*a*b", "xxaxxbxxc"));
    }

    #[test]
    fn operators_are_read_longest_first() {
        assert_eq!(
            Filter::parse("total_insns<=10").unwrap().test,
            Test::Stat { column: Column::TotalInsns, op: Op::Le, value: 10 }
        );
        assert_eq!(
            Filter::parse("verdict=failure").unwrap().test,
            Test::Stat { column: Column::Verdict, op: Op::Eq, value: 0 }
        );
    }

    #[test]
    fn bad_filters_name_themselves() {
        assert_eq!(
            Filter::parse("insns>lots").unwrap_err().to_string(),
            "filter `insns>lots`: `lots` is not an integer"
        );
        assert!(Filter::parse("first_failure=3").is_err());
        assert!(Filter::parse("/").is_err());
    }
}
