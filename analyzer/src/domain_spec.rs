//! What `--domain` names: a non-relational value domain ([`DomainKind`]) and which relational
//! components are added to it, reduced with it: zones ([`crate::zone`]) and equalities
//! ([`crate::links`]).
//!
//! `zone` is the product domain with zones and `eq` the product domain with equalities;
//! `product(K,zone)`, `product(K,eq)` and `product(K,zone,eq)` add them to domain `K`
//! (`product(product,zone)` is `zone`, `product(product,eq)` is `eq`); any other name is a
//! [`DomainKind`] alone, parsed by its own `FromStr`.

use std::fmt;
use std::str::FromStr;

use bpfprove_domains::DomainKind;

/// A value domain and which relational components are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainSpec {
    /// The non-relational domain of numbers.
    pub values: DomainKind,
    /// Whether difference constraints are tracked too.
    pub zones: bool,
    /// Whether links `place = base + c` between places are tracked too.
    pub equalities: bool,
}

/// A `--domain` name that names no domain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown domain `{name}` (known: {known}, zone, eq, product(DOMAIN,zone), product(DOMAIN,eq), product(DOMAIN,zone,eq))"
)]
pub struct UnknownDomainSpec {
    /// The name given.
    pub name: String,
    /// The non-relational domains' names.
    pub known: String,
}

impl DomainSpec {
    /// `values` alone.
    pub const fn plain(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: false, equalities: false }
    }

    /// `values` with zones.
    pub const fn with_zones(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: true, equalities: false }
    }

    /// `values` with equalities.
    pub const fn with_equalities(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: false, equalities: true }
    }

    /// Every combination over `values`: alone, with zones, with equalities, with both.
    pub const fn all_of(values: DomainKind) -> [DomainSpec; 4] {
        [
            DomainSpec::plain(values),
            DomainSpec::with_zones(values),
            DomainSpec::with_equalities(values),
            DomainSpec { values, zones: true, equalities: true },
        ]
    }
}

impl fmt::Display for DomainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.zones, self.equalities, self.values) {
            (false, false, values) => f.write_str(values.name()),
            (true, false, DomainKind::Product) => f.write_str("zone"),
            (false, true, DomainKind::Product) => f.write_str("eq"),
            (true, false, values) => write!(f, "product({},zone)", values.name()),
            (false, true, values) => write!(f, "product({},eq)", values.name()),
            (true, true, values) => write!(f, "product({},zone,eq)", values.name()),
        }
    }
}

impl FromStr for DomainSpec {
    type Err = UnknownDomainSpec;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownDomainSpec {
            name: name.to_owned(),
            known: DomainKind::ALL.iter().map(|d| d.name()).collect::<Vec<_>>().join(", "),
        };
        match name {
            "zone" => return Ok(DomainSpec::with_zones(DomainKind::Product)),
            "eq" => return Ok(DomainSpec::with_equalities(DomainKind::Product)),
            _ => {}
        }
        if let Some(inner) = name.strip_prefix("product(").and_then(|s| s.strip_suffix(')')) {
            let mut parts = inner.split(',').map(str::trim);
            let values: DomainKind = parts.next().and_then(|v| v.parse().ok()).ok_or_else(unknown)?;
            let added: Vec<&str> = parts.collect();
            let (zones, equalities) = match added.as_slice() {
                ["zone"] => (true, false),
                ["eq"] => (false, true),
                ["zone", "eq"] | ["eq", "zone"] => (true, true),
                _ => return Err(unknown()),
            };
            return Ok(DomainSpec { values, zones, equalities });
        }
        name.parse().map(DomainSpec::plain).map_err(|_| unknown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for kind in DomainKind::ALL {
            for spec in DomainSpec::all_of(kind) {
                assert_eq!(spec.to_string().parse::<DomainSpec>(), Ok(spec));
            }
        }
        assert_eq!("zone".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        assert_eq!("eq".parse(), Ok(DomainSpec::with_equalities(DomainKind::Product)));
        assert_eq!("product(tnum,zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Tnum)));
        assert_eq!("product(product, zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        assert_eq!("product(product,eq)".parse(), Ok(DomainSpec::with_equalities(DomainKind::Product)));
        let both = DomainSpec { values: DomainKind::Interval, zones: true, equalities: true };
        assert_eq!("product(interval,zone,eq)".parse(), Ok(both));
        assert_eq!("product(interval, eq, zone)".parse(), Ok(both));
        assert_eq!(both.to_string(), "product(interval,zone,eq)");
        let bad = ["zones", "product(tnum)", "product(zone,zone)", "product(tnum,zone", "octagon", "product(eq,eq)"];
        for bad in bad.into_iter().chain(["product(tnum,eq,eq)", "product(tnum,zone,zone)", "equalities"]) {
            assert!(bad.parse::<DomainSpec>().is_err(), "{bad}");
        }
    }
}
