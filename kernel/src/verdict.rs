//! The kernel's verifier as a verdict with statistics: a program of an ELF object loaded
//! with `BPF_PROG_LOAD` at log level `BPF_LOG_STATS`, whose log ends with
//! `processed N insns (limit ...) max_states_per_insn M total_states T peak_states P ...`
//! and `verification time U usec`. A rejected program is loaded again at log level 1 for
//! the reason (the log's last line). Program types come from the section name, with the
//! expected attach type the kernel demands for some; types that need BTF ids of the
//! running kernel (fentry, lsm, struct_ops, iterators) are not loaded here.

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use bpfprove_semantics::elf::{LoadedProgram, MapOrigin, Object};

use crate::btf::FuncInfo;
use crate::error::KernelError;
use crate::maps::{KernelMap, MapShape};
use crate::object::relocate;
use crate::sys;

/// `BPF_LOG_STATS`.
const LOG_STATS: u32 = 4;
/// Bytes for a statistics-only log (a few lines).
const STATS_LOG_BYTES: usize = 64 << 10;
/// Bytes for the log of a rejection.
const REASON_LOG_BYTES: usize = 16 << 20;
/// `BPF_F_SLEEPABLE`.
const SLEEPABLE: u32 = 1 << 4;
/// `BPF_F_XDP_HAS_FRAGS`.
const XDP_HAS_FRAGS: u32 = 1 << 5;

/// Section prefixes (as libbpf reads them: the name itself or the name followed by `/`)
/// with the program type, expected attach type and flags to load them with.
const SECTIONS: &[(&str, u32, u32, u32)] = &[
    ("socket", 1, 0, 0),
    ("kprobe", 2, 0, 0),
    ("kretprobe", 2, 0, 0),
    ("uprobe", 2, 0, 0),
    ("uretprobe", 2, 0, 0),
    ("ksyscall", 2, 0, 0),
    ("kretsyscall", 2, 0, 0),
    ("usdt", 2, 0, 0),
    ("tc", 3, 0, 0),
    ("classifier", 3, 0, 0),
    ("tcx/ingress", 3, 46, 0),
    ("tcx/egress", 3, 47, 0),
    ("action", 4, 0, 0),
    ("tracepoint", 5, 0, 0),
    ("tp", 5, 0, 0),
    ("xdp", 6, 0, 0),
    ("xdp.frags", 6, 0, XDP_HAS_FRAGS),
    ("perf_event", 7, 0, 0),
    ("cgroup_skb/ingress", 8, 0, 0),
    ("cgroup_skb/egress", 8, 1, 0),
    ("cgroup/skb", 8, 0, 0),
    ("cgroup/sock_create", 9, 2, 0),
    ("cgroup/sock", 9, 2, 0),
    ("cgroup/sock_release", 9, 34, 0),
    ("cgroup/post_bind4", 9, 12, 0),
    ("cgroup/post_bind6", 9, 13, 0),
    ("lwt_in", 10, 0, 0),
    ("lwt_out", 11, 0, 0),
    ("lwt_xmit", 12, 0, 0),
    ("sockops", 13, 3, 0),
    ("sk_skb/stream_parser", 14, 4, 0),
    ("sk_skb/stream_verdict", 14, 5, 0),
    ("sk_skb", 14, 0, 0),
    ("cgroup/dev", 15, 6, 0),
    ("sk_msg", 16, 7, 0),
    ("raw_tracepoint", 17, 0, 0),
    ("raw_tp", 17, 0, 0),
    ("cgroup/bind4", 18, 8, 0),
    ("cgroup/bind6", 18, 9, 0),
    ("cgroup/connect4", 18, 10, 0),
    ("cgroup/connect6", 18, 11, 0),
    ("cgroup/sendmsg4", 18, 14, 0),
    ("cgroup/sendmsg6", 18, 15, 0),
    ("cgroup/recvmsg4", 18, 19, 0),
    ("cgroup/recvmsg6", 18, 20, 0),
    ("cgroup/getpeername4", 18, 29, 0),
    ("cgroup/getpeername6", 18, 30, 0),
    ("cgroup/getsockname4", 18, 31, 0),
    ("cgroup/getsockname6", 18, 32, 0),
    ("sk_reuseport", 21, 0, 0),
    ("flow_dissector", 22, 17, 0),
    ("cgroup/sysctl", 23, 18, 0),
    ("raw_tracepoint.w", 24, 0, 0),
    ("raw_tp.w", 24, 0, 0),
    ("cgroup/getsockopt", 25, 21, 0),
    ("cgroup/setsockopt", 25, 22, 0),
    ("sk_lookup", 30, 36, 0),
    ("syscall", 31, 0, SLEEPABLE),
    ("netfilter", 32, 45, 0),
];

/// What the kernel's verifier said about one program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelVerdict {
    /// Whether it loaded.
    pub accepted: bool,
    /// `processed N insns`.
    pub processed_insns: Option<u64>,
    /// `total_states`.
    pub total_states: Option<u64>,
    /// `peak_states`.
    pub peak_states: Option<u64>,
    /// `verification time`, or the load's wall time when the log has none.
    pub duration: Duration,
    /// For a rejection, the log's last line.
    pub reason: Option<String>,
}

/// The statistics of a verifier log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// `processed N insns`.
    pub processed_insns: Option<u64>,
    /// `total_states N`.
    pub total_states: Option<u64>,
    /// `peak_states N`.
    pub peak_states: Option<u64>,
    /// `verification time N usec`.
    pub verification_usec: Option<u64>,
}

/// Reads the statistics lines of a verifier log.
pub fn parse_stats(log: &str) -> LogStats {
    let mut stats = LogStats::default();
    for line in log.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |word: &str| words.iter().position(|w| *w == word).and_then(|i| words.get(i + 1)?.parse().ok());
        if line.starts_with("processed ") {
            stats.processed_insns = words.get(1).and_then(|n| n.parse().ok());
            stats.total_states = after("total_states");
            stats.peak_states = after("peak_states");
        } else if let Some(rest) = line.strip_prefix("verification time ") {
            stats.verification_usec = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        }
    }
    stats
}

/// The program type, expected attach type and flags for `section`, if this module loads it.
pub fn load_type_of(section: &str) -> Option<(u32, u32, u32)> {
    let section = section.strip_prefix('?').unwrap_or(section);
    SECTIONS
        .iter()
        .filter(|(prefix, ..)| {
            section == *prefix || section.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|(prefix, ..)| prefix.len())
        .map(|&(_, program_type, attach, flags)| (program_type, attach, flags))
}

/// Loads `program` of `object` (its maps created, map loads relocated) and reports the
/// kernel verifier's verdict and statistics. An error means the program never reached the
/// verifier (its type, a map or an instruction this crate cannot hand over).
pub fn verify(object: &Object, program: &LoadedProgram) -> Result<KernelVerdict, KernelError> {
    let Some((program_type, attach, flags)) = load_type_of(&program.section) else {
        return Err(KernelError::Unsupported(format!(
            "section `{}`: no program type loaded without the kernel's BTF ids",
            program.section
        )));
    };
    let mut maps = Vec::new();
    for def in &object.maps {
        let map = KernelMap::create(MapShape {
            map_type: def.map_type,
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: def.max_entries,
            flags: def.flags,
        })?;
        if let MapOrigin::Data { bytes, .. } = &def.origin {
            map.update(&0u32.to_le_bytes(), bytes)?;
        }
        maps.push(map);
    }
    let fds: BTreeMap<i32, i32> = maps.iter().enumerate().map(|(index, map)| (index as i32, map.raw_fd())).collect();
    let insns = program
        .program
        .insns()
        .iter()
        .map(|decoded| relocate(decoded.insn, decoded.pc, &fds))
        .collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<usize> = program.program.functions().iter().map(|f| f.entry).collect();
    let info = if entries.len() > 1 { Some(FuncInfo::for_entries(&entries)?) } else { None };
    let bytecode = bpfprove_semantics::isa::encode(&insns);
    let attempt = Attempt { program_type, attach, flags, bytecode: &bytecode, info: info.as_ref() };
    let mut log = vec![0u8; STATS_LOG_BYTES];
    let started = Instant::now();
    let loaded = attempt.load(LOG_STATS, &mut log);
    let wall = started.elapsed();
    let stats = parse_stats(&log_text(&log));
    let duration = stats.verification_usec.map_or(wall, Duration::from_micros);
    let reason = match loaded {
        Ok(_descriptor) => None,
        Err(_) => {
            let mut log = vec![0u8; REASON_LOG_BYTES];
            let _ = attempt.load(1, &mut log);
            Some(reason_line(&log_text(&log)).to_owned())
        }
    };
    drop(maps);
    Ok(KernelVerdict {
        accepted: reason.is_none(),
        processed_insns: stats.processed_insns,
        total_states: stats.total_states,
        peak_states: stats.peak_states,
        duration,
        reason,
    })
}

struct Attempt<'a> {
    program_type: u32,
    attach: u32,
    flags: u32,
    bytecode: &'a [u8],
    info: Option<&'a FuncInfo>,
}

impl Attempt<'_> {
    fn load(&self, log_level: u32, log: &mut [u8]) -> std::io::Result<OwnedFd> {
        use std::os::fd::AsRawFd;
        let license = b"GPL\0";
        let insn_cnt = u32::try_from(self.bytecode.len() / 8).map_err(|_| std::io::Error::other("too many slots"))?;
        let mut attr = sys::ProgLoadAttr {
            prog_type: self.program_type,
            insn_cnt,
            insns: sys::address(self.bytecode),
            license: sys::address(license),
            prog_flags: self.flags,
            expected_attach_type: self.attach,
            log_level,
            log_size: u32::try_from(log.len()).unwrap_or(u32::MAX),
            log_buf: sys::address(log),
            ..Default::default()
        };
        attr.prog_name[..8].copy_from_slice(b"bpfprove");
        if let Some(info) = self.info {
            attr.prog_btf_fd = info.btf_fd().as_raw_fd() as u32;
            attr.func_info_rec_size = FuncInfo::RECORD_BYTES;
            attr.func_info = sys::address(info.records());
            attr.func_info_cnt = (info.records().len() as u32) / FuncInfo::RECORD_BYTES;
        }
        sys::bpf_fd(sys::PROG_LOAD, &mut attr)
    }
}

fn log_text(log: &[u8]) -> String {
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    String::from_utf8_lossy(&log[..end]).into_owned()
}

/// The last non-empty line before the statistics.
fn reason_line(log: &str) -> &str {
    let statistics = |line: &str| line.starts_with("processed ") || line.starts_with("verification time");
    log.lines().map(str::trim).rev().find(|l| !l.is_empty() && !statistics(l)).unwrap_or("(empty log)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_lines_are_read() {
        let log = "func#0 @0\nverification time 37 usec\nstack depth 8\n\
                   processed 12 insns (limit 1000000) max_states_per_insn 1 total_states 3 peak_states 2 mark_read 1\n";
        assert_eq!(
            parse_stats(log),
            LogStats {
                processed_insns: Some(12),
                total_states: Some(3),
                peak_states: Some(2),
                verification_usec: Some(37)
            }
        );
    }

    #[test]
    fn sections_take_their_longest_prefix() {
        assert_eq!(load_type_of("xdp"), Some((6, 0, 0)));
        assert_eq!(load_type_of("xdp.frags"), Some((6, 0, XDP_HAS_FRAGS)));
        assert_eq!(load_type_of("cgroup_skb/egress"), Some((8, 1, 0)));
        assert_eq!(load_type_of("?tc/ingress"), Some((3, 0, 0)));
        assert_eq!(load_type_of("fentry/foo"), None);
        assert_eq!(load_type_of("xdpfoo"), None);
    }
}
