//! keepalived.conf: read, check and turn into a typed [`Config`].
//!
//! Three steps, one file each: [`lexer`] (tokens), [`tree`] (statements and blocks, with
//! `include`), [`build`] (typed values, validation, warnings); [`read`] bounds what is read.
//! Every error and warning names the file and line it is about. The steps are streamed:
//! each top-level statement is built as soon as it is parsed and then dropped, so a large
//! file is never held as tokens or as a whole tree.

mod address;
pub mod build;
pub mod error;
mod families;
pub mod fifo;
pub mod lexer;
pub mod model;
mod not_applied;
mod process;
pub mod read;
mod route;
mod router;
mod rtnames;
mod rule;
pub mod source;
mod strict;
mod track;
pub mod tree;
pub mod values;
mod wire;

pub use build::Built;
pub use error::{ConfigError, ErrorKind, Warning};
pub use model::*;
pub use source::Loc;

use std::path::Path;

/// Load, parse and validate the configuration file at `path` (following includes).
/// Each statement is built as soon as it is parsed, then dropped.
pub fn load(path: &Path) -> Result<Built, ConfigError> {
    let mut b = build::Builder::default();
    tree::visit(path, &mut |stmt| b.statement(&stmt))?;
    b.finish()
}

/// Parse and validate configuration text as if it were the file `name`.
pub fn parse(name: &Path, text: &str) -> Result<Built, ConfigError> {
    let mut b = build::Builder::default();
    tree::visit_str(name, text, &mut |stmt| b.statement(&stmt))?;
    b.finish()
}
