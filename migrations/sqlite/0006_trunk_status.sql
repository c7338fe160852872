-- What the running server last found about each trunk (issue 6), so that `switchboard trunk
-- list`, a separate process, can show it. Written by the trunk driver on each change; it is
-- a report, not configuration, so no trigger moves directory_version. Same schema as
-- ../postgres/0006_trunk_status.sql; times are unix seconds.
--
-- registered_until: when the provider's binding lapses (NULL: not registered, or the trunk
-- does not register); reachable: the OPTIONS verdict (NULL: unknown or checks off);
-- last_error: the most recent failure as admins should read it.
CREATE TABLE trunk_status (
    name             TEXT    NOT NULL PRIMARY KEY
                             REFERENCES trunks (name) ON UPDATE CASCADE ON DELETE CASCADE,
    registered_until INTEGER,
    reachable        INTEGER CHECK (reachable IN (0, 1)),
    last_error       TEXT,
    updated_at       INTEGER NOT NULL
);
