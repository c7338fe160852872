//! The SDP body a call parsed last, kept parsed: one body is read to check it, to negotiate,
//! to point the relay and to anchor it for the other leg, and parsing it once for all four
//! saves a good part of a call's SDP work.

use std::sync::{Arc, Mutex};

use media::sdp::SessionDescription;

#[derive(Debug, Default)]
pub struct SdpMemo {
    last: Mutex<Option<(String, Arc<SessionDescription>)>>,
}

impl SdpMemo {
    /// `text` parsed: from the memo when it is the body parsed last, else parsed now and
    /// remembered. None when it does not parse.
    pub fn parse(&self, text: &str) -> Option<Arc<SessionDescription>> {
        let mut last = self.last.lock().ok();
        if let Some(Some((known, parsed))) = last.as_deref()
            && known == text
        {
            return Some(parsed.clone());
        }
        let parsed = Arc::new(SessionDescription::parse(text).ok()?);
        if let Some(slot) = last.as_deref_mut() {
            *slot = Some((text.to_owned(), parsed.clone()));
        }
        Some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
                         t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

    #[test]
    fn the_same_body_is_parsed_once() -> Result<(), String> {
        let memo = SdpMemo::default();
        let first = memo.parse(OFFER).ok_or("offer did not parse")?;
        let again = memo.parse(OFFER).ok_or("offer did not parse twice")?;
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(first.media[0].port, 4000);
        Ok(())
    }

    #[test]
    fn another_body_replaces_the_memo_and_garbage_does_not() -> Result<(), String> {
        let memo = SdpMemo::default();
        let first = memo.parse(OFFER).ok_or("offer did not parse")?;
        let other = OFFER.replace("4000", "4002");
        let second = memo.parse(&other).ok_or("second offer did not parse")?;
        assert_eq!(second.media[0].port, 4002);
        assert!(memo.parse("not sdp").is_none());
        let back = memo
            .parse(&other)
            .ok_or("second offer did not parse again")?;
        assert!(Arc::ptr_eq(&second, &back));
        assert!(!Arc::ptr_eq(&first, &back));
        Ok(())
    }
}
