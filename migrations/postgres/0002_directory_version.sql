-- A counter bumped by every change to `extensions`, whoever makes it (the server, the CLI in
-- another process, an admin with psql). The server keeps the extensions in memory and reads
-- this one row about once a second to know when to reload them.
-- Same as ../sqlite/0002_directory_version.sql.

CREATE TABLE directory_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);

INSERT INTO directory_version (id, version) VALUES (1, 0);

CREATE FUNCTION bump_directory_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER extensions_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON extensions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_directory_version();
