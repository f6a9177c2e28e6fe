-- query(JobQuery), the index walk: KEYS the index of every filter given (state, scope, name, parent), or idx:all.
-- ARGV: cursor member ('' for the first page), wanted. Walks the smallest of these indexes newest first
-- (ZRANGE BYLEX REV) from after the cursor and keeps the members present in every other index; returns at most
-- 'wanted' members. Index members are '<13-digit createdAt>:<id>', the same member in every index.
register('query', function(KEYS, ARGV)
    local cursor, wanted = ARGV[1], tonumber(ARGV[2])
    local walk, smallest = 1, nil
    for k = 1, #KEYS do
        local n = redis.call('ZCARD', KEYS[k])
        if smallest == nil or n < smallest then
            walk, smallest = k, n
        end
    end
    local out = {}
    local max = cursor == '' and '+' or '(' .. cursor
    local chunk = math.max(wanted, 64)
    while #out < wanted do
        local page = redis.call('ZRANGE', KEYS[walk], max, '-', 'BYLEX', 'REV', 'LIMIT', 0, chunk)
        for _, m in ipairs(page) do
            local keep = true
            for k = 1, #KEYS do
                if k ~= walk and not redis.call('ZSCORE', KEYS[k], m) then
                    keep = false
                    break
                end
            end
            if keep then
                out[#out + 1] = m
                if #out == wanted then
                    break
                end
            end
        end
        if #page < chunk then
            break
        end
        max = '(' .. page[#page]
    end
    return out
end, true)
