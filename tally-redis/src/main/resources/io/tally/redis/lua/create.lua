-- create(NewJob): KEYS 1-10 common, 11 idx:all, 12 idx:name, 13 idx:scope, 14 idx:parent, 15 payloads
-- (parts need nothing else: a part the parts bitfield has no bits for is pending)
-- ARGV: channel, hasScope, hasParent, token, n, n field/value strings, then one payload per part.
register('create', function(KEYS, ARGV)
    local channel, has_scope, has_parent, token, n = ARGV[1], ARGV[2] == '1', ARGV[3] == '1', ARGV[4], tonumber(ARGV[5])
    if redis.call('EXISTS', KEYS[KEY_JOB]) == 1 then
        local j = load(KEYS[KEY_JOB])
        if token ~= '' and j.createdBy == token then
            return reply('ok', j) -- the same call, retried after a lost reply
        end
        return {'exists'}
    end
    local fields = {}
    for i = 6, 5 + n do
        fields[#fields + 1] = ARGV[i]
    end
    fields[#fields + 1] = 'createdBy'
    fields[#fields + 1] = token
    bulk('HSET', KEYS[KEY_JOB], fields, 1000)
    local j = load(KEYS[KEY_JOB])
    local m = member(j)
    redis.call('ZADD', KEYS[11], 0, m)
    redis.call('ZADD', KEYS[12], 0, m)
    if has_scope then
        redis.call('ZADD', KEYS[13], 0, m)
    end
    if has_parent then
        redis.call('ZADD', KEYS[14], 0, m)
    end
    redis.call('ZADD', KEYS[STATE_KEY[j.state]], 0, m)
    sync_due(j, true)
    local parts = tonumber(j.parts)
    if parts > 0 then
        local payloads = {}
        for p = 0, parts - 1 do
            payloads[#payloads + 1] = fmt(p)
            payloads[#payloads + 1] = ARGV[6 + n + p]
        end
        bulk('HSET', KEYS[15], payloads, 2000)
    end
    local events = {{type = 'CREATED'}}
    if j.state == 'RUNNING' then
        events[2] = {type = 'STARTED'}
    end
    publish(channel, j, events)
    return reply('ok', j)
end)
