//! `strtol` and `strtoul`: the kernel's number parsing (`__bpf_strtoull`) over the model's
//! memory.
//!
//! Leading white space is skipped, then one `-`; the base is the low 5 bits of `flags`
//! (0, 8, 10 or 16; 0 picks 16 after `0x`, 8 after `0`, else 10; base 16 skips a `0x`);
//! at most 63 bytes after the sign are parsed. The result is the number of bytes consumed,
//! or `-EINVAL` (no digits, bad flags or base) or `-ERANGE` (overflow); `*res` is 0 on error.

use super::super::maps::errno;
use super::super::memory::Memory;
use super::HelperError;

/// Result out of range.
const ERANGE: u64 = 34;
/// `BPF_STRTOX_BASE_MASK`.
const BASE_MASK: u64 = 0x1f;
/// Bytes after the sign the kernel copies to parse (its 64-byte buffer, minus the NUL).
const MAX_DIGITS: usize = 63;

/// A parsed number: its magnitude, sign and the bytes consumed.
struct Parsed {
    magnitude: u64,
    negative: bool,
    consumed: usize,
}

/// The kernel's `isspace` (its ctype table: `\t` to `\r`, space, and NBSP).
fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | b' ' | 0xa0)
}

fn digit(byte: u8) -> Option<u64> {
    (byte as char).to_digit(16).map(u64::from)
}

/// `__bpf_strtoull`: the number at the start of `buf`, or a negative errno.
fn parse(buf: &[u8], flags: u64) -> Result<Parsed, u64> {
    let einval = errno::negative(errno::EINVAL);
    let mut base = flags & BASE_MASK;
    if buf.is_empty() || !matches!(base, 0 | 8 | 10 | 16) || flags & !BASE_MASK != 0 {
        return Err(einval);
    }
    let mut start = buf.iter().take_while(|&&b| is_space(b)).count();
    let negative = buf.get(start) == Some(&b'-');
    start += usize::from(negative);
    if start == buf.len() {
        return Err(einval);
    }
    // The kernel parses a NUL-terminated copy of at most 63 bytes.
    let copy = &buf[start..buf.len().min(start + MAX_DIGITS)];
    let at = |i: usize| copy.get(i).copied().unwrap_or(0);
    let hex_prefix = at(0) == b'0' && at(1).eq_ignore_ascii_case(&b'x');
    if base == 0 {
        base = match at(0) {
            b'0' if hex_prefix && digit(at(2)).is_some() => 16,
            b'0' => 8,
            _ => 10,
        };
    }
    let prefix = if base == 16 && hex_prefix { 2 } else { 0 };
    let (mut magnitude, mut digits, mut overflow) = (0u64, 0, false);
    while let Some(value) = digit(at(prefix + digits)).filter(|&v| v < base) {
        match magnitude.checked_mul(base).and_then(|m| m.checked_add(value)) {
            Some(next) => magnitude = next,
            None => overflow = true,
        }
        digits += 1;
    }
    if overflow {
        return Err(errno::negative(ERANGE));
    }
    if digits == 0 {
        return Err(einval);
    }
    Ok(Parsed { magnitude, negative, consumed: start + prefix + digits })
}

/// Runs `strtol` (`signed`) or `strtoul` on `args` and stores the result.
pub(super) fn strtox(memory: &mut Memory, args: [u64; 5], signed: bool) -> Result<u64, HelperError> {
    let buf = memory.read(args[0], args[1] as usize)?.to_vec();
    memory.write(args[3], &0u64.to_le_bytes())?;
    let result = parse(&buf, args[2]).and_then(|parsed| {
        let value = match (signed, parsed.negative) {
            (true, true) if (parsed.magnitude.wrapping_neg() as i64) > 0 => return Err(errno::negative(ERANGE)),
            (true, false) if (parsed.magnitude as i64) < 0 => return Err(errno::negative(ERANGE)),
            (false, true) => return Err(errno::negative(errno::EINVAL)),
            (_, true) => parsed.magnitude.wrapping_neg(),
            (_, false) => parsed.magnitude,
        };
        Ok((value, parsed.consumed))
    });
    match result {
        Ok((value, consumed)) => {
            memory.write(args[3], &value.to_le_bytes())?;
            Ok(consumed as u64)
        }
        Err(errno) => Ok(errno),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strtol(text: &[u8], flags: u64) -> (i64, i64) {
        strtox_on(text, flags, true)
    }

    fn strtox_on(text: &[u8], flags: u64, signed: bool) -> (i64, i64) {
        use crate::interp::memory::{Access, RegionKind, region_base};
        let mut memory = Memory::new();
        let region = memory.add_region(RegionKind::Other, vec![0; 128], Access::ReadWrite).expect("small");
        let base = region_base(region);
        memory.write(base, text).expect("fits");
        memory.write(base + 64, &[0xff; 8]).expect("fits");
        let ret = strtox(&mut memory, [base, text.len() as u64, flags, base + 64, 0], signed).expect("readable");
        let res = memory.load(base + 64, crate::isa::Size::DW).expect("written");
        (ret as i64, res as i64)
    }

    #[test]
    fn numbers_parse_as_the_kernel_parses_them() {
        let einval = errno::negative(errno::EINVAL) as i64;
        let erange = errno::negative(ERANGE) as i64;
        assert_eq!(strtol(b"  -123abc", 10), (6, -123));
        assert_eq!(strtol(b"0x1F", 0), (4, 31));
        assert_eq!(strtol(b"0x1F", 16), (4, 31));
        assert_eq!(strtol(b"0x", 0), (1, 0));
        assert_eq!(strtol(b"0x", 16), (einval, 0));
        assert_eq!(strtol(b"017", 0), (3, 15));
        assert_eq!(strtol(b"19", 8), (1, 1));
        assert_eq!(strtol(b"   ", 10), (einval, 0));
        assert_eq!(strtol(b"12", 7), (einval, 0));
        assert_eq!(strtol(b"12", 1 << 5 | 10), (einval, 0));
        assert_eq!(strtol(b"9223372036854775807", 10), (19, i64::MAX));
        assert_eq!(strtol(b"9223372036854775808", 10), (erange, 0));
        assert_eq!(strtol(b"-9223372036854775808", 10), (20, i64::MIN));
        assert_eq!(strtol(b"99999999999999999999", 10), (erange, 0));
        assert_eq!(strtox_on(b"18446744073709551615", 10, false), (20, -1));
        assert_eq!(strtox_on(b"-1", 10, false), (einval, 0));
    }
}
