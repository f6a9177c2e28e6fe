-- Tally Redis store: helpers prepended (after base.lua) to every script but hot.lua (see README.md for the key layout).
-- Common KEYS of every job write:
--   1 job hash, 2..7 state indexes (PENDING RUNNING SUCCEEDED FAILED CANCELLED SKIPPED),
--   8 due:lease, 9 due:deadline, 10 due:retain

local STATES = {'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'}
local STATE_KEY = {}
for i, s in ipairs(STATES) do STATE_KEY[s] = i + 1 end
local TERMINAL = {SUCCEEDED = true, FAILED = true, CANCELLED = true, SKIPPED = true}
local KEY_JOB, KEY_LEASE, KEY_DEADLINE, KEY_RETAIN = 1, 8, 9, 10
-- The keys the helpers below use: KEYS, except in write.lua, which points K at the keys of the operation it runs.
local K = KEYS

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

-- Tracks the fields an operation changed so that only those are written back.
local dirty = {}
local function set(j, field, value)
    j[field] = value
    dirty[field] = true
end

local function save(j)
    local hset, hdel = {}, {}
    for field in pairs(dirty) do
        local v = j[field]
        if v == nil then
            hdel[#hdel + 1] = field
        else
            hset[#hset + 1] = field
            hset[#hset + 1] = v
        end
    end
    if #hset > 0 then
        redis.call('HSET', K[KEY_JOB], unpack(hset))
    end
    if #hdel > 0 then
        redis.call('HDEL', K[KEY_JOB], unpack(hdel))
    end
    dirty = {}
end

local function plus(now, millis)
    if millis == nil then
        return nil
    end
    return fmt(now + tonumber(millis))
end

-- Keeps the due sets in step with the job: lease only while RUNNING, deadline while active, retain once terminal.
-- Touches only the sets whose field this step changed (all of them when 'all' is true); call it before save().
local function sync_due(j, all)
    local function put(key, field)
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
    put(KEY_LEASE, 'leaseUntil')
    put(KEY_DEADLINE, 'deadline')
    put(KEY_RETAIN, 'retainUntil')
end

local function move_state(j, from)
    if from ~= j.state then
        local m = member(j)
        redis.call('ZADD', K[STATE_KEY[j.state]], 0, m)
        redis.call('ZREM', K[STATE_KEY[from]], m)
    end
end

-- PENDING -> RUNNING on the first sign of work (MemoryJobStore.autoStart).
local function auto_start(j, now)
    if j.state == 'PENDING' then
        set(j, 'state', 'RUNNING')
        set(j, 'startedAt', fmt(now))
        set(j, 'deadline', plus(now, j.timeout))
        set(j, 'leaseUntil', plus(now, j.heartbeat))
        set(j, 'rateAt', fmt(now))
    end
    set(j, 'updatedAt', fmt(now))
end

-- fold() on the job's fields.
local function fold_rate(j, units, now)
    local rate, rate_at, acc, folded =
        fold(j.rate and tonumber(j.rate), j.rateAt and tonumber(j.rateAt), tonumber(j.rateAcc or '0'), units, now)
    if folded then
        set(j, 'rate', string.format('%.17g', rate))
    end
    if rate_at ~= tonumber(j.rateAt) then
        set(j, 'rateAt', fmt(rate_at))
    end
    set(j, 'rateAcc', fmt(acc))
end

-- Progress is a sign of life: fold the rate, touch updatedAt, renew the lease (MemoryJobStore.Mut.progress).
local function progress(j, units, now)
    fold_rate(j, units, now)
    set(j, 'updatedAt', fmt(now))
    if j.state == 'RUNNING' and j.heartbeat ~= nil then
        set(j, 'leaseUntil', plus(now, j.heartbeat))
    end
end

local function finish(j, to, now)
    set(j, 'state', to)
    set(j, 'finishedAt', fmt(now))
    set(j, 'updatedAt', fmt(now))
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
        redis.call('PUBLISH', channel, cjson.encode({id = j.id, events = events, job = j}))
    end
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

-- ---- write.lua (record, recordParts): few commands per call, each redis.call costs more than the Lua around it ----

-- The job fields a hot-path write needs: everything but name, scope, parent and metadata (which never change and
-- are not needed to decide anything), read with one HMGET instead of HGETALL.
local HOT = {
    'id', 'state', 'parts', 'tolerated', 'total', 'succeeded', 'failed', 'settled', 'settledBy', 'createdAt',
    'createdBy', 'startedAt', 'updatedAt', 'finishedAt', 'timeout', 'heartbeat', 'retainFor', 'deadline', 'leaseUntil',
    'retainUntil', 'result', 'errorMessage', 'errorType', 'errorStack', 'errorReason', 'message', 'rate', 'rateAt',
    'rateAcc'
}
-- The fields that can change after create, in the order of a short reply (Records.MUTABLE on the Java side).
local MUTABLE = {
    'state', 'total', 'succeeded', 'failed', 'settled', 'startedAt', 'updatedAt', 'finishedAt', 'deadline',
    'leaseUntil', 'retainUntil', 'result', 'errorMessage', 'errorType', 'errorStack', 'errorReason', 'message', 'rate',
    'rateAt', 'rateAcc'
}

local function load_hot(key)
    local v = redis.call('HMGET', key, unpack(HOT))
    if not v[2] then -- every job has a state
        return nil
    end
    local j = {}
    for i = 1, #HOT do
        if v[i] then
            j[HOT[i]] = v[i]
        end
    end
    return j
end

-- Appends the job to a reply: 'm' and the MUTABLE values (false = absent) when the caller already holds the fixed
-- fields of this incarnation of the job (known = its createdBy token), else 'f' and the whole hash as stored.
local function job_reply(out, key, j, known)
    if known ~= '' and j.createdBy == known then
        out[#out + 1] = 'm'
        for i = 1, #MUTABLE do
            local v = j[MUTABLE[i]]
            if v == nil then
                out[#out + 1] = false
            else
                out[#out + 1] = v
            end
        end
    else
        out[#out + 1] = 'f'
        local flat = redis.call('HGETALL', key)
        for i = 1, #flat do
            out[#out + 1] = flat[i]
        end
    end
    return out
end

-- Publishes the step's events with the job as stored after the step (the same message as publish()), but only
-- when the channel has a subscriber: nobody could receive it otherwise, and encoding the whole job is most of a
-- small write's cost. PUBSUB NUMSUB counts this server's subscribers (on Redis Cluster: this node's).
local function listening(channel)
    return tonumber(redis.call('PUBSUB', 'NUMSUB', channel)[2]) > 0
end

local function publish_hot(channel, key, j, events, heard)
    if #events == 0 then
        return
    end
    if heard == nil then
        heard = listening(channel)
    end
    if not heard then
        return
    end
    publish_stored(channel, key, events)
end

-- The stored outcomes of the items in 'keys': key -> 'S' or 'F', no entry for an item not recorded yet. One ZMSCORE per
-- outcome set and 1000 keys.
local function item_outcomes(ok_key, failed_key, keys)
    local stored = {}
    for _, set in ipairs({{ok_key, 'S'}, {failed_key, 'F'}}) do
        for i = 1, #keys, 1000 do
            local last = math.min(i + 999, #keys)
            local scores = redis.call('ZMSCORE', set[1], unpack(keys, i, last))
            for k = i, last do
                if scores[k - i + 1] then
                    stored[keys[k]] = set[2]
                end
            end
        end
    end
    return stored
end

-- Keeps each item's reason as its last recorded value ('S|why' or 'F|why'; final[f]) says: bulk HSET of the reasons
-- given, HDEL of those of items recorded before (in 'stored') without one now; a new item has none to drop.
local function write_reasons(key, order, stored, final)
    local put, drop = {}, {}
    for _, f in ipairs(order) do
        local v = final[f]
        if #v > 1 then
            put[#put + 1], put[#put + 2] = f, string.sub(v, 3)
        elseif stored[f] then
            drop[#drop + 1] = f
        end
    end
    if #put > 0 then
        bulk('HSET', key, put, 2000)
    end
    if #drop > 0 then
        bulk('HDEL', key, drop, 1000)
    end
end

-- Moves the items in 'order' between the outcome sets set_of.S / set_of.F (score 0) so that each is in the set of its
-- final outcome ('S'/'F', first letter of final[f]) and not in that of its stored one. Bulk ZADD/ZREM.
local function move_members(order, stored, final, set_of)
    local add, rem = {S = {}, F = {}}, {S = {}, F = {}}
    for _, f in ipairs(order) do
        local a = stored[f] and string.sub(stored[f], 1, 1)
        local b = final[f] and string.sub(final[f], 1, 1)
        if a ~= b then
            if a then
                local r = rem[a]
                r[#r + 1] = f
            end
            if b then
                local t = add[b]
                t[#t + 1] = 0
                t[#t + 1] = f
            end
        end
    end
    for _, o in ipairs({'S', 'F'}) do
        if #rem[o] > 0 then
            bulk('ZREM', set_of[o], rem[o], 1000)
        end
        if #add[o] > 0 then
            bulk('ZADD', set_of[o], add[o], 2000)
        end
    end
end
