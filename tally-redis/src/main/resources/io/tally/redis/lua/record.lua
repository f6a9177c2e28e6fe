-- record(id, ProgressUpdate): KEYS 1-10 common, 11 items hash, 12 items-succeeded zset, 13 items-failed zset
-- ARGV: now, channel, known (the createdBy token of the job whose fixed fields the caller holds, or ''), succeeded,
-- failed, addTotal, hasMessage, message, n, then n (key, value) pairs where value is 'S' or 'F' optionally followed
-- by '|' and the reason. Items are applied in order (a key given twice ends with its last value), with bulk
-- HMGET/HSET/ZADD/ZREM per call rather than per item.
local now, channel, known = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local du_s, du_f, add_total = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local has_message, message, n = ARGV[7] == '1', ARGV[8], tonumber(ARGV[9])
local P = 10 -- ARGV index of the first item key
local j = load_hot(KEYS[KEY_JOB])
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
if n > 0 then
    local order, seen = {}, {}
    for i = 0, n - 1 do
        local key = ARGV[P + 2 * i]
        if not seen[key] then
            seen[key] = true
            order[#order + 1] = key
        end
    end
    local stored, written = prefetch(KEYS[11], order, n == 1 and ARGV[P + 1] or nil)
    local cur = {}
    for _, key in ipairs(order) do
        cur[key] = stored[key]
    end
    for i = 0, n - 1 do
        local key, value = ARGV[P + 2 * i], ARGV[P + 1 + 2 * i]
        local outcome = string.sub(value, 1, 1)
        local before = cur[key]
        cur[key] = value
        local prior = before and string.sub(before, 1, 1)
        if prior ~= outcome then
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
    move_members(order, stored, cur, {S = KEYS[12], F = KEYS[13]}, nil, false)
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
publish_hot(channel, KEYS[KEY_JOB], j, events)
return job_reply({'ok'}, KEYS[KEY_JOB], j, known)
