-- Calls (issue 3): per-extension class of service and features, the dial plan, call records.
-- Same schema as ../postgres/0003_calls.sql; times of calls are unix milliseconds.

-- Class of service: the highest kind of number the extension may dial. 'national' by default:
-- international calling stays off until an admin turns it on (toll fraud).
ALTER TABLE extensions ADD COLUMN class TEXT NOT NULL DEFAULT 'national';
-- Forward targets are numbers as dialed; NULL is "no forward".
ALTER TABLE extensions ADD COLUMN forward_always TEXT;
ALTER TABLE extensions ADD COLUMN forward_busy TEXT;
ALTER TABLE extensions ADD COLUMN forward_noanswer TEXT;
-- Seconds to ring before a no-answer forward (or giving up).
ALTER TABLE extensions ADD COLUMN ring_timeout INTEGER NOT NULL DEFAULT 20;
-- Do not disturb (0/1).
ALTER TABLE extensions ADD COLUMN dnd INTEGER NOT NULL DEFAULT 0;
-- Most calls up at once; NULL is no limit.
ALTER TABLE extensions ADD COLUMN max_calls INTEGER;

-- Ordered dial plan rules: the first match in (position, id) order decides. `target` is the
-- extension number, the route name or the reject status, per `action`.
CREATE TABLE dialplan_rules (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    position   INTEGER NOT NULL,
    pattern    TEXT    NOT NULL,
    action     TEXT    NOT NULL CHECK (action IN ('extension', 'route', 'reject', 'busy')),
    target     TEXT,
    class      TEXT,
    created_at INTEGER NOT NULL
);

CREATE INDEX dialplan_rules_position ON dialplan_rules (position, id);

-- The server serves the dial plan from memory too, reloaded with the extensions when the
-- counter moves.
CREATE TRIGGER dialplan_rules_inserted AFTER INSERT ON dialplan_rules
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER dialplan_rules_updated AFTER UPDATE ON dialplan_rules
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER dialplan_rules_deleted AFTER DELETE ON dialplan_rules
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

-- Call detail records: a row is inserted when the call starts (end_ms NULL, disposition
-- 'in progress') and completed when it ends. duration and billable are whole seconds
-- (start to end, answer to end). Leg a is the caller's, leg b the callee's; *_rtcp_* are
-- what the peer reported in RTCP (NULL when it sent none).
CREATE TABLE cdrs (
    id               TEXT    NOT NULL PRIMARY KEY,
    call_id          TEXT    NOT NULL,
    caller           TEXT    NOT NULL,
    callee           TEXT    NOT NULL,
    dialed           TEXT    NOT NULL,
    start_ms         INTEGER NOT NULL,
    answer_ms        INTEGER,
    end_ms           INTEGER,
    duration         INTEGER NOT NULL DEFAULT 0,
    billable         INTEGER NOT NULL DEFAULT 0,
    disposition      TEXT    NOT NULL,
    sip_cause        INTEGER,
    codec_a          TEXT,
    codec_b          TEXT,
    a_packets_in     INTEGER NOT NULL DEFAULT 0,
    a_bytes_in       INTEGER NOT NULL DEFAULT 0,
    a_packets_out    INTEGER NOT NULL DEFAULT 0,
    a_lost           INTEGER NOT NULL DEFAULT 0,
    a_jitter_ms      REAL    NOT NULL DEFAULT 0,
    a_rtcp_lost      INTEGER,
    a_rtcp_jitter_ms REAL,
    b_packets_in     INTEGER NOT NULL DEFAULT 0,
    b_bytes_in       INTEGER NOT NULL DEFAULT 0,
    b_packets_out    INTEGER NOT NULL DEFAULT 0,
    b_lost           INTEGER NOT NULL DEFAULT 0,
    b_jitter_ms      REAL    NOT NULL DEFAULT 0,
    b_rtcp_lost      INTEGER,
    b_rtcp_jitter_ms REAL
);

CREATE INDEX cdrs_start_ms ON cdrs (start_ms);
