//! Tokens of serialized TorchScript: Python's lexical rules for the subset torch writes,
//! with INDENT/DEDENT from leading spaces and implicit joining inside brackets.

/// A token kind.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    /// Operators and punctuation: `(`, `==`, `->`, …
    Op(&'static str),
    Newline,
    Indent,
    Dedent,
    Eof,
}

/// A token with its line (1-based).
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub line: u32,
}

const OPS: [&str; 40] = [
    "**=", "//=", "->", "==", "!=", "<=", ">=", "//", "**", "+=", "-=", "*=", "/=", "%=", "<<",
    ">>", "&=", "|=", "(", ")", "[", "]", "{", "}", ":", ",", ".", "+", "-", "*", "/", "%", "<",
    ">", "=", "&", "|", "^", "~", "@",
];

/// Splits `src` into tokens; the error is `(line, message)`.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, (u32, String)> {
    let mut out = Vec::new();
    let mut indents = vec![0usize];
    let mut depth = 0usize;
    let bytes = src.as_bytes();
    let mut i = 0usize;
    let mut line = 1u32;
    let mut at_line_start = true;
    while i < bytes.len() {
        if at_line_start && depth == 0 {
            let mut col = 0;
            while i < bytes.len() && bytes[i] == b' ' {
                col += 1;
                i += 1;
            }
            if i >= bytes.len() {
                break;
            }
            if bytes[i] == b'\n' || bytes[i] == b'#' || bytes[i] == b'\r' {
                // Blank or comment line: no indentation change.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                i += 1;
                line += 1;
                continue;
            }
            at_line_start = false;
            let top = *indents.last().unwrap_or(&0);
            if col > top {
                indents.push(col);
                out.push(Token {
                    tok: Tok::Indent,
                    line,
                });
            } else {
                while col < *indents.last().unwrap_or(&0) {
                    indents.pop();
                    out.push(Token {
                        tok: Tok::Dedent,
                        line,
                    });
                }
                if col != *indents.last().unwrap_or(&0) {
                    return Err((line, "inconsistent indentation".into()));
                }
            }
            continue;
        }
        let c = bytes[i];
        match c {
            b'\n' => {
                if depth == 0 {
                    out.push(Token {
                        tok: Tok::Newline,
                        line,
                    });
                    at_line_start = true;
                }
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                i += 2;
                line += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let (s, n, lines) = lex_string(&src[i..]).map_err(|m| (line, m))?;
                out.push(Token {
                    tok: Tok::Str(s),
                    line,
                });
                line += lines;
                i += n;
            }
            b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let mut float = false;
                if i < bytes.len() && bytes[i] == b'.' {
                    float = true;
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                    float = true;
                    i += 1;
                    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                        i += 1;
                    }
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                let text = &src[start..i];
                let tok = if float || text.contains(['e', 'E']) && !text.starts_with("0x") {
                    Tok::Float(
                        text.parse()
                            .map_err(|_| (line, format!("bad float literal {text}")))?,
                    )
                } else if let Some(hex) = text.strip_prefix("0x") {
                    Tok::Int(
                        i64::from_str_radix(hex, 16)
                            .map_err(|_| (line, format!("bad int literal {text}")))?,
                    )
                } else {
                    match text.parse::<i64>() {
                        Ok(v) => Tok::Int(v),
                        // `-9223372036854775808` is written as a negated literal.
                        Err(_) if text == "9223372036854775808" => Tok::Float(9.223372036854776e18),
                        Err(_) => return Err((line, format!("bad int literal {text}"))),
                    }
                };
                out.push(Token { tok, line });
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Name(src[start..i].to_owned()),
                    line,
                });
            }
            _ => {
                let rest = &src[i..];
                let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                    return Err((line, format!("unexpected character {:?}", c as char)));
                };
                match *op {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                out.push(Token {
                    tok: Tok::Op(op),
                    line,
                });
                i += op.len();
            }
        }
    }
    if !matches!(out.last().map(|t| &t.tok), Some(Tok::Newline) | None) {
        out.push(Token {
            tok: Tok::Newline,
            line,
        });
    }
    while indents.len() > 1 {
        indents.pop();
        out.push(Token {
            tok: Tok::Dedent,
            line,
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        line,
    });
    Ok(out)
}

/// A string literal at the start of `s`: (value, bytes consumed, newlines inside).
fn lex_string(s: &str) -> Result<(String, usize, u32), String> {
    let q = s.as_bytes()[0] as char;
    let triple: String = std::iter::repeat_n(q, 3).collect();
    let (delim, mut rest) = if s.starts_with(&triple) {
        (triple.as_str(), &s[3..])
    } else {
        (&s[..1], &s[1..])
    };
    let mut out = String::new();
    let mut consumed = delim.len();
    let mut lines = 0;
    loop {
        if rest.starts_with(delim) {
            return Ok((out, consumed + delim.len(), lines));
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            return Err("unterminated string literal".into());
        };
        consumed += c.len_utf8();
        rest = chars.as_str();
        match c {
            '\n' if delim.len() == 1 => return Err("newline in string literal".into()),
            '\n' => {
                lines += 1;
                out.push('\n');
            }
            '\\' => {
                let mut chars = rest.chars();
                let Some(e) = chars.next() else {
                    return Err("unterminated string literal".into());
                };
                consumed += e.len_utf8();
                rest = chars.as_str();
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    '\\' => out.push('\\'),
                    '\'' => out.push('\''),
                    '"' => out.push('"'),
                    '\n' => lines += 1,
                    'x' => {
                        let hex = rest.get(..2).ok_or("bad \\x escape")?;
                        let v = u32::from_str_radix(hex, 16).map_err(|_| "bad \\x escape")?;
                        out.push(char::from_u32(v).ok_or("bad \\x escape")?);
                        rest = &rest[2..];
                        consumed += 2;
                    }
                    'u' => {
                        let hex = rest.get(..4).ok_or("bad \\u escape")?;
                        let v = u32::from_str_radix(hex, 16).map_err(|_| "bad \\u escape")?;
                        out.push(char::from_u32(v).ok_or("bad \\u escape")?);
                        rest = &rest[4..];
                        consumed += 4;
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_and_brackets() {
        let toks = lex("def f(a,\n    b):\n  return a\n").unwrap();
        let kinds: Vec<_> = toks.iter().map(|t| t.tok.clone()).collect();
        assert!(kinds.contains(&Tok::Indent));
        assert!(kinds.contains(&Tok::Dedent));
        assert_eq!(kinds.iter().filter(|k| **k == Tok::Newline).count(), 2);
    }

    #[test]
    fn literals() {
        let toks = lex("x = (1, 0.5, 1.0000000000000001e-05, \"a\\\"b\", 0.)\n").unwrap();
        assert!(toks.iter().any(|t| t.tok == Tok::Float(1e-5)));
        assert!(toks.iter().any(|t| t.tok == Tok::Str("a\"b".into())));
        assert!(toks.iter().any(|t| t.tok == Tok::Float(0.0)));
    }
}
