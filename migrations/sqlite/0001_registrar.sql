-- Extensions (who may register) and registrar bindings (where they are).
-- Same schema as ../postgres/0001_registrar.sql; times are unix seconds.

CREATE TABLE extensions (
    number     TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '',
    -- plaintext SIP password: MD5 and SHA-256 digests both need it
    sip_secret TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE bindings (
    aor           TEXT    NOT NULL REFERENCES extensions (number) ON DELETE CASCADE,
    contact       TEXT    NOT NULL,
    instance      TEXT,
    reg_id        INTEGER,
    q             TEXT,
    call_id       TEXT    NOT NULL,
    cseq          INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    -- the flow the REGISTER came over (RFC 5626): requests go back over it
    transport     TEXT    NOT NULL,
    remote_addr   TEXT    NOT NULL,
    local_addr    TEXT    NOT NULL,
    connection_id INTEGER,
    user_agent    TEXT,
    PRIMARY KEY (aor, contact)
);

CREATE INDEX bindings_expires_at ON bindings (expires_at);
