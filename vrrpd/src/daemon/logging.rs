//! Log lines where keepalived puts them: the console with `-l` (or when not forked), else
//! syslog (facility daemon, ident "vrrpd"). `-D` adds debug detail.

use std::ffi::CString;
use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Where lines go.
struct Logger {
    console: bool,
    level: LevelFilter,
}

impl Log for Logger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= self.level
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let text = match r.level() {
            Level::Info => format!("{}", r.args()),
            l => format!("{l}: {}", r.args()),
        };
        if self.console {
            let _ = writeln!(std::io::stderr().lock(), "{} {text}", timestamp());
        } else {
            syslog(r.level(), &text);
        }
    }

    fn flush(&self) {}
}

/// Install the logger once for the process.
pub fn init(console: bool, detail: bool) {
    let level = if detail {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    };
    if !console {
        // SAFETY: openlog keeps the ident pointer; a static C string lives forever.
        unsafe { libc::openlog(c"vrrpd".as_ptr(), libc::LOG_PID, libc::LOG_DAEMON) };
    }
    let logger = Box::leak(Box::new(Logger { console, level }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}

fn syslog(level: Level, text: &str) {
    let prio = match level {
        Level::Error => libc::LOG_ERR,
        Level::Warn => libc::LOG_WARNING,
        Level::Info => libc::LOG_INFO,
        Level::Debug | Level::Trace => libc::LOG_DEBUG,
    };
    let Ok(msg) = CString::new(text.replace('\0', " ")) else {
        return;
    };
    // SAFETY: "%s" with one valid NUL-terminated string argument.
    unsafe { libc::syslog(prio, c"%s".as_ptr(), msg.as_ptr()) };
}

/// `HH:MM:SS.mmm` UTC, enough to read failover timings off the console.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let s = now.as_secs();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60,
        now.subsec_millis()
    )
}
