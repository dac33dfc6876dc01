//! Generated programs for the scale benchmarks: straight-line code, nested and sequential
//! bounded loops, and a large tc-like packet parser (safe, or with one unchecked read).
//!
//! Each workload is written as LLVM-syntax assembly and assembled by
//! [`bpfprove_semantics::asm::llvm`], so nothing large is stored in the repository and the
//! programs are the same on every run (no randomness). The safe workloads pass the analyzer
//! and run in the interpreter without a trap; the tests check both at small sizes.

use std::fmt::{self, Write};

use bpfprove_semantics::asm::{AsmError, llvm};
use bpfprove_semantics::elf::{LoadedProgram, Object};
use bpfprove_semantics::model::program_type::ProgramType;

/// One generated program's shape and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `insns` instructions without a branch: ALU operations, stack spills and fills, 32-
    /// and 64-bit, on a context field's unknown value; an XDP program.
    StraightLine {
        /// Instructions in all (at least 8).
        insns: usize,
    },
    /// `depth` loops nested in one another, each of `bound` rounds, counting up in their
    /// own register; an XDP program.
    NestedLoops {
        /// Loops nested (1..=9: one register each).
        depth: usize,
        /// Rounds of each loop.
        bound: u32,
    },
    /// `loops` loops one after the other, each of `rounds` rounds; an XDP program.
    SequentialLoops {
        /// Loops.
        loops: usize,
        /// Rounds of each.
        rounds: u32,
    },
    /// A tc program of `blocks` blocks, each a packet bounds check, a packet read and a
    /// branch on the byte read (two join points per block).
    PacketParser {
        /// Blocks.
        blocks: usize,
    },
    /// [`Workload::PacketParser`] with the bounds check of its middle block left out: it
    /// reads past a short packet, so the analyzer must reject it.
    UncheckedParser {
        /// Blocks.
        blocks: usize,
    },
}

impl Workload {
    /// Whether the program is safe (the analyzer should pass it).
    pub fn is_safe(self) -> bool {
        !matches!(self, Workload::UncheckedParser { .. })
    }

    /// The program type its section gives it.
    pub fn program_type(self) -> ProgramType {
        match self {
            Workload::PacketParser { .. } | Workload::UncheckedParser { .. } => ProgramType::SchedCls,
            _ => ProgramType::Xdp,
        }
    }

    fn section(self) -> &'static str {
        match self.program_type() {
            ProgramType::SchedCls => "tc",
            _ => "xdp",
        }
    }

    /// Its assembly text.
    pub fn text(self) -> String {
        match self {
            Workload::StraightLine { insns } => straight_line(insns),
            Workload::NestedLoops { depth, bound } => nested_loops(depth, bound),
            Workload::SequentialLoops { loops, rounds } => sequential_loops(loops, rounds),
            Workload::PacketParser { blocks } => packet_parser(blocks, None),
            Workload::UncheckedParser { blocks } => packet_parser(blocks, Some(blocks / 2)),
        }
    }

    /// An object holding the program alone (no maps), named after the workload.
    pub fn object(self) -> Result<Object, AsmError> {
        let program = llvm::parse(&self.text())?;
        let loaded = LoadedProgram::bare(self.section(), self.to_string(), program);
        Ok(Object::of_program(Some("GPL".into()), Vec::new(), loaded))
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Workload::StraightLine { insns } => write!(f, "straight_line_{insns}"),
            Workload::NestedLoops { depth, bound } => write!(f, "nested_loops_{depth}x{bound}"),
            Workload::SequentialLoops { loops, rounds } => write!(f, "sequential_loops_{loops}x{rounds}"),
            Workload::PacketParser { blocks } => write!(f, "packet_parser_{blocks}"),
            Workload::UncheckedParser { blocks } => write!(f, "unchecked_parser_{blocks}"),
        }
    }
}

/// `xdp_md.rx_queue_index`: a value the program cannot know.
const XDP_RX_QUEUE_INDEX: u32 = 16;
/// `XDP_PASS`.
const XDP_PASS: u32 = 2;
/// `__sk_buff.data` and `data_end`.
const SKB_DATA: u32 = 76;
const SKB_DATA_END: u32 = 80;

/// Instructions of one straight-line block.
const STRAIGHT_BLOCK: usize = 14;

fn straight_line(insns: usize) -> String {
    // Prologue (2) and epilogue (2) around the blocks; the rest pads with single ALU steps.
    let body = insns.saturating_sub(4);
    let mut text = String::new();
    line(&mut text, "r6 = r1");
    line(&mut text, &format!("w7 = *(u32 *)(r6 + {XDP_RX_QUEUE_INDEX})"));
    for block in 0..body / STRAIGHT_BLOCK {
        let slot = 8 * (1 + block % 32);
        let half = 264 + 8 * (block % 31);
        let lines = [
            "r1 = r7".to_owned(),
            format!("r1 &= {}", 0xff + block % 97),
            "r2 = r1".to_owned(),
            format!("r2 += {}", 13 + block % 7),
            "r2 *= 3".to_owned(),
            format!("*(u64 *)(r10 - {slot}) = r2"),
            format!("r3 = *(u64 *)(r10 - {slot})"),
            "r3 |= 1".to_owned(),
            "r4 = r3".to_owned(),
            "r4 <<= 2".to_owned(),
            "w5 = w4".to_owned(),
            format!("w5 ^= {}", block % 251),
            format!("*(u32 *)(r10 - {half}) = w5"),
            format!("w0 = *(u32 *)(r10 - {half})"),
        ];
        for insn in lines {
            line(&mut text, &insn);
        }
    }
    for _ in 0..body % STRAIGHT_BLOCK {
        line(&mut text, "r7 += 1");
    }
    line(&mut text, &format!("r0 = {XDP_PASS}"));
    line(&mut text, "exit");
    text
}

fn nested_loops(depth: usize, bound: u32) -> String {
    assert!((1..=9).contains(&depth), "one counter register per loop: r1..=r9");
    let mut text = String::new();
    line(&mut text, "r0 = 0");
    for level in 1..=depth {
        line(&mut text, &format!("r{level} = 0"));
        label(&mut text, &format!("loop_{level}"));
    }
    line(&mut text, &format!("r0 += r{depth}"));
    line(&mut text, "r0 &= 0xffff");
    for level in (1..=depth).rev() {
        line(&mut text, &format!("r{level} += 1"));
        line(&mut text, &format!("if r{level} < {bound} goto loop_{level}"));
    }
    line(&mut text, &format!("r0 = {XDP_PASS}"));
    line(&mut text, "exit");
    text
}

fn sequential_loops(loops: usize, rounds: u32) -> String {
    let mut text = String::new();
    line(&mut text, "r0 = 0");
    for index in 0..loops {
        line(&mut text, "r1 = 0");
        label(&mut text, &format!("loop_{index}"));
        line(&mut text, "r2 = r1");
        line(&mut text, &format!("r2 &= {}", 1 + index % 15));
        line(&mut text, "r0 += r2");
        line(&mut text, "r0 &= 0xffff");
        line(&mut text, "r1 += 1");
        line(&mut text, &format!("if r1 < {rounds} goto loop_{index}"));
    }
    line(&mut text, &format!("r0 = {XDP_PASS}"));
    line(&mut text, "exit");
    text
}

/// Packet bytes the parser's blocks read (offsets cycle through them).
const PARSED_BYTES: usize = 64;

fn packet_parser(blocks: usize, unchecked: Option<usize>) -> String {
    let mut text = String::new();
    line(&mut text, "r6 = r1");
    line(&mut text, &format!("r7 = *(u32 *)(r6 + {SKB_DATA})"));
    line(&mut text, &format!("r8 = *(u32 *)(r6 + {SKB_DATA_END})"));
    line(&mut text, "r9 = 0");
    for block in 0..blocks {
        let offset = block % PARSED_BYTES;
        if unchecked == Some(block) {
            // Past any bound checked so far: a short packet makes this read trap.
            line(&mut text, &format!("r3 = *(u8 *)(r7 + {})", PARSED_BYTES + 8));
        } else {
            line(&mut text, "r2 = r7");
            line(&mut text, &format!("r2 += {}", offset + 1));
            line(&mut text, &format!("if r2 > r8 goto next_{block}"));
            line(&mut text, &format!("r3 = *(u8 *)(r7 + {offset})"));
        }
        line(&mut text, &format!("if r3 == {} goto skip_{block}", block % 251));
        line(&mut text, "r9 += r3");
        line(&mut text, "r9 &= 0xffff");
        label(&mut text, &format!("skip_{block}"));
        line(&mut text, "r4 = r9");
        line(&mut text, &format!("r4 ^= {block}"));
        line(&mut text, "*(u32 *)(r10 - 4) = w4");
        label(&mut text, &format!("next_{block}"));
    }
    line(&mut text, "r0 = 0");
    line(&mut text, "exit");
    text
}

fn line(text: &mut String, insn: &str) {
    let _ = writeln!(text, "\t{insn}");
}

fn label(text: &mut String, name: &str) {
    let _ = writeln!(text, "{name}:");
}

#[cfg(test)]
mod tests {
    use bpfprove_analyzer::{Config, Subject, Verdict, Verifier};
    use bpfprove_domains::DomainKind;
    use bpfprove_semantics::interp::elf_run::ObjectRunner;
    use bpfprove_semantics::interp::{CallxModel, RunConfig};

    use super::*;

    /// The safe workloads at small sizes: the analyzer passes each, and the interpreter runs
    /// each to its exit on a short and a long packet; the unchecked parser fails and traps
    /// on the short packet.
    #[test]
    fn safe_workloads_pass_and_run_without_a_trap() {
        let workloads = [
            Workload::StraightLine { insns: 1000 },
            Workload::NestedLoops { depth: 2, bound: 10 },
            Workload::SequentialLoops { loops: 3, rounds: 50 },
            Workload::PacketParser { blocks: 100 },
            Workload::UncheckedParser { blocks: 100 },
        ];
        let verifier = Verifier::new(Config::standard(DomainKind::Product));
        for workload in workloads {
            let object = workload.object().expect("assembles");
            let loaded = &object.programs[0];
            let report = verifier.verify(&Subject::from_object_as(&object, loaded, workload.program_type()));
            assert_eq!(report.verdict == Verdict::Pass, workload.is_safe(), "{workload}: {}", report.verdict);
            let mut runner =
                ObjectRunner::new(&object, loaded, RunConfig::new(CallxModel::Address, 10_000_000)).expect("runnable");
            for packet in [vec![0u8; 14], vec![0xa5u8; 256]] {
                let run = runner.run(&packet).expect("the input fits the context");
                let trapped = run.result.is_err();
                let expected = !workload.is_safe() && packet.len() < PARSED_BYTES;
                assert_eq!(trapped, expected, "{workload} on {} bytes: {:?}", packet.len(), run.result);
            }
        }
    }

    #[test]
    fn straight_line_has_the_asked_length() {
        for insns in [8, 100, 1000, 1003] {
            let object = Workload::StraightLine { insns }.object().expect("assembles");
            assert_eq!(object.programs[0].program.slots(), insns);
        }
    }

    #[test]
    fn workloads_assemble_and_name_themselves() {
        let workloads = [
            Workload::NestedLoops { depth: 3, bound: 10 },
            Workload::SequentialLoops { loops: 4, rounds: 100 },
            Workload::PacketParser { blocks: 20 },
            Workload::UncheckedParser { blocks: 20 },
        ];
        for workload in workloads {
            let object = workload.object().unwrap_or_else(|e| panic!("{workload}: {e}"));
            assert_eq!(object.programs[0].name, workload.to_string());
            assert_eq!(
                object.program_type_of(&object.programs[0], Default::default()).ok(),
                Some(workload.program_type())
            );
        }
    }
}
