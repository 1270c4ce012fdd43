-- Rounds belong to the game server they came from (`SERVERS`), by its label. A round's identity
-- stays its content (played_digest and the round key): the same round from two files is still
-- one round, with the label of the server it was first stored from. Rounds stored before
-- servers existed came from the one folder, now the server `default`.
ALTER TABLE rounds ADD COLUMN server text NOT NULL DEFAULT 'default';

-- Questions about one server read its rounds by label and time.
CREATE INDEX rounds_server_played_at ON rounds (server, played_at);
