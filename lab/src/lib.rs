//! A development lab of Linux network namespaces, for the workspace's tests and for
//! `vrrpd demo`. Not published.
//!
//! - [`Netns`]: a named network namespace made the way `ip netns add` makes it, with a
//!   unique name (`STEM-PID-COUNTER`, [`unique_name`]) when asked, removed on drop; run
//!   closures ([`Netns::run`]), commands ([`Netns::command`], [`in_netns`]) and `ip`
//!   inside it, create veth pairs, bridges and addresses there. [`sweep_stale`] removes
//!   what a killed process left.
//! - [`Cidr`]: an address with prefix length, accepted only from the documentation ranges
//!   192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32.
//! - [`Pair`]: two namespaces joined by one veth pair.
//! - [`Lan`]: two namespaces on a bridge in a third (a switch), a scratch [`WorkDir`] and
//!   the processes started on it, all removed on drop (processes killed first).
//! - [`WorkDir`]: a private scratch directory, removed on drop.
//! - [`DataPlane`]: a namespace's links, addresses, routes of every table and rules,
//!   normalised for comparing two runs, and the [`Diff`] between two.
//! - [`Skip`]: whether this can run here (root, programs), with the skip reason printed.
//! - The `vrrp-lab` binary, for shell scripts: `vrrp-lab pair STEM -- COMMAND` runs
//!   COMMAND with a [`Pair`] described in its environment and removes the pair after.
//!
//! Links and addresses are made with iproute2 (`ip`), which must be installed; namespaces
//! themselves are made directly (unshare + bind mount on `/run/netns/NAME`).

mod addr;
mod error;
mod lan;
mod netns;
mod pair;
mod process;
mod skip;
mod snapshot;
mod workdir;

pub use addr::Cidr;
pub use error::LabError;
pub use lan::{Lan, Wiring};
pub use netns::{has_addr, owner_is_gone, sweep_stale, unique_name, Netns, RUN_DIR};
pub use pair::Pair;
pub use process::{in_netns, ip, run, spawn_in};
pub use skip::{has_program, is_root, Skip};
pub use snapshot::{DataPlane, Diff, Json};
pub use workdir::{sweep_stale_dirs, WorkDir};

/// Upper bound on any wait for the kernel (links coming up): a bound, not a speed claim.
pub const LINK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
