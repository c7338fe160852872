//! The `auth-param` list shared by challenges and credentials (RFC 7235 §2.1, RFC 3261 §25.1):
//! `Scheme name=token, name="quoted \"string\"", ...`. Written by hand because the values come
//! from the network: every malformed input is an `Err`, never a panic.

use super::DigestError;

/// Splits `Digest a=b, c="d"` into the parameter list, after checking the scheme.
pub(crate) fn parse_digest(value: &str) -> Result<Vec<(String, String)>, DigestError> {
    let value = value.trim_start_matches([' ', '\t', '\r', '\n']);
    let scheme_end = value
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(value.len());
    let (scheme, rest) = value.split_at(scheme_end);
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(DigestError::UnknownScheme(scheme.to_owned()));
    }
    parse_params(rest)
}

/// Parses `name=value` pairs separated by commas. Names are lower-cased (they are
/// case-insensitive); values are unquoted and unescaped. Empty list elements are skipped, as
/// the `#rule` allows.
fn parse_params(input: &str) -> Result<Vec<(String, String)>, DigestError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    loop {
        skip_separators(&mut chars);
        let Some(&(start, _)) = chars.peek() else {
            return Ok(out);
        };
        let mut name_end = input.len();
        while let Some(&(i, c)) = chars.peek() {
            if is_token_char(c) {
                chars.next();
            } else {
                name_end = i;
                break;
            }
        }
        let name = input.get(start..name_end).unwrap_or_default();
        if name.is_empty() {
            return Err(DigestError::Syntax("expected a parameter name"));
        }
        skip_lws(&mut chars);
        if !matches!(chars.next(), Some((_, '='))) {
            return Err(DigestError::Syntax("expected '=' after a parameter name"));
        }
        skip_lws(&mut chars);
        let value = match chars.peek() {
            Some(&(_, '"')) => {
                chars.next();
                read_quoted(&mut chars)?
            }
            _ => {
                let mut v = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if is_token_char(c) || c == '/' || c == ':' {
                        v.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if v.is_empty() {
                    return Err(DigestError::Syntax("empty parameter value"));
                }
                v
            }
        };
        out.push((name.to_ascii_lowercase(), value));
        skip_lws(&mut chars);
        match chars.next() {
            None => return Ok(out),
            Some((_, ',')) => {}
            Some(_) => return Err(DigestError::Syntax("expected ',' between parameters")),
        }
    }
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

fn read_quoted(chars: &mut Chars<'_>) -> Result<String, DigestError> {
    let mut v = String::new();
    loop {
        match chars.next() {
            None => return Err(DigestError::Syntax("unterminated quoted string")),
            Some((_, '"')) => return Ok(v),
            Some((_, '\\')) => match chars.next() {
                Some((_, c)) => v.push(c),
                None => return Err(DigestError::Syntax("unterminated quoted string")),
            },
            Some((_, c)) => v.push(c),
        }
    }
}

fn skip_lws(chars: &mut Chars<'_>) {
    while chars.next_if(|&(_, c)| c.is_ascii_whitespace()).is_some() {}
}

fn skip_separators(chars: &mut Chars<'_>) {
    while chars
        .next_if(|&(_, c)| c.is_ascii_whitespace() || c == ',')
        .is_some()
    {}
}

/// RFC 3261 `token` characters (also used for the unquoted values).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// Writes `"value"` escaping `"` and `\` so a realm or nonce can never break the header.
pub(crate) fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        // CR/LF would split the header; they never belong in these values.
        if c != '\r' && c != '\n' {
            out.push(c);
        }
    }
    out.push('"');
}

/// Looks up a (lower-case) parameter; the first occurrence wins.
pub(crate) fn find<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_quoted_and_escapes() {
        let p =
            parse_digest(r#"Digest username="Mu\"fa\\sa" , nc=00000001,qop=auth, ,uri="sip:a@b""#);
        assert_eq!(
            p,
            Ok(vec![
                ("username".into(), "Mu\"fa\\sa".into()),
                ("nc".into(), "00000001".into()),
                ("qop".into(), "auth".into()),
                ("uri".into(), "sip:a@b".into()),
            ])
        );
    }

    #[test]
    fn scheme_is_case_insensitive_and_others_rejected() {
        assert!(parse_digest("digest realm=\"x\"").is_ok());
        assert_eq!(
            parse_digest("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Err(DigestError::UnknownScheme("Basic".into()))
        );
        assert!(matches!(
            parse_digest(""),
            Err(DigestError::UnknownScheme(_))
        ));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for bad in [
            "Digest realm",
            "Digest realm=",
            "Digest realm=\"open",
            "Digest realm=\"x\\",
            "Digest =x",
            "Digest a=b c=d",
            "Digest a=\"b\"c",
        ] {
            assert!(parse_digest(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quoting_escapes() {
        let mut s = String::new();
        push_quoted(&mut s, "a\"b\\c\r\n");
        assert_eq!(s, r#""a\"b\\c""#);
    }
}
