--[[
proximity_tracker.lua: ET:Legacy proximity tracker (round file V4, see round_file_format.md).

Drop this file into the server's fs_game folder and add it to `lua_modules`, next to other
modules (for example `lua_modules "c0rnp0rn.lua proximity_tracker.lua"`). It records, for every
live round, the fights (engagements, crossfires, escapes), one track per life with a 200 ms path,
heatmaps and reaction metrics, revives (with the engine's own record of the medic), how every
player downed by an enemy ended, shots/hits/headshots per weapon, hit regions and how each kill
fell against the enemy's reinforcement wave, the objective game (plants, defuses, destructions,
constructions, repairs, checkpoint captures, flag/document carries and returns, vehicle escorts)
and the round's winner, defender and time set, and writes `proximity/<date>-<map>-round-<N>_engagements.txt`
(via `<name>.tmp` and a rename) at round end, or at shutdown if the round is cut short.

It defines no globals besides the et_* callbacks, never returns a value from a callback and
spreads its work so that no server frame is stalled.
]]

local CONFIG = {
    output_dir = "proximity",        -- under <fs_homepath>/<fs_game>/
    sample_interval_ms = 200,        -- path sample interval per player
    crossfire_window_ms = 1000,      -- 2nd attacker's first hit within this of the 1st's
    escape_time_ms = 5000,           -- no damage for this long ...
    escape_distance = 300,           -- ... and this far from the last hit = escaped
    engagement_timeout_ms = 15000,   -- no damage for this long = timeout
    heatmap_grid = 512,              -- heatmap cell size (units)
    reaction_window_ms = 5000,       -- return fire / dodge / support within this of the 1st hit
    first_move_speed = 10,           -- u/s: first sample faster than this = first move
    dodge_angle_cos = 0.7071,        -- heading change over 45 degrees counts as a dodge
    write_budget_ms = 4,             -- CPU budget per frame while the file is being built
    features = {
        engagements = true,
        player_tracks = true,
        heatmaps = true,
        reactions = true,
        revives = true,
        kill_outcome = true,
        weapon_accuracy = true,
        hit_regions = true,
        spawn_timing = true,
        objective_events = true,
        carrier_events = true,
        carrier_returns = true,
        escort_credit = true,
    },
    under_fire_ms = 3000,            -- enemy damage this long before a revive = under fire
}

local VERSION = "proximity-tracker 1.0.0"
local PREFIX = "[proximity] "

local et = et
local fmt, floor, sqrt, concat, sort = string.format, math.floor, math.sqrt, table.concat, table.sort
local tointeger, tonumber, pairs, pcall = math.tointeger, tonumber, pairs, pcall
local gget = et.gentity_get

-- Engine values that `et` does not register (or only since 2.84).
local EF_PRONE = et.EF_PRONE or 0x80000
local PMF_DUCKED, PMF_FOLLOW, PMF_LIMBO = 1, 4096, 16384
local PM_DEAD = 3
local STAT_SPRINTTIME = 8
local MOD_FALLING, MOD_SUICIDE, MOD_SWITCHTEAM = 32, 33, 59
local CS_LEVEL_START_TIME = et.CS_LEVEL_START_TIME or 11
local CS_REINFSEEDS = et.CS_REINFSEEDS or 31
local REINF_SEEDS = { 11, 3, 13, 7, 2, 5, 1, 17 } -- aReinfSeeds (bg_misc.c)
local FORCE_LIMBO_HEALTH, GIB_HEALTH = -113, -175
local HIT_REGIONS = "pers.playerStats.hitRegions"
local HR_HEAD = 0
local FS_WRITE = et.FS_WRITE or 1
local TEAM_NAME = { [1] = "AXIS", [2] = "ALLIES" }
local CLASS_NAME = { [0] = "SOLDIER", [1] = "MEDIC", [2] = "ENGINEER", [3] = "FIELDOPS", [4] = "COVERTOPS" }

-- Means of death -> weapon (WP_*) for the attackers' weapon counts.
local MOD_WEAPON = {
    [5] = 1, [6] = 2, [7] = 7, [8] = 3, [9] = 8, [10] = 10, [11] = 25, [12] = 14, [13] = 32,
    [14] = 42, [15] = 5, [16] = 4, [17] = 6, [18] = 9, [22] = 15, [23] = 22, [24] = 11,
    [26] = 20, [37] = 24, [38] = 23, [39] = 37, [40] = 38, [41] = 26, [42] = 27, [44] = 30,
    [45] = 39, [46] = 40, [50] = 31, [51] = 41, [52] = 34, [53] = 35, [54] = 36, [55] = 45,
    [56] = 46, [61] = 48, [62] = 49, [63] = 51, [64] = 53, [65] = 1, [66] = 54,
}

-- Deployed (set) variants fire under their own number; their hits come back as the base weapon.
local WEAPON_BASE = { [43] = 34, [47] = 30, [50] = 49, [52] = 51 }

---------------------------------------------------------------------------------------------------
-- Module state (all local; a lua_restart starts from scratch and initialises lazily)

local back_in              -- defined with the kill outcomes, used by the tracks
local escort_candidate     -- defined with the escorts, used by the position samples
local sample_carrier       -- defined with the carriers, used by the position samples
local inited = false       -- et_InitGame or the first et_RunFrame ran in this VM
local maxclients = 64
local group_count = 4      -- players are sampled in this many staggered groups
local frame_no = 0
local R = nil              -- the live round being recorded, nil otherwise
local writer = nil         -- coroutine building/writing a finished round
local errors = 0

local function log(msg)
    et.G_Print(PREFIX .. msg .. "\n")
end

-- Runs f in protected mode; an error is logged (a few times) instead of spamming the console.
local function guard(name, f, ...)
    local ok, err = pcall(f, ...)
    if not ok then
        errors = errors + 1
        if errors <= 10 then
            log("ERROR in " .. name .. ": " .. tostring(err))
        end
    end
end

local function int(v)
    return tointeger(v) or floor(tonumber(v) or 0)
end

-- A finite coordinate (garbage entities can hold NaN or absurd values).
local function coord(v)
    if v ~= v or v > 1e7 or v < -1e7 then
        return 0.0
    end
    return v
end

local function sanitize(s)
    s = (s or ""):gsub("[;|,\t]", "_"):gsub("[\r\n]", "")
    if #s > 256 then
        s = s:sub(1, 256)
    end
    return s
end

---------------------------------------------------------------------------------------------------
-- Players

local function player(cn)
    local p = R.players[cn]
    if not p then
        p = { attacking = {} }
        R.players[cn] = p
    end
    return p
end

local function client_guid(cn)
    local p = player(cn)
    if p.guid then
        return p.guid
    end
    local g = et.Info_ValueForKey(et.trap_GetUserinfo(cn), "cl_guid") or ""
    g = sanitize((g:gsub("^%s+", ""):gsub("%s+$", "")))
    if g == "" or g:lower() == "unknown" then
        g = "SLOT" .. cn
    end
    p.guid = g
    return g
end

-- Read at the moment it is needed: after a map_restart the engine's name is empty at connect.
local function client_name(cn)
    local n = gget(cn, "pers.netname") or ""
    if n == "" then
        n = et.Info_ValueForKey(et.trap_GetUserinfo(cn), "name") or ""
    end
    n = sanitize(n)
    if n == "" then
        n = client_guid(cn)
    end
    return n
end

local function team_of(cn)
    return gget(cn, "sess.sessionTeam")
end

-- A player in the world on a team (never a spectator or limbo follower: their playerstate
-- mirrors someone else's). Returns pm_flags when sampleable.
local function sampleable(cn)
    local team = gget(cn, "sess.sessionTeam")
    if team ~= 1 and team ~= 2 then
        return nil
    end
    if gget(cn, "health") <= 0 then
        return nil
    end
    local pmf = gget(cn, "ps.pm_flags")
    if pmf & (PMF_FOLLOW | PMF_LIMBO) ~= 0 or gget(cn, "ps.pm_type") == PM_DEAD then
        return nil
    end
    return pmf
end

local function heat_cell(map, x, y, make)
    if x ~= x or y ~= y or x > 1e7 or x < -1e7 or y > 1e7 or y < -1e7 then
        return nil
    end
    local g = CONFIG.heatmap_grid
    local gx, gy = floor(x / g), floor(y / g)
    local col = map[gx]
    if not col then
        col = {}
        map[gx] = col
    end
    local cell = col[gy]
    if not cell then
        cell = make()
        col[gy] = cell
    end
    return cell
end

local function new_kill_cell() return { 0, 0 } end
local function new_move_cell() return { 0, 0, 0 } end

---------------------------------------------------------------------------------------------------
-- Tracks (one per life)

-- Reads the full state of a client and appends one path point.
local function path_point(cn, tr, t, event, pmf)
    local o = gget(cn, "ps.origin")
    local v = gget(cn, "ps.velocity")
    local health = gget(cn, "health")
    local weapon = gget(cn, "ps.weapon")
    local ef = gget(cn, "ps.eFlags")
    pmf = pmf or gget(cn, "ps.pm_flags")
    local stamina = gget(cn, "ps.stats", STAT_SPRINTTIME)
    local vx, vy = coord(v[1]), coord(v[2])
    local speed = sqrt(vx * vx + vy * vy)
    local stance = 0
    if ef & EF_PRONE ~= 0 then
        stance = 2
    elseif pmf & PMF_DUCKED ~= 0 then
        stance = 1
    end
    local sprint = 0
    local last = tr.stamina
    if last and stamina < last and speed > CONFIG.first_move_speed then
        sprint = 1
    end
    tr.stamina = stamina
    local x, y, z = coord(o[1]), coord(o[2]), coord(o[3])
    if #R.obj.movers > 0 then
        escort_candidate(cn, x, y)
    end
    local path = tr.path
    local n = #path + 1
    path[n] = fmt("%d,%.1f,%.1f,%.1f,%d,%.0f,%d,%d,%d,%s", t, x, y, z, int(health), speed,
        int(weapon), stance, sprint, event)
    tr.samples = tr.samples + 1
    if n >= 64 then
        -- Fold recent samples into one string: fewer objects for the garbage collector.
        local chunks = tr.chunks
        chunks[#chunks + 1] = concat(path, "|")
        for i = n, 1, -1 do
            path[i] = nil
        end
    end
    if event == "sample" and not tr.first_move and speed > CONFIG.first_move_speed then
        tr.first_move = t
    end
    return x, y, z, vx, vy, stance
end

local function start_track(cn, t)
    local p = player(cn)
    local team = team_of(cn)
    local tr = {
        guid = client_guid(cn),
        name = client_name(cn),
        team = TEAM_NAME[team] or "AXIS",
        class = CLASS_NAME[gget(cn, "sess.playerType")] or "SOLDIER",
        spawn = t,
        death = 0,
        path = {},
        chunks = {},
        samples = 0,
        dead = false,
    }
    p.track = tr
    R.track_count = R.track_count + 1
    path_point(cn, tr, t, "spawn")
    back_in(cn, t)
end

-- The life is over for good: format its row now (spreads the cost of writing the file).
local function finalize_track(tr)
    if tr.row or not CONFIG.features.player_tracks then
        return
    end
    local chunks = tr.chunks
    if #tr.path > 0 then
        chunks[#chunks + 1] = concat(tr.path, "|")
    end
    tr.row = fmt("%s;%s;%s;%s;%d;%d;%s;%s;%d;%s", tr.guid, tr.name, tr.team, tr.class, tr.spawn,
        tr.death, tr.first_move and tostring(tr.first_move) or "", tr.dtype or "unknown",
        tr.samples, concat(chunks, "|"))
    tr.path, tr.chunks = nil, nil
    local rows = R.track_rows
    rows[#rows + 1] = tr
end

-- Ends a life that is still going (round end, shutdown, disconnect).
local function end_alive_track(cn, tr, t, how, keep_time)
    if not tr.dead then
        path_point(cn, tr, t, how)
        tr.dtype = how
        tr.death = keep_time and t or 0
    end
    finalize_track(tr)
end

local function confirm_spawn(cn, force)
    local st = R.pending[cn]
    if st == nil then
        return
    end
    R.pending[cn] = nil
    if force or sampleable(cn) then
        start_track(cn, st)
    end
end

---------------------------------------------------------------------------------------------------
-- Engagements

local function add_point(E, t, x, y, z, event)
    local dx, dy, dz = x - E.lx, y - E.ly, z - E.lz
    E.dist = E.dist + sqrt(dx * dx + dy * dy + dz * dz)
    E.lx, E.ly, E.lz = x, y, z
    local pos = E.positions
    pos[#pos + 1] = fmt("%d,%.1f,%.1f,%.1f,%s", t, x, y, z, event)
end

local function origin(cn)
    local o = gget(cn, "ps.origin")
    return coord(o[1]), coord(o[2]), coord(o[3])
end

local function open_engagement(target, team, t)
    local x, y, z = origin(target)
    local v = gget(target, "ps.velocity")
    local E = {
        id = R.next_id,
        target = target,
        tguid = client_guid(target),
        tname = client_name(target),
        tteam = team,
        tclass = CLASS_NAME[gget(target, "sess.playerType")] or "SOLDIER",
        start = t,
        last_hit = t,
        total = 0,
        attackers = {},
        alist = {},
        positions = {},
        sx = x, sy = y, sz = z,
        lx = x, ly = y, lz = z,
        hx = x, hy = y, hz = z,
        dist = 0,
        vx0 = coord(v[1]), vy0 = coord(v[2]),
        stance0 = nil,
    }
    R.next_id = R.next_id + 1
    R.open[target] = E
    add_point(E, t, x, y, z, "start")
    return E
end

local function add_attacker(E, cn, t)
    local a = {
        cn = cn,
        guid = client_guid(cn),
        name = client_name(cn),
        team = TEAM_NAME[team_of(cn)] or "AXIS",
        damage = 0, hits = 0, first = t, last = t, kill = 0,
        weapons = {},
    }
    E.attackers[cn] = a
    E.alist[#E.alist + 1] = a
    player(cn).attacking[E] = true
    return a
end

local function by_first_hit(a, b)
    if a.first ~= b.first then
        return a.first < b.first
    end
    return a.guid < b.guid
end

local function opt(v)
    if v == nil then
        return ""
    end
    return tostring(v)
end

local function close_engagement(E, t, outcome)
    R.open[E.target] = nil
    for cn in pairs(E.attackers) do
        local p = R.players[cn]
        if p then
            p.attacking[E] = nil
        end
    end
    local list = E.alist
    sort(list, by_first_hit)
    local n = #list
    local is_xf, delay, parts = 0, nil, ""
    if n >= 2 then
        local d = list[2].first - list[1].first
        if d <= CONFIG.crossfire_window_ms then
            is_xf, delay = 1, d
            local g = {}
            for i = 1, n do
                if list[i].first - list[1].first <= CONFIG.crossfire_window_ms then
                    g[#g + 1] = list[i].guid
                end
            end
            parts = concat(g, ",")
        end
    end
    local arows = {}
    for i = 1, n do
        local a = list[i]
        local ws = {}
        for w in pairs(a.weapons) do
            ws[#ws + 1] = w
        end
        sort(ws)
        local wtxt = {}
        for j = 1, #ws do
            wtxt[j] = fmt("%d:%d;", ws[j], a.weapons[ws[j]])
        end
        arows[i] = fmt("%s,%s,%s,%d,%d,%d,%d,%d,%s", a.guid, a.name, a.team, a.damage, a.hits,
            a.first, a.last, a.kill, concat(wtxt))
    end
    local team = TEAM_NAME[E.tteam] or "AXIS"
    R.eng_rows[E.id] = fmt("%d;%d;%d;%d;%s;%s;%s;%s;%d;%s;%s;%d;%d;%s;%s;%.1f;%.1f;%.1f;%.1f;%.1f;%.1f;%.1f;%s;%s",
        E.id, E.start, t, t - E.start, E.tguid, E.tname, team, outcome, E.total,
        E.killer_guid or "", E.killer_name or "", n, is_xf, opt(delay), parts,
        E.sx, E.sy, E.sz, E.lx, E.ly, E.lz, E.dist, concat(E.positions, "|"), concat(arows, "|"))
    if CONFIG.features.reactions then
        R.reaction_rows[E.id] = fmt("%d;%s;%s;%s;%s;%s;%d;%s;%s;%s;%d;%d;%d", E.id, E.tguid, E.tname,
            team, E.tclass, outcome, n, opt(E.rf), opt(E.dodge), opt(E.support), E.start, t,
            t - E.start)
    end
end

-- Reactions when `attacker` hits `victim`: return fire (the attacker was itself under fire by
-- the victim) and support (the victim was attacking a team mate of the attacker).
local function reactions_on_hit(attacker, ateam, victim, t)
    local win = CONFIG.reaction_window_ms
    local own = R.open[attacker]
    if own and own.rf == nil and own.attackers[victim] and t - own.start <= win then
        own.rf = t - own.start
    end
    local pv = R.players[victim]
    if pv then
        for E in pairs(pv.attacking) do
            if E.support == nil and E.target ~= attacker and E.tteam == ateam
                and t - E.start <= win then
                E.support = t - E.start
            end
        end
    end
end

-- Dodge: within the window the target changes stance, starts or stops moving, or turns > 45°.
local function dodge_check(E, t, vx, vy, stance)
    if E.dodge ~= nil or t - E.start > CONFIG.reaction_window_ms then
        return
    end
    if E.stance0 == nil then
        E.stance0 = stance
        return
    end
    local s0 = sqrt(E.vx0 * E.vx0 + E.vy0 * E.vy0)
    local s1 = sqrt(vx * vx + vy * vy)
    local moving0, moving1 = s0 > CONFIG.first_move_speed, s1 > CONFIG.first_move_speed
    local dodged = stance ~= E.stance0 or moving0 ~= moving1
    if not dodged and moving0 and moving1 then
        dodged = (E.vx0 * vx + E.vy0 * vy) / (s0 * s1) < CONFIG.dodge_angle_cos
    end
    if dodged then
        E.dodge = t - E.start
    end
end

---------------------------------------------------------------------------------------------------
-- Gunfights: shots, hits, headshots per weapon, hit regions

-- The attacker's hit-region counters as they stand: later hits are told apart by their growth.
local function region_baseline(cn)
    local p = player(cn)
    p.hr = { gget(cn, HIT_REGIONS, 0), gget(cn, HIT_REGIONS, 1), gget(cn, HIT_REGIONS, 2),
        gget(cn, HIT_REGIONS, 3) }
end

-- The region of the hit being reported: the engine counts it before et_Damage, so it is the one
-- counter that grew since the last look (nil: no region, or a change that cannot be told apart).
local function region_delta(cn)
    local p = player(cn)
    local hr = p.hr
    if not hr then
        region_baseline(cn)
        return nil
    end
    local region, n = nil, 0
    for i = 0, 3 do
        local v = gget(cn, HIT_REGIONS, i)
        if v ~= hr[i + 1] then
            region, n = i, n + 1
            hr[i + 1] = v
        end
    end
    if n == 1 then
        return region
    end
    return nil
end

-- One player's use of one weapon: created at the first shot, hit or kill with it.
local function weapon_record(cn, wp)
    local p = player(cn)
    local ws = p.ws
    if not ws then
        ws = {}
        p.ws = ws
    end
    local rec = ws[wp]
    if not rec then
        rec = { guid = client_guid(cn), name = client_name(cn), team = TEAM_NAME[team_of(cn)] or "AXIS",
            wp = wp, shots = 0, hits = 0, kills = 0, hs = 0 }
        ws[wp] = rec
        local list = R.wrecs
        list[#list + 1] = rec
    end
    return rec
end

local function first_shot(cn, wp)
    local rec = weapon_record(cn, wp)
    rec.shots = rec.shots + 1
end

-- A hit on a living enemy: weapon figures and, for bullets, where it landed.
local function enemy_hit(attacker, target, damage, mod, region, t)
    local wp = MOD_WEAPON[mod] or int(gget(attacker, "ps.weapon"))
    local rec = weapon_record(attacker, wp)
    rec.hits = rec.hits + 1
    if region == HR_HEAD then
        rec.hs = rec.hs + 1
    end
    if region and CONFIG.features.hit_regions then
        local rows = R.region_rows
        rows[#rows + 1] = fmt("%d;%s;%s;%s;%s;%d;%d;%d", t, rec.guid, rec.name, client_guid(target),
            client_name(target), wp, region, damage)
    end
end

---------------------------------------------------------------------------------------------------
-- Spawn timing

-- Reinforcement offsets (ms) per team from CS_REINFSEEDS, decoded as cgame does; nil if unreadable.
local function reinf_offsets()
    local t = {}
    for n in (et.trap_GetConfigstring(CS_REINFSEEDS) or ""):gmatch("%d+") do
        t[#t + 1] = tointeger(tonumber(n))
    end
    if #t < 10 or not t[1] or not t[2] then
        return nil
    end
    local bi, ri = t[1] >> 3, t[2] >> 2
    if bi > 7 or ri > 7 then
        return nil
    end
    local vb, vr = t[3 + bi], t[3 + ri]
    if not vb or not vr then
        return nil
    end
    return { [1] = (vr // REINF_SEEDS[ri + 1]) * 1000, [2] = (vb // REINF_SEEDS[bi + 1]) * 1000 }
end

-- A team's reinforcement interval and the ms to its next wave (the engine's own rule, read now:
-- map scripts change the limbo times); nil when unknown.
local function next_wave(team)
    local L = tointeger(tonumber(et.trap_Cvar_Get(team == 1 and "g_redlimbotime" or "g_bluelimbotime")))
    if not L or L <= 0 then
        return nil, nil
    end
    if R.reinf == nil then
        R.reinf = reinf_offsets() or false
    end
    local off = R.reinf and R.reinf[team]
    if not off then
        return L, nil
    end
    return L, L - (off + R.t) % L
end

local function reinf_seconds(ms)
    if ms == nil then
        return ""
    end
    return fmt("%.1f", ms / 1000)
end

local function spawn_timing_row(kguid, kname, kteam, vguid, vname, vteam, t)
    local L, left = next_wave(vteam)
    local _, kleft = next_wave(kteam)
    local score = ""
    if L and left then
        score = fmt("%.3f", left / L)
    end
    local rows = R.timing_rows
    rows[#rows + 1] = fmt("%s;%s;%s;%s;%s;%s;%d;%s;%s;%s;%s;%s", kguid, kname, TEAM_NAME[kteam],
        vguid, vname, TEAM_NAME[vteam], t, opt(L), opt(left), score, reinf_seconds(kleft),
        reinf_seconds(left))
end

---------------------------------------------------------------------------------------------------
-- Downed players: revived, gibbed, tapped out, still down at the round end

local function outcome_row(d, back)
    local denied = d.outcome == "revived" and d.otime - d.t or back - d.t
    local rows = R.outcome_rows
    rows[#rows + 1] = fmt("%d;%s;%s;%s;%s;%d;%s;%d;%d;%d;%s;%s;%s;%s", d.t, d.vguid, d.vname,
        d.kguid, d.kname, d.mod, d.outcome, d.otime, d.otime - d.t, denied, d.gguid or "",
        d.gname or "", d.rguid or "", d.rname or "")
end

-- The victim is back in the world (spawn) or gone (disconnect, round end): the kill's time
-- denied ends here.
function back_in(cn, t)
    local d = R.awaiting[cn]
    if d then
        R.awaiting[cn] = nil
        outcome_row(d, t)
    end
end

-- The body left the world without a revive (gibbed by `who`, or tapped out).
local function down_over(cn, outcome, t, who)
    local d = R.downs[cn]
    if not d then
        return
    end
    R.downs[cn] = nil
    d.outcome, d.otime = outcome, t
    if who then
        d.gguid, d.gname = client_guid(who), client_name(who)
    end
    back_in(cn, t)
    R.awaiting[cn] = d
end

local function on_enemy_kill(victim, killer, mod, vteam, kteam, t)
    local F = CONFIG.features
    local kguid, kname = client_guid(killer), client_name(killer)
    local vguid, vname = client_guid(victim), client_name(victim)
    local wp = MOD_WEAPON[mod] or int(gget(killer, "ps.weapon"))
    local rec = weapon_record(killer, wp)
    rec.kills = rec.kills + 1
    if F.spawn_timing then
        spawn_timing_row(kguid, kname, kteam, vguid, vname, vteam, t)
    end
    back_in(victim, t)
    R.downs[victim] = { t = t, vguid = vguid, vname = vname, kguid = kguid, kname = kname, mod = mod }
    if gget(victim, "health") <= GIB_HEALTH then
        down_over(victim, "gibbed", t, killer)
    end
end

---------------------------------------------------------------------------------------------------
-- Revives

local function record_revive(cn, rt, medic)
    local mguid, mname = "", ""
    if medic and medic >= 0 and medic < maxclients then
        mguid, mname = client_guid(medic), client_name(medic)
    end
    local vguid, vname = client_guid(cn), client_name(cn)
    local d = R.downs[cn]
    if d then
        R.downs[cn] = nil
        d.outcome, d.otime, d.rguid, d.rname = "revived", rt, mguid, mname
        outcome_row(d, rt)
    end
    if not CONFIG.features.revives or mguid == "" then
        return -- no medic on record (a REVIVES row always names one)
    end
    local x, y, z = origin(cn)
    local vteam = team_of(cn)
    local best, bguid = nil, ""
    for o = 0, maxclients - 1 do
        if o ~= cn then
            local team = gget(o, "sess.sessionTeam")
            if (team == 1 or team == 2) and team ~= vteam and sampleable(o) then
                local ox, oy = origin(o)
                local d2 = (ox - x) * (ox - x) + (oy - y) * (oy - y)
                if not best or d2 < best then
                    best, bguid = d2, client_guid(o)
                end
            end
        end
    end
    local hit = R.last_enemy_dmg[cn]
    local rows = R.revive_rows
    rows[#rows + 1] = fmt("%d;%s;%s;%s;%s;%.1f;%.1f;%.1f;%s;%s;%d", rt, mguid, mname, vguid, vname,
        x, y, z, best and fmt("%.1f", sqrt(best)) or "", bguid,
        (hit and rt - hit <= CONFIG.under_fire_ms) and 1 or 0)
end

-- Completes a revive announced by et_ClientSpawn(revived=1). The medic is the engine's record:
-- et_Revive's reviver (2.84+), else the `Medic_Revive:` log line (dedicated servers), else
-- pers.lastrevive_client, which the engine sets after the spawn callback (read a frame later).
local function finish_revive(cn, force, medic)
    local rt = R.revive_pending[cn]
    if not rt then
        return
    end
    if not force and not medic and gget(cn, "health") <= 0 then
        return -- health not final yet (2.83: no et_Revive); retry next frame
    end
    R.revive_pending[cn] = nil
    if medic == nil then
        medic = gget(cn, "pers.lastrevive_client")
    end
    local p = R.players[cn]
    local tr = p and p.track
    if tr and tr.dead then
        tr.dead, tr.death, tr.dtype, tr.stamina = false, 0, nil, nil
        path_point(cn, tr, R.t, "revived")
    end
    record_revive(cn, rt, medic)
end

---------------------------------------------------------------------------------------------------
-- The objective game: objective actions, carriers, returns, escorts
--
-- How each is detected, from what the engine really tells a Lua module (no per-map tables):
-- * dynamite_plant / dynamite_defuse / objective_destroyed (func_explosive): the engine's log
--   lines `Dynamite_Plant: cn track`, `Dynamite_Diffuse: cn track`, `Objective_Destroyed: cn track`
--   (they reach et_Print on dedicated servers only), position = ps.origin of cn at the line.
-- * objective_destroyed (func_constructible): no log line; the constructibles found at the round
--   start are polled (`s.angles2[2]` 1 -> 0 or `r.linked` 0) every frame while built; credited to
--   the last player whose et_Damage hit it, at that hit's time and position when it came in the
--   same frame (dynamite, satchel), else at the frame it was seen, if that hit is < 5 s old.
-- * constructed: `Repair: cn` plus the constructible whose `s.angles2[2]` went 0 -> 1 (the engine
--   sets it before printing; nearest to cn if several), its `track`.
-- * repaired: a `Repair: cn` with no constructible completing (an MG42 repair); track_name empty.
-- * checkpoint_captured: a team_WOLF_checkpoint's `count` changes to 1/2 (polled every frame);
--   the capturer is the nearest living player of that team; name = track, scriptName,
--   targetname or message, the first one set.
-- * carries: a flag (PW_REDFLAG 5: the Axis-owned item, carried by Allies; PW_BLUEFLAG 6) is picked
--   up at `Item: cn team_CTF_*` by a player of the other team, confirmed by the powerup at the next
--   frame (listen servers, which have no log lines: polled with the position samples); while
--   carried the carrier is sampled every frame (carry_distance = path through these samples);
--   the carry ends `killed` at the carrier's et_Obituary (the engine drops the item after it),
--   `disconnected` at et_ClientDisconnect, `round_end` at the round end, `dropped` after a
--   `dropobj` client command (its time and place), and otherwise when the powerup goes to 0:
--   `secured` if the carrier is alive, still on its team, and no new dropped copy of the item
--   (an entity with the flag's classname) appeared, else `dropped`. objective_secured is written
--   with the secure, named after the item's `message`.
-- * returns: `legacy popup: ^7<owner>^7 returned "..."`; returner = the last `Item: cn team_CTF_*`
--   of that item by its owning team in the same frame; a 30 s timeout return has none (the
--   returner's guid, name and team are empty). The drop it ends is the item's last drop.
-- * escort: script_mover entities (found at the round start, looked up again if one disappears)
--   are read every frame. A player is mounted when the mover's `tankLink` is him (and his
--   `tankLink` the mover) or his `s.groundEntityNum` is the mover: mounted time counts every
--   frame, the mover's movement is credited in full. A living player within 500 units of the
--   mover's `r.currentOrigin` in a frame in which it moved gets the frame as proximity time and
--   the movement times (1 - d/500). Teams are not filtered. Only players found within 900 units at
--   their last position sample (every 200 ms) are looked at each frame.
-- * header: winner = CS_MULTI_MAPWINNER key `w` (0 AXIS, 1 ALLIES, -1 none: empty) and defender =
--   CS_MULTI_INFO key `d` read at the `Exit:` line (or at intermission without one); time_set =
--   round time from live to the `Exit:` line (or to the round end without one).

local PW_REDFLAG = et.PW_REDFLAG or 5
local PW_BLUEFLAG = et.PW_BLUEFLAG or 6
local CS_MULTI_INFO = et.CS_MULTI_INFO or 13
local CS_MULTI_MAPWINNER = et.CS_MULTI_MAPWINNER or 14
local FIRST_ENTITY, LAST_ENTITY = 64, 1021   -- after the client slots; before world (1022)
local ESCORT_RADIUS, ESCORT_LOOK = 500, 900
local TEAM_DIGIT = { ["0"] = "AXIS", ["1"] = "ALLIES", ["-1"] = "" }
-- Per item: the powerup, the owning team and the classname.
local FLAGS = {
    [PW_REDFLAG] = { owner = 1, carrier = 2, class = "team_CTF_redflag" },
    [PW_BLUEFLAG] = { owner = 2, carrier = 1, class = "team_CTF_blueflag" },
}
local FLAG_OF_CLASS = { team_CTF_redflag = PW_REDFLAG, team_CTF_blueflag = PW_BLUEFLAG }
local FLAG_OF_OWNER_WORD = { axis = PW_REDFLAG, allies = PW_BLUEFLAG }

-- Fields that not every engine may have: read in protected mode, remembered when refused.
local refused = {}
local function field(n, name, idx)
    if refused[name] then
        return nil
    end
    local ok, v = pcall(gget, n, name, idx)
    if ok then
        return v
    end
    refused[name] = true
    return nil
end

local function nonempty(s)
    if type(s) == "string" and s ~= "" then
        return s
    end
    return nil
end

local function constructible_built(n)
    local a = gget(n, "s.angles2")
    if type(a) ~= "table" or (a[2] or 0) < 0.5 then
        return false
    end
    return field(n, "r.linked") ~= 0
end

-- The objective entities of the map: constructibles, checkpoints, movers and the flags' homes.
local function scan_entities()
    local O = R.obj
    O.cons, O.cps, O.movers, O.flag_msg, O.cons_at = {}, {}, {}, {}, {}
    for n = FIRST_ENTITY, LAST_ENTITY do
        local cls = gget(n, "classname")
        if cls == "func_constructible" then
            O.cons[#O.cons + 1] = { ent = n, track = sanitize(nonempty(field(n, "track"))
                or nonempty(field(n, "scriptName")) or nonempty(field(n, "targetname")) or ""),
                built = constructible_built(n) }
            O.cons_at[n] = O.cons[#O.cons]
        elseif cls == "team_WOLF_checkpoint" then
            local x, y, z = 0.0, 0.0, 0.0
            local o = gget(n, "r.currentOrigin")
            if type(o) == "table" then
                x, y, z = coord(o[1]), coord(o[2]), coord(o[3])
            end
            O.cps[#O.cps + 1] = { ent = n, count = gget(n, "count"), x = x, y = y, z = z,
                track = sanitize(nonempty(field(n, "track")) or nonempty(field(n, "scriptName"))
                    or nonempty(field(n, "targetname")) or nonempty(field(n, "message")) or "") }
        elseif cls == "script_mover" then
            local o = gget(n, "r.currentOrigin")
            O.movers[#O.movers + 1] = { ent = n, x = coord(o[1]), y = coord(o[2]), z = coord(o[3]),
                name = sanitize(nonempty(field(n, "scriptName")) or nonempty(field(n, "targetname"))
                    or "") }
        elseif FLAG_OF_CLASS[cls] then
            local pw = FLAG_OF_CLASS[cls]
            O.flag_msg[pw] = O.flag_msg[pw] or nonempty(field(n, "message"))
        end
    end
    O.checked = R.frame
end

-- The entity numbers that hold a copy of an item now (its home and dropped copies).
local function flag_copies(class)
    local set = {}
    for n = FIRST_ENTITY, LAST_ENTITY do
        if gget(n, "classname") == class and gget(n, "inuse") ~= 0 then
            set[n] = true
        end
    end
    return set
end

local function objective_row(t, kind, cn, track, x, y, z)
    local team = TEAM_NAME[team_of(cn)]
    if not team or not CONFIG.features.objective_events then
        return
    end
    if not x then
        x, y, z = origin(cn)
    end
    local rows = R.obj.rows
    rows[#rows + 1] = fmt("%d;%s;%s;%s;%s;%s;%.1f;%.1f;%.1f", t, kind, client_guid(cn),
        client_name(cn), team, sanitize(track), x, y, z)
end

local function is_client(cn)
    return cn and cn >= 0 and cn < maxclients
end

-- Carries -----------------------------------------------------------------------------------

local function open_carry(cn, pw, t, x, y, z)
    local O = R.obj
    local f = FLAGS[pw]
    O.carries[cn] = {
        guid = client_guid(cn), name = client_name(cn), team = TEAM_NAME[f.carrier], pw = pw,
        t0 = t, x0 = x, y0 = y, z0 = z, lx = x, ly = y, lz = z, dist = 0, samples = 1,
        msg = O.stole_msg[pw] or O.flag_msg[pw] or "",
        copies = flag_copies(f.class),
    }
end

local function carry_step(c, x, y, z)
    local dx, dy, dz = x - c.lx, y - c.ly, z - c.lz
    c.dist = c.dist + sqrt(dx * dx + dy * dy + dz * dz)
    c.lx, c.ly, c.lz = x, y, z
    c.samples = c.samples + 1
end

local function close_carry(cn, t, outcome, x, y, z, killer)
    local O = R.obj
    local c = O.carries[cn]
    O.carries[cn] = nil
    carry_step(c, x, y, z)
    local dx, dy, dz = x - c.x0, y - c.y0, z - c.z0
    local beeline = sqrt(dx * dx + dy * dy + dz * dz)
    local eff = 1
    if c.dist > 0 then
        eff = beeline / c.dist
        if eff > 1 then
            eff = 1
        end
    end
    local kguid, kname = "", ""
    if outcome == "killed" and is_client(killer) and killer ~= cn then
        kguid, kname = client_guid(killer), client_name(killer)
    end
    if CONFIG.features.carrier_events then
        local rows = O.carry_rows
        rows[#rows + 1] = fmt("%s;%s;%s;%s;%d;%d;%d;%s;%.1f;%.1f;%.3f;%d;%.1f;%.1f;%.1f;%.1f;%.1f;%.1f;%s;%s",
            c.guid, c.name, c.team, TEAM_NAME[FLAGS[c.pw].owner], c.t0, t, t - c.t0, outcome,
            c.dist, beeline, eff, c.samples, c.x0, c.y0, c.z0, x, y, z, kguid, kname)
    end
    if outcome == "secured" then
        objective_row(t, "objective_secured", cn, c.msg, x, y, z)
    elseif outcome ~= "round_end" then
        O.last_drop[c.pw] = { guid = c.guid, t = t, x = x, y = y, z = z }
    end
end

-- The item is no longer on the carrier and no callback said why.
local function carry_gone(cn, c, t)
    local O = R.obj
    local cmd = O.dropcmd[cn]
    if cmd then
        close_carry(cn, cmd.t, "dropped", cmd.x, cmd.y, cmd.z)
        return
    end
    local x, y, z = origin(cn)
    local secured = gget(cn, "health") > 0 and team_of(cn) == FLAGS[c.pw].carrier
        and gget(cn, "ps.pm_flags") & (PMF_FOLLOW | PMF_LIMBO) == 0
    if secured then
        for n in pairs(flag_copies(FLAGS[c.pw].class)) do
            if not c.copies[n] then
                secured = false -- a dropped copy lies where the item fell
                break
            end
        end
    end
    close_carry(cn, t, secured and "secured" or "dropped", x, y, z)
end

-- An `Item:` pickup becomes a carry once the powerup is there (the line comes before it). Also
-- settled before a death, disconnect or drop command of the same frame ends the carry.
local function settle_pickup(cn)
    local O = R.obj
    local p = O.pickups[cn]
    if p then
        O.pickups[cn] = nil
        if not O.carries[cn] and gget(cn, "ps.powerups", p.pw) ~= 0 then
            open_carry(cn, p.pw, p.t, p.x, p.y, p.z)
        end
    end
end

local function poll_carriers(t)
    local O = R.obj
    for cn in pairs(O.pickups) do
        settle_pickup(cn)
    end
    for cn, c in pairs(O.carries) do
        if gget(cn, "ps.powerups", c.pw) ~= 0 then
            carry_step(c, origin(cn))
        else
            carry_gone(cn, c, t)
        end
    end
    for cn in pairs(O.dropcmd) do
        O.dropcmd[cn] = nil
    end
end

-- Listen servers print no `Item:` lines: a pickup is seen in the carrier's position sample.
function sample_carrier(cn, team, t)
    local pw = team == 2 and PW_REDFLAG or PW_BLUEFLAG
    if not R.obj.carries[cn] and gget(cn, "ps.powerups", pw) ~= 0 then
        open_carry(cn, pw, t, origin(cn))
    end
end

-- Escorts -------------------------------------------------------------------------------------

-- Called with every position sample: is the player close enough to a mover to be looked at
-- every frame?
function escort_candidate(cn, x, y)
    local movers = R.obj.movers
    local near = nil
    for i = 1, #movers do
        local m = movers[i]
        local dx, dy = x - m.x, y - m.y
        if dx * dx + dy * dy <= ESCORT_LOOK * ESCORT_LOOK then
            near = true
            break
        end
    end
    R.obj.cand[cn] = near
end

local function escort_credit(cn, m, dt, d, mounted, share)
    local O = R.obj
    local per = O.esc[cn]
    if not per then
        per = {}
        O.esc[cn] = per
    end
    local rec = per[m.ent]
    if not rec then
        rec = { guid = client_guid(cn), name = client_name(cn), team = TEAM_NAME[team_of(cn)] or "AXIS",
            vehicle = m.name, mounted = 0, near = 0, escort = 0, credit = 0, samples = 0 }
        per[m.ent] = rec
        O.esc_recs[#O.esc_recs + 1] = rec
    end
    if mounted then
        rec.mounted = rec.mounted + dt
    else
        rec.near = rec.near + dt
    end
    rec.escort = rec.escort + d
    rec.credit = rec.credit + d * share
    rec.samples = rec.samples + 1
end

local function living(cn)
    return gget(cn, "health") > 0 and gget(cn, "ps.pm_flags") & (PMF_FOLLOW | PMF_LIMBO) == 0
end

local function poll_movers(t)
    local O = R.obj
    local dt = t - O.esc_t
    O.esc_t = t
    local movers = O.movers
    for i = 1, #movers do
        local m = movers[i]
        local o = gget(m.ent, "r.currentOrigin")
        local x, y, z = coord(o[1]), coord(o[2]), coord(o[3])
        local dx, dy, dz = x - m.x, y - m.y, z - m.z
        local d = sqrt(dx * dx + dy * dy + dz * dz)
        m.x, m.y, m.z = x, y, z
        local op = field(m.ent, "tankLink")
        if is_client(op) and field(op, "tankLink") == m.ent and living(op) then
            escort_credit(op, m, dt, d, true, 1)
        else
            op = nil
        end
        for cn in pairs(O.cand) do
            if cn ~= op and living(cn) then
                if field(cn, "s.groundEntityNum") == m.ent then
                    escort_credit(cn, m, dt, d, true, 1)
                elseif d > 0 then
                    local px, py, pz = origin(cn)
                    local ex, ey, ez = px - x, py - y, pz - z
                    local dist = sqrt(ex * ex + ey * ey + ez * ez)
                    if dist <= ESCORT_RADIUS then
                        escort_credit(cn, m, dt, d, false, 1 - dist / ESCORT_RADIUS)
                    end
                end
            end
        end
    end
end

-- Objectives polled every frame -----------------------------------------------------------------

local function constructible_destroyed(c, t)
    local d = c.dmg
    c.dmg = nil
    if not d or t - d.t > 5000 then
        return
    end
    if d.frame >= R.frame - 1 then
        objective_row(d.t, "objective_destroyed", d.cn, c.track, d.x, d.y, d.z)
    else
        objective_row(t, "objective_destroyed", d.cn, c.track, d.x, d.y, d.z)
    end
end

local function checkpoint_captured(cp, team, t)
    local best, who = nil, nil
    for cn = 0, maxclients - 1 do
        if gget(cn, "sess.sessionTeam") == team and sampleable(cn) then
            local x, y, z = origin(cn)
            local dx, dy, dz = x - cp.x, y - cp.y, z - cp.z
            local d2 = dx * dx + dy * dy + dz * dz
            if not best or d2 < best then
                best, who = d2, cn
            end
        end
    end
    if who then
        objective_row(t, "checkpoint_captured", who, cp.track)
    end
end

local function poll_objectives(t)
    local O = R.obj
    -- A vanished mover or constructible (entity reused) sends us looking again, at most every 5 s.
    if R.frame - O.checked >= 100 then
        O.checked = R.frame
        local lost = false
        for i = 1, #O.movers do
            lost = lost or gget(O.movers[i].ent, "classname") ~= "script_mover"
        end
        if lost then
            local old = O.cons
            scan_entities()
            for i = 1, #O.cons do
                for j = 1, #old do
                    if old[j].ent == O.cons[i].ent then
                        O.cons[i].dmg = old[j].dmg
                    end
                end
            end
        end
    end
    local cons = O.cons
    for i = 1, #cons do
        local c = cons[i]
        -- Built ones every frame (a destruction is credited to the last hit); the others once
        -- a second (a `Repair:` line looks at them at once).
        if c.built or R.frame % 20 == 0 then
            local built = constructible_built(c.ent)
            if c.built and not built then
                c.built = false
                constructible_destroyed(c, t)
            elseif built then
                c.built = true
            end
        end
    end
    local cps = O.cps
    for i = 1, #cps do
        local cp = cps[i]
        local n = gget(cp.ent, "count")
        if n ~= cp.count then
            cp.count = n
            if n == 1 or n == 2 then
                checkpoint_captured(cp, n, t)
            end
        end
    end
    poll_carriers(t)
    if #O.movers > 0 then
        poll_movers(t)
    end
end

-- Log lines -----------------------------------------------------------------------------------

local function connected_client(cn)
    cn = tointeger(tonumber(cn))
    if is_client(cn) and gget(cn, "pers.connected") == 2 then
        return cn
    end
    return nil
end

local function on_repair(cn, t)
    local O = R.obj
    local x, y, z = origin(cn)
    local best, which = nil, nil
    for i = 1, #O.cons do
        local c = O.cons[i]
        if not c.built and constructible_built(c.ent) then
            c.built = true
            local o = gget(c.ent, "r.currentOrigin")
            local dx, dy = coord(o[1]) - x, coord(o[2]) - y
            local d2 = dx * dx + dy * dy
            if not best or d2 < best then
                best, which = d2, c
            end
        end
    end
    if which then
        objective_row(t, "constructed", cn, which.track, x, y, z)
    else
        objective_row(t, "repaired", cn, "", x, y, z)
    end
end

local function on_item(cn, class, t)
    local O = R.obj
    local pw = FLAG_OF_CLASS[class]
    if not pw then
        return
    end
    local team = team_of(cn)
    if team == FLAGS[pw].owner then
        O.return_item[pw] = { cn = cn, frame = R.frame }
    elseif team == FLAGS[pw].carrier then
        local x, y, z = origin(cn)
        O.pickups[cn] = { pw = pw, t = t, x = x, y = y, z = z }
    end
end

local function on_returned(word, t)
    local O = R.obj
    local pw = FLAG_OF_OWNER_WORD[word]
    if not pw then
        return
    end
    local it = O.return_item[pw]
    O.return_item[pw] = nil
    local rguid, rname, rteam = "", "", ""
    if it and it.frame == R.frame then
        rguid, rname = client_guid(it.cn), client_name(it.cn)
        rteam = TEAM_NAME[team_of(it.cn)] or ""
    end
    local d = O.last_drop[pw]
    O.last_drop[pw] = nil
    if not CONFIG.features.carrier_returns then
        return
    end
    local rows = O.return_rows
    if d then
        rows[#rows + 1] = fmt("%d;%s;%s;%s;%s;%s;%d;%d;%.1f;%.1f;%.1f", t, rguid, rname, rteam,
            TEAM_NAME[FLAGS[pw].owner], d.guid, d.t, t - d.t, d.x, d.y, d.z)
    else
        rows[#rows + 1] = fmt("%d;%s;%s;%s;%s;;;;;;", t, rguid, rname, rteam,
            TEAM_NAME[FLAGS[pw].owner])
    end
end

local function on_objective_line(text)
    local t = R.t
    local kind, cn, track = text:match("^(%a+_%a+): (%d+) ?([^\r\n]*)")
    if kind then
        cn = connected_client(cn)
        if not cn then
            return
        end
        if kind == "Dynamite_Plant" then
            objective_row(t, "dynamite_plant", cn, track)
        elseif kind == "Dynamite_Diffuse" then
            objective_row(t, "dynamite_defuse", cn, track)
        elseif kind == "Objective_Destroyed" then
            objective_row(t, "objective_destroyed", cn, track)
        end
        return
    end
    cn = text:match("^Repair: (%d+)")
    if cn then
        cn = connected_client(cn)
        if cn then
            on_repair(cn, t)
        end
        return
    end
    local item, class = text:match("^Item: (%d+) (team_CTF_%a+)")
    if item then
        item = connected_client(item)
        if item then
            on_item(item, class, t)
        end
        return
    end
    local word, verb, msg = text:match('^legacy popup: %^7(%a+)%^7 (%a+) "(.*)"')
    if verb == "returned" then
        on_returned(word, t)
    elseif verb == "stole" then
        -- The item's name (a dropped copy has none: "(null)").
        local pw = word == "allies" and PW_REDFLAG or PW_BLUEFLAG
        if msg ~= "(null)" and msg ~= "" then
            R.obj.stole_msg[pw] = sanitize(msg)
        end
    end
end

local function cs_team(index, key)
    local v = et.Info_ValueForKey(et.trap_GetConfigstring(index) or "", key)
    return TEAM_DIGIT[v]
end

-- The round's end as the game saw it: winner, defender and the time played.
local function read_result()
    R.winner = cs_team(CS_MULTI_MAPWINNER, "w")
    R.defender = cs_team(CS_MULTI_INFO, "d")
end

local function new_objectives(t)
    local ded = et.trap_Cvar_Get("dedicated")
    return {
        logs = ded ~= "" and ded ~= "0",  -- G_LogPrintf lines reach et_Print
        cons = {}, cons_at = {}, cps = {}, movers = {}, flag_msg = {}, checked = 0,
        rows = {}, carry_rows = {}, return_rows = {},
        carries = {},      -- cn -> the carry in progress
        pickups = {},      -- cn -> an `Item:` pickup waiting for its powerup
        dropcmd = {},      -- cn -> a `dropobj` command since the last frame
        return_item = {},  -- powerup -> the last `Item:` by the owning team
        last_drop = {},    -- powerup -> where and when the item was last dropped
        stole_msg = {},    -- powerup -> the item's name from the last `stole` popup
        esc = {}, esc_recs = {}, cand = {}, esc_t = t,
    }
end

local function on_object_damage(ent, attacker)
    local c = R.obj.cons_at[ent]
    if c and c.built then
        local x, y, z = origin(attacker)
        c.dmg = { cn = attacker, t = R.t, frame = R.frame, x = x, y = y, z = z }
    end
end

local function on_dropobj(cn)
    settle_pickup(cn)
    local x, y, z = origin(cn)
    R.obj.dropcmd[cn] = { t = R.t, x = x, y = y, z = z }
end

---------------------------------------------------------------------------------------------------
-- Round lifecycle

local function level_clock(level_time)
    local ls = tointeger(tonumber(et.trap_GetConfigstring(CS_LEVEL_START_TIME)))
    if ls and ls > 0 and ls <= level_time then
        return level_time - ls
    end
    return level_time - R.level_start
end

local function cvar_int(name, default)
    return tointeger(tonumber(et.trap_Cvar_Get(name))) or default
end

local function begin_round(level_time, resumed)
    local gametype = cvar_int("g_gametype", 4)
    local round = 1
    if gametype == 3 then
        round = cvar_int("g_currentRound", 0) + 1
    end
    local map = (et.trap_Cvar_Get("mapname") or ""):gsub("[^%w_%.%+%-]", "_")
    if map == "" then
        map = "unknown"
    end
    R = {
        level_start = level_time,
        t = 0,
        map = map,
        round = round,
        start_unix = os.time(),
        axis_spawn = cvar_int("g_redlimbotime", nil),
        allies_spawn = cvar_int("g_bluelimbotime", nil),
        players = {},
        open = {},
        pending = {},
        revive_pending = {},
        eng_rows = {},
        reaction_rows = {},
        track_rows = {},
        track_count = 0,
        next_id = 1,
        last_sample_t = -1,
        kill_heat = {},
        move_heat = {},
        exited = false,            -- `Exit:` seen: the round is over, nothing more counts
        reinf = nil,               -- reinforcement offsets per team (false: unreadable)
        downs = {},                -- cn -> an enemy kill whose victim is still down
        awaiting = {},             -- cn -> a gibbed/tapped-out kill waiting for the next spawn
        last_enemy_dmg = {},       -- cn -> round time of the last enemy damage taken
        wrecs = {},
        revive_rows = {},
        outcome_rows = {},
        region_rows = {},
        timing_rows = {},
    }
    R.t = level_clock(level_time)
    R.reinf = reinf_offsets() or false
    R.frame = 0
    R.obj = new_objectives(R.t)
    scan_entities()
    if resumed then
        -- lua_restart mid-round: pick up the living players now.
        R.start_unix = R.start_unix - floor(R.t / 1000)
        for cn = 0, maxclients - 1 do
            if sampleable(cn) then
                R.pending[cn] = R.t
                confirm_spawn(cn, true)
                region_baseline(cn)
                sample_carrier(cn, team_of(cn), R.t)
            end
        end
    end
    log(fmt("recording %s round %d%s", map, round, resumed and " (resumed after lua_restart)" or ""))
end

-- Closes everything still open; returns the finished round's data for the writer.
local function finish_round(how)
    local D = R
    local t = D.t
    for cn in pairs(D.pending) do
        confirm_spawn(cn, false)
    end
    for _, E in pairs(D.open) do
        local x, y, z = origin(E.target)
        add_point(E, t, x, y, z, "sample")
        close_engagement(E, t, how)
    end
    for cn, p in pairs(D.players) do
        if p.track then
            end_alive_track(cn, p.track, t, how, false)
            p.track = nil
        end
    end
    for cn, d in pairs(D.downs) do
        D.downs[cn] = nil
        d.outcome, d.otime = "round_end", t
        outcome_row(d, t)
    end
    for cn in pairs(D.awaiting) do
        back_in(cn, t)
    end
    for cn in pairs(D.obj.carries) do
        close_carry(cn, t, "round_end", origin(cn))
    end
    if not D.exit_t and how == "round_end" then
        read_result()
    end
    D.time_set = D.exit_t or t
    R = nil
    D.end_unix = os.time()
    return D
end

local function sorted_keys(t)
    local ks = {}
    for k in pairs(t) do
        ks[#ks + 1] = k
    end
    sort(ks)
    return ks
end

local function by_track(a, b)
    if a.spawn ~= b.spawn then
        return a.spawn < b.spawn
    end
    if a.guid ~= b.guid then
        return a.guid < b.guid
    end
    return a.row < b.row
end

-- Writes the file of a finished round to `<name>.tmp`, in 64 KiB pieces, then renames it.
-- Run as a coroutine it yields whenever the frame's CPU budget is spent, so that no frame
-- stalls the server; at shutdown it is run to the end.
local function write_body(D, out)
    local in_co = coroutine.isyieldable()
    local budget = CONFIG.write_budget_ms / 1000
    local t0 = os.clock()
    local buf, nbuf, size = {}, 0, 0
    local function flush()
        if nbuf > 0 then
            local data = concat(buf, "", 1, nbuf)
            et.trap_FS_Write(data, #data, out.fd)
            out.bytes = out.bytes + #data
            for i = 1, nbuf do
                buf[i] = nil
            end
            nbuf, size = 0, 0
        end
        if in_co and os.clock() - t0 > budget then
            coroutine.yield()
            t0 = os.clock()
        end
    end
    local function put(text)
        nbuf = nbuf + 1
        buf[nbuf] = text
        size = size + #text
        if size >= 65536 then
            flush()
        end
    end
    local function section(name, cols)
        put("\n# " .. name .. "\n# " .. cols .. "\n")
    end
    local F = CONFIG.features
    put(fmt("# PROXIMITY_TRACKER_V4\n# map=%s\n# round=%d\n# crossfire_window=%d\n# escape_time=%d\n# escape_distance=%d\n# position_sample_interval=%d\n# round_start_unix=%d\n# round_end_unix=%d\n# tracker_version_full=%s\n",
        D.map, D.round, CONFIG.crossfire_window_ms, CONFIG.escape_time_ms, CONFIG.escape_distance,
        CONFIG.sample_interval_ms, int(D.start_unix), int(D.end_unix), VERSION))
    if D.axis_spawn then
        put(fmt("# axis_spawn_interval=%d\n", D.axis_spawn))
    end
    if D.allies_spawn then
        put(fmt("# allies_spawn_interval=%d\n", D.allies_spawn))
    end
    if D.winner then
        put(fmt("# winner=%s\n", D.winner))
    end
    if D.defender then
        put(fmt("# defender=%s\n", D.defender))
    end
    put(fmt("# time_set=%d\n", D.time_set))
    put(fmt("# capabilities=engagements:%d,player_tracks:%d,kill_heatmap:%d,movement_heatmap:%d,reaction_metrics:%d,objective_focus:0,revives:%d,kill_outcome:%d,weapon_accuracy:%d,hit_regions:%d,spawn_timing:%d,objective_events:%d,carrier_events:%d,carrier_returns:%d,escort_credit:%d\n",
        F.engagements and 1 or 0, F.player_tracks and 1 or 0, F.heatmaps and 1 or 0,
        F.heatmaps and 1 or 0, (F.reactions and F.engagements) and 1 or 0, F.revives and 1 or 0,
        F.kill_outcome and 1 or 0, F.weapon_accuracy and 1 or 0, F.hit_regions and 1 or 0,
        F.spawn_timing and 1 or 0, F.objective_events and 1 or 0, F.carrier_events and 1 or 0,
        F.carrier_returns and 1 or 0, F.escort_credit and 1 or 0))
    if F.engagements then
        section("ENGAGEMENTS", "id;start_time;end_time;duration;target_guid;target_name;target_team;outcome;total_damage;killer_guid;killer_name;num_attackers;is_crossfire;crossfire_delay;crossfire_participants;start_x;start_y;start_z;end_x;end_y;end_z;distance_traveled;positions;attackers")
        for id = 1, D.next_id - 1 do
            local row = D.eng_rows[id]
            if row then
                put(row)
                put("\n")
            end
        end
    end
    if F.player_tracks then
        section("PLAYER_TRACKS", "guid;name;team;class;spawn_time;death_time;first_move_time;death_type;samples;path")
        local rows = D.track_rows
        sort(rows, by_track)
        for i = 1, #rows do
            put(rows[i].row)
            put("\n")
        end
    end
    if F.heatmaps then
        section("KILL_HEATMAP", "grid_x;grid_y;axis_kills;allies_kills")
        for _, gx in ipairs(sorted_keys(D.kill_heat)) do
            local col = D.kill_heat[gx]
            for _, gy in ipairs(sorted_keys(col)) do
                local c = col[gy]
                put(fmt("%d;%d;%d;%d\n", gx, gy, c[1], c[2]))
            end
        end
        section("MOVEMENT_HEATMAP", "grid_x;grid_y;traversal;combat;escape")
        for _, gx in ipairs(sorted_keys(D.move_heat)) do
            local col = D.move_heat[gx]
            for _, gy in ipairs(sorted_keys(col)) do
                local c = col[gy]
                put(fmt("%d;%d;%d;%d;%d\n", gx, gy, c[1], c[2], c[3]))
            end
        end
    end
    if F.reactions and F.engagements then
        section("REACTION_METRICS", "engagement_id;target_guid;target_name;target_team;target_class;outcome;num_attackers;return_fire_ms;dodge_reaction_ms;support_reaction_ms;start_time;end_time;duration")
        for id = 1, D.next_id - 1 do
            local row = D.reaction_rows[id]
            if row then
                put(row)
                put("\n")
            end
        end
    end
    local function rows(list)
        for i = 1, #list do
            put(list[i])
            put("\n")
        end
    end
    if F.revives then
        section("REVIVES", "time;medic_guid;medic_name;revived_guid;revived_name;x;y;z;distance_to_enemy;nearest_enemy_guid;under_fire")
        rows(D.revive_rows)
    end
    if F.kill_outcome then
        section("KILL_OUTCOME", "kill_time;victim_guid;victim_name;killer_guid;killer_name;kill_mod;outcome;outcome_time;delta_ms;effective_denied_ms;gibber_guid;gibber_name;reviver_guid;reviver_name")
        rows(D.outcome_rows)
    end
    if F.weapon_accuracy then
        section("WEAPON_ACCURACY", "player_guid;player_name;team;weapon_id;shots_fired;hits;kills;headshots")
        -- One row per player and weapon: a player who left and came back is merged by guid.
        local merged, keys = {}, {}
        for _, rec in ipairs(D.wrecs) do
            local k = fmt("%s;%03d", rec.guid, rec.wp)
            local m = merged[k]
            if m then
                m.shots, m.hits = m.shots + rec.shots, m.hits + rec.hits
                m.kills, m.hs = m.kills + rec.kills, m.hs + rec.hs
            else
                merged[k] = { guid = rec.guid, name = rec.name, team = rec.team, wp = rec.wp,
                    shots = rec.shots, hits = rec.hits, kills = rec.kills, hs = rec.hs }
                keys[#keys + 1] = k
            end
        end
        sort(keys)
        for i = 1, #keys do
            local m = merged[keys[i]]
            put(fmt("%s;%s;%s;%d;%d;%d;%d;%d\n", m.guid, m.name, m.team, m.wp, m.shots, m.hits,
                m.kills, m.hs))
        end
    end
    if F.hit_regions then
        section("HIT_REGIONS", "time;attacker_guid;attacker_name;victim_guid;victim_name;weapon;region;damage")
        rows(D.region_rows)
    end
    if F.spawn_timing then
        section("SPAWN_TIMING", "killer_guid;killer_name;killer_team;victim_guid;victim_name;victim_team;kill_time;enemy_spawn_interval;time_to_next_spawn;spawn_timing_score;killer_reinf;victim_reinf")
        rows(D.timing_rows)
    end
    if F.objective_events then
        section("OBJECTIVE_EVENTS", "event_time;event_type;player_guid;player_name;player_team;track_name;player_x;player_y;player_z")
        rows(D.obj.rows)
    end
    if F.carrier_events then
        section("CARRIER_EVENTS", "carrier_guid;carrier_name;carrier_team;flag_team;pickup_time;drop_time;duration_ms;outcome;carry_distance;beeline_distance;efficiency;path_samples;pickup_x;pickup_y;pickup_z;drop_x;drop_y;drop_z;killer_guid;killer_name")
        rows(D.obj.carry_rows)
    end
    if F.carrier_returns then
        section("CARRIER_RETURNS", "return_time;returner_guid;returner_name;returner_team;flag_team;original_carrier_guid;drop_time;return_delay_ms;drop_x;drop_y;drop_z")
        rows(D.obj.return_rows)
    end
    if F.escort_credit then
        section("ESCORT_CREDIT", "player_guid;player_name;player_team;vehicle_name;mounted_time_ms;proximity_time_ms;total_escort_distance;credit_distance;samples")
        -- One row per player and vehicle: a player who left and came back is merged by guid.
        local merged, keys = {}, {}
        for _, rec in ipairs(D.obj.esc_recs) do
            local k = rec.guid .. ";" .. rec.vehicle
            local m = merged[k]
            if m then
                m.mounted, m.near = m.mounted + rec.mounted, m.near + rec.near
                m.escort, m.credit = m.escort + rec.escort, m.credit + rec.credit
                m.samples = m.samples + rec.samples
            else
                merged[k] = { guid = rec.guid, name = rec.name, team = rec.team,
                    vehicle = rec.vehicle, mounted = rec.mounted, near = rec.near,
                    escort = rec.escort, credit = rec.credit, samples = rec.samples }
                keys[#keys + 1] = k
            end
        end
        sort(keys)
        for i = 1, #keys do
            local m = merged[keys[i]]
            put(fmt("%s;%s;%s;%s;%d;%d;%.1f;%.1f;%d\n", m.guid, m.name, m.team, m.vehicle,
                m.mounted, m.near, m.escort, m.credit, m.samples))
        end
    end
    put("\n# END\n")
    flush()
end

local function write_round(D)
    if D.track_count == 0 and D.next_id == 1 then
        log("nothing recorded, no file written")
        return
    end
    local name = fmt("%s/%s-%s-round-%d_engagements.txt", CONFIG.output_dir,
        os.date("%Y-%m-%d-%H%M%S", D.end_unix), D.map, D.round)
    local tmp = name .. ".tmp"
    local fd, len = et.trap_FS_FOpenFile(tmp, FS_WRITE)
    if not fd or fd == 0 or (len and len < 0) then
        log("cannot open " .. tmp .. " for writing")
        return
    end
    local out = { fd = fd, bytes = 0 }
    local ok, err = pcall(write_body, D, out)
    et.trap_FS_FCloseFile(fd)
    if not ok then
        log("ERROR writing " .. tmp .. ": " .. tostring(err))
        return
    end
    et.trap_FS_Rename(tmp, name)
    log(fmt("wrote %s (%d bytes, %d engagements, %d tracks)", name, out.bytes, D.next_id - 1,
        #D.track_rows))
end

-- Runs the pending writer: a slice per frame, or to completion (shutdown / quit).
local function run_writer(to_end)
    while writer do
        local ok, err = coroutine.resume(writer)
        if not ok then
            log("ERROR writing the round file: " .. tostring(err))
            writer = nil
        elseif coroutine.status(writer) == "dead" then
            writer = nil
        end
        if not to_end then
            return
        end
    end
end

local function end_round(how, now)
    local D = finish_round(how)
    writer = coroutine.create(write_round)
    local ok, err = coroutine.resume(writer, D)
    if not ok then
        log("ERROR writing the round file: " .. tostring(err))
        writer = nil
    elseif coroutine.status(writer) == "dead" then
        writer = nil
    end
    if now then
        run_writer(true)
    end
end

local function init(level_time, resumed)
    inited = true
    maxclients = tointeger(tonumber(et.trap_Cvar_Get("sv_maxclients"))) or 64
    if maxclients < 1 or maxclients > 64 then
        maxclients = 64
    end
    local fps = tointeger(tonumber(et.trap_Cvar_Get("sv_fps"))) or 20
    if fps < 1 then
        fps = 20
    end
    local frame_ms = 1000 // fps
    group_count = CONFIG.sample_interval_ms // frame_ms
    if group_count < 1 then
        group_count = 1
    end
    if et.trap_Cvar_Get("gamestate") == "0" then
        begin_round(level_time, resumed)
    end
end

---------------------------------------------------------------------------------------------------
-- Per-frame work

local function sample_player(cn, p, t)
    local pmf = sampleable(cn)
    local E = R.open[cn]
    if not pmf then
        if E and t - E.last_hit >= CONFIG.engagement_timeout_ms then
            close_engagement(E, t, "timeout")
        end
        return
    end
    local tr = p.track
    local x, y, z, vx, vy, stance
    if tr and not tr.dead then
        x, y, z, vx, vy, stance = path_point(cn, tr, t, "sample", pmf)
        if not R.obj.logs then
            sample_carrier(cn, team_of(cn), t)
        end
    elseif E then
        x, y, z = origin(cn)
        local v = gget(cn, "ps.velocity")
        vx, vy = coord(v[1]), coord(v[2])
        stance = (gget(cn, "ps.eFlags") & EF_PRONE ~= 0) and 2 or (pmf & PMF_DUCKED ~= 0 and 1 or 0)
    else
        return
    end
    if CONFIG.features.heatmaps then
        local cell = heat_cell(R.move_heat, x, y, new_move_cell)
        if cell then
            cell[1] = cell[1] + 1
        end
    end
    if E then
        local since = t - E.last_hit
        if since >= CONFIG.escape_time_ms then
            local dx, dy, dz = x - E.hx, y - E.hy, z - E.hz
            if dx * dx + dy * dy + dz * dz >= CONFIG.escape_distance * CONFIG.escape_distance then
                add_point(E, t, x, y, z, "escape")
                if CONFIG.features.heatmaps then
                    local cell = heat_cell(R.move_heat, x, y, new_move_cell)
                    if cell then
                        cell[3] = cell[3] + 1
                    end
                end
                close_engagement(E, t, "escaped")
                return
            end
        end
        if since >= CONFIG.engagement_timeout_ms then
            add_point(E, t, x, y, z, "sample")
            close_engagement(E, t, "timeout")
            return
        end
        add_point(E, t, x, y, z, "sample")
        if CONFIG.features.reactions then
            dodge_check(E, t, vx, vy, stance)
        end
    end
end

local function run_frame(level_time)
    local gs = et.trap_Cvar_Get("gamestate")
    R.t = level_clock(level_time)
    if gs ~= "0" then
        end_round("round_end", false)
        return
    end
    local t = R.t
    R.frame = R.frame + 1
    for cn in pairs(R.revive_pending) do
        finish_revive(cn, false)
    end
    -- Tap-outs have no callback: a downed player seen in limbo went there without a gib.
    for cn in pairs(R.downs) do
        if gget(cn, "ps.pm_flags") & PMF_LIMBO ~= 0 then
            down_over(cn, "tapped_out", t)
        end
    end
    for cn in pairs(R.pending) do
        confirm_spawn(cn, false)
    end
    if t <= R.last_sample_t then
        return -- the clock stands still (pause): nothing moves, nothing to sample
    end
    R.last_sample_t = t
    poll_objectives(t)
    frame_no = frame_no + 1
    local players = R.players
    for cn = frame_no % group_count, maxclients - 1, group_count do
        local p = players[cn]
        if p and (p.track or R.open[cn]) then
            sample_player(cn, p, t)
        end
    end
end

---------------------------------------------------------------------------------------------------
-- Event handlers

local function on_damage(target, attacker, damage, mod)
    local t = R.t
    local F = CONFIG.features
    local aclient = attacker >= 0 and attacker < maxclients and attacker ~= target
    local region
    if aclient then
        region = region_delta(attacker)
    end
    local health = gget(target, "health")
    local tteam = team_of(target)
    local ateam = aclient and team_of(attacker) or nil
    local enemy = aclient and (tteam == 1 or tteam == 2) and (ateam == 1 or ateam == 2)
        and ateam ~= tteam
    if enemy then
        R.last_enemy_dmg[target] = t
    end
    if health <= 0 then
        -- A downed body: opens nothing; destroyed below FORCE_LIMBO_HEALTH (gibbed).
        if R.downs[target] and health - int(damage) < FORCE_LIMBO_HEALTH then
            down_over(target, "gibbed", t, (attacker >= 0 and attacker < maxclients) and attacker or nil)
        end
        return
    end
    if not aclient or (tteam ~= 1 and tteam ~= 2) or (ateam ~= 1 and ateam ~= 2) then
        return
    end
    if gget(target, "ps.pm_flags") & (PMF_FOLLOW | PMF_LIMBO) ~= 0 then
        return
    end
    confirm_spawn(target, true)
    finish_revive(target, true)
    damage = int(damage)
    if enemy and F.weapon_accuracy then
        enemy_hit(attacker, target, damage, mod, region, t)
    end
    if not F.engagements then
        return
    end
    local E = R.open[target]
    if not E then
        E = open_engagement(target, tteam, t)
    end
    local a = E.attackers[attacker] or add_attacker(E, attacker, t)
    a.damage = a.damage + damage
    a.hits = a.hits + 1
    a.last = t
    local w = MOD_WEAPON[mod] or int(gget(attacker, "ps.weapon"))
    a.weapons[w] = (a.weapons[w] or 0) + 1
    E.total = E.total + damage
    E.last_hit = t
    local x, y, z = origin(target)
    E.hx, E.hy, E.hz = x, y, z
    add_point(E, t, x, y, z, "hit")
    if F.heatmaps then
        local cell = heat_cell(R.move_heat, x, y, new_move_cell)
        if cell then
            cell[2] = cell[2] + 1
        end
    end
    if F.reactions then
        reactions_on_hit(attacker, ateam, target, t)
    end
end

local function death_type(victim, killer, mod, kclient, kteam, vteam)
    if kclient then
        return kteam == vteam and "teamkill" or "killed"
    elseif mod == MOD_FALLING then
        return "fallen"
    elseif killer == victim or mod == MOD_SUICIDE or mod == MOD_SWITCHTEAM then
        return "selfkill"
    end
    return "world"
end

local function on_obituary(victim, killer, mod)
    local t = R.t
    confirm_spawn(victim, true)
    finish_revive(victim, true)
    local vteam = team_of(victim)
    local kclient = killer >= 0 and killer < maxclients and killer ~= victim
    local kteam = kclient and team_of(killer) or nil
    local dtype = death_type(victim, killer, mod, kclient, kteam, vteam)
    local x, y, z = origin(victim)
    settle_pickup(victim)
    if R.obj.carries[victim] then
        close_carry(victim, t, "killed", x, y, z, killer)
    end
    local E = R.open[victim]
    if E then
        add_point(E, t, x, y, z, "death")
        if kclient then
            local a = E.attackers[killer] or add_attacker(E, killer, t)
            a.kill = 1
            E.killer_guid, E.killer_name = a.guid, a.name
        end
        close_engagement(E, t, "killed")
    end
    if kclient and kteam ~= vteam and (kteam == 1 or kteam == 2) and (vteam == 1 or vteam == 2)
        and not R.exited then
        on_enemy_kill(victim, killer, mod, vteam, kteam, t)
    end
    if kclient and CONFIG.features.heatmaps and (kteam == 1 or kteam == 2) then
        local cell = heat_cell(R.kill_heat, x, y, new_kill_cell)
        if cell then
            cell[kteam] = cell[kteam] + 1
        end
    end
    local p = R.players[victim]
    local tr = p and p.track
    if tr and not tr.dead then
        path_point(victim, tr, t, dtype)
        tr.dead, tr.death, tr.dtype = true, t, dtype
    end
end

local function on_spawn(cn, revived)
    local p = player(cn)
    if revived == 1 then
        if not R.exited then
            R.revive_pending[cn] = R.t
        end
        return
    end
    R.revive_pending[cn] = nil
    -- Respawned while still counted down: it went to limbo without a gib.
    down_over(cn, "tapped_out", R.t)
    region_baseline(cn)
    if p.track then
        end_alive_track(cn, p.track, R.t, "unknown", true)
        p.track = nil
    end
    R.pending[cn] = R.t
end

local function on_disconnect(cn)
    local t = R.t
    confirm_spawn(cn, false)
    finish_revive(cn, true)
    down_over(cn, "tapped_out", t)
    back_in(cn, t)
    local E = R.open[cn]
    if E then
        local x, y, z = origin(cn)
        add_point(E, t, x, y, z, "sample")
        close_engagement(E, t, "disconnect")
    end
    local O = R.obj
    settle_pickup(cn)
    if O.carries[cn] then
        close_carry(cn, t, "disconnected", origin(cn))
    end
    local p = R.players[cn]
    if p then
        if p.track then
            end_alive_track(cn, p.track, t, "disconnect", true)
        end
        -- Keep the attacker links (their rows carry guid and name); forget the slot.
        R.players[cn] = { attacking = p.attacking }
    end
    -- After the last sample, which would make the player a candidate escort again.
    O.pickups[cn], O.dropcmd[cn], O.cand[cn], O.esc[cn] = nil, nil, nil, nil
end

---------------------------------------------------------------------------------------------------
-- Engine callbacks (the only globals). None of them returns a value.

function et_InitGame(levelTime, randomSeed, restart)
    et.RegisterModname("proximity")
    guard("et_InitGame", init, levelTime, false)
end

function et_RunFrame(levelTime)
    if not inited then
        -- A VM that missed et_InitGame (lua_restart): resume mid-round.
        guard("et_RunFrame", init, levelTime, true)
    end
    if writer then
        guard("et_RunFrame", run_writer, false)
    end
    if R then
        guard("et_RunFrame", run_frame, levelTime)
    end
end

function et_ShutdownGame(restart)
    if R then
        guard("et_ShutdownGame", end_round, "shutdown", true)
    end
    if writer then
        guard("et_ShutdownGame", run_writer, true)
    end
end

function et_Quit()
    if writer then
        guard("et_Quit", run_writer, true)
    end
end

function et_ClientConnect(clientNum, firstTime, isBot)
    if R and clientNum >= 0 and clientNum < maxclients then
        local p = R.players[clientNum]
        if p then
            p.guid = nil
        end
    end
end

function et_ClientDisconnect(clientNum)
    if R and clientNum >= 0 and clientNum < maxclients then
        guard("et_ClientDisconnect", on_disconnect, clientNum)
    end
end

function et_ClientSpawn(clientNum, revived, teamChange, restoreHealth)
    if R and clientNum >= 0 and clientNum < maxclients then
        guard("et_ClientSpawn", on_spawn, clientNum, revived)
    end
end

function et_Revive(revivee, reviver, invulnEndTime)
    if R and revivee >= 0 and revivee < maxclients then
        guard("et_Revive", finish_revive, revivee, true, reviver)
    end
end

-- Counted per shot: kept to a table lookup and an increment (the first shot of a weapon is
-- the only one that reads the engine).
function et_WeaponFire(clientNum, weapon)
    local r = R
    if r and not r.exited and CONFIG.features.weapon_accuracy then
        weapon = WEAPON_BASE[weapon] or weapon
        local p = r.players[clientNum]
        local ws = p and p.ws
        local rec = ws and ws[weapon]
        if rec then
            rec.shots = rec.shots + 1
        elseif clientNum >= 0 and clientNum < maxclients then
            guard("et_WeaponFire", first_shot, clientNum, weapon)
        end
    end
end

local function on_print(text)
    local medic, revivee = text:match("^Medic_Revive: (%d+) (%d+)")
    if medic then
        -- Printed once the revive is complete (origin and health final): finish it now.
        revivee = tointeger(tonumber(revivee))
        if revivee and R.revive_pending[revivee] then
            finish_revive(revivee, true, tointeger(tonumber(medic)))
        end
    elseif text:find("^Exit:") then
        if not R.exited then
            R.exited = true
            R.exit_t = R.t
            read_result()
        end
    else
        on_objective_line(text)
    end
end

function et_Print(text)
    if R and type(text) == "string" then
        local c = text:byte(1)
        -- 'M'edic_Revive, 'E'xit, 'D'ynamite_*, 'O'bjective_Destroyed, 'R'epair, 'I'tem,
        -- 'l'egacy popup
        if c == 77 or c == 69 or c == 68 or c == 79 or c == 82 or c == 73 or c == 108 then
            guard("et_Print", on_print, text)
        end
    end
end

function et_Damage(target, attacker, damage, damageFlags, meansOfDeath)
    if R then
        if target >= 0 and target < maxclients then
            guard("et_Damage", on_damage, target, attacker, damage, meansOfDeath)
        elseif R.obj.cons_at[target] and attacker >= 0 and attacker < maxclients then
            guard("et_Damage", on_object_damage, target, attacker)
        end
    end
end

-- Only `dropobj` matters (the carrier drops the item); the command is never intercepted.
function et_ClientCommand(clientNum, command)
    if R and (R.obj.carries[clientNum] or R.obj.pickups[clientNum]) and type(command) == "string"
        and #command == 7
        and command:lower() == "dropobj" then
        guard("et_ClientCommand", on_dropobj, clientNum)
    end
end

function et_Obituary(victim, killer, meansOfDeath)
    if R and victim >= 0 and victim < maxclients then
        guard("et_Obituary", on_obituary, victim, killer, meansOfDeath)
    end
end
