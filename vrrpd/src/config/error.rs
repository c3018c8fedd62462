//! Configuration errors and warnings: every one names file and line.

use super::source::Loc;
use std::fmt;

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// A `"` with no closing `"` on the same line.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A `}` with no block open.
    #[error("'}}' closes no open block")]
    UnmatchedClose,
    /// End of file with a block still open.
    #[error("block '{0}' opened here is never closed")]
    UnclosedBlock(String),
    /// A `{` that follows no keyword.
    #[error("'{{' with no keyword before it")]
    OrphanOpen,
    /// A file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// `include` nesting too deep (a loop, most likely).
    #[error("include nested more than {0} deep")]
    IncludeDepth(usize),
    /// More files than one load reads (`include` globs matching too much).
    #[error("more than {0} configuration files to read (include fan-out)")]
    TooManyFiles(usize),
    /// Blocks nested too deep.
    #[error("blocks nested more than {0} deep")]
    NestingDepth(usize),
    /// Anything about the meaning of a statement.
    #[error("{0}")]
    Invalid(String),
}

/// An error at a place in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where.
    pub loc: Loc,
    /// What.
    pub kind: ErrorKind,
}

impl ConfigError {
    /// An error of `kind` at `loc`.
    pub fn new(loc: Loc, kind: ErrorKind) -> ConfigError {
        ConfigError { loc, kind }
    }

    /// A semantic error with a message.
    pub fn invalid(loc: &Loc, msg: impl Into<String>) -> ConfigError {
        ConfigError::new(loc.clone(), ErrorKind::Invalid(msg.into()))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.kind)
    }
}

impl std::error::Error for ConfigError {}

/// Something accepted but worth telling the user (unknown keyword, skipped block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub loc: Loc,
    /// What.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.loc, self.message)
    }
}
