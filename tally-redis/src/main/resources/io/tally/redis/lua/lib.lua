-- Tally Redis store: the helpers of the library's functions, defined once when the library loads (see README.md for
-- the key layout). Every function is registered by the file of its name (create.lua: create), write.lua the writes.
-- Every value is kept as a string; integers are formatted with %d (never tostring, which prints 1e+15). A stored number
-- is read with `s + 0`, not tonumber(s): arithmetic converts the string once, where Lua 5.1's tonumber converts it twice
-- (lua_isnumber, then lua_tonumber: a strtod each) and is a function call besides; for the five fields a keyed record
-- reads, that was 6 % of its instructions (docs/benchmarks.md). (tonumber stays where a value may be absent.)

local function fmt(n)
    return string.format('%d', n)
end

-- fmt(now), formatted once per function call: every step of a call stamps the same time, often in several fields.
local last_now, last_now_s
local function fmt_now(now)
    if now ~= last_now then
        last_now, last_now_s = now, fmt(now)
    end
    return last_now_s
end

-- io.tally.store.RateEstimator.fold, with the same arithmetic (doubles, window 1000 ms, tau 10 s), on numbers:
-- rate (nil = none yet; or as stored, a string, read only when the window closes: most calls leave it as it was),
-- rateAt (nil = not started), the units accumulated since rateAt, the new units and now.
-- Returns the new rate, rateAt and accumulated units, and whether the window closed (the rate changed: a number).
local function fold(rate, rate_at, acc, units, now)
    acc = acc + units
    if rate_at == nil then
        return rate, now, acc, false
    end
    local dt = now - rate_at
    if dt < 1000 then
        return rate, rate_at, acc, false
    end
    local inst = acc * 1000.0 / dt
    if rate == nil then
        rate = inst
    else
        rate = rate + 0
        rate = rate + math.min(1.0, dt / 1000.0 / 10.0) * (inst - rate)
    end
    return rate, now, 0, true
end

-- Sends a message on the namespace's channel. On a Cluster the channel is its bucket's shard channel, which the caller
-- passes with a leading '#' (Keys.Bucket.channelArgument): SPUBLISH keeps the message on the bucket's shard, where
-- its subscribers are (a plain PUBLISH goes to every node of the cluster).
local function publish_to(channel, message)
    if string.byte(channel, 1) == 35 then -- '#'
        redis.call('SPUBLISH', string.sub(channel, 2), message)
    else
        redis.call('PUBLISH', channel, message)
    end
end

-- Publishes events with the job as stored (HGETALL, not a copy the script holds): the message of every write,
-- {id, events, job}, which RedisEvents.decode reads; the id is the stored job's.
local function publish_stored(channel, key, events)
    local flat = redis.call('HGETALL', key)
    local full = {}
    for i = 1, #flat, 2 do
        full[flat[i]] = flat[i + 1]
    end
    publish_to(channel, cjson.encode({id = full.id, events = events, job = full}))
end

-- Live subscribers get at most one message of progress alone per job per PUBLISH_EVERY ms, as the SQL stores coalesce
-- theirs: a write whose events are all PROGRESS publishes only when the job's last such message (pubAt, in the store's
-- clock) is that old, else it marks the job (pubHeld). Any other event publishes at once, after a PROGRESS when
-- progress was held (here and in publish()), so the message before a FINISHED shows the final counts; and a subscriber
-- reads the job again once its progress messages have stopped for that long (RedisEvents' TrailingProgress), so the
-- last of a burst is heard too. A busy job's writes then cost an HMGET (and an HSET once per interval) instead of an
-- HGETALL, an encoding of the whole job and a PUBLISH each.
local PUBLISH_EVERY = 100
local function publish_events(channel, key, events, now)
    local at, held = unpack(redis.call('HMGET', key, 'pubAt', 'pubHeld'))
    for i = 1, #events do
        if events[i].type ~= 'PROGRESS' then
            if held then
                table.insert(events, 1, {type = 'PROGRESS'})
                redis.call('HDEL', key, 'pubHeld')
            end
            return publish_stored(channel, key, events)
        end
    end
    at = tonumber(at)
    if at and now >= at and now - at < PUBLISH_EVERY then
        if not held then
            redis.call('HSET', key, 'pubHeld', '1')
        end
        return
    end
    if held then
        redis.call('HDEL', key, 'pubHeld')
    end
    redis.call('HSET', key, 'pubAt', fmt_now(now))
    publish_stored(channel, key, events)
end

-- HSET/ZADD/RPUSH with many arguments, in chunks that stay below Lua's unpack limit.
local function bulk(cmd, key, args, step)
    for i = 1, #args, step do
        local last = math.min(i + step - 1, #args)
        redis.call(cmd, key, unpack(args, i, last))
    end
end

-- The counters after an item or part moves from the outcome 'prior' ('S', 'F' or nil for none) to 'outcome':
-- returns 1 if it was new (else 0), succeeded, failed.
local function recount(prior, outcome, succeeded, failed)
    local new = 0
    if not prior then
        new = 1
    elseif prior == 'S' then
        succeeded = succeeded - 1
    else
        failed = failed - 1
    end
    if outcome == 'S' then
        succeeded = succeeded + 1
    else
        failed = failed + 1
    end
    return new, succeeded, failed
end

-- JobRules.checkCounts: no counter passes 2^53 - 1 (Validation.MAX_COUNT), the largest integer a Lua number (a double)
-- holds exactly. A sum past it rounds to a double that is still past it, so the comparison is exact. Returns the name of
-- the first counter past it (the refusal's field), or nil.
local MAX_COUNT = 9007199254740991
local function over_limit(succeeded, failed, total)
    if succeeded > MAX_COUNT then
        return 'succeeded'
    elseif failed > MAX_COUNT then
        return 'failed'
    elseif total > MAX_COUNT then
        return 'total'
    end
    return nil
end

-- Part outcomes: a bitfield of u2 per part (0 pending, 1 succeeded, 2 failed) and a hash of the failed parts' reasons.
local CODE, BITS = {[1] = 'S', [2] = 'F'}, {S = 1, F = 2}

-- Common KEYS of every job write:
--   1 job hash, 2..7 state indexes (PENDING RUNNING SUCCEEDED FAILED CANCELLED SKIPPED),
--   8 due:lease, 9 due:deadline, 10 due:retain

local STATE_KEY = {PENDING = 2, RUNNING = 3, SUCCEEDED = 4, FAILED = 5, CANCELLED = 6, SKIPPED = 7} -- K index
local TERMINAL = {SUCCEEDED = true, FAILED = true, CANCELLED = true, SKIPPED = true}
local KEY_JOB, KEY_LEASE, KEY_DEADLINE, KEY_RETAIN = 1, 8, 9, 10
-- The keys the helpers below use: the KEYS of the function call (register() sets it), except in write.lua, which
-- points K at the keys of the job it writes.
local K = {}

-- Index member: 13-digit zero-padded createdAt millis, ':', id. All index members have score 0 so that
-- ZRANGE BYLEX orders them by (createdAt, id).
local function member(j)
    return string.format('%013d', tonumber(j.createdAt)) .. ':' .. j.id
end

local function load(key)
    local flat = redis.call('HGETALL', key)
    if #flat == 0 then
        return nil
    end
    local j = {}
    for i = 1, #flat, 2 do
        j[flat[i]] = flat[i + 1]
    end
    return j
end

local function flatten(j)
    local out = {}
    for k, v in pairs(j) do
        out[#out + 1] = k
        out[#out + 1] = v
    end
    return out
end

-- The fields an operation changed, so that only those are written back: a set of field names, new for every step
-- (clean()). Made by a constructor that names the fields a write changes most, with no values: Lua 5.1 sizes a table
-- from its constructor, so these fields arrive without the table growing (each growth rehashes it).
local function clean()
    return {updatedAt = nil, rateAcc = nil, rateAt = nil, rate = nil, succeeded = nil, failed = nil, total = nil,
        leaseUntil = nil}
end
local dirty = clean()
local function set(j, field, value)
    j[field] = value
    dirty[field] = true
end

-- set() of each field, value of the list h.
local function set_all(j, h)
    for i = 1, #h, 2 do
        set(j, h[i], h[i + 1])
    end
end

-- Writes the fields of j that changed (see dirty) to the job hash: one HSET, and one HDEL for those now nil.
local function save(j)
    local hset, hdel, n = {nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}, nil, 0 -- (sized as clean())
    for field in pairs(dirty) do
        local v = j[field]
        if v == nil then
            hdel = hdel or {}
            hdel[#hdel + 1] = field
        else
            hset[n + 1], hset[n + 2], n = field, v, n + 2
        end
    end
    if n > 0 then
        redis.call('HSET', K[KEY_JOB], unpack(hset, 1, n))
    end
    if hdel then
        redis.call('HDEL', K[KEY_JOB], unpack(hdel))
    end
end

local function plus(now, millis)
    if millis == nil then
        return nil
    end
    return fmt(now + tonumber(millis))
end

-- Keeps due set K[key] in step with j's field, if this step changed it (or 'all'): see sync_due.
local function sync_one_due(j, all, key, field)
    if all or dirty[field] then
        local value = j[field]
        if value == nil then
            if not all then
                redis.call('ZREM', K[key], j.id)
            end
        else
            redis.call('ZADD', K[key], tonumber(value), j.id)
        end
    end
end

-- Keeps the due sets in step with the job: lease only while RUNNING, deadline while active, retain once terminal.
-- Touches only the sets whose field this step changed (all of them when 'all' is true); call it before save().
local function sync_due(j, all)
    sync_one_due(j, all, KEY_LEASE, 'leaseUntil')
    sync_one_due(j, all, KEY_DEADLINE, 'deadline')
    sync_one_due(j, all, KEY_RETAIN, 'retainUntil')
end

local function move_state(j, from)
    if from ~= j.state then
        local m = member(j)
        redis.call('ZADD', K[STATE_KEY[j.state]], '0', m)
        redis.call('ZREM', K[STATE_KEY[from]], m)
    end
end

-- PENDING -> RUNNING on the first sign of work (JobRules: auto-start).
local function auto_start(j, now)
    if j.state == 'PENDING' then
        set(j, 'state', 'RUNNING')
        set(j, 'startedAt', fmt_now(now))
        set(j, 'deadline', plus(now, j.timeout))
        set(j, 'leaseUntil', plus(now, j.heartbeat))
        set(j, 'rateAt', fmt_now(now))
    end
    set(j, 'updatedAt', fmt_now(now))
end

-- The job's rate fields (rate, rateAt, rateAcc as stored: nil or false where the job has none) as fold() takes them:
-- rate (nil = none yet, else as stored), rateAt (nil = not started), rateAcc.
local function rate_state(rate, rate_at, acc)
    return rate or nil, rate_at and rate_at + 0 or nil, acc and acc + 0 or 0
end

local function fmt_rate(rate)
    return string.format('%.17g', rate)
end

-- What progress writes (JobRules: progress), appended to the list h of field, value for HSET (a new list if nil): the
-- rate fields after the fold()s of a run (rate_s: the rate formatted if a fold changed it, else false; moved_at: the
-- rateAt if it moved from the job's, else false; acc_s: rateAcc, formatted), updatedAt, and the renewed lease of a
-- RUNNING job with a heartbeat (a sign of life), which is also returned second. state and heartbeat: the job's
-- (heartbeat nil or false if it has none).
local function progress_fields(state, heartbeat, now, rate_s, moved_at, acc_s, h)
    h = h or {}
    local n, lease = #h, nil
    h[n + 1], h[n + 2], h[n + 3], h[n + 4], n = 'updatedAt', now == last_now and last_now_s or fmt_now(now), 'rateAcc',
        acc_s, n + 4
    if rate_s then
        h[n + 1], h[n + 2], n = 'rate', rate_s, n + 2
    end
    if moved_at then
        h[n + 1], h[n + 2], n = 'rateAt', fmt_now(moved_at), n + 2 -- (a rate folded or started now)
    end
    if state == 'RUNNING' and heartbeat then
        lease = plus(now, heartbeat)
        h[n + 1], h[n + 2] = 'leaseUntil', lease
    end
    return h, lease
end

local function finish(j, to, now)
    set(j, 'state', to)
    set(j, 'finishedAt', fmt_now(now))
    set(j, 'updatedAt', fmt_now(now))
    set(j, 'deadline', nil)
    set(j, 'leaseUntil', nil)
    set(j, 'retainUntil', plus(now, j.retainFor))
end

local function set_error(j, message, etype, stack, reason)
    set(j, 'errorMessage', message)
    set(j, 'errorType', etype)
    set(j, 'errorStack', stack)
    set(j, 'errorReason', reason)
end

-- One message per script: every event of the step, with the job as it is after the step.
local function publish(channel, j, events)
    if #events > 0 then
        if j.pubHeld and events[1].type ~= 'DELETED' then
            -- progress that publish_events held back: the message before this event shows it
            table.insert(events, 1, {type = 'PROGRESS'})
            redis.call('HDEL', K[KEY_JOB], 'pubHeld')
            j.pubHeld = nil
        end
        publish_to(channel, cjson.encode({id = j.id, events = events, job = j}))
    end
end

-- Writes a step's changes to the job (its due sets, its fields, its state index: from is its state when read) and
-- publishes the step's events with the job as it is now.
local function commit(j, from, channel, events)
    sync_due(j)
    save(j)
    move_state(j, from)
    publish(channel, j, events)
end

local EVENT_FOR_STATE = {
    PENDING = 'CREATED', RUNNING = 'STARTED', SUCCEEDED = 'FINISHED',
    FAILED = 'FAILED', CANCELLED = 'CANCELLED', SKIPPED = 'SKIPPED'
}

local function reply(status, j, ...)
    local out = {status, ...}
    if j ~= nil then
        local flat = flatten(j)
        for i = 1, #flat do
            out[#out + 1] = flat[i]
        end
    end
    return out
end

-- Reads into j the given fields it does not hold yet: for a job read with HMGET of the fields a write needs up front,
-- the fields a rarer step needs too (member() needs id and createdAt, auto_start timeout, finish retainFor).
local function need(j, key, fields)
    local missing = {}
    for _, f in ipairs(fields) do
        if j[f] == nil then
            missing[#missing + 1] = f
        end
    end
    if #missing > 0 then
        local v = redis.call('HMGET', key, unpack(missing))
        for i, f in ipairs(missing) do
            j[f] = v[i] or nil
        end
    end
end

-- Whether the channel has a subscriber: events are built and published only then (nobody could receive them
-- otherwise, and encoding the whole job is most of a small write's cost). PUBSUB NUMSUB counts this server's
-- subscribers; a shard channel's ('#', publish_to) are counted by PUBSUB SHARDNUMSUB on the shard that holds it.
local function listening(channel)
    if string.byte(channel, 1) == 35 then
        return tonumber(redis.call('PUBSUB', 'SHARDNUMSUB', string.sub(channel, 2))[2]) > 0
    end
    return tonumber(redis.call('PUBSUB', 'NUMSUB', channel)[2]) > 0
end

-- Registers fn(KEYS, ARGV) as the library function tally_<VERSION>_<name> (VERSION: the library's, see
-- FunctionLibrary). The helpers' per-call state (K, dirty) lives as long as the library, so each call starts by
-- resetting it, unless the function does so itself (own_state: write, which points K and resets dirty per run).
-- Read-only functions are flagged no-writes (FCALL_RO can run them on a replica).
local function register(name, fn, read_only, own_state)
    redis.register_function {
        function_name = 'tally_' .. VERSION .. '_' .. name,
        callback = own_state and fn or function(keys, args)
            K, dirty = keys, clean()
            return fn(keys, args)
        end,
        flags = read_only and {'no-writes'} or {}
    }
end
