//! Validation of the IP layer of a received VRRP packet (RFC 9568 §7.1 first checks).
//!
//! IPv4: the raw socket hands us the whole datagram, IP header included, so we parse it
//! (any IHL). IPv6: the kernel strips the header, so the caller passes what ancillary data
//! told it (source, destination, hop limit).
