-- expire(id, STALLED | TIMEOUT): KEYS 1-10 common
-- ARGV: now, channel, kind, expected leaseUntil/deadline (as read by the caller), error message, reason code.
-- Re-checks against the stored state that the job is still due, and that the field the message names is unchanged.
register('expire', function(KEYS, ARGV)
    local now, channel, kind, expected = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
    local j = load(KEYS[KEY_JOB])
    if j == nil then
        return {'none'}
    end
    local field = kind == 'STALLED' and 'leaseUntil' or 'deadline'
    local value = j[field]
    local due
    if kind == 'STALLED' then
        due = j.state == 'RUNNING' and value ~= nil and tonumber(value) < now
    else
        due = not TERMINAL[j.state] and value ~= nil and tonumber(value) < now
    end
    if not due then
        return {'none'}
    end
    if value ~= expected then
        return {'stale'}
    end
    local from = j.state
    finish(j, 'FAILED', now)
    set_error(j, ARGV[5], nil, nil, ARGV[6])
    commit(j, from, channel, {{type = 'FAILED'}})
    return reply('ok', j)
end)
