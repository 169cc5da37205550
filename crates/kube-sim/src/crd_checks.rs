//! The checks of a CRD's schemas beyond structurality.
