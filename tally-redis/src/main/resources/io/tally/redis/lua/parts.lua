-- parts(id, status, after, limit): KEYS 1 job hash, 2 the status's zset (score = part number); ARGV: after, limit
if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'notfound'}
end
local out = {'ok'}
local page = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
for _, p in ipairs(page) do
    out[#out + 1] = p
end
return out
