//! Reading configuration files within bounds: only regular files, each at most
//! [`MAX_FILE_SIZE`] bytes, at most [`MAX_FILES`] files per load (`include` globs fan out).
//!
//! A FIFO, a device (`/dev/zero`) or a directory named as a configuration file or matched by
//! an `include` is refused before it is opened for reading, so it can neither block the
//! load nor feed it without end. keepalived also reads regular files only (it skips the
//! others with an error); its size and file count are unbounded.

use super::error::{ConfigError, ErrorKind};
use super::source::Loc;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Largest configuration file read, in bytes (64 MiB: 10 000 instances with VIPs,
/// authentication, tracking and notify hooks take 4.4 MiB, see tests/bad_config.rs).
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// Most files one load reads, the main file and every included one (a 10 000-instance
/// configuration kept one instance per file needs 10 001).
pub const MAX_FILES: usize = 50_000;

/// Reads the files of one load, counting them.
#[derive(Debug, Default)]
pub struct Reader {
    files: usize,
}

impl Reader {
    /// The text of `path`; errors are placed at `from` (the `include` naming it, or line 0
    /// of the main file).
    pub fn read(&mut self, path: &Path, from: &Loc) -> Result<String, ConfigError> {
        if self.files >= MAX_FILES {
            return Err(ConfigError::new(
                from.clone(),
                ErrorKind::TooManyFiles(MAX_FILES),
            ));
        }
        self.files += 1;
        read_bounded(path).map_err(|e| {
            ConfigError::new(
                from.clone(),
                ErrorKind::Io(format!("{}: {e}", path.display())),
            )
        })
    }
}

/// The whole of `path` if it is a regular file of at most [`MAX_FILE_SIZE`] bytes.
fn read_bounded(path: &Path) -> Result<String, String> {
    // Looked at before it is opened: opening a FIFO waits for a writer, opening a device
    // may do something.
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    check(&meta)?;
    // O_NONBLOCK: should a FIFO have been put in its place since, the open does not wait.
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| e.to_string())?;
    check(&file.metadata().map_err(|e| e.to_string())?)?;
    let mut text = String::new();
    // One byte more than allowed, to tell a file that grew past the limit.
    file.take(MAX_FILE_SIZE + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(text)
}

fn check(meta: &std::fs::Metadata) -> Result<(), String> {
    if !meta.is_file() {
        return Err("not a regular file (a directory, FIFO, socket or device)".into());
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> String {
    format!("larger than {} MiB", MAX_FILE_SIZE >> 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn here() -> Loc {
        Loc::new(&Arc::new(PathBuf::from("main.conf")), 3)
    }

    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        let mut r = Reader::default();
        for p in ["/dev/zero", "/dev/null", "/"] {
            let e = r.read(Path::new(p), &here()).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("main.conf:3: cannot read: {p}: not a regular file (a directory, FIFO, socket or device)")
            );
        }
    }

    #[test]
    fn the_file_count_is_bounded() {
        let mut r = Reader {
            files: MAX_FILES - 1,
        };
        // The last allowed read fails for its own reason, but counts.
        assert!(r.read(Path::new("/no/such/file"), &here()).is_err());
        let e = r.read(Path::new("/no/such/file"), &here()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooManyFiles(MAX_FILES));
    }
}
