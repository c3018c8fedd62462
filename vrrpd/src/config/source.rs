//! Where a piece of configuration came from: file and line, for every message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a configuration file. Cheap to clone (the path is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The file, as named by the user or an `include`.
    pub file: Arc<PathBuf>,
    /// 1-based line number.
    pub line: usize,
}

impl Loc {
    /// A location in `file` at `line`.
    pub fn new(file: &Arc<PathBuf>, line: usize) -> Loc {
        Loc {
            file: Arc::clone(file),
            line,
        }
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}
