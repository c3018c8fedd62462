//! Linux I/O for VRRP (issue 5): raw sockets, rtnetlink, ARP/NA, timers, signals.
