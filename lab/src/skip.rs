//! Whether a lab can run here; when not, the reason is printed and the caller skips.

use std::io::Write;
use std::process::Command;

/// Whether this process runs as root (needed for namespaces and raw sockets).
pub fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// Whether `name` is a program on `PATH`.
pub fn has_program(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v '{name}'")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A test's check of what it needs, printing `SKIP TEST: REASON` on stderr when something
/// is missing (written to the stderr handle, so the test harness does not capture it).
#[derive(Debug)]
pub struct Skip<'a> {
    test: &'a str,
    ok: bool,
}

impl<'a> Skip<'a> {
    /// Start checking for test `test`.
    pub fn check(test: &'a str) -> Skip<'a> {
        Skip { test, ok: true }
    }

    /// Require root; `why` says what for (e.g. "network namespaces").
    pub fn root(self, why: &str) -> Skip<'a> {
        self.require(is_root(), &format!("needs root ({why})"))
    }

    /// Require program `name` on `PATH`.
    pub fn program(self, name: &str) -> Skip<'a> {
        self.require(has_program(name), &format!("{name} is not installed"))
    }

    /// Require `cond`, else skip with `reason`.
    pub fn require(mut self, cond: bool, reason: &str) -> Skip<'a> {
        if self.ok && !cond {
            let _ = writeln!(std::io::stderr(), "SKIP {}: {reason}", self.test);
            self.ok = false;
        }
        self
    }

    /// Whether everything required is there (false: the reason was printed).
    pub fn ok(&self) -> bool {
        self.ok
    }
}

#[cfg(test)]
mod tests {
    use super::{has_program, Skip};

    #[test]
    fn missing_program_skips_and_first_reason_wins() {
        assert!(has_program("sh"));
        assert!(!has_program("no-such-program-vrrp-lab"));
        assert!(Skip::check("t").program("sh").ok());
        let s = Skip::check("t")
            .program("no-such-program-vrrp-lab")
            .require(true, "x");
        assert!(!s.ok());
        assert!(!Skip::check("t").require(false, "because").ok());
    }
}
