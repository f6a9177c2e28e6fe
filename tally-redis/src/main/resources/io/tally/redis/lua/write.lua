-- write: the record and recordParts calls of one caller or of many (WriteBatcher combines concurrent callers' calls),
-- in one function call. Each call gets the answer it would have got alone, and they are applied in order, with the
-- rules of JobRules (io.tally.store): the helpers of lib.lua keep the job-level ones (auto-start, progress, finish), this
-- file the item and part moves, the recount and the settle.
--
-- KEYS: the SHARED namespace keys (state indexes PENDING..SKIPPED, due:lease, due:deadline, due:retain), then, for
-- each run of calls on one job (a call and the '='-prefixed calls after it), the job's keys: a run of records: job
-- hash, item-reasons hash, items-ok zset, items-failed zset; a run of part calls: job hash, parts bitfield (u2 at
-- #part: 0 pending, 1 succeeded, 2 failed), part-errors hash.
-- ARGV: the header (NOW, CHANNEL, CALLS), then each call: its kind and its arguments at the offsets named below, from
-- the kind's index. WriteArgs (Java) writes this layout with the same names; WriteArgsTest checks that they agree.
--   'r' record: succeeded, failed, addTotal, hasMessage ('1'/'0'), message, n, then n (key, value) items;
--   'i' record of one item and nothing else (recordSuccess(key)): key, value;
--   'p' recordParts: token (the settle claim), n, then n (part, value, failJob '1'/'0') parts;
-- a value is 'S' or 'F', followed by '|' and the reason if there is one; a kind prefixed with '=' is a call on the
-- job of the call before it, of the same sort (record or parts), sent without keys.
-- Reply: one per call, in order. Records: {'ok', state, total, succeeded, failed, startedAt, updatedAt, rate,
-- rateAt, rateAcc} (false for a field the job does not have), or {'notfound'}, {'finished', state}, {'hasparts'}.
-- Parts: {'ok', changed, remaining, last}, or {'notfound'}, {'finished', state}, {'range', parts, part}.
-- The settle is claimed once, by the call that records the last part: it stores its token in 'settledBy', so that
-- the same call retried after a lost reply is answered last = 1 again.
do
    local SHARED = 9
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

    -- The fields a run reads up front: what its guards, counters and reply need. The name, scope, parent and metadata
    -- never change and decide nothing; the fields a rarer step needs are read then (need(): starting, finishing,
    -- moving a due set). Each field read costs Redis a lookup and Lua a string.
    local RECORD_FIELDS = {'state', 'parts', 'total', 'succeeded', 'failed', 'startedAt', 'heartbeat', 'rate',
        'rateAt', 'rateAcc'}
    local PARTS_FIELDS = {'state', 'parts', 'tolerated', 'total', 'succeeded', 'failed', 'settled', 'settledBy',
        'heartbeat', 'rate', 'rateAt', 'rateAcc'}
    local STARTING = {'id', 'createdAt', 'timeout'}
    local FINISHING = {'id', 'createdAt', 'retainFor'}

    local function read_job(key, fields)
        local v = redis.call('HMGET', key, unpack(fields))
        if not v[1] then -- every job has a state
            return nil
        end
        local j = {}
        for i = 1, #fields do
            if v[i] then
                j[fields[i]] = v[i]
            end
        end
        return j
    end

    -- Auto-start (lib.lua) with the fields it and the state move need.
    local function start(j, now, events)
        if j.state == 'PENDING' then
            need(j, K[KEY_JOB], STARTING)
            auto_start(j, now)
            if events then
                events[#events + 1] = {type = 'STARTED'}
            end
        end
    end

    -- Writes the run's changes to the job: its fields, its due sets and state index (from: its state when read),
    -- then publishes the run's events with the job as stored.
    local function close_job(j, from, events, channel)
        if dirty.leaseUntil or dirty.deadline or dirty.retainUntil then
            need(j, K[KEY_JOB], {'id'})
        end
        sync_due(j)
        save(j)
        move_state(j, from)
        if events and #events > 0 then
            publish_stored(channel, K[KEY_JOB], events)
        end
    end

    -- K for a run whose own keys start at KEYS[first]: job hash, the shared keys (K[2..10], as lib.lua expects), then
    -- the rest of the run's keys from K[11].
    local function run_keys(KEYS, first, count)
        local k = {KEYS[first]}
        for i = 1, SHARED do
            k[i + 1] = KEYS[i]
        end
        for i = 1, count - 1 do
            k[SHARED + 1 + i] = KEYS[first + i]
        end
        return k
    end

    local function outcome_of(v)
        return v and string.sub(v, 1, 1)
    end

    -- ---- items ----

    -- The stored outcomes ('S', 'F') of the distinct item keys 'order', in map 'stored' (none for an item not
    -- recorded yet), looked up only in a set its counter says is not empty. 'final' maps each key to its last value
    -- in the run: for a run of one item (a recordSuccess(key), the common call), ZADD NX into the set of its final
    -- outcome answers whether it was there and writes it at once; the keys so written are returned in 'written'.
    local function stored_items(j, order, final)
        local stored, written = {}, {}
        local sets = {S = K[12], F = K[13]}
        local counts = {S = tonumber(j.succeeded), F = tonumber(j.failed)}
        if #order == 1 then
            local key = order[1]
            local own = outcome_of(final[key])
            local other = own == 'S' and 'F' or 'S'
            if counts[other] > 0 and redis.call('ZSCORE', sets[other], key) then
                stored[key] = other
            end
            if redis.call('ZADD', sets[own], 'NX', 0, key) == 0 then
                stored[key] = own
            end
            written[key] = true
            return stored, written
        end
        for _, o in ipairs({'S', 'F'}) do
            if counts[o] > 0 then
                for i = 1, #order, 1000 do
                    local last = math.min(i + 999, #order)
                    local scores = redis.call('ZMSCORE', sets[o], unpack(order, i, last))
                    for k = i, last do
                        if scores[k - i + 1] then
                            stored[order[k]] = o
                        end
                    end
                end
            end
        end
        return stored, written
    end

    -- Moves the items of 'order' between the outcome sets so that each is in the set of its final outcome and not in
    -- that of its stored one (bulk ZADD/ZREM; not the ZADD of an item 'written' already), and keeps each item's reason
    -- as its last value says (bulk HSET of the reasons given, HDEL of those of items stored before without one now).
    local function write_items(order, stored, final, written)
        local add, rem = {S = {}, F = {}}, {S = {}, F = {}}
        local put, drop = {}, {}
        for _, key in ipairs(order) do
            local a, b = stored[key], outcome_of(final[key])
            if a ~= b then
                if a then
                    local r = rem[a]
                    r[#r + 1] = key
                end
                if not written[key] then
                    local t = add[b]
                    t[#t + 1] = 0
                    t[#t + 1] = key
                end
            end
            if #final[key] > 1 then
                put[#put + 1], put[#put + 2] = key, string.sub(final[key], 3)
            elseif a then
                drop[#drop + 1] = key
            end
        end
        local sets = {S = K[12], F = K[13]}
        for _, o in ipairs({'S', 'F'}) do
            if #rem[o] > 0 then
                bulk('ZREM', sets[o], rem[o], 1000)
            end
            if #add[o] > 0 then
                bulk('ZADD', sets[o], add[o], 2000)
            end
        end
        if #put > 0 then
            bulk('HSET', K[11], put, 2000)
        end
        if #drop > 0 then
            bulk('HDEL', K[11], drop, 1000)
        end
    end

    -- A record call at ARGV[at]: succeeded, failed, addTotal, the message (nil for none), and the ARGV index of its
    -- first item and how many it has.
    local function record_call(ARGV, at)
        if string.byte(ARGV[at], -1) == 105 then -- 'i'
            return 0, 0, 0, nil, at + ITEM_KEY, 1
        end
        local message = nil
        if ARGV[at + RECORD_HAS_MESSAGE] == '1' then
            message = ARGV[at + RECORD_MESSAGE]
        end
        return tonumber(ARGV[at + RECORD_SUCCEEDED]), tonumber(ARGV[at + RECORD_FAILED]),
            tonumber(ARGV[at + RECORD_ADD_TOTAL]), message, at + RECORD_FIRST_ITEM, tonumber(ARGV[at + RECORD_ITEMS])
    end

    -- A run of record calls (their kinds at ARGV indexes 'calls') on the job of K, the first being call c.
    local function run_records(ARGV, calls, c, replies, now, channel, heard)
        local j = read_job(K[KEY_JOB], RECORD_FIELDS)
        local refusal = j == nil and {'notfound'} or TERMINAL[j.state] and {'finished', j.state}
        if refusal then
            for i = 1, #calls do
                replies[c + i - 1] = refusal
            end
            return
        end
        local has_parts = j.parts ~= '0'
        -- the distinct item keys and the last value of each (a job with parts takes no items)
        local order, final = {}, {}
        if not has_parts then
            for _, at in ipairs(calls) do
                local _, _, _, _, first, n = record_call(ARGV, at)
                for p = first, first + ITEM_WIDTH * (n - 1), ITEM_WIDTH do
                    local key = ARGV[p]
                    if not final[key] then
                        order[#order + 1] = key
                    end
                    final[key] = ARGV[p + 1]
                end
            end
        end
        local stored, written = {}, {}
        if #order > 0 then
            stored, written = stored_items(j, order, final)
        end
        local cur = {}
        for key, o in pairs(stored) do
            cur[key] = o
        end
        local from, events, applied = j.state, heard and {} or nil, false
        local succeeded, failed, total = tonumber(j.succeeded), tonumber(j.failed), tonumber(j.total)
        for i, at in ipairs(calls) do
            local du_s, du_f, more, message, first, n = record_call(ARGV, at)
            if has_parts and (du_s > 0 or du_f > 0 or n > 0 or more > 0) then
                replies[c + i - 1] = {'hasparts'}
            else
                start(j, now, events)
                succeeded, failed, total = succeeded + du_s, failed + du_f, total + more
                local newly = du_s + du_f
                for p = first, first + ITEM_WIDTH * (n - 1), ITEM_WIDTH do
                    local key, outcome = ARGV[p], string.sub(ARGV[p + 1], 1, 1)
                    local prior = cur[key]
                    if prior ~= outcome then
                        local new
                        new, succeeded, failed = recount(prior, outcome, succeeded, failed)
                        newly = newly + new
                        cur[key] = outcome
                    end
                end
                if message then
                    set(j, 'message', message)
                end
                progress(j, newly, now)
                if events then
                    events[#events + 1] = {type = 'PROGRESS'}
                end
                replies[c + i - 1] = {'ok', j.state, total, succeeded, failed, j.startedAt or false, now,
                    j.rate or false, j.rateAt or false, j.rateAcc}
                applied = true
            end
        end
        if not applied then
            return
        end
        set(j, 'succeeded', fmt(succeeded))
        if failed ~= tonumber(j.failed) then
            set(j, 'failed', fmt(failed))
        end
        if total ~= tonumber(j.total) then
            set(j, 'total', fmt(total))
        end
        if #order > 0 then
            write_items(order, stored, final, written)
        end
        close_job(j, from, events, channel)
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
        for _, ps in ipairs(order) do
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

    -- A run of recordParts calls (their kinds at ARGV indexes 'calls') on the job of K, the first being call c: the
    -- parts are read with one BITFIELD and written with one after the last call, each call checked and answered in
    -- order against the outcomes so far.
    local function run_parts(ARGV, calls, c, replies, now, channel, heard)
        local j = read_job(K[KEY_JOB], PARTS_FIELDS)
        if j == nil then
            for i = 1, #calls do
                replies[c + i - 1] = {'notfound'}
            end
            return
        end
        local parts, tolerated = tonumber(j.parts), tonumber(j.tolerated)
        local order, seen, bad = {}, {}, {}
        for i, at in ipairs(calls) do
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
        local cur, moved = {}, {}
        for ps, o in pairs(stored) do
            cur[ps] = o
        end
        local from, events, applied = j.state, heard and {} or nil, false
        local succeeded, failed = tonumber(j.succeeded), tonumber(j.failed)
        for i, at in ipairs(calls) do
            local token, n, first = ARGV[at + PARTS_TOKEN], tonumber(ARGV[at + PARTS_COUNT]), at + PARTS_FIRST
            local stop = first + PART_WIDTH * (n - 1)
            if bad[i] then
                replies[c + i - 1] = {'range', parts, bad[i]}
            elseif TERMINAL[j.state] then
                -- a redelivery that changes nothing is answered; anything else is refused
                local changes = false
                for p = first, stop, PART_WIDTH do
                    changes = changes or cur[ARGV[p]] ~= string.sub(ARGV[p + 1], 1, 1)
                end
                if changes then
                    replies[c + i - 1] = {'finished', j.state}
                else
                    local last = (token ~= '' and j.settledBy == token) and 1 or 0
                    replies[c + i - 1] = {'ok', 0, math.max(0, tonumber(j.total) - succeeded - failed), last}
                end
            else
                start(j, now, events)
                local changed, newly, fails_job = 0, 0, nil
                for p = first, stop, PART_WIDTH do
                    local ps, value = ARGV[p], ARGV[p + 1]
                    local outcome = string.sub(value, 1, 1)
                    if outcome == 'F' and ARGV[p + 2] == '1' and not fails_job then
                        fails_job = value
                    end
                    local prior = cur[ps]
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
                set(j, 'succeeded', fmt(succeeded))
                set(j, 'failed', fmt(failed))
                progress(j, newly, now)
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
            write_parts(order, stored, moved)
            close_job(j, from, events, channel)
        end
    end

    -- The ARGV index of the call after the one whose kind is at ARGV[at].
    local function next_call(ARGV, at)
        local kind = string.byte(ARGV[at], -1)
        if kind == 105 then -- 'i'
            return at + ITEM_CALL_WIDTH
        elseif kind == 112 then -- 'p'
            return at + PARTS_FIRST + PART_WIDTH * tonumber(ARGV[at + PARTS_COUNT])
        end
        return at + RECORD_FIRST_ITEM + ITEM_WIDTH * tonumber(ARGV[at + RECORD_ITEMS])
    end

    register('write', function(KEYS, ARGV)
        local now, channel, count = tonumber(ARGV[NOW]), ARGV[CHANNEL], tonumber(ARGV[CALLS])
        local heard = listening(channel)
        local replies = {}
        local c, key_at, at = 1, SHARED + 1, FIRST_CALL
        while c <= count do
            -- the run: this call and the '=' calls after it (the same job, the same sort of write)
            local parts = string.byte(ARGV[at], -1) == 112 -- 'p'
            local keys = parts and 3 or 4
            K = run_keys(KEYS, key_at, keys)
            key_at = key_at + keys
            local calls = {at}
            at = next_call(ARGV, at)
            while c + #calls <= count and string.byte(ARGV[at], 1) == 61 do -- '='
                calls[#calls + 1] = at
                at = next_call(ARGV, at)
            end
            dirty = {}
            if parts then
                run_parts(ARGV, calls, c, replies, now, channel, heard)
            else
                run_records(ARGV, calls, c, replies, now, channel, heard)
            end
            c = c + #calls
        end
        return replies
    end)
end
