-- hot(ops): the common calls of a write.lua batch, with base.lua's helpers only. A script defines its helpers on every
-- call: lib.lua's and write.lua's cost ~13 µs of every call before its first call is counted (docs/benchmarks.md), so
-- this one defines few.
-- KEYS and ARGV as write.lua's, but for what hot.lua has no use for: of the nine shared keys it gets only the one it
-- writes, due:lease (KEYS[1]; each call's keys follow from KEYS[2]); 'b' calls come without 'known', 'q' calls without
-- 'token' and 'known' (the argument counts say so), and a brief record of one item and nothing else comes as an 'i'
-- call ('=i' with the keys of the call before it): its item's key and value, without an argument count. Every argument
-- costs Redis a string to parse and a Lua string to build. Takes:
--   runs of 'b' (brief record) with at most one item each, new to the job, on a RUNNING job without parts;
--   runs of 'q' (brief recordParts) on a RUNNING job, without failJob, that do not settle it.
-- Applies the calls in order up to the first one it does not take, which it leaves untouched with all after it, and
-- replies with the replies of the calls it applied (those write.lua would have given, but for numbers sent as integers
-- rather than strings: an integer reply costs Redis no string.format and no bulk string); WriteBatcher sends the rest
-- to write.lua. When someone listens, it publishes each run's events (write.lua's: PROGRESS per record, PART per part
-- that changed) in one message with the job as stored after the run.
local now, channel, calls = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
-- (PUBSUB NUMSUB counts this server's subscribers; on Redis Cluster this node's, which are the channel's)
local heard = tonumber(redis.call('PUBSUB', 'NUMSUB', channel)[2]) > 0
local LEASE = 1 -- KEYS index of due:lease
local at = fmt(now)
local replies = {}

-- Renews the lease of a job with a heartbeat: h gets the field, due:lease the new score (its member, the job's id, is
-- read only then: each field read costs Redis a lookup and a Lua string).
local function renew_lease(h, heartbeat, job_key)
    if heartbeat then
        local lease = now + tonumber(heartbeat)
        h[#h + 1], h[#h + 2] = 'leaseUntil', fmt(lease)
        redis.call('ZADD', KEYS[LEASE], lease, redis.call('HGET', job_key, 'id'))
    end
end

-- The rate fields that changed, added to h: rate (formatted as write.lua does) if it folded, rateAt if it moved.
local function put_rate(h, rate, folded, rate_at, rate_at_was)
    if folded then
        h[#h + 1], h[#h + 2] = 'rate', string.format('%.17g', rate)
    end
    if rate_at ~= rate_at_was then
        h[#h + 1], h[#h + 2] = 'rateAt', fmt(rate_at)
    end
end

-- The ARGV index of the call after the one whose kind is at ARGV[k].
local function next_call(k)
    local kind = ARGV[k]
    if kind == 'i' or kind == '=i' then
        return k + 3
    end
    return k + 2 + tonumber(ARGV[k + 1])
end

-- The run of 'count' 'b' and 'i' calls from call c, whose kind is at ARGV[k], on the job whose keys (job,
-- item-reasons, items-ok, items-failed) start at KEYS[first]: write.lua's record(), call by call, on locals, with one
-- read and one write of the job for the whole run. Returns how many calls it applied: up to the first it does not take
-- (several items, or an item recorded before), for which it has written nothing.
local function run_records(c, k, count, first)
    local job_key, reasons_key = KEYS[first], KEYS[first + 1]
    local v = redis.call('HMGET', job_key, 'state', 'parts', 'total', 'succeeded', 'failed', 'startedAt', 'heartbeat',
        'rate', 'rateAt', 'rateAcc')
    if v[1] ~= 'RUNNING' or v[2] ~= '0' then
        return 0
    end
    local succeeded, failed, total = tonumber(v[4]), tonumber(v[5]), tonumber(v[3])
    -- (HMGET answers false for a missing field; fold() takes nil)
    local rate_at_was = v[9] and tonumber(v[9]) or nil
    local rate, rate_at, acc, rate_s = v[8] and tonumber(v[8]) or nil, rate_at_was, tonumber(v[10] or '0'), v[8]
    local rate_changed, message, applied, t, f = false, nil, 0, v[3], v[5] -- t, f: total, failed as stored
    for i = 0, count - 1 do
        local kind, p = ARGV[k], k + 1 -- p: a 'b' call's argument count
        local du_s, du_f, more, n, key, value, has_message = 0, 0, 0, 1, ARGV[k + 1], ARGV[k + 2], false
        if kind ~= 'i' and kind ~= '=i' then
            du_s, du_f, more, n = tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3]),
                tonumber(ARGV[p + 6])
            key, value, has_message = ARGV[p + 7], ARGV[p + 8], ARGV[p + 4] == '1'
        end
        if n > 1 then
            break
        end
        local newly = du_s + du_f
        if n == 1 then
            -- Taken only if new to the job: in neither outcome set. ZADD NX answers for the item's own set; the other
            -- is looked up unless its counter says it is empty (no failure yet, the common case, for a success).
            local ok = string.byte(value, 1) == 83 -- 'S'
            local own, other, others = KEYS[first + 3], KEYS[first + 2], succeeded
            if ok then
                own, other, others = other, own, failed
            end
            if others > 0 and redis.call('ZSCORE', other, key) then
                break -- recorded before: record() moves it
            end
            if redis.call('ZADD', own, 'NX', 0, key) == 0 then
                break -- recorded before: record() compares the reasons
            end
            if #value > 1 then
                redis.call('HSET', reasons_key, key, string.sub(value, 3)) -- ('S|' or 'F|' and the reason)
            end
            if ok then
                du_s = du_s + 1
            else
                du_f = du_f + 1
            end
            newly = newly + 1
        end
        succeeded, failed, total = succeeded + du_s, failed + du_f, total + more
        if du_f > 0 then
            f = fmt(failed)
        end
        if more > 0 then
            t = fmt(total)
        end
        if has_message then
            message = ARGV[p + 5]
        end
        local folded
        rate, rate_at, acc, folded = fold(rate, rate_at, acc, newly, now)
        if folded then
            rate_s, rate_changed = string.format('%.17g', rate), true
        end
        replies[c + i] = {'ok', 'RUNNING', total, succeeded, failed, v[6], now, rate_s, rate_at, acc}
        applied = i + 1
        k = next_call(k)
    end
    if applied == 0 then
        return 0
    end
    local h = {'succeeded', fmt(succeeded), 'updatedAt', at, 'rateAcc', fmt(acc)}
    if f ~= v[5] then
        h[#h + 1], h[#h + 2] = 'failed', f
    end
    put_rate(h, rate, rate_changed, rate_at, rate_at_was)
    if t ~= v[3] then
        h[#h + 1], h[#h + 2] = 'total', t
    end
    if message then
        h[#h + 1], h[#h + 2] = 'message', message
    end
    renew_lease(h, v[7], job_key)
    redis.call('HSET', job_key, unpack(h))
    if heard then
        local events = {}
        for i = 1, applied do
            events[i] = {type = 'PROGRESS'}
        end
        publish_stored(channel, job_key, events)
    end
    return applied
end

-- BITFIELD SET of ops ('SET', 'u2', '#part', code, …) in chunks; returns each op's previous value, in order.
local function set_bits(key, ops)
    local old = {}
    for i = 1, #ops, 2000 do
        local v = redis.call('BITFIELD', key, unpack(ops, i, math.min(i + 1999, #ops)))
        for k = 1, #v do
            old[#old + 1] = v[k]
        end
    end
    return old
end

-- The run of 'q' calls at ARGV offsets 'offsets' (of their argument 'n'), the first being call c, on the job whose
-- keys (job, parts bitfield, part errors) start at KEYS[first]: write.lua's record_parts, call by call, on locals.
-- Returns how many calls it applied: up to the first that fails or settles the job, all if none does.
-- One BITFIELD sets the parts of all the calls it may take, in order, and answers each part's outcome before its
-- SET: what the call found. A call that would settle the job is left to write.lua (which claims the settle): its parts
-- and those of the calls after it are set back to what they were before it.
local function run_parts(c, offsets, first)
    local job_key, bits_key = KEYS[first], KEYS[first + 1]
    local v = redis.call('HMGET', job_key, 'state', 'parts', 'tolerated', 'succeeded', 'failed', 'rate', 'rateAt',
        'rateAcc', 'heartbeat')
    if v[1] ~= 'RUNNING' then
        return 0
    end
    local parts, tolerated = tonumber(v[2]), tonumber(v[3])
    -- the calls it may take (up to the first with failJob), their parts' SETs, and which have a part out of range
    local ops, take, bad = {}, #offsets, {}
    for idx, p in ipairs(offsets) do
        local n, fails, out = tonumber(ARGV[p]), false, nil
        for P = p + 1, p + 3 * n, 3 do
            local part = tonumber(ARGV[P])
            if part < 0 or part >= parts then
                out = out or part
            end
            fails = fails or ARGV[P + 2] == '1'
        end
        if fails then
            take = idx - 1
            break
        end
        bad[idx] = out
        if not out then
            for P = p + 1, p + 3 * n, 3 do
                local o = #ops
                ops[o + 1], ops[o + 2], ops[o + 3], ops[o + 4] =
                    'SET', 'u2', '#' .. ARGV[P], BITS[string.sub(ARGV[P + 1], 1, 1)]
            end
        end
    end
    if take == 0 then
        return 0
    end
    local old = #ops > 0 and set_bits(bits_key, ops) or {}
    local succeeded, failed = tonumber(v[4]), tonumber(v[5])
    local rate_at_was = v[7] and tonumber(v[7]) or nil
    local rate, rate_at, acc, rate_changed = v[6] and tonumber(v[6]) or nil, rate_at_was, tonumber(v[8] or '0'), false
    -- per part changed: its outcome before the run and its last value that changed the outcome
    local before, final, events = {}, {}, {}
    local k, applied, touched = 0, 0, false -- k: ops (parts) of the calls applied so far
    for idx = 1, take do
        local p = offsets[idx]
        local n = tonumber(ARGV[p])
        if bad[idx] then
            replies[c + idx - 1] = {'range', parts, bad[idx]}
        else
            local s, f, changed, newly = succeeded, failed, 0, 0
            for i = 1, n do
                local prior, outcome = CODE[old[k + i]], string.sub(ARGV[p - 1 + 3 * i], 1, 1)
                if prior ~= outcome then
                    changed = changed + 1
                    local new
                    new, s, f = recount(prior, outcome, s, f)
                    newly = newly + new
                end
            end
            if s + f == parts and f <= tolerated then
                -- the settle, left to write.lua: set back the parts of this call and the calls after it
                local undo, seen = {}, {}
                for o = k + 1, #old do
                    local part = ops[4 * o - 1]
                    if not seen[part] then
                        seen[part] = true
                        local u = #undo
                        undo[u + 1], undo[u + 2], undo[u + 3], undo[u + 4] = 'SET', 'u2', part, old[o]
                    end
                end
                set_bits(bits_key, undo)
                break
            end
            if changed > 0 then
                for i = 1, n do
                    local ps, value, prior = ARGV[p - 2 + 3 * i], ARGV[p - 1 + 3 * i], CODE[old[k + i]]
                    if prior ~= string.sub(value, 1, 1) then
                        if before[ps] == nil then
                            before[ps] = prior or false
                        end
                        final[ps] = value
                        if heard then
                            events[#events + 1] = {type = 'PART', part = tonumber(ps)}
                        end
                    end
                end
            end
            k, touched = k + n, true
            succeeded, failed = s, f
            local folded
            rate, rate_at, acc, folded = fold(rate, rate_at, acc, newly, now)
            rate_changed = rate_changed or folded
            replies[c + idx - 1] = {'ok', changed, parts - s - f, 0}
        end
        applied = idx
    end
    if not touched then
        return applied -- (only calls with parts out of range: nothing changed, not even updatedAt)
    end
    -- the reasons of failed parts: kept for a part that ends failed with one, dropped for one that ends otherwise
    local why, unwhy = {}, {}
    for ps, value in pairs(final) do
        local bar = string.byte(value, 1) == 70 and string.find(value, '|', 1, true) -- 'F'
        if bar then
            why[#why + 1], why[#why + 2] = ps, string.sub(value, bar + 1)
        elseif before[ps] == 'F' or string.byte(value, 1) == 70 then
            unwhy[#unwhy + 1] = ps
        end
    end
    if #why > 0 then
        bulk('HSET', KEYS[first + 2], why, 2000)
    end
    if #unwhy > 0 then
        bulk('HDEL', KEYS[first + 2], unwhy, 1000)
    end
    local h = {'succeeded', fmt(succeeded), 'failed', fmt(failed), 'updatedAt', at, 'rateAcc', fmt(acc)}
    put_rate(h, rate, rate_changed, rate_at, rate_at_was)
    renew_lease(h, v[9], job_key)
    redis.call('HSET', job_key, unpack(h))
    if #events > 0 then
        publish_stored(channel, job_key, events)
    end
    return applied
end

-- The kinds hot.lua takes, and those of the calls that join their run (the same job, sent without keys).
local RUN = {b = 'record', i = 'record', q = 'parts'}
local JOINS = {['=b'] = 'record', ['=i'] = 'record', ['=q'] = 'parts'}
local c, key_at, arg_at = 1, 2, 4
while c <= calls do
    local run = RUN[ARGV[arg_at]]
    if not run then
        break -- ('=b', '=i' and '=q' only follow a call hot.lua did not take)
    end
    local own = key_at
    key_at = key_at + (run == 'record' and 4 or 3)
    -- the run: how many calls, and for parts the offsets of their first arguments
    local count, offsets, after = 1, run == 'parts' and {arg_at + 2}, next_call(arg_at)
    while c + count <= calls and JOINS[ARGV[after]] == run do
        count = count + 1
        if offsets then
            offsets[count] = after + 2
        end
        after = next_call(after)
    end
    local applied
    if offsets then
        applied = run_parts(c, offsets, own)
    else
        applied = run_records(c, arg_at, count, own)
    end
    if applied < count then
        break
    end
    c, arg_at = c + count, after
end
return replies
