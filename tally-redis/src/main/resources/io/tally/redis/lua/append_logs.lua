-- appendLogs(id, entries): KEYS 1 job hash, 2 log list; ARGV: one JSON record per entry. seq = position in the list.
register('append_logs', function(KEYS, ARGV)
    if redis.call('EXISTS', KEYS[1]) == 0 then
        return {'notfound'}
    end
    local entries = {}
    for i = 1, #ARGV do
        entries[i] = ARGV[i]
    end
    bulk('RPUSH', KEYS[2], entries, 1000)
    return {'ok'}
end)
