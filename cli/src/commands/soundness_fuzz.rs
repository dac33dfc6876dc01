//! `bpfprove soundness-fuzz`: generated programs verified, and the accepted ones run on many
//! inputs; an accepted program that goes wrong is a finding, minimised and written out.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bpfprove_analyzer::domain_spec::DomainSpec;
use bpfprove_soundness::oracle::standard_verifier;
use bpfprove_soundness::{FuzzConfig, GenConfig, Limit, OracleConfig, fuzz};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::verify::PrivilegeArgs;
use crate::Outcome;
use crate::output::outln;

/// Arguments of `bpfprove soundness-fuzz`.
#[derive(Args)]
pub(crate) struct SoundnessFuzzArgs {
    /// Seed of the program generator (the same seed gives the same programs and inputs).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How long to fuzz: `90s`, `10m`, `1h` (or a plain number of seconds).
    #[arg(long, value_parser = parse_duration, conflicts_with = "programs")]
    time: Option<Duration>,
    /// How many programs to generate (default 1000 when `--time` is not given).
    #[arg(long)]
    programs: Option<u64>,
    /// Worker threads (default: the number of cores).
    #[arg(short = 'j', long)]
    jobs: Option<usize>,
    /// The value domain of the verifier under test: interval, signed-interval, tnum, product,
    /// cnum, zone, zone-z3, eq, product(DOMAIN,C) or product(DOMAIN,C,eq) for C zone, zone-z3
    /// or eq.
    #[arg(long, default_value = "product")]
    domain: DomainSpec,
    /// Inputs per accepted program.
    #[arg(long, default_value_t = OracleConfig::standard().runs)]
    runs: usize,
    /// Directory to write each finding to (`finding-N.s`: the minimised program, with its
    /// input and trap in comments).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    privilege: PrivilegeArgs,
}

/// `90s`, `10m`, `1h`, `2h30m` or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration like 90s, 10m or 1h");
    let mut seconds = 0u64;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        let value: u64 = number.parse().map_err(|_| bad())?;
        seconds = value.checked_mul(unit).and_then(|v| seconds.checked_add(v)).ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        seconds = number.parse::<u64>().ok().and_then(|v| seconds.checked_add(v)).ok_or_else(bad)?;
    }
    if seconds == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(seconds))
}

pub(crate) fn soundness_fuzz(args: SoundnessFuzzArgs) -> Result<Outcome> {
    let limit = match (args.time, args.programs) {
        (Some(time), _) => Limit::Time(time),
        (None, programs) => Limit::Programs(programs.unwrap_or(1000)),
    };
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let config = FuzzConfig {
        seed: args.seed,
        limit,
        jobs,
        generation: GenConfig::standard(),
        oracle: OracleConfig { runs: args.runs, privilege: args.privilege.privilege(), ..OracleConfig::standard() },
    };
    let bar = match limit {
        Limit::Programs(total) => ProgressBar::new(total),
        Limit::Time(time) => ProgressBar::new(time.as_secs()),
    };
    bar.set_style(ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {msg}").expect("valid template"));
    let mut progress = |stats: &bpfprove_soundness::Stats| {
        bar.set_position(match limit {
            Limit::Programs(_) => stats.programs,
            Limit::Time(_) => stats.elapsed.as_secs(),
        });
        bar.set_message(stats.to_string());
    };
    let verifier = standard_verifier(args.domain, args.privilege.privilege());
    let report = fuzz(&config, &verifier, &mut progress)?;
    bar.finish_and_clear();

    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for (i, finding) in report.findings.iter().enumerate() {
        outln!("finding {}: {}", i + 1, finding.signature)?;
        outln!("{}", finding.to_text())?;
        if let Some(dir) = &args.out {
            let path = dir.join(format!("finding-{}.s", i + 1));
            crate::output::write_file(&path, finding.to_text())?;
        }
    }
    for error in &report.invalid {
        crate::output::note(format_args!("generator error: {error}"));
    }
    outln!("{}; {} distinct findings", report.stats, report.findings.len())?;
    Ok(if report.findings.is_empty() && report.stats.invalid == 0 { Outcome::Success } else { Outcome::Failed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("120s"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2h30m"), Ok(Duration::from_secs(9000)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "0s", "1d", "h", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
