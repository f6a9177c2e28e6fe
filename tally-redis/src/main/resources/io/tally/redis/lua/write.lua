-- write(ops): record and recordParts calls, one or many, in one script call. WriteBatcher combines the calls of
-- concurrent callers into one; each call still gets the answer it would have got alone, and they are applied in order.
-- KEYS: 1-9 the namespace's shared keys (state indexes PENDING..SKIPPED, due:lease, due:deadline, due:retain), then
-- the keys of each call: record: job hash, items hash, items-ok zset, items-failed zset (4); recordParts: job hash,
-- parts bitfield (u2 at #part: 0 pending, 1 succeeded, 2 failed), part-errors hash (3).
-- ARGV: now, channel, number of calls, then per call its kind, its argument count and its arguments. Kinds: 'r'
-- (record), 'b' (record answered with the progress only), 'p' (recordParts), 'q' (recordParts answered without the
-- job); a kind prefixed with '=' is a call with the same keys as the call before it (same job, both record or both
-- recordParts), sent without them. Arguments:
--   record ('r' and 'b'): known (the createdBy token of the job whose fixed fields the caller holds, or ''), succeeded, failed,
--     addTotal, hasMessage, message, n, then n (key, value) item pairs;
--   recordParts ('p' and 'q'): token, known, n, then n (part, value, failJob) triples;
-- where value is 'S' or 'F' optionally followed by '|' and the reason. Items and parts of a call are applied in order
-- (a key given twice ends with its last value), with bulk HMGET/HSET/ZADD/ZREM (items) or BITFIELD (parts) per call
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

-- Part outcomes in the bitfield (K[11]) and the reasons of failed parts (K[12]).
local CODE, BITS = {[1] = 'S', [2] = 'F'}, {S = 1, F = 2}

-- The stored outcomes ('S', 'F'; nil = pending) of the parts in 'order' (distinct part numbers, as strings).
local function read_parts(order)
    local stored = {}
    for i = 1, #order, 2000 do
        local last = math.min(i + 1999, #order)
        local args = {}
        for k = i, last do
            args[#args + 1] = 'GET'
            args[#args + 1] = 'u2'
            args[#args + 1] = '#' .. order[k]
        end
        local v = redis.call('BITFIELD', K[11], unpack(args))
        for k = i, last do
            stored[order[k]] = CODE[v[k - i + 1]]
        end
    end
    return stored
end

-- Writes the parts of 'order' whose outcome in 'final' (values as in ARGV) differs from 'stored': their bits, and the
-- reason of a part that failed with one (dropped when a failed part succeeds after all).
local function write_parts(order, stored, final)
    local bits, why, unwhy = {}, {}, {}
    for _, ps in ipairs(order) do
        local a, b = outcome_of(stored[ps]), outcome_of(final[ps])
        if a ~= b then
            bits[#bits + 1] = 'SET'
            bits[#bits + 1] = 'u2'
            bits[#bits + 1] = '#' .. ps
            bits[#bits + 1] = BITS[b]
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
        bulk('BITFIELD', K[11], bits, 2000)
    end
    if #why > 0 then
        bulk('HSET', K[12], why, 2000)
    end
    if #unwhy > 0 then
        bulk('HDEL', K[12], unwhy, 1000)
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
        move_members(order, stored, cur, {S = K[12], F = K[13]})
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

-- The job fields quick_record reads.
local QUICK = {'state', 'parts', 'total', 'succeeded', 'failed', 'startedAt', 'heartbeat', 'rate', 'rateAt', 'rateAcc', 'id'}

-- A 'b' call on a RUNNING job without parts, with at most one item and that one new to the job, when nobody listens
-- (the common case: workers counting the items of a running job): record() on the few fields it needs, read with one
-- HMGET and written with one HSET. The call's arguments start at ARGV[p], its keys (job, items, items-ok, items-failed)
-- at KEYS[first]. Returns the reply, or nil, having written nothing, for any other case (record() takes it).
local function quick_record(p, first)
    local n = tonumber(ARGV[p + 6])
    if n > 1 then
        return nil
    end
    local job_key = KEYS[first]
    local v = redis.call('HMGET', job_key, unpack(QUICK))
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
    local total = tonumber(v[3]) + tonumber(ARGV[p + 3])
    local s, f, at, a = fmt(succeeded), v[5], fmt(now), fmt(acc)
    local h = {'succeeded', s, 'updatedAt', at, 'rateAcc', a}
    if failed ~= tonumber(v[5]) then
        f = fmt(failed)
        h[#h + 1], h[#h + 2] = 'failed', f
    end
    local rate_s = v[8]
    if folded then
        rate_s = string.format('%.17g', rate)
        h[#h + 1], h[#h + 2] = 'rate', rate_s
    end
    if rate_at ~= rate_at_was then
        h[#h + 1], h[#h + 2] = 'rateAt', fmt(rate_at)
    end
    local t = v[3]
    if total ~= tonumber(t) then
        t = fmt(total)
        h[#h + 1], h[#h + 2] = 'total', t
    end
    if ARGV[p + 4] == '1' then
        h[#h + 1], h[#h + 2] = 'message', ARGV[p + 5]
    end
    if v[7] then
        local lease = now + tonumber(v[7])
        h[#h + 1], h[#h + 2] = 'leaseUntil', fmt(lease)
        redis.call('ZADD', KEYS[KEY_LEASE - 1], lease, v[11])
    end
    redis.call('HSET', job_key, unpack(h))
    return {'ok', 'RUNNING', t, s, f, v[6], at, rate_s, fmt(rate_at), a}
end

-- A run of recordParts calls (ARGV offsets of their first argument) on one job: their distinct part numbers in
-- order, the outcomes stored for them and 'cur', the outcomes as the calls change them; close_run writes the changes.
local function open_run(offsets)
    local order, seen = {}, {}
    for _, p in ipairs(offsets) do
        add_distinct(order, seen, p + 3, tonumber(ARGV[p + 2]), 3)
    end
    local stored, cur = read_parts(order), {}
    for _, ps in ipairs(order) do
        cur[ps] = stored[ps]
    end
    return {order = order, stored = stored, cur = cur}
end

local function close_run(run)
    write_parts(run.order, run.stored, run.cur)
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
-- Returns the ARGV offsets of the run's calls' arguments, whether they are all 'q' calls without failJob, and the
-- ARGV index of the call after the run.
local function run_of(c, arg_at, j)
    local offsets, brief = {}, true
    while c <= calls do
        local kind, same = kind_of(arg_at)
        if (#offsets > 0 and not same) or (kind ~= 'p' and kind ~= 'q') then
            break
        end
        if kind == 'p' and not knows(j, ARGV[arg_at + 3]) then
            break
        end
        local p = arg_at + 2
        if kind == 'p' then
            brief = false
        else
            for i = 0, tonumber(ARGV[p + 2]) - 1 do
                if ARGV[p + 5 + 3 * i] == '1' then
                    brief = false -- failJob: fails the job, left to record_parts
                end
            end
        end
        offsets[#offsets + 1] = p
        c, arg_at = c + 1, arg_at + 2 + tonumber(ARGV[arg_at + 1])
    end
    return offsets, brief, arg_at
end

-- A run of 'q' calls (no failJob) on a RUNNING job, with the arithmetic of record_parts on locals: per call the range
-- check, the outcome moves and counts, the rate fold (fold(), call by call) and the settle; the job's
-- fields are set once at the end. Answers as record_parts would, call by call ('q' replies carry no job).
local function fast_run(j, offsets, run, replies, c)
    local parts, tolerated = tonumber(j.parts), tonumber(j.tolerated)
    local total = tonumber(j.total)
    local succeeded, failed = tonumber(j.succeeded), tonumber(j.failed)
    local rate, rate_at, rate_acc = j.rate and tonumber(j.rate), j.rateAt and tonumber(j.rateAt),
        tonumber(j.rateAcc or '0')
    local rate_changed, touched, settled_by = false, false, j.settledBy
    local cur = run.cur
    for idx, p in ipairs(offsets) do
        local token, n, P = ARGV[p], tonumber(ARGV[p + 2]), p + 3
        local bad = bad_part(P, n, parts)
        local reply
        if bad then
            reply = {'range', parts, bad}
        elseif settled_by ~= j.settledBy then
            -- settled earlier in this run: a call that changes nothing is answered, any other is refused
            if changes_any(cur, P, n) then
                reply = {'finished', 'SUCCEEDED'}
            else
                local last = (token ~= '' and settled_by == token) and 1 or 0
                reply = {'ok', 0, math.max(0, total - succeeded - failed), last}
            end
        else
            touched = true
            local changed, newly = 0, 0
            for i = 0, n - 1 do
                local ps, value = ARGV[P + 3 * i], ARGV[P + 1 + 3 * i]
                local outcome = string.sub(value, 1, 1)
                local prior = outcome_of(cur[ps])
                if prior ~= outcome then
                    cur[ps] = value
                    changed = changed + 1
                    local new
                    new, succeeded, failed = recount(prior, outcome, succeeded, failed)
                    newly = newly + new
                end
            end
            local folded
            rate, rate_at, rate_acc, folded = fold(rate, rate_at, rate_acc, newly, now)
            rate_changed = rate_changed or folded
            local last = 0
            if succeeded + failed == parts and failed <= tolerated then
                last, settled_by = 1, token
            end
            reply = {'ok', changed, parts - succeeded - failed, last}
        end
        replies[c + idx - 1] = reply
    end
    if not touched then
        return
    end
    set(j, 'succeeded', fmt(succeeded))
    set(j, 'failed', fmt(failed))
    set(j, 'updatedAt', fmt(now))
    if rate_changed then
        set(j, 'rate', string.format('%.17g', rate))
    end
    set(j, 'rateAt', fmt(rate_at))
    set(j, 'rateAcc', fmt(rate_acc))
    if j.heartbeat ~= nil then
        set(j, 'leaseUntil', plus(now, j.heartbeat))
    end
    if settled_by ~= j.settledBy then
        set(j, 'settled', '1')
        set(j, 'settledBy', settled_by)
        finish(j, 'SUCCEEDED', now)
    end
end

local replies = {}

-- Applies the call (or run of parts calls) at c, whose arguments start at ARGV[arg_at] (its kind), with the job loaded
-- once for consecutive calls on it. Returns the next call's c and arg_at.
local function apply(c, arg_at, kind, argc)
    if job == nil then
        job = load_hot(K[KEY_JOB])
        from = job and job.state
    end
    local offsets, brief, after = {}, false, nil
    if (kind == 'p' or kind == 'q') and not heard and job ~= nil then
        offsets, brief, after = run_of(c, arg_at, job)
    end
    local fast = brief and job.state == 'RUNNING'
    if #offsets > 1 or (fast and #offsets == 1) then
        local run = open_run(offsets)
        if fast then
            fast_run(job, offsets, run, replies, c)
        else
            for i, p in ipairs(offsets) do
                replies[c + i - 1] = record_parts(job, p, run, kind_of(p - 2) == 'q')
            end
        end
        close_run(run)
        return c + #offsets, after
    end
    if kind == 'r' or kind == 'b' then
        replies[c] = record(job, arg_at + 2, kind == 'b')
    else
        replies[c] = record_parts(job, arg_at + 2, nil, kind == 'q')
    end
    return c + 1, arg_at + 2 + argc
end

-- K is built for a call's keys (call_keys) only when record() or record_parts() needs it; 'own' is where the keys of
-- the call at hand start in KEYS, 'stale' whether K is still that of an earlier call. While a job is loaded, K is its.
local c, key_at, arg_at = 1, SHARED + 1, 4
local own, stale = nil, true
while c <= calls do
    local kind, same = kind_of(arg_at)
    local argc = tonumber(ARGV[arg_at + 1])
    local count = (kind == 'r' or kind == 'b') and 4 or 3
    if not same then
        if job ~= nil and KEYS[key_at] ~= K[KEY_JOB] then
            flush()
            job = nil
        end
        own, stale = key_at, true
        key_at = key_at + count
    end
    -- (a job loaded by the call before may hold changes not written yet: then record() goes on with it)
    local quick = kind == 'b' and not heard and job == nil and quick_record(arg_at + 2, own)
    if quick then
        replies[c] = quick
        c, arg_at = c + 1, arg_at + 2 + argc
    else
        if stale then
            K, stale = call_keys(own, count), false
        end
        c, arg_at = apply(c, arg_at, kind, argc)
    end
end
flush()
return replies
