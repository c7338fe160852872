use super::*;
use crate::trunk::{Cidr, SrtpPolicy, TrunkRegistration, TrunkTransport};

fn trunk(name: &str, host: &str, allow: &[&str]) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: host.into(),
        port: None,
        transport: TrunkTransport::Udp,
        registration: None,
        allow: allow
            .iter()
            .map(|a| a.parse::<Cidr>().unwrap_or_else(|e| panic!("{e}")))
            .collect(),
        codecs: Vec::new(),
        srtp: SrtpPolicy::Off,
        channels: None,
        options_interval: 0,
        caller_id: None,
        ca_file: None,
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn name(t: Option<&Trunk>) -> Option<&str> {
    t.map(|t| t.name.as_str())
}

fn did(number: &str, trunk: &str) -> Did {
    Did {
        number: number.into(),
        trunk: trunk.into(),
        to: vec!["1001".into()],
        failover: None,
    }
}

fn request(text: &str) -> Request {
    match sip::parse_message(text.replace('\n', "\r\n").as_bytes()) {
        Ok(sip::Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn trunks_are_identified_by_their_allow_lists() {
    let trunks = [
        trunk("wide", "sip.a.example", &["203.0.113.0/24"]),
        trunk(
            "narrow",
            "sip.b.example",
            &["203.0.113.7", "198.51.100.0/28"],
        ),
        trunk("v6", "sip.c.example", &["2001:db8:5::/48"]),
    ];
    assert_eq!(
        name(identify_trunk(ip("203.0.113.1"), &trunks)),
        Some("wide")
    );
    assert_eq!(
        name(identify_trunk(ip("203.0.113.7"), &trunks)),
        Some("narrow"),
        "the most specific block wins"
    );
    assert_eq!(
        name(identify_trunk(ip("198.51.100.15"), &trunks)),
        Some("narrow")
    );
    assert_eq!(name(identify_trunk(ip("198.51.100.16"), &trunks)), None);
    assert_eq!(
        name(identify_trunk(ip("::ffff:203.0.113.9"), &trunks)),
        Some("wide"),
        "v4-mapped"
    );
    assert_eq!(
        name(identify_trunk(ip("2001:db8:5:1::9"), &trunks)),
        Some("v6")
    );
    assert_eq!(name(identify_trunk(ip("2001:db8:6::9"), &trunks)), None);
    assert_eq!(name(identify_trunk(ip("127.0.0.2"), &trunks)), None);
}

#[test]
fn ties_go_to_the_first_trunk() {
    let trunks = [
        trunk("one", "h1.example", &["192.0.2.0/24"]),
        trunk("two", "h2.example", &["192.0.2.0/24"]),
    ];
    assert_eq!(name(identify_trunk(ip("192.0.2.5"), &trunks)), Some("one"));
}

#[test]
fn an_allow_list_excludes_even_the_host_itself() {
    let trunks = [trunk("strict", "192.0.2.10", &["198.51.100.1"])];
    assert_eq!(name(identify_trunk(ip("192.0.2.10"), &trunks)), None);
    assert_eq!(
        name(identify_trunk(ip("198.51.100.1"), &trunks)),
        Some("strict")
    );
}

#[test]
fn without_an_allow_list_the_host_addresses_identify() {
    let mut registering = trunk("reg", "sip.provider.example", &[]);
    registering.registration = Some(TrunkRegistration {
        username: "u".into(),
        password: "p".into(),
        expires: 600,
    });
    let trunks = [
        trunk("literal", "127.0.0.1", &[]),
        trunk("literal6", "[2001:db8::7]", &[]),
        registering,
    ];
    assert_eq!(
        name(identify_trunk(ip("127.0.0.1"), &trunks)),
        Some("literal")
    );
    assert_eq!(
        name(identify_trunk(ip("127.0.0.2"), &trunks)),
        None,
        "another loopback address is another source"
    );
    assert_eq!(
        name(identify_trunk(ip("2001:db8::7"), &trunks)),
        Some("literal6")
    );
    assert_eq!(
        name(identify_trunk(ip("192.0.2.33"), &trunks)),
        None,
        "no DNS here"
    );
    let dns = |host: &str| {
        if host == "sip.provider.example" {
            vec![ip("192.0.2.33"), ip("192.0.2.34")]
        } else {
            Vec::new()
        }
    };
    assert_eq!(
        name(identify_trunk_with(ip("192.0.2.34"), &trunks, &dns)),
        Some("reg")
    );
    assert_eq!(
        name(identify_trunk_with(ip("192.0.2.35"), &trunks, &dns)),
        None
    );
}

#[test]
fn dids_match_in_the_form_they_were_written() {
    let dids = [
        did("+12125550100", "a"),
        did("2125550199", "a"),
        did("+442079460000", "b"),
        did("1000", "c"),
    ];
    let found = |n: &str| did_for(n, &dids).map(|d| d.number.as_str());
    assert_eq!(found("+12125550100"), Some("+12125550100"));
    assert_eq!(
        found("+1 (212) 555-0100"),
        Some("+12125550100"),
        "separators"
    );
    assert_eq!(found("12125550100"), Some("+12125550100"), "without +");
    assert_eq!(found("0012125550100"), Some("+12125550100"), "00 prefix");
    assert_eq!(
        found("2125550100"),
        Some("+12125550100"),
        "without country code"
    );
    assert_eq!(
        found("+12125550199"),
        Some("2125550199"),
        "DID stored national"
    );
    assert_eq!(found("12125550199"), Some("2125550199"));
    assert_eq!(
        found("02079460000"),
        Some("+442079460000"),
        "national trunk prefix"
    );
    assert_eq!(found("2079460000"), Some("+442079460000"));
    assert_eq!(found("1000"), Some("1000"));
    assert_eq!(found("+11000"), None, "short numbers match exactly only");
    assert_eq!(found("+12125550101"), None);
    assert_eq!(
        found("5550100"),
        None,
        "a local number is too short to guess"
    );
    assert_eq!(found(""), None);
    assert_eq!(found("alice"), None);
}

#[test]
fn ambiguous_country_variants_match_nothing() {
    let dids = [did("+12125550100", "a"), did("+332125550100", "b")];
    assert_eq!(did_for("2125550100", &dids), None);
    assert_eq!(
        did_for("+332125550100", &dids).map(|d| d.trunk.as_str()),
        Some("b"),
        "an exact match is never ambiguous"
    );
}

#[test]
fn dids_can_be_restricted_to_the_trunk_the_call_came_on() {
    let dids = [did("+12125550100", "a"), did("+12125550111", "b")];
    assert!(did_for_trunk("+12125550100", "a", &dids).is_some());
    assert!(did_for_trunk("+12125550100", "b", &dids).is_none());
    assert!(did_for_trunk("2125550111", "b", &dids).is_some());
}

#[test]
fn the_called_number_comes_from_the_request_uri_or_to() {
    let invite = request(
        "INVITE sip:acme-account@198.51.100.7:5062 SIP/2.0\n\
Via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bK1\n\
From: <sip:+15035550123@sip.provider.example>;tag=a\n\
To: <sip:+1-212-555-0100;npdi@sip.provider.example>\n\
Call-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n",
    );
    assert_eq!(
        called_numbers(&invite),
        ["acme-account".to_owned(), "+12125550100".to_owned()]
    );
    let dids = [did("+12125550100", "a")];
    assert_eq!(
        did_for_request(&invite, &dids).map(|d| d.number.as_str()),
        Some("+12125550100")
    );
    let tel = request(
        "INVITE tel:+1-212-555-0100 SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\n\
From: <sip:a@h>;tag=1\nTo: <tel:+1-212-555-0100>\nCall-ID: y\nCSeq: 1 INVITE\n\
Content-Length: 0\n\n",
    );
    assert_eq!(called_numbers(&tel), ["+12125550100".to_owned()]);
    let escaped = Uri::parse("sip:%2B12125550100@h").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(uri_number(&escaped).as_deref(), Some("+12125550100"));
    let no_user = Uri::parse("sip:h.example").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(uri_number(&no_user), None);
    let unknown = request(
        "INVITE sip:999@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK3\n\
From: <sip:a@h>;tag=1\nTo: <sip:998@h>\nCall-ID: z\nCSeq: 1 INVITE\nContent-Length: 0\n\n",
    );
    assert!(did_for_request(&unknown, &dids).is_none());
}
