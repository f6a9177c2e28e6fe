-- partPayload(id, part): KEYS 1 job hash, 2 payloads hash; ARGV: part
register('payload', function(KEYS, ARGV)
    local parts = redis.call('HGET', KEYS[1], 'parts')
    if not parts then
        return {'notfound'}
    end
    local p = tonumber(ARGV[1])
    if p < 0 or p >= tonumber(parts) then
        return {'range', tonumber(parts), p}
    end
    local payload = redis.call('HGET', KEYS[2], ARGV[1])
    if not payload then
        return {'none'}
    end
    return {'ok', payload}
end, true)
