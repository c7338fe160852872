//! `application/x-www-form-urlencoded` decoding for the few places that read a field by hand
//! (the CSRF check, query strings), so they never fail on odd input: bad escapes are kept
//! as typed and invalid UTF-8 becomes U+FFFD.

/// All `name=value` pairs, decoded, in order.
pub(crate) fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The first value of `name`.
pub(crate) fn form_field(text: &str, name: &str) -> Option<String> {
    pairs(text)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    // from_str_radix alone would take "+1" as a number.
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs_and_survives_junk() {
        assert_eq!(
            pairs("a=1&b=x+y%21&c&=z&d=%zz%4%+1"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y!".into()),
                ("c".into(), "".into()),
                ("".into(), "z".into()),
                ("d".into(), "%zz%4% 1".into()),
            ]
        );
        assert_eq!(
            form_field("x=1&csrf=abc&csrf=def", "csrf").as_deref(),
            Some("abc")
        );
        assert_eq!(
            form_field("%ff=%ff", "\u{fffd}").as_deref(),
            Some("\u{fffd}")
        );
    }
}
