//! The names a report's events carry, made cheap to copy: a run of a large book records hundreds of
//! thousands of events, and six freshly allocated strings in each cost more than the liquidation
//! arithmetic itself (allocation when recorded, and freeing when the run is dropped).
//!
//! - [`Name`]: a protocol's, a keeper's, an asset's or a venue's name, shared (an `Arc<str>`):
//!   copying one into an event is a reference count, not an allocation.
//! - [`AccountName`]: an account as an event names it: its index (written as decimal digits when a
//!   report is written, never allocated before) or its label from a positions file.
//!
//! Both read like the strings they stand for: they compare equal to `&str`, print with `Display`
//! and serialise as JSON strings.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// A shared, immutable name (see the module doc).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    pub fn new(name: &str) -> Self {
        Name(Arc::from(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(name: &str) -> Self {
        Name::new(name)
    }
}

impl From<String> for Name {
    fn from(name: String) -> Self {
        Name(Arc::from(name))
    }
}

impl From<&String> for Name {
    fn from(name: &String) -> Self {
        Name::new(name)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

/// An account as an event names it (see the module doc). Compares equal to the string it is
/// written as; two names are equal when they are written the same.
#[derive(Clone)]
pub enum AccountName {
    /// The account's index in its protocol (or vault, or writer, position...), written in decimal.
    Index(u32),
    /// A label (from a positions file), or a name such as `reserves`.
    Label(Name),
}

impl AccountName {
    /// Calls `f` with the name as a string, without allocating.
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            AccountName::Index(index) => {
                let mut digits = [0u8; 10];
                let mut at = digits.len();
                let mut rest = *index;
                loop {
                    at -= 1;
                    digits[at] = b'0' + (rest % 10) as u8;
                    rest /= 10;
                    if rest == 0 {
                        break;
                    }
                }
                // Decimal digits are ASCII.
                f(std::str::from_utf8(&digits[at..]).unwrap_or_default())
            }
            AccountName::Label(label) => f(label),
        }
    }
}

impl From<&str> for AccountName {
    fn from(label: &str) -> Self {
        AccountName::Label(Name::new(label))
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|name| f.write_str(name))
    }
}

impl fmt::Debug for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|name| fmt::Debug::fmt(name, f))
    }
}

impl Serialize for AccountName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_str(|name| serializer.serialize_str(name))
    }
}

impl PartialEq for AccountName {
    fn eq(&self, other: &AccountName) -> bool {
        match (self, other) {
            (AccountName::Index(a), AccountName::Index(b)) => a == b,
            _ => self.with_str(|a| other.with_str(|b| a == b)),
        }
    }
}

impl Eq for AccountName {}

impl PartialEq<str> for AccountName {
    fn eq(&self, other: &str) -> bool {
        self.with_str(|name| name == other)
    }
}

impl PartialEq<&str> for AccountName {
    fn eq(&self, other: &&str) -> bool {
        self.with_str(|name| name == *other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-written expectations: an index is written as its decimal digits (no sign, no padding),
    /// and the JSON of both kinds is a string.
    #[test]
    fn test_account_names_are_written_as_their_strings() {
        for (index, written) in [
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (1_000_000, "1000000"),
            (u32::MAX, "4294967295"),
        ] {
            let name = AccountName::Index(index);
            assert_eq!(name.to_string(), written);
            assert_eq!(name, written);
            assert_eq!(
                serde_json::to_string(&name).unwrap(),
                format!("\"{written}\"")
            );
        }
        let label = AccountName::from("0xabc");
        assert_eq!(label.to_string(), "0xabc");
        assert_eq!(format!("{label:?}"), "\"0xabc\"");
        // Equal when written the same, whichever the kind.
        assert_eq!(AccountName::Index(12), AccountName::from("12"));
        assert_ne!(AccountName::Index(12), AccountName::Index(13));
    }

    #[test]
    fn test_names_read_like_strings() {
        let name = Name::new("aave-v3");
        let copy = name.clone();
        assert!(Arc::ptr_eq(&name.0, &copy.0), "a copy shares the string");
        assert_eq!(copy, "aave-v3");
        assert_eq!("aave-v3", copy);
        assert_eq!(copy, String::from("aave-v3"));
        assert_eq!(copy.len(), 7);
        assert_eq!(format!("{copy} {copy:?}"), "aave-v3 \"aave-v3\"");
        assert_eq!(serde_json::to_string(&copy).unwrap(), "\"aave-v3\"");
    }
}
