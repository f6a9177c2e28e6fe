-- stats(root), one bucket's part: KEYS 1-6 the bucket's state indexes (PENDING RUNNING SUCCEEDED FAILED CANCELLED
-- SKIPPED). ARGV: mode, the bucket's key prefix, n, then n ids of jobs of this bucket to read, then ids of jobs (of any
-- bucket) whose children in this bucket to look for.
-- Mode 'all' (every job): the ZCARD of each state index. Mode 'tree' (a job and its descendants): reads the given jobs
-- and walks the bucket's parent indexes (idx:parent:ID, members '<13-digit createdAt>:<id>') down from them and from
-- the given parents, as far as the children stay in this bucket; the caller asks the other buckets for the children of
-- what it found (RedisJobStore.stats). The keys it walks are the bucket's, so on a Cluster they are on this node.
-- Reply (tree): per job read, its id, state, total, succeeded, failed, rate, rateAt, rateAcc ('' for a field not set).
register('count', function(KEYS, ARGV)
    local out = {}
    if ARGV[1] == 'all' then
        for i = 1, #KEYS do
            out[i] = redis.call('ZCARD', KEYS[i])
        end
        return out
    end
    local prefix, n = ARGV[2], tonumber(ARGV[3])
    -- seen: parent links can form a cycle through a reused id; each job is read once per call.
    local seen, todo = {}, {}
    for i = 4, #ARGV do
        local id = ARGV[i]
        if not seen[id] then
            seen[id] = true
            todo[#todo + 1] = {id, i <= 3 + n}
        end
    end
    local head = 1
    while head <= #todo do
        local id, read = todo[head][1], todo[head][2]
        head = head + 1
        local found = true
        if read then
            local v = redis.call('HMGET', prefix .. 'job:' .. id, 'state', 'total', 'succeeded', 'failed', 'rate',
                'rateAt', 'rateAcc')
            found = v[1] ~= false
            if found then
                out[#out + 1] = id
                for f = 1, 7 do
                    out[#out + 1] = v[f] or ''
                end
            end
        end
        if found then
            for _, m in ipairs(redis.call('ZRANGE', prefix .. 'idx:parent:' .. id, 0, -1)) do
                local child = string.sub(m, 15)
                if not seen[child] then
                    seen[child] = true
                    todo[#todo + 1] = {child, true}
                end
            end
        end
    end
    return out
end, true)
