-- countByState(): KEYS 1-6 the state indexes (PENDING RUNNING SUCCEEDED FAILED CANCELLED SKIPPED)
register('count', function(KEYS, ARGV)
    local out = {}
    for i = 1, #KEYS do
        out[i] = redis.call('ZCARD', KEYS[i])
    end
    return out
end, true)
