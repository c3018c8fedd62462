//! `enable_script_security`: as keepalived, a script that runs as root must not be
//! changeable by anyone else. The program (found through `PATH`, symlinks resolved) and
//! every directory above it must be owned by root and not writable by group or others;
//! a directory with the sticky bit (like `/tmp`) may be group/other-writable.

use super::command::resolve_program;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Why a program is not secure: the path at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insecurity {
    /// The file or directory at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// Check `program` (argv\[0\] of a script) by the rule above.
pub fn check_program(program: &str) -> Result<(), Insecurity> {
    let at = |path: &Path, reason: String| Insecurity {
        path: path.to_path_buf(),
        reason,
    };
    let found = resolve_program(program).map_err(|e| at(Path::new(program), e.to_string()))?;
    let real = std::fs::canonicalize(&found).map_err(|e| at(&found, e.to_string()))?;
    // From the file up to `/`.
    for (i, p) in real.ancestors().enumerate() {
        let m = std::fs::symlink_metadata(p).map_err(|e| at(p, e.to_string()))?;
        if i == 0 && !m.is_file() {
            return Err(at(p, "not a regular file".into()));
        }
        if m.uid() != 0 {
            return Err(at(p, format!("owned by uid {}, not root", m.uid())));
        }
        let sticky_dir = m.is_dir() && m.mode() & libc::S_ISVTX != 0;
        if !sticky_dir && m.mode() & 0o022 != 0 {
            return Err(at(
                p,
                format!("writable by group or others (mode {:o})", m.mode() & 0o7777),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_shell_is_secure() {
        // /bin/sh is root-owned on any sane system; only meaningful if that holds here.
        let m = std::fs::metadata("/bin/sh").unwrap();
        if m.uid() == 0 {
            assert_eq!(check_program("/bin/sh"), Ok(()));
        }
    }

    #[test]
    fn missing_program_is_reported() {
        let e = check_program("/no/such/vrrpd-script").unwrap_err();
        assert_eq!(e.path, PathBuf::from("/no/such/vrrpd-script"));
    }
}
