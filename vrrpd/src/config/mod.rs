//! keepalived.conf: read, check and turn into a typed [`Config`].
//!
//! Three steps, one file each: [`lexer`] (tokens), [`tree`] (statements and blocks, with
//! `include`), [`build`] (typed values, validation, warnings). Every error and warning names
//! the file and line it is about.

pub mod build;
pub mod error;
pub mod lexer;
pub mod model;
pub mod source;
pub mod tree;
pub mod values;

pub use build::Built;
pub use error::{ConfigError, ErrorKind, Warning};
pub use model::*;
pub use source::Loc;

use std::path::Path;

/// Load, parse and validate the configuration file at `path` (following includes).
pub fn load(path: &Path) -> Result<Built, ConfigError> {
    build::build(&tree::load(path)?)
}

/// Parse and validate configuration text as if it were the file `name`.
pub fn parse(name: &Path, text: &str) -> Result<Built, ConfigError> {
    build::build(&tree::parse_str(name, text)?)
}
