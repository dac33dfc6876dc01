//! What `--domain` names: a non-relational value domain ([`DomainKind`]) and which zones
//! ([`crate::zone`]) are added to it, reduced with it.
//!
//! `zone` is the product domain with zones whose transfers are the hand-written rules;
//! `zone-z3` the same zones with transfers computed by Z3 (symbolic abstraction, see
//! `transfer::zone_z3`). `product(K,zone)` and `product(K,zone-z3)` add them to domain
//! `K` (`product(product,zone)` is `zone`); any other name is a [`DomainKind`] alone,
//! parsed by its own `FromStr`.

use std::fmt;
use std::str::FromStr;

use bpfprove_domains::DomainKind;

/// Whether zones are tracked, and how their transfers are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Zones {
    /// No zones.
    #[default]
    Off,
    /// Zones with the hand-written transfer rules.
    Rules,
    /// Zones whose transfers Z3 computes as the best the template allows (under a budget),
    /// met with the rules'.
    Z3,
}

impl Zones {
    /// Whether zones are tracked at all.
    pub const fn on(self) -> bool {
        !matches!(self, Zones::Off)
    }

    /// The name `--domain` gives them (`None` when off).
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Zones::Off => None,
            Zones::Rules => Some("zone"),
            Zones::Z3 => Some("zone-z3"),
        }
    }

    fn named(name: &str) -> Option<Zones> {
        [Zones::Rules, Zones::Z3].into_iter().find(|z| z.name() == Some(name))
    }
}

/// A value domain and the zones added to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainSpec {
    /// The non-relational domain of numbers.
    pub values: DomainKind,
    /// Whether difference constraints are tracked too, and how.
    pub zones: Zones,
}

/// A `--domain` name that names no domain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown domain `{name}` (known: {known}, zone, zone-z3, product(DOMAIN,zone), product(DOMAIN,zone-z3))")]
pub struct UnknownDomainSpec {
    /// The name given.
    pub name: String,
    /// The non-relational domains' names.
    pub known: String,
}

impl DomainSpec {
    /// `values` alone.
    pub const fn plain(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: Zones::Off }
    }

    /// `values` with zones and their hand-written transfers.
    pub const fn with_zones(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: Zones::Rules }
    }

    /// `values` with zones whose transfers Z3 computes.
    pub const fn with_z3_zones(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: Zones::Z3 }
    }
}

impl fmt::Display for DomainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.zones.name(), self.values) {
            (None, values) => f.write_str(values.name()),
            (Some(zones), DomainKind::Product) => f.write_str(zones),
            (Some(zones), values) => write!(f, "product({},{zones})", values.name()),
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
        if let Some(zones) = Zones::named(name) {
            return Ok(DomainSpec { values: DomainKind::Product, zones });
        }
        if let Some(inner) = name.strip_prefix("product(").and_then(|s| s.strip_suffix(')')) {
            let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
            let (values, zones) = match parts.as_slice() {
                [a, b] => match (Zones::named(a), Zones::named(b)) {
                    (None, Some(zones)) => (a, zones),
                    (Some(zones), None) => (b, zones),
                    _ => return Err(unknown()),
                },
                _ => return Err(unknown()),
            };
            return values.parse().map(|values| DomainSpec { values, zones }).map_err(|_| unknown());
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
            for spec in [DomainSpec::plain(kind), DomainSpec::with_zones(kind), DomainSpec::with_z3_zones(kind)] {
                assert_eq!(spec.to_string().parse::<DomainSpec>(), Ok(spec));
            }
        }
        assert_eq!("zone".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        assert_eq!("zone-z3".parse(), Ok(DomainSpec::with_z3_zones(DomainKind::Product)));
        assert_eq!("product(tnum,zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Tnum)));
        assert_eq!("product(zone-z3, interval)".parse(), Ok(DomainSpec::with_z3_zones(DomainKind::Interval)));
        assert_eq!("product(product, zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        for bad in
            ["zones", "product(tnum)", "product(zone,zone)", "product(zone,zone-z3)", "product(tnum,zone", "octagon"]
        {
            assert!(bad.parse::<DomainSpec>().is_err(), "{bad}");
        }
    }
}
