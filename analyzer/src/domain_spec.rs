//! What `--domain` names: a non-relational value domain ([`DomainKind`]) and which relational
//! components are added to it, reduced with it: zones ([`crate::zone`]) and equalities
//! ([`crate::links`]).
//!
//! `zone` is the product domain with zones whose transfers are the hand-written rules,
//! `zone-z3` the same zones with transfers computed by Z3 (symbolic abstraction, see
//! `transfer::zone_z3`), and `eq` the product domain with equalities. `product(K,A)` and
//! `product(K,A,B)` add components to domain `K`, in any order (at most one kind of zones;
//! `product(product,zone)` is `zone`); any other name is a [`DomainKind`] alone, parsed by
//! its own `FromStr`.

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

/// The name `--domain` gives equalities.
const EQUALITIES: &str = "eq";

/// A value domain and which relational components are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainSpec {
    /// The non-relational domain of numbers.
    pub values: DomainKind,
    /// Whether difference constraints are tracked too, and how.
    pub zones: Zones,
    /// Whether links `place = base + c` between places are tracked too.
    pub equalities: bool,
}

/// A `--domain` name that names no domain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown domain `{name}` (known: {known}; zone, zone-z3, eq; product(DOMAIN,C) and product(DOMAIN,C,eq) for C \
     zone, zone-z3 or eq)"
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
        DomainSpec { values, zones: Zones::Off, equalities: false }
    }

    /// `values` with zones and their hand-written transfers.
    pub const fn with_zones(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: Zones::Rules, equalities: false }
    }

    /// `values` with zones whose transfers Z3 computes.
    pub const fn with_z3_zones(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: Zones::Z3, equalities: false }
    }

    /// `values` with equalities.
    pub const fn with_equalities(values: DomainKind) -> DomainSpec {
        DomainSpec { values, zones: Zones::Off, equalities: true }
    }

    /// Every combination over `values` of the components that cost no solver: alone, with
    /// zones (rules), with equalities, with both.
    pub const fn all_of(values: DomainKind) -> [DomainSpec; 4] {
        [
            DomainSpec::plain(values),
            DomainSpec::with_zones(values),
            DomainSpec::with_equalities(values),
            DomainSpec { values, zones: Zones::Rules, equalities: true },
        ]
    }
}

impl fmt::Display for DomainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let added: Vec<&str> = self.zones.name().into_iter().chain(self.equalities.then_some(EQUALITIES)).collect();
        match (added.as_slice(), self.values) {
            ([], values) => f.write_str(values.name()),
            ([only], DomainKind::Product) => f.write_str(only),
            (added, values) => write!(f, "product({},{})", values.name(), added.join(",")),
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
            return Ok(DomainSpec { zones, ..DomainSpec::plain(DomainKind::Product) });
        }
        if name == EQUALITIES {
            return Ok(DomainSpec::with_equalities(DomainKind::Product));
        }
        let Some(inner) = name.strip_prefix("product(").and_then(|s| s.strip_suffix(')')) else {
            return name.parse().map(DomainSpec::plain).map_err(|_| unknown());
        };
        let (mut values, mut zones, mut equalities) = (None, Zones::Off, false);
        for part in inner.split(',').map(str::trim) {
            if let Some(named) = Zones::named(part) {
                if zones.on() {
                    return Err(unknown());
                }
                zones = named;
            } else if part == EQUALITIES {
                if equalities {
                    return Err(unknown());
                }
                equalities = true;
            } else {
                let kind = part.parse::<DomainKind>().map_err(|_| unknown())?;
                if values.replace(kind).is_some() {
                    return Err(unknown());
                }
            }
        }
        match values {
            Some(values) if zones.on() || equalities => Ok(DomainSpec { values, zones, equalities }),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for kind in DomainKind::ALL {
            let z3 =
                [DomainSpec::with_z3_zones(kind), DomainSpec { equalities: true, ..DomainSpec::with_z3_zones(kind) }];
            for spec in DomainSpec::all_of(kind).into_iter().chain(z3) {
                assert_eq!(spec.to_string().parse::<DomainSpec>(), Ok(spec));
            }
        }
        assert_eq!("zone".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        assert_eq!("zone-z3".parse(), Ok(DomainSpec::with_z3_zones(DomainKind::Product)));
        assert_eq!("eq".parse(), Ok(DomainSpec::with_equalities(DomainKind::Product)));
        assert_eq!("product(tnum,zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Tnum)));
        assert_eq!("product(zone-z3, interval)".parse(), Ok(DomainSpec::with_z3_zones(DomainKind::Interval)));
        assert_eq!("product(product, zone)".parse(), Ok(DomainSpec::with_zones(DomainKind::Product)));
        assert_eq!("product(product,eq)".parse(), Ok(DomainSpec::with_equalities(DomainKind::Product)));
        let both = DomainSpec { values: DomainKind::Interval, zones: Zones::Rules, equalities: true };
        assert_eq!("product(interval,zone,eq)".parse(), Ok(both));
        assert_eq!("product(interval, eq, zone)".parse(), Ok(both));
        assert_eq!(both.to_string(), "product(interval,zone,eq)");
        let bad = ["zones", "product(tnum)", "product(zone,zone)", "product(tnum,zone", "octagon", "product(eq,eq)"];
        let more = ["product(tnum,eq,eq)", "product(tnum,zone,zone-z3)", "product(tnum,interval,zone)", "equalities"];
        for bad in bad.into_iter().chain(more) {
            assert!(bad.parse::<DomainSpec>().is_err(), "{bad}");
        }
    }
}
