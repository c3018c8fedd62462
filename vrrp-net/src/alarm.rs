//! A precise wake-up for the event loop: a CLOCK_MONOTONIC timerfd armed at the earliest
//! router deadline and polled like any other source.
//!
//! Why not `epoll_wait`'s timeout: the kernel lets a sleeping poll end late by its "slack",
//! 0.1 % of the timeout for a normal task (`select_estimate_accuracy`), and mio rounds the
//! timeout up to a whole millisecond. A Backup waiting out a 3.6 s Master_Down_Interval
//! therefore took over up to 4.6 ms late. A timerfd's slack is the task's timer slack
//! (50 µs by default), whatever the length of the wait; keepalived's scheduler uses one too.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};

use crate::NetError;

/// One one-shot timer, re-armed only when the deadline moves earlier than the one it is armed
/// for, or after it fired. A deadline that moved later (a Backup heard an advert and pushed
/// its Master_Down_Timer back: most wakeups of a busy Backup) leaves it armed: it fires
/// early, the endpoint has nothing to do then, and it is armed again. That costs a wakeup
/// now and then instead of a `timerfd_settime` per wakeup.
pub(crate) struct Alarm {
    fd: TimerFd,
    /// The deadline it is armed for (in the caller's clock), if any.
    armed: Option<vrrp_fsm::Instant>,
}

impl Alarm {
    pub(crate) fn open() -> Result<Alarm, NetError> {
        let fd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )
        .map_err(|e| NetError::event_loop("timerfd_create", e.into()))?;
        Ok(Alarm { fd, armed: None })
    }

    /// Fire at `deadline` or earlier (None: never), `now` being the current time in the
    /// same clock. A deadline already reached fires at once.
    pub(crate) fn set(
        &mut self,
        deadline: Option<vrrp_fsm::Instant>,
        now: vrrp_fsm::Instant,
    ) -> Result<(), NetError> {
        let soon_enough = match (self.armed, deadline) {
            (Some(armed), Some(d)) => armed <= d,
            (None, None) => true,
            _ => false,
        };
        if soon_enough {
            return Ok(());
        }
        let r = match deadline {
            // A zero it_value disarms a timerfd: a deadline reached fires after 1 ns.
            Some(d) => {
                let wait = d
                    .saturating_duration_since(now)
                    .max(Duration::from_nanos(1));
                self.fd.set(
                    Expiration::OneShot(TimeSpec::from_duration(wait)),
                    TimerSetTimeFlags::empty(),
                )
            }
            None => self.fd.unset(),
        };
        r.map_err(|e| NetError::event_loop("timerfd_settime", e.into()))?;
        self.armed = deadline;
        Ok(())
    }

    /// After the poll reported it: it is disarmed (it fires once per arming). The expiry
    /// count is not read: arming again resets it, and with edge-triggered polling each
    /// expiry is reported anyway.
    pub(crate) fn acknowledge(&mut self) {
        self.armed = None;
    }
}

impl Source for Alarm {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.fd.as_fd().as_raw_fd()).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.fd.as_fd().as_raw_fd()).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.fd.as_fd().as_raw_fd()).deregister(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Events, Poll};

    const T: Token = Token(7);

    fn clock(start: std::time::Instant) -> vrrp_fsm::Instant {
        vrrp_fsm::Instant::from_micros(start.elapsed().as_micros() as u64)
    }

    /// It fires once per arming, never before its deadline, and not at all once disarmed.
    #[test]
    fn fires_at_the_deadline_not_before_and_not_when_disarmed() {
        let start = std::time::Instant::now();
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(4);
        let mut alarm = Alarm::open().unwrap();
        poll.registry()
            .register(&mut alarm, T, Interest::READABLE)
            .unwrap();

        let deadline = clock(start) + Duration::from_millis(20);
        alarm.set(Some(deadline), clock(start)).unwrap();
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == T),
            "the alarm did not fire"
        );
        assert!(clock(start) >= deadline, "the alarm fired early");
        alarm.acknowledge();

        // Armed, then disarmed: nothing within 100 ms.
        let now = clock(start);
        alarm
            .set(Some(now + Duration::from_millis(30)), now)
            .unwrap();
        alarm.set(None, clock(start)).unwrap();
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        assert!(events.is_empty(), "a disarmed alarm fired");

        // A deadline moved later leaves the alarm armed for the earlier one; one moved
        // earlier re-arms it.
        let now = clock(start);
        alarm
            .set(Some(now + Duration::from_millis(40)), now)
            .unwrap();
        alarm
            .set(Some(now + Duration::from_secs(10)), clock(start))
            .unwrap();
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == T),
            "a later deadline disarmed it"
        );
        let fired = clock(start);
        assert!(fired >= now + Duration::from_millis(40), "fired early");
        assert!(
            fired < now + Duration::from_secs(1),
            "re-armed for the later deadline"
        );
        alarm.acknowledge();
        let now = clock(start);
        alarm.set(Some(now + Duration::from_secs(10)), now).unwrap();
        alarm
            .set(Some(now + Duration::from_millis(20)), clock(start))
            .unwrap();
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == T),
            "an earlier deadline was not armed"
        );
        assert!(clock(start) < now + Duration::from_secs(1));
        alarm.acknowledge();

        // A deadline already passed fires at once.
        let now = clock(start);
        alarm
            .set(Some(now), now + Duration::from_millis(1))
            .unwrap();
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == T),
            "a past deadline did not fire"
        );
    }
}
