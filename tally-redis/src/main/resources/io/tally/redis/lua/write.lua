-- write: the record and recordParts calls of one caller or of many (WriteBatcher combines concurrent callers' calls),
-- in one function call. Each call gets the answer it would have got alone, and they are applied in order, with the
-- rules of JobRules (io.tally.store): the helpers of lib.lua keep the job-level ones (auto-start, progress, finish), this
-- file the item and part moves, the recount and the settle.
--
-- KEYS: the SHARED namespace keys a record may touch (due:lease, due:deadline, the state indexes PENDING and RUNNING:
-- renewing a lease, auto-start), then, for each run of calls on one job (a call and the '='-prefixed calls after it),
-- the job's keys: a run of records: job hash, item-reasons hash, items-ok zset, items-failed zset; a run of part calls:
-- job hash, parts bitfield (u2 at #part: 0 pending, 1 succeeded, 2 failed), part-errors hash; then, only if the batch
-- has a recordParts call, the SHARED_FINISH keys that finishing a job touches too (the state indexes SUCCEEDED,
-- FAILED, CANCELLED, SKIPPED, due:retain). Records never finish a job, so a batch of records only is sent 5 keys
-- fewer (each key costs Redis ~1,000 instructions: docs/benchmarks.md); on Redis Cluster every key a call touches is
-- still declared.
-- ARGV: the header (NOW, CHANNEL, CALLS), then each call: its kind and its arguments at the offsets named below, from
-- the kind's index. WriteArgs (Java) writes this layout with the same names; WriteArgsTest checks that they agree.
--   'r' record: succeeded, failed, addTotal, hasMessage ('1'/'0'), message, n, then n (key, value) items;
--   'i' record of one item and nothing else (recordSuccess(key)): key, value;
--   'p' recordParts: token (the settle claim), n, then n (part, value, failJob '1'/'0') parts;
-- a value is 'S' or 'F', followed by '|' and the reason if there is one; a kind prefixed with '=' is a call on the
-- job of the call before it, of the same sort (record or parts), sent without keys.
-- Reply: one per call, in order. Records: the job's progress after the call as one string (progress_line below), or
-- {'notfound'}, {'finished', state}, {'hasparts'}, {'limit', counter} (the call would take the counter past
-- 2^53 - 1: lib.lua's over_limit).
-- Parts: {'ok', changed, remaining, last}, or {'notfound'}, {'finished', state}, {'range', parts, part}.
-- The settle is claimed once, by the call that records the last part: it stores its token in 'settledBy', so that
-- the same call retried after a lost reply is answered last = 1 again.
do
    local SHARED = 4
    local SHARED_FINISH = 5
    -- ARGV header
    local NOW = 1
    local CHANNEL = 2
    local CALLS = 3
    local FIRST_CALL = 4
    -- a record call ('r'), from its kind
    local RECORD_SUCCEEDED = 1
    local RECORD_FAILED = 2
    local RECORD_ADD_TOTAL = 3
    local RECORD_HAS_MESSAGE = 4
    local RECORD_MESSAGE = 5
    local RECORD_ITEMS = 6
    local RECORD_FIRST_ITEM = 7
    local ITEM_WIDTH = 2
    -- a record of one item ('i'), from its kind
    local ITEM_KEY = 1
    local ITEM_VALUE = 2
    local ITEM_CALL_WIDTH = 3
    -- a recordParts call ('p'), from its kind
    local PARTS_TOKEN = 1
    local PARTS_COUNT = 2
    local PARTS_FIRST = 3
    local PART_WIDTH = 3

    -- The fields a run reads up front: what its guards, counters and reply need (PARTS_FIELDS starts with
    -- RECORD_FIELDS: job_of relies on it). The name, scope, parent and metadata never change and decide nothing; the
    -- fields a rarer step needs are read then (need(): starting, finishing, moving a due set). Each field read costs
    -- Redis a lookup and Lua a string.
    local RECORD_FIELDS = {'state', 'parts', 'total', 'succeeded', 'failed', 'startedAt', 'heartbeat', 'rate',
        'rateAt', 'rateAcc'}
    local PARTS_FIELDS = {'state', 'parts', 'total', 'succeeded', 'failed', 'startedAt', 'heartbeat', 'rate',
        'rateAt', 'rateAcc', 'tolerated', 'settled', 'settledBy'}
    local STARTING = {'id', 'createdAt', 'timeout'}
    local FINISHING = {'id', 'createdAt', 'retainFor'}
    local ID = {'id'}

    -- The job whose fields 'fields' HMGET answered as v (v[1] false: there is none), or nil if there is none. Written
    -- as one table constructor, which sizes the table once (filled field by field, it would grow four times, rehashing
    -- each time); a field HMGET answers false for is left out (nil), as the helpers expect.
    local function job_of(v, fields)
        if not v[1] then -- every job has a state
            return nil
        end
        if fields == RECORD_FIELDS then
            return {state = v[1], parts = v[2], total = v[3], succeeded = v[4], failed = v[5], startedAt = v[6] or nil,
                heartbeat = v[7] or nil, rate = v[8] or nil, rateAt = v[9] or nil, rateAcc = v[10] or nil}
        end
        return {state = v[1], parts = v[2], total = v[3], succeeded = v[4], failed = v[5], startedAt = v[6] or nil,
            heartbeat = v[7] or nil, rate = v[8] or nil, rateAt = v[9] or nil, rateAcc = v[10] or nil,
            tolerated = v[11] or nil, settled = v[12] or nil, settledBy = v[13] or nil}
    end

    -- Auto-start (lib.lua) of a PENDING job, with the fields it and the state move need.
    local function start(j, now, events)
        need(j, K[KEY_JOB], STARTING)
        auto_start(j, now)
        if events then
            events[#events + 1] = {type = 'STARTED'}
        end
    end

    -- The first call of a run that applies: auto-start of a PENDING job, then where the run's fold()s start from: the
    -- rate, rateAt and rateAcc, and the rate (false if none) and rateAt as stored, to tell at the end what moved.
    local function open_run(j, now, events)
        if j.state == 'PENDING' then
            start(j, now, events)
        end
        local rate, rate_at, acc = rate_state(j.rate, j.rateAt, j.rateAcc)
        return rate, rate_at, acc, j.rate or false, rate_at
    end

    -- Writes the run's changes to the job: its fields, its due sets and state index (from: its state when read),
    -- then publishes the run's events with the job as stored.
    local function close_job(j, from, events, channel, now)
        if dirty.leaseUntil or dirty.deadline or dirty.retainUntil then
            need(j, K[KEY_JOB], ID)
            sync_due(j)
        end
        save(j)
        move_state(j, from)
        if events and #events > 0 then
            publish_events(channel, K[KEY_JOB], events, now)
        end
    end

    -- A record call's answer: the job's progress after it as one string, 'state|total|succeeded|failed|startedAt|
    -- updatedAt|rate|rateAt|rateAcc' (every argument a string, as stored; nil or false for a field the job does not
    -- have: empty), which Records.progress reads. Redis turns a reply table into an array reply with a dozen steps
    -- of its own and each of its ten values with more; one string costs it one (docs/benchmarks.md).
    local function progress_line(state, total, succeeded, failed, started_at, updated_at, rate, rate_at, acc)
        return state .. '|' .. total .. '|' .. succeeded .. '|' .. failed .. '|' .. (started_at or '') .. '|' ..
            updated_at .. '|' .. (rate or '') .. '|' .. (rate_at or '') .. '|' .. acc
    end

    -- The outcome of a value without a reason (most are), found without a call of string.sub.
    local BARE = {S = 'S', F = 'F'}

    -- The outcome ('S', 'F') of a value, nil for none.
    local function outcome_of(v)
        return v and (BARE[v] or string.sub(v, 1, 1))
    end

    -- ---- items ----

    -- An empty table for the runs that read nothing (never written to).
    local NONE = {}

    -- The key of the set of the items whose outcome is o ('S', 'F').
    local function items_of(o)
        return o == 'S' and K[12] or K[13]
    end

    -- t with a and b (if given) appended; a new list if t is nil (a list is made only when something goes in it).
    local function push(t, a, b)
        t = t or {}
        t[#t + 1] = a
        if b ~= nil then
            t[#t + 1] = b
        end
        return t
    end

    -- The stored outcome ('S', 'F'; nil if none) of the item 'key' whose outcome in the run is 'own', looked up only in
    -- a set its counter says is not empty; ZADD NX into the set of that outcome both answers whether it was there and
    -- writes it at once (a score as a string: no float formatting).
    local function stored_item(key, own, succeeded, failed)
        local stored
        if own == 'S' then
            if failed > 0 and redis.call('ZSCORE', K[13], key) then
                stored = 'F'
            end
            if redis.call('ZADD', K[12], 'NX', '0', key) == 0 then
                stored = 'S'
            end
        else
            if succeeded > 0 and redis.call('ZSCORE', K[12], key) then
                stored = 'S'
            end
            if redis.call('ZADD', K[13], 'NX', '0', key) == 0 then
                stored = 'F'
            end
        end
        return stored
    end

    -- The stored outcomes ('S', 'F') of the distinct item keys 'order', in a map (none for an item not recorded yet),
    -- looked up only in a set its counter says is not empty. 'final' maps each key to its last value in the run. A
    -- run of one item (a recordSuccess(key), the common call) is looked up with stored_item(), which writes it at
    -- once: the key so written is returned second.
    local function stored_items(order, final, succeeded, failed)
        if #order == 1 then
            local key = order[1]
            return {[key] = stored_item(key, outcome_of(final[key]), succeeded, failed)}, key
        end
        local stored = {}
        for o = 1, 2 do
            local outcome = o == 1 and 'S' or 'F'
            if (o == 1 and succeeded or failed) > 0 then
                for i = 1, #order, 1000 do
                    local last = math.min(i + 999, #order)
                    local scores = redis.call('ZMSCORE', items_of(outcome), unpack(order, i, last))
                    for k = i, last do
                        if scores[k - i + 1] then
                            stored[order[k]] = outcome
                        end
                    end
                end
            end
        end
        return stored, nil
    end

    -- Moves the items of 'order' between the outcome sets so that each is in the set of its final outcome and not in
    -- that of its stored one (bulk ZADD/ZREM; not the ZADD of the item 'written' already), and keeps each item's
    -- reason as its last value says (bulk HSET of the reasons given, HDEL of those of items stored before without one
    -- now).
    local function write_items(order, stored, final, written)
        local add_s, add_f, rem_s, rem_f, put, drop
        for o = 1, #order do
            local key = order[o]
            local a, b = stored[key], outcome_of(final[key])
            if a ~= b then
                if a == 'S' then
                    rem_s = push(rem_s, key)
                elseif a == 'F' then
                    rem_f = push(rem_f, key)
                end
                if key ~= written then
                    if b == 'S' then
                        add_s = push(add_s, '0', key)
                    else
                        add_f = push(add_f, '0', key)
                    end
                end
            end
            if #final[key] > 1 then
                put = push(put, key, string.sub(final[key], 3))
            elseif a then
                drop = push(drop, key)
            end
        end
        -- (a list is nil when it has nothing to send)
        if rem_s then bulk('ZREM', items_of('S'), rem_s, 1000) end
        if rem_f then bulk('ZREM', items_of('F'), rem_f, 1000) end
        if add_s then bulk('ZADD', items_of('S'), add_s, 2000) end
        if add_f then bulk('ZADD', items_of('F'), add_f, 2000) end
        if put then bulk('HSET', K[11], put, 2000) end
        if drop then bulk('HDEL', K[11], drop, 1000) end
    end

    -- The ARGV index of the call after the one whose kind is at ARGV[at].
    -- (kinds are compared as strings: Lua interns them, so == compares pointers, with no call of string.byte)
    local function next_call(ARGV, at)
        local kind = ARGV[at]
        if kind == 'i' or kind == '=i' then
            return at + ITEM_CALL_WIDTH
        elseif kind == 'p' or kind == '=p' then
            return at + PARTS_FIRST + PART_WIDTH * tonumber(ARGV[at + PARTS_COUNT])
        end
        return at + RECORD_FIRST_ITEM + ITEM_WIDTH * tonumber(ARGV[at + RECORD_ITEMS])
    end

    -- A record call at ARGV[at]: succeeded, failed, addTotal, the message (nil for none), and the ARGV index of its
    -- first item and how many it has.
    local function record_call(ARGV, at)
        local kind = ARGV[at]
        if kind == 'i' or kind == '=i' then
            return 0, 0, 0, nil, at + ITEM_KEY, 1
        end
        local message = nil
        if ARGV[at + RECORD_HAS_MESSAGE] == '1' then
            message = ARGV[at + RECORD_MESSAGE]
        end
        return tonumber(ARGV[at + RECORD_SUCCEEDED]), tonumber(ARGV[at + RECORD_FAILED]),
            tonumber(ARGV[at + RECORD_ADD_TOTAL]), message, at + RECORD_FIRST_ITEM, tonumber(ARGV[at + RECORD_ITEMS])
    end

    -- The distinct item keys of the run of 'count' record calls from ARGV[at] in order of first use, and the last
    -- value of each; nil if the calls have no item.
    local function run_items(ARGV, at, count)
        local order, final
        for _ = 1, count do
            local _, _, _, _, first, n = record_call(ARGV, at)
            for p = first, first + ITEM_WIDTH * (n - 1), ITEM_WIDTH do
                local key = ARGV[p]
                if not order then
                    order, final = {}, {}
                end
                if not final[key] then
                    order[#order + 1] = key
                end
                final[key] = ARGV[p + 1]
            end
            at = next_call(ARGV, at)
        end
        return order, final
    end

    -- A run of one call, recordSuccess(key) or recordFailure(key, reason) on a RUNNING job without parts (the common
    -- write): run_records' work without its tables for many calls and items, and the job's fields written with one
    -- HSET rather than through set() and save() (together a tenth of the call's instructions: docs/benchmarks.md).
    -- v: the job's RECORD_FIELDS as HMGET answered them (false for a field it does not have), read into no table.
    local function record_one_item(ARGV, at, c, replies, now, channel, heard, v)
        local key, value = ARGV[at + ITEM_KEY], ARGV[at + ITEM_VALUE]
        local succeeded, failed = v[4] + 0, v[5] + 0
        local failed_was = failed
        local outcome = BARE[value] or string.sub(value, 1, 1)
        local stored = stored_item(key, outcome, succeeded, failed)
        local newly = 0
        if stored ~= outcome then
            newly, succeeded, failed = recount(stored, outcome, succeeded, failed)
            local over = over_limit(succeeded, failed, 0)
            if over then
                -- refused whole: the item stored_item() just added is taken back
                redis.call('ZREM', items_of(outcome), key)
                replies[c] = {'limit', over}
                return
            end
        end
        local rate, rate_at_was, acc = rate_state(v[8], v[9], v[10])
        local rate_at, folded
        rate, rate_at, acc, folded = fold(rate, rate_at_was, acc, newly, now)
        local rate_s = folded and fmt_rate(rate)
        -- (sized for every field it may get: a table grown rehashes)
        local h = {'succeeded', fmt(succeeded), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}
        local failed_s = v[5]
        if failed ~= failed_was then
            failed_s = fmt(failed)
            h[3], h[4] = 'failed', failed_s
        end
        local lease, acc_s, moved = nil, fmt(acc), rate_at ~= rate_at_was
        h, lease = progress_fields('RUNNING', v[7], now, rate_s, moved and rate_at, acc_s, h)
        -- (rateAt moves only to now, and stays only where the job has one)
        replies[c] = progress_line('RUNNING', v[3], h[2], failed_s, v[6], fmt_now(now), rate_s or v[8],
            moved and fmt_now(rate_at) or v[9], acc_s)
        redis.call('HSET', K[KEY_JOB], unpack(h))
        if lease then
            redis.call('ZADD', K[KEY_LEASE], lease, redis.call('HGET', K[KEY_JOB], 'id'))
        end
        if stored and stored ~= outcome then
            redis.call('ZREM', items_of(stored), key)
        end
        if #value > 1 then
            redis.call('HSET', K[11], key, string.sub(value, 3))
        elseif stored then
            redis.call('HDEL', K[11], key)
        end
        if heard then
            publish_events(channel, K[KEY_JOB], {{type = 'PROGRESS'}}, now)
        end
    end

    local run_records

    -- Call i of the run of 'count' record calls from ARGV[at] (the first being call c) would take a counter past the
    -- limit (JobRules.checkCounts), which the run only learns as it applies the calls in order: nothing of the run is
    -- kept (nothing is written before the last call but the item stored_items() wrote, taken back here); a lone call is
    -- refused, a longer run applied again one call at a time, so that each call is answered as it would be alone.
    local function refuse_over_limit(ARGV, at, count, c, i, over, replies, now, channel, heard, written, stored, final)
        if written and stored[written] ~= outcome_of(final[written]) then
            redis.call('ZREM', items_of(outcome_of(final[written])), written)
        end
        if count == 1 then
            replies[i] = {'limit', over}
            return
        end
        for k = c, c + count - 1 do
            run_records(ARGV, at, 1, k, replies, now, channel, heard)
            at = next_call(ARGV, at)
        end
    end

    -- A run of 'count' record calls on the job of K, the first at ARGV[at] and being call c. The counters and the
    -- rate are kept in locals while the calls are applied in order, and the job's fields written once after the last
    -- (setting a field or formatting a number per call would cost as much as the call's own work: docs/benchmarks.md).
    function run_records(ARGV, at, count, c, replies, now, channel, heard)
        local run_at = at
        local v = redis.call('HMGET', K[KEY_JOB], 'state', 'parts', 'total', 'succeeded', 'failed', 'startedAt',
            'heartbeat', 'rate', 'rateAt', 'rateAcc') -- (RECORD_FIELDS)
        local state = v[1]
        local refusal = not state and {'notfound'} or TERMINAL[state] and {'finished', state}
        if refusal then
            for i = c, c + count - 1 do
                replies[i] = refusal
            end
            return
        end
        local has_parts = v[2] ~= '0'
        if count == 1 and state == 'RUNNING' and not has_parts and (ARGV[at] == 'i' or ARGV[at] == '=i') then
            return record_one_item(ARGV, at, c, replies, now, channel, heard, v)
        end
        local j = job_of(v, RECORD_FIELDS)
        dirty = clean()
        local succeeded_was, failed_was, total_was = j.succeeded + 0, j.failed + 0, j.total + 0
        -- the distinct item keys and the last value of each (a job with parts takes no items)
        local order, final
        if not has_parts then
            order, final = run_items(ARGV, at, count)
        end
        -- cur: the outcomes the calls so far gave items, over those the run found stored
        local stored, written, cur = NONE, nil, NONE
        if order then
            stored, written = stored_items(order, final, succeeded_was, failed_was)
            cur = {}
        end
        local from, events, applied = j.state, heard and {} or nil, false
        local succeeded, failed, total = succeeded_was, failed_was, total_was
        local message, rate, rate_at, rate_at_was, acc, rate_s, folded
        for i = c, c + count - 1 do
            local du_s, du_f, more, said, first, n = record_call(ARGV, at)
            at = next_call(ARGV, at)
            if has_parts and (du_s > 0 or du_f > 0 or n > 0 or more > 0) then
                replies[i] = {'hasparts'}
            else
                if not applied then
                    rate, rate_at, acc, rate_s, rate_at_was = open_run(j, now, events)
                end
                succeeded, failed, total = succeeded + du_s, failed + du_f, total + more
                local newly = du_s + du_f
                for p = first, first + ITEM_WIDTH * (n - 1), ITEM_WIDTH do
                    local key, outcome = ARGV[p], string.sub(ARGV[p + 1], 1, 1)
                    local prior = cur[key] or stored[key]
                    if prior ~= outcome then
                        local new
                        new, succeeded, failed = recount(prior, outcome, succeeded, failed)
                        newly = newly + new
                        cur[key] = outcome
                    end
                end
                local over = over_limit(succeeded, failed, total)
                if over then
                    return refuse_over_limit(ARGV, run_at, count, c, i, over, replies, now, channel, heard,
                        written, stored, final)
                end
                message = said or message
                rate, rate_at, acc, folded = fold(rate, rate_at, acc, newly, now)
                if folded then
                    rate_s = fmt_rate(rate)
                end
                if events then
                    events[#events + 1] = {type = 'PROGRESS'}
                end
                -- (what the run has not changed, as stored: formatting a number costs more than the rest of the line)
                replies[i] = progress_line(j.state, total == total_was and j.total or fmt(total), fmt(succeeded),
                    failed == failed_was and j.failed or fmt(failed), j.startedAt, fmt_now(now), rate_s,
                    rate_at == rate_at_was and j.rateAt or fmt_now(rate_at), fmt(acc))
                applied = true
            end
        end
        if not applied then
            return
        end
        set(j, 'succeeded', fmt(succeeded))
        if failed ~= failed_was then
            set(j, 'failed', fmt(failed))
        end
        if total ~= total_was then
            set(j, 'total', fmt(total))
        end
        if message then
            set(j, 'message', message)
        end
        set_all(j, progress_fields(j.state, j.heartbeat, now, rate_s ~= j.rate and rate_s, rate_at ~= rate_at_was
            and rate_at, fmt(acc)))
        if order then
            write_items(order, stored, final, written)
        end
        close_job(j, from, events, channel, now)
    end

    -- ---- parts ----

    -- The stored outcomes ('S', 'F'; none = pending) of the distinct parts 'order' (numbers as strings): one BITFIELD
    -- GET per 2000 parts.
    local function stored_parts(order)
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

    -- Writes the parts whose outcome moved ('moved': part -> last value that moved it; 'stored': outcome before the
    -- run): their bits, and the reason of one that ends failed with one, or none (a failed part that succeeded after
    -- all, or failed again without a reason).
    local function write_parts(order, stored, moved)
        local bits, why, unwhy = {}, {}, {}
        for o = 1, #order do
            local ps = order[o]
            local value = moved[ps]
            if value then
                local a, b = stored[ps], outcome_of(value)
                if a ~= b then
                    bits[#bits + 1], bits[#bits + 2], bits[#bits + 3], bits[#bits + 4] = 'SET', 'u2', '#' .. ps, BITS[b]
                end
                local bar = b == 'F' and string.find(value, '|', 1, true)
                if bar then
                    why[#why + 1], why[#why + 2] = ps, string.sub(value, bar + 1)
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

    -- The first part of the call at ARGV[at] outside 0..parts-1, if any.
    local function part_out_of_range(ARGV, at, parts)
        local first = at + PARTS_FIRST
        for p = first, first + PART_WIDTH * (tonumber(ARGV[at + PARTS_COUNT]) - 1), PART_WIDTH do
            local part = tonumber(ARGV[p])
            if part < 0 or part >= parts then
                return part
            end
        end
    end

    -- A run of 'count' recordParts calls on the job of K, the first at ARGV[at] and being call c: the parts are read
    -- with one BITFIELD and written with one after the last call, each call checked and answered in order against the
    -- outcomes so far; the counters and the rate kept in locals as in run_records.
    local function run_parts(ARGV, at, count, c, replies, now, channel, heard)
        local j = job_of(redis.call('HMGET', K[KEY_JOB], unpack(PARTS_FIELDS)), PARTS_FIELDS)
        dirty = clean()
        if j == nil then
            for i = c, c + count - 1 do
                replies[i] = {'notfound'}
            end
            return
        end
        local calls = {at}
        for i = 2, count do
            calls[i] = next_call(ARGV, calls[i - 1])
        end
        local parts, tolerated = j.parts + 0, j.tolerated + 0
        local order, seen, bad = {}, {}, {}
        for i = 1, #calls do
            local at = calls[i]
            bad[i] = part_out_of_range(ARGV, at, parts)
            if not bad[i] then
                local first = at + PARTS_FIRST
                for p = first, first + PART_WIDTH * (tonumber(ARGV[at + PARTS_COUNT]) - 1), PART_WIDTH do
                    if not seen[ARGV[p]] then
                        seen[ARGV[p]] = true
                        order[#order + 1] = ARGV[p]
                    end
                end
            end
        end
        local stored = stored_parts(order)
        -- cur: the outcomes the calls so far gave parts, over those the run found stored
        local cur, moved = {}, {}
        local from, events, applied = j.state, heard and {} or nil, false
        -- (no counter limit to check here: a job with parts counts at most its parts, an int)
        local succeeded, failed = j.succeeded + 0, j.failed + 0
        local rate, rate_at, rate_at_was, acc, rate_s, folded
        for i = 1, #calls do
            local at = calls[i]
            local token, n, first = ARGV[at + PARTS_TOKEN], tonumber(ARGV[at + PARTS_COUNT]), at + PARTS_FIRST
            local stop = first + PART_WIDTH * (n - 1)
            if bad[i] then
                replies[c + i - 1] = {'range', parts, bad[i]}
            elseif TERMINAL[j.state] then
                -- a redelivery that changes nothing is answered; anything else is refused
                local changes = false
                for p = first, stop, PART_WIDTH do
                    changes = changes or (cur[ARGV[p]] or stored[ARGV[p]]) ~= string.sub(ARGV[p + 1], 1, 1)
                end
                if changes then
                    replies[c + i - 1] = {'finished', j.state}
                else
                    local last = (token ~= '' and j.settledBy == token) and 1 or 0
                    replies[c + i - 1] = {'ok', 0, math.max(0, tonumber(j.total) - succeeded - failed), last}
                end
            else
                if not applied then
                    rate, rate_at, acc, rate_s, rate_at_was = open_run(j, now, events)
                end
                local changed, newly, fails_job = 0, 0, nil
                for p = first, stop, PART_WIDTH do
                    local ps, value = ARGV[p], ARGV[p + 1]
                    local outcome = string.sub(value, 1, 1)
                    if outcome == 'F' and ARGV[p + 2] == '1' and not fails_job then
                        fails_job = value
                    end
                    local prior = cur[ps] or stored[ps]
                    if prior ~= outcome then
                        cur[ps], moved[ps] = outcome, value
                        changed = changed + 1
                        if events then
                            events[#events + 1] = {type = 'PART', part = tonumber(ps)}
                        end
                        local new
                        new, succeeded, failed = recount(prior, outcome, succeeded, failed)
                        newly = newly + new
                    end
                end
                rate, rate_at, acc, folded = fold(rate, rate_at, acc, newly, now)
                if folded then
                    rate_s = fmt_rate(rate)
                end
                local last = 0
                if fails_job then
                    need(j, K[KEY_JOB], FINISHING)
                    finish(j, 'FAILED', now)
                    local bar = string.find(fails_job, '|', 1, true)
                    set_error(j, bar and string.sub(fails_job, bar + 1) or '', nil, nil, 'part_failed')
                elseif j.settled ~= '1' and succeeded + failed == parts and failed <= tolerated then
                    -- the settle: this call leaves no part pending and finishes the job, so no other call can
                    last = 1
                    set(j, 'settled', '1')
                    set(j, 'settledBy', token)
                    need(j, K[KEY_JOB], FINISHING)
                    finish(j, 'SUCCEEDED', now)
                end
                if events then
                    if last == 1 then
                        events[#events + 1] = {type = 'SETTLED'}
                    end
                    if TERMINAL[j.state] then
                        events[#events + 1] = {type = EVENT_FOR_STATE[j.state]}
                    end
                end
                replies[c + i - 1] = {'ok', changed, parts - succeeded - failed, last}
                applied = true
            end
        end
        if applied then
            set(j, 'succeeded', fmt(succeeded))
            set(j, 'failed', fmt(failed))
            set_all(j, progress_fields(j.state, j.heartbeat, now, rate_s ~= j.rate and rate_s, rate_at ~= rate_at_was
            and rate_at, fmt(acc)))
            write_parts(order, stored, moved)
            close_job(j, from, events, channel, now)
        end
    end

    -- The kinds of the calls on the job of the call before them.
    local SAME_JOB = {['=r'] = true, ['=i'] = true, ['=p'] = true}

    -- The K of every call, as lib.lua names its indexes: K[1] and K[11..13] are the run's, K[2..10] the shared keys
    -- (one table for the library's life: Redis runs one function at a time).
    local WK = {false, false, false, false, false, false, false, false, false, false, false, false, false}

    register('write', function(KEYS, ARGV)
        local now, channel, count = tonumber(ARGV[NOW]), ARGV[CHANNEL], tonumber(ARGV[CALLS])
        local heard = listening(channel)
        local replies = {}
        K = WK
        -- the SHARED keys at due:lease, due:deadline, state PENDING, RUNNING; the SHARED_FINISH keys (state SUCCEEDED,
        -- FAILED, CANCELLED, SKIPPED, due:retain) at the first recordParts run, if any: false until then (a key a
        -- batch of records was not sent fails the call rather than write an undeclared key)
        K[KEY_LEASE], K[KEY_DEADLINE], K[STATE_KEY.PENDING], K[STATE_KEY.RUNNING] = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        K[STATE_KEY.SUCCEEDED], K[STATE_KEY.FAILED], K[STATE_KEY.CANCELLED], K[STATE_KEY.SKIPPED], K[KEY_RETAIN] =
            false, false, false, false, false
        local c, key_at, at = 1, SHARED + 1, FIRST_CALL
        while c <= count do
            -- the run: this call and the '=' calls after it (the same job, the same sort of write)
            local first, n = at, 1
            local parts = ARGV[at] == 'p' -- (a run's first call has no '=')
            -- K at the run's keys: K[1] its job hash, K[11..] the rest (K[2..10]: the shared keys, set above)
            K[1], K[11], K[12] = KEYS[key_at], KEYS[key_at + 1], KEYS[key_at + 2]
            if parts then
                K[13], key_at = nil, key_at + 3
                if not K[KEY_RETAIN] then
                    local f = #KEYS - SHARED_FINISH
                    K[STATE_KEY.SUCCEEDED], K[STATE_KEY.FAILED], K[STATE_KEY.CANCELLED], K[STATE_KEY.SKIPPED],
                        K[KEY_RETAIN] = KEYS[f + 1], KEYS[f + 2], KEYS[f + 3], KEYS[f + 4], KEYS[f + 5]
                end
            else
                K[13], key_at = KEYS[key_at + 3], key_at + 4
            end
            at = ARGV[at] == 'i' and at + ITEM_CALL_WIDTH or next_call(ARGV, at) -- (no call for the common one)
            while c + n <= count and SAME_JOB[ARGV[at]] do
                n = n + 1
                at = next_call(ARGV, at)
            end
            if parts then
                run_parts(ARGV, first, n, c, replies, now, channel, heard)
            else
                run_records(ARGV, first, n, c, replies, now, channel, heard)
            end
            c = c + n
        end
        return replies
    end, false, true)
end
