/**
 * The Lua scripts of the Redis queue and rate limiter. Each queue script touches the three keys of one queue, which
 * share a hash tag, so they run atomically on one node, in Redis Cluster too.
 *
 * Queue state, per item id:
 *
 * - `items` (hash): id → `runAt|claims|token`. `token` is empty while nobody holds the item. It stays set when a lease
 *   expires (the item is back in `due`), so a slow holder can still finish an item nobody has claimed again.
 * - `due` (sorted set): ids waiting to be claimed, scored by run time (epoch ms).
 * - `leases` (sorted set): claimed ids, scored by lease expiry (epoch ms).
 *
 * Every id in `items` is in exactly one of `due` and `leases`. Run times travel as the strings the client sent (and
 * Redis's own rendering of scores), never through Lua's `tostring`, which keeps only 14 digits.
 *
 * Ids travel one per argument (an id may hold any character). What the client makes itself — run times and tokens —
 * travels packed, one argument for the whole batch with the values separated by spaces (`words`), and a claim answers
 * with one such string for its items' run times and claim counts: each argument or reply element costs the client
 * (ioredis builds, encodes and parses each one) and Redis more than the characters it holds.
 *
 * @internal
 */

// Shared helpers. `unpack` is limited by Lua's C stack (about 8,000 values), so long argument lists go in chunks.
const prelude = `
local function chunked(cmd, key, list, step)
  local n = #list
  local i = 1
  while i <= n do
    local j = math.min(i + step - 1, n)
    redis.call(cmd, key, unpack(list, i, j))
    i = j + 1
  end
end
local function hmget(key, ids)
  local out = {}
  local n = #ids
  local i = 1
  while i <= n do
    local j = math.min(i + 999, n)
    local part = redis.call('HMGET', key, unpack(ids, i, j))
    for k = 1, #part do out[i + k - 1] = part[k] end
    i = j + 1
  end
  return out
end
local function parse(v)
  return string.match(v, '^([^|]*)|([^|]*)|(.*)$')
end
local function words(s)
  local out = {}
  for w in string.gmatch(s, '%S+') do out[#out + 1] = w end
  return out
end
local function idsFrom(first)
  local ids = {}
  for i = first, #ARGV do ids[#ids + 1] = ARGV[i] end
  return ids
end
-- The run time of each id: one for all, or one each (space-separated).
local function runsFor(packed, n)
  local runs = words(packed)
  if #runs == 1 then
    for i = 2, n do runs[i] = runs[1] end
  end
  return runs
end
`

// Queues `ids` at `runs` (strings as sent): an id already queued keeps its claim count and loses its holder (its
// token goes stale). Publishes the earliest run time on `channel`. Returns how many.
const enqueueAll = `
local function enqueueAll(channel, ids, runs)
  if #ids == 0 then return 0 end
  local old = hmget(KEYS[3], ids)
  local hset, zadd, unlease = {}, {}, {}
  local min, minText = nil, nil
  for i = 1, #ids do
    local claims = '0'
    if old[i] then
      local _, c = parse(old[i])
      claims = c
      unlease[#unlease + 1] = ids[i]
    end
    hset[#hset + 1] = ids[i]
    hset[#hset + 1] = runs[i] .. '|' .. claims .. '|'
    zadd[#zadd + 1] = runs[i]
    zadd[#zadd + 1] = ids[i]
    local r = tonumber(runs[i])
    if min == nil or r < min then
      min = r
      minText = runs[i]
    end
  end
  if #unlease > 0 then chunked('ZREM', KEYS[2], unlease, 1000) end
  chunked('HSET', KEYS[3], hset, 1000)
  chunked('ZADD', KEYS[1], zadd, 1000)
  redis.call('PUBLISH', channel, minText)
  return #ids
end
`

/**
 * KEYS: due, leases, items. ARGV: wake channel, run times (one for all, or one per id, packed), then the ids. Queues
 * each id at its run time; an id already queued keeps its claim count and loses its holder (its token goes stale).
 * Publishes the earliest run time.
 */
export const enqueue = `${prelude}${enqueueAll}
local ids = idsFrom(3)
return enqueueAll(ARGV[1], ids, runsFor(ARGV[2], #ids))
`

/**
 * KEYS: due, leases, items. ARGV: wake channel, now, run times (as for `enqueue`), then the ids. `enqueue`, except for
 * ids claimed under a lease that ends after `now`: those stay with their holder, unchanged. Returns those ids.
 */
export const enqueueUnclaimed = `${prelude}${enqueueAll}
local now = tonumber(ARGV[2])
local all = idsFrom(4)
local allRuns = runsFor(ARGV[3], #all)
local ids, runs, held = {}, {}, {}
for i = 1, #all do
  local leaseEnd = redis.call('ZSCORE', KEYS[2], all[i])
  if leaseEnd and tonumber(leaseEnd) > now then
    held[#held + 1] = all[i]
  else
    ids[#ids + 1] = all[i]
    runs[#runs + 1] = allRuns[i]
  end
end
enqueueAll(ARGV[1], ids, runs)
return held
`

/**
 * KEYS: due, leases, items. ARGV: now, lease expiry, max, token base. First returns expired leases to `due` at their
 * own run time (keeping their place in line and their token), then leases up to `max` due items, earliest first, the
 * i-th (from 1) with the token `<token base>.<i>`. Returns the run times and claim counts packed (`runAt claims runAt
 * claims …`), then the ids; nothing when nothing was due.
 */
export const claim = `${prelude}
for round = 1, 10 do
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
  if #expired == 0 then break end
  local vals = hmget(KEYS[3], expired)
  local zadd = {}
  for i = 1, #expired do
    if vals[i] then
      local runAt = parse(vals[i])
      zadd[#zadd + 1] = runAt
      zadd[#zadd + 1] = expired[i]
    end
  end
  chunked('ZREM', KEYS[2], expired, 1000)
  if #zadd > 0 then chunked('ZADD', KEYS[1], zadd, 1000) end
  if #expired < 1000 then break end
end
local max = tonumber(ARGV[3])
if max <= 0 then return {} end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, max)
local n = #due / 2
if n == 0 then return {} end
local ids = {}
for i = 1, n do ids[i] = due[2 * i - 1] end
local vals = hmget(KEYS[3], ids)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - 1)
local out, meta, hset, zadd = { '' }, {}, {}, {}
for i = 1, n do
  local id = ids[i]
  local runAt = due[2 * i]
  local claims = 1
  if vals[i] then
    local _, c = parse(vals[i])
    claims = (tonumber(c) or 0) + 1
  end
  local token = ARGV[4] .. '.' .. i
  hset[#hset + 1] = id
  hset[#hset + 1] = runAt .. '|' .. claims .. '|' .. token
  zadd[#zadd + 1] = ARGV[2]
  zadd[#zadd + 1] = id
  out[i + 1] = id
  meta[#meta + 1] = runAt
  meta[#meta + 1] = claims
end
out[1] = table.concat(meta, ' ')
chunked('HSET', KEYS[3], hset, 1000)
chunked('ZADD', KEYS[2], zadd, 1000)
return out
`

/**
 * KEYS: due, leases, items. ARGV: now, lease expiry, run time, token, id. Leases the one item `id`, queued or not,
 * under `token` with a claim count of 1 — unless its lease ends after `now`: then nothing changes. Returns 1 when
 * leased, 0 when held.
 */
export const claimById = `
local leaseEnd = redis.call('ZSCORE', KEYS[2], ARGV[5])
if leaseEnd and tonumber(leaseEnd) > tonumber(ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
redis.call('HSET', KEYS[3], ARGV[5], ARGV[3] .. '|1|' .. ARGV[4])
return 1
`

/**
 * KEYS: due, leases, items. ARGV: wake channel, the tokens (packed), the run times (packed, one per id; `_` keeps the
 * item's own: release), then the ids. Items whose token is current go back to `due`, lose their holder and their claim
 * count starts again at 0 (a result was recorded, or the claim was never started); stale tokens change nothing.
 * Publishes the earliest run time when anything moved. Returns how many moved.
 */
export const reschedule = `${prelude}
local tokens, runs, ids = words(ARGV[2]), words(ARGV[3]), idsFrom(4)
if #ids == 0 then return 0 end
local vals = hmget(KEYS[3], ids)
local hset, zadd, unlease = {}, {}, {}
local min, minText = nil, nil
for i = 1, #ids do
  if vals[i] then
    local runAt, _, token = parse(vals[i])
    if token ~= '' and token == tokens[i] then
      local r = runs[i]
      if r == '_' then r = runAt end
      hset[#hset + 1] = ids[i]
      hset[#hset + 1] = r .. '|0|'
      zadd[#zadd + 1] = r
      zadd[#zadd + 1] = ids[i]
      unlease[#unlease + 1] = ids[i]
      local n = tonumber(r)
      if min == nil or n < min then
        min = n
        minText = r
      end
    end
  end
end
if #unlease == 0 then return 0 end
chunked('ZREM', KEYS[2], unlease, 1000)
chunked('HSET', KEYS[3], hset, 1000)
chunked('ZADD', KEYS[1], zadd, 1000)
redis.call('PUBLISH', ARGV[1], minText)
return #unlease
`

/**
 * KEYS: due, leases, items. ARGV: the tokens (packed), then the ids. Drops items whose token is current. Returns how
 * many.
 */
export const complete = `${prelude}
local tokens, ids = words(ARGV[1]), idsFrom(2)
if #ids == 0 then return 0 end
local vals = hmget(KEYS[3], ids)
local done = {}
for i = 1, #ids do
  if vals[i] then
    local _, _, token = parse(vals[i])
    if token ~= '' and token == tokens[i] then done[#done + 1] = ids[i] end
  end
end
if #done == 0 then return 0 end
chunked('HDEL', KEYS[3], done, 1000)
chunked('ZREM', KEYS[2], done, 1000)
chunked('ZREM', KEYS[1], done, 1000)
return #done
`

/** KEYS: due, leases, items. ARGV: ids. Drops the items, claimed or not. */
export const remove = `${prelude}
if #ARGV == 0 then return 0 end
chunked('HDEL', KEYS[3], ARGV, 1000)
chunked('ZREM', KEYS[2], ARGV, 1000)
chunked('ZREM', KEYS[1], ARGV, 1000)
return #ARGV
`

/** KEYS: due, leases. The earliest run time and the earliest lease expiry, as strings ('' when empty). */
export const next = `
local d = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local l = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return { d[2] or '', l[2] or '' }
`

/**
 * KEYS: the limit's key. ARGV: perSecond, burst, now. GCRA, operation for operation as `gcra` in
 * `@hookwire/core/RateLimiter` (Lua numbers are IEEE doubles, like JavaScript's), so both decide alike. The stored
 * theoretical arrival time keeps all 17 digits; the key expires a second after it has passed, when a fresh key would
 * decide the same.
 */
export const gcra = `
local perSecond = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local interval = 1000 / perSecond
local tolerance = interval * (math.max(1, burst) - 1)
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = tonumber(stored) end
local current = math.max(tat, now)
local allowAt = current - tolerance
if now < allowAt then return math.ceil(allowAt - now) end
local newTat = current + interval
redis.call('SET', KEYS[1], string.format('%.17g', newTat), 'PX', math.ceil(newTat - now) + 1000)
return 0
`
