//! Decode a captured VRRP packet given as hex (a whole IPv4 or IPv6 packet, as tcpdump -x
//! or tshark print it once the link header is removed) and print what vrrp-proto makes of
//! it, or which error and counter it gives.
//!
//! ```text
//! cargo run -p vrrp-proto --example decode_hex -- 45c00028...
//! ```

use std::process::ExitCode;

use vrrp_proto::{decode, ip, ChecksumPolicy, VersionFields};

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

fn main() -> ExitCode {
    let arg: String = std::env::args().skip(1).collect::<Vec<_>>().join("");
    let Some(bytes) = parse_hex(&arg).filter(|b| !b.is_empty()) else {
        eprintln!("usage: decode_hex <hex of an IPv4 or IPv6 packet carrying VRRP>");
        return ExitCode::from(2);
    };
    let received = if bytes[0] >> 4 == 6 {
        ip::parse_ipv6(&bytes)
    } else {
        ip::parse_ipv4(&bytes)
    };
    let result = received
        .and_then(|r| decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).map(|d| (r, d)));
    match result {
        Ok((r, d)) => {
            let a = &d.advert;
            println!("{} -> {}", r.src, r.dst);
            println!(
                "VRRPv{} vrid {} priority {} checksum {:?}",
                a.version().number(),
                a.vrid,
                a.priority.0,
                d.checksum_form
            );
            match a.fields {
                VersionFields::V2 { interval, auth } => {
                    println!("interval {} s, auth {:?}", interval.0, auth)
                }
                VersionFields::V3 { interval } => {
                    println!("interval {} cs", interval.get())
                }
            }
            for addr in a.addresses.iter() {
                println!("  {addr}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("dropped: {e} (counter {:?})", e.counter());
            ExitCode::FAILURE
        }
    }
}
