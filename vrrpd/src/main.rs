//! `vrrpd`: keepalived-compatible command line.
//!
//! Implemented so far: `-t/--config-test` (check a keepalived.conf and report every problem
//! with file and line). The daemon proper arrives with the I/O layer.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Flags as keepalived spells them, so existing unit files and habits keep working.
#[derive(Debug, Parser)]
#[command(name = "vrrpd", version, about = "VRRP daemon reading keepalived.conf")]
struct Args {
    /// Configuration file (keepalived's -f/--use-file).
    #[arg(
        short = 'f',
        long = "use-file",
        default_value = "/etc/keepalived/keepalived.conf"
    )]
    use_file: PathBuf,
    /// Check the configuration and exit: 0 if it is valid, 1 if not (keepalived's -t).
    #[arg(short = 't', long = "config-test")]
    config_test: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.config_test {
        eprintln!(
            "vrrpd: only --config-test is available in this build; the daemon is not implemented yet"
        );
        return ExitCode::from(2);
    }
    config_test(&args.use_file)
}

/// keepalived -t: print warnings and the first error, each with file:line.
fn config_test(path: &std::path::Path) -> ExitCode {
    match vrrpd::config::load(path) {
        Ok(built) => {
            for w in &built.warnings {
                eprintln!("{w}");
            }
            let c = &built.config;
            println!(
                "{}: configuration OK: {} vrrp_instance, {} vrrp_script, {} vrrp_sync_group, {} warning(s)",
                path.display(),
                c.instances.len(),
                c.scripts.len(),
                c.sync_groups.len(),
                built.warnings.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
