-- SIP trunks (issue 6): the providers' trunks, the company numbers (DIDs) that come in on
-- them and the outbound routes that send dialed numbers out through them.
-- Same schema as ../postgres/0005_trunks.sql; times are unix seconds.
--
-- A trunk cannot be removed while a DID or a route uses it: the foreign keys below have no
-- ON DELETE action, so the database refuses and the store names what still uses it. Trunks
-- are referred to by name (what admins type); ON UPDATE CASCADE keeps a rename consistent.

-- Registration: username, password and expires are all set (we register) or all NULL
-- (IP-authenticated). The password is kept in clear because digest needs it; it is never
-- shown again after saving. `allow` and `codecs` are comma-separated lists ('' for none);
-- `port` NULL is the transport's default port.
CREATE TABLE trunks (
    id               INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL UNIQUE,
    host             TEXT    NOT NULL,
    port             INTEGER CHECK (port BETWEEN 1 AND 65535),
    transport        TEXT    NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
    username         TEXT,
    password         TEXT,
    expires          INTEGER,
    allow            TEXT    NOT NULL DEFAULT '',
    codecs           TEXT    NOT NULL,
    srtp             TEXT    NOT NULL DEFAULT 'off' CHECK (srtp IN ('off', 'offer', 'require')),
    -- most calls at once; NULL is no limit
    channels         INTEGER CHECK (channels >= 1),
    -- seconds between OPTIONS health checks; 0 is off
    options_interval INTEGER NOT NULL DEFAULT 0 CHECK (options_interval >= 0),
    caller_id        TEXT,
    ca_file          TEXT,
    created_at       INTEGER NOT NULL,
    CHECK ((username IS NULL AND password IS NULL AND expires IS NULL)
        OR (username IS NOT NULL AND password IS NOT NULL AND expires IS NOT NULL))
);

-- A company number as the provider sends it. `targets` is the comma-separated list of
-- extensions rung together; `failover` an extension or an outside number (NULL: none).
-- Targets are checked when the DID is added; an extension removed later is simply not
-- reachable, and the failover takes the call.
CREATE TABLE dids (
    number     TEXT    NOT NULL PRIMARY KEY,
    trunk      TEXT    NOT NULL REFERENCES trunks (name) ON UPDATE CASCADE,
    targets    TEXT    NOT NULL,
    failover   TEXT,
    created_at INTEGER NOT NULL
);

CREATE INDEX dids_trunk ON dids (trunk);

-- Ordered like the dial plan: the first match in (position, id) order decides.
CREATE TABLE outbound_routes (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    position   INTEGER NOT NULL,
    pattern    TEXT    NOT NULL,
    strip      INTEGER NOT NULL DEFAULT 0 CHECK (strip >= 0),
    prepend    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE INDEX outbound_routes_position ON outbound_routes (position, id);

-- A route's trunks in the order they are tried (a table rather than a list, so the
-- database itself refuses to remove a trunk a route still uses).
CREATE TABLE outbound_route_trunks (
    route_id INTEGER NOT NULL REFERENCES outbound_routes (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    trunk    TEXT    NOT NULL REFERENCES trunks (name) ON UPDATE CASCADE,
    PRIMARY KEY (route_id, position),
    UNIQUE (route_id, trunk)
);

CREATE INDEX outbound_route_trunks_trunk ON outbound_route_trunks (trunk);

-- The server serves all of this from memory, reloaded with the extensions and the dial plan
-- when the directory_version counter (0002) moves.
CREATE TRIGGER trunks_inserted AFTER INSERT ON trunks
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER trunks_updated AFTER UPDATE ON trunks
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER trunks_deleted AFTER DELETE ON trunks
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER dids_inserted AFTER INSERT ON dids
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER dids_updated AFTER UPDATE ON dids
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER dids_deleted AFTER DELETE ON dids
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER outbound_routes_inserted AFTER INSERT ON outbound_routes
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER outbound_routes_updated AFTER UPDATE ON outbound_routes
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER outbound_routes_deleted AFTER DELETE ON outbound_routes
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER outbound_route_trunks_inserted AFTER INSERT ON outbound_route_trunks
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER outbound_route_trunks_updated AFTER UPDATE ON outbound_route_trunks
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER outbound_route_trunks_deleted AFTER DELETE ON outbound_route_trunks
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
