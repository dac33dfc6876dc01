//! Tokens and operands of one uBPF-syntax line: registers, numbers with the suite's range
//! rules, memory operands and jump targets.

use crate::asm::AsmErrorKind;
use crate::isa::Reg;

/// The text of a line before its `#` comment.
pub(super) fn strip_comment(line: &str) -> &str {
    line.split_once('#').map_or(line, |(code, _)| code)
}

/// Splits operands at whitespace and commas. A `[...]` or `(...)` group is one token with
/// its inner whitespace removed, so `[%r10 - 8]` reads like `[%r10-8]`.
pub(super) fn tokens(text: &str) -> Result<Vec<String>, AsmErrorKind> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(close) => {
                if c == '[' || c == '(' {
                    return Err(AsmErrorKind::Syntax(format!("nested `{c}` in `{}`", text.trim())));
                }
                if !c.is_whitespace() {
                    current.push(c);
                }
                if c == close {
                    closing = None;
                }
            }
            None if c.is_whitespace() || c == ',' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            None => {
                closing = match c {
                    '[' => Some(']'),
                    '(' => Some(')'),
                    ']' | ')' => return Err(AsmErrorKind::Syntax(format!("unbalanced `{c}` in `{}`", text.trim()))),
                    _ => None,
                };
                current.push(c);
            }
        }
    }
    if closing.is_some() {
        return Err(AsmErrorKind::Syntax(format!("unclosed bracket in `{}`", text.trim())));
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// A register `%r0`..`%r10`.
pub(super) fn register(token: &str) -> Result<Reg, AsmErrorKind> {
    token
        .strip_prefix("%r")
        .filter(|digits| !digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u8>().ok())
        .and_then(Reg::new)
        .ok_or_else(|| AsmErrorKind::InvalidRegister(token.to_owned()))
}

/// Whether `token` can only be meant as a number (so range errors, not "unknown label",
/// are reported for it).
pub(super) fn looks_numeric(token: &str) -> bool {
    let unsigned = token.strip_prefix(['-', '+']).unwrap_or(token);
    unsigned.starts_with(|c: char| c.is_ascii_digit())
}

/// A number as written: sign, magnitude, and whether it was hexadecimal.
struct Literal {
    negative: bool,
    magnitude: u64,
    hex: bool,
}

/// Reads `[+|-](0x<hex>|<decimal>)`. Magnitudes beyond 64 bits are range errors.
fn literal(token: &str, out_of_range: fn(String) -> AsmErrorKind) -> Result<Literal, AsmErrorKind> {
    let (negative, unsigned) = match token.as_bytes().first() {
        Some(b'-') => (true, &token[1..]),
        Some(b'+') => (false, &token[1..]),
        _ => (false, token),
    };
    let (digits, radix) = match unsigned.strip_prefix("0x").or_else(|| unsigned.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (unsigned, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(AsmErrorKind::Syntax(format!("expected a number, found `{token}`")));
    }
    let magnitude = u64::from_str_radix(digits, radix).map_err(|_| out_of_range(token.to_owned()))?;
    Ok(Literal { negative, magnitude, hex: radix == 16 })
}

/// Reads a signed literal whose decimal form must fit `min..=max` and whose positive
/// hexadecimal form may also be any bit pattern up to `hex_max` (wrapping into the signed
/// range), as bpf_conformance's assembler allows.
fn bounded(
    token: &str,
    min: i64,
    max: i64,
    hex_max: u64,
    out_of_range: fn(String) -> AsmErrorKind,
) -> Result<i64, AsmErrorKind> {
    let lit = literal(token, out_of_range)?;
    let error = || out_of_range(token.to_owned());
    if lit.negative {
        let value = 0i64.checked_sub_unsigned(lit.magnitude).ok_or_else(error)?;
        return if value < min { Err(error()) } else { Ok(value) };
    }
    if lit.hex && lit.magnitude <= hex_max {
        // Reinterpret the bit pattern: 0xffffffff is -1 as an i32.
        let bits = (hex_max.count_ones()) as i64;
        let value = lit.magnitude as i64;
        return Ok(if value > max { value - (1i64 << bits) } else { value });
    }
    i64::try_from(lit.magnitude).ok().filter(|v| *v <= max).ok_or_else(error)
}

/// A 32-bit immediate: decimal within `i32`, hexadecimal up to `0xffffffff`.
pub(super) fn imm32(token: &str) -> Result<i32, AsmErrorKind> {
    let value = bounded(token, i32::MIN.into(), i32::MAX.into(), u32::MAX.into(), AsmErrorKind::ImmediateOutOfRange)?;
    Ok(i32::try_from(value).expect("bounded keeps values in the i32 range"))
}

/// A 16-bit offset: decimal within `i16`, hexadecimal up to `0xffff`.
pub(super) fn offset16(token: &str) -> Result<i16, AsmErrorKind> {
    let value = bounded(token, i16::MIN.into(), i16::MAX.into(), u16::MAX.into(), AsmErrorKind::OffsetOutOfRange)?;
    Ok(i16::try_from(value).expect("bounded keeps values in the i16 range"))
}

/// A 32-bit jump offset (`ja32`, `call local`): decimal within `i32`, hexadecimal up to
/// `0xffffffff`.
pub(super) fn offset32(token: &str) -> Result<i32, AsmErrorKind> {
    let value = bounded(token, i32::MIN.into(), i32::MAX.into(), u32::MAX.into(), AsmErrorKind::OffsetOutOfRange)?;
    Ok(i32::try_from(value).expect("bounded keeps values in the i32 range"))
}

/// The 64-bit value of `lddw`: any 64-bit pattern in hexadecimal, `i64` or `u64` in decimal.
pub(super) fn imm64(token: &str) -> Result<u64, AsmErrorKind> {
    let lit = literal(token, AsmErrorKind::ImmediateOutOfRange)?;
    if lit.negative {
        let value = 0i64
            .checked_sub_unsigned(lit.magnitude)
            .ok_or_else(|| AsmErrorKind::ImmediateOutOfRange(token.to_owned()))?;
        return Ok(value as u64);
    }
    Ok(lit.magnitude)
}

/// A jump target: `+N` / `-N` slots, or a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Target<T> {
    /// A relative offset in slots.
    Relative(T),
    /// A label, resolved when the program is built.
    Label(String),
}

/// Reads a jump target whose offsets are read by `offset`.
pub(super) fn target<T>(token: &str, offset: fn(&str) -> Result<T, AsmErrorKind>) -> Result<Target<T>, AsmErrorKind> {
    if token.starts_with(['+', '-']) {
        return offset(token).map(Target::Relative);
    }
    label_name(token).map(|name| Target::Label(name.to_owned()))
}

/// A label or table name: letters, digits, `_`, `.` and `$`, not starting with a digit.
pub(super) fn label_name(token: &str) -> Result<&str, AsmErrorKind> {
    let valid = token.starts_with(|c: char| !c.is_ascii_digit())
        && token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$'));
    if valid { Ok(token) } else { Err(AsmErrorKind::Syntax(format!("`{token}` is not a label name or +/- offset"))) }
}

/// A memory operand `[%rN]`, `[%rN+off]` or `[%rN-off]`.
pub(super) fn memory(token: &str) -> Result<(Reg, i16), AsmErrorKind> {
    let inner = token
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| AsmErrorKind::Syntax(format!("expected a memory operand `[%rN+off]`, found `{token}`")))?;
    match inner.find(['+', '-']) {
        Some(sign) => Ok((register(&inner[..sign])?, offset16(&inner[sign..])?)),
        None => Ok((register(inner)?, 0)),
    }
}

/// The arguments of `name(a)` or `name(a,b)`, if `token` has that shape.
pub(super) fn call_form(token: &str) -> Option<(&str, Vec<&str>)> {
    let (name, rest) = token.split_once('(')?;
    let args = rest.strip_suffix(')')?;
    Some((name, args.split(',').collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_operands_and_keeps_brackets_whole() {
        assert_eq!(tokens(" %r0, [%r10 - 8] ,1").unwrap(), vec!["%r0", "[%r10-8]", "1"]);
        assert_eq!(tokens("%r1 map_value(3, 4)").unwrap(), vec!["%r1", "map_value(3,4)"]);
        assert!(matches!(tokens("[%r1+2"), Err(AsmErrorKind::Syntax(_))));
        assert!(matches!(tokens("%r1]"), Err(AsmErrorKind::Syntax(_))));
    }

    #[test]
    fn immediates_follow_the_suite_range_rules() {
        assert_eq!(imm32("2147483647"), Ok(i32::MAX));
        assert_eq!(imm32("-2147483648"), Ok(i32::MIN));
        assert_eq!(imm32("2147483648"), Err(AsmErrorKind::ImmediateOutOfRange("2147483648".into())));
        assert_eq!(imm32("0xffffffff"), Ok(-1));
        assert_eq!(imm32("0x80000000"), Ok(i32::MIN));
        assert_eq!(imm32("-0x80000000"), Ok(i32::MIN));
        assert_eq!(imm32("-0x80000001"), Err(AsmErrorKind::ImmediateOutOfRange("-0x80000001".into())));
        assert_eq!(imm32("0x100000000"), Err(AsmErrorKind::ImmediateOutOfRange("0x100000000".into())));
        assert_eq!(
            imm32("99999999999999999999999"),
            Err(AsmErrorKind::ImmediateOutOfRange("99999999999999999999999".into()))
        );
        assert!(matches!(imm32("0x"), Err(AsmErrorKind::Syntax(_))));
        assert!(matches!(imm32("12a"), Err(AsmErrorKind::Syntax(_))));
    }

    #[test]
    fn offsets_and_wide_values() {
        assert_eq!(offset16("+0x10"), Ok(16));
        assert_eq!(offset16("+0xffff"), Ok(-1));
        assert_eq!(offset16("+0x10000"), Err(AsmErrorKind::OffsetOutOfRange("+0x10000".into())));
        assert_eq!(offset16("-32768"), Ok(i16::MIN));
        assert_eq!(offset16("32768"), Err(AsmErrorKind::OffsetOutOfRange("32768".into())));
        assert_eq!(imm64("0xffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(imm64("-1"), Ok(u64::MAX));
        assert_eq!(imm64("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(imm64("-9223372036854775808"), Ok(1 << 63));
        assert!(imm64("-9223372036854775809").is_err());
    }

    #[test]
    fn registers_memory_and_targets() {
        assert_eq!(register("%r10"), Ok(Reg::R10));
        assert_eq!(register("%r50"), Err(AsmErrorKind::InvalidRegister("%r50".into())));
        assert_eq!(register("r1"), Err(AsmErrorKind::InvalidRegister("r1".into())));
        assert_eq!(memory("[%r10-8]"), Ok((Reg::R10, -8)));
        assert_eq!(memory("[%r1]"), Ok((Reg::R1, 0)));
        assert_eq!(memory("[%r1+0x7fff]"), Ok((Reg::R1, 0x7fff)));
        assert!(matches!(memory("%r1"), Err(AsmErrorKind::Syntax(_))));
        assert_eq!(target("+3", offset16), Ok(Target::Relative(3)));
        assert_eq!(target("L1", offset16), Ok(Target::Label("L1".into())));
        assert!(target("3", offset16).is_err());
    }
}
