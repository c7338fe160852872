//! Binding management (RFC 3261 §10.3 steps 5-8, RFC 5626 §6) once authenticated.

use sip::{HeaderName, Method};

use crate::ports::Locations;

use super::*;

async fn alice(r: &TestRegistrar, reg: Reg, now: u64) -> Response {
    Phone::new("1001", "alice-pw").register(r, reg, now).await
}

#[tokio::test]
async fn register_stores_the_binding_and_lists_it() {
    let r = registrar();
    let resp = alice(&r, Reg::new("1001"), T0).await;
    assert_eq!((resp.status, resp.reason.as_str()), (200, "OK"));
    assert_eq!(
        contacts(&resp),
        ["<sip:1001@192.0.2.10:5060;transport=tcp>;expires=3600"]
    );
    assert!(resp.to_tag().is_some());
    let stored = r.locations().lookup("1001", T0).await.expect("lookup");
    assert_eq!(stored.len(), 1);
    let b = &stored[0];
    assert_eq!(b.aor, "1001");
    assert_eq!(b.contact, "sip:1001@192.0.2.10:5060;transport=tcp");
    assert_eq!(b.expires_at, T0 + 3600);
    assert_eq!(b.flow, flow());
    assert_eq!(b.user_agent.as_deref(), Some("TestPhone/1.0"));
    assert_eq!((b.call_id.as_str(), b.cseq), ("call-1001@192.0.2.10", 2));
}

#[tokio::test]
async fn any_host_in_the_aor_names_the_same_extension() {
    let r = registrar();
    let reg = Reg::new("1001").to("\"Alice\" <sips:1001@10.0.0.5:5061>");
    assert_eq!(alice(&r, reg, T0).await.status, 200);
    assert_eq!(r.locations().raw().len(), 1);
}

#[tokio::test]
async fn several_contacts_per_aor_and_queries() {
    let r = registrar();
    let mut desk = Phone::new("1001", "alice-pw");
    let mut soft = Phone::new("1001", "alice-pw");
    desk.register(&r, Reg::new("1001").call_id("desk"), T0)
        .await;
    let reg = Reg::new("1001")
        .call_id("soft")
        .contacts(&[
            "<sip:1001@198.51.100.7:5070>;q=0.5",
            "<sip:1001@198.51.100.7:5071>",
        ])
        .expires("600");
    let resp = soft.register(&r, reg, T0 + 10).await;
    assert_eq!(
        contacts(&resp),
        [
            "<sip:1001@192.0.2.10:5060;transport=tcp>;expires=3590",
            "<sip:1001@198.51.100.7:5070>;expires=600;q=0.5",
            "<sip:1001@198.51.100.7:5071>;expires=600",
        ]
    );
    // A query (no Contact) lists them and changes nothing.
    let query = desk
        .register(
            &r,
            Reg::new("1001").call_id("desk").cseq(5).contacts(&[]),
            T0 + 20,
        )
        .await;
    assert_eq!(query.status, 200);
    assert_eq!(contacts(&query).len(), 3);
    assert!(contacts(&query)[0].ends_with(";expires=3580"));
    // Expired bindings vanish from the list.
    let late = desk
        .register(
            &r,
            Reg::new("1001").call_id("desk").cseq(6).contacts(&[]),
            T0 + 700,
        )
        .await;
    assert_eq!(contacts(&late).len(), 1);
}

#[tokio::test]
async fn expires_bounds() {
    let r = registrar();
    // Too brief: 423 with Min-Expires, nothing stored.
    let resp = alice(&r, Reg::new("1001").expires("30"), T0).await;
    assert_eq!(
        (resp.status, resp.reason.as_str()),
        (423, "Interval Too Brief")
    );
    assert_eq!(header(&resp, &HeaderName::MinExpires), ["60"]);
    assert!(r.locations().raw().is_empty());
    // The per-contact parameter wins over the header, in both directions.
    let reg = Reg::new("1001")
        .contacts(&["<sip:1001@192.0.2.10>;expires=10"])
        .expires("3600");
    assert_eq!(alice(&r, reg, T0).await.status, 423);
    let reg = Reg::new("1001")
        .contacts(&["<sip:1001@192.0.2.10>;expires=120"])
        .expires("5");
    assert_eq!(
        contacts(&alice(&r, reg, T0).await),
        ["<sip:1001@192.0.2.10>;expires=120"]
    );
    // Too long is shortened to the maximum.
    let reg = Reg::new("1001")
        .call_id("b")
        .contacts(&["<sip:1001@192.0.2.10>"])
        .expires("999999999");
    assert_eq!(
        contacts(&alice(&r, reg, T0).await),
        ["<sip:1001@192.0.2.10>;expires=7200"]
    );
}

#[tokio::test]
async fn per_contact_unregister() {
    let r = registrar();
    let mut phone = Phone::new("1001", "alice-pw");
    let two = ["<sip:1001@192.0.2.10:5060>", "<sip:1001@192.0.2.11:5060>"];
    phone
        .register(&r, Reg::new("1001").contacts(&two), T0)
        .await;
    let reg = Reg::new("1001")
        .cseq(5)
        .contacts(&["<sip:1001@192.0.2.10:5060>;expires=0"]);
    let resp = phone.register(&r, reg, T0 + 1).await;
    assert_eq!(resp.status, 200);
    assert_eq!(contacts(&resp), ["<sip:1001@192.0.2.11:5060>;expires=3599"]);
    assert_eq!(r.locations().raw().len(), 1);
    // Expires: 0 for the whole request removes the rest.
    let reg = Reg::new("1001")
        .cseq(6)
        .contacts(&["<sip:1001@192.0.2.11:5060>"])
        .expires("0");
    let resp = phone.register(&r, reg, T0 + 2).await;
    assert_eq!((resp.status, contacts(&resp).len()), (200, 0));
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn star_removes_everything_only_with_expires_zero() {
    let r = registrar();
    let mut desk = Phone::new("1001", "alice-pw");
    desk.register(&r, Reg::new("1001").call_id("desk"), T0)
        .await;
    Phone::new("1001", "alice-pw")
        .register(
            &r,
            Reg::new("1001")
                .call_id("soft")
                .contacts(&["<sip:1001@192.0.2.99>"]),
            T0,
        )
        .await;
    assert_eq!(r.locations().raw().len(), 2);

    let no_expires = Reg::new("1001").call_id("desk").cseq(5).contacts(&["*"]);
    assert_eq!(desk.register(&r, no_expires, T0).await.status, 400);
    let nonzero = Reg::new("1001")
        .call_id("desk")
        .cseq(6)
        .contacts(&["*"])
        .expires("60");
    assert_eq!(desk.register(&r, nonzero, T0).await.status, 400);
    let mixed = Reg::new("1001")
        .call_id("desk")
        .cseq(7)
        .contacts(&["*", "<sip:1001@192.0.2.1>"])
        .expires("0");
    assert_eq!(desk.register(&r, mixed, T0).await.status, 400);
    assert_eq!(r.locations().raw().len(), 2);

    let star = Reg::new("1001")
        .call_id("desk")
        .cseq(8)
        .contacts(&["*"])
        .expires("0");
    let resp = desk.register(&r, star, T0).await;
    assert_eq!((resp.status, contacts(&resp).len()), (200, 0));
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn instance_and_reg_id_replace_the_old_binding() {
    let r = registrar();
    let inst = "+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"";
    let mut phone = Phone::new("1001", "alice-pw");
    let c1 = format!("<sip:1001@192.0.2.10:5060;ob>;{inst};reg-id=1");
    phone
        .register(&r, Reg::new("1001").call_id("boot1").contacts(&[&c1]), T0)
        .await;
    // After a reboot behind NAT: a new Call-ID, a new address, the same instance and reg-id.
    let c2 = format!("<sip:1001@203.0.113.5:61000;ob>;{inst};reg-id=1");
    let resp = phone
        .register(
            &r,
            Reg::new("1001").call_id("boot2").contacts(&[&c2]),
            T0 + 5,
        )
        .await;
    assert_eq!(
        contacts(&resp),
        [format!(
            "<sip:1001@203.0.113.5:61000;ob>;expires=3600;{inst};reg-id=1"
        )]
    );
    let raw = r.locations().raw();
    assert_eq!(raw.len(), 1);
    assert_eq!(
        raw[0].instance.as_deref(),
        Some("<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>")
    );
    assert_eq!(raw[0].reg_id, Some(1));
    // A second flow of the same instance (reg-id=2) is a second binding.
    let c3 = format!("<sip:1001@203.0.113.5:61001;ob>;{inst};reg-id=2");
    let resp = phone
        .register(
            &r,
            Reg::new("1001").call_id("boot2").cseq(9).contacts(&[&c3]),
            T0 + 6,
        )
        .await;
    assert_eq!(contacts(&resp).len(), 2);
    // reg-id without an instance is ignored (RFC 5626 §6).
    let c4 = "<sip:1001@192.0.2.50>;reg-id=1";
    phone
        .register(&r, Reg::new("1001").call_id("x").contacts(&[c4]), T0 + 7)
        .await;
    let plain = r
        .locations()
        .raw()
        .into_iter()
        .find(|b| b.contact == "sip:1001@192.0.2.50");
    assert_eq!(plain.map(|b| b.reg_id), Some(None));
}

#[tokio::test]
async fn equivalent_contact_uris_are_one_binding() {
    let r = registrar();
    let mut phone = Phone::new("1001", "alice-pw");
    phone
        .register(
            &r,
            Reg::new("1001")
                .call_id("a")
                .contacts(&["<sip:1001@Phone.Example.test>"]),
            T0,
        )
        .await;
    let resp = phone
        .register(
            &r,
            Reg::new("1001")
                .call_id("b")
                .contacts(&["<sip:1001@phone.example.test>"]),
            T0,
        )
        .await;
    assert_eq!(
        contacts(&resp),
        ["<sip:1001@phone.example.test>;expires=3600"]
    );
    assert_eq!(r.locations().raw().len(), 1);
}

#[tokio::test]
async fn call_id_and_cseq_ordering() {
    let r = registrar();
    let mut phone = Phone::new("1001", "alice-pw");
    // Registered with CSeq 10 (after the 401 at 9).
    phone
        .register(&r, Reg::new("1001").cseq(9).expires("600"), T0)
        .await;
    let before = r.locations().raw();
    assert_eq!(before[0].cseq, 10);

    // An older request of the same Call-ID fails and changes nothing.
    let old = phone
        .register(&r, Reg::new("1001").cseq(4).expires("0"), T0 + 1)
        .await;
    assert_eq!(old.status, 500);
    assert_eq!(r.locations().raw(), before);
    let old_star = phone
        .register(
            &r,
            Reg::new("1001").cseq(3).contacts(&["*"]).expires("0"),
            T0 + 1,
        )
        .await;
    assert_eq!(old_star.status, 500);
    assert_eq!(r.locations().raw(), before);

    // The same CSeq again (a retransmission answered anew) is a no-op success.
    let again = phone
        .register(&r, Reg::new("1001").cseq(10).expires("1200"), T0 + 2)
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(r.locations().raw(), before);

    // A higher CSeq updates.
    let newer = phone
        .register(&r, Reg::new("1001").cseq(11).expires("1200"), T0 + 3)
        .await;
    assert_eq!(newer.status, 200);
    assert_eq!(r.locations().raw()[0].expires_at, T0 + 3 + 1200);

    // Another Call-ID updates whatever its CSeq.
    let other = phone
        .register(
            &r,
            Reg::new("1001").call_id("new").cseq(1).expires("0"),
            T0 + 4,
        )
        .await;
    assert_eq!(other.status, 200);
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn aor_checks_come_first() {
    let r = registrar();
    // RFC 4475 unksm2: a non-SIP AoR in To.
    let resp = r
        .handle(
            &Reg::new("1001").to("<tel:+15555551001>").build(),
            &flow(),
            T0,
        )
        .await;
    assert_eq!(resp.status, 400);
    let resp = r
        .handle(
            &Reg::new("1001").to("<sip:example.test>").build(),
            &flow(),
            T0,
        )
        .await;
    assert_eq!(resp.status, 404);
}

#[tokio::test]
async fn bad_contacts_are_bad_requests() {
    let r = registrar();
    let reg = Reg::new("1001").contacts(&["<mailto:alice@example.test>"]);
    assert_eq!(alice(&r, reg, T0).await.status, 400);
    let reg =
        Reg::new("1001").contacts(&["<sip:1001@192.0.2.1>;+sip.instance=\"<urn:x>\";reg-id=one"]);
    assert_eq!(alice(&r, reg, T0).await.status, 400);
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn too_many_contacts_are_refused() {
    let r = registrar();
    let many: Vec<String> = (0..=crate::registrar::MAX_BINDINGS_PER_AOR)
        .map(|i| format!("<sip:1001@192.0.2.{i}>"))
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let resp = alice(&r, Reg::new("1001").contacts(&refs), T0).await;
    assert_eq!(resp.status, 403);
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn a_new_registration_beyond_the_limit_replaces_the_oldest() {
    let r = registrar();
    for i in 0..crate::registrar::MAX_BINDINGS_PER_AOR {
        let contact = format!("<sip:1001@192.0.2.{i}>");
        let reg = Reg::new("1001")
            .contacts(&[contact.as_str()])
            .call_id(&format!("c{i}"));
        let at = T0 + i as u64;
        assert_eq!(alice(&r, reg, at).await.status, 200);
    }
    let reg = Reg::new("1001")
        .contacts(&["<sip:1001@198.51.100.9>"])
        .call_id("newest");
    let resp = alice(&r, reg, T0 + 100).await;
    assert_eq!(resp.status, 200, "the newest registration wins");
    let contacts: Vec<String> = r
        .locations()
        .raw()
        .iter()
        .map(|b| b.contact.clone())
        .collect();
    assert_eq!(contacts.len(), crate::registrar::MAX_BINDINGS_PER_AOR);
    assert!(contacts.iter().any(|c| c.contains("198.51.100.9")));
    assert!(
        !contacts.iter().any(|c| c == "<sip:1001@192.0.2.0>"),
        "the oldest went"
    );
}

#[tokio::test]
async fn storage_failure_is_a_server_error_and_commits_nothing() {
    let r = registrar();
    let mut phone = Phone::new("1001", "alice-pw");
    phone.register(&r, Reg::new("1001").contacts(&[]), T0).await;
    r.locations().set_failing(true);
    let resp = phone.register(&r, Reg::new("1001").cseq(5), T0).await;
    assert_eq!(resp.status, 500);
    r.locations().set_failing(false);
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let r = registrar();
    let mut reg = Reg::new("1001");
    reg.method = "SUBSCRIBE".into();
    let resp = r.handle(&reg.build(), &flow(), T0).await;
    assert_eq!(resp.status, 405);
    assert_eq!(header(&resp, &HeaderName::Allow), [crate::options::ALLOW]);
}

#[test]
fn options_are_answered() {
    let mut reg = Reg::new("1001");
    reg.method = "OPTIONS".into();
    let req = reg.build();
    assert_eq!(req.method, Method::Options);
    let resp = crate::options::answer_options(&req);
    assert_eq!(resp.status, 200);
    assert_eq!(header(&resp, &HeaderName::Allow), ["REGISTER, OPTIONS"]);
    assert_eq!(header(&resp, &HeaderName::Accept), ["application/sdp"]);
    assert_eq!(header(&resp, &HeaderName::Supported), [""]);
    assert!(resp.to_tag().is_some());
    assert_eq!(resp.call_id().ok(), Some("call-1001@192.0.2.10"));
    // The printed response parses back (an empty Supported is legal).
    let bytes = resp.to_bytes();
    assert!(matches!(
        sip::parse_message(&bytes),
        Ok(Message::Response(_))
    ));
}
