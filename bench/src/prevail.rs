//! PREVAIL as a column: its `prevail` binary (the `check` tool of the PREVAIL project)
//! runs on one program at a time, `prevail FILE --section S --function F -f`, and prints
//! the first failure (`LABEL: message`, with `-f`) and then `PASS,SECONDS,KIB` on its
//! last line. Running the binary is this crate's only IO beside the kernel column; the
//! parser is separate so it is tested on recorded output.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What PREVAIL printed for one program.
#[derive(Clone, Debug, PartialEq)]
pub struct PrevailOutcome {
    /// Whether it verified.
    pub pass: bool,
    /// Its own analysis time.
    pub duration: Duration,
    /// Its resident set size at the end, KiB (the whole process: PREVAIL runs one program per
    /// process, so this is that program's peak as far as PREVAIL measures it).
    pub rss_kib: u64,
    /// The first failure (`LABEL: message`), when it printed one.
    pub first_failure: Option<String>,
}

/// Reads PREVAIL's output; the error says why it is not a verdict.
pub fn parse_output(text: &str) -> Result<PrevailOutcome, String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let Some(last) = lines.last() else { return Err("no output".to_owned()) };
    let fields: Vec<&str> = last.split(',').collect();
    let parsed = match fields.as_slice() {
        [pass, seconds, kib] => match (*pass, seconds.parse::<f64>(), kib.parse::<u64>()) {
            ("1" | "0", Ok(seconds), Ok(kib)) if seconds.is_finite() && seconds >= 0.0 => {
                Some((*pass == "1", seconds, kib))
            }
            _ => None,
        },
        _ => None,
    };
    let Some((pass, seconds, rss_kib)) = parsed else {
        let said = if lines.first().is_some_and(|l| l.starts_with("please specify a program")) {
            "the section and function name no single program".to_owned()
        } else {
            format!("unexpected last line `{last}`")
        };
        return Err(said);
    };
    let first_failure = lines[..lines.len() - 1]
        .iter()
        .find(|l| !l.starts_with(';') && l.split_once(": ").is_some_and(|(label, _)| is_label(label)))
        .map(|l| (*l).to_owned());
    Ok(PrevailOutcome { pass, duration: Duration::from_secs_f64(seconds), rss_kib, first_failure })
}

/// PREVAIL labels are instruction numbers, possibly with an edge (`12`, `12:14`, `12 (-> 14)`).
fn is_label(label: &str) -> bool {
    label.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// The `prevail` binary on `PATH`, if there is one.
pub fn find_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("prevail")).find(|candidate| candidate.is_file())
}

/// Runs `binary` on one program of `file`.
pub fn run(binary: &Path, file: &Path, section: &str, function: &str) -> Result<PrevailOutcome, String> {
    let output = Command::new(binary)
        .arg(file)
        .args(["--section", section, "--function", function, "-f"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_output(&text).map_err(|why| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        match stderr.lines().find(|l| !l.trim().is_empty()) {
            Some(line) => format!("prevail: {why} ({})", line.trim()),
            None => format!("prevail: {why}"),
        }
    })
}
