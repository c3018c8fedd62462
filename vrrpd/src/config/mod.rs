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
pub mod lang;
pub mod lexer;
pub mod model;
pub mod naming;
pub mod not_applied;
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
pub use lang::LangOptions;
pub use model::*;
pub use source::Loc;

use std::path::Path;

/// Load, parse and validate the configuration file at `path` (following includes), with
/// the default config id (keepalived without `-i`).
/// Each statement is built as soon as it is parsed, then dropped.
pub fn load(path: &Path) -> Result<Built, ConfigError> {
    load_with(path, &LangOptions::default())
}

/// [`load`] with the language's options (config id for `@ID` lines, include checks).
pub fn load_with(path: &Path, opts: &LangOptions) -> Result<Built, ConfigError> {
    let mut b = build::Builder::default();
    let lang = tree::visit(path, opts, &mut |stmt| b.statement(&stmt))?;
    finish(b, lang)
}

/// Parse and validate configuration text as if it were the file `name`.
pub fn parse(name: &Path, text: &str) -> Result<Built, ConfigError> {
    parse_with(name, text, &LangOptions::default())
}

/// [`parse`] with the language's options.
pub fn parse_with(name: &Path, text: &str, opts: &LangOptions) -> Result<Built, ConfigError> {
    let mut b = build::Builder::default();
    let lang = tree::visit_str_with(name, text, opts, &mut |stmt| b.statement(&stmt))?;
    finish(b, lang)
}

/// The built configuration, with the language's warnings merged in file and line order.
fn finish(b: build::Builder, lang: Vec<Warning>) -> Result<Built, ConfigError> {
    let mut built = b.finish()?;
    if !lang.is_empty() {
        built.warnings.extend(lang);
        built.warnings.sort_by(|a, b| {
            (a.loc.file.as_ref(), a.loc.line).cmp(&(b.loc.file.as_ref(), b.loc.line))
        });
    }
    Ok(built)
}
