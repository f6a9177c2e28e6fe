-- heartbeat(id): KEYS 1-10 common; ARGV: now
register('heartbeat', function(KEYS, ARGV)
    local now = tonumber(ARGV[1])
    local j = load(KEYS[KEY_JOB])
    if j == nil then
        return {'notfound'}
    end
    if TERMINAL[j.state] then
        return {'finished', j.state}
    end
    set(j, 'updatedAt', fmt_now(now))
    if j.state == 'RUNNING' then
        set(j, 'leaseUntil', plus(now, j.heartbeat))
    end
    sync_due(j)
    save(j)
    return reply('ok', j)
end)
