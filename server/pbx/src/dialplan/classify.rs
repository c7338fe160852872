//! The default class of a dialed number, used when the rule that matched it names none.
//!
//! The default numbering is the North American one (NANP), plus E.164 `+` numbers and the
//! European `00` international prefix. In order:
//!
//! 1. **Emergency**: exactly `911` (NANP), `112` (EU and GSM), `999` (UK) and `933` (the
//!    E911 test number that reads back the registered address; it must work for every phone
//!    so a dispatchable location can be checked). `000` (Australia) is left out: in this plan it
//!    starts with the European `00` prefix and reads as international; a site that needs it
//!    adds a rule for `000` with class `emergency`. Outside-line prefixes (`9911`) are not part of the default plan either.
//! 2. **International**: `+` followed by anything but `1`; `011…` (NANP) and `00…`
//!    (European) prefixes, and anything else starting `01` (NANP operator-assisted
//!    international, `01+`).
//! 3. **National**: `+1NXXNXXXXXX`, `1NXXNXXXXXX`, `NXXNXXXXXX` and `0NXXNXXXXXX`
//!    (operator-assisted). NANP covers some Caribbean countries (+1 876, +1 809…) that
//!    fraudsters like; a site that wants them international adds rules for those area codes
//!    with class `international`.
//! 4. **Local**: 7-digit `NXXXXXX` and the N11 service codes (211…811, not 911).
//! 5. **Internal**: everything else that is short (at most 6 characters, e.g. extensions
//!    and `*` feature codes) or not a dialable number at all (a SIP user name like `alice`).
//!
//! Fail closed: a dialable number of 7 or more characters that none of the above recognises
//! (a `+1` number of the wrong length, `9` + a national number behind an outside-line prefix)
//! is **International**, not Internal. Otherwise a catch-all rule without a class (`_9.` to a
//! trunk) would let an Internal-class phone dial anything: toll fraud. Such rules should name
//! their class.

use crate::features::CallClass;

use super::route::normalize;

/// Numbers at most this long that are not recognised are internal (extensions, feature codes).
const MAX_INTERNAL_LEN: usize = 6;

const EMERGENCY: [&str; 4] = ["911", "933", "112", "999"];

/// The class of `dialed`, after stripping visual separators (`1 (212) 555-0100`).
pub fn classify(dialed: &str) -> CallClass {
    let number = normalize(dialed);
    let number = number.as_ref();
    if EMERGENCY.contains(&number) {
        return CallClass::Emergency;
    }
    if !is_dialable(number) {
        return CallClass::Internal;
    }
    if let Some(e164) = number.strip_prefix('+') {
        return match e164.strip_prefix('1') {
            Some(nanp) if is_nanp_national(nanp) => CallClass::National,
            _ => CallClass::International,
        };
    }
    if number.starts_with("00") || number.starts_with("01") {
        return CallClass::International;
    }
    if is_nanp_national(number)
        || number
            .strip_prefix(['1', '0'])
            .is_some_and(is_nanp_national)
    {
        return CallClass::National;
    }
    if is_nanp_local(number) || is_n11(number) {
        return CallClass::Local;
    }
    if number.len() <= MAX_INTERNAL_LEN {
        CallClass::Internal
    } else {
        CallClass::International
    }
}

/// Digits, `*` and `#`, with an optional leading `+`.
pub(crate) fn is_dialable(number: &str) -> bool {
    let rest = number.strip_prefix('+').unwrap_or(number);
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
}

/// `NXXNXXXXXX`: area code and exchange both start 2-9.
fn is_nanp_national(number: &str) -> bool {
    matches!(number.as_bytes(), b @ [a, _, _, e, _, _, _, _, _, _]
        if all_digits(b) && *a >= b'2' && *e >= b'2')
}

/// `NXXXXXX`: a seven-digit number in the caller's own area code.
fn is_nanp_local(number: &str) -> bool {
    matches!(number.as_bytes(), b @ [a, _, _, _, _, _, _] if all_digits(b) && *a >= b'2')
}

/// `N11` service codes: 211 community services … 811 call-before-you-dig.
fn is_n11(number: &str) -> bool {
    matches!(number.as_bytes(), [b'2'..=b'9', b'1', b'1'])
}

fn all_digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CallClass::*;

    #[test]
    fn default_numbering_plan() {
        let cases = [
            // emergency
            ("911", Emergency),
            ("933", Emergency),
            ("112", Emergency),
            ("999", Emergency),
            ("000", International),
            ("9911", Internal),
            // international
            ("011442079460000", International),
            ("00442079460000", International),
            ("0044 20 7946 0000", International),
            ("+442079460000", International),
            ("+44 20 7946 0000", International),
            ("+33", International),
            ("01442079460000", International),
            ("+1212555010", International),
            ("912125550100", International),
            ("11234567890", International),
            // national
            ("12125550100", National),
            ("1 (212) 555-0100", National),
            ("2125550100", National),
            ("212.555.0100", National),
            ("+12125550100", National),
            ("+1 212-555-0100", National),
            ("02125550100", National),
            // local
            ("5550100", Local),
            ("555-0100", Local),
            ("411", Local),
            ("811", Local),
            // internal
            ("1001", Internal),
            ("100", Internal),
            ("*97", Internal),
            ("0", Internal),
            ("123456", Internal),
            ("1550100", International),
            ("alice", Internal),
            ("", Internal),
            ("2120550100", International),
        ];
        for (dialed, class) in cases {
            assert_eq!(classify(dialed), class, "{dialed:?}");
        }
    }
}
