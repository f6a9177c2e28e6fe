-- stats(root): KEYS 1-6 the state indexes (PENDING RUNNING SUCCEEDED FAILED CANCELLED SKIPPED); ARGV: root ('' for
-- every job), the namespace's key prefix. Every job: the ZCARD of each state index. A job and its descendants: walks
-- the parent index down from the root (each job's idx:parent:ID, members '<13-digit createdAt>:<id>') and adds up, in
-- this one call, the jobs per state, their counters, and the rate fields of each RUNNING one (read in Java by the one
-- rate rule). The keys it walks share the namespace's hash tag, so on a Cluster they are on this node.
-- Reply: the six counts, total, succeeded, failed, then (rate, rateAt, rateAcc) per RUNNING job, '' for a field not set.
register('count', function(KEYS, ARGV)
    local out = {}
    local root, prefix = ARGV[1], ARGV[2]
    if root == '' then
        for i = 1, #KEYS do
            out[i] = redis.call('ZCARD', KEYS[i])
        end
        return out
    end
    local slot = {PENDING = 1, RUNNING = 2, SUCCEEDED = 3, FAILED = 4, CANCELLED = 5, SKIPPED = 6}
    for i = 1, 9 do
        out[i] = 0
    end
    -- seen: parent links can form a cycle through a reused id; each job is visited once.
    local todo, head, seen = {root}, 1, {[root] = true}
    while head <= #todo do
        local id = todo[head]
        head = head + 1
        local v = redis.call('HMGET', prefix .. 'job:' .. id, 'state', 'total', 'succeeded', 'failed', 'rate', 'rateAt',
            'rateAcc')
        if v[1] then
            local s = slot[v[1]]
            out[s] = out[s] + 1
            out[7] = out[7] + tonumber(v[2])
            out[8] = out[8] + tonumber(v[3])
            out[9] = out[9] + tonumber(v[4])
            if v[1] == 'RUNNING' then
                out[#out + 1] = v[5] or ''
                out[#out + 1] = v[6] or ''
                out[#out + 1] = v[7] or '0'
            end
            for _, m in ipairs(redis.call('ZRANGE', prefix .. 'idx:parent:' .. id, 0, -1)) do
                local child = string.sub(m, 15)
                if not seen[child] then
                    seen[child] = true
                    todo[#todo + 1] = child
                end
            end
        end
    end
    return out
end, true)
