-- Omni-bots are told from people by their GUID ("OMNIBOT" and the slot, the only mark the round
-- files carry): they play, but their figures are not people's, so rankings, duos, medians and
-- round highlights leave them out unless a server asks for them (PROXIMITY_INCLUDE_BOTS).
CREATE FUNCTION is_bot_guid(guid text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT upper(guid) LIKE 'OMNIBOT%' $$;
ALTER TABLE players ADD COLUMN is_bot boolean GENERATED ALWAYS AS (is_bot_guid(guid)) STORED;
