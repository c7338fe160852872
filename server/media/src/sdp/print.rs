//! The SDP printer: `v=`, `o=`, `s=`, then RFC 8866 order (i u e p, c, b t r z k and unknown
//! lines in the order they came, then a=), CRLF after every line.

use std::fmt::{self, Display, Formatter};

use super::{Attribute, Connection, Line, MediaDescription, Origin, SessionDescription};

/// Line types RFC 8866 places before `c=` (session: i u e p; media: i).
const BEFORE_C: &[char] = &['i', 'u', 'e', 'p'];

impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\n{}s={}\r\n", self.origin, self.session_name)?;
        lines(f, &self.lines, |k| BEFORE_C.contains(&k))?;
        if let Some(c) = &self.connection {
            write!(f, "{c}")?;
        }
        lines(f, &self.lines, |k| !BEFORE_C.contains(&k))?;
        attributes(f, &self.attributes)?;
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl Display for Origin {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            self.username,
            self.session_id,
            self.version,
            self.net_type,
            self.addr_type,
            self.address
        )
    }
}

impl Display for Connection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "c={} {} {}\r\n",
            self.net_type, self.addr_type, self.address
        )
    }
}

impl Display for MediaDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.kind, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.proto)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        f.write_str("\r\n")?;
        lines(f, &self.lines, |k| k == 'i')?;
        if let Some(c) = &self.connection {
            write!(f, "{c}")?;
        }
        lines(f, &self.lines, |k| k != 'i')?;
        attributes(f, &self.attributes)
    }
}

fn lines(f: &mut Formatter<'_>, lines: &[Line], pick: impl Fn(char) -> bool) -> fmt::Result {
    for line in lines.iter().filter(|l| pick(l.kind)) {
        write!(f, "{}={}\r\n", line.kind, line.value)?;
    }
    Ok(())
}

fn attributes(f: &mut Formatter<'_>, attributes: &[Attribute]) -> fmt::Result {
    for (name, value) in attributes {
        match value {
            Some(v) => write!(f, "a={name}:{v}\r\n")?,
            None => write!(f, "a={name}\r\n")?,
        }
    }
    Ok(())
}
