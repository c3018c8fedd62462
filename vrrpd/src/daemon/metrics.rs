//! `--metrics-listen ADDR:PORT`: the status as Prometheus text (format 0.0.4) over HTTP,
//! served from the event loop. Off by default; reading it needs no root and no signal.

use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;

use mio::net::TcpListener;
use mio::{Interest, Registry, Token};
use vrrp_fsm::CounterInfo;

use super::status::{ClientCounters, GlobalStatus, InstanceStatus, Status};

/// The listening side.
pub struct MetricsServer {
    listener: TcpListener,
}

impl MetricsServer {
    /// Listen on `addr` and register with `registry` under `token`.
    pub fn bind(addr: SocketAddr, registry: &Registry, token: Token) -> io::Result<Self> {
        let mut listener = TcpListener::bind(addr)?;
        registry.register(&mut listener, token, Interest::READABLE)?;
        Ok(MetricsServer { listener })
    }

    /// The bound address (the port, when 0 was asked for).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accept one waiting client (`None` when none waits); the caller bounds how many per
    /// wakeup (`Conns::accept`). No uid: nobody is privileged here.
    pub fn accept(&mut self) -> io::Result<Option<(mio::net::TcpStream, Option<u32>)>> {
        match self.listener.accept() {
            Ok((s, _)) => Ok(Some((s, None))),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The HTTP answer to request head `head`: `GET /metrics` gets [`render`] of `status`,
/// anything else 404.
pub fn http_reply(head: &[u8], status: &Status) -> Vec<u8> {
    let head = String::from_utf8_lossy(head);
    let first = head.lines().next().unwrap_or("");
    let mut words = first.split_whitespace();
    match (words.next(), words.next()) {
        (Some("GET"), Some("/metrics")) => response("200 OK", &render(status)),
        _ => response("404 Not Found", "try GET /metrics\n"),
    }
}

/// An HTTP response with status `code` and text `body`, in a buffer of its exact size.
pub fn response(code: &str, body: &str) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 {code}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let mut out = Vec::with_capacity(head.len() + body.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body.as_bytes());
    out
}

/// Prometheus text, one metric family after another.
#[derive(Default)]
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// The family of table entry `c`: `{prefix}_{name}_total` for a counter,
    /// `{prefix}_{name}` for a gauge; its help and RFC object.
    fn table_entry(&mut self, prefix: &str, c: &CounterInfo) -> String {
        let (name, kind) = if c.gauge {
            (format!("{prefix}_{}", c.name), "gauge")
        } else {
            (format!("{prefix}_{}_total", c.name), "counter")
        };
        match c.rfc {
            Some(rfc) => self.family(&name, kind, &format!("{} {rfc}.", c.help)),
            None => self.family(&name, kind, c.help),
        }
        name
    }

    fn sample(&mut self, name: &str, labels: &str, v: f64) {
        if labels.is_empty() {
            let _ = writeln!(self.0, "{name} {v}");
        } else {
            let _ = writeln!(self.0, "{name}{{{labels}}} {v}");
        }
    }

    /// One family with one sample per instance.
    fn per_instance(
        &mut self,
        s: &Status,
        name: &str,
        kind: &str,
        help: &str,
        get: impl Fn(&InstanceStatus) -> f64,
    ) {
        self.family(name, kind, help);
        for i in &s.instances {
            self.sample(name, &labels(i), get(i));
        }
    }
}

fn labels(i: &InstanceStatus) -> String {
    format!(
        "instance=\"{}\",interface=\"{}\",vrid=\"{}\"",
        esc(&i.name),
        esc(&i.interface),
        i.vrid
    )
}

/// The Prometheus text of `status`.
pub fn render(s: &Status) -> String {
    let mut t = Text::default();
    t.family(
        "vrrp_instance_state",
        "gauge",
        "1 for the instance's current state (keepalived's words)",
    );
    for i in &s.instances {
        for st in ["INIT", "BACKUP", "MASTER", "FAULT"] {
            let v = if i.state == st { 1.0 } else { 0.0 };
            t.sample(
                "vrrp_instance_state",
                &format!("{},state=\"{st}\"", labels(i)),
                v,
            );
        }
    }
    t.per_instance(
        s,
        "vrrp_instance_priority",
        "gauge",
        "effective priority",
        |i| f64::from(i.effective_priority),
    );
    t.per_instance(
        s,
        "vrrp_instance_base_priority",
        "gauge",
        "configured priority",
        |i| f64::from(i.base_priority),
    );
    t.per_instance(
        s,
        "vrrp_instance_drained",
        "gauge",
        "1 while drained",
        |i| f64::from(u8::from(i.drained)),
    );
    t.per_instance(
        s,
        "vrrp_instance_last_transition_timestamp_seconds",
        "gauge",
        "Unix time of the last state change",
        |i| i.last_transition_unix_ms.map_or(0.0, |m| m as f64 / 1000.0),
    );
    t.family(
        "vrrp_instance_last_transition_info",
        "gauge",
        "why the last state change happened",
    );
    for i in &s.instances {
        if let Some(r) = &i.last_transition_reason {
            let l = format!("{},reason=\"{}\"", labels(i), esc(r));
            t.sample("vrrp_instance_last_transition_info", &l, 1.0);
        }
    }
    // Every counter of the instance tables, one family each, one sample per instance.
    let mut rows: Vec<_> = s
        .instances
        .iter()
        .map(|i| (labels(i), i.counters.iter()))
        .collect();
    if let Some(first) = s.instances.first() {
        for (c, _) in first.counters.iter() {
            let name = t.table_entry("vrrp_instance", c);
            for (l, values) in &mut rows {
                if let Some((_, v)) = values.next() {
                    t.sample(&name, l, v as f64);
                }
            }
        }
    }
    for (c, v) in s.global.iter() {
        let name = t.table_entry("vrrp_global", c);
        t.sample(&name, "", v as f64);
    }
    for (c, v) in s.scripts.notify.counters() {
        let name = t.table_entry("vrrp_script", c);
        t.sample(&name, "", v as f64);
    }
    clients(&mut t, &s.global);
    t.family(
        "vrrp_check_up",
        "gauge",
        "1 while the vrrp_script check succeeds",
    );
    for (name, state) in &s.scripts.checks {
        let l = format!("script=\"{}\"", esc(name));
        t.sample("vrrp_check_up", &l, f64::from(u8::from(*state == "ok")));
    }
    t.family(
        "vrrpd_runner_slots",
        "gauge",
        "runner instance slots: allocated (live and free) and live",
    );
    let sl = &s.slots;
    t.sample(
        "vrrpd_runner_slots",
        "kind=\"allocated\"",
        sl.runner_slots_allocated as f64,
    );
    t.sample(
        "vrrpd_runner_slots",
        "kind=\"live\"",
        sl.runner_slots_live as f64,
    );
    t.family("vrrpd_sockets_open", "gauge", "raw VRRP sockets open");
    t.sample("vrrpd_sockets_open", "", sl.sockets_open as f64);
    for (c, v) in s.daemon.counters().chain(s.processes.counters.counters()) {
        let name = t.table_entry("vrrpd", c);
        t.sample(&name, "", v as f64);
    }
    t.family(
        "vrrp_track_process_quorum",
        "gauge",
        "1 while the vrrp_track_process has its quorum",
    );
    for p in &s.processes.blocks {
        let l = format!("process=\"{}\"", esc(&p.name));
        t.sample(
            "vrrp_track_process_quorum",
            &l,
            f64::from(u8::from(p.have_quorum)),
        );
    }
    t.0
}

/// The client pools' counts: one family per entry of the table, labelled by `server`
/// (control, metrics).
fn clients(t: &mut Text, g: &GlobalStatus) {
    let mut pools = [
        ("server=\"control\"", g.control_clients.counters()),
        ("server=\"metrics\"", g.metrics_clients.counters()),
    ];
    for c in ClientCounters::COUNTERS {
        let name = t.table_entry("vrrpd_clients", c);
        for (l, values) in &mut pools {
            if let Some((_, v)) = values.next() {
                t.sample(&name, l, v as f64);
            }
        }
    }
}

/// A Prometheus label value, escaped.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
