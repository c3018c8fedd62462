//! vrrp-proto on adverts captured from keepalived 2.2.7: `decode` (parse + checksum verify),
//! `checksum` (the bare checksum verify over the same bytes), `ip_and_decode` (IP-layer
//! checks of the whole packet, then decode) and `emit`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use vrrp_proto::{decode, ip, verify_checksum, ChecksumPolicy};

/// The IP packet of a committed keepalived vector.
fn packet(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../vrrp-proto/tests/vectors/keepalived/{name}.vec",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let hex = text
        .lines()
        .find_map(|l| l.strip_prefix("packet: "))
        .unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// The IP-layer checks for a whole packet of either family.
fn receive(bytes: &[u8]) -> ip::Received<'_> {
    if bytes[0] >> 4 == 4 {
        ip::parse_ipv4(bytes).unwrap()
    } else {
        ip::parse_ipv6(bytes).unwrap()
    }
}

fn bench(c: &mut Criterion) {
    for (label, name) in [
        ("v2_1vip", "v2_noauth_advert"),
        ("v3_ipv4_3vip", "v3_ipv4_advert"),
        ("v3_ipv6_2vip", "v3_ipv6_advert"),
    ] {
        let bytes = packet(name);
        let r = receive(&bytes);
        let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either).unwrap();
        let (src, dst, form) = (r.src, r.dst, d.checksum_form);
        let mut g = c.benchmark_group(label);
        // Each result is left in place and handed to `std::hint::black_box` by reference;
        // the closure returns `()`. Returning it instead makes criterion read the 48-byte
        // `Decoded` back byte by byte with volatile loads, and passing it by value copies it
        // in 16-byte loads that stall on store forwarding: either costs more than decode
        // itself and would be counted as decode time.
        g.bench_function("decode", |b| {
            b.iter(|| {
                let d = decode(black_box(r.payload), src, dst, ChecksumPolicy::Either);
                black_box(&d);
            })
        });
        g.bench_function("checksum", |b| {
            b.iter(|| {
                black_box(verify_checksum(black_box(r.payload), src, dst, form));
            })
        });
        g.bench_function("ip_and_decode", |b| {
            b.iter(|| {
                let r = receive(black_box(&bytes));
                let d = decode(r.payload, r.src, r.dst, ChecksumPolicy::Either);
                black_box(&d);
            })
        });
        let mut buf = [0u8; 128];
        g.bench_function("emit", |b| {
            b.iter(|| {
                black_box(black_box(&d.advert).emit(&mut buf, src, dst, form).unwrap());
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
