//! Serving clients: control-socket requests (`status` for anyone; `drain NAME|--all` and
//! `undrain NAME|--all` only for root or the daemon's own user) and metrics scrapes.

use log::info;
use mio::Token;

use super::conns::{Kind, Request};
use super::{metrics, Daemon, CONTROL, METRICS};

impl Daemon {
    /// A listener or a client connection is ready.
    pub(super) fn serve(&mut self, token: Token) {
        let registry = self.runner.registry();
        match token {
            CONTROL => {
                let control = &mut self.control;
                self.control_clients.accept(registry, || control.accept());
            }
            METRICS => {
                if let Some(m) = &mut self.metrics {
                    self.metrics_clients.accept(registry, || m.accept());
                }
            }
            t if self.control_clients.owns(t) => {
                if let Some(req) = self.control_clients.on_event(registry, t) {
                    let reply = self.answer(&req);
                    let registry = self.runner.registry();
                    self.control_clients.answer(registry, req.slot, reply);
                }
            }
            t if self.metrics_clients.owns(t) => {
                if let Some(req) = self.metrics_clients.on_event(registry, t) {
                    let reply = self.answer(&req);
                    let registry = self.runner.registry();
                    self.metrics_clients.answer(registry, req.slot, reply);
                }
            }
            _ => {}
        }
    }

    /// Once per turn: drop clients past their timeout, and accept again from a listener
    /// whose backlog was left at the per-wakeup bound.
    pub(super) fn tend_clients(&mut self) {
        let now = std::time::Instant::now();
        let registry = self.runner.registry();
        self.control_clients.expire(registry, now);
        self.metrics_clients.expire(registry, now);
        if self.control_clients.backlog() {
            self.serve(CONTROL);
        }
        if self.metrics_clients.backlog() {
            self.serve(METRICS);
        }
    }

    fn answer(&mut self, req: &Request) -> Vec<u8> {
        match req.kind {
            Kind::Metrics => metrics::http_reply(&req.bytes, &self.status()),
            Kind::Control => {
                let line = String::from_utf8_lossy(&req.bytes).trim().to_owned();
                let mut reply = self.command(&line, req.privileged);
                reply.push('\n');
                reply.into_bytes()
            }
        }
    }

    /// One control request; the reply is JSON.
    fn command(&mut self, line: &str, privileged: bool) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] | ["status"] => {
                serde_json::to_string(&self.status()).unwrap_or_else(|e| error_json(&e.to_string()))
            }
            [verb @ ("drain" | "undrain"), target] => {
                if !privileged {
                    self.control_clients
                        .warn(format_args!("{verb} refused to an unprivileged client"));
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
            .map(|s| s.name.clone())
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
            if let Some(s) = self.slots.iter().find(|s| s.name == *name) {
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
            if self.drained.contains(&s.name) {
                self.runner.drain(s.index, true, out);
            }
        }
    }
}

fn error_json(msg: &str) -> String {
    serde_json::json!({ "error": msg }).to_string()
}
