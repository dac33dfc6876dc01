//! Tokens of one line of LLVM/kernel assembly.
//!
//! The syntax is C-like (`r1 += w2` is not, but `r1 s>>= 0x3` is), so a token is a name, an
//! unsigned number, or an operator; signs are separate tokens that the parser folds into
//! numbers where a signed number is expected.

use crate::asm::AsmErrorKind;

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Token {
    /// A name: mnemonic, register, label, size (`u32`, `s8`), keyword (`ll`, `skb`).
    Name(String),
    /// An unsigned number, decimal or `0x` hexadecimal.
    Number(u64),
    /// An operator or punctuation, spelled as in the source.
    Punct(&'static str),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Name(name) => f.write_str(name),
            Token::Number(n) => write!(f, "{n:#x}"),
            Token::Punct(p) => f.write_str(p),
        }
    }
}

/// Operators, longest first so that the first match is the longest one. The signed
/// comparison and arithmetic operators start with `s`, which would otherwise begin a name.
const PUNCTS: [&str; 34] = [
    "s>>=", "<<=", ">>=", "s/=", "s%=", "s>=", "s<=", "s>", "s<", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "==",
    "!=", ">=", "<=", ">", "<", "=", "&", "*", "(", ")", "[", "]", ",", "+", "-", ":",
];

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '_' | '.' | '$')
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')
}

/// Splits `text` into tokens.
pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, AsmErrorKind> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some(punct) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            tokens.push(Token::Punct(punct));
            rest = &rest[punct.len()..];
        } else if c.is_ascii_digit() {
            let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            tokens.push(Token::Number(number(&rest[..end])?));
            rest = &rest[end..];
        } else if is_name_start(c) {
            let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            tokens.push(Token::Name(rest[..end].to_owned()));
            rest = &rest[end..];
        } else {
            return Err(AsmErrorKind::Syntax(format!("unexpected character `{c}`")));
        }
    }
    Ok(tokens)
}

/// Parses a decimal or `0x` hexadecimal literal (the whole token, so `5ll` is an error).
fn number(literal: &str) -> Result<u64, AsmErrorKind> {
    let (digits, radix) = match literal.strip_prefix("0x").or_else(|| literal.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (literal, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(AsmErrorKind::Syntax(format!("invalid number `{literal}`")));
    }
    u64::from_str_radix(digits, radix).map_err(|_| AsmErrorKind::ImmediateOutOfRange(literal.to_owned()))
}

/// Whether `name` can be written as a label, table or function name: it lexes as one name
/// token that no instruction form could read as something else.
pub(crate) fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char) && !is_reserved(name)
}

/// Names that mean something in operand position.
fn is_reserved(name: &str) -> bool {
    const KEYWORDS: [&str; 5] = ["ll", "pc", "kfunc", "btf", "skb"];
    let is_register = |prefix: char| {
        name.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    KEYWORDS.contains(&name) || is_register('r') || is_register('w')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<Token> {
        tokenize(text).expect("lexes")
    }

    #[test]
    fn signed_operators_are_not_names() {
        assert_eq!(
            names("if r1 s>= -0x3 goto +0x1"),
            vec![
                Token::Name("if".into()),
                Token::Name("r1".into()),
                Token::Punct("s>="),
                Token::Punct("-"),
                Token::Number(3),
                Token::Name("goto".into()),
                Token::Punct("+"),
                Token::Number(1),
            ]
        );
        assert_eq!(names("r0 = *(u8 *)skb[r1]")[4..6], [Token::Name("u8".into()), Token::Punct("*")]);
        assert_eq!(names("w1 s%= w3")[1], Token::Punct("s%="));
    }

    #[test]
    fn numbers_must_be_whole_tokens() {
        assert_eq!(names("0x0 ll"), vec![Token::Number(0), Token::Name("ll".into())]);
        assert!(matches!(tokenize("0x0ll"), Err(AsmErrorKind::Syntax(_))));
        assert!(matches!(tokenize("0x"), Err(AsmErrorKind::Syntax(_))));
        assert!(matches!(tokenize("0x10000000000000000"), Err(AsmErrorKind::ImmediateOutOfRange(_))));
        assert!(matches!(tokenize("r1 = @"), Err(AsmErrorKind::Syntax(_))));
    }

    #[test]
    fn plain_names_exclude_registers_and_keywords() {
        assert!(is_plain_name("LBB0_3"));
        assert!(is_plain_name(".LBB0_3"));
        assert!(is_plain_name("BPF.JT.0.0"));
        assert!(is_plain_name("r"));
        assert!(is_plain_name("r1x"));
        assert!(!is_plain_name("r10"));
        assert!(!is_plain_name("w3"));
        assert!(!is_plain_name("ll"));
        assert!(!is_plain_name("1abc"));
        assert!(!is_plain_name("a-b"));
        assert!(!is_plain_name(""));
    }
}
