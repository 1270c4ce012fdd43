-- Omni-bots are told from people by their GUID ("OMNIBOT" and the slot, the only mark the round
-- files carry): they play, but their figures are not people's, so rankings, duos, medians and
-- round highlights leave them out unless a server asks for them (PROXIMITY_INCLUDE_BOTS).
CREATE FUNCTION is_bot_guid(guid text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT upper(guid) LIKE 'OMNIBOT%' $$;
ALTER TABLE players ADD COLUMN is_bot boolean GENERATED ALWAYS AS (is_bot_guid(guid)) STORED;
-- A player's name as lists show it: a bot's ends in a [BOT] mark (after a colour reset).
CREATE FUNCTION marked_name(name bytea, guid text) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN is_bot_guid(guid)
                      THEN coalesce(name, ''::bytea) || '\x5e37205b424f545d'::bytea
                      ELSE coalesce(name, ''::bytea) END $$;
