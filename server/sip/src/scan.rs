//! Small lexical helpers shared by the typed header views: character classes of RFC 3261
//! §25.1, a cursor over header text that skips linear white space, list splitting.

/// A 256-entry membership table: alphanumerics plus `extra`. Lookups run for every byte of
/// every header name and URI, so they are one load, not a scan of a list.
pub(crate) const fn table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric();
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

static TOKEN: [bool; 256] = table(b"-.!%*_+`'~");

/// `token` characters (RFC 3261 §25.1).
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN.get(usize::from(b)).copied().unwrap_or(false)
}

/// Characters allowed in a generic parameter value besides token characters: a host
/// (IPv6 reference, `received=[::1]`) may appear there.
fn is_param_value(b: u8) -> bool {
    is_token(b) || b == b':' || b == b'[' || b == b']'
}

pub(crate) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r' || b == b'\n'
}

/// A cursor over a header value. Header values are stored unfolded, but LWS may still be
/// anywhere the grammar allows SWS, so every step can skip white space.
pub(crate) struct Cursor<'a> {
    pub s: &'a str,
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(s: &'a str) -> Self {
        Cursor { s, pos: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
        self.pos > start
    }

    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }

    pub fn token(&mut self) -> Option<&'a str> {
        let t = self.take_while(is_token);
        if t.is_empty() { None } else { Some(t) }
    }

    pub fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    /// A quoted-string starting at the cursor; returns the raw text including the quotes.
    pub fn quoted_raw(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !self.eat(b'"') {
            return None;
        }
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return self.s.get(start..self.pos);
                }
                _ => self.pos += 1,
            }
        }
    }

    /// `*(SEMI generic-param)` up to the end of the text: `;name[=value]` with SWS allowed
    /// around `;` and `=`. Values are kept raw (quoted strings keep their quotes) so a
    /// printed parameter is byte-identical to the received one.
    pub fn params(&mut self) -> Result<Vec<(String, Option<String>)>, &'static str> {
        let mut out = Vec::new();
        while let Some((name, value)) = self.next_param()? {
            out.push((name.to_owned(), value.map(str::to_owned)));
        }
        Ok(out)
    }

    /// The value of the first parameter called `name` (case-insensitive) among the rest's
    /// `*(SEMI generic-param)`, as [`find_param`] gives it, without building the list.
    pub fn find_param(&mut self, name: &str) -> Result<Option<&'a str>, &'static str> {
        while let Some((key, value)) = self.next_param()? {
            if key.eq_ignore_ascii_case(name) {
                return Ok(Some(value.map(strip_quotes).unwrap_or("")));
            }
        }
        Ok(None)
    }

    /// One `;name[=value]` of [`Self::params`]; `None` at the end of the text.
    fn next_param(&mut self) -> Result<Option<(&'a str, Option<&'a str>)>, &'static str> {
        self.skip_ws();
        if self.at_end() {
            return Ok(None);
        }
        if !self.eat(b';') {
            return Err("unexpected character after value");
        }
        self.skip_ws();
        let name = self.token().ok_or("empty parameter")?;
        self.skip_ws();
        let value = if self.eat(b'=') {
            self.skip_ws();
            let v = if self.peek() == Some(b'"') {
                self.quoted_raw().ok_or("unterminated quoted string")?
            } else {
                self.take_while(is_param_value)
            };
            if v.is_empty() {
                return Err("empty parameter value");
            }
            Some(v)
        } else {
            None
        };
        Ok(Some((name, value)))
    }
}

/// Unescape the content of a quoted-string (without its quotes).
pub(crate) fn unquote(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Quote a display name or parameter value for printing: `"` and `\` and control
/// characters become quoted-pairs so the text re-parses to the same value.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        // CR and LF cannot be quoted (RFC 3261 quoted-pair excludes them): printed, even
        // escaped, they would end the header. A display name never needs them.
        if c == '\r' || c == '\n' {
            continue;
        }
        if c == '"' || c == '\\' || (c.is_ascii_control() && c != '\t') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Strip one pair of surrounding quotes from a raw parameter value (no unescaping).
pub(crate) fn strip_quotes(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
}

/// Split a header field value at top-level commas (RFC 3261 §7.3.1): commas inside a quoted
/// string or between `<` and `>` do not separate values. Elements are trimmed; empty
/// elements are skipped.
pub(crate) fn split_list(s: &str) -> SplitList<'_> {
    SplitList { s, pos: 0 }
}

pub(crate) struct SplitList<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Iterator for SplitList<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.s.as_bytes();
        while self.pos < bytes.len() {
            let start = self.pos;
            let mut in_quote = false;
            let mut in_angle = false;
            let mut i = start;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'\\' if in_quote => i += 1,
                    b'"' if !in_angle => in_quote = !in_quote,
                    b'<' if !in_quote => in_angle = true,
                    b'>' if !in_quote => in_angle = false,
                    b',' if !in_quote && !in_angle => break,
                    _ => {}
                }
                i += 1;
            }
            let end = i.min(bytes.len());
            self.pos = end + 1;
            let item = self
                .s
                .get(start..end)
                .unwrap_or("")
                .trim_matches(|c: char| c.is_ascii_whitespace());
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

/// Look a parameter up by name (case-insensitive, RFC 3261 §7.3.1). Valueless parameters
/// give `Some("")`; quoted values lose their quotes.
pub(crate) fn find_param<'a>(
    params: &'a [(String, Option<String>)],
    name: &str,
) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref().map(strip_quotes).unwrap_or(""))
}

/// Replace (or add) a parameter, keeping its position when it exists.
pub(crate) fn set_param(
    params: &mut Vec<(String, Option<String>)>,
    name: &str,
    value: Option<&str>,
) {
    let value = value.map(str::to_owned);
    if let Some(p) = params
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
    {
        p.1 = value;
    } else {
        params.push((name.to_owned(), value));
    }
}

pub(crate) fn write_params(
    f: &mut std::fmt::Formatter<'_>,
    params: &[(String, Option<String>)],
) -> std::fmt::Result {
    for (k, v) in params {
        f.write_str(";")?;
        f.write_str(k)?;
        if let Some(v) = v {
            f.write_str("=")?;
            f.write_str(v)?;
        }
    }
    Ok(())
}

/// A port number in decimal without going through `fmt::Arguments`.
pub fn write_u16(f: &mut impl std::fmt::Write, n: u16) -> std::fmt::Result {
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    // ASCII digits only, so this never fails.
    f.write_str(std::str::from_utf8(digits.get(i..).unwrap_or_default()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_drops_line_breaks_that_would_end_the_header() {
        assert_eq!(quote("Alice\r\nVia: evil"), "\"AliceVia: evil\"");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn u16_digits() {
        for n in [0u16, 7, 10, 99, 5060, 65535] {
            let mut s = String::new();
            write_u16(&mut s, n).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn split_respects_quotes_and_angles() {
        let v: Vec<_> =
            split_list(r#""a, b" <sip:x,y@h>;q=1 , <sip:z@h>,, "c\", d" <sip:w@h>"#).collect();
        assert_eq!(
            v,
            vec![
                r#""a, b" <sip:x,y@h>;q=1"#,
                "<sip:z@h>",
                r#""c\", d" <sip:w@h>"#
            ]
        );
    }

    #[test]
    fn params_with_lws() {
        let mut c = Cursor::new(" ;  tag    = 19n ; lr;x=\"a b\"");
        let p = c.params().unwrap_or_default();
        assert_eq!(p.len(), 3);
        assert_eq!(find_param(&p, "TAG"), Some("19n"));
        assert_eq!(find_param(&p, "lr"), Some(""));
        assert_eq!(find_param(&p, "x"), Some("a b"));
        assert!(Cursor::new(";;").params().is_err());
    }

    #[test]
    fn quote_round_trip() {
        let s = "J \"R\" \\ \u{7}";
        assert_eq!(unquote(&quote(s)), s);
    }
}
