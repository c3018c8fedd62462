//! Decode one captured keepalived advert (v3, IPv4, 3 VIPs) a million times, for
//! instruction counts that do not depend on machine load:
//!
//! ```sh
//! cargo build --profile bench -p vrrp-benches --example decode_loop
//! valgrind --tool=callgrind target/release/examples/decode_loop
//! ```

use std::hint::black_box;

use vrrp_proto::{decode, ip, ChecksumPolicy};

/// keepalived 2.2.7, vrrp-proto/tests/vectors/keepalived/v3_ipv4_advert.vec.
const PACKET: &str =
    "45c0002800010000ff701891c0000201e000001231366403003280acc000026ec000026fc0000270";

fn main() {
    let bytes: Vec<u8> = (0..PACKET.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&PACKET[i..i + 2], 16).unwrap())
        .collect();
    let r = ip::parse_ipv4(&bytes).unwrap();
    let mut accepted = 0u64;
    for _ in 0..1_000_000 {
        if decode(black_box(r.payload), r.src, r.dst, ChecksumPolicy::Either).is_ok() {
            accepted += 1;
        }
    }
    println!("{accepted} adverts decoded");
}
