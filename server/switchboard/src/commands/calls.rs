//! The call commands: `extension set` (features), `dialplan add|list|remove`, `cdr list`.

use std::io::Write;

use pbx::dialplan::{Rule, RuleAction};
use pbx::{CallRecord, Features, LegStats};
use store::{FeaturesUpdate, Store, StoreError};

use super::{Failure, open_store};
use crate::cli::when::format_ms;
use crate::cli::{CdrCommand, DialplanCommand};
use crate::config::Config;

/// `extension set`: changes what was given, prints the extension's settings after it.
pub(super) async fn set_features(
    store: &Store,
    number: &str,
    update: &FeaturesUpdate,
) -> Result<(), Failure> {
    if update.is_empty() {
        return Err(Failure::usage(
            "nothing to change: give --forward-always, --forward-busy, --forward-noanswer, \
             --ring-timeout, --dnd, --max-calls or --class",
        ));
    }
    match store.set_extension_features(number, update).await {
        Ok(()) => {}
        Err(StoreError::NoSuchExtension(n)) => {
            return Err(Failure {
                message: format!("error: no extension {n}"),
                code: 1,
            });
        }
        Err(e @ StoreError::InvalidFeature(_)) => return Err(Failure::usage(e)),
        Err(e) => return Err(Failure::runtime(e)),
    }
    match store.get_extension(number).await {
        Ok(Some(e)) => println!(
            "extension {number}: {} {}",
            e.features.class,
            describe_features(&e.features)
        ),
        Ok(None) => println!("extension {number} updated"),
        Err(e) => return Err(Failure::runtime(e)),
    }
    Ok(())
}

/// Features as the `extension set` options that would give them, e.g.
/// `forward-busy=1002 ring-timeout=20 dnd=on`. Unset ones are left out.
pub(super) fn describe_features(f: &Features) -> String {
    let mut parts = Vec::new();
    for (name, target) in [
        ("forward-always", &f.forward_always),
        ("forward-busy", &f.forward_busy),
        ("forward-noanswer", &f.forward_noanswer),
    ] {
        if let Some(t) = target {
            parts.push(format!("{name}={t}"));
        }
    }
    parts.push(format!("ring-timeout={}", f.ring_timeout));
    if f.dnd {
        parts.push("dnd=on".into());
    }
    if let Some(max) = f.max_calls {
        parts.push(format!("max-calls={max}"));
    }
    parts.join(" ")
}

pub async fn dialplan(config: Config, cmd: DialplanCommand) -> Result<(), Failure> {
    let store = open_store(&config).await?;
    let result = run_dialplan(&store, cmd).await;
    store.close().await;
    result
}

async fn run_dialplan(store: &Store, cmd: DialplanCommand) -> Result<(), Failure> {
    match cmd {
        DialplanCommand::Add {
            pattern,
            extension,
            route,
            reject,
            busy,
            class,
            position,
        } => {
            let action = match (extension, route, reject, busy) {
                (Some(number), _, _, _) => RuleAction::Extension(number),
                (_, Some(name), _, _) => RuleAction::Route(name),
                (_, _, Some(status), _) => RuleAction::Reject(status),
                (_, _, _, true) => RuleAction::Busy,
                // clap requires one of them; keep a clear message anyway.
                _ => {
                    return Err(Failure::usage(
                        "give one of --extension, --route, --reject or --busy",
                    ));
                }
            };
            let id = match store.add_rule(&pattern, &action, class, position).await {
                Ok(id) => id,
                Err(e @ StoreError::InvalidRule(_)) => return Err(Failure::usage(e)),
                Err(e) => return Err(Failure::runtime(e)),
            };
            if let RuleAction::Extension(number) = &action
                && matches!(store.get_extension(number).await, Ok(None))
            {
                eprintln!("warning: there is no extension {number} (yet): calls get 404");
            }
            println!("{id}");
            Ok(())
        }
        DialplanCommand::List => {
            let rules = store.list_rules().await.map_err(Failure::runtime)?;
            let mut out = std::io::stdout().lock();
            for rule in rules {
                let _ = writeln!(out, "{}", rule_line(&rule));
            }
            Ok(())
        }
        DialplanCommand::Remove { id } => match store.remove_rule(id).await {
            Ok(true) => {
                println!("removed rule {id}");
                Ok(())
            }
            Ok(false) => Err(Failure {
                message: format!("error: no dial plan rule {id}"),
                code: 1,
            }),
            Err(e) => Err(Failure::runtime(e)),
        },
    }
}

/// `id  position  pattern  action  class` (tab-separated; class `auto` when the number
/// decides).
fn rule_line(rule: &Rule) -> String {
    let action = match &rule.action {
        RuleAction::Extension(n) => format!("extension {n}"),
        RuleAction::Route(r) => format!("route {r}"),
        RuleAction::Reject(s) => format!("reject {s}"),
        RuleAction::Busy => "busy".into(),
    };
    let class = rule.class.map_or("auto", |c| c.as_str());
    format!(
        "{}\t{}\t{}\t{action}\t{class}",
        rule.id, rule.position, rule.pattern
    )
}

pub async fn cdr(config: Config, cmd: CdrCommand) -> Result<(), Failure> {
    let store = open_store(&config).await?;
    let result = run_cdr(&store, cmd).await;
    store.close().await;
    result
}

async fn run_cdr(store: &Store, cmd: CdrCommand) -> Result<(), Failure> {
    let CdrCommand::List { since, limit, json } = cmd;
    let records = store
        .list_records(since, limit)
        .await
        .map_err(Failure::runtime)?;
    let mut out = std::io::stdout().lock();
    if json {
        let array: Vec<serde_json::Value> = records.iter().map(record_json).collect();
        let text = serde_json::to_string_pretty(&array).map_err(Failure::runtime)?;
        let _ = writeln!(out, "{text}");
        return Ok(());
    }
    let _ = writeln!(
        out,
        "start\tcaller\tdialed\tcallee\tdisposition\tcause\tduration\tbillable\tcodecs\tid"
    );
    for r in &records {
        let opt = |v: Option<&str>| v.unwrap_or("-").to_owned();
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}/{}\t{}",
            format_ms(r.start_ms),
            r.caller,
            r.dialed,
            r.callee,
            r.disposition,
            r.sip_cause
                .map_or_else(|| "-".to_owned(), |c| c.to_string()),
            r.duration_secs(),
            r.billable_secs(),
            opt(r.codec_a.as_deref()),
            opt(r.codec_b.as_deref()),
            r.id
        );
    }
    Ok(())
}

/// Every field, named as the `cdrs` columns are (leg a = the caller's, b = the callee's).
fn record_json(r: &CallRecord) -> serde_json::Value {
    let mut object = serde_json::json!({
        "id": r.id,
        "call_id": r.call_id,
        "caller": r.caller,
        "callee": r.callee,
        "dialed": r.dialed,
        "start_ms": r.start_ms,
        "answer_ms": r.answer_ms,
        "end_ms": r.end_ms,
        "duration": r.duration_secs(),
        "billable": r.billable_secs(),
        "disposition": r.disposition.as_str(),
        "sip_cause": r.sip_cause,
        "codec_a": r.codec_a,
        "codec_b": r.codec_b,
    });
    if let Some(map) = object.as_object_mut() {
        for (prefix, leg) in [("a", &r.leg_a), ("b", &r.leg_b)] {
            for (name, value) in leg_fields(leg) {
                map.insert(format!("{prefix}_{name}"), value);
            }
        }
    }
    object
}

fn leg_fields(leg: &LegStats) -> [(&'static str, serde_json::Value); 7] {
    use serde_json::Value;
    [
        ("packets_in", leg.packets_in.into()),
        ("bytes_in", leg.bytes_in.into()),
        ("packets_out", leg.packets_out.into()),
        ("lost", leg.lost.into()),
        // NaN is not JSON: null rather than a broken document.
        ("jitter_ms", leg.jitter_ms.into()),
        ("rtcp_lost", leg.rtcp_lost.map_or(Value::Null, Value::from)),
        (
            "rtcp_jitter_ms",
            leg.rtcp_jitter_ms.map_or(Value::Null, Value::from),
        ),
    ]
}
