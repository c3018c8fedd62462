//! Who holds the VIP, read from both namespaces every [`SAMPLE`], and the episodes where
//! both did.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant};

use crate::peer::Scene;

/// How often the sampler reads both namespaces' addresses.
pub const SAMPLE: Duration = Duration::from_millis(25);

/// One sample: time since the sampler started, VIP on A, VIP on B.
pub type Sample = (Duration, bool, bool);

/// Reads each namespace's addresses every [`SAMPLE`] until stopped: one thread per
/// namespace, entered once (`setns`), reading its addresses in-process (`getifaddrs`, a
/// netlink dump), so that a loaded machine does not stretch the sampling as spawning `ip`
/// would.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    threads: [JoinHandle<Vec<(Duration, bool)>>; 2],
}

impl Sampler {
    pub fn start(sc: &Scene, vip: &'static str) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let addr: std::net::IpAddr = vip.split('/').next().unwrap().parse().unwrap();
        let one = |ns: &vrrp_lab::Netns, dev: &'static str| {
            let fd = ns.clone_fd().expect("namespace handle");
            let flag = stop.clone();
            std::thread::spawn(move || {
                nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET)
                    .expect("enter the namespace");
                let mut out = Vec::new();
                while !flag.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    out.push((t - start, has_vip(dev, addr)));
                    sleep(SAMPLE.saturating_sub(t.elapsed()));
                }
                out
            })
        };
        let threads = [one(&sc.lan.a, "a0"), one(&sc.lan.b, "b0")];
        Sampler { stop, threads }
    }

    /// Both namespaces' samples merged in time order (each the state after one reading),
    /// and the largest gap between two readings of one namespace.
    pub fn finish(self) -> (Vec<Sample>, Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let [a, b] = self.threads.map(|t| t.join().expect("sampler thread"));
        let gap = [&a, &b]
            .iter()
            .flat_map(|s| s.windows(2).map(|w| w[1].0 - w[0].0))
            .max()
            .unwrap_or(SAMPLE);
        let mut all: Vec<(Duration, usize, bool)> = a
            .iter()
            .map(|&(t, h)| (t, 0, h))
            .chain(b.iter().map(|&(t, h)| (t, 1, h)))
            .collect();
        all.sort_by_key(|e| e.0);
        let mut now = [false, false];
        let merged = all
            .into_iter()
            .map(|(t, side, h)| {
                now[side] = h;
                (t, now[0], now[1])
            })
            .collect();
        (merged, gap)
    }
}

/// Whether `dev` in this thread's namespace has address `addr`.
pub fn has_vip(dev: &str, addr: std::net::IpAddr) -> bool {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return false;
    };
    list.filter(|i| i.interface_name == dev)
        .filter_map(|i| i.address)
        .any(|s| {
            let got = match (s.as_sockaddr_in(), s.as_sockaddr_in6()) {
                (Some(v4), _) => std::net::IpAddr::V4(v4.ip()),
                (_, Some(v6)) => std::net::IpAddr::V6(v6.ip()),
                _ => return false,
            };
            got == addr
        })
}

/// Episodes where both held the VIP: (start, length), each measured from the first sample
/// seeing both to the first seeing not both.
pub fn overlaps(samples: &[Sample]) -> Vec<(Duration, Duration)> {
    let mut out = Vec::new();
    let mut begin = None;
    for &(t, a, b) in samples {
        match (begin, a && b) {
            (None, true) => begin = Some(t),
            (Some(s), false) => {
                out.push((s, t - s));
                begin = None;
            }
            _ => {}
        }
    }
    if let (Some(s), Some(&(t, _, _))) = (begin, samples.last()) {
        out.push((s, t - s));
    }
    out
}
