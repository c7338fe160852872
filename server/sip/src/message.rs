//! Requests, responses and the typed accessors both share.

use crate::cseq::{CSeq, parse_u32};
use crate::name_addr::{Contact, NameAddr};
use crate::via::Via;
use crate::{HeaderName, Headers, Method, ParseError, Uri, reason_phrase};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

fn missing(name: &str) -> ParseError {
    ParseError::header(name, "missing")
}

/// Typed views over the headers, parsed on demand. Shared by requests and responses.
impl Headers {
    /// Every Via value, top first.
    pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.get_all(&HeaderName::Via).map(Via::parse).collect()
    }

    pub fn top_via(&self) -> Result<Via, ParseError> {
        self.get_all(&HeaderName::Via)
            .next()
            .ok_or_else(|| missing("Via"))
            .and_then(Via::parse)
    }

    pub fn from_header(&self) -> Result<NameAddr, ParseError> {
        self.get(&HeaderName::From)
            .ok_or_else(|| missing("From"))
            .and_then(NameAddr::parse)
    }

    pub fn to_header(&self) -> Result<NameAddr, ParseError> {
        self.get(&HeaderName::To)
            .ok_or_else(|| missing("To"))
            .and_then(NameAddr::parse)
    }

    /// The From tag, found without parsing the From URI (`NameAddr::tag_of`).
    pub fn from_tag(&self) -> Option<&str> {
        self.get(&HeaderName::From).and_then(NameAddr::tag_of)
    }

    /// The To tag, found without parsing the To URI (`NameAddr::tag_of`).
    pub fn to_tag(&self) -> Option<&str> {
        self.get(&HeaderName::To).and_then(NameAddr::tag_of)
    }

    pub fn call_id(&self) -> Result<&str, ParseError> {
        self.get(&HeaderName::CallId)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing("Call-ID"))
    }

    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        self.get(&HeaderName::CSeq)
            .ok_or_else(|| missing("CSeq"))
            .and_then(CSeq::parse)
    }

    /// None when absent; an error for anything but 0..=255 (RFC 4475 scalar02 has 300).
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.get(&HeaderName::MaxForwards)
            .map(|v| {
                parse_u32(v)
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| ParseError::header("Max-Forwards", "not 0..=255"))
            })
            .transpose()
    }

    /// The Expires header as delta-seconds; None when absent.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.get(&HeaderName::Expires)
            .map(|v| parse_u32(v).ok_or_else(|| ParseError::header("Expires", "not delta-seconds")))
            .transpose()
    }

    /// Every Contact value, in order.
    pub fn contacts(&self) -> Result<Vec<Contact>, ParseError> {
        self.get_all(&HeaderName::Contact)
            .map(Contact::parse)
            .collect()
    }

    /// Content-Type media type in lower case without parameters (`application/sdp`).
    pub fn content_type(&self) -> Option<String> {
        self.get(&HeaderName::ContentType).map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect::<String>()
                .to_ascii_lowercase()
        })
    }
}

macro_rules! accessors {
    ($t:ty) => {
        impl $t {
            pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
                self.headers.vias()
            }
            pub fn top_via(&self) -> Result<Via, ParseError> {
                self.headers.top_via()
            }
            pub fn from_header(&self) -> Result<NameAddr, ParseError> {
                self.headers.from_header()
            }
            pub fn to_header(&self) -> Result<NameAddr, ParseError> {
                self.headers.to_header()
            }
            pub fn call_id(&self) -> Result<&str, ParseError> {
                self.headers.call_id()
            }
            pub fn cseq(&self) -> Result<CSeq, ParseError> {
                self.headers.cseq()
            }
            pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
                self.headers.max_forwards()
            }
            pub fn expires(&self) -> Result<Option<u32>, ParseError> {
                self.headers.expires()
            }
            pub fn contacts(&self) -> Result<Vec<Contact>, ParseError> {
                self.headers.contacts()
            }
            pub fn content_type(&self) -> Option<String> {
                self.headers.content_type()
            }
        }
    };
}

accessors!(Request);
accessors!(Response);

impl Request {
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }
}

impl Response {
    /// A response with no headers; `reason` empty means the standard phrase.
    pub fn new(status: u16, reason: &str) -> Response {
        let reason = if reason.is_empty() {
            reason_phrase(status)
        } else {
            reason
        };
        Response {
            status,
            reason: reason.to_owned(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// RFC 3261 §8.2.6.2: a response copies Via (all, in order), From, To, Call-ID and CSeq
    /// from the request, and nothing else. `reason` empty means the standard phrase.
    pub fn for_request(req: &Request, status: u16, reason: &str) -> Response {
        let mut resp = Response::new(status, reason);
        // The five copied headers plus the few a UAS adds (Allow, Accept, Supported, Server,
        // Contact...): one allocation instead of growing 0 -> 4 -> 8 -> 16.
        resp.headers.0.reserve(10);
        for h in req.headers.iter() {
            if matches!(
                h.name,
                HeaderName::Via
                    | HeaderName::From
                    | HeaderName::To
                    | HeaderName::CallId
                    | HeaderName::CSeq
            ) {
                resp.headers.0.push(h.clone());
            }
        }
        resp
    }

    /// The To tag, if any.
    pub fn to_tag(&self) -> Option<String> {
        self.headers.to_tag().map(str::to_owned)
    }

    /// Set the To tag. When the To has no tag, `;tag=` is appended to the value as received
    /// (that is right for both the name-addr and addr-spec forms); otherwise the header is
    /// re-printed with the tag replaced.
    pub fn set_to_tag(&mut self, tag: &str) -> Result<(), ParseError> {
        let value = self
            .headers
            .get(&HeaderName::To)
            .ok_or_else(|| missing("To"))?;
        if NameAddr::param_of(value, "tag")?.is_some() {
            let mut to = self.to_header()?;
            to.set_param("tag", Some(tag));
            self.headers.set(HeaderName::To, to.to_string());
        } else if let Some(h) = self.headers.0.iter_mut().find(|h| h.name == HeaderName::To) {
            h.value.reserve(5 + tag.len());
            h.value.push_str(";tag=");
            h.value.push_str(tag);
        }
        Ok(())
    }

    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Message {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Message {
        Message::Response(r)
    }
}
