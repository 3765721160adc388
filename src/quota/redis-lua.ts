/**
 * The Lua behind RedisQuotaStore: one script per store operation, each a prelude of shared helpers plus
 * its body, so a check and its booking happen in one atomic step on the server whichever gateway asks.
 *
 * The helpers mirror BucketedWindow and BudgetLedger line for line (same bucket numbers, expiries, grace,
 * walk order and float arithmetic), because every gateway instance must refuse and admit exactly as the
 * single-process store does. Window constants are generated from WINDOW_SPECS so there is one source.
 *
 * KEYS (13, one hash tag so a cluster keeps them on one slot):
 *   KEYS[1]       meta hash: latest, blocked, last upstream view
 *   KEYS[1 + i]   window i's buckets: field = bucket number, value = amount; field `total` = their sum
 *   KEYS[7 + i]   window i's bucket numbers as a sorted set (score = bucket), to find and expire the oldest
 *                 without walking empty buckets
 * Windows are numbered 1..6 in WINDOW_NAMES order. Every reply is strings (floats survive the trip:
 * Redis truncates Lua numbers to integers) formatted with %.17g, which round-trips a double exactly.
 */
import { REPORTED_WINDOWS, WINDOW_NAMES, WINDOW_SPECS } from './types.js';

/** Demand units in the order the scripts take them (Lua index 1..3). */
export const SCRIPT_UNITS = ['requests', 'tokens', 'audio_seconds'] as const;

/** Keys of a budget outlive its last booking by this much, so a key never expires under live usage. */
const MARGIN_MS = 60_000;

function windowTable(): string {
  return WINDOW_NAMES.map((name) => {
    const { unit, windowMs, bucketMs, graceMs } = WINDOW_SPECS[name];
    const grace = Math.ceil((graceMs ?? 0) / bucketMs);
    const span = windowMs / bucketMs + grace;
    // The newest bucket counts until (b + 1 + grace) * bucketMs + windowMs: at most this long from now.
    const ttlMs = windowMs + (grace + 1) * bucketMs + MARGIN_MS;
    const index = SCRIPT_UNITS.indexOf(unit) + 1;
    return `  { name = '${name}', unit = ${index}, windowMs = ${windowMs}, bucketMs = ${bucketMs}, grace = ${grace}, span = ${span}, ttlMs = ${ttlMs} },`;
  }).join('\n');
}

function reportedTable(): string {
  return REPORTED_WINDOWS.map(({ window }) => `  ${WINDOW_NAMES.indexOf(window) + 1},`).join('\n');
}

const LONGEST_MS = Math.max(...WINDOW_NAMES.map((name) => WINDOW_SPECS[name].windowMs));

const PRELUDE = `
local WINDOWS = {
${windowTable()}
}
-- The windows the upstream reports a count for, in REPORTED_WINDOWS order.
local REPORTED = {
${reportedTable()}
}
local INF = math.huge
-- Sums of fractional amounts (audio seconds) leave rounding dust; an empty window must read as empty.
local DUST = 1e-9
local MARGIN_MS = ${MARGIN_MS}
local LONGEST_MS = ${LONGEST_MS}
local META = KEYS[1]

local function num(x) return string.format('%.17g', x) end
local function int(x) return string.format('%d', x) end
local function hkey(i) return KEYS[1 + i] end
local function zkey(i) return KEYS[7 + i] end
local function snap(x) if x < DUST then return 0 end return x end

local function bucketOf(w, t) return math.floor(t / w.bucketMs) end
-- The first instant at which a bucket's usage no longer counts.
local function expiryOf(w, b) return (b + 1 + w.grace) * w.bucketMs + w.windowMs end

local function saveTotal(i, total)
  -- Once no bucket is left the total is exactly zero, whatever float error the subtractions left.
  if total ~= 0 and redis.call('ZCARD', zkey(i)) == 0 then total = 0 end
  redis.call('HSET', hkey(i), 'total', num(total))
  return total
end

-- Forgets the buckets that no longer count at now (BucketedWindow.advance); returns the window's total.
local function prune(i, now)
  local w = WINDOWS[i]
  local below = '(' .. int(bucketOf(w, now) - w.span)
  local total = tonumber(redis.call('HGET', hkey(i), 'total')) or 0
  local expired = redis.call('ZRANGEBYSCORE', zkey(i), '-inf', below)
  if #expired == 0 then return total end
  -- Oldest first, as the ring subtracts them. Slices keep unpack far below Lua's stack limit.
  for s = 1, #expired, 1000 do
    local slice = { unpack(expired, s, math.min(s + 999, #expired)) }
    for _, amount in ipairs(redis.call('HMGET', hkey(i), unpack(slice))) do
      total = total - (tonumber(amount) or 0)
    end
    redis.call('HDEL', hkey(i), unpack(slice))
  end
  redis.call('ZREMRANGEBYSCORE', zkey(i), '-inf', below)
  return saveTotal(i, snap(total))
end

-- Books amount (> 0) in bucket (the current one, or one still counted: an expired one is left, as
-- BucketedWindow.adjust leaves it); returns the new total.
local function addAt(i, bucket, amount, now, total)
  local w = WINDOWS[i]
  if bucket < bucketOf(w, now) - w.span then return total end
  local b = int(bucket)
  local before = tonumber(redis.call('HGET', hkey(i), b))
  total = total + amount
  redis.call('HSET', hkey(i), b, num((before or 0) + amount), 'total', num(total))
  if before == nil then
    redis.call('ZADD', zkey(i), b, b)
    -- Only a new, newest bucket makes the keys needed for longer: from here they outlive it, so an
    -- idle budget's keys disappear on their own and nothing else has to refresh them.
    redis.call('PEXPIRE', hkey(i), w.ttlMs)
    redis.call('PEXPIRE', zkey(i), w.ttlMs)
  end
  return total
end

-- Books amount (> 0) in the current bucket; returns the new total.
local function add(i, now, amount, total)
  return addAt(i, bucketOf(WINDOWS[i], now), amount, now, total)
end

-- Moves a bucket by delta, never below zero, if it still counts: an expired bucket's usage is gone and
-- there is nothing to correct, and a bucket not yet opened is no booking of ours.
local function adjust(i, bucket, delta, now, total)
  local w = WINDOWS[i]
  local current = bucketOf(w, now)
  if bucket < current - w.span or bucket > current then return total end
  local b = int(bucket)
  local before = tonumber(redis.call('HGET', hkey(i), b)) or 0
  local after = math.max(0, before + delta)
  if after == before then return total end
  if after < DUST then
    after = 0
    redis.call('HDEL', hkey(i), b)
    redis.call('ZREM', zkey(i), b)
  else
    redis.call('HSET', hkey(i), b, num(after))
  end
  return saveTotal(i, snap(total + after - before))
end

-- Milliseconds until need more fits under limit if nothing else is booked: 0 when it fits now, INF when
-- it never can. Walks the buckets oldest first until enough has expired, a page at a time.
local function msUntilFits(i, now, need, limit, total)
  if need > limit then return INF end
  local excess = total + need - limit
  if excess <= 0 then return 0 end
  local w = WINDOWS[i]
  local freed = 0
  local start = 0
  while true do
    local page = redis.call('ZRANGE', zkey(i), start, start + 127)
    if #page == 0 then break end
    local amounts = redis.call('HMGET', hkey(i), unpack(page))
    for j, b in ipairs(page) do
      freed = freed + (tonumber(amounts[j]) or 0)
      if freed >= excess then return expiryOf(w, tonumber(b)) - now end
    end
    start = start + 128
  end
  -- Only reachable through float rounding of the running total: once everything expires it fits.
  return expiryOf(w, bucketOf(w, now)) - now
end

-- Milliseconds until the oldest usage still counted expires; 0 when nothing is counted.
local function resetMs(i, now, total)
  if total == 0 then return 0 end
  local oldest = redis.call('ZRANGE', zkey(i), 0, 0)[1]
  if not oldest then return 0 end
  return expiryOf(WINDOWS[i], tonumber(oldest)) - now
end

local function readMeta()
  local v = redis.call('HMGET', META, 'latest', 'blocked')
  return { latest = tonumber(v[1]), blocked = tonumber(v[2]) or 0 }
end

-- The one clock: Redis's own, never earlier than a time this budget already used, so a server clock
-- stepping back cannot reorder bookings. The trailing ARGV replaces it in parity tests only.
local function clock(meta)
  local now
  local override = ARGV[#ARGV]
  if override ~= '' then
    now = tonumber(override)
  else
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  if meta.latest and meta.latest > now then now = meta.latest end
  return now
end

local function writeMeta(meta, now)
  redis.call('HSET', META, 'latest', num(now), 'blocked', num(meta.blocked))
  redis.call('PEXPIRE', META, int(math.ceil(math.max(LONGEST_MS, meta.blocked - now) + MARGIN_MS)))
end
`;

/**
 * ARGV: limit per window ('' = not enforced), requests, tokens, audio seconds, the fewest tokens the
 * demand may shrink to ('' = it cannot), '1' to book it whatever the limits (a hold), tokens to leave
 * free beyond it in each token window ('' = none), clock override.
 * Reply: {'1', at, tokens booked} or {'0', retryAfterMs ('-1' = never), tokens refused, then window,
 * limit, used, requested per exhausted}.
 */
const RESERVE = `
local meta = readMeta()
local now = clock(meta)
local demand = { tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]) }
local minTokens = tonumber(ARGV[10])
local hold = ARGV[11] == '1'
local spare = tonumber(ARGV[12]) or 0
local retry = math.max(0, meta.blocked - now)
local totals, exhausted = {}, {}

for i = 1, #WINDOWS do totals[i] = prune(i, now) end
-- A shrinkable demand takes as many tokens as every token window has room for, down to its minimum.
if minTokens then
  local room = INF
  for i, w in ipairs(WINDOWS) do
    local limit = tonumber(ARGV[i])
    if w.unit == 2 and limit then
      local kept = 0
      if w.name == 'tpm' then kept = spare end
      room = math.min(room, limit - totals[i] - kept)
    end
  end
  demand[2] = math.max(minTokens, math.min(demand[2], math.floor(room)))
end

-- Check every window before booking any, so a refusal leaves no trace. A hold books whatever the limits.
if hold then retry = 0 end
for i, w in ipairs(WINDOWS) do
  local limit, requested = tonumber(ARGV[i]), demand[w.unit]
  if limit and requested ~= 0 and not hold then
    -- Room kept for other consumers is minute room, and never makes a request that fits the limit alone
    -- one that never fits: such a request waits for the window to empty.
    local extra = 0
    if w.name == 'tpm' then extra = math.min(spare, math.max(0, limit - requested)) end
    local wait = msUntilFits(i, now, requested + extra, limit, totals[i])
    if wait ~= 0 then
      exhausted[#exhausted + 1] = { i, limit, totals[i], requested }
      -- Every window must fit at once and each only gets roomier with time: the longest wait wins.
      retry = math.max(retry, wait)
    end
  end
end

if retry > 0 then
  writeMeta(meta, now)
  local reply = { '0', retry == INF and '-1' or num(retry), num(demand[2]) }
  for _, e in ipairs(exhausted) do
    for _, x in ipairs(e) do reply[#reply + 1] = num(x) end
  end
  return reply
end

for i, w in ipairs(WINDOWS) do
  local amount = demand[w.unit]
  if amount > 0 then add(i, now, amount, totals[i]) end
end
writeMeta(meta, now)
-- The booking time, not a bucket number: windows bucket differently, and each derives its own from it.
return { '1', num(now), num(demand[2]) }
`;

/**
 * Settle and release (a release settles each unit it booked to zero).
 * ARGV: at, reserved requests, tokens, audio seconds, spent requests, tokens, audio seconds
 * ('' = not reported, left as reserved), of the spent tokens those booked now ('' = none), how long ago
 * the upstream admitted it at the latest ('' = not known), clock override.
 */
const SETTLE = `
local meta = readMeta()
local now = clock(meta)
local at = tonumber(ARGV[1])
local admitted = at
local ago = tonumber(ARGV[9])
if ago and ago >= 0 then admitted = math.max(at, now - ago) end
for u = 1, 3 do
  local reserved = tonumber(ARGV[1 + u])
  local spent = tonumber(ARGV[4 + u])
  if spent == nil and admitted > at then spent = reserved end
  if spent then
    -- Tokens the upstream counts from the end of the answer are booked now, the rest where they were.
    local atEnd = 0
    if u == 2 then atEnd = math.min(spent, math.max(0, tonumber(ARGV[8]) or 0)) end
    local stays = spent - atEnd
    for i, w in ipairs(WINDOWS) do
      local booked = bucketOf(w, at)
      -- The earliest bucket still counted a whole window after the admission (BucketedWindow.coveringBucket).
      local admittedIn = bucketOf(w, admitted) - w.grace
      if w.unit == u and (stays ~= reserved or atEnd > 0 or admittedIn > booked) then
        local total = prune(i, now)
        -- Savings go back to the reservation's bucket, freeing headroom at once; overruns are booked
        -- now, so they last at least as long as the upstream counts them. Admitted later than the booking's
        -- grace covers: what stays moves to the earliest bucket that does.
        if admittedIn > booked then
          local kept = math.min(stays, reserved)
          total = adjust(i, booked, -reserved, now, total)
          if kept > 0 then total = addAt(i, admittedIn, kept, now, total) end
          if stays > reserved then total = add(i, now, stays - reserved, total) end
        elseif stays < reserved then total = adjust(i, booked, stays - reserved, now, total)
        elseif stays > reserved then total = add(i, now, stays - reserved, total) end
        if atEnd > 0 then add(i, now, atEnd, total) end
      end
    end
  end
end
writeMeta(meta, now)
return 1
`;

/**
 * ARGV: per reported window (REPORTED_WINDOWS order) what the upstream counts as used ('' = not
 * reported), then retry-after ms ('' = none), the encoded upstream view, clock override.
 * Reply: per reported window the upstream's count less ours ('' = not reported).
 */
const OBSERVE = `
local meta = readMeta()
local now = clock(meta)
local gaps = {}
for k, i in ipairs(REPORTED) do
  local counted = tonumber(ARGV[k])
  gaps[k] = ''
  if counted then
    local total = prune(i, now)
    gaps[k] = num(counted - total)
    -- Outside spending is booked now and slides out like our own; a smaller count is our own in flight.
    if counted > total then add(i, now, counted - total, total) end
  end
end
local retryAfter = tonumber(ARGV[#REPORTED + 1])
if retryAfter then meta.blocked = math.max(meta.blocked, now + retryAfter) end
redis.call('HSET', META, 'upstream', ARGV[#REPORTED + 2], 'observedAt', num(now))
writeMeta(meta, now)
return gaps
`;

/**
 * ARGV: clock override.
 * Reply: now, blockedUntil (0 when open), upstream view ('' = none), observedAt, then per window: used,
 * resetMs.
 */
const SNAPSHOT = `
local meta = readMeta()
local now = clock(meta)
local upstream = redis.call('HMGET', META, 'upstream', 'observedAt')
local reply = { num(now), meta.blocked > now and num(meta.blocked) or '0', upstream[1] or '', upstream[2] or '' }
for i = 1, #WINDOWS do
  local total = prune(i, now)
  reply[#reply + 1] = num(total)
  reply[#reply + 1] = num(resetMs(i, now, total))
end
writeMeta(meta, now)
return reply
`;

export const KEY_COUNT = 1 + 2 * WINDOW_NAMES.length;

export const SCRIPTS = {
  reserve: PRELUDE + RESERVE,
  settle: PRELUDE + SETTLE,
  observe: PRELUDE + OBSERVE,
  snapshot: PRELUDE + SNAPSHOT,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
