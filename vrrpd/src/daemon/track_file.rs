//! keepalived `track_file`: files holding a number, read at start and again each time they
//! change, through one inotify descriptor in the daemon's poll.
//!
//! As keepalived 2.2.7 does (trackers/track_file.c): the file's *directory* is watched
//! (close after write, delete, rename in or out), so that a file replaced by a rename, created
//! or removed is seen; a missing or unreadable file counts as 0, and so does one without a
//! number; a number out of `i32` range (or beyond `i64`) is logged and ignored (the last value
//! stands). The value is read as C's `strtol(text, NULL, 0)` reads it (leading blanks, a
//! sign, `0x` hex, `0` octal, up to the first other character), from the first 127 bytes.
//! `init_file` writes the initial value at start ([`super::files::write_file`]: no symlink
//! followed), as keepalived does when the config is loaded.
//!
//! Bounded: a turn reads at most [`MAX_READS`] batches of events (each at most a page), then
//! re-reads each file concerned once (every file, if events were left in the queue). The file is opened non-blocking, so a FIFO planted
//! there cannot stall the daemon.

use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use log::{info, warn};
use mio::{Interest, Registry, Token};
use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};

use crate::config::{Config, TrackFile};

/// Event batches read per turn at most (the kernel's queue is bounded too; a later event
/// wakes the poll again).
pub const MAX_READS: usize = 64;

/// Bytes of a file read for its value (keepalived: a 128-byte buffer).
const READ_MAX: u64 = 127;

/// One tracked file.
#[derive(Debug)]
struct Watched {
    name: String,
    path: PathBuf,
    /// The file's name in its directory (what inotify reports).
    file_name: OsString,
    /// The directory's watch (None: the directory is missing, the value stays 0).
    wd: Option<WatchDescriptor>,
    value: i64,
    /// An invalid number was logged and no valid one read since (one line per episode).
    warned: bool,
}

/// The tracked files of the running configuration and their inotify watches.
#[derive(Debug, Default)]
pub struct TrackFiles {
    inotify: Option<Inotify>,
    files: Vec<Watched>,
}

impl TrackFiles {
    /// Watch the `track_file` blocks of `config` that `used` says an instance tracks (the
    /// others are forgotten, as keepalived does), after writing their `init_file` value
    /// where asked (not over an existing file on a reload). Problems are logged and the
    /// file then counts as 0; nothing here stops the daemon.
    pub fn open(config: &Config, used: impl Fn(&str) -> bool, reload: bool) -> TrackFiles {
        let mut t = TrackFiles::default();
        for f in config.track_files.iter().filter(|f| used(&f.name)) {
            init_file(f, reload);
            let (dir, file_name) = match (f.path.parent(), f.path.file_name()) {
                (Some(d), Some(n)) => (d, n.to_owned()),
                _ => (Path::new("/"), OsString::new()),
            };
            let wd = if dir.is_dir() {
                t.watch(dir, &f.name)
            } else {
                warn!(
                    "{}: Track file directory for {} does not exist - removing",
                    f.loc, f.name
                );
                None
            };
            let mut w = Watched {
                name: f.name.clone(),
                path: f.path.clone(),
                file_name,
                wd,
                value: 0,
                warned: false,
            };
            if w.wd.is_some() {
                w.reread();
            }
            t.files.push(w);
        }
        t
    }

    fn watch(&mut self, dir: &Path, name: &str) -> Option<WatchDescriptor> {
        if self.inotify.is_none() {
            match Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC) {
                Ok(i) => self.inotify = Some(i),
                Err(e) => {
                    warn!("Unable to monitor track files: {e}");
                    return None;
                }
            }
        }
        let mask =
            AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVE;
        match self.inotify.as_ref()?.add_watch(dir, mask) {
            Ok(wd) => Some(wd),
            Err(e) => {
                warn!("track_file {name}: cannot watch {}: {e}", dir.display());
                None
            }
        }
    }

    /// Put the inotify descriptor (if any file is watched) in the daemon's poll.
    pub fn register(&self, registry: &Registry, token: Token) -> std::io::Result<()> {
        if let Some(i) = &self.inotify {
            let fd = i.as_fd().as_raw_fd();
            registry.register(&mut mio::unix::SourceFd(&fd), token, Interest::READABLE)?;
        }
        Ok(())
    }

    /// Every watched file as `vrrpd status` and the SIGUSR1 dump show it: its block's
    /// name, path and weight from `config`, and the value last read.
    pub fn status(&self, config: &Config) -> Vec<super::status::TrackFileStatus> {
        self.files
            .iter()
            .filter_map(|w| {
                let f = config.track_files.iter().find(|f| f.name == w.name)?;
                Some(super::status::TrackFileStatus {
                    name: w.name.clone(),
                    path: w.path.display().to_string(),
                    value: w.value,
                    weight: f.weight,
                    reverse: f.reverse,
                })
            })
            .collect()
    }

    /// Every file's current value, by `track_file` name.
    pub fn values(&self) -> Vec<(String, i64)> {
        self.files
            .iter()
            .map(|w| (w.name.clone(), w.value))
            .collect()
    }

    /// The descriptor is readable: read the events (bounded), re-read each file they are
    /// about once, and return those whose value changed.
    pub fn on_ready(&mut self) -> Vec<(String, i64)> {
        let Some(inotify) = &self.inotify else {
            return Vec::new();
        };
        let mut touched = vec![false; self.files.len()];
        let mut drained = false;
        for _ in 0..MAX_READS {
            let events = match inotify.read_events() {
                Ok(e) => e,
                Err(Errno::EAGAIN) => {
                    drained = true;
                    break;
                }
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    warn!("inotify read() returned error {e}");
                    break;
                }
            };
            for ev in events {
                if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                    // Events were lost: look at every file again.
                    touched.iter_mut().for_each(|t| *t = true);
                    continue;
                }
                if ev.mask.contains(AddWatchFlags::IN_ISDIR) {
                    continue;
                }
                for (i, w) in self.files.iter().enumerate() {
                    if w.wd == Some(ev.wd) && ev.name.as_deref() == Some(w.file_name.as_os_str()) {
                        touched[i] = true;
                    }
                }
            }
        }
        if !drained {
            // Events are left in the queue (a flood): they may be about any file, so every
            // file is read again now; a later event wakes the poll again.
            touched.iter_mut().for_each(|t| *t = true);
        }
        let mut changed = Vec::new();
        for (w, _) in self.files.iter_mut().zip(touched).filter(|(_, t)| *t) {
            let before = w.value;
            w.reread();
            if w.value != before {
                changed.push((w.name.clone(), w.value));
            }
        }
        changed
    }
}

impl Watched {
    /// Read the file again: its value, 0 if it is missing, unreadable or empty; an invalid
    /// number is logged (once until a valid one is read) and the last value kept.
    fn reread(&mut self) {
        match read_value(&self.path) {
            Some(v) => {
                self.value = v;
                self.warned = false;
            }
            None if !self.warned => {
                self.warned = true;
                info!(
                    "Invalid number read from {} - ignoring",
                    self.path.display()
                );
            }
            None => {}
        }
    }
}

/// The value of the file at `path`, as keepalived reads it: 0 when it cannot be opened or
/// read or holds no number; None for a number keepalived ignores (out of range).
pub fn read_value(path: &Path) -> Option<i64> {
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
    else {
        return Some(0);
    };
    let mut buf = Vec::with_capacity(READ_MAX as usize);
    if f.take(READ_MAX).read_to_end(&mut buf).is_err() {
        return Some(0);
    }
    let v = strtol(&buf)?;
    (i64::from(i32::MIN)..=i64::from(i32::MAX) + 1)
        .contains(&v)
        .then_some(v)
}

/// C's `strtol(text, NULL, 0)`: None where it would set ERANGE.
pub fn strtol(text: &[u8]) -> Option<i64> {
    let mut s = text;
    while let [c, rest @ ..] = s {
        if c.is_ascii_whitespace() || *c == 0x0b {
            s = rest;
        } else {
            break;
        }
    }
    let negative = s.first() == Some(&b'-');
    if matches!(s.first(), Some(b'-' | b'+')) {
        s = &s[1..];
    }
    let radix = match s {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => {
            s = &s[2..];
            16
        }
        [b'0', ..] => 8,
        _ => 10,
    };
    let mut v: i128 = 0;
    for &c in s {
        let Some(d) = (c as char).to_digit(radix) else {
            break;
        };
        v = v * i128::from(radix) + i128::from(d);
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if negative { -v } else { v };
    i64::try_from(v).ok()
}

/// `init_file`: write the value unless the file exists (without `overwrite`), or exists and
/// is not a regular file, or on a reload.
fn init_file(f: &TrackFile, reload: bool) {
    let Some(init) = f.init else {
        return;
    };
    if let Ok(st) = std::fs::symlink_metadata(&f.path) {
        if !init.overwrite || reload {
            return;
        }
        if !st.file_type().is_file() {
            warn!(
                "{}: Cannot initialise track file {} - it is not a regular file",
                f.loc, f.name
            );
            return;
        }
    }
    let text = format!("{}\n", init.value);
    if let Err(e) = super::files::write_file(&f.path, text.as_bytes(), 0o644) {
        warn!("{}: Unable to initialise track file {}: {e}", f.loc, f.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_reads_as_c_does() {
        assert_eq!(strtol(b"42\n"), Some(42));
        assert_eq!(strtol(b"  -17 trailing"), Some(-17));
        assert_eq!(strtol(b"+5"), Some(5));
        assert_eq!(strtol(b"0x1f"), Some(31));
        assert_eq!(strtol(b"010"), Some(8));
        assert_eq!(strtol(b"09"), Some(0));
        assert_eq!(strtol(b"abc"), Some(0));
        assert_eq!(strtol(b""), Some(0));
        assert_eq!(strtol(b"0x"), Some(0));
        assert_eq!(strtol(b"99999999999999999999"), None);
    }

    #[test]
    fn read_value_missing_is_0_and_out_of_range_is_ignored() {
        let dir = std::env::temp_dir().join(format!("vrrpd-tf-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("v");
        assert_eq!(read_value(&p), Some(0));
        std::fs::write(&p, "-60\n").unwrap();
        assert_eq!(read_value(&p), Some(-60));
        std::fs::write(&p, "2147483648").unwrap();
        assert_eq!(read_value(&p), Some(2147483648));
        std::fs::write(&p, "2147483649").unwrap();
        assert_eq!(read_value(&p), None);
        std::fs::write(&p, "-2147483649").unwrap();
        assert_eq!(read_value(&p), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn watched(dir: &Path) -> TrackFiles {
        let text = format!(
            "track_file a {{\n file {}/a\n}}\ntrack_file b {{\n file {}/b\n init_file 7\n}}\n",
            dir.display(),
            dir.display()
        );
        let built = crate::config::parse(Path::new("t.conf"), &text).unwrap();
        TrackFiles::open(&built.config, |_| true, false)
    }

    #[test]
    fn inotify_sees_a_file_replaced_by_rename_written_and_removed() {
        let dir = std::env::temp_dir().join(format!("vrrpd-tf-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a"), "3\n").unwrap();
        let mut t = watched(&dir);
        // `a` read at start; `b` created by init_file.
        let mut start = t.values();
        start.sort();
        assert_eq!(start, vec![("a".to_string(), 3), ("b".to_string(), 7)]);
        assert_eq!(std::fs::read_to_string(dir.join("b")).unwrap(), "7\n");
        assert_eq!(t.on_ready(), vec![]);

        // Replaced by a rename: the new file's value.
        std::fs::write(dir.join(".a.new"), "-60\n").unwrap();
        std::fs::rename(dir.join(".a.new"), dir.join("a")).unwrap();
        assert_eq!(t.on_ready(), vec![("a".to_string(), -60)]);

        // Written in place (close after write).
        std::fs::write(dir.join("a"), "0x10").unwrap();
        assert_eq!(t.on_ready(), vec![("a".to_string(), 16)]);

        // Removed: 0.
        std::fs::remove_file(dir.join("a")).unwrap();
        assert_eq!(t.on_ready(), vec![("a".to_string(), 0)]);

        // Another file in the directory changes nothing.
        std::fs::write(dir.join("other"), "5").unwrap();
        assert_eq!(t.on_ready(), vec![]);

        // An out-of-range number is ignored: the last value stands.
        std::fs::write(dir.join("b"), "99999999999").unwrap();
        assert_eq!(t.on_ready(), vec![]);
        assert!(t.values().contains(&("b".to_string(), 7)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn init_file_creates_overwrites_only_when_asked_and_never_through_a_symlink() {
        let dir = std::env::temp_dir().join(format!("vrrpd-tf-init-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let text = |overwrite: &str| {
            format!(
                "track_file a {{\n file {d}/a\n init_file 4 {overwrite}\n}}\n\
                 track_file l {{\n file {d}/l\n init_file 4 {overwrite}\n}}\n",
                d = dir.display()
            )
        };
        let open = |overwrite: &str, reload: bool| {
            let b = crate::config::parse(Path::new("t.conf"), &text(overwrite)).unwrap();
            TrackFiles::open(&b.config, |_| true, reload)
        };
        std::fs::write(dir.join("a"), "9\n").unwrap();
        std::fs::write(dir.join("target"), "1\n").unwrap();
        std::os::unix::fs::symlink(dir.join("target"), dir.join("l")).unwrap();
        open("", false);
        assert_eq!(std::fs::read_to_string(dir.join("a")).unwrap(), "9\n");
        open("overwrite", true);
        assert_eq!(
            std::fs::read_to_string(dir.join("a")).unwrap(),
            "9\n",
            "not on reload"
        );
        open("overwrite", false);
        assert_eq!(std::fs::read_to_string(dir.join("a")).unwrap(), "4\n");
        // The symlink is left alone, and what it points to is not written.
        assert!(std::fs::symlink_metadata(dir.join("l"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(dir.join("target")).unwrap(), "1\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
