-- find(id): KEYS 1 job hash
register('find', function(KEYS, ARGV)
    return redis.call('HGETALL', KEYS[1])
end, true)
