//! The verifiers a bench run compares: the analyzer with one value domain, the live Linux
//! verifier, and PREVAIL.

use std::fmt;
use std::str::FromStr;

use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_domains::DomainKind;

use crate::error::BenchError;

/// One column of verifiers: what the `domain` column of a row names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VerifierKind {
    /// bpfprove's analyzer with this value domain (and zones or not).
    Domain(DomainSpec),
    /// The running kernel's verifier (`BPF_PROG_LOAD`).
    Kernel,
    /// PREVAIL's `prevail` binary.
    Prevail,
}

impl VerifierKind {
    /// The name used on the command line and in the `domain` column.
    pub fn name(self) -> String {
        match self {
            VerifierKind::Domain(domain) => domain.to_string(),
            VerifierKind::Kernel => "kernel".to_owned(),
            VerifierKind::Prevail => "prevail".to_owned(),
        }
    }

    /// Parses a comma-separated list (`interval,tnum,kernel`, `product(tnum,zone)` one name),
    /// refusing duplicates.
    pub fn parse_list(list: &str) -> Result<Vec<VerifierKind>, BenchError> {
        let mut out = Vec::new();
        let mut names = Vec::new();
        let (mut depth, mut start) = (0usize, 0);
        for (i, c) in list.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    names.push(&list[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        names.push(&list[start..]);
        for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            let kind: VerifierKind = name.parse()?;
            if out.contains(&kind) {
                return Err(BenchError::BadArgument(format!("verifier `{name}` is named twice")));
            }
            out.push(kind);
        }
        if out.is_empty() {
            return Err(BenchError::BadArgument(format!("`{list}` names no verifier")));
        }
        Ok(out)
    }
}

impl FromStr for VerifierKind {
    type Err = BenchError;

    fn from_str(name: &str) -> Result<VerifierKind, BenchError> {
        match name {
            "kernel" | "linux" => Ok(VerifierKind::Kernel),
            "prevail" => Ok(VerifierKind::Prevail),
            other => other.parse::<DomainSpec>().map(VerifierKind::Domain).map_err(|_| {
                let domains: Vec<&str> = DomainKind::ALL.iter().map(|d| d.name()).collect();
                BenchError::BadArgument(format!(
                    "unknown verifier `{other}`: the domains are {}, zone, zone-z3, eq, product(DOMAIN,C) and product(DOMAIN,C,eq) for C zone, zone-z3 or eq, and the other verifiers kernel and prevail",
                    domains.join(", ")
                ))
            }),
        }
    }
}

impl fmt::Display for VerifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_at_top_level_commas_only() {
        let list = VerifierKind::parse_list("product, zone,product(tnum,zone),eq,product(tnum,zone,eq),kernel")
            .expect("a valid list");
        let names: Vec<String> = list.iter().map(|v| v.name()).collect();
        assert_eq!(names, ["product", "zone", "product(tnum,zone)", "eq", "product(tnum,zone,eq)", "kernel"]);
        assert!(VerifierKind::parse_list("eq,product(product,eq)").is_err(), "the same domain twice");
        assert!(VerifierKind::parse_list("zone,product(product,zone)").is_err(), "the same domain twice");
        assert!(VerifierKind::parse_list("product(tnum,zone").is_err());
        assert!(VerifierKind::parse_list("octagon").is_err());
    }
}
