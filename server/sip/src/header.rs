//! Header fields as they travel: a canonical name and the raw value text. Typed views (Via,
//! CSeq, name-addr, ...) are parsed from the value on demand, so a proxy path that only reads
//! a few headers never pays for the others.

pub use crate::header_name::HeaderName;
use crate::scan::split_list;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: HeaderName,
    /// The value as received, unfolded (each line fold became one space) and trimmed.
    pub value: String,
}

/// Header fields in wire order. Multi-value headers may appear as several fields or as one
/// comma-separated field; both forms are kept as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    /// The value of the first field with this name (not split at commas).
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.0
            .iter()
            .find(|h| &h.name == name)
            .map(|h| h.value.as_str())
    }

    /// Every value of this header in order: fields in wire order, and for list headers
    /// (`HeaderName::is_list`) each field split at top-level commas (not inside quotes or
    /// `<...>`).
    pub fn get_all<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a str> + use<'a> {
        let name = name.clone();
        let split = name.is_list();
        self.0
            .iter()
            .filter(move |h| h.name == name)
            .flat_map(move |h| {
                let whole = if split { None } else { Some(h.value.as_str()) };
                let parts = if split {
                    Some(split_list(&h.value))
                } else {
                    None
                };
                whole.into_iter().chain(parts.into_iter().flatten())
            })
    }

    /// The raw field values with this name, one per field line, never split.
    pub fn fields<'a>(&'a self, name: &HeaderName) -> impl Iterator<Item = &'a str> + use<'a> {
        let name = name.clone();
        self.0
            .iter()
            .filter(move |h| h.name == name)
            .map(|h| h.value.as_str())
    }

    /// How many field lines carry this name.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.0.iter().filter(|h| &h.name == name).count()
    }

    pub fn contains(&self, name: &HeaderName) -> bool {
        self.0.iter().any(|h| &h.name == name)
    }

    /// Append a field at the end.
    pub fn push(&mut self, name: HeaderName, value: impl Into<String>) {
        self.0.push(Header {
            name,
            value: value.into(),
        });
    }

    /// Insert a field before all others (a proxy's new top Via, a Record-Route).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<String>) {
        self.0.insert(
            0,
            Header {
                name,
                value: value.into(),
            },
        );
    }

    /// Replace every field with this name by one field, at the position of the first one
    /// (or at the end when there was none).
    pub fn set(&mut self, name: HeaderName, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter().position(|h| h.name == name) {
            Some(i) => {
                if let Some(h) = self.0.get_mut(i) {
                    h.value = value;
                }
                let mut idx = 0;
                self.0.retain(|h| {
                    let keep = idx <= i || h.name != name;
                    idx += 1;
                    keep
                });
            }
            None => self.push(name, value),
        }
    }

    /// Remove every field with this name; returns how many were removed.
    pub fn remove(&mut self, name: &HeaderName) -> usize {
        let before = self.0.len();
        self.0.retain(|h| &h.name != name);
        before - self.0.len()
    }

    /// Remove the first value of a list header (the top Via when a response goes back
    /// upstream), whether it was a field of its own or the first of a comma list.
    pub fn remove_first_value(&mut self, name: &HeaderName) -> Option<String> {
        let i = self.0.iter().position(|h| &h.name == name)?;
        let field = self.0.get_mut(i)?;
        let mut parts = split_list(&field.value);
        let first = parts.next().map(str::to_owned);
        let rest: Vec<&str> = parts.collect();
        if rest.is_empty() {
            self.0.remove(i);
        } else {
            field.value = rest.join(", ");
        }
        first
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_all_splits_list_headers_only() {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b");
        h.push(HeaderName::Via, "SIP/2.0/TCP c");
        h.push(HeaderName::Authorization, "Digest a=\"b\", c=d");
        let v: Vec<_> = h.get_all(&HeaderName::Via).collect();
        assert_eq!(
            v,
            ["SIP/2.0/UDP a;branch=1", "SIP/2.0/UDP b", "SIP/2.0/TCP c"]
        );
        assert_eq!(h.get_all(&HeaderName::Authorization).count(), 1);
        assert_eq!(
            h.remove_first_value(&HeaderName::Via).as_deref(),
            Some("SIP/2.0/UDP a;branch=1")
        );
        assert_eq!(h.get(&HeaderName::Via), Some("SIP/2.0/UDP b"));
    }

    #[test]
    fn set_replaces_all_in_place() {
        let mut h = Headers::new();
        h.push(HeaderName::To, "a");
        h.push(HeaderName::Contact, "x");
        h.push(HeaderName::Contact, "y");
        h.push(HeaderName::From, "b");
        h.set(HeaderName::Contact, "z");
        let names: Vec<_> = h.iter().map(|h| h.value.as_str()).collect();
        assert_eq!(names, ["a", "z", "b"]);
        assert_eq!(h.remove(&HeaderName::Contact), 1);
        h.set(HeaderName::Expires, "5");
        assert_eq!(h.get(&HeaderName::Expires), Some("5"));
    }
}
