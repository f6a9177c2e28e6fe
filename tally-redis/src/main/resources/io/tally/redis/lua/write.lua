-- write(ops): record and recordParts calls, one or many, in one script call. WriteBatcher combines the calls of
-- concurrent callers into one; each call still gets the answer it would have got alone, and they are applied in order.
-- KEYS: 1-9 the namespace's shared keys (state indexes PENDING..SKIPPED, due:lease, due:deadline, due:retain), then
-- the keys of each call: record: job hash, item-reasons hash, items-ok zset, items-failed zset (4); recordParts: job
-- hash, parts bitfield (u2 at #part: 0 pending, 1 succeeded, 2 failed), part-errors hash (3).
-- ARGV: now, channel, number of calls, then per call its kind, its argument count and its arguments. Kinds: 'r'
-- (record), 'b' (record answered with the progress only), 'p' (recordParts), 'q' (recordParts answered without the
-- job); a kind prefixed with '=' is a call with the same keys as the call before it (same job, both record or both
-- recordParts), sent without them. Arguments:
--   record ('r' and 'b'): known (the createdBy token of the job whose fixed fields the caller holds, or ''), succeeded, failed,
--     addTotal, hasMessage, message, n, then n (key, value) item pairs;
--   recordParts ('p' and 'q'): token, known, n, then n (part, value, failJob) triples;
-- where value is 'S' or 'F' optionally followed by '|' and the reason. Items and parts of a call are applied in order
-- (a key given twice ends with its last value), with bulk ZMSCORE/ZADD/ZREM/HSET (items) or BITFIELD (parts) per call
-- rather than per item.
-- The settle is claimed once, by the call that records the last part: it stores its token in 'settledBy'.
-- Reply: one reply per call, in order; 'q' calls get {'ok', changed, remaining, last} (or an error status) without
-- the job, 'b' calls {'ok', state, total, succeeded, failed, startedAt, updatedAt, rate, rateAt, rateAcc}.
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

-- Publishes the call's events (with the job as stored: written first) and replies, with the job unless 'brief'.
local function finish_call(j, events, known, out, brief)
    if heard and #events > 0 then
        flush()
    end
    publish_hot(channel, K[KEY_JOB], j, events, heard)
    if brief then
        return out
    end
    return reply_with_job(j, known, out)
end

local function outcome_of(v)
    return v and string.sub(v, 1, 1)
end

-- The stored outcomes ('S', 'F'; nil = pending) in the bitfield 'bits' of the parts in 'order' (distinct part
-- numbers, as strings).
local function read_parts(bits, order)
    local stored = {}
    for i = 1, #order, 2000 do
        local last = math.min(i + 1999, #order)
        local args = {}
        for k = i, last do
            args[#args + 1] = 'GET'
            args[#args + 1] = 'u2'
            args[#args + 1] = '#' .. order[k]
        end
        local v = redis.call('BITFIELD', bits, unpack(args))
        for k = i, last do
            stored[order[k]] = CODE[v[k - i + 1]]
        end
    end
    return stored
end

-- Writes the parts of 'order' whose outcome in 'final' (values as in ARGV) differs from 'stored': their bits (in the
-- bitfield 'bits_key'); and for the parts whose outcome moved ('moved'), the reason of one that ends failed with one (in
-- the hash 'why_key'), or none (a failed part that succeeded after all, or failed again without a reason).
local function write_parts(bits_key, why_key, order, stored, final, moved)
    local bits, why, unwhy = {}, {}, {}
    for _, ps in ipairs(order) do
        local a, b = outcome_of(stored[ps]), outcome_of(final[ps])
        if a ~= b then
            bits[#bits + 1] = 'SET'
            bits[#bits + 1] = 'u2'
            bits[#bits + 1] = '#' .. ps
            bits[#bits + 1] = BITS[b]
        end
        if moved[ps] then
            local bar = b == 'F' and string.find(final[ps], '|', 1, true)
            if bar then
                why[#why + 1] = ps
                why[#why + 1] = string.sub(final[ps], bar + 1)
            elseif a == 'F' then
                unwhy[#unwhy + 1] = ps
            end
        end
    end
    if #bits > 0 then
        bulk('BITFIELD', bits_key, bits, 2000)
    end
    if #why > 0 then
        bulk('HSET', why_key, why, 2000)
    end
    if #unwhy > 0 then
        bulk('HDEL', why_key, unwhy, 1000)
    end
end

-- Appends to 'order' the values ARGV[first], ARGV[first + stride], … (n of them) not in 'seen' yet.
local function add_distinct(order, seen, first, n, stride)
    for i = 0, n - 1 do
        local v = ARGV[first + stride * i]
        if not seen[v] then
            seen[v] = true
            order[#order + 1] = v
        end
    end
    return order
end

-- The reply of a 'b' call: what a progress reading needs of the job.
local function progress_reply(j)
    return {'ok', j.state, j.total, j.succeeded, j.failed, j.startedAt or false, j.updatedAt, j.rate or false,
        j.rateAt or false, j.rateAcc or '0'}
end

local function record(j, p, brief)
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
        local order = add_distinct({}, {}, P, n, 2)
        local stored = item_outcomes(K[12], K[13], order)
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
        move_members(order, stored, cur, {S = K[12], F = K[13]})
        write_reasons(K[11], order, stored, cur)
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
    if brief then
        return finish_call(j, events, known, progress_reply(j), true)
    end
    return finish_call(j, events, known, {'ok'})
end

-- A run of recordParts calls (ARGV offsets of their first argument) on one job: their distinct part numbers in
-- order, the outcomes stored for them, 'cur', the outcomes as the calls change them, and 'moved', the parts whose
-- outcome a call changed; close_run writes the changes.
local function open_run(offsets)
    local order, seen = {}, {}
    for _, p in ipairs(offsets) do
        add_distinct(order, seen, p + 3, tonumber(ARGV[p + 2]), 3)
    end
    local stored, cur = read_parts(K[11], order), {}
    for _, ps in ipairs(order) do
        cur[ps] = stored[ps]
    end
    return {order = order, stored = stored, cur = cur, moved = {}}
end

local function close_run(run)
    write_parts(K[11], K[12], run.order, run.stored, run.cur, run.moved)
end

-- The first part of a call (its parts at ARGV[P], ARGV[P + 3], …) outside 0..parts-1, if any.
local function bad_part(P, n, parts)
    for i = 0, n - 1 do
        local part = tonumber(ARGV[P + 3 * i])
        if part < 0 or part >= parts then
            return part
        end
    end
end

-- Whether a call would change the outcome of one of its parts ('cur': part -> outcome or value).
local function changes_any(cur, P, n)
    for i = 0, n - 1 do
        if outcome_of(cur[ARGV[P + 3 * i]]) ~= string.sub(ARGV[P + 1 + 3 * i], 1, 1) then
            return true
        end
    end
    return false
end

-- 'run', when given, is the open run (open_run) of the calls on this job that this call belongs to, which reads and
-- writes the parts once for all of them (see the main loop); else the call opens and closes its own.
local function record_parts(j, p, run, brief)
    local token, known, n = ARGV[p], ARGV[p + 1], tonumber(ARGV[p + 2])
    local P = p + 3 -- ARGV index of the first part
    if j == nil then
        return {'notfound'}
    end
    local parts = tonumber(j.parts)
    local bad = bad_part(P, n, parts)
    if bad then
        return {'range', parts, bad}
    end
    if TERMINAL[j.state] then
        if changes_any((run or open_run({p})).cur, P, n) then
            return {'finished', j.state}
        end
        local pending = math.max(0, tonumber(j.total) - tonumber(j.succeeded) - tonumber(j.failed))
        local last = 0
        if token ~= '' and j.settledBy == token then
            last = 1 -- the settling call, retried after a lost reply
        end
        if brief then
            return {'ok', 0, pending, last}
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
    local own = run == nil
    run = run or open_run({p})
    local cur = run.cur
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
            run.moved[ps] = true
            changed = changed + 1
            if heard then
                events[#events + 1] = {type = 'PART', part = tonumber(ps)}
            end
            local new
            new, succeeded, failed = recount(prior, outcome, succeeded, failed)
            newly = newly + new
        end
    end
    if own then
        close_run(run)
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
    return finish_call(j, events, known, {'ok', changed, parts - succeeded - failed, last}, brief)
end

-- A call's kind without the '=' prefix, and whether it had one (the keys of the call before, none of its own).
local function kind_of(arg_at)
    local kind = ARGV[arg_at]
    if string.byte(kind, 1) == 61 then -- '='
        return string.sub(kind, 2), true
    end
    return kind, false
end

-- Consecutive recordParts calls on one running job (the common case: many workers completing parts of one job) are
-- a run: their parts are read with one BITFIELD and written with one after the last call,
-- each call still checked and answered in order against the outcomes so far. Only when nobody listens (events are
-- published with the stored hash) and the caller holds the job's fixed fields or needs no job in its reply.
-- Returns the ARGV offsets of the run's calls' arguments and the ARGV index of the call after the run.
local function run_of(c, arg_at, j)
    local offsets = {}
    while c <= calls do
        local kind, same = kind_of(arg_at)
        if (#offsets > 0 and not same) or (kind ~= 'p' and kind ~= 'q') then
            break
        end
        if kind == 'p' and not knows(j, ARGV[arg_at + 3]) then
            break
        end
        offsets[#offsets + 1] = arg_at + 2
        c, arg_at = c + 1, arg_at + 2 + tonumber(ARGV[arg_at + 1])
    end
    return offsets, arg_at
end

local replies = {}
local c, key_at, arg_at = 1, SHARED + 1, 4
while c <= calls do
    local kind, same = kind_of(arg_at)
    local argc = tonumber(ARGV[arg_at + 1])
    if not same then
        if job ~= nil and KEYS[key_at] ~= K[KEY_JOB] then
            flush()
            job = nil
        end
        local count = (kind == 'r' or kind == 'b') and 4 or 3
        K = call_keys(key_at, count)
        key_at = key_at + count
    end
    if job == nil then
        job = load_hot(K[KEY_JOB])
        from = job and job.state
    end
    local offsets, after = {}, nil
    if (kind == 'p' or kind == 'q') and not heard and job ~= nil then
        offsets, after = run_of(c, arg_at, job)
    end
    if #offsets > 1 then
        local run = open_run(offsets)
        for i, p in ipairs(offsets) do
            replies[c + i - 1] = record_parts(job, p, run, kind_of(p - 2) == 'q')
        end
        close_run(run)
        c, arg_at = c + #offsets, after
    else
        if kind == 'r' or kind == 'b' then
            replies[c] = record(job, arg_at + 2, kind == 'b')
        else
            replies[c] = record_parts(job, arg_at + 2, nil, kind == 'q')
        end
        c, arg_at = c + 1, arg_at + 2 + argc
    end
end
flush()
return replies
