//! Run-time choice of a value domain (`--domain NAME`).

use std::fmt;
use std::str::FromStr;

use bpfprove_semantics::isa::{BinOp, ByteOrder, Size, Width};

use crate::arith::DomainWord;
use crate::cnum_product::CnumProduct;
use crate::interval::UInterval;
use crate::lattice::Lattice;
use crate::product::Product;
use crate::signed::SInterval;
use crate::tnum::Tnum;
use crate::value::{Relation, ValueDomain};

/// The value domains, by the names `--domain` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DomainKind {
    /// `interval`: unsigned intervals ([`UInterval`]). The plain interval domain is the
    /// unsigned one because eBPF's pointer offsets and sizes are unsigned.
    Interval,
    /// `signed-interval`: signed intervals ([`SInterval`]).
    SignedInterval,
    /// `tnum`: tristate numbers ([`Tnum`]).
    Tnum,
    /// `product`: the kernel-style reduced product ([`Product`]).
    Product,
    /// `cnum`: Linux 7.2's tnum with wrapped intervals of the register and its low half
    /// ([`CnumProduct`]).
    Cnum,
}

impl DomainKind {
    /// Every domain.
    pub const ALL: [DomainKind; 5] =
        [DomainKind::Interval, DomainKind::SignedInterval, DomainKind::Tnum, DomainKind::Product, DomainKind::Cnum];

    /// The name `--domain` takes.
    pub const fn name(self) -> &'static str {
        match self {
            DomainKind::Interval => <UInterval<u64> as ValueDomain<u64>>::NAME,
            DomainKind::SignedInterval => <SInterval<u64> as ValueDomain<u64>>::NAME,
            DomainKind::Tnum => <Tnum<u64> as ValueDomain<u64>>::NAME,
            DomainKind::Product => <Product<u64> as ValueDomain<u64>>::NAME,
            DomainKind::Cnum => <CnumProduct<u64> as ValueDomain<u64>>::NAME,
        }
    }

    /// The value standing for any word like `like`.
    pub fn top<W: DomainWord>(self, like: &W) -> AnyValue<W> {
        AnyValue::top(&(self, like.clone()))
    }

    /// The value made of `parts` (as [`AnyValue::parts`] gives them), if there are as many
    /// as the domain's values have.
    pub fn from_parts<W: DomainWord>(self, parts: &[W]) -> Option<AnyValue<W>> {
        let like = parts.first()?.clone();
        if self.top(&like).parts().len() != parts.len() {
            return None;
        }
        let mut next = parts.iter().cloned();
        let mut take = || next.next().expect("the length was checked");
        Some(match self {
            DomainKind::Interval => AnyValue::Interval(UInterval::from_parts(&mut take)),
            DomainKind::SignedInterval => AnyValue::SignedInterval(SInterval::from_parts(&mut take)),
            DomainKind::Tnum => AnyValue::Tnum(Tnum::from_parts(&mut take)),
            DomainKind::Product => AnyValue::Product(Product::from_parts(&mut take)),
            DomainKind::Cnum => AnyValue::Cnum(CnumProduct::from_parts(&mut take)),
        })
    }

    /// The abstraction of the single value `value`.
    pub fn constant<W: DomainWord>(self, value: &W) -> AnyValue<W> {
        match self {
            DomainKind::Interval => AnyValue::Interval(UInterval::constant(value)),
            DomainKind::SignedInterval => AnyValue::SignedInterval(SInterval::constant(value)),
            DomainKind::Tnum => AnyValue::Tnum(Tnum::constant(value)),
            DomainKind::Product => AnyValue::Product(Product::constant(value)),
            DomainKind::Cnum => AnyValue::Cnum(CnumProduct::constant(value)),
        }
    }
}

impl fmt::Display for DomainKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A domain name that is not one of [`DomainKind::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown domain `{name}` (known: interval, signed-interval, tnum, product, cnum)")]
pub struct UnknownDomain {
    /// The name given.
    pub name: String,
}

impl FromStr for DomainKind {
    type Err = UnknownDomain;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        DomainKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| UnknownDomain { name: name.to_owned() })
    }
}

/// A value of a domain chosen at run time. Operations combine values of one kind; the
/// analyzer creates all its values through one [`DomainKind`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnyValue<W> {
    /// An unsigned interval.
    Interval(UInterval<W>),
    /// A signed interval.
    SignedInterval(SInterval<W>),
    /// A tnum.
    Tnum(Tnum<W>),
    /// A reduced product.
    Product(Product<W>),
    /// Linux 7.2's tnum and wrapped intervals.
    Cnum(CnumProduct<W>),
}

/// Applies `$body` to the inner values of two `AnyValue`s of the same kind, rewrapping
/// results with `$wrap`.
macro_rules! dispatch2 {
    ($a:expr, $b:expr, |$x:ident, $y:ident, $wrap:ident| $body:expr) => {
        match ($a, $b) {
            (AnyValue::Interval($x), AnyValue::Interval($y)) => {
                let $wrap = AnyValue::<W>::Interval;
                $body
            }
            (AnyValue::SignedInterval($x), AnyValue::SignedInterval($y)) => {
                let $wrap = AnyValue::<W>::SignedInterval;
                $body
            }
            (AnyValue::Tnum($x), AnyValue::Tnum($y)) => {
                let $wrap = AnyValue::<W>::Tnum;
                $body
            }
            (AnyValue::Product($x), AnyValue::Product($y)) => {
                let $wrap = AnyValue::<W>::Product;
                $body
            }
            (AnyValue::Cnum($x), AnyValue::Cnum($y)) => {
                let $wrap = AnyValue::<W>::Cnum;
                $body
            }
            (a, b) => panic!("values of different domains combined: {} and {}", a.kind(), b.kind()),
        }
    };
}

macro_rules! dispatch1 {
    ($a:expr, |$x:ident, $wrap:ident| $body:expr) => {
        match $a {
            AnyValue::Interval($x) => {
                let $wrap = AnyValue::<W>::Interval;
                $body
            }
            AnyValue::SignedInterval($x) => {
                let $wrap = AnyValue::<W>::SignedInterval;
                $body
            }
            AnyValue::Tnum($x) => {
                let $wrap = AnyValue::<W>::Tnum;
                $body
            }
            AnyValue::Product($x) => {
                let $wrap = AnyValue::<W>::Product;
                $body
            }
            AnyValue::Cnum($x) => {
                let $wrap = AnyValue::<W>::Cnum;
                $body
            }
        }
    };
}

impl<W: DomainWord> AnyValue<W> {
    /// The domain of this value.
    pub fn kind(&self) -> DomainKind {
        match self {
            AnyValue::Interval(_) => DomainKind::Interval,
            AnyValue::SignedInterval(_) => DomainKind::SignedInterval,
            AnyValue::Tnum(_) => DomainKind::Tnum,
            AnyValue::Product(_) => DomainKind::Product,
            AnyValue::Cnum(_) => DomainKind::Cnum,
        }
    }

    /// The words the value is made of, in the order of [`ValueDomain::parts`] (for
    /// serialising it).
    pub fn parts(&self) -> Vec<W> {
        dispatch1!(self, |x, _wrap| x.parts())
    }

    /// See [`ValueDomain::contains`].
    pub fn contains(&self, value: &W) -> W::Bool {
        dispatch1!(self, |x, _wrap| x.contains(value))
    }

    /// See [`ValueDomain::binary`].
    ///
    /// # Panics
    /// If `self` and `src` are of different domains (a bug in the caller).
    pub fn binary(&self, op: BinOp, width: Width, src: &Self) -> Self {
        dispatch2!(self, src, |x, y, wrap| wrap(x.binary(op, width, y)))
    }

    /// See [`ValueDomain::negate`].
    pub fn negate(&self, width: Width) -> Self {
        dispatch1!(self, |x, wrap| wrap(x.negate(width)))
    }

    /// See [`ValueDomain::move_sign_extend`].
    pub fn move_sign_extend(&self, width: Width, from: Size) -> Self {
        dispatch1!(self, |x, wrap| wrap(x.move_sign_extend(width, from)))
    }

    /// See [`ValueDomain::byte_order`].
    pub fn byte_order(&self, order: ByteOrder, bits: u32) -> Self {
        dispatch1!(self, |x, wrap| wrap(x.byte_order(order, bits)))
    }

    /// See [`ValueDomain::refine`].
    ///
    /// # Panics
    /// If `self` and `src` are of different domains (a bug in the caller).
    pub fn refine(&self, relation: Relation, width: Width, src: &Self) -> (Self, Self) {
        dispatch2!(self, src, |x, y, wrap| {
            let (a, b) = x.refine(relation, width, y);
            (wrap(a), wrap(b))
        })
    }
}

impl<W: DomainWord> Lattice for AnyValue<W> {
    type Shape = (DomainKind, W);
    type Bool = W::Bool;

    fn bottom((kind, like): &(DomainKind, W)) -> Self {
        match kind {
            DomainKind::Interval => AnyValue::Interval(UInterval::bottom(like)),
            DomainKind::SignedInterval => AnyValue::SignedInterval(SInterval::bottom(like)),
            DomainKind::Tnum => AnyValue::Tnum(Tnum::bottom(like)),
            DomainKind::Product => AnyValue::Product(Product::bottom(like)),
            DomainKind::Cnum => AnyValue::Cnum(CnumProduct::bottom(like)),
        }
    }
    fn top((kind, like): &(DomainKind, W)) -> Self {
        match kind {
            DomainKind::Interval => AnyValue::Interval(UInterval::top(like)),
            DomainKind::SignedInterval => AnyValue::SignedInterval(SInterval::top(like)),
            DomainKind::Tnum => AnyValue::Tnum(Tnum::top(like)),
            DomainKind::Product => AnyValue::Product(Product::top(like)),
            DomainKind::Cnum => AnyValue::Cnum(CnumProduct::top(like)),
        }
    }
    fn is_bottom(&self) -> W::Bool {
        dispatch1!(self, |x, _wrap| x.is_bottom())
    }
    fn leq(&self, other: &Self) -> W::Bool {
        dispatch2!(self, other, |x, y, _wrap| x.leq(y))
    }
    fn join(&self, other: &Self) -> Self {
        dispatch2!(self, other, |x, y, wrap| wrap(x.join(y)))
    }
    fn meet(&self, other: &Self) -> Self {
        dispatch2!(self, other, |x, y, wrap| wrap(x.meet(y)))
    }
    fn widen(&self, newer: &Self) -> Self {
        dispatch2!(self, newer, |x, y, wrap| wrap(x.widen(y)))
    }
    fn narrow(&self, newer: &Self) -> Self {
        dispatch2!(self, newer, |x, y, wrap| wrap(x.narrow(y)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in DomainKind::ALL {
            assert_eq!(kind.name().parse::<DomainKind>(), Ok(kind));
        }
        assert!("octagon".parse::<DomainKind>().is_err());
    }

    #[test]
    fn parts_round_trip() {
        for kind in DomainKind::ALL {
            let value = kind.constant(&7u64).join(&kind.constant(&12u64));
            assert_eq!(kind.from_parts(&value.parts()), Some(value));
            assert_eq!(kind.from_parts::<u64>(&[1]), None);
        }
    }

    #[test]
    fn run_time_domains_compute() {
        for kind in DomainKind::ALL {
            let three = kind.constant(&3u64);
            let four = kind.constant(&4u64);
            let sum = three.binary(BinOp::Add, Width::W64, &four);
            assert!(sum.contains(&7), "{kind}: {sum:?}");
            assert!(!sum.contains(&8) || kind == DomainKind::Tnum, "{kind}: {sum:?}");
            let top = kind.top(&0u64);
            assert!(three.leq(&top) && !top.leq(&three));
        }
    }
}
