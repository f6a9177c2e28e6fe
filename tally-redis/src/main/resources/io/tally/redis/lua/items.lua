-- items(id, outcome, afterKey, limit): KEYS 1 job hash, 2 item-reasons hash, 3 items-ok zset, 4 items-failed
-- zset.
-- ARGV: outcome ('S', 'F' or '' for both), afterKey ('' with hasAfter '0' to start), hasAfter, limit.
-- Returns 'ok' then up to limit + 1 (key, value) pairs in key order; value is 'S' or 'F', followed by '|' and the reason
-- if the item has one.
register('items', function(KEYS, ARGV)
    local outcome, after, has_after, limit = ARGV[1], ARGV[2], ARGV[3] == '1', tonumber(ARGV[4])
    if redis.call('EXISTS', KEYS[1]) == 0 then
        return {'notfound'}
    end
    local min = has_after and '(' .. after or '-'
    local function range(key)
        return redis.call('ZRANGE', key, min, '+', 'BYLEX', 'LIMIT', 0, limit + 1)
    end
    -- Byte order, as ZRANGE BYLEX sorts (Lua's '<' would follow the server's locale).
    local function before(x, y)
        local n = math.min(#x, #y)
        for i = 1, n do
            local bx, by = string.byte(x, i), string.byte(y, i)
            if bx ~= by then
                return bx < by
            end
        end
        return #x < #y
    end
    local keys, codes = {}, {}
    if outcome == 'S' or outcome == 'F' then
        keys = range(KEYS[outcome == 'S' and 3 or 4])
        for i = 1, #keys do
            codes[i] = outcome
        end
    else
        local a, b = range(KEYS[3]), range(KEYS[4])
        local i, k = 1, 1
        while #keys < limit + 1 and (i <= #a or k <= #b) do
            local n = #keys + 1
            if k > #b or (i <= #a and before(a[i], b[k])) then
                keys[n], codes[n] = a[i], 'S'
                i = i + 1
            else
                keys[n], codes[n] = b[k], 'F'
                k = k + 1
            end
        end
    end
    local out = {'ok'}
    for from = 1, #keys, 1000 do
        local to = math.min(from + 999, #keys)
        local reasons = redis.call('HMGET', KEYS[2], unpack(keys, from, to))
        for i = from, to do
            local why = reasons[i - from + 1]
            out[#out + 1] = keys[i]
            out[#out + 1] = why and codes[i] .. '|' .. why or codes[i]
        end
    end
    return out
end, true)
