//! Resource addresses: stable, printable names such as `node.master-1`,
//! `k3s.main/server/master-1` or `app.api/Deployment`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The address of one concrete resource. The part before the first `/` is the
/// address of the component that declared it (`app.api`), the rest names the
/// resource inside that component.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Address(String);

impl Address {
    /// Wraps an address string.
    pub fn new(s: impl Into<String>) -> Self {
        Address(s.into())
    }

    /// The address as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The component part: `app.api` for `app.api/Deployment`.
    pub fn component(&self) -> &str {
        self.0.split('/').next().unwrap_or(&self.0)
    }

    /// True when `pattern` selects this address: equal to it, or naming its
    /// component (`app.api` selects `app.api/Deployment`).
    pub fn matches(&self, pattern: &str) -> bool {
        self.0 == pattern
            || self
                .0
                .strip_prefix(pattern)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Address {
    fn from(s: &str) -> Self {
        Address(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_and_matching() {
        let a = Address::new("app.api/ConfigMap/dashboard");
        assert_eq!(a.component(), "app.api");
        assert!(a.matches("app.api"));
        assert!(a.matches("app.api/ConfigMap/dashboard"));
        assert!(!a.matches("app.ap"));
        assert!(!Address::new("node.m-1").matches("node.m"));
    }
}
