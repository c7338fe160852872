-- A counter bumped by every change to `extensions`, whoever makes it (the server, the CLI in
-- another process, an admin with sqlite3). The server keeps the extensions in memory and reads
-- this one row about once a second to know when to reload them.
-- Same as ../postgres/0002_directory_version.sql.

CREATE TABLE directory_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);

INSERT INTO directory_version (id, version) VALUES (1, 0);

CREATE TRIGGER extensions_inserted AFTER INSERT ON extensions
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER extensions_updated AFTER UPDATE ON extensions
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER extensions_deleted AFTER DELETE ON extensions
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
