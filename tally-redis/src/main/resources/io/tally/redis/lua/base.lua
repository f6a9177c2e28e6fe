-- Tally Redis store: the helpers prepended to every script, lib.lua's included (see README.md for the key layout).
-- hot.lua gets these only, so keep them few: each definition here runs on every script call.
-- Every value is kept as a string; integers are formatted with %d (never tostring, which prints 1e+15).

local function fmt(n)
    return string.format('%d', n)
end

-- io.tally.store.RateEstimator.fold, with the same arithmetic (doubles, window 1000 ms, tau 10 s), on numbers:
-- rate (nil = none yet), rateAt (nil = not started), the units accumulated since rateAt, the new units and now.
-- Returns the new rate, rateAt and accumulated units, and whether the window closed (the rate changed).
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
        rate = rate + math.min(1.0, dt / 1000.0 / 10.0) * (inst - rate)
    end
    return rate, now, 0, true
end

-- Publishes events with the job as stored (HGETALL, not a copy the script holds): the message of every write,
-- {id, events, job}, which RedisJobStore.deliver reads; the id is the stored job's.
local function publish_stored(channel, key, events)
    local flat = redis.call('HGETALL', key)
    local full = {}
    for i = 1, #flat, 2 do
        full[flat[i]] = flat[i + 1]
    end
    redis.call('PUBLISH', channel, cjson.encode({id = full.id, events = events, job = full}))
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

-- Part outcomes: a bitfield of u2 per part (0 pending, 1 succeeded, 2 failed) and a hash of the failed parts' reasons.
local CODE, BITS = {[1] = 'S', [2] = 'F'}, {S = 1, F = 2}
