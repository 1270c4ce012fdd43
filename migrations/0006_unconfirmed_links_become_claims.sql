-- Links made before /link needed an admin were never checked: they wait for confirmation like
-- any claim, instead of being trusted and shown on /player.
INSERT INTO discord_link_requests (discord_user_id, discord_name, guid, requested_at)
SELECT discord_user_id, '(linked before confirmation)', guid, linked_at
FROM discord_links WHERE confirmed_by IS NULL
ON CONFLICT (discord_user_id) DO NOTHING;
DELETE FROM discord_links WHERE confirmed_by IS NULL;
