-- find(id): KEYS 1 job hash
return redis.call('HGETALL', KEYS[1])
