-- transition(id, Transition): KEYS 1-10 common
-- ARGV: now, channel, target, sources (comma-separated states allowed to move to target, from JobState),
-- hasResult, result, hasError, errorMessage, hasType, errorType, hasStack, errorStack, errorReason
register('transition', function(KEYS, ARGV)
    local now, channel, target, sources = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
    local j = load(KEYS[KEY_JOB])
    if j == nil then
        return {'notfound'}
    end
    if j.state == target then
        return reply('same', j)
    end
    if not string.find(',' .. sources .. ',', ',' .. j.state .. ',', 1, true) then
        return {'illegal', j.state}
    end
    local from = j.state
    if target == 'RUNNING' then
        auto_start(j, now)
    else
        finish(j, target, now)
        set(j, 'result', ARGV[5] == '1' and ARGV[6] or nil)
        if ARGV[7] == '1' then
            set_error(j, ARGV[8], ARGV[9] == '1' and ARGV[10] or nil, ARGV[11] == '1' and ARGV[12] or nil, ARGV[13])
        else
            set_error(j, nil, nil, nil, nil)
        end
    end
    commit(j, from, channel, {{type = EVENT_FOR_STATE[j.state]}})
    return reply('ok', j)
end)
