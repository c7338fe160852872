//! What the server costs, read from /proc: CPU time (utime + stime, all threads, optionally
//! all descendant processes) and proportional set size.

use std::collections::HashMap;
use std::fs;

/// USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux ABI we run on.
pub const TICKS_PER_SECOND: f64 = 100.0;

/// (ppid, utime + stime) from /proc/PID/stat.
fn stat(pid: u32) -> Option<(u32, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may contain spaces and parentheses: fields start after the last ')'
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15
    let ppid = f.get(1)?.parse().ok()?;
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((ppid, utime + stime))
}

/// CPU seconds used so far by `pid`, plus its descendants when `tree`.
pub fn cpu_seconds(pid: u32, tree: bool) -> Option<f64> {
    let own = stat(pid)?.1;
    if !tree {
        return Some(own as f64 / TICKS_PER_SECOND);
    }
    let mut all: HashMap<u32, (u32, u64)> = HashMap::new();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        if let Some(p) = entry.file_name().to_str().and_then(|n| n.parse().ok())
            && let Some(s) = stat(p)
        {
            all.insert(p, s);
        }
    }
    let mut total = own;
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (&child, &(ppid, ticks)) in &all {
            if ppid == p && child != pid {
                total += ticks;
                frontier.push(child);
            }
        }
    }
    Some(total as f64 / TICKS_PER_SECOND)
}

/// CPU seconds of this process.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id(), false).unwrap_or(0.0)
}

/// Proportional set size in KiB (/proc/PID/smaps_rollup).
pub fn pss_kib(pid: u32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The oldest process whose comm is `name` (so a daemon's main process, not a worker).
pub fn find_by_name(name: &str) -> Option<u32> {
    let mut found: Vec<u32> = fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .filter(|p: &u32| {
            fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .collect();
    found.sort_unstable();
    found.first().copied()
}

/// A `--pid` argument: a number, or a process name.
pub fn resolve(spec: &str) -> Option<u32> {
    spec.parse().ok().or_else(|| find_by_name(spec))
}

/// The one CPU `pid` may run on, when it is pinned to a single one (Cpus_allowed_list).
pub fn pinned_cpu(pid: u32) -> Option<usize> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let list = text
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?
        .trim();
    list.parse().ok()
}

/// Seconds CPU `cpu` has spent running tasks (user, nice, system; not interrupts) so far,
/// from /proc/stat: with the server's own CPU time it tells how much of the server's core
/// other processes took.
pub fn cpu_busy_seconds(cpu: usize) -> Option<f64> {
    let text = fs::read_to_string("/proc/stat").ok()?;
    let name = format!("cpu{cpu}");
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name.as_str()))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    (ticks.len() == 3).then(|| ticks.iter().sum::<u64>() as f64 / TICKS_PER_SECOND)
}
