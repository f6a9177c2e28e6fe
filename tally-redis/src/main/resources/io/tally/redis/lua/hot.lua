-- hot(ops): the common calls of a write.lua batch, with base.lua's helpers only. Defining lib.lua's and write.lua's
-- helpers costs every script call ~15 µs before its first call is counted, several times what a counted item costs.
-- KEYS and ARGV exactly as write.lua's. Takes, while nobody listens (no event to publish):
--   'b' (brief record) with at most one item, new to the job, on a RUNNING job without parts;
--   runs of 'q' (brief recordParts) on a RUNNING job, without failJob, that do not settle it.
-- Applies the calls in order up to the first one it does not take, which it leaves untouched with all after it, and
-- replies with the replies of the calls it applied (those write.lua would have given); WriteBatcher sends the rest to
-- write.lua. Replies {'heard'} without writing anything when someone listens.
local now, channel, calls = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
if tonumber(redis.call('PUBSUB', 'NUMSUB', channel)[2]) > 0 then
    return {'heard'}
end
local LEASE = 7 -- KEYS index of due:lease
local at = fmt(now)
local replies = {}

-- Renews the lease of a job with a heartbeat: h gets the field, due:lease the new score.
local function renew_lease(h, heartbeat, id)
    if heartbeat then
        local lease = now + tonumber(heartbeat)
        h[#h + 1], h[#h + 2] = 'leaseUntil', fmt(lease)
        redis.call('ZADD', KEYS[LEASE], lease, id)
    end
end

-- The rate fields that changed, added to h: rate (formatted as write.lua does), rateAt; returns the stored forms.
local function put_rate(h, rate, rate_s, folded, rate_at, rate_at_was)
    if folded then
        rate_s = string.format('%.17g', rate)
        h[#h + 1], h[#h + 2] = 'rate', rate_s
    end
    if rate_at ~= rate_at_was then
        h[#h + 1], h[#h + 2] = 'rateAt', fmt(rate_at)
    end
    return rate_s
end

-- The job fields record_one reads.
local RECORD = {'state', 'parts', 'total', 'succeeded', 'failed', 'startedAt', 'heartbeat', 'rate', 'rateAt', 'rateAcc',
    'id'}

-- A 'b' call whose arguments start at ARGV[p], its keys (job, items, items-ok, items-failed) at KEYS[first]: write.lua's
-- record() on the fields it needs. Returns its reply, or nil, having written nothing, when it is not one hot.lua takes.
local function record_one(p, first)
    local n = tonumber(ARGV[p + 6])
    if n > 1 then
        return nil
    end
    local job_key = KEYS[first]
    local v = redis.call('HMGET', job_key, unpack(RECORD))
    if v[1] ~= 'RUNNING' or v[2] ~= '0' then
        return nil
    end
    local du_s, du_f = tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
    local succeeded, failed, newly = tonumber(v[4]) + du_s, tonumber(v[5]) + du_f, du_s + du_f
    if n == 1 then
        local key, value = ARGV[p + 7], ARGV[p + 8]
        if redis.call('HSETNX', KEYS[first + 1], key, value) == 0 then
            return nil -- recorded before: record() compares the outcomes
        end
        if string.byte(value, 1) == 83 then -- 'S'
            succeeded = succeeded + 1
            redis.call('ZADD', KEYS[first + 2], 0, key)
        else
            failed = failed + 1
            redis.call('ZADD', KEYS[first + 3], 0, key)
        end
        newly = newly + 1
    end
    -- (HMGET answers false for a missing field; fold() takes nil)
    local rate_at_was = v[9] and tonumber(v[9]) or nil
    local rate, rate_at, acc, folded =
        fold(v[8] and tonumber(v[8]) or nil, rate_at_was, tonumber(v[10] or '0'), newly, now)
    local s, f, a = fmt(succeeded), v[5], fmt(acc)
    local h = {'succeeded', s, 'updatedAt', at, 'rateAcc', a}
    if failed ~= tonumber(v[5]) then
        f = fmt(failed)
        h[#h + 1], h[#h + 2] = 'failed', f
    end
    local rate_s = put_rate(h, rate, v[8], folded, rate_at, rate_at_was)
    local t = v[3]
    local total = tonumber(t) + tonumber(ARGV[p + 3])
    if total ~= tonumber(t) then
        t = fmt(total)
        h[#h + 1], h[#h + 2] = 'total', t
    end
    if ARGV[p + 4] == '1' then
        h[#h + 1], h[#h + 2] = 'message', ARGV[p + 5]
    end
    renew_lease(h, v[7], v[11])
    redis.call('HSET', job_key, unpack(h))
    return {'ok', 'RUNNING', t, s, f, v[6], at, rate_s, fmt(rate_at), a}
end

-- The job fields run_parts reads.
local PARTS = {'state', 'parts', 'tolerated', 'succeeded', 'failed', 'rate', 'rateAt', 'rateAcc', 'heartbeat', 'id'}

-- Whether one of the n parts of a call (ARGV[P], ARGV[P + 3], …) asks to fail the job.
local function fails_job(P, n)
    for i = 0, n - 1 do
        if ARGV[P + 2 + 3 * i] == '1' then
            return true
        end
    end
    return false
end

-- The run of 'q' calls at ARGV offsets 'offsets' (of their first argument), the first being call c, on the job whose
-- keys (job, parts bitfield, part errors) start at KEYS[first]: write.lua's record_parts, call by call, on locals.
-- Returns how many calls it applied: up to the first that fails or settles the job, all if none does.
local function run_parts(c, offsets, first)
    local job_key = KEYS[first]
    local v = redis.call('HMGET', job_key, unpack(PARTS))
    if v[1] ~= 'RUNNING' then
        return 0
    end
    local parts, tolerated = tonumber(v[2]), tonumber(v[3])
    local succeeded, failed = tonumber(v[4]), tonumber(v[5])
    local rate_at_was = v[7] and tonumber(v[7]) or nil
    local rate, rate_at, acc, rate_changed = v[6] and tonumber(v[6]) or nil, rate_at_was, tonumber(v[8] or '0'), false
    local order, seen = {}, {}
    for _, p in ipairs(offsets) do
        for i = 0, tonumber(ARGV[p + 2]) - 1 do
            local ps = ARGV[p + 3 + 3 * i]
            local part = tonumber(ps)
            if not seen[ps] and part >= 0 and part < parts then
                seen[ps] = true
                order[#order + 1] = ps
            end
        end
    end
    local stored = read_parts(KEYS[first + 1], order)
    local cur = {}
    for _, ps in ipairs(order) do
        cur[ps] = stored[ps]
    end
    local applied, touched = 0, false
    for idx, p in ipairs(offsets) do
        local n, P = tonumber(ARGV[p + 2]), p + 3
        local reply
        for i = 0, n - 1 do
            local part = tonumber(ARGV[P + 3 * i])
            if part < 0 or part >= parts then
                reply = {'range', parts, part}
                break
            end
        end
        if not reply then
            if fails_job(P, n) then
                break
            end
            -- The call's moves on top of 'cur', kept apart until it is known not to settle the job.
            local moved, s, f, changed, newly = {}, succeeded, failed, 0, 0
            for i = 0, n - 1 do
                local ps, value = ARGV[P + 3 * i], ARGV[P + 1 + 3 * i]
                local outcome = string.sub(value, 1, 1)
                local before = moved[ps]
                if before == nil then
                    before = cur[ps]
                end
                local prior = outcome_of(before)
                if prior ~= outcome then
                    moved[ps] = value
                    changed = changed + 1
                    local new
                    new, s, f = recount(prior, outcome, s, f)
                    newly = newly + new
                end
            end
            if s + f == parts and f <= tolerated then
                break -- the settle: write.lua claims it
            end
            for ps, value in pairs(moved) do
                cur[ps] = value
            end
            succeeded, failed, touched = s, f, true
            local folded
            rate, rate_at, acc, folded = fold(rate, rate_at, acc, newly, now)
            rate_changed = rate_changed or folded
            reply = {'ok', changed, parts - s - f, 0}
        end
        replies[c + idx - 1] = reply
        applied = idx
    end
    if touched then
        write_parts(KEYS[first + 1], KEYS[first + 2], order, stored, cur)
        local h = {'succeeded', fmt(succeeded), 'failed', fmt(failed), 'updatedAt', at, 'rateAcc', fmt(acc)}
        put_rate(h, rate, nil, rate_changed, rate_at, rate_at_was)
        renew_lease(h, v[9], v[10])
        redis.call('HSET', job_key, unpack(h))
    end
    return applied
end

-- 'own': where the keys of the call at hand start in KEYS ('=b' calls have the keys of the 'b' call before them).
local c, key_at, arg_at, own = 1, 10, 4, nil
while c <= calls do
    local kind = ARGV[arg_at]
    if kind == 'b' or kind == 'q' then
        own = key_at
        key_at = key_at + (kind == 'b' and 4 or 3)
    elseif kind ~= '=b' then
        break -- ('=q' only follows a call hot.lua does not take: a 'q' takes the '=q' calls after it)
    end
    if kind == 'q' then
        -- the run: this call and the '=q' calls right after it (same job)
        local offsets, after = {arg_at + 2}, arg_at + 2 + tonumber(ARGV[arg_at + 1])
        while c + #offsets <= calls and ARGV[after] == '=q' do
            offsets[#offsets + 1] = after + 2
            after = after + 2 + tonumber(ARGV[after + 1])
        end
        local applied = run_parts(c, offsets, own)
        if applied < #offsets then
            break
        end
        c, arg_at = c + #offsets, after
    else
        local reply = record_one(arg_at + 2, own)
        if not reply then
            break
        end
        replies[c] = reply
        c, arg_at = c + 1, arg_at + 2 + tonumber(ARGV[arg_at + 1])
    end
end
return replies
