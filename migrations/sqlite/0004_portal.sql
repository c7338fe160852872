-- Portal accounts (issue 5): the people who log in to the web portal, their browser sessions
-- and admins' API tokens; plus indexes for listing call records by number.
-- Same schema as ../postgres/0004_portal.sql; times are unix seconds. Secrets are never
-- stored in clear: password_hash is an argon2id PHC string, token_hash the SHA-256 hex of
-- the session or API token.

-- `name` is stored as the portal normalized it (lower case), so UNIQUE is case-insensitive
-- in effect. A user owns at most one extension and an extension at most one user (the
-- softphone of that user registers as it); removing the extension leaves the user without.
CREATE TABLE users (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    extension     TEXT    REFERENCES extensions (number) ON DELETE SET NULL,
    admin         INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE UNIQUE INDEX users_extension ON users (extension) WHERE extension IS NOT NULL;

-- One row per logged-in browser; the cookie holds the token. `csrf` is the token forms and
-- the X-CSRF-Token header must carry. Sessions die with their user.
CREATE TABLE web_sessions (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    -- the last request, for the idle timeout
    last_seen  INTEGER NOT NULL
);

-- Logging a user out everywhere (and the cascade) finds their sessions without a scan.
CREATE INDEX web_sessions_user_id ON web_sessions (user_id);

-- Bearer tokens for the JSON API; `id` is what the owner names to revoke one.
CREATE TABLE api_tokens (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    -- NULL until first used
    last_used  INTEGER
);

CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

-- Call records of one number (a user's own calls, the admin's number filter) match on
-- caller, callee or dialed, newest first: one index each, so the OR reads three short
-- ranges instead of the whole table.
CREATE INDEX cdrs_caller ON cdrs (caller, start_ms);
CREATE INDEX cdrs_callee ON cdrs (callee, start_ms);
CREATE INDEX cdrs_dialed ON cdrs (dialed, start_ms);
