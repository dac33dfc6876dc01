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
    /// A structure whose loads and stores follow the layout's field rules: a virtual
    /// context (`__sk_buff`, `xdp_md`, ...) or an iterator's (`bpf_iter__bpf_map_elem`).
    Layout(&'static ContextLayout),
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
        ProgramSpec::with_context(program_type, program_type.context(), program_type.return_range())
    }

    /// The rules of a `program_type` program in ELF section `section`, whose attach
    /// target may choose the context (iterators) and the return range (LSM hooks).
    pub fn in_section(program_type: ProgramType, section: &str) -> ProgramSpec {
        ProgramSpec::with_context(program_type, program_type.context_in(section), program_type.return_range_in(section))
    }

    fn with_context(program_type: ProgramType, context: ContextKind, return_range: Option<(i64, i64)>) -> ProgramSpec {
        let context = match context {
            ContextKind::Packet(layout) => ContextSpec::Layout(layout),
            ContextKind::Iterator(target) => ContextSpec::Layout(target.layout),
            ContextKind::Raw { size: Some(size) } => ContextSpec::Raw { size: size as u32 },
            ContextKind::Raw { size: None } => ContextSpec::Raw { size: TRACEPOINT_CONTEXT_BYTES },
            ContextKind::NotModelled { structure } => ContextSpec::NotModelled { structure },
        };
        debug_assert!(PT_REGS_BYTES <= u32::MAX as usize);
        ProgramSpec { program_type, context, return_range }
    }

    /// The rules of the program in ELF section `section`, chosen as libbpf does.
    pub fn of_section(section: &str) -> Option<ProgramSpec> {
        ProgramType::of_section(section).map(|t| ProgramSpec::in_section(t, section))
    }

    /// Size of the context in bytes.
    pub fn context_size(&self) -> u32 {
        match self.context {
            ContextSpec::Layout(layout) => layout.size,
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
        assert!(matches!(xdp.context, ContextSpec::Layout(layout) if layout.name == "xdp_md"));
        let kprobe = ProgramSpec::of_section("kprobe/do_sys_openat2").expect("kprobe");
        assert_eq!(kprobe.context, ContextSpec::Raw { size: PT_REGS_BYTES as u32 });
        let tp = ProgramSpec::of_section("tracepoint/syscalls/sys_enter_execve").expect("tracepoint");
        assert_eq!(tp.context_size(), TRACEPOINT_CONTEXT_BYTES);
        assert_eq!(ProgramSpec::of_section("tc").expect("tc").program_type, ProgramType::SchedCls);
        assert!(ProgramSpec::of_section("nonsense").is_none());
    }
}
