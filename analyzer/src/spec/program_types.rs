//! Program types as the analyzer sees them: the context the program gets, and the values
//! it may return. The section-name rule and the context layouts are the semantics' own
//! ([`ProgramType::of_section`], [`ContextLayout`]), so the analyzer and the interpreter
//! cannot disagree about them.

use bpfprove_semantics::interp::context::{ContextKind, ContextLayout, PT_REGS_BYTES, ProgramType};

/// Bytes of a tracepoint or raw-tracepoint context the analyzer lets a program read. The
/// real size depends on the tracepoint's format; 64 covers the `syscalls/sys_enter_*`
/// records (8 bytes of header, the syscall number and six arguments) and eight raw
/// tracepoint arguments. Runs of such programs must pass at least this many bytes.
pub const TRACEPOINT_CONTEXT_BYTES: u32 = 64;

/// What a program's context is, for the analyzer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextSpec {
    /// A virtual packet context: loads and stores follow the layout's field rules.
    Packet(&'static ContextLayout),
    /// Plain read-only bytes.
    Raw {
        /// How many.
        size: u32,
    },
    /// A context the model does not describe yet: the analyzer refuses the program.
    NotModelled {
        /// The kernel structure.
        structure: &'static str,
    },
}

/// A program type's rules. The return range is the semantics' own
/// ([`ProgramType::return_range`]), which the interpreter also checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramSpec {
    /// The type.
    pub program_type: ProgramType,
    /// Its context.
    pub context: ContextSpec,
    /// The signed range r0 must lie in at exit, if the type restricts it.
    pub return_range: Option<(i64, i64)>,
}

impl ProgramSpec {
    /// The rules of `program_type`.
    pub fn of(program_type: ProgramType) -> ProgramSpec {
        let context = match program_type.context() {
            ContextKind::Packet(layout) => ContextSpec::Packet(layout),
            ContextKind::Raw { size: Some(size) } => ContextSpec::Raw { size: size as u32 },
            ContextKind::Raw { size: None } => ContextSpec::Raw { size: TRACEPOINT_CONTEXT_BYTES },
            ContextKind::NotModelled { structure } => ContextSpec::NotModelled { structure },
        };
        debug_assert!(PT_REGS_BYTES <= u32::MAX as usize);
        let return_range = program_type.return_range();
        ProgramSpec { program_type, context, return_range }
    }

    /// The rules of the program in ELF section `section`, chosen as libbpf does.
    pub fn of_section(section: &str) -> Option<ProgramSpec> {
        ProgramType::of_section(section).map(ProgramSpec::of)
    }

    /// Size of the context in bytes.
    pub fn context_size(&self) -> u32 {
        match self.context {
            ContextSpec::Packet(layout) => layout.size,
            ContextSpec::Raw { size } => size,
            ContextSpec::NotModelled { .. } => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_choose_rules() {
        let xdp = ProgramSpec::of_section("xdp").expect("xdp");
        assert_eq!(xdp.return_range, Some((0, 4)));
        assert!(matches!(xdp.context, ContextSpec::Packet(layout) if layout.name == "xdp_md"));
        let kprobe = ProgramSpec::of_section("kprobe/do_sys_openat2").expect("kprobe");
        assert_eq!(kprobe.context, ContextSpec::Raw { size: PT_REGS_BYTES as u32 });
        let tp = ProgramSpec::of_section("tracepoint/syscalls/sys_enter_execve").expect("tracepoint");
        assert_eq!(tp.context_size(), TRACEPOINT_CONTEXT_BYTES);
        assert_eq!(ProgramSpec::of_section("tc").expect("tc").program_type, ProgramType::SchedCls);
        assert!(ProgramSpec::of_section("nonsense").is_none());
    }
}
