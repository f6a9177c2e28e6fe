-- recordParts(id, parts): KEYS 1-10 common, 11 part outcomes hash, 12 pending zset, 13 succeeded zset,
-- 14 failed zset (zsets: score = member = part number).
-- ARGV: now, channel, token, n, then n (part, value, failJob) triples where value is 'S' or 'F' optionally followed by
-- '|' and the reason. The settle is claimed here, once: the call that settles stores its token in 'settledBy'.
local now, channel, token, n = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local j = load(KEYS[KEY_JOB])
if j == nil then
    return {'notfound'}
end
local parts = tonumber(j.parts)
for i = 0, n - 1 do
    local p = tonumber(ARGV[5 + 3 * i])
    if p < 0 or p >= parts then
        return {'range', parts, p}
    end
end
local function outcome_of(v)
    return v and string.sub(v, 1, 1)
end
if TERMINAL[j.state] then
    for i = 0, n - 1 do
        local stored = redis.call('HGET', KEYS[11], ARGV[5 + 3 * i])
        if outcome_of(stored) ~= string.sub(ARGV[6 + 3 * i], 1, 1) then
            return {'finished', j.state}
        end
    end
    local pending = math.max(0, tonumber(j.total) - tonumber(j.succeeded) - tonumber(j.failed))
    local last = 0
    if token ~= '' and j.settledBy == token then
        last = 1 -- the settling call, retried after a lost reply
    end
    return reply('ok', j, 0, pending, last)
end
local from = j.state
auto_start(j, now)
local succeeded, failed = tonumber(j.succeeded), tonumber(j.failed)
local set_of = {S = KEYS[13], F = KEYS[14]}
local changed, newly = 0, 0
local fail_job, fail_why = false, nil
local events = {}
if from == 'PENDING' then
    events[1] = {type = 'STARTED'}
end
for i = 0, n - 1 do
    local ps, value, fj = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i] == '1'
    local outcome = string.sub(value, 1, 1)
    if outcome == 'F' and fj and not fail_job then
        fail_job = true
        local bar = string.find(value, '|', 1, true)
        fail_why = bar and string.sub(value, bar + 1) or ''
    end
    local before = redis.call('HGET', KEYS[11], ps)
    local prior = outcome_of(before)
    if prior ~= outcome then
        redis.call('HSET', KEYS[11], ps, value)
        changed = changed + 1
        events[#events + 1] = {type = 'PART', part = tonumber(ps)}
        if not before then
            newly = newly + 1
            redis.call('ZREM', KEYS[12], ps)
        else
            redis.call('ZREM', set_of[prior], ps)
            if prior == 'S' then succeeded = succeeded - 1 else failed = failed - 1 end
        end
        redis.call('ZADD', set_of[outcome], tonumber(ps), ps)
        if outcome == 'S' then succeeded = succeeded + 1 else failed = failed + 1 end
    end
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
sync_due(j)
save(j)
move_state(j, from)
if last == 1 then
    events[#events + 1] = {type = 'SETTLED'}
end
if TERMINAL[j.state] then
    events[#events + 1] = {type = EVENT_FOR_STATE[j.state]}
end
publish(channel, j, events)
return reply('ok', j, changed, parts - succeeded - failed, last)
