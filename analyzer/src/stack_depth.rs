//! The combined stack depth of call chains, checked after the analysis as Linux checks it
//! after verification (`check_max_stack_depth`).
//!
//! A function's frame is as deep as the lowest offset any access may reach in it, whoever
//! makes the access (a callee writing through a pointer to its caller's stack deepens the
//! caller's frame), rounded up to 32 bytes and at least 32. Along every chain of calls the
//! analysis followed (bpf-to-bpf calls, `callx`, callbacks of helpers such as `bpf_loop`)
//! the frames must fit in 512 bytes together. The interpreter gives each frame its own 512
//! bytes, so only this check keeps such programs out. As in Linux, a subprogram that makes
//! a tail call must sit on less than 256 bytes of caller frames (a tail call replaces only
//! the running frame, and up to 33 programs may chain).

use std::collections::{BTreeMap, BTreeSet};

use bpfprove_semantics::isa::{CallTarget, Insn};
use bpfprove_semantics::program::{FunctionId, Program};

use crate::engine::{Analysis, ContextId};
use crate::obligation::{Check, ObligationKind, Status};

/// Most bytes the frames of one call chain may take together.
pub const MAX_COMBINED_DEPTH: u64 = 512;
/// The granularity of a frame's depth.
const FRAME_GRANULE: u64 = 32;
/// Most call chains examined; beyond it the check is left unknown.
const MAX_CHAINS: usize = 100_000;

/// Caller frames a subprogram making a tail call may sit on, plus one.
const MAX_BELOW_TAIL_CALL: u64 = 256;
/// `bpf_tail_call`'s helper number.
const TAIL_CALL_HELPER: i32 = 12;

/// Whether `function` of `program` calls `bpf_tail_call`.
fn makes_tail_call(program: &Program, function: FunctionId) -> bool {
    let f = program.function(function);
    (f.entry..f.end).any(|pc| matches!(program.insn_at(pc), Some(Insn::Call(CallTarget::Helper(TAIL_CALL_HELPER)))))
}

/// A call chain: contexts from the program's own, each with the pc of the call that entered
/// it from the previous one.
type Chain = Vec<(ContextId, Option<usize>)>;

/// The failed stack-depth checks of `analysis` of `program`: (context, pc of the call,
/// check).
pub fn failures(analysis: &Analysis, program: &Program) -> Vec<(ContextId, usize, Check)> {
    let Some(chains) = chains(analysis) else {
        let check = Check::new(
            ObligationKind::StackDepth,
            Status::Unknown,
            format!("more than {MAX_CHAINS} call chains: their stack depth is not checked"),
        );
        return vec![(analysis.root, 0, check)];
    };
    let function = |id: ContextId| analysis.contexts[id].function;
    let mut lowest: BTreeMap<FunctionId, i64> = BTreeMap::new();
    for chain in &chains {
        let (innermost, _) = chain[chain.len() - 1];
        for (&frame, &offset) in &analysis.contexts[innermost].stack_uses {
            if let Some(&(owner, _)) = chain.get(usize::from(frame)) {
                let known = lowest.entry(function(owner)).or_insert(0);
                *known = (*known).min(offset);
            }
        }
    }
    let depth = |f: FunctionId| {
        let bytes = lowest.get(&f).map_or(0, |&o| o.unsigned_abs()).max(1);
        bytes.div_ceil(FRAME_GRANULE) * FRAME_GRANULE
    };
    let mut reported = BTreeSet::new();
    let mut out = Vec::new();
    for chain in &chains {
        let mut total = 0;
        for (i, &(context, entered_at)) in chain.iter().enumerate() {
            let callee = function(context);
            // A tail call unwinds only its own frame: Linux bounds what lies below it.
            if i > 0 && total >= MAX_BELOW_TAIL_CALL && makes_tail_call(program, callee) {
                let (Some(pc), Some(&(caller, _))) = (entered_at, chain.get(i - 1)) else { break };
                if reported.insert((caller, pc)) {
                    let detail = format!(
                        "{} makes a tail call above {total} bytes of caller frames (at most {})",
                        program.function(callee).name,
                        MAX_BELOW_TAIL_CALL - 1
                    );
                    out.push((caller, pc, Check::new(ObligationKind::StackDepth, Status::Refuted, detail)));
                }
                break;
            }
            total += depth(callee);
            if total <= MAX_COMBINED_DEPTH {
                continue;
            }
            let (Some(pc), Some(&(caller, _))) = (entered_at, i.checked_sub(1).and_then(|p| chain.get(p))) else {
                break;
            };
            if reported.insert((caller, pc)) {
                let frames: Vec<String> = chain[..=i]
                    .iter()
                    .map(|&(c, _)| {
                        let f = function(c);
                        format!("{} {}", program.function(f).name, depth(f))
                    })
                    .collect();
                let detail = format!(
                    "the frames of this call chain take {total} bytes, more than {MAX_COMBINED_DEPTH}: {}",
                    frames.join(" + ")
                );
                out.push((caller, pc, Check::new(ObligationKind::StackDepth, Status::Refuted, detail)));
            }
            break;
        }
    }
    out
}

/// Every chain of contexts from the root through the calls of the final invariants (prefixes
/// included), or `None` when there are more than [`MAX_CHAINS`].
fn chains(analysis: &Analysis) -> Option<Vec<Chain>> {
    let mut out = Vec::new();
    let mut pending: Vec<Chain> = vec![vec![(analysis.root, None)]];
    while let Some(chain) = pending.pop() {
        if out.len() >= MAX_CHAINS {
            return None;
        }
        let (last, _) = chain[chain.len() - 1];
        for (&(pc, _), callees) in &analysis.contexts[last].callees {
            for &callee in callees {
                // Recursion is refused, so a chain never repeats a context; the guard keeps
                // a malformed analysis from looping.
                if chain.iter().any(|&(c, _)| c == callee) {
                    continue;
                }
                let mut longer = chain.clone();
                longer.push((callee, Some(pc)));
                pending.push(longer);
            }
        }
        out.push(chain);
    }
    Some(out)
}
