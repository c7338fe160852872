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
/// the `#rule` allows. Values are copied as whole slices (this runs on every authenticated
/// REGISTER); only a quoted string with escapes is rebuilt character by character.
fn parse_params(input: &str) -> Result<Vec<(String, String)>, DigestError> {
    let mut out = Vec::with_capacity(10);
    let mut rest = input;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            return Ok(out);
        }
        let (name, after) = split_while(rest, is_token_char);
        if name.is_empty() {
            return Err(DigestError::Syntax("expected a parameter name"));
        }
        let Some(after) = skip_lws(after).strip_prefix('=') else {
            return Err(DigestError::Syntax("expected '=' after a parameter name"));
        };
        let after = skip_lws(after);
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => read_quoted(quoted)?,
            None => {
                let (v, after) = split_while(after, |c| is_token_char(c) || c == '/' || c == ':');
                if v.is_empty() {
                    return Err(DigestError::Syntax("empty parameter value"));
                }
                (v.to_owned(), after)
            }
        };
        out.push((name.to_ascii_lowercase(), value));
        let after = skip_lws(after);
        if after.is_empty() {
            return Ok(out);
        }
        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None => return Err(DigestError::Syntax("expected ',' between parameters")),
        }
    }
}

/// The longest prefix of `s` whose characters satisfy `keep`, and what follows it.
fn split_while(s: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = s.find(|c: char| !keep(c)).unwrap_or(s.len());
    s.split_at_checked(end).unwrap_or((s, ""))
}

/// The body of a quoted string (after its opening quote), unescaped, and what follows the
/// closing quote.
fn read_quoted(s: &str) -> Result<(String, &str), DigestError> {
    const UNTERMINATED: DigestError = DigestError::Syntax("unterminated quoted string");
    // Most values (nonces, hex digests, URIs) have no escapes: one copy of the slice.
    let end = s.find(['"', '\\']).ok_or(UNTERMINATED)?;
    if let Some((body, after)) = s.split_at_checked(end)
        && let Some(after) = after.strip_prefix('"')
    {
        return Ok((body.to_owned(), after));
    }
    let mut v = String::with_capacity(s.len());
    let mut chars = s.char_indices();
    loop {
        match chars.next() {
            None => return Err(UNTERMINATED),
            Some((i, '"')) => return Ok((v, s.get(i + 1..).unwrap_or_default())),
            Some((_, '\\')) => match chars.next() {
                Some((_, c)) => v.push(c),
                None => return Err(UNTERMINATED),
            },
            Some((_, c)) => v.push(c),
        }
    }
}

fn skip_lws(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii_whitespace())
}

/// RFC 3261 `token` characters (also used for the unquoted values).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// Writes `"value"` escaping `"` and `\` so a realm or nonce can never break the header.
pub(crate) fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    if !value.contains(['"', '\\', '\r', '\n']) {
        out.push_str(value);
        out.push('"');
        return;
    }
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
