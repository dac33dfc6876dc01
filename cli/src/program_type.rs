//! `--program-type` and `--default-program-type`: choosing program types on the command line.

use bpfprove_semantics::interp::context::ProgramType;
use bpfprove_semantics::model::section::TypeChoice;
use clap::Args;

/// The program-type options shared by the verbs that take a program.
#[derive(Args, Clone, Copy, Debug, Default)]
pub(crate) struct ProgramTypeArgs {
    /// The program type: for a program without an ELF section its type (default
    /// socket_filter); for an ELF object the type of every program, whatever the sections
    /// say. A type name (`xdp`, `sched_cls`, `cgroup_skb/egress`, `fentry.s`, ...), a
    /// libbpf section name (`tc`, `kprobe/x`, `cgroup/bind4`), or one of the short forms
    /// `socket`, `tc`.
    #[arg(long, value_name = "NAME", value_parser = parse_program_type)]
    pub(crate) program_type: Option<ProgramType>,
    /// For ELF objects: the type of the programs whose section names none (instead of an
    /// error for each of them).
    #[arg(long, value_name = "NAME", value_parser = parse_program_type)]
    pub(crate) default_program_type: Option<ProgramType>,
}

impl ProgramTypeArgs {
    /// How to choose the types of an ELF object's programs.
    pub(crate) fn choice(&self) -> TypeChoice {
        TypeChoice { force: self.program_type, default: self.default_program_type }
    }

    /// The type of a program without an ELF section.
    pub(crate) fn bare(&self) -> ProgramType {
        self.program_type.unwrap_or(ProgramType::SocketFilter)
    }
}

/// Reads a program type named on the command line.
pub(crate) fn parse_program_type(name: &str) -> Result<ProgramType, String> {
    let short = match name {
        "socket" => Some(ProgramType::SocketFilter),
        "tc" => Some(ProgramType::SchedCls),
        _ => None,
    };
    short.or_else(|| ProgramType::from_name(name)).or_else(|| ProgramType::of_section(name)).ok_or_else(|| {
        let names: Vec<&str> = ProgramType::ALL.iter().map(|t| t.name()).collect();
        format!("unknown program type `{name}`; known: {}, or a libbpf section name", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sections_and_short_forms_are_accepted() {
        assert_eq!(parse_program_type("socket"), Ok(ProgramType::SocketFilter));
        assert_eq!(parse_program_type("tc"), Ok(ProgramType::SchedCls));
        assert_eq!(parse_program_type("kprobe"), Ok(ProgramType::Kprobe));
        assert_eq!(parse_program_type("tracepoint"), Ok(ProgramType::Tracepoint));
        assert_eq!(parse_program_type("cgroup_skb/egress"), Ok(ProgramType::CgroupSkbEgress));
        assert_eq!(parse_program_type("fentry.s"), Ok(ProgramType::FentrySleepable));
        assert_eq!(parse_program_type("fentry/foo"), Ok(ProgramType::Fentry));
        assert_eq!(parse_program_type("sched_act"), Ok(ProgramType::SchedAct));
        let error = parse_program_type("frobnicate").expect_err("unknown");
        assert!(error.contains("frobnicate") && error.contains("xdp"), "{error}");
    }
}
