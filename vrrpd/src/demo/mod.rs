//! `vrrpd demo`: election, failover and failback between two daemons in namespaces.

mod error;
pub mod netns;
pub mod topology;

pub use error::DemoError;
