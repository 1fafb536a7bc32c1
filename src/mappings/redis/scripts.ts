/**
 * The Lua scripts that change the shared table, each one atomic step (Redis docs,
 * "Scripting with Lua": a script runs with no other command in between). Each change to
 * `map`/`exp` and the stream entry that reports it are written by the same script, so the
 * stream is a complete, ordered history of the table: two listeners that receive the same
 * login at once make one mapping and one `added` (the second sees it and refreshes), and a
 * mapping swept by two listeners at once expires once. ioredis sends them by EVALSHA and
 * falls back to EVAL when Redis does not know the script yet (after a restart).
 *
 * The clock is Redis' (`TIME`, allowed in scripts since Redis 5 with effects replication),
 * so all listeners agree on when a mapping expires; tests pass a clock of their own instead.
 * Key layout and the stored form: keys.ts and codec.ts.
 */

/** Shared by every script: the clock, the stored form and the stream append. */
const COMMON = `
local mapKey, expKey, logKey = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function store(ip, m)
  local json = cjson.encode(m)
  redis.call('HSET', mapKey, ip, json)
  if m.t > 0 then redis.call('ZADD', expKey, m.e, ip) else redis.call('ZREM', expKey, ip) end
  return json
end
local function unlink(ip)
  redis.call('HDEL', mapKey, ip)
  redis.call('ZREM', expKey, ip)
end
-- m: the mapping, or its JSON as stored (encoded once)
local function append(kind, ip, m, extra)
  local args = {logKey, '*', 'k', kind, 'ip', ip, 'm', type(m) == 'string' and m or cjson.encode(m), 't', tostring(now)}
  if extra then for i = 1, #extra do args[#args + 1] = extra[i] end end
  return redis.call('XADD', unpack(args))
end
local function due(m) return m.t > 0 and m.e <= now end
`;

/**
 * apply(event): KEYS map exp log ids; ARGV now|'' action ip user userKey sender profile
 * timeoutMs maxEntries resolutionMs epoch. action: login | logout | delete (admin).
 * Returns { last stream id or false, outcome, current mapping (coalesced refresh) }.
 * Outcomes: added, refreshed, user-changed, removed, coalesced (a refresh within
 * resolutionMs with the same sender, profile and timeout: nothing written, as in memory),
 * unmatched, ignored (logout naming another user). A mapping found past its time is
 * reported `expired` first, in the same step.
 */
export const APPLY_SCRIPT = `${COMMON}
local idsKey = KEYS[4]
local action, ip, user, ukey, sender, profile = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local timeout, maxEntries, resolution, epoch = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11]
local last = false
local raw = redis.call('HGET', mapKey, ip)
local cur = nil
if raw then
  cur = cjson.decode(raw)
  if due(cur) then
    unlink(ip)
    last = append('expired', ip, raw)
    cur = nil
  end
end
local function keyOf(m) return m.k or m.u end
if action == 'logout' or action == 'delete' then
  if not cur then return {last, 'unmatched'} end
  if action == 'logout' and keyOf(cur) ~= ukey then return {last, 'ignored'} end
  unlink(ip)
  return {append('removed', ip, raw, {'r', action == 'delete' and 'admin' or 'logout'}), 'removed'}
end
local function begin()
  redis.call('HSETNX', idsKey, 'epoch', epoch)
  local id = redis.call('HGET', idsKey, 'epoch') .. '-' .. redis.call('HINCRBY', idsKey, 'seq', 1)
  local m = {i = id, u = user, s = sender, p = profile, f = now, l = now, t = timeout, e = -1}
  if ukey ~= user then m.k = ukey end
  if timeout > 0 then m.e = now + timeout end
  return m
end
if not cur then
  if redis.call('HLEN', mapKey) >= maxEntries then
    local oldest = redis.call('ZRANGE', expKey, 0, 0)[1]
    if oldest then
      local victim = cjson.decode(redis.call('HGET', mapKey, oldest))
      unlink(oldest)
      append(due(victim) and 'expired' or 'evicted', oldest, victim)
    end
  end
  local m = begin()
  return {append('added', ip, store(ip, m)), 'added'}
end
if keyOf(cur) == ukey then
  -- A changed timeout is new information too (as the memory table counts it).
  local newinfo = cur.s ~= sender or cur.p ~= profile or cur.t ~= timeout
  if not newinfo and now - cur.l < resolution then return {last, 'coalesced', raw} end
  cur.s, cur.p, cur.l, cur.t = sender, profile, now, timeout
  cur.e = timeout > 0 and now + timeout or -1
  return {append('refreshed', ip, store(ip, cur), newinfo and {'n', '1'} or nil), 'refreshed'}
end
local m = begin()
return {append('user-changed', ip, store(ip, m), {'p', raw}), 'user-changed'}
`;

/**
 * sweep: KEYS map exp log; ARGV now|'' batch. Expires up to `batch` mappings that are due
 * (checked again against the mapping itself, so each expires once) and returns how many
 * it looked at: `batch` means there may be more.
 */
export const SWEEP_SCRIPT = `${COMMON}
local ips = redis.call('ZRANGEBYSCORE', expKey, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, ip in ipairs(ips) do
  local raw = redis.call('HGET', mapKey, ip)
  if not raw then
    redis.call('ZREM', expKey, ip)
  else
    local m = cjson.decode(raw)
    if due(m) then
      unlink(ip)
      append('expired', ip, raw)
    end
  end
end
return #ips
`;

/**
 * trim: KEYS log trim; ARGV minId. Trims the stream below `minId` and below every
 * consumer group's oldest unacknowledged and first undelivered entry (accounting records
 * are never trimmed away), records the id actually used in `trim` and returns it.
 */
export const TRIM_SCRIPT = `
local logKey, trimKey = KEYS[1], KEYS[2]
local function older(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
if redis.call('EXISTS', logKey) == 0 then return false end
local minId = ARGV[1]
for _, group in ipairs(redis.call('XINFO', 'GROUPS', logKey)) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  local pending = redis.call('XPENDING', logKey, info['name'])
  if pending[2] and older(pending[2], minId) then minId = pending[2] end
  local delivered = info['last-delivered-id']
  local ms, seq = string.match(delivered, '(%d+)-(%d+)')
  local nextId = ms .. '-' .. (tonumber(seq) + 1)
  if older(nextId, minId) then minId = nextId end
end
redis.call('XTRIM', logKey, 'MINID', minId)
local before = redis.call('GET', trimKey)
if not before or older(before, minId) then redis.call('SET', trimKey, minId) end
return minId
`;
