//! A private scratch directory (configurations, sockets, logs, captures), removed on drop.

use std::fs;
use std::io::{ErrorKind, Write};
use std::ops::Deref;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::{owner_is_gone, LabError};

/// `$TMPDIR/NAME`, mode 0700, created exclusively; removed with everything in it by
/// [`WorkDir::remove`] or on drop. Derefs to its path.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Create `$TMPDIR/NAME` (mode 0700). Fails if it exists.
    pub fn create(name: &str) -> Result<WorkDir, LabError> {
        let path = std::env::temp_dir().join(name);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| LabError::io(format!("create {}", path.display()), e))?;
        Ok(WorkDir { path })
    }

    /// Let everyone read and enter it (mode 0755), for processes a test runs as another
    /// user (`nobody`, a routing daemon's own user).
    pub fn share(&self) -> Result<(), LabError> {
        fs::set_permissions(&self.path, fs::Permissions::from_mode(0o755))
            .map_err(|e| LabError::io(format!("chmod {}", self.path.display()), e))
    }

    /// The directory (empty once removed).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write `text` to `NAME` inside it; returns the full path.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf, LabError> {
        let p = self.path.join(name);
        fs::write(&p, text).map_err(|e| LabError::io(format!("write {}", p.display()), e))?;
        Ok(p)
    }

    /// Delete it with everything in it. Idempotent; returns what could not be done.
    pub fn remove(&mut self) -> Vec<String> {
        if self.path.as_os_str().is_empty() {
            return Vec::new();
        }
        match fs::remove_dir_all(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return vec![format!("remove {}: {e}", self.path.display())],
        }
        self.path = PathBuf::new();
        Vec::new()
    }
}

impl Deref for WorkDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for WorkDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        for p in self.remove() {
            // Not eprintln!: it panics when stderr is gone, and this runs during cleanup.
            let _ = writeln!(std::io::stderr(), "vrrp-lab: cleanup: {p}");
        }
    }
}

/// Remove `$TMPDIR/STEM-PID...` directories whose process PID is gone (left by a demo or
/// test killed with SIGKILL). Returns the paths removed.
pub fn sweep_stale_dirs(stem: &str) -> Vec<PathBuf> {
    let tmp = std::env::temp_dir();
    let Ok(dir) = fs::read_dir(&tmp) else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| owner_is_gone(&e.file_name().to_string_lossy(), stem))
        .map(|e| e.path())
        .filter(|p| fs::remove_dir_all(p).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::WorkDir;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn work_dir_is_private_exclusive_and_removed_with_its_files() {
        let name = format!("vrrplab-dirtest-{}", std::process::id());
        let mut dir = WorkDir::create(&name).expect("temp dir");
        let p = dir.path().to_owned();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(WorkDir::create(&name).is_err(), "created twice");
        let f = dir.write("x", "y").unwrap();
        assert_eq!(dir.join("x"), f);
        dir.share().unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        assert!(dir.remove().is_empty());
        assert!(!p.exists());
        assert!(dir.remove().is_empty(), "second remove is a no-op");
    }
}
