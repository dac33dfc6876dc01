//! The CI soundness gate: every operation of every domain, exhaustively at 6 bits, the Z3
//! proofs that are quick at 64 bits, and the product by composition of its lemmas at 8 bits
//! (the rest, and the product's lemmas at 64 bits, run offline through `bpfprove
//! prove-domains --z3`).

use std::time::Duration;

use bpfprove_domains::DomainKind;
use bpfprove_domains::Relation;
use bpfprove_domains::check::report::{self, ExhaustiveConfig, Progress, SymbolicConfig, Verdict};
use bpfprove_domains::check::{Operation, WrappedIntervals, composition, symbolic};
use bpfprove_semantics::isa::{BinOp, Cond, Width};

#[test]
fn every_operation_is_sound_exhaustively_at_6_bits() {
    let table = report::prove_exhaustive(&ExhaustiveConfig::standard(6), &mut |_| {});
    assert_eq!(table.rows.len(), Operation::all().len() * DomainKind::ALL.len());
    assert_eq!(table.unsound(), 0, "{table}");
    // Intervals and tnums are enumerated completely at 6 bits; both products are sampled.
    for row in &table.rows {
        let sampled = matches!(row.domain, DomainKind::Product | DomainKind::Cnum);
        let expected = if sampled { Verdict::SampledAtWidth(6) } else { Verdict::ProvenAtWidth(6) };
        assert_eq!(row.verdict, expected, "{row:?}");
    }
    assert!(table.to_string().ends_with(&format!("{} checks, 0 unsound", table.rows.len())));
}

fn prove_at_64(domains: &[DomainKind], operations: Vec<Operation>) {
    let config = SymbolicConfig {
        widths: vec![64],
        domains: domains.to_vec(),
        operations,
        timeout: Duration::from_secs(120),
        ..SymbolicConfig::standard()
    };
    let table = report::prove_symbolic(&config, &mut |_| {});
    for row in &table.rows {
        assert_eq!(row.verdict, Verdict::Proven, "{} {}: {}", row.operation, row.domain, row.verdict);
    }
}

#[test]
fn tnum_arithmetic_bitwise_and_shifts_are_proven_at_64_bits() {
    let ops = [BinOp::Add, BinOp::Sub, BinOp::And, BinOp::Or, BinOp::Xor, BinOp::Lsh];
    prove_at_64(&[DomainKind::Tnum], ops.map(|op| Operation::Binary(op, Width::W64)).to_vec());
}

#[test]
fn interval_arithmetic_and_refinements_are_proven_at_64_bits() {
    let mut operations = vec![
        Operation::Binary(BinOp::Add, Width::W64),
        Operation::Binary(BinOp::Sub, Width::W32),
        Operation::Negate(Width::W64),
    ];
    operations.extend(
        [Cond::Lt, Cond::SLe, Cond::Eq, Cond::Ne].map(|cond| Operation::Refine(Relation::taken(cond), Width::W64)),
    );
    prove_at_64(&[DomainKind::Interval, DomainKind::SignedInterval], operations);
}

/// Z3 does not finish on whole `cnum` operations; its wrapped intervals' bitwise operations,
/// byte swaps, sign extensions and `jset` are quick at 64 bits (`prove-domains --z3` tries
/// the rest with fallbacks).
#[test]
fn the_wrapped_intervals_of_cnum_are_proven_where_z3_is_quick_at_64_bits() {
    let mut operations: Vec<Operation> =
        [BinOp::And, BinOp::Or, BinOp::Xor, BinOp::Mov].map(|op| Operation::Binary(op, Width::W64)).to_vec();
    operations.push(Operation::MoveSignExtend(Width::W64, bpfprove_semantics::isa::Size::W));
    operations.push(Operation::Refine(Relation::taken(Cond::Set), Width::W64));
    for operation in operations {
        let verdict = symbolic::prove::<WrappedIntervals>(operation, 64, Duration::from_secs(120));
        assert_eq!(verdict, symbolic::Verdict::Proven, "{operation}");
    }
}

#[test]
fn the_product_synchronisation_is_proven_at_6_bits() {
    assert_eq!(symbolic::prove_sync(6, Duration::from_secs(120)), symbolic::Verdict::Proven);
}

#[test]
fn the_product_is_proven_by_composition_at_8_bits() {
    let config = SymbolicConfig {
        widths: vec![8],
        domains: vec![DomainKind::Product],
        lemma_timeout: Duration::from_secs(120),
        ..SymbolicConfig::standard()
    };
    let table = report::prove_symbolic(&config, &mut |event| {
        if let Progress::Lemma(row) = event {
            eprintln!("{} {:?} {:.3}", row.lemma, row.verdict, row.time.as_secs_f64());
        }
    });
    assert_eq!(table.rows.len(), Operation::all().len());
    for row in &table.rows {
        let lemmas = composition::lemmas(row.operation, 8).len();
        assert_eq!(row.verdict, Verdict::ProvenByComposition { width: 8, lemmas }, "{}", row.operation);
    }
    assert!(table.lemmas.iter().all(|row| row.verdict == symbolic::Verdict::Proven && row.width == 8));
    assert!(table.to_string().ends_with(&format!("{} checks, 0 unsound", Operation::all().len())));
}
