use bpfprove_domains::check::{Operation, enumerate::Enumerable, exhaustive};
use bpfprove_domains::{Product, SInterval, Tnum, UInterval};

fn run<D: Enumerable>(name: &str, width: u32, limit: usize) -> usize {
    let population = D::population(width, limit);
    let mut bad = 0;
    for op in Operation::all() {
        let t = std::time::Instant::now();
        let outcome = exhaustive::check(op, width, &population.values);
        if let Some(w) = &outcome.unsound {
            bad += 1;
            println!("UNSOUND {name} {op}: {w}");
        } else {
            println!(
                "ok {name} {op} pairs {} precise {:.1}% {:?}",
                outcome.pairs,
                100.0 * outcome.precise as f64 / outcome.pairs as f64,
                t.elapsed()
            );
        }
    }
    bad
}

#[test]
fn scratch() {
    let w: u32 = std::env::var("W").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let which = std::env::var("D").unwrap_or_default();
    let mut bad = 0;
    if which.is_empty() || which == "u" {
        bad += run::<UInterval<_>>("interval", w, 100000);
    }
    if which.is_empty() || which == "s" {
        bad += run::<SInterval<_>>("signed", w, 100000);
    }
    if which.is_empty() || which == "t" {
        bad += run::<Tnum<_>>("tnum", w, 100000);
    }
    if which.is_empty() || which == "p" {
        bad += run::<Product<_>>("product", w, 400);
    }
    assert_eq!(bad, 0);
}
