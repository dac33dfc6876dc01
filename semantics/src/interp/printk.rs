//! The format language of `bpf_trace_printk` and `bpf_seq_printf`, as Linux's
//! `bpf_bprintf_prepare` accepts it: at most as many conversions as there are arguments
//! (three for `trace_printk`, up to twelve for `seq_printf`) among `%d %i %u %x %X %c %s %p` (with `l`/`ll` for 64-bit
//! values, optional `-`/`0` flags and a width), and `%%`. `%s` reads a NUL-terminated string
//! from the program's memory; an unreadable one prints as empty, as in Linux.

use super::memory::{Memory, MemoryFault};

/// Longest string a `%s` prints.
const MAX_STRING: usize = 1024;

/// Why a format was refused (the helper then returns `-EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadFormat;

/// Formats the NUL-terminated format of at most `size` bytes at `address` with `args`; a
/// format without its NUL in those bytes is refused. Faults if the bytes are unreadable.
pub(crate) fn format_at(
    memory: &Memory,
    address: u64,
    size: u64,
    args: &[u64],
) -> Result<Result<String, BadFormat>, MemoryFault> {
    let bytes = memory.read(address, size as u32 as usize)?;
    Ok(match bytes.iter().position(|&b| b == 0) {
        Some(end) => format(&bytes[..end], args, memory),
        None => Err(BadFormat),
    })
}

/// Formats `format` (without its NUL) with `args`.
fn format(format: &[u8], args: &[u64], memory: &Memory) -> Result<String, BadFormat> {
    let mut out = String::new();
    let mut next_arg = args.iter();
    let mut i = 0;
    while i < format.len() {
        let byte = format[i];
        i += 1;
        if byte != b'%' {
            out.push(char::from(byte));
            continue;
        }
        if format.get(i) == Some(&b'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let (mut left, mut zero) = (false, false);
        while let Some(&flag @ (b'-' | b'0')) = format.get(i) {
            left |= flag == b'-';
            zero |= flag == b'0';
            i += 1;
        }
        let mut width = 0usize;
        while let Some(digit @ b'0'..=b'9') = format.get(i) {
            width = (width * 10 + usize::from(digit - b'0')).min(256);
            i += 1;
        }
        let mut longs = 0;
        while format.get(i) == Some(&b'l') && longs < 2 {
            longs += 1;
            i += 1;
        }
        let conversion = *format.get(i).ok_or(BadFormat)?;
        i += 1;
        let arg = *next_arg.next().ok_or(BadFormat)?;
        let wide = longs > 0;
        let text = match conversion {
            b'd' | b'i' if wide => (arg as i64).to_string(),
            b'd' | b'i' => (arg as u32 as i32).to_string(),
            b'u' if wide => arg.to_string(),
            b'u' => (arg as u32).to_string(),
            b'x' if wide => format!("{arg:x}"),
            b'x' => format!("{:x}", arg as u32),
            b'X' if wide => format!("{arg:X}"),
            b'X' => format!("{:X}", arg as u32),
            b'c' if !wide => char::from(arg as u8).to_string(),
            b'p' if !wide => format!("0x{arg:x}"),
            b's' if !wide => string_at(memory, arg),
            _ => return Err(BadFormat),
        };
        let pad = width.saturating_sub(text.chars().count());
        let numeric = matches!(conversion, b'd' | b'i' | b'u' | b'x' | b'X');
        match (left, zero && numeric) {
            (true, _) => {
                out.push_str(&text);
                out.extend(std::iter::repeat_n(' ', pad));
            }
            (false, true) => {
                let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
                out.push_str(sign);
                out.extend(std::iter::repeat_n('0', pad));
                out.push_str(digits);
            }
            (false, false) => {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&text);
            }
        }
    }
    Ok(out)
}

/// The NUL-terminated string at `address` (lossily decoded), empty if unreadable.
fn string_at(memory: &Memory, address: u64) -> String {
    let mut bytes = Vec::new();
    for offset in 0..MAX_STRING as u64 {
        match memory.read(address.wrapping_add(offset), 1) {
            Ok([0]) => break,
            Ok(&[byte]) => bytes.push(byte),
            _ => return String::new(),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::memory::{Access, RegionKind, region_base};

    fn check(format_text: &str, args: [u64; 3], expected: Result<&str, BadFormat>) {
        let mut memory = Memory::new();
        let region = memory.add_region(RegionKind::Other, b"eth0\0".to_vec(), Access::ReadOnly).expect("small");
        let args = args.map(|a| if a == u64::MAX { region_base(region) } else { a });
        let formatted = format(format_text.as_bytes(), &args, &memory);
        assert_eq!(formatted.as_deref().map_err(|e| *e), expected, "{format_text}");
    }

    #[test]
    fn conversions() {
        check("len %u bytes\n", [1500, 0, 0], Ok("len 1500 bytes\n"));
        check("%d %ld %lld", [0xffff_ffff, u64::MAX - 1, 5], Ok("-1 -2 5"));
        check("%x %lx %X", [0x1_0000_00ab, 0x1_0000_00ab, 0xab], Ok("ab 1000000ab AB"));
        check("%s!", [u64::MAX, 0, 0], Ok("eth0!"));
        check("[%s]", [8, 0, 0], Ok("[]"));
        check("%c%c %p", [b'o' as u64, b'k' as u64, 0x10], Ok("ok 0x10"));
        check("100%%", [0; 3], Ok("100%"));
        check("%5u|%-4d|%08x", [42, 7, 0xbeef], Ok("   42|7   |0000beef"));
        check("%03d|%3s", [0xffff_fffe, u64::MAX, 0], Ok("-02|eth0"));
    }

    #[test]
    fn refusals() {
        check("%u %u %u %u", [0; 3], Err(BadFormat));
        check("%q", [0; 3], Err(BadFormat));
        check("%ls", [0; 3], Err(BadFormat));
        check("trailing %", [0; 3], Err(BadFormat));
    }
}
