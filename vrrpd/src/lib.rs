//! vrrpd: a drop-in for keepalived's VRRP, built on vrrp-proto, vrrp-fsm and vrrp-net.
//!
//! This library part holds what the daemon binary is made of, so that it can be tested
//! piece by piece: for now the keepalived.conf reader, [`config`].

pub mod config;
pub mod demo;
