-- recordParts(id, parts): KEYS 1-10 common, 11 part outcomes hash, 12 pending zset, 13 succeeded zset,
-- 14 failed zset (zsets: score = member = part number).
-- ARGV: now, channel, token, known (the createdBy token of the job whose fixed fields the caller holds, or ''), n,
-- then n (part, value, failJob) triples where value is 'S' or 'F' optionally followed by '|' and the reason. Parts
-- are applied in order, with bulk HMGET/HSET/ZADD/ZREM per call rather than per part. The settle is claimed here,
-- once: the call that settles stores its token in 'settledBy'.
local now, channel, token, known, n = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local P = 6 -- ARGV index of the first part
local j = load_hot(KEYS[KEY_JOB])
if j == nil then
    return {'notfound'}
end
local parts = tonumber(j.parts)
for i = 0, n - 1 do
    local p = tonumber(ARGV[P + 3 * i])
    if p < 0 or p >= parts then
        return {'range', parts, p}
    end
end
local function outcome_of(v)
    return v and string.sub(v, 1, 1)
end
if TERMINAL[j.state] then
    for i = 0, n - 1 do
        local stored = redis.call('HGET', KEYS[11], ARGV[P + 3 * i])
        if outcome_of(stored) ~= string.sub(ARGV[P + 1 + 3 * i], 1, 1) then
            return {'finished', j.state}
        end
    end
    local pending = math.max(0, tonumber(j.total) - tonumber(j.succeeded) - tonumber(j.failed))
    local last = 0
    if token ~= '' and j.settledBy == token then
        last = 1 -- the settling call, retried after a lost reply
    end
    return job_reply({'ok', 0, pending, last}, KEYS[KEY_JOB], j, known)
end
local from = j.state
auto_start(j, now)
local succeeded, failed = tonumber(j.succeeded), tonumber(j.failed)
local changed, newly = 0, 0
local fail_job, fail_why = false, nil
-- PART events are only collected when someone listens (a batch of parts would otherwise build a table per part).
local heard = listening(channel)
local events = {}
if from == 'PENDING' then
    events[1] = {type = 'STARTED'}
end
local order, seen = {}, {}
for i = 0, n - 1 do
    local ps = ARGV[P + 3 * i]
    if not seen[ps] then
        seen[ps] = true
        order[#order + 1] = ps
    end
end
local stored, written = prefetch(KEYS[11], order, n == 1 and ARGV[P + 1] or nil)
local cur = {}
for _, ps in ipairs(order) do
    cur[ps] = stored[ps]
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
        if not before then
            newly = newly + 1
        elseif prior == 'S' then
            succeeded = succeeded - 1
        else
            failed = failed - 1
        end
        if outcome == 'S' then succeeded = succeeded + 1 else failed = failed + 1 end
    end
end
flush_hash(KEYS[11], order, cur, written)
move_members(order, stored, cur, {S = KEYS[13], F = KEYS[14]}, KEYS[12], true)
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
sync_due(j)
save(j)
move_state(j, from)
if last == 1 then
    events[#events + 1] = {type = 'SETTLED'}
end
if TERMINAL[j.state] then
    events[#events + 1] = {type = EVENT_FOR_STATE[j.state]}
end
publish_hot(channel, KEYS[KEY_JOB], j, events, heard)
return job_reply({'ok', changed, parts - succeeded - failed, last}, KEYS[KEY_JOB], j, known)
