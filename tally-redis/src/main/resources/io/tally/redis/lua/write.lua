-- write(ops): record and recordParts calls, one or many, in one script call. WriteBatcher combines the calls of
-- concurrent callers into one; each call still gets the answer it would have got alone, and they are applied in order.
-- KEYS: 1-9 the namespace's shared keys (state indexes PENDING..SKIPPED, due:lease, due:deadline, due:retain), then
-- the keys of each call: record: job hash, items hash, items-ok zset, items-failed zset (4); recordParts: job hash,
-- parts hash, parts-pending zset, parts-ok zset, parts-failed zset (5; zsets: score = member = part number).
-- ARGV: now, channel, number of calls, then per call 'r' (record) or 'p' (recordParts), its argument count and its
-- arguments:
--   record: known (the createdBy token of the job whose fixed fields the caller holds, or ''), succeeded, failed,
--     addTotal, hasMessage, message, n, then n (key, value) item pairs;
--   recordParts: token, known, n, then n (part, value, failJob) triples;
-- where value is 'S' or 'F' optionally followed by '|' and the reason. Items and parts of a call are applied in order
-- (a key given twice ends with its last value), with bulk HMGET/HSET/ZADD/ZREM per call rather than per item.
-- The settle is claimed once, by the call that records the last part: it stores its token in 'settledBy'.
-- Reply: one reply per call, in order.
local now, channel, calls = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local SHARED = 9
-- Events are only built when someone listens (a batch of parts would otherwise build a table per part).
local heard = listening(channel)

-- Consecutive calls on one job share its loaded hash: 'job' holds it with the changes not yet written, 'from' its
-- state when it was last written. flush() writes it (and must run while K is a key list of that job).
local job, from = nil, nil
local function flush()
    if job ~= nil then
        sync_due(job)
        save(job)
        move_state(job, from)
        from = job.state
    end
end

-- K for a call whose own keys start at KEYS[first]: job hash, the shared keys (K[2..10], as lib.lua expects), then
-- the rest of the call's keys from K[11].
local function call_keys(first, count)
    local k = {KEYS[first]}
    for i = 1, SHARED do
        k[i + 1] = KEYS[i]
    end
    for i = 1, count - 1 do
        k[SHARED + 1 + i] = KEYS[first + i]
    end
    return k
end

local function knows(j, known)
    return known ~= '' and j.createdBy == known
end

-- The reply with the job; a caller that does not hold the job's fixed fields gets the stored hash, written first.
local function reply_with_job(j, known, out)
    if not knows(j, known) then
        flush()
    end
    return job_reply(out, K[KEY_JOB], j, known)
end

-- Publishes the call's events (with the job as stored: written first) and replies.
local function finish_call(j, events, known, out)
    if heard and #events > 0 then
        flush()
    end
    publish_hot(channel, K[KEY_JOB], j, events, heard)
    return reply_with_job(j, known, out)
end

local function outcome_of(v)
    return v and string.sub(v, 1, 1)
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

local function record(j, p)
    local known = ARGV[p]
    local du_s, du_f, add_total = tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3])
    local has_message, message, n = ARGV[p + 4] == '1', ARGV[p + 5], tonumber(ARGV[p + 6])
    local P = p + 7 -- ARGV index of the first item key
    if j == nil then
        return {'notfound'}
    end
    if TERMINAL[j.state] then
        return {'finished', j.state}
    end
    if tonumber(j.parts) > 0 and (du_s > 0 or du_f > 0 or n > 0 or add_total > 0) then
        return {'hasparts'}
    end
    local started = j.state == 'PENDING'
    auto_start(j, now)
    local succeeded = tonumber(j.succeeded) + du_s
    local failed = tonumber(j.failed) + du_f
    local newly = du_s + du_f
    if n > 0 then
        local order, seen = {}, {}
        for i = 0, n - 1 do
            local key = ARGV[P + 2 * i]
            if not seen[key] then
                seen[key] = true
                order[#order + 1] = key
            end
        end
        local stored, written = prefetch(K[11], order, n == 1 and ARGV[P + 1] or nil)
        local cur = {}
        for _, key in ipairs(order) do
            cur[key] = stored[key]
        end
        for i = 0, n - 1 do
            local key, value = ARGV[P + 2 * i], ARGV[P + 1 + 2 * i]
            local outcome = string.sub(value, 1, 1)
            local before = cur[key]
            cur[key] = value
            local prior = outcome_of(before)
            if prior ~= outcome then
                local new
                new, succeeded, failed = recount(prior, outcome, succeeded, failed)
                newly = newly + new
            end
        end
        flush_hash(K[11], order, cur, written)
        move_members(order, stored, cur, {S = K[12], F = K[13]}, nil, false)
    end
    set(j, 'succeeded', fmt(succeeded))
    set(j, 'failed', fmt(failed))
    if add_total ~= 0 then
        set(j, 'total', fmt(tonumber(j.total) + add_total))
    end
    if has_message then
        set(j, 'message', message)
    end
    progress(j, newly, now)
    local events = {}
    if started then
        events[#events + 1] = {type = 'STARTED'}
    end
    events[#events + 1] = {type = 'PROGRESS'}
    return finish_call(j, events, known, {'ok'})
end

-- The distinct part numbers of recordParts calls (ARGV offsets of their first argument), in order.
local function parts_of(offsets)
    local order, seen = {}, {}
    for _, p in ipairs(offsets) do
        local n, P = tonumber(ARGV[p + 2]), p + 3
        for i = 0, n - 1 do
            local ps = ARGV[P + 3 * i]
            if not seen[ps] then
                seen[ps] = true
                order[#order + 1] = ps
            end
        end
    end
    return order
end

-- 'run', when given, holds the outcomes ('cur': part -> value) of a run of recordParts calls on this job that read
-- and write the parts hash and sets once for the whole run (see the main loop); else the call does its own.
local function record_parts(j, p, run)
    local token, known, n = ARGV[p], ARGV[p + 1], tonumber(ARGV[p + 2])
    local P = p + 3 -- ARGV index of the first part
    if j == nil then
        return {'notfound'}
    end
    local parts = tonumber(j.parts)
    for i = 0, n - 1 do
        local part = tonumber(ARGV[P + 3 * i])
        if part < 0 or part >= parts then
            return {'range', parts, part}
        end
    end
    if TERMINAL[j.state] then
        for i = 0, n - 1 do
            local ps = ARGV[P + 3 * i]
            local stored = run and run.cur[ps] or (not run and redis.call('HGET', K[11], ps)) or nil
            if outcome_of(stored) ~= string.sub(ARGV[P + 1 + 3 * i], 1, 1) then
                return {'finished', j.state}
            end
        end
        local pending = math.max(0, tonumber(j.total) - tonumber(j.succeeded) - tonumber(j.failed))
        local last = 0
        if token ~= '' and j.settledBy == token then
            last = 1 -- the settling call, retried after a lost reply
        end
        return reply_with_job(j, known, {'ok', 0, pending, last})
    end
    local started = j.state == 'PENDING'
    auto_start(j, now)
    local succeeded, failed = tonumber(j.succeeded), tonumber(j.failed)
    local changed, newly = 0, 0
    local fail_job, fail_why = false, nil
    local events = {}
    if started then
        events[1] = {type = 'STARTED'}
    end
    local order, stored, written, cur
    if run then
        cur = run.cur
    else
        order = parts_of({p})
        stored, written = prefetch(K[11], order, n == 1 and ARGV[P + 1] or nil)
        cur = {}
        for _, ps in ipairs(order) do
            cur[ps] = stored[ps]
        end
    end
    for i = 0, n - 1 do
        local ps, value, fj = ARGV[P + 3 * i], ARGV[P + 1 + 3 * i], ARGV[P + 2 + 3 * i] == '1'
        local outcome = string.sub(value, 1, 1)
        if outcome == 'F' and fj and not fail_job then
            fail_job = true
            local bar = string.find(value, '|', 1, true)
            fail_why = bar and string.sub(value, bar + 1) or ''
        end
        local before = cur[ps]
        local prior = outcome_of(before)
        if prior ~= outcome then
            cur[ps] = value
            changed = changed + 1
            if heard then
                events[#events + 1] = {type = 'PART', part = tonumber(ps)}
            end
            local new
            new, succeeded, failed = recount(prior, outcome, succeeded, failed)
            newly = newly + new
        end
    end
    if not run then
        flush_hash(K[11], order, cur, written)
        move_members(order, stored, cur, {S = K[13], F = K[14]}, K[12], true)
    end
    set(j, 'succeeded', fmt(succeeded))
    set(j, 'failed', fmt(failed))
    progress(j, newly, now)
    local last = 0
    if fail_job then
        finish(j, 'FAILED', now)
        set_error(j, fail_why, nil, nil, 'part_failed')
    elseif j.settled ~= '1' and succeeded + failed == parts and failed <= tonumber(j.tolerated) then
        last = 1
        set(j, 'settled', '1')
        set(j, 'settledBy', token)
        finish(j, 'SUCCEEDED', now)
    end
    if last == 1 then
        events[#events + 1] = {type = 'SETTLED'}
    end
    if TERMINAL[j.state] then
        events[#events + 1] = {type = EVENT_FOR_STATE[j.state]}
    end
    return finish_call(j, events, known, {'ok', changed, parts - succeeded - failed, last})
end

-- Consecutive recordParts calls on one running job (the common case: many workers completing parts of one job) are
-- a run: their parts are read with one HMGET and written with one HSET and one ZADD/ZREM per set after the last call,
-- each call still checked and answered in order against the outcomes so far. Only when nobody listens (events are
-- published with the stored hash) and the caller holds the job's fixed fields (else its reply is the stored hash).
local function run_of(c, key_at, arg_at, j)
    local offsets = {}
    while c <= calls and ARGV[arg_at] == 'p' and KEYS[key_at] == K[KEY_JOB] and knows(j, ARGV[arg_at + 3]) do
        offsets[#offsets + 1] = arg_at + 2
        c, key_at, arg_at = c + 1, key_at + 5, arg_at + 2 + tonumber(ARGV[arg_at + 1])
    end
    return offsets
end

local replies = {}
local c, key_at, arg_at = 1, SHARED + 1, 4
while c <= calls do
    local kind, argc = ARGV[arg_at], tonumber(ARGV[arg_at + 1])
    local count = kind == 'r' and 4 or 5
    if job ~= nil and KEYS[key_at] ~= K[KEY_JOB] then
        flush()
        job = nil
    end
    K = call_keys(key_at, count)
    if job == nil then
        job = load_hot(K[KEY_JOB])
        from = job and job.state
    end
    local offsets = (kind == 'p' and not heard and job ~= nil) and run_of(c, key_at, arg_at, job) or {}
    if #offsets > 1 then
        local order = parts_of(offsets)
        local stored, written = prefetch(K[11], order, nil)
        local run = {cur = {}}
        for _, ps in ipairs(order) do
            run.cur[ps] = stored[ps]
        end
        for i, p in ipairs(offsets) do
            replies[c + i - 1] = record_parts(job, p, run)
        end
        flush_hash(K[11], order, run.cur, written)
        move_members(order, stored, run.cur, {S = K[13], F = K[14]}, K[12], true)
        for _ = 1, #offsets do
            key_at, arg_at = key_at + 5, arg_at + 2 + tonumber(ARGV[arg_at + 1])
        end
        c = c + #offsets
    else
        if kind == 'r' then
            replies[c] = record(job, arg_at + 2)
        else
            replies[c] = record_parts(job, arg_at + 2)
        end
        key_at, arg_at = key_at + count, arg_at + 2 + argc
        c = c + 1
    end
end
flush()
return replies
