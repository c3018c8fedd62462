//! Arbitrary valid adverts: emit, decode, compare.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vrrp_proto::{
    decode, Addresses, Advertisement, Auth, Centiseconds, ChecksumForm, ChecksumPolicy, Priority,
    Seconds, VersionFields, Vrid,
};

#[derive(Debug, Arbitrary)]
struct Input {
    v3: bool,
    ipv6: bool,
    vrid: u8,
    priority: u8,
    interval: u16,
    password: Option<[u8; 8]>,
    form: u8,
    src: u128,
    dst: u128,
    v4: Vec<u32>,
    v6: Vec<u128>,
}

fuzz_target!(|input: Input| {
    let Some(vrid) = Vrid::new(input.vrid) else {
        return;
    };
    let ipv6 = input.v3 && input.ipv6;
    let v4: Vec<Ipv4Addr> = input
        .v4
        .iter()
        .take(255)
        .map(|&a| Ipv4Addr::from(a))
        .collect();
    let v6: Vec<Ipv6Addr> = input
        .v6
        .iter()
        .take(255)
        .map(|&a| Ipv6Addr::from(a))
        .collect();
    let addresses = if ipv6 {
        Addresses::V6(&v6)
    } else {
        Addresses::V4(&v4)
    };
    if addresses.is_empty() {
        return;
    }
    let fields = if input.v3 {
        let Some(interval) = Centiseconds::new(input.interval).filter(|c| c.get() > 0) else {
            return;
        };
        VersionFields::V3 { interval }
    } else {
        let secs = (input.interval as u8).max(1);
        VersionFields::V2 {
            interval: Seconds(secs),
            auth: input.password.map_or(Auth::None, Auth::SimplePassword),
        }
    };
    let (src, dst) = if ipv6 {
        (IpAddr::V6(input.src.into()), IpAddr::V6(input.dst.into()))
    } else {
        (
            IpAddr::V4(Ipv4Addr::from(input.src as u32)),
            IpAddr::V4(Ipv4Addr::from(input.dst as u32)),
        )
    };
    let form = match input.form % 3 {
        0 => ChecksumForm::MessageOnly,
        1 => ChecksumForm::PseudoHeader,
        _ => ChecksumForm::OldUnicast,
    };
    let advert = Advertisement {
        vrid,
        priority: Priority(input.priority),
        fields,
        addresses,
    };
    let mut buf = [0u8; 8 + 255 * 16 + 8];
    let n = advert
        .emit(&mut buf, src, dst, form)
        .expect("valid advert emits");
    let d = decode(&buf[..n], src, dst, ChecksumPolicy::Either).expect("emitted advert decodes");
    assert_eq!(d.advert, advert);
});
