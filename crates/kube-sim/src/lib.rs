//! `kube-sim`: an honest Kubernetes API emulator for testing Strata without a real cluster.
//!
//! It serves discovery (legacy and aggregated), OpenAPI v3, CRUD with selectors and watches,
//! server-side apply with managedFields and conflicts, CRDs, namespaces and finalizers, over
//! HTTPS with bearer-token auth, plus controllers for workload status and HelmCharts, and
//! fault injection. [`SimServer`] runs one in-process for tests.

#![warn(missing_docs)]

pub mod api;
pub mod apply;
pub mod builtin_openapi;
pub mod builtin_schema;
mod builtins;
pub mod cel_rules;
pub mod config;
pub mod controllers;
pub mod convert;
pub mod crd;
pub mod crd_checks;
pub mod crd_schema;
pub mod defaults;
pub mod discovery;
pub mod fieldset;
pub mod kubeconfig;
pub mod managed;
pub mod manifests;
pub mod meta;
pub mod openapi;
pub mod patch;
pub mod patching;
pub mod printers;
pub mod protobuf;
pub mod quantity;
pub mod read;
pub mod resources;
pub mod review;
pub mod schema;
pub mod seed;
pub mod selectors;
pub mod server;
pub mod sim;
pub mod status;
pub mod store;
pub mod structural;
pub mod tls;
pub mod token;
pub mod validate;
pub mod validation;
pub mod watch;
pub mod web;
pub mod write;

mod handle;
pub mod traffic;
pub mod typecheck;

pub use config::{FaultConfig, SimConfig};
pub use handle::SimServer;
