//! The language reference, generated from the key tables.
