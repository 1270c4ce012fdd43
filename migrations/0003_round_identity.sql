-- A round is what was played, not the bytes of a file: the same round in two files (line
-- endings, a missing end marker, a partial copy) must be stored once.
--
-- rounds.played_digest is the BLAKE3 hash of the round's rows serialised canonically
-- (format::canonical_digest), so files that differ only in formatting are one round. The
-- partial index makes the map, round number and start time a second key, for files of one
-- round that differ in content: a finished file that supersedes a partial import replaces it
-- (import::identity). A start time of 0 means unknown and identifies nothing.
ALTER TABLE rounds RENAME COLUMN content_sha256 TO played_digest;
ALTER TABLE rounds RENAME CONSTRAINT rounds_content_sha256_key TO rounds_played_digest_key;
CREATE UNIQUE INDEX rounds_played_round ON rounds (map, round_number, start_unix)
    WHERE start_unix > 0;

-- The file's fingerprint: the BLAKE3 hash of its bytes as the attempt read them.
ALTER TABLE import_log RENAME COLUMN content_sha256 TO file_digest;

-- What an import noticed and kept rather than refused (a header figure that disagrees with the
-- rows).
ALTER TABLE import_log ADD COLUMN notes text[] NOT NULL DEFAULT '{}';
