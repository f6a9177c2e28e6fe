-- record(id, ProgressUpdate): KEYS 1-10 common, 11 items hash, 12 items-succeeded zset, 13 items-failed zset
-- ARGV: now, channel, succeeded, failed, addTotal, hasMessage, message, n, then n (key, value) pairs where value is
-- 'S' or 'F' optionally followed by '|' and the reason.
local now, channel = tonumber(ARGV[1]), ARGV[2]
local du_s, du_f, add_total = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local has_message, message, n = ARGV[6] == '1', ARGV[7], tonumber(ARGV[8])
local j = load(KEYS[KEY_JOB])
if j == nil then
    return {'notfound'}
end
if TERMINAL[j.state] then
    return {'finished', j.state}
end
if tonumber(j.parts) > 0 and (du_s > 0 or du_f > 0 or n > 0 or add_total > 0) then
    return {'hasparts'}
end
local from = j.state
auto_start(j, now)
local succeeded = tonumber(j.succeeded) + du_s
local failed = tonumber(j.failed) + du_f
local newly = du_s + du_f
local set_of = {S = KEYS[12], F = KEYS[13]}
for i = 0, n - 1 do
    local key, value = ARGV[9 + 2 * i], ARGV[10 + 2 * i]
    local outcome = string.sub(value, 1, 1)
    local before = redis.call('HGET', KEYS[11], key)
    redis.call('HSET', KEYS[11], key, value)
    local prior = before and string.sub(before, 1, 1)
    if prior ~= outcome then
        if not before then
            newly = newly + 1
        else
            redis.call('ZREM', set_of[prior], key)
            if prior == 'S' then succeeded = succeeded - 1 else failed = failed - 1 end
        end
        redis.call('ZADD', set_of[outcome], 0, key)
        if outcome == 'S' then succeeded = succeeded + 1 else failed = failed + 1 end
    end
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
sync_due(j)
save(j)
move_state(j, from)
local events = {}
if from == 'PENDING' then
    events[#events + 1] = {type = 'STARTED'}
end
events[#events + 1] = {type = 'PROGRESS'}
publish(channel, j, events)
return reply('ok', j)
