//! Cost of one transfer function per operation and domain, over 64-bit words.

use std::hint::black_box;

use bpfprove_domains::check::Operation;
use bpfprove_domains::{DomainKind, Lattice, Relation};
use bpfprove_semantics::isa::{BinOp, Cond, Width};
use criterion::{Criterion, criterion_group, criterion_main};

/// Operands typical of verifier states: a bounded index and a small bounded value,
/// each built by refining an unknown register (so the product carries all its views).
fn operands(kind: DomainKind) -> (bpfprove_domains::AnyValue<u64>, bpfprove_domains::AnyValue<u64>) {
    let top = kind.top(&0u64);
    let (index, _) = top.refine(Relation::taken(Cond::Le), Width::W64, &kind.constant(&1000));
    let (index, _) = index.refine(Relation::taken(Cond::Ge), Width::W64, &kind.constant(&16));
    let (small, _) = top.refine(Relation::taken(Cond::Lt), Width::W64, &kind.constant(&8));
    (index, small)
}

fn transfers(c: &mut Criterion) {
    let operations = [
        Operation::Binary(BinOp::Add, Width::W64),
        Operation::Binary(BinOp::Sub, Width::W64),
        Operation::Binary(BinOp::Mul, Width::W64),
        Operation::Binary(BinOp::Div, Width::W64),
        Operation::Binary(BinOp::SDiv, Width::W64),
        Operation::Binary(BinOp::And, Width::W64),
        Operation::Binary(BinOp::Or, Width::W64),
        Operation::Binary(BinOp::Lsh, Width::W64),
        Operation::Binary(BinOp::Arsh, Width::W64),
        Operation::Binary(BinOp::Add, Width::W32),
        Operation::Negate(Width::W64),
        // `index < small` and `index s< small` hold for no values (an infeasible edge: both
        // operands become empty); `index > small` and `index s> small` hold for all of them
        // (a feasible edge that keeps both operands).
        Operation::Refine(Relation::taken(Cond::Lt), Width::W64),
        Operation::Refine(Relation::taken(Cond::SLt), Width::W32),
        Operation::Refine(Relation::taken(Cond::Gt), Width::W64),
        Operation::Refine(Relation::taken(Cond::SGt), Width::W32),
    ];
    for kind in DomainKind::ALL {
        let (a, b) = operands(kind);
        let mut group = c.benchmark_group(kind.name());
        for operation in operations {
            group.bench_function(operation.to_string(), |bench| {
                bench.iter(|| match operation {
                    Operation::Refine(relation, width) => black_box(&a).refine(relation, width, black_box(&b)).0,
                    Operation::Binary(op, width) => black_box(&a).binary(op, width, black_box(&b)),
                    Operation::Negate(width) => black_box(&a).negate(width),
                    _ => unreachable!("only the listed operations are benchmarked"),
                })
            });
        }
        group.bench_function("join", |bench| bench.iter(|| black_box(&a).join(black_box(&b))));
        group.finish();
    }
}

criterion_group!(benches, transfers);
criterion_main!(benches);
