-- parts(id): KEYS 1 job hash, 2 parts bitfield; ARGV: first byte, last byte of the slice to read.
-- Reply: {'notfound'}, or {number of parts, the slice} (shorter than asked, or empty, where the string ends: the
-- missing bytes are pending parts). The caller decodes it (PartBits).
register('parts', function(KEYS, ARGV)
    local parts = redis.call('HGET', KEYS[1], 'parts')
    if not parts then
        return {'notfound'}
    end
    return {tonumber(parts), redis.call('GETRANGE', KEYS[2], ARGV[1], ARGV[2])}
end, true)
