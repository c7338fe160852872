//! The ramp: add calls up to each step's N, let them settle, measure a window, print a row;
//! stop when more than `miss_limit` of the frames missed their deadline, or when the
//! generator itself cannot keep up (near a whole core, or sending fewer frames than due):
//! then it, not the server, would be the limit.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tokio::sync::{oneshot, watch};
use tokio::time::{sleep, timeout};

use crate::call::{Call, FRAME};
use crate::caller;
use crate::phone::{Pending, Phone};
use crate::procfs;
use crate::scenario::{CALLEE_TONE_HZ, CALLER_TONE_HZ};
use crate::stats::Window;
use crate::tone::Tones;
use crate::ua::Target;
use crate::{Args, split_cred};

/// Below this share of the frames due sent in a window, the generator fell behind.
const GENERATOR_KEPT_UP: f64 = 0.98;

/// One measured step.
struct Row {
    n: usize,
    up: Window,
    down: Window,
    all: Window,
    wall: f64,
    cpu: f64,
    also_cpu: Option<f64>,
    gen_cpu: f64,
    /// CPU time other processes took on the server's core (when it is pinned to one).
    others_cpu: Option<f64>,
    pss_kib: u64,
    pss0_kib: u64,
}

impl Row {
    fn cores(&self) -> f64 {
        self.cpu / self.wall
    }
    fn calls_per_core(&self) -> f64 {
        if self.cpu <= 0.0 {
            return f64::INFINITY;
        }
        self.n as f64 / self.cores()
    }
    fn kib_per_call(&self) -> f64 {
        (self.pss_kib as f64 - self.pss0_kib as f64) / self.n as f64
    }
    fn gen_share(&self) -> f64 {
        self.gen_cpu / self.wall
    }
    /// Frames the generator sent in the window over those due (every call, both ways, every
    /// 20 ms): below 1 it fell behind, and the server had less to do than N calls.
    fn sent_share(&self) -> f64 {
        let due = 2.0 * self.n as f64 * self.wall / FRAME.as_secs_f64();
        if due <= 0.0 {
            return 1.0;
        }
        self.all.expected as f64 / due
    }
    fn others_pct(&self) -> String {
        self.others_cpu.map_or_else(
            || "-".to_string(),
            |c| format!("{:.0}", 100.0 * c / self.wall),
        )
    }
}

fn us(v: Option<u32>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn header(args: &Args) {
    println!(
        "media-load {} {}: {}, {} s per step, deadline 20 ms",
        args.label,
        args.scenario.name(),
        args.scenario.describe(),
        args.seconds
    );
    println!(
        "  µs per packet: send (right before sendto) to the kernel's arrival stamp at the far end \
         (SO_TIMESTAMPNS), the time through the server; \"p99 rd\" is send to the generator reading \
         it (earlier versions' p99, the generator's own scheduling included). →callee/→caller: each direction; \
         \"tx%\": frames the generator sent of those due; \"oth%\": the server's core used by other processes"
    );
    println!(
        "{:>5} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>6} {:>5} {:>5}{}",
        "calls",
        "miss%",
        "→callee%",
        "→caller%",
        "p50 µs",
        "p99 µs",
        "p99→ce",
        "p99→cr",
        "p99 rd",
        "srv CPU%",
        "calls/c",
        "PSS MiB",
        "KiB/call",
        "gen%",
        "oth%",
        "tx%",
        if args.also.is_some() {
            "  sig CPU%"
        } else {
            ""
        }
    );
}

fn print_row(r: &mut Row) {
    let also = r
        .also_cpu
        .map(|c| format!(" {:>9.1}", 100.0 * c / r.wall))
        .unwrap_or_default();
    let p50 = r.all.quantile(0.5);
    let p99 = r.all.quantile(0.99);
    println!(
        "{:>5} {:>7.3} {:>8.3} {:>8.3} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>6.0} {:>5} {:>5.1}{}",
        r.n,
        100.0 * r.all.miss_ratio(),
        100.0 * r.up.miss_ratio(),
        100.0 * r.down.miss_ratio(),
        us(p50),
        us(p99),
        us(r.up.quantile(0.99)),
        us(r.down.quantile(0.99)),
        us(r.all.read_quantile(0.99)),
        100.0 * r.cores(),
        r.calls_per_core(),
        r.pss_kib as f64 / 1024.0,
        r.kib_per_call(),
        100.0 * r.gen_share(),
        r.others_pct(),
        100.0 * r.sent_share(),
        also
    );
}

pub async fn run(args: Args) -> Result<()> {
    let pid = procfs::resolve(&args.pid).ok_or_else(|| anyhow!("no process {}", args.pid))?;
    let also = match &args.also {
        Some(spec) => {
            let (name, p) = spec.split_once('=').unwrap_or(("other", spec));
            let p = procfs::resolve(p).ok_or_else(|| anyhow!("no process {p}"))?;
            Some((name.to_string(), p))
        }
        None => None,
    };
    let (user, password) = split_cred(&args.caller)?;
    let (callee_user, callee_password) = split_cred(&args.callee)?;
    let target = Rc::new(Target {
        ws_url: args.ws.clone(),
        sip: args.sip,
        domain: args.domain.clone(),
        user,
        password,
        callee: callee_user.clone(),
        caller_base: args.caller_base,
    });
    let scenario = args.scenario;
    let tones = Rc::new(Tones::new(scenario)?);
    let epoch = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let pending: Pending = Rc::new(RefCell::new(VecDeque::new()));

    let mut phone = Phone::bind(
        args.sip,
        &callee_user,
        &callee_password,
        &args.domain,
        scenario.callee(),
        pending.clone(),
        tones.clone(),
        epoch,
    )
    .await?;
    phone.register().await.context("the phone's registration")?;
    let refused = phone.refused.clone();
    tokio::task::spawn_local(phone.run(stop_rx.clone()));

    sleep(Duration::from_millis(500)).await;
    let pss0 = procfs::pss_kib(pid).ok_or_else(|| anyhow!("cannot read PSS of {pid}"))?;
    let server_core = procfs::pinned_cpu(pid);
    header(&args);

    let mut calls: Vec<Rc<Call>> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut stopped_by = String::from("the last step");
    let mut generator_limited = false;
    let steps: Vec<usize> = args
        .steps
        .clone()
        .unwrap_or_else(|| scenario.default_steps().to_vec())
        .into_iter()
        .filter(|n| *n <= args.max)
        .collect();
    for &n in &steps {
        // add calls one at a time (the phone pairs an INVITE with the call waiting for it)
        let mut failed_here = 0;
        while calls.len() < n {
            let call = Rc::new(Call::new(calls.len(), scenario));
            pending.borrow_mut().push_back(call.clone());
            let (tx, rx) = oneshot::channel();
            tokio::task::spawn_local(caller::run(
                call.clone(),
                scenario,
                target.clone(),
                tones.clone(),
                epoch,
                tx,
                stop_rx.clone(),
            ));
            let setup = timeout(Duration::from_secs(10), rx).await;
            pending.borrow_mut().retain(|c| !Rc::ptr_eq(c, &call));
            match setup {
                Ok(Ok(Ok(()))) => calls.push(call),
                other => {
                    let why = match other {
                        Ok(Ok(Err(e))) => format!("{e:#}"),
                        Ok(Err(_)) => "caller task ended".to_string(),
                        _ => "no answer within 10 s".to_string(),
                    };
                    failed_here += 1;
                    failures.push(format!("call {}: {why}", call.id));
                    if failed_here >= 3 {
                        break;
                    }
                }
            }
        }
        if failed_here >= 3 {
            stopped_by = format!("call setup failing at {} calls", calls.len());
            break;
        }
        // every call's media both ways, then a second to settle
        let t0 = Instant::now();
        while calls.iter().any(|c| !c.ended.get() && !c.media_both_ways())
            && t0.elapsed() < Duration::from_secs(10)
        {
            sleep(Duration::from_millis(50)).await;
        }
        let silent = calls.iter().filter(|c| !c.media_both_ways()).count();
        if silent > 0 {
            failures.push(format!(
                "at {n} calls: {silent} calls without media both ways after 10 s"
            ));
        }
        sleep(Duration::from_secs(1)).await;

        let cpu0 =
            procfs::cpu_seconds(pid, args.pid_tree).ok_or_else(|| anyhow!("server {pid} gone"))?;
        let also0 = also
            .as_ref()
            .and_then(|(_, p)| procfs::cpu_seconds(*p, true));
        let gen0 = procfs::own_cpu_seconds();
        let busy0 = server_core.and_then(procfs::cpu_busy_seconds);
        let w0 = Instant::now();
        sleep(Duration::from_secs(args.seconds)).await;
        let w1 = Instant::now();
        let cpu1 =
            procfs::cpu_seconds(pid, args.pid_tree).ok_or_else(|| anyhow!("server {pid} gone"))?;
        let also1 = also
            .as_ref()
            .and_then(|(_, p)| procfs::cpu_seconds(*p, true));
        let gen1 = procfs::own_cpu_seconds();
        let busy1 = server_core.and_then(procfs::cpu_busy_seconds);
        let pss = procfs::pss_kib(pid).unwrap_or(0);
        // late frames of the window still count as late: give them time to arrive
        sleep(Duration::from_millis(300)).await;

        let (mut up, mut down) = (Window::default(), Window::default());
        for c in &calls {
            up.merge(c.up.borrow().window(w0, w1));
            down.merge(c.down.borrow().window(w0, w1));
            c.up.borrow_mut().prune(w1);
            c.down.borrow_mut().prune(w1);
        }
        let all = Window::both(&up, &down);
        let also_cpu = also0.zip(also1).map(|(a, b)| b - a);
        let others_cpu = busy0
            .zip(busy1)
            .map(|(a, b)| (b - a - (cpu1 - cpu0) - also_cpu.unwrap_or(0.0)).max(0.0));
        let mut row = Row {
            n: calls.len(),
            up,
            down,
            all,
            wall: (w1 - w0).as_secs_f64(),
            cpu: cpu1 - cpu0,
            also_cpu,
            gen_cpu: gen1 - gen0,
            others_cpu,
            pss_kib: pss,
            pss0_kib: pss0,
        };
        print_row(&mut row);
        let miss = row.all.miss_ratio();
        let gen_share = row.gen_share();
        let sent_share = row.sent_share();
        rows.push(row);
        if miss > args.miss_limit {
            stopped_by = format!(
                "{:.2} % of frames missed at {} calls",
                100.0 * miss,
                calls.len()
            );
            break;
        }
        if gen_share > args.gen_limit || sent_share < GENERATOR_KEPT_UP {
            stopped_by = format!(
                "the generator saturated ({:.0} % of its core, {:.1} % of frames sent) at {} calls, not the server",
                100.0 * gen_share,
                100.0 * sent_share,
                calls.len()
            );
            generator_limited = true;
            break;
        }
    }

    let _ = stop_tx.send(true);
    // let the callers' BYEs go out and be answered
    let t0 = Instant::now();
    while calls.iter().any(|c| !c.ended.get()) && t0.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(50)).await;
    }

    for f in failures.iter().take(5) {
        println!("  failure: {f}");
    }
    if failures.len() > 5 {
        println!("  ... {} failures in all", failures.len());
    }
    for r in refused.borrow().iter().take(3) {
        println!("  phone refused: {r}");
    }
    let errors: Vec<String> = calls
        .iter()
        .filter_map(|c| {
            c.error
                .borrow()
                .as_ref()
                .map(|e| format!("call {}: {e}", c.id))
        })
        .collect();
    for e in errors.iter().take(5) {
        println!("  call error: {e}");
    }
    if errors.len() > 5 {
        println!("  ... {} call errors in all", errors.len());
    }
    let heard = |f: fn(&Call) -> Option<bool>| {
        let yes = calls.iter().filter(|c| f(c) == Some(true)).count();
        let checked = calls.iter().filter(|c| f(c).is_some()).count();
        (yes, checked)
    };
    let (yes, checked) = heard(|c| c.callee_heard.get());
    println!(
        "  caller -> callee: {yes} of {checked} callees heard the caller's {CALLER_TONE_HZ} Hz tone \
         ({} frame 100 decoded, Goertzel)",
        scenario.callee().codec.name()
    );
    if scenario.caller_phone().is_some() {
        let (yes, checked) = heard(|c| c.caller_heard.get());
        println!(
            "  callee -> caller: {yes} of {checked} callers heard the callee's {CALLEE_TONE_HZ} Hz tone \
             ({} frame 100 decoded, Goertzel)",
            scenario.caller_codec().name()
        );
    }
    let received: u64 = calls.iter().map(|c| c.down.borrow().received).sum();
    let decrypted: u64 = calls.iter().map(|c| c.decrypted.get()).sum();
    match scenario.caller_phone() {
        None => println!(
            "  callee -> browser: {decrypted} of {received} SRTP packets decrypted by the test peer{}",
            if decrypted < received / 2 {
                " (it drops streams whose SSRC the answer did not signal; timed from the SRTP header)"
            } else {
                ""
            }
        ),
        Some(p) if p.srtp => println!(
            "  callee -> caller: {decrypted} SDES-SRTP packets authenticated and decrypted by the caller \
             (only those are counted as received)"
        ),
        Some(_) => {}
    }
    let realigned: u64 = calls
        .iter()
        .map(|c| c.up.borrow().realigned + c.down.borrow().realigned)
        .sum();
    if realigned > 0 {
        println!(
            "  frame matching realigned {realigned} times (frames dropped or added by the server)"
        );
    }
    summary(&args, &mut rows, &stopped_by, generator_limited);
    if rows.is_empty() {
        bail!("no step was measured");
    }
    Ok(())
}

/// The last step within the miss limit: the figures the targets are checked against.
fn summary(args: &Args, rows: &mut [Row], stopped_by: &str, generator_limited: bool) {
    // a step the generator did not keep up with says nothing of the server
    let usable = rows.len() - usize::from(generator_limited);
    let Some(best) = rows
        .iter_mut()
        .take(usable)
        .rfind(|r| r.all.miss_ratio() <= args.miss_limit)
    else {
        println!(
            "SUMMARY {} scenario={} ok_calls=0 stopped=\"{stopped_by}\"",
            args.label,
            args.scenario.name()
        );
        return;
    };
    let p99 = best.all.quantile(0.99).unwrap_or(0);
    let p99_read = best.all.read_quantile(0.99).unwrap_or(0);
    println!(
        "SUMMARY {} scenario={} ok_calls={} calls_per_core={:.1} kib_per_call={:.1} p99_us={} p99_read_us={} cpu_pct={:.1} gen_cpu_pct={:.0} others_pct={} stopped=\"{stopped_by}\"",
        args.label,
        args.scenario.name(),
        best.n,
        best.calls_per_core(),
        best.kib_per_call(),
        p99,
        p99_read,
        100.0 * best.cores(),
        100.0 * best.gen_share(),
        best.others_pct(),
    );
}
