use bpfprove_domains::check::{Family, Intervals, Operation, Products, SignedIntervals, Tnums, symbolic};
use std::time::{Duration, Instant};

fn run<F: Family>(width: u32, filter: &str) {
    for op in Operation::all() {
        let name = op.to_string();
        if !filter.is_empty() && !filter.split(',').any(|f| name.starts_with(f)) {
            continue;
        }
        let t = Instant::now();
        let v = symbolic::prove::<F>(op, width, Duration::from_secs(20));
        println!("{} {name} w{width} {:?} {:?}", F::KIND, v, t.elapsed());
    }
}

#[test]
fn scratch() {
    let w: u32 = std::env::var("W").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let which = std::env::var("D").unwrap_or_default();
    let filter = std::env::var("OPS").unwrap_or_default();
    if which.is_empty() || which == "u" {
        run::<Intervals>(w, &filter);
    }
    if which.is_empty() || which == "s" {
        run::<SignedIntervals>(w, &filter);
    }
    if which.is_empty() || which == "t" {
        run::<Tnums>(w, &filter);
    }
    if which.is_empty() || which == "p" {
        run::<Products>(w, &filter);
    }
}
