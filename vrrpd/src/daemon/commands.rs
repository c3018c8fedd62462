//! Control-socket requests: `status` for anyone; `drain NAME|--all` and
//! `undrain NAME|--all` only for root or the daemon's own user.

use log::{info, warn};

use super::Daemon;

impl Daemon {
    /// Answer every waiting control-socket client.
    pub(super) fn serve_control(&mut self) {
        for req in self.control.accept() {
            let reply = self.command(&req.line, req.privileged());
            req.reply(&reply);
        }
    }

    /// One request; the reply is JSON.
    fn command(&mut self, line: &str, privileged: bool) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] | ["status"] => {
                serde_json::to_string(&self.status()).unwrap_or_else(|e| error_json(&e.to_string()))
            }
            [verb @ ("drain" | "undrain"), target] => {
                if !privileged {
                    warn!("control socket: {verb} refused to an unprivileged client");
                    return error_json("drain and undrain need root");
                }
                self.set_drained(target, *verb == "drain")
            }
            _ => error_json(&format!("unknown request '{line}'")),
        }
    }

    /// Drain or undrain `target` (an instance name, or `--all`).
    fn set_drained(&mut self, target: &str, on: bool) -> String {
        let names: Vec<String> = self
            .slots
            .iter()
            .map(|s| s.planned.model.name.clone())
            .filter(|n| target == "--all" || n == target)
            .collect();
        if names.is_empty() {
            return error_json(&format!("no instance '{target}'"));
        }
        let mut out = Vec::new();
        for name in &names {
            if on {
                self.drained.insert(name.clone());
            } else {
                self.drained.remove(name);
            }
            if let Some(s) = self.slots.iter().find(|s| s.planned.model.name == *name) {
                info!("({name}) {}", if on { "drained" } else { "undrained" });
                self.runner.drain(s.index, on, &mut out);
            }
        }
        self.handle(out);
        serde_json::json!({ "ok": true, "drained": on, "instances": names }).to_string()
    }

    /// Apply the drained set to every instance (after start or reload).
    pub(super) fn apply_drained(&mut self, out: &mut Vec<vrrp_net::Happening>) {
        for s in &self.slots {
            if self.drained.contains(&s.planned.model.name) {
                self.runner.drain(s.index, true, out);
            }
        }
    }
}

fn error_json(msg: &str) -> String {
    serde_json::json!({ "error": msg }).to_string()
}
