//! `vrrp-lab`: the lab for shell scripts. It builds a lab, runs a command with the lab's
//! names in its environment, and removes the lab when the command ends, whatever happens
//! to the command (a failure, Ctrl-C).
//!
//! ```text
//! vrrp-lab pair STEM -- COMMAND [ARG...]
//! ```
//!
//! `pair`: a [`vrrp_lab::Pair`] with namespaces `STEM-PID-N`; the command sees
//! `VRRP_LAB_NS_A`, `VRRP_LAB_NS_B` (namespace names), `VRRP_LAB_IF_A`, `VRRP_LAB_IF_B`
//! (interfaces), `VRRP_LAB_A4`, `VRRP_LAB_A6`, `VRRP_LAB_B4`, `VRRP_LAB_B6` (addresses,
//! without prefix length: /24 and /64). Exit status: the command's (1 if it was killed by
//! a signal), 2 for a usage error or a lab that could not be built.

use std::process::{Command, ExitCode};

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use vrrp_lab::{Pair, Skip};

const USAGE: &str = "usage: vrrp-lab pair STEM -- COMMAND [ARG...]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (stem, command) = match args.as_slice() {
        [kind, stem, sep, command @ ..] if kind == "pair" && sep == "--" && !command.is_empty() => {
            (stem, command)
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if !Skip::check("vrrp-lab").root("network namespaces").ok() {
        return ExitCode::from(2);
    }
    let pair = match Pair::new(stem) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vrrp-lab: {e}");
            return ExitCode::from(2);
        }
    };
    // Ctrl-C, a hangup or SIGTERM must not end this process before the command: the lab
    // is removed after the command exits. A handler (not SIG_IGN) so that the command,
    // which execs, gets the default disposition back.
    catch_stop_signals();
    let status = Command::new(&command[0])
        .args(&command[1..])
        .env("VRRP_LAB_NS_A", pair.a.name())
        .env("VRRP_LAB_NS_B", pair.b.name())
        .env("VRRP_LAB_IF_A", Pair::A_IF)
        .env("VRRP_LAB_IF_B", Pair::B_IF)
        .env("VRRP_LAB_A4", Pair::A_V4)
        .env("VRRP_LAB_A6", Pair::A_V6)
        .env("VRRP_LAB_B4", Pair::B_V4)
        .env("VRRP_LAB_B6", Pair::B_V6)
        .status();
    drop(pair);
    match status {
        Ok(s) => ExitCode::from(s.code().map_or(1, |c| c.clamp(0, 255) as u8)),
        Err(e) => {
            eprintln!("vrrp-lab: start {}: {e}", command[0]);
            ExitCode::from(2)
        }
    }
}

extern "C" fn note_signal(_: nix::libc::c_int) {}

fn catch_stop_signals() {
    let action = SigAction::new(
        SigHandler::Handler(note_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler does nothing (async-signal-safe); it replaces the default
        // action only so that this process outlives the command and removes the lab.
        let _ = unsafe { sigaction(sig, &action) };
    }
}
