//! name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route,
//! Refer-To... (RFC 3261 §20.10, §25.1).

use std::fmt;

use crate::scan::{Cursor, find_param, is_token, quote, set_param, unquote, write_params};
use crate::{ParseError, Uri};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, unquoted and unescaped (`"J \"R\""` becomes `J "R"`).
    pub display: Option<String>,
    pub uri: Uri,
    /// Header parameters (`tag`, `expires`, `q`, `+sip.instance`, ...) as received; quoted
    /// values keep their quotes.
    pub params: Vec<(String, Option<String>)>,
}

/// One Contact value: `*` (unregister all) or an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Star,
    Addr(NameAddr),
}

fn bad(reason: &'static str) -> ParseError {
    ParseError::header("name-addr", reason)
}

/// A name-addr or addr-spec cut into its pieces, nothing parsed further.
struct Parts<'a> {
    display: Option<Display<'a>>,
    uri: &'a str,
    /// The header parameters, `*(;param)`, as written.
    params: &'a str,
}

enum Display<'a> {
    /// With its quotes and escapes.
    Quoted(&'a str),
    Tokens(&'a str),
}

impl<'a> Parts<'a> {
    fn split(s: &'a str) -> Result<Parts<'a>, ParseError> {
        let mut c = Cursor::new(s);
        c.skip_ws();
        let mut display = None;
        if c.peek() == Some(b'"') {
            let raw = c
                .quoted_raw()
                .ok_or_else(|| bad("unterminated quoted string"))?;
            display = Some(Display::Quoted(raw));
            c.skip_ws();
            if c.peek() != Some(b'<') {
                return Err(bad("expected '<' after display name"));
            }
        }
        if c.peek() != Some(b'<') {
            // Either tokens then `<`, or an addr-spec.
            let rest = c.rest();
            // A '<' after a ':' belongs to a parameter value of an addr-spec
            // (`sip:a@b;+sip.instance="<urn:...>"`), not to a name-addr.
            let lt = rest
                .find('<')
                .filter(|&lt| !rest.get(..lt).unwrap_or("").contains([':', ';', '"']));
            match lt {
                Some(lt) => {
                    let name = rest
                        .get(..lt)
                        .unwrap_or("")
                        .trim_end_matches([' ', '\t', '\r', '\n']);
                    let words_ok = !name.is_empty()
                        && name
                            .split([' ', '\t', '\r', '\n'])
                            .filter(|w| !w.is_empty())
                            .all(|w| w.bytes().all(is_token));
                    if !words_ok {
                        return Err(bad("display name is not a token list"));
                    }
                    display = Some(Display::Tokens(name));
                    c.pos += lt;
                }
                None => {
                    let spec = c.take_while(|b| {
                        b != b';' && b != b' ' && b != b'\t' && b != b'\r' && b != b'\n'
                    });
                    if spec.contains(['?', ',']) {
                        return Err(bad("addr-spec with '?' or ',' must be in <>"));
                    }
                    return Ok(Parts {
                        display,
                        uri: spec,
                        params: c.rest(),
                    });
                }
            }
        }
        if !c.eat(b'<') {
            return Err(bad("expected '<'"));
        }
        let inner = c.take_while(|b| b != b'>');
        if !c.eat(b'>') {
            return Err(bad("unterminated '<'"));
        }
        Ok(Parts {
            display,
            uri: inner,
            params: c.rest(),
        })
    }
}

impl NameAddr {
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Vec::new(),
        }
    }

    /// Parse `[display-name] <URI> *(;param)` or `addr-spec *(;param)`. In the addr-spec form
    /// the URI ends at the first `;` (those parameters are header parameters, RFC 3261
    /// §20.10) and may not contain `?` or `,` (RFC 4475 regbadct). Inside `<>` no LWS is
    /// allowed (badaspec). A display name is a quoted string or a run of tokens (baddn).
    pub fn parse(s: &str) -> Result<NameAddr, ParseError> {
        let parts = Parts::split(s)?;
        let uri = Uri::parse(parts.uri)?;
        let params = Cursor::new(parts.params).params().map_err(bad)?;
        Ok(NameAddr {
            display: parts.display.map(|d| match d {
                Display::Quoted(raw) => unquote(raw),
                Display::Tokens(words) => words.to_owned(),
            }),
            uri,
            params,
        })
    }

    /// The header parameter `name` of a name-addr or addr-spec value, found where `parse`
    /// finds it but without parsing the URI or keeping anything: the tag lookups of dialog
    /// matching read From and To of messages whose headers were checked on receipt.
    /// Valueless parameters give `Some("")`, quoted values lose their quotes.
    pub fn param_of<'a>(s: &'a str, name: &str) -> Result<Option<&'a str>, ParseError> {
        let parts = Parts::split(s)?;
        Cursor::new(parts.params).find_param(name).map_err(bad)
    }

    /// The non-empty `tag` parameter of a From or To value, as [`Self::param_of`] finds it.
    pub fn tag_of(s: &str) -> Option<&str> {
        Self::param_of(s, "tag").ok()?.filter(|t| !t.is_empty())
    }

    /// A header parameter (case-insensitive name); valueless ones give `Some("")`, quoted
    /// values lose their quotes.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.params, name)
    }

    pub fn tag(&self) -> Option<&str> {
        self.param("tag").filter(|t| !t.is_empty())
    }

    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        set_param(&mut self.params, name, value)
    }

    pub fn remove_param(&mut self, name: &str) {
        self.params.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }
}

impl Contact {
    pub fn parse(s: &str) -> Result<Contact, ParseError> {
        if s.trim() == "*" {
            Ok(Contact::Star)
        } else {
            NameAddr::parse(s).map(Contact::Addr)
        }
    }
}

/// Always the name-addr form (`"display" <uri>;params`): `<>` make the URI's own `;` and `?`
/// unambiguous whatever it contains.
impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "{} ", quote(d))?;
        }
        write!(f, "<{}>", self.uri)?;
        write_params(f, &self.params)
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Star => f.write_str("*"),
            Contact::Addr(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> NameAddr {
        NameAddr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn forms() {
        let a = p(r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ;   tag = 98asjd8"#);
        assert_eq!(a.display.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(a.tag(), Some("98asjd8"));
        let a = p("caller<sip:caller@example.com>;tag=323");
        assert_eq!(a.display.as_deref(), Some("caller"));
        let a = p("sip:+19725552222@gw1.example.net;unknownparam");
        assert!(a.uri.as_sip().is_some_and(|u| u.params.is_empty()));
        assert_eq!(a.param("unknownparam"), Some(""));
        let a = p("<sip:+19725552222@gw1.example.net;unknownparam>");
        assert!(a.uri.as_sip().is_some_and(|u| u.has_param("unknownparam")));
        assert!(a.params.is_empty());
        let a = p(r#"<sip:a@b>;+sip.instance="<urn:uuid:1>";reg-id=1;expires=60;q=0.5"#);
        assert_eq!(a.param("+sip.instance"), Some("<urn:uuid:1>"));
        assert_eq!(a.param("expires"), Some("60"));
        assert_eq!(
            a.to_string(),
            r#"<sip:a@b>;+sip.instance="<urn:uuid:1>";reg-id=1;expires=60;q=0.5"#
        );
        let a = p("token1~` token2'+_ <sip:m@example.com>");
        assert_eq!(a.display.as_deref(), Some("token1~` token2'+_"));
        assert_eq!(p(&a.to_string()), a);
        let a = p(r#"sip:a@b;+sip.instance="<urn:uuid:1>""#);
        assert_eq!(a.param("+sip.instance"), Some("<urn:uuid:1>"));
    }

    #[test]
    fn display_round_trip() {
        let a = p("\"BEL:\\\u{7} NUL:\\\u{0} DEL:\\\u{7f}\" <sip:x@example.com>");
        assert_eq!(a.display.as_deref(), Some("BEL:\u{7} NUL:\u{0} DEL:\u{7f}"));
        assert_eq!(p(&a.to_string()), a);
    }

    #[test]
    fn rejects() {
        for bad in [
            "\"Mr. J. User <sip:j.user@example.com>",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:a@b",
            "",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Contact::parse(" * "), Ok(Contact::Star));
    }

    /// `param_of` and `tag_of` find what `parse` finds, for every form a From or To takes.
    #[test]
    fn parameters_without_parsing_agree_with_parse() {
        let values = [
            r#""J Rosenberg \\\"" <sip:jdrosen@example.com> ;   tag = 98asjd8"#,
            "caller<sip:caller@example.com>;tag=323",
            "sip:+19725552222@gw1.example.net;TAG=abc;unknownparam",
            "<sip:a@b;tag=uri-param-not-a-header-param>",
            r#""a;tag=in-display" <sip:a@b>;tag=real"#,
            r#"<sip:a@b>;+sip.instance="<urn:uuid:1>";tag="quoted""#,
            "<sip:a@b>;tag",
            "sip:a@b",
        ];
        for v in values {
            let parsed = p(v);
            for name in ["tag", "unknownparam", "+sip.instance", "x"] {
                assert_eq!(
                    NameAddr::param_of(v, name),
                    Ok(parsed.param(name)),
                    "{v} {name}"
                );
            }
            assert_eq!(NameAddr::tag_of(v), parsed.tag(), "{v}");
        }
        assert_eq!(NameAddr::tag_of(values[4]), Some("real"));
        assert_eq!(NameAddr::tag_of(values[3]), None);
        for bad in [
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:a@b",
            "<sip:a@b>;x=1;tag=",
        ] {
            assert!(NameAddr::param_of(bad, "tag").is_err(), "{bad}");
            assert_eq!(NameAddr::tag_of(bad), None, "{bad}");
        }
        // The URI is not looked at: an empty value simply has no parameters.
        assert_eq!(NameAddr::param_of("", "tag"), Ok(None));
    }
}
