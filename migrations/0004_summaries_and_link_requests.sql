-- Round summaries are durable: a round waits here until its summary reached Discord, so a
-- failed post is retried, survives a restart, and a backlog becomes one digest.
ALTER TABLE rounds ADD COLUMN summary_posted_at timestamptz;
-- Rounds imported before this version were announced then (or were never meant to be).
UPDATE rounds SET summary_posted_at = imported_at;
CREATE INDEX rounds_summary_unposted ON rounds (id) WHERE summary_posted_at IS NULL;

-- /link claims wait for an admin's confirmation (anyone could otherwise claim anyone).
CREATE TABLE discord_link_requests (
    discord_user_id bigint PRIMARY KEY,
    discord_name    text        NOT NULL,
    guid            text        NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now()
);
-- Who confirmed a link; NULL for links made before confirmation existed.
ALTER TABLE discord_links ADD COLUMN confirmed_by bigint;
CREATE INDEX discord_links_guid ON discord_links (guid);
