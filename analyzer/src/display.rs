//! Readable renderings of values and states, for messages and the proof log's strings.

use std::fmt::Write;

use bpfprove_semantics::isa::Reg;

use crate::state::State;
use crate::value::{Nullness, Num, Value};

/// A number as its bounds and known bits: `5`, `-28`, `[0, 63]`, `s[-28, -4]`, `any`, with
/// ` bits VALUE/MASK` when the low bits are known.
pub fn num(n: &Num) -> String {
    let (Some((lo, hi)), Some((slo, shi))) = (n.unsigned_bounds(), n.signed_bounds()) else { return "⊥".to_owned() };
    if lo == hi {
        let signed = lo as i64;
        return if (-0xffff..0).contains(&signed) || lo <= 0xffff { signed.to_string() } else { format!("{lo:#x}") };
    }
    let mut text = if (slo, shi) == (i64::MIN, i64::MAX) && (lo, hi) == (0, u64::MAX) {
        "any".to_owned()
    } else if shi < 0 || (lo, hi) == (0, u64::MAX) {
        format!("s[{slo}, {shi}]")
    } else {
        format!("[{lo}, {hi}]")
    };
    if let Some(known) = n.known_bits()
        && known.mask & 0x7 != 0x7
    {
        let _ = write!(text, " bits {:#x}/{:#x}", known.value, known.mask);
    }
    text
}

/// A value: `any`, `5`, `ctx+0`, `packet+[14, 74] (var@12+2)`, `map_value(1)+0?`, `fn{2,3}`.
pub fn value(v: &Value) -> String {
    match v {
        Value::Uninit => "uninit".to_owned(),
        Value::Scalar(n) => num(n),
        Value::Pointer(p) => {
            let mut text = offset_from(&p.region.to_string(), &num(&p.offset));
            if let Some(var) = p.var {
                let _ = write!(text, " (var@{}{:+})", var.id, var.fixed);
            }
            if let Some(object) = p.object {
                let _ = write!(text, " (object@{object})");
            }
            if let Nullness::MaybeNull { .. } = p.null {
                text.push_str(" or null");
            }
            text
        }
        Value::Func(f) => {
            let ids: Vec<String> = f.set.iter().map(|id| id.0.to_string()).collect();
            format!("fn{{{}}}{}", ids.join(","), if f.nullable { " or null" } else { "" })
        }
        Value::Code(c) => format!("jump_table({})[{}]", c.table.0, num(&c.index)),
        Value::Arena => "arena".to_owned(),
    }
}

/// A number in words: `the number 5`, `any number`, `a number in [0, 15]`.
pub fn number_phrase(n: &Num) -> String {
    let text = num(n);
    if n.as_constant().is_some() {
        format!("the number {text}")
    } else if text == "any" {
        "any number".to_owned()
    } else {
        format!("a number in {text}")
    }
}

/// `base+offset`, or `base-64` for a negative constant offset (never `base+-64`).
fn offset_from(base: &str, offset: &str) -> String {
    if offset.starts_with('-') { format!("{base}{offset}") } else { format!("{base}+{offset}") }
}

/// A state: the initialised registers, the stack slots, the packet facts.
pub fn state(s: &State) -> String {
    let mut text = String::new();
    for reg in Reg::all() {
        let v = s.reg(reg);
        if !matches!(v, Value::Uninit) {
            let _ = write!(text, "{reg}={}; ", value(v));
        }
    }
    for (depth, frame) in s.frames.iter().enumerate() {
        for (start, slot) in frame.slots() {
            let _ = write!(text, "stack{depth}[{start}..{}]={}; ", start + i16::from(slot.size), value(&slot.value));
        }
    }
    if s.packet.min_len > 0 {
        let _ = write!(text, "len>={}; ", s.packet.min_len);
    }
    for (id, range) in s.packet.ranges.iter() {
        let _ = write!(text, "len>=base{id}+{range}; ");
    }
    text.trim_end_matches("; ").to_owned()
}

#[cfg(test)]
mod tests {
    use bpfprove_domains::DomainKind;

    use super::{number_phrase, offset_from};

    #[test]
    fn negative_offsets_read_as_subtraction() {
        assert_eq!(offset_from("stack0", "-64"), "stack0-64");
        assert_eq!(offset_from("packet", "[0, 14]"), "packet+[0, 14]");
        assert_eq!(offset_from("ctx", "4"), "ctx+4");
    }

    #[test]
    fn numbers_are_phrased_in_words() {
        let domain = DomainKind::Product;
        assert_eq!(number_phrase(&domain.constant(&5u64)), "the number 5");
        assert_eq!(number_phrase(&domain.top(&0u64)), "any number");
    }
}
