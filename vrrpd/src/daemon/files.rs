//! Files the daemon writes as root — the SIGUSR1 dump and the pid files — and the directories
//! they live in. Every writer goes through here, so that all follow the same rules
//! (keepalived's CVE-2018-19044/19046 were a dump written through a planted symlink):
//!
//! - The file's directory is opened once, without following a symlink, and every later step
//!   is relative to that handle. When we are root it must be root's and writable by no one
//!   else, unless it is sticky like /tmp (there no one else can rename or remove root's
//!   files); [`RUNTIME_DIR`] may not be writable by others even then. A missing directory is
//!   created 0755.
//! - A target that exists and is not a regular file (symlink, FIFO, directory, socket,
//!   device) is refused with an error naming the path and what is there. It is never opened,
//!   so a FIFO cannot block the caller.
//! - Content goes to a new file with an unpredictable name in the same directory, created
//!   O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC with a private mode, written, fsynced, then renamed
//!   over the target: readers see the old file or the whole new one, and no symlink is
//!   followed.
//!
//! [`PidFile`] adds the lock that makes one daemon per pid file.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, renameat, AtFlags, Flock, FlockArg, OFlag, AT_FDCWD};
use nix::sys::stat::{fchmod, fstat, fstatat, FileStat, Mode, SFlag};
use nix::unistd::{unlinkat, Uid, UnlinkatFlags};

/// The runtime directory: default home of the pid file, the dump and the control socket.
pub const RUNTIME_DIR: &str = "/run/vrrpd";

/// Default pid file, written when neither `-p` nor `-r` is given.
pub const DEFAULT_PID_FILE: &str = "/run/vrrpd/vrrpd.pid";

/// Default SIGUSR1 dump (keepalived: /tmp/keepalived.data).
pub const DEFAULT_DUMP_FILE: &str = "/run/vrrpd/keepalived.data";

/// Write `contents` to `path` by the rules above; the file ends with mode `mode`.
pub fn write_file(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let (dir, name) = Dir::of(path)?;
    dir.refuse_non_regular(name)?;
    let mut tmp = dir.temp(name, mode)?;
    tmp.file.write_all(contents).map_err(|e| tmp.err(e))?;
    tmp.file.sync_all().map_err(|e| tmp.err(e))?;
    tmp.rename_over(name)?;
    Ok(())
}

/// What kind of file `st` describes, for error messages.
pub fn kind(st: &FileStat) -> &'static str {
    match SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT {
        SFlag::S_IFREG => "a regular file",
        SFlag::S_IFLNK => "a symbolic link",
        SFlag::S_IFIFO => "a FIFO",
        SFlag::S_IFDIR => "a directory",
        SFlag::S_IFSOCK => "a socket",
        SFlag::S_IFCHR => "a character device",
        SFlag::S_IFBLK => "a block device",
        _ => "not a regular file",
    }
}

/// Whether `st` is of file type `t`.
pub fn is(st: &FileStat, t: SFlag) -> bool {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == t
}

fn is_root() -> bool {
    Uid::effective().is_root()
}

/// An error about `path`, saying what was attempted.
fn err_at(path: &Path, what: &str, e: impl Into<io::Error>) -> io::Error {
    let e: io::Error = e.into();
    io::Error::new(e.kind(), format!("{}: {what}: {e}", path.display()))
}

/// A refusal about `path`.
fn refusal(path: &Path, why: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: {why}", path.display()),
    )
}

/// A directory opened without following a symlink, checked as the module doc says.
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// The directory of `path` (created if missing) and `path`'s last component.
    pub fn of(path: &Path) -> io::Result<(Dir, &OsStr)> {
        let name = path
            .file_name()
            .ok_or_else(|| refusal(path, "not a file name".into()))?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Ok((Dir::open(parent)?, name))
    }

    /// Open `path` (creating it 0755 if missing) and check it.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let (fd, created) = match openat(AT_FDCWD, path, flags, Mode::empty()) {
            Ok(fd) => (fd, false),
            Err(Errno::ENOENT) => {
                use std::os::unix::fs::DirBuilderExt;
                // Missing parents are made as create_dir_all would; the last one is ours.
                if let Some(parent) = path.parent().filter(|p| !p.exists()) {
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(0o755)
                        .create(parent)
                        .map_err(|e| err_at(parent, "creating directory", e))?;
                }
                let created = match std::fs::DirBuilder::new().mode(0o755).create(path) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(err_at(path, "creating directory", e)),
                };
                let fd = openat(AT_FDCWD, path, flags, Mode::empty())
                    .map_err(|e| Dir::open_error(path, e))?;
                (fd, created)
            }
            Err(e) => return Err(Dir::open_error(path, e)),
        };
        if created {
            // 0755 whatever the umask: clients need to reach the control socket in it.
            fchmod(&fd, Mode::from_bits_truncate(0o755))
                .map_err(|e| err_at(path, "setting mode", e))?;
        }
        let st = fstat(&fd).map_err(|e| err_at(path, "fstat", e))?;
        Dir::check(path, &st)?;
        Ok(Dir {
            fd,
            path: path.to_owned(),
        })
    }

    fn open_error(path: &Path, e: Errno) -> io::Error {
        match e {
            Errno::ELOOP => refusal(path, "is a symbolic link; refusing to use it".into()),
            Errno::ENOTDIR => match fstatat(AT_FDCWD, path, AtFlags::AT_SYMLINK_NOFOLLOW) {
                Ok(st) if is(&st, SFlag::S_IFLNK) => {
                    refusal(path, "is a symbolic link; refusing to use it".into())
                }
                Ok(st) => refusal(path, format!("is {}, not a directory", kind(&st))),
                Err(_) => err_at(path, "opening directory", e),
            },
            e => err_at(path, "opening directory", e),
        }
    }

    /// When we are root: owned by root, and not writable by others unless sticky (never
    /// for [`RUNTIME_DIR`]).
    fn check(path: &Path, st: &FileStat) -> io::Result<()> {
        if !is_root() {
            return Ok(());
        }
        if st.st_uid != 0 {
            return Err(refusal(
                path,
                format!(
                    "directory owned by uid {}, not root; refusing to write in it",
                    st.st_uid
                ),
            ));
        }
        let others_write = st.st_mode & 0o022 != 0;
        let sticky = st.st_mode & 0o1000 != 0;
        if others_write && (!sticky || path == Path::new(RUNTIME_DIR)) {
            return Err(refusal(
                path,
                format!(
                    "directory is writable by group or others (mode {:o}); refusing to write in it",
                    st.st_mode & 0o7777
                ),
            ));
        }
        Ok(())
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Full path of `name` in this directory, for messages.
    pub fn join(&self, name: &OsStr) -> PathBuf {
        self.path.join(name)
    }

    /// lstat of `name`: `None` if there is nothing there.
    pub fn lstat(&self, name: &OsStr) -> io::Result<Option<FileStat>> {
        match fstatat(&self.fd, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(st)),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(err_at(&self.join(name), "lstat", e)),
        }
    }

    /// Refuse `name` if it exists and is not a regular file.
    pub fn refuse_non_regular(&self, name: &OsStr) -> io::Result<()> {
        match self.lstat(name)? {
            Some(st) if !is(&st, SFlag::S_IFREG) => Err(refusal(
                &self.join(name),
                format!("is {}; refusing to write through it", kind(&st)),
            )),
            _ => Ok(()),
        }
    }

    /// A notify FIFO, as keepalived opens one: `name` is created (mkfifo, mode `mode`
    /// whatever the umask, owned by `owner` (uid, gid) when given) if missing, and opened
    /// O_RDWR|O_NONBLOCK|O_NOFOLLOW — read-write, so that writes never fail for want of a
    /// reader and a reader may come and go. A symlink, or anything there that is not a
    /// FIFO (checked before opening, so that no device is ever opened, and again on the
    /// descriptor), is refused. The answer says whether we created it.
    pub fn open_fifo(
        &self,
        name: &OsStr,
        mode: u32,
        owner: Option<(u32, u32)>,
    ) -> io::Result<(File, bool)> {
        let path = self.join(name);
        let created = match nix::unistd::mkfifoat(&self.fd, name, Mode::from_bits_truncate(mode)) {
            Ok(()) => true,
            Err(Errno::EEXIST) => false,
            Err(e) => return Err(err_at(&path, "creating FIFO", e)),
        };
        let refuse_other = |st: &FileStat| {
            if is(st, SFlag::S_IFIFO) {
                Ok(())
            } else {
                Err(refusal(
                    &path,
                    format!("is {}, not a FIFO; refusing to write to it", kind(st)),
                ))
            }
        };
        if let Some(st) = self.lstat(name)? {
            refuse_other(&st)?;
        }
        let flags = OFlag::O_RDWR
            | OFlag::O_NONBLOCK
            | OFlag::O_NOFOLLOW
            | OFlag::O_CLOEXEC
            | OFlag::O_NOCTTY;
        let fd = openat(&self.fd, name, flags, Mode::empty()).map_err(|e| match e {
            Errno::ELOOP => refusal(&path, "is a symbolic link; refusing to use it".into()),
            e => err_at(&path, "opening FIFO", e),
        })?;
        refuse_other(&fstat(&fd).map_err(|e| err_at(&path, "fstat", e))?)?;
        if created {
            fchmod(&fd, Mode::from_bits_truncate(mode))
                .map_err(|e| err_at(&path, "setting mode", e))?;
            if let Some((uid, gid)) = owner {
                nix::unistd::fchown(
                    &fd,
                    Some(nix::unistd::Uid::from_raw(uid)),
                    Some(nix::unistd::Gid::from_raw(gid)),
                )
                .map_err(|e| err_at(&path, "setting owner", e))?;
            }
        }
        Ok((File::from(fd), created))
    }

    /// Remove `name`.
    pub fn unlink(&self, name: &OsStr) -> io::Result<()> {
        unlinkat(&self.fd, name, UnlinkatFlags::NoRemoveDir)
            .map_err(|e| err_at(&self.join(name), "remove", e))
    }

    /// Remove `name` if it is still the file `id` (device, inode); the answer is whether it
    /// was removed.
    pub fn unlink_if(&self, name: &OsStr, id: (u64, u64)) -> bool {
        match self.lstat(name) {
            Ok(Some(st)) if file_id(&st) == id => self.unlink(name).is_ok(),
            _ => false,
        }
    }

    /// A new private file (mode `mode`) with an unpredictable name next to `target`.
    fn temp(&self, target: &OsStr, mode: u32) -> io::Result<Temp<'_>> {
        let flags = OFlag::O_WRONLY
            | OFlag::O_CREAT
            | OFlag::O_EXCL
            | OFlag::O_NOFOLLOW
            | OFlag::O_CLOEXEC
            | OFlag::O_NONBLOCK;
        let mut last = None;
        for _ in 0..16 {
            let mut name = OsString::from(".");
            name.push(target);
            name.push(format!(".{:016x}", unpredictable()));
            match openat(
                &self.fd,
                name.as_os_str(),
                flags,
                Mode::from_bits_truncate(0o600),
            ) {
                Ok(fd) => {
                    let tmp = Temp {
                        dir: self,
                        name,
                        file: File::from(fd),
                        renamed: false,
                    };
                    // The final mode, whatever the umask (still private to root when 0600).
                    fchmod(&tmp.file, Mode::from_bits_truncate(mode)).map_err(|e| tmp.err(e))?;
                    return Ok(tmp);
                }
                Err(Errno::EEXIST) => last = Some(Errno::EEXIST),
                Err(e) => return Err(err_at(&self.join(&name), "creating", e)),
            }
        }
        Err(err_at(
            &self.join(target),
            "no free temporary name",
            last.unwrap_or(Errno::EEXIST),
        ))
    }
}

/// A 64-bit value no other user can guess: SipHash keyed with the process's random keys
/// (std's `RandomState` draws them from the kernel's generator), over a counter and the time.
/// The name need not be secret for safety (O_EXCL already refuses a planted file), only
/// hard to squat.
fn unpredictable() -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut h);
    std::time::SystemTime::now().hash(&mut h);
    std::process::id().hash(&mut h);
    h.finish()
}

/// (device, inode) of a file.
pub fn file_id(st: &FileStat) -> (u64, u64) {
    (st.st_dev, st.st_ino)
}

/// A temporary file, removed unless renamed into place.
struct Temp<'a> {
    dir: &'a Dir,
    name: OsString,
    file: File,
    renamed: bool,
}

impl Temp<'_> {
    fn err(&self, e: impl Into<io::Error>) -> io::Error {
        err_at(&self.dir.join(&self.name), "writing", e)
    }

    /// Rename over `target` (atomic; a symlink there is replaced, never followed).
    fn rename_over(mut self, target: &OsStr) -> io::Result<()> {
        renameat(&self.dir.fd, self.name.as_os_str(), &self.dir.fd, target)
            .map_err(|e| err_at(&self.dir.join(target), "rename into place", e))?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for Temp<'_> {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = self.dir.unlink(&self.name);
        }
    }
}

/// A pid file locked (flock, exclusive) for as long as this value lives; removed on drop if
/// the path still names our file. One daemon per pid file: a second start finds it locked.
///
/// Taking the lock: open the path (O_CREAT|O_NOFOLLOW|O_NONBLOCK, refusing what is not a
/// regular file), lock that inode, then check that the path still names the inode we locked
/// (fstat against lstat): a daemon writing its pid renames a new inode over the path, and one
/// exiting removes it, so a lock on an inode the path no longer names proves nothing; then
/// we start again.
///
/// Writing the pid ([`PidFile::write_pid`], after the fork: a flock belongs to the open file,
/// which the forked child shares) by the private-temporary-then-rename rule without a moment
/// unlocked: create the temporary file, lock it too, write and fsync the pid, rename it over
/// the path, and only then drop the old inode's lock. A competitor that opened the old inode
/// either finds it locked, or locks it after we let go and then sees that the path names
/// another inode, retries, and finds the new one locked.
pub struct PidFile {
    dir: Dir,
    name: OsString,
    lock: Flock<File>,
    id: (u64, u64),
}

/// How many times [`PidFile::lock`] starts again when the path changed under it.
const LOCK_TRIES: usize = 100;

impl PidFile {
    /// Lock `path`, creating it (empty, mode 0644) if missing; an error says which daemon
    /// holds it.
    pub fn lock(path: &Path) -> io::Result<PidFile> {
        let (dir, name) = Dir::of(path)?;
        for _ in 0..LOCK_TRIES {
            dir.refuse_non_regular(name)?;
            let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK;
            let fd = match openat(
                &dir.fd,
                name,
                flags | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(0o644),
            ) {
                Ok(fd) => fd,
                // Replaced by a symlink since the check: say so.
                Err(Errno::ELOOP) => {
                    dir.refuse_non_regular(name)?;
                    continue;
                }
                Err(e) => return Err(err_at(path, "opening pid file", e)),
            };
            let st = fstat(&fd).map_err(|e| err_at(path, "fstat", e))?;
            if !is(&st, SFlag::S_IFREG) {
                return Err(refusal(
                    path,
                    format!("is {}; refusing to use it as a pid file", kind(&st)),
                ));
            }
            if is_root() && st.st_uid != 0 {
                return Err(refusal(
                    path,
                    format!(
                        "pid file owned by uid {}, not root; refusing to use it",
                        st.st_uid
                    ),
                ));
            }
            let lock = match Flock::lock(File::from(fd), FlockArg::LockExclusiveNonblock) {
                Ok(l) => l,
                Err((mut f, Errno::EWOULDBLOCK)) => {
                    let mut text = String::new();
                    let _ = (&mut f).take(64).read_to_string(&mut text);
                    let holder = match text.trim().parse::<u32>() {
                        Ok(pid) => format!("pid {pid}"),
                        Err(_) => "a process that has not written its pid yet".into(),
                    };
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!(
                            "daemon is already running: pid file {} is locked by {holder}",
                            path.display()
                        ),
                    ));
                }
                Err((_, e)) => return Err(err_at(path, "locking pid file", e)),
            };
            if dir
                .lstat(name)?
                .is_some_and(|now| file_id(&now) == file_id(&st))
            {
                return Ok(PidFile {
                    dir,
                    name: name.to_owned(),
                    lock,
                    id: file_id(&st),
                });
            }
        }
        Err(refusal(
            path,
            "pid file keeps changing; cannot lock it".into(),
        ))
    }

    /// The pid file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// Write `pid` into the file, keeping the lock (see the type's doc).
    pub fn write_pid(&mut self, pid: u32) -> io::Result<()> {
        let path = self.path();
        let mut tmp = self.dir.temp(&self.name, 0o644)?;
        let lock = Flock::lock(tmp.file.try_clone()?, FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| err_at(&path, "locking new pid file", e))?;
        tmp.file
            .write_all(format!("{pid}\n").as_bytes())
            .map_err(|e| tmp.err(e))?;
        tmp.file.sync_all().map_err(|e| tmp.err(e))?;
        let st = fstat(&tmp.file).map_err(|e| tmp.err(e))?;
        tmp.rename_over(&self.name)?;
        // The path names the new, locked inode: now the old one's lock may go.
        self.lock = lock;
        self.id = file_id(&st);
        Ok(())
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes with `self.lock` right after.
        self.dir.unlink_if(&self.name, self.id);
    }
}

/// The pid files of one run, locked before the fork (keepalived's -p and -r; default
/// [`DEFAULT_PID_FILE`]). The same path given twice is locked once.
pub fn lock_pid_files(paths: &[PathBuf]) -> io::Result<Vec<PidFile>> {
    let mut out: Vec<PidFile> = Vec::new();
    for p in paths {
        if out.iter().any(|f| f.path() == *p) {
            continue;
        }
        out.push(PidFile::lock(p)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    /// A fresh directory (0755), removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p =
                std::env::temp_dir().join(format!("vrrpd-files-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir(&p).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            TempDir(p)
        }

        fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }

        /// Names in the directory, sorted.
        fn names(&self) -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
    }

    #[test]
    fn new_file_is_private_regular_and_leaves_no_temporary() {
        let d = TempDir::new("new");
        let p = d.join("dump");
        write_file(&p, b"hello\n", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hello\n");
        assert!(std::fs::symlink_metadata(&p).unwrap().file_type().is_file());
        assert_eq!(mode(&p), 0o600);
        assert_eq!(d.names(), ["dump"]);
        // A pid file's mode, whatever the umask.
        let q = d.join("pid");
        write_file(&q, b"1\n", 0o644).unwrap();
        assert_eq!(mode(&q), 0o644);
    }

    #[test]
    fn existing_file_is_replaced_not_rewritten() {
        let d = TempDir::new("replace");
        let p = d.join("dump");
        std::fs::write(&p, b"old old old\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        // A reader that opened the old file keeps seeing the old content (a new inode).
        let before = std::fs::File::open(&p).unwrap();
        write_file(&p, b"new\n", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new\n");
        assert_eq!(mode(&p), 0o600);
        let mut old = String::new();
        (&before).read_to_string(&mut old).unwrap();
        assert_eq!(old, "old old old\n");
        assert_eq!(d.names(), ["dump"]);
    }

    #[test]
    fn symlink_target_is_refused_and_its_target_untouched() {
        let d = TempDir::new("link");
        let secret = d.join("secret");
        std::fs::write(&secret, b"secret\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let p = d.join("dump");
        std::os::unix::fs::symlink(&secret, &p).unwrap();
        let e = write_file(&p, b"dump\n", 0o600).unwrap_err().to_string();
        assert!(
            e.contains(&p.display().to_string()) && e.contains("symbolic link"),
            "{e}"
        );
        assert_eq!(std::fs::read(&secret).unwrap(), b"secret\n");
        assert_eq!(mode(&secret), 0o600);
        assert!(std::fs::symlink_metadata(&p)
            .unwrap()
            .file_type()
            .is_symlink());
        // A dangling symlink is refused too (it would have created its target).
        let q = d.join("dangling");
        std::os::unix::fs::symlink(d.join("nowhere"), &q).unwrap();
        assert!(write_file(&q, b"x", 0o600).is_err());
        assert!(!d.join("nowhere").exists());
        assert_eq!(d.names(), ["dangling", "dump", "secret"]);
    }

    #[test]
    fn fifo_directory_and_socket_targets_are_refused_without_blocking() {
        let d = TempDir::new("fifo");
        let fifo = d.join("fifo");
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o666)).unwrap();
        // Opening a FIFO for writing with no reader would block this thread for good; the
        // test harness's timeout would then be the failure.
        let e = write_file(&fifo, b"dump\n", 0o600).unwrap_err().to_string();
        assert!(e.contains("is a FIFO"), "{e}");
        std::fs::create_dir(d.join("dir")).unwrap();
        let e = write_file(&d.join("dir"), b"x", 0o600)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a directory"), "{e}");
        let _l = std::os::unix::net::UnixListener::bind(d.join("sock")).unwrap();
        let e = write_file(&d.join("sock"), b"x", 0o600)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a socket"), "{e}");
        let e = PidFile::lock(&fifo).err().unwrap().to_string();
        assert!(e.contains("is a FIFO"), "{e}");
        assert_eq!(d.names(), ["dir", "fifo", "sock"]);
    }

    #[test]
    fn symlinked_directory_is_refused() {
        let d = TempDir::new("dirlink");
        std::fs::create_dir(d.join("real")).unwrap();
        std::os::unix::fs::symlink(d.join("real"), d.join("link")).unwrap();
        let e = write_file(&d.join("link/dump"), b"x", 0o600)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert!(!d.join("real/dump").exists());
    }

    #[test]
    fn missing_directory_is_created_0755() {
        let d = TempDir::new("mkdir");
        let p = d.join("run/vrrpd/dump");
        write_file(&p, b"x", 0o600).unwrap();
        assert_eq!(mode(&d.join("run/vrrpd")), 0o755);
    }

    #[test]
    fn untrusted_directories_are_refused_when_root() {
        if !is_root() {
            eprintln!("SKIP untrusted_directories_are_refused_when_root: needs root");
            return;
        }
        let d = TempDir::new("trust");
        let open = d.join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = write_file(&open.join("dump"), b"x", 0o600)
            .unwrap_err()
            .to_string();
        assert!(e.contains("writable by group or others"), "{e}");
        // Sticky like /tmp: others cannot replace root's files there.
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        write_file(&open.join("dump"), b"x", 0o600).unwrap();
        // ... but the runtime directory may not be writable by others at all.
        let mut st = fstat(File::open(&open).unwrap()).unwrap();
        assert!(Dir::check(&open, &st).is_ok());
        assert!(Dir::check(Path::new(RUNTIME_DIR), &st).is_err());
        st.st_mode &= !0o1022;
        assert!(Dir::check(Path::new(RUNTIME_DIR), &st).is_ok());
        // Someone else's directory.
        let theirs = d.join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
        let e = write_file(&theirs.join("dump"), b"x", 0o600)
            .unwrap_err()
            .to_string();
        assert!(e.contains("owned by uid 65534"), "{e}");
        assert!(!theirs.join("dump").exists());
    }

    #[test]
    fn pid_file_lock_excludes_a_second_holder_and_survives_the_pid_write() {
        let d = TempDir::new("pid");
        let p = d.join("vrrpd.pid");
        let mut first = PidFile::lock(&p).unwrap();
        // flock is per open file: a second open in the same process is a competitor.
        let e = PidFile::lock(&p).err().unwrap().to_string();
        assert!(e.contains("daemon is already running"), "{e}");
        assert!(e.contains("not written its pid yet"), "{e}");
        first.write_pid(4242).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "4242\n");
        assert_eq!(mode(&p), 0o644);
        assert_eq!(d.names(), ["vrrpd.pid"]);
        // The new inode is the locked one.
        let e = PidFile::lock(&p).err().unwrap().to_string();
        assert!(
            e.contains(&format!("pid file {} is locked by pid 4242", p.display())),
            "{e}"
        );
        drop(first);
        assert!(!p.exists(), "pid file left behind");
        // Free again.
        let again = PidFile::lock(&p).unwrap();
        drop(again);
        assert_eq!(d.names(), Vec::<String>::new());
    }

    #[test]
    fn a_stale_pid_file_is_taken_over() {
        let d = TempDir::new("stale");
        let p = d.join("vrrpd.pid");
        std::fs::write(&p, "999999\n").unwrap();
        let mut f = PidFile::lock(&p).unwrap();
        f.write_pid(7).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "7\n");
    }

    #[test]
    fn drop_removes_only_our_own_pid_file() {
        let d = TempDir::new("ours");
        let p = d.join("vrrpd.pid");
        let f = PidFile::lock(&p).unwrap();
        // Someone replaced the path: not ours to remove.
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, "other\n").unwrap();
        drop(f);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "other\n");
    }

    #[test]
    fn pid_symlink_is_refused_and_its_target_untouched() {
        let d = TempDir::new("pidlink");
        let target = d.join("target");
        std::fs::write(&target, "precious\n").unwrap();
        let p = d.join("vrrpd.pid");
        std::os::unix::fs::symlink(&target, &p).unwrap();
        let e = PidFile::lock(&p).err().unwrap().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    }

    #[test]
    fn the_same_pid_file_twice_is_locked_once() {
        let d = TempDir::new("twice");
        let p = d.join("vrrpd.pid");
        let mut v = lock_pid_files(&[p.clone(), p.clone()]).unwrap();
        assert_eq!(v.len(), 1);
        v[0].write_pid(5).unwrap();
        drop(v);
        assert!(!p.exists());
    }
}
