//! `enable_script_security`: a script that runs with root's rights must not be changeable
//! by anyone but root.
//!
//! keepalived's rule (lib/notify.c, `check_script_secure` / `check_security`): a script
//! needs this protection when it runs as uid 0 or gid 0, or is set-uid root or set-gid
//! root. Then every entry on its path must be owned by root, and every directory (unless
//! it has the sticky bit, like `/tmp`) and the file itself must not be writable by others,
//! nor by a group other than root's.
//!
//! keepalived applies the rule to the path once symlinks are resolved (and execs that
//! resolved path). vrrpd applies it to every entry the kernel goes through to reach the
//! file, by [`trace`]: each directory of the path as written, each symlink (which must be
//! root's own), each directory a symlink's target leads through, and so each component of
//! the real path. A symlink in a directory an unprivileged user owns is therefore refused
//! (keepalived accepts it: that user can re-point it, between reloads, at any other
//! root-owned program). The real path found at load is what is run (see
//! [`super::command`]), so what runs is what was checked.

use std::ffi::OsString;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use super::user::RunAs;

/// Most symlinks followed to reach one file (Linux's limit for a path lookup).
const MAX_LINKS: usize = 40;

/// Why a program is not secure: the path at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insecurity {
    /// The file, directory or symlink at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// A path that does not lead to a regular file: the entry at fault and the error.
#[derive(Debug)]
pub struct Untraceable {
    /// The entry that could not be followed.
    pub path: PathBuf,
    /// Why (ENOENT, ENOTDIR, ELOOP, EACCES...).
    pub error: io::Error,
}

/// Where a path leads, and every entry on the way.
#[derive(Debug, Clone)]
pub struct Traced {
    /// The file: absolute, no symlink, no `.` or `..` (what `realpath` gives).
    pub real: PathBuf,
    /// The file's own metadata.
    pub file: Metadata,
    /// Every entry looked at, in order, with its metadata (not following it): `/`, each
    /// directory, each symlink, the file.
    entries: Vec<(PathBuf, Metadata)>,
}

/// Follow `path` as the kernel does (relative to the current directory if not absolute),
/// recording every directory, symlink and file it goes through, up to a regular file.
pub fn trace(path: &Path) -> Result<Traced, Untraceable> {
    let fail = |path: &Path, error: io::Error| Untraceable {
        path: path.to_path_buf(),
        error,
    };
    let errno = |path: &Path, e: i32| fail(path, io::Error::from_raw_os_error(e));
    let path = std::path::absolute(path).map_err(|e| fail(path, e))?;
    let mut entries = Vec::new();
    let mut real = PathBuf::from("/");
    let lstat = |p: &Path| std::fs::symlink_metadata(p).map_err(|e| fail(p, e));
    entries.push((real.clone(), lstat(&real)?));
    // Names still to walk, the next one last.
    let mut todo = names(&path);
    let mut links = 0;
    while let Some(name) = todo.pop() {
        if name == ".." {
            real.pop();
            continue;
        }
        let next = real.join(&name);
        let meta = lstat(&next)?;
        entries.push((next.clone(), meta.clone()));
        if meta.is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return Err(errno(&next, libc::ELOOP));
            }
            let target = std::fs::read_link(&next).map_err(|e| fail(&next, e))?;
            if target.is_absolute() {
                real = PathBuf::from("/");
            }
            todo.extend(names(&target));
            continue;
        }
        if !todo.is_empty() && !meta.is_dir() {
            return Err(errno(&next, libc::ENOTDIR));
        }
        real = next;
    }
    let Some((_, file)) = entries.last().filter(|(p, m)| *p == real && m.is_file()) else {
        let e = if real.is_dir() {
            libc::EISDIR
        } else {
            libc::EACCES
        };
        return Err(errno(&real, e));
    };
    let file = file.clone();
    Ok(Traced {
        real,
        file,
        entries,
    })
}

/// The names of `path`, last first (`.` and `/` dropped, `..` kept).
fn names(path: &Path) -> Vec<OsString> {
    let mut v: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    v.reverse();
    v
}

/// Whether a script run as `run_as` whose file is `file` needs the protection (keepalived's
/// rule): root's uid or gid, or a set-uid-root / set-gid-root executable.
pub fn needs_protection(run_as: &RunAs, file: &Metadata) -> bool {
    let mode = file.mode();
    run_as.uid == 0
        || run_as.gid == 0
        || (file.uid() == 0 && mode & libc::S_IXUSR != 0 && mode & libc::S_ISUID != 0)
        || (file.gid() == 0 && mode & libc::S_IXGRP != 0 && mode & libc::S_ISGID != 0)
}

/// Check every entry of `traced` by the rule above; the first one at fault.
pub fn check(traced: &Traced) -> Result<(), Insecurity> {
    for (path, m) in &traced.entries {
        let at = |reason: String| Insecurity {
            path: path.clone(),
            reason,
        };
        if m.uid() != 0 {
            return Err(at(format!("owned by uid {}, not root", m.uid())));
        }
        // A symlink's own mode means nothing; a sticky directory's entries can only be
        // replaced by their owners.
        let guarded = m.is_file() || (m.is_dir() && m.mode() & libc::S_ISVTX == 0);
        if !guarded {
            continue;
        }
        let mode = m.mode();
        if mode & libc::S_IWOTH != 0 {
            return Err(at(format!("writable by others (mode {:o})", mode & 0o7777)));
        }
        if m.gid() != 0 && mode & libc::S_IWGRP != 0 {
            return Err(at(format!(
                "writable by group {} (mode {:o})",
                m.gid(),
                mode & 0o7777
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_shell_is_secure() {
        // /bin/sh is root's on any sane system; only meaningful if that holds here.
        let t = trace(Path::new("/bin/sh")).unwrap();
        assert!(t.real.is_absolute() && t.file.is_file(), "{t:?}");
        assert_eq!(t.real, std::fs::canonicalize("/bin/sh").unwrap());
        if t.entries.iter().all(|(_, m)| m.uid() == 0) {
            assert_eq!(check(&t), Ok(()));
        }
    }

    #[test]
    fn trace_follows_relative_and_absolute_links_and_dotdot() {
        let dir = std::env::temp_dir().join(format!("vrrpd-trace-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/file"), "x").unwrap();
        std::os::unix::fs::symlink("a/b", dir.join("rel")).unwrap();
        std::os::unix::fs::symlink(dir.join("rel/file"), dir.join("abs")).unwrap();
        std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
        let real = std::fs::canonicalize(dir.join("a/b/file")).unwrap();
        let t = trace(&dir.join("abs")).unwrap();
        assert_eq!(t.real, real);
        // Both links and the directories behind them were looked at.
        let seen: Vec<_> = t.entries.iter().map(|(p, _)| p.clone()).collect();
        for p in ["abs", "rel", "a", "a/b"] {
            let p = std::fs::canonicalize(&dir).unwrap().join(p);
            assert!(seen.contains(&p), "{} not in {seen:?}", p.display());
        }
        let t = trace(&dir.join("a/b/../../rel/./file")).unwrap();
        assert_eq!(t.real, real);
        let e = trace(&dir.join("loop")).unwrap_err();
        assert_eq!(e.error.raw_os_error(), Some(libc::ELOOP));
        let e = trace(&dir.join("a/b/file/x")).unwrap_err();
        assert_eq!(e.error.raw_os_error(), Some(libc::ENOTDIR));
        let e = trace(&dir.join("a")).unwrap_err();
        assert_eq!(e.error.raw_os_error(), Some(libc::EISDIR));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_program_is_reported() {
        let e = trace(Path::new("/no/such/vrrpd-script")).unwrap_err();
        assert_eq!(e.path, PathBuf::from("/no"));
        assert_eq!(e.error.raw_os_error(), Some(libc::ENOENT));
    }
}
