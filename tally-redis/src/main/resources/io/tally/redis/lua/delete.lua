-- delete(id) and expire(id, RETENTION): KEYS 1-10 common, 11 idx:all, 12 idx:name, 13 idx:scope, 14 idx:parent,
-- 15.. the job's own keys (items, item sets, part outcomes, part sets, payloads, logs).
-- ARGV: now, channel, retention ('1' to delete only if the retention ended), name, hasScope, scope, hasParent, parent.
-- name, scope and parent never change after create; the caller read them to compute KEYS 12-14, and they are checked
-- here against the stored job ('stale' makes the caller read again).
register('delete', function(KEYS, ARGV)
    local now, channel, retention = tonumber(ARGV[1]), ARGV[2], ARGV[3] == '1'
    local j = load(KEYS[KEY_JOB])
    if j == nil then
        return {'none'}
    end
    local scope = ARGV[5] == '1' and ARGV[6] or nil
    local parent = ARGV[7] == '1' and ARGV[8] or nil
    if j.name ~= ARGV[4] or j.scope ~= scope or j.parent ~= parent then
        return {'stale'}
    end
    if retention and not (TERMINAL[j.state] and j.retainUntil ~= nil and tonumber(j.retainUntil) < now) then
        return {'none'}
    end
    local m = member(j)
    redis.call('ZREM', KEYS[11], m)
    redis.call('ZREM', KEYS[12], m)
    if scope then
        redis.call('ZREM', KEYS[13], m)
    end
    if parent then
        redis.call('ZREM', KEYS[14], m)
    end
    redis.call('ZREM', KEYS[STATE_KEY[j.state]], m)
    redis.call('ZREM', KEYS[KEY_LEASE], j.id)
    redis.call('ZREM', KEYS[KEY_DEADLINE], j.id)
    redis.call('ZREM', KEYS[KEY_RETAIN], j.id)
    for i = 15, #KEYS do
        redis.call('UNLINK', KEYS[i])
    end
    redis.call('UNLINK', KEYS[KEY_JOB])
    publish(channel, j, {{type = 'DELETED'}})
    return reply('ok', j)
end)
