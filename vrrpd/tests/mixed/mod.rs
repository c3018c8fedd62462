//! Helpers for `mixed_pairs.rs`: modes and roles, the VIP sampler, the wire check.

pub mod mode;
pub mod sampler;
pub mod wire;
