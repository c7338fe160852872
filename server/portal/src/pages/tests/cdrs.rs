//! `/admin/cdrs`: call records, filters, paging and the CSV link.

use pbx::Disposition;

use super::*;

/// 2024-05-01 12:00:00 UTC.
const MAY_1_NOON: i64 = 1_714_564_800_000;
const DAY: i64 = 86_400_000;

#[tokio::test]
async fn records_show_whole_seconds_and_escaped_numbers() {
    let app = TestApp::start(
        fake::standard()
            .with_record("1001", "1002", MAY_1_NOON, 7)
            .with_record("<i>", "1001", MAY_1_NOON - DAY, 61),
    )
    .await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = get(&app, &s, "/admin/cdrs").await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "id=\"cdr-filter\"",
            "id=\"cdr-since\"",
            "id=\"cdr-until\"",
            "id=\"cdr-number\"",
            "<select id=\"cdr-disposition\"",
            "<a id=\"cdr-csv\" class=\"btn\" href=\"/api/cdrs.csv\"",
            "<table id=\"cdrs\">",
            "<td class=\"caller\">1001</td>",
            "<td class=\"callee\">1002</td>",
            "<td class=\"dialed\">1002</td>",
            "<td class=\"start nowrap\">2024-05-01 12:00:00</td>",
            // Start to end: 2 s ringing + 7 s talking; billable from the answer.
            "<td class=\"duration num\">9</td>",
            "<td class=\"billable num\">7</td>",
            "<td class=\"duration num\">63</td>",
            "<td class=\"codecs small\">opus ↔ PCMU</td>",
            "<td class=\"caller\">&#60;i&#62;</td>",
        ],
    );
    assert_eq!(resp.body.matches("<tr class=\"cdr\"").count(), 2);
    // Newest first.
    let first = resp.body.find("2024-05-01 12:00:00").unwrap_or(usize::MAX);
    let second = resp.body.find("2024-04-30 12:00:00").unwrap_or(0);
    assert!(first < second);
    let disposition = resp
        .body
        .split("<td class=\"disposition\">")
        .nth(1)
        .unwrap_or_default();
    assert!(disposition.starts_with(
        "<span class=\"badge badge-ok\" title=\"SIP status 200\">answered</span></td>"
    ));
}

#[tokio::test]
async fn filters_reach_the_backend_and_the_csv_link() {
    let app = TestApp::start(
        fake::standard()
            .with_record("1001", "1002", MAY_1_NOON, 7)
            .with_record("1001", "1003", MAY_1_NOON + DAY, 5)
            .with_record("1002", "1000", MAY_1_NOON, 5),
    )
    .await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = get(
        &app,
        &s,
        "/admin/cdrs?since=2024-05-01&until=2024-05-01&number=1002&disposition=answered",
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body.matches("<tr class=\"cdr\"").count(), 2);
    assert_has(
        &resp,
        &[
            "href=\"/api/cdrs.csv?since=2024-05-01&#38;until=2024-05-01&#38;number=1002&#38;disposition=answered\"",
            "id=\"cdr-since\" name=\"since\" type=\"date\" value=\"2024-05-01\"",
            "<option value=\"answered\" selected>",
        ],
    );
    let query = app.backend.state().cdr_queries.last().cloned();
    let query = query.unwrap_or_else(|| panic!("no query"));
    assert_eq!(query.since_ms, Some(MAY_1_NOON - DAY / 2));
    assert_eq!(query.until_ms, Some(MAY_1_NOON + DAY / 2));
    assert_eq!(query.party.as_deref(), Some("1002"));
    assert_eq!(query.disposition, Some(Disposition::Answered));

    // The CSV behind the link holds the same records.
    let csv = app
        .get("/api/cdrs.csv?since=2024-05-01&until=2024-05-01&number=1002&disposition=answered")
        .cookie(&s.cookie)
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);
}

#[tokio::test]
async fn a_bad_filter_is_explained_and_kept() {
    let (app, s) = admin_app().await;
    for q in [
        "since=yesterday",
        "since=2024-05-02&until=2024-05-01",
        "disposition=lost",
    ] {
        let resp = get(&app, &s, &format!("/admin/cdrs?{q}&number=%3Cb%3E")).await;
        assert_eq!(resp.status, 422, "{q}");
        assert_has(&resp, &["id=\"form-error\"", "value=\"&#60;b&#62;\""]);
    }
}

#[tokio::test]
async fn long_lists_come_a_page_at_a_time() {
    let mut backend = fake::standard();
    for i in 0..105 {
        backend = backend.with_record("1001", "1002", MAY_1_NOON + i * 60_000, 1);
    }
    let app = TestApp::start(backend).await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let first = get(&app, &s, "/admin/cdrs?number=1001").await;
    assert_eq!(first.body.matches("<tr class=\"cdr\"").count(), 100);
    assert_has(
        &first,
        &["id=\"cdr-older\" href=\"/admin/cdrs?number=1001&#38;page=2\""],
    );
    assert!(!first.body.contains("cdr-newer"));
    let second = get(&app, &s, "/admin/cdrs?number=1001&page=2").await;
    assert_eq!(second.body.matches("<tr class=\"cdr\"").count(), 5);
    assert_has(
        &second,
        &["id=\"cdr-newer\" href=\"/admin/cdrs?number=1001\""],
    );
    assert!(!second.body.contains("cdr-older"));
}
