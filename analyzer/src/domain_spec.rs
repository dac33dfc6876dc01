//! What `--domain` names: a non-relational value domain ([`DomainKind`]) and whether zones
//! ([`crate::zone`]) are added to it, reduced with it.
//!
//! `zone` is the product domain with zones; `product(K,zone)` is domain `K` with zones
//! (`product(product,zone)` is `zone`); any other name is a [`DomainKind`] alone, parsed by
//! its own `FromStr`.

use std::fmt;
use std::str::FromStr;

use bpfprove_domains::DomainKind;

/// A value domain and whether zones are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainSpec {
    /// The non-relational domain of numbers.
    pub values: DomainKind,
    /// Whether difference constraints are tracked too.
    pub zones: bool,
}

/// A `--domain` name that names no domain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown domain `{name}` (known: {known}, zone, product(DOMAIN,zone))")]
pub struct UnknownDomainSpec {
    /// The name given.
    pub name: String,
    /// The non-relational domains' names.
    pub known: String,
}

impl DomainSpec {
    /// `values` alone.
    pub const fn plain(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: false }
    }

    /// `values` with zones.
    pub const fn with_zones(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: true }
    }
}

impl fmt::Display for DomainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.zones, self.values) {
            (false, values) => f.write_str(values.name()),
            (true, DomainKind::Product) => f.write_str("zone"),
            (true, values) => write!(f, "product({},zone)", values.name()),
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
        if name == "zone" {
            return Ok(DomainSpec::with_zones(DomainKind::Product));
        }
        if let Some(inner) = name.strip_prefix("product(").and_then(|s| s.strip_suffix(')')) {
            let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
            return match parts.as_slice() {
                [values, "zone"] | ["zone", values] => {
                    values.parse().map(DomainSpec::with_zones).map_err(|_| unknown())
                }
                _ => Err(unknown()),
            };
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
            for spec in [DomainSpec::plain(kind), DomainSpec::with_zones(kind)] {
                assert_eq!(spec.to_string().parse::<DomainSpec>(), Ok(spec));
            }
        }
        assert_eq!("zone".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        assert_eq!("product(tnum,zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Tnum)));
        assert_eq!("product(product, zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        for bad in ["zones", "product(tnum)", "product(zone,zone)", "product(tnum,zone", "octagon"] {
            assert!(bad.parse::<DomainSpec>().is_err(), "{bad}");
        }
    }
}
