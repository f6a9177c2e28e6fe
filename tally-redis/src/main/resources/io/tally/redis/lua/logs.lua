-- logs(id, afterSeq, limit): KEYS 1 job hash, 2 log list; ARGV: first index (= afterSeq), limit
register('logs', function(KEYS, ARGV)
    if redis.call('EXISTS', KEYS[1]) == 0 then
        return {'notfound'}
    end
    local from, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
    local out = {'ok', from}
    local page = redis.call('LRANGE', KEYS[2], from, from + limit - 1)
    for _, e in ipairs(page) do
        out[#out + 1] = e
    end
    return out
end, true)
