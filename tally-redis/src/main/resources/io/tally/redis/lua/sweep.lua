-- sweepCandidates(kind, now, limit): KEYS 1 the kind's due set (score = lease/deadline/retain-until millis)
-- ARGV: now, limit. Due means strictly before now.
register('sweep', function(KEYS, ARGV)
    return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
end, true)
