//! Reading a `.data` file into a [`TestCase`], and the hex byte lists of the plugin contract.

use thiserror::Error;

/// How a `.data` file is malformed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConformanceError {
    /// A `--` line names no known section.
    #[error("line {line}: unknown section `{name}`")]
    UnknownSection {
        /// 1-based line.
        line: usize,
        /// The section name as written.
        name: String,
    },
    /// The file has neither `-- result` nor `-- error`.
    #[error("no `-- result` or `-- error` section")]
    NoExpectation,
    /// The file has neither `-- asm` nor `-- raw`.
    #[error("no `-- asm` or `-- raw` section")]
    NoProgram,
    /// The expected result is not a number.
    #[error("line {line}: result `{text}` is not a number")]
    BadResult {
        /// 1-based line.
        line: usize,
        /// The text.
        text: String,
    },
    /// A token of a hex byte list is not one byte in hex.
    #[error("line {line}: `{token}` is not a hex byte")]
    BadByte {
        /// 1-based line (0 for text that is not from a file).
        line: usize,
        /// The token.
        token: String,
    },
    /// A token of a `-- raw` section is not a 64-bit instruction word.
    #[error("line {line}: `{token}` is not a 64-bit instruction word")]
    BadRawWord {
        /// 1-based line.
        line: usize,
        /// The token.
        token: String,
    },
}

/// Where the program of a test comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramSource {
    /// uBPF assembly: each line with its 1-based line number in the file.
    Asm(Vec<(usize, String)>),
    /// Raw bytecode (from a `-- raw` section).
    Raw(Vec<u8>),
}

/// What a test expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// The program runs and returns this `r0`.
    Returns(u64),
    /// The program is rejected; the text is the suite's expected message (informational,
    /// possibly empty).
    Error(String),
}

/// A parsed `.data` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// The program.
    pub program: ProgramSource,
    /// The input memory (`-- mem`), possibly empty.
    pub memory: Vec<u8>,
    /// The expected outcome.
    pub expectation: Expectation,
}

/// A `.data` file's section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Ignored,
    Asm,
    Raw,
    Mem,
    Result,
    Error,
}

/// Parses a `.data` file.
pub fn parse_test(text: &str) -> Result<TestCase, ConformanceError> {
    let mut section = Section::Ignored;
    let mut asm: Option<Vec<(usize, String)>> = None;
    let mut raw: Option<Vec<u8>> = None;
    let mut memory = Vec::new();
    let mut result: Option<(usize, String)> = None;
    let mut error: Option<String> = None;
    for (index, full_line) in text.lines().enumerate() {
        let line = index + 1;
        let content = full_line.split_once('#').map_or(full_line, |(code, _)| code).trim();
        if let Some(name) = content.strip_prefix("--") {
            section = match name.trim() {
                "asm" => Section::Asm,
                "raw" => Section::Raw,
                "mem" => Section::Mem,
                "result" => Section::Result,
                "error" => Section::Error,
                "c" | "no register offset" => Section::Ignored,
                other => return Err(ConformanceError::UnknownSection { line, name: other.to_owned() }),
            };
            match section {
                Section::Asm => _ = asm.get_or_insert_default(),
                Section::Raw => _ = raw.get_or_insert_default(),
                Section::Error => _ = error.get_or_insert_default(),
                _ => {}
            }
            continue;
        }
        if content.is_empty() {
            continue;
        }
        match section {
            Section::Ignored => {}
            Section::Asm => asm.get_or_insert_default().push((line, content.to_owned())),
            Section::Raw => raw.get_or_insert_default().extend(raw_line(line, content)?),
            Section::Mem => memory.extend(hex_bytes(line, content)?),
            Section::Result => result = Some((line, content.to_owned())),
            Section::Error => error = Some(content.to_owned()),
        }
    }
    let expectation = match (error, result) {
        (Some(message), _) => Expectation::Error(message),
        (None, Some((line, text))) => Expectation::Returns(parse_result(line, &text)?),
        (None, None) => return Err(ConformanceError::NoExpectation),
    };
    // As in the suite, `-- raw` replaces `-- asm` when both are present.
    let program = match (raw, asm) {
        (Some(bytes), _) => ProgramSource::Raw(bytes),
        (None, Some(lines)) => ProgramSource::Asm(lines),
        (None, None) => return Err(ConformanceError::NoProgram),
    };
    Ok(TestCase { program, memory, expectation })
}

/// A result line: hexadecimal if it contains `0x`, else decimal (a leading `-` wraps, as
/// the suite's `stoull` does).
fn parse_result(line: usize, text: &str) -> Result<u64, ConformanceError> {
    let bad = || ConformanceError::BadResult { line, text: text.to_owned() };
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map_err(|_| bad());
    }
    match text.strip_prefix('-') {
        Some(magnitude) => magnitude.parse::<u64>().map(u64::wrapping_neg).map_err(|_| bad()),
        None => text.parse::<u64>().map_err(|_| bad()),
    }
}

/// A line of a `-- raw` section: eight two-digit hex bytes, or 64-bit words.
fn raw_line(line: usize, content: &str) -> Result<Vec<u8>, ConformanceError> {
    let tokens: Vec<&str> = content.split_whitespace().collect();
    let is_byte = |t: &&str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_hexdigit());
    if tokens.len() == 8 && tokens.iter().all(is_byte) {
        return hex_bytes(line, content);
    }
    let mut bytes = Vec::with_capacity(8 * tokens.len());
    for token in tokens {
        let word = match token.strip_prefix("0x").or_else(|| token.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => token.parse::<u64>(),
        }
        .map_err(|_| ConformanceError::BadRawWord { line, token: token.to_owned() })?;
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    Ok(bytes)
}

/// Hex bytes separated by whitespace (`aa bb 0x11`).
fn hex_bytes(line: usize, content: &str) -> Result<Vec<u8>, ConformanceError> {
    content
        .split_whitespace()
        .map(|token| {
            let digits = token.strip_prefix("0x").or_else(|| token.strip_prefix("0X")).unwrap_or(token);
            let valid = (1..=2).contains(&digits.len());
            valid
                .then(|| u8::from_str_radix(digits, 16).ok())
                .flatten()
                .ok_or_else(|| ConformanceError::BadByte { line, token: token.to_owned() })
        })
        .collect()
}

/// Parses hex text as the plugin contract sends it: bytes as pairs of hex digits, with or
/// without whitespace between them (`"b7 00 00 00"` or `"b7000000"`).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, ConformanceError> {
    let digits: String = text.split_whitespace().collect();
    let bytes = digits.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(ConformanceError::BadByte { line: 0, token: text.trim().to_owned() });
    }
    bytes
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).ok().filter(|p| p.bytes().all(|b| b.is_ascii_hexdigit()));
            pair.and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| ConformanceError::BadByte { line: 0, token: text.trim().to_owned() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str) -> TestCase {
        parse_test(text).unwrap_or_else(|e| panic!("should parse: {e}"))
    }

    #[test]
    fn parses_sections_comments_and_memory() {
        let parsed = case(
            "# header\n-- asm\nldxh %r0, [%r1+2] # load\n\nexit\n-- mem\naa bb\n11 22\n-- result\n0x10\n-- c\nint x--;\n",
        );
        assert_eq!(parsed.program, ProgramSource::Asm(vec![(3, "ldxh %r0, [%r1+2]".into()), (5, "exit".into())]));
        assert_eq!(parsed.memory, vec![0xaa, 0xbb, 0x11, 0x22]);
        assert_eq!(parsed.expectation, Expectation::Returns(0x10));
    }

    #[test]
    fn raw_words_and_raw_bytes_are_both_read() {
        let words = case("-- raw\n0x5566778800000018 0x1122334400000000\n149\n-- result\n7\n");
        let mut expected = vec![0x18, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11];
        expected.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(words.program, ProgramSource::Raw(expected));
        assert_eq!(words.expectation, Expectation::Returns(7));
        let bytes = case("-- asm\nexit\n-- raw\n95 00 00 00 00 00 00 00\n-- error\n");
        assert_eq!(bytes.program, ProgramSource::Raw(vec![0x95, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(bytes.expectation, Expectation::Error(String::new()));
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        assert_eq!(parse_test("# only\n"), Err(ConformanceError::NoExpectation));
        assert_eq!(parse_test("-- result\n0x0\n"), Err(ConformanceError::NoProgram));
        assert_eq!(
            parse_test("-- asm\n-- Unknown directive\n"),
            Err(ConformanceError::UnknownSection { line: 2, name: "Unknown directive".into() })
        );
        assert_eq!(
            parse_test("-- asm\nexit\n-- result\nzz\n"),
            Err(ConformanceError::BadResult { line: 4, text: "zz".into() })
        );
        assert_eq!(parse_test("-- mem\n1ff\n"), Err(ConformanceError::BadByte { line: 2, token: "1ff".into() }));
        assert_eq!(parse_test("-- raw\nxyz\n"), Err(ConformanceError::BadRawWord { line: 2, token: "xyz".into() }));
        assert_eq!(parse_result(1, "-1"), Ok(u64::MAX));
    }

    #[test]
    fn plugin_hex_accepts_spaced_and_packed_bytes() {
        assert_eq!(parse_hex("b7 00\n01"), Ok(vec![0xb7, 0x00, 0x01]));
        assert_eq!(parse_hex("b70001"), Ok(vec![0xb7, 0x00, 0x01]));
        assert_eq!(parse_hex(""), Ok(vec![]));
        assert!(parse_hex("b7 0").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
