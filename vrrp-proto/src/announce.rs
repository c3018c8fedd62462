//! What a new master announces: gratuitous ARP (RFC 5227 §3 / RFC 9568 §7.2) and
//! unsolicited neighbour advertisements (RFC 4861 §7.2.6), and the virtual MACs
//! (RFC 9568 §7.3).
