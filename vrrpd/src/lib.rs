//! vrrpd: a drop-in for keepalived's VRRP, built on vrrp-proto, vrrp-fsm and vrrp-net.
//!
//! This library part holds what the daemon binary is made of, so that it can be tested
//! piece by piece: the keepalived.conf reader, [`config`], and the notify/check script engine,
//! [`scripts`]; [`cli`] is the command line, shared with the man pages and completions.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod lint;
pub mod scripts;
