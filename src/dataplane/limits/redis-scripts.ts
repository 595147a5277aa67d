/**
 * The check: KEYS are the counters; ARGV holds limit, amount, ttlMs for each key, in order.
 * Reads every counter first and admits only if each has room (a key listed twice needs room for
 * both amounts); then INCRBYs every key, setting the expiry only on a key the INCRBY created.
 * Returns {1, 0, count after...} or {0, failed index (1-based), current count...}.
 */
export const CONSUME_LUA = `
local n = #KEYS
local counts = {}
local pending = {}
local failed = 0
for i = 1, n do
  local key = KEYS[i]
  local current = tonumber(redis.call('GET', key) or '0')
  counts[i] = current
  local total = (pending[key] or 0) + tonumber(ARGV[3 * i - 1])
  pending[key] = total
  if failed == 0 and current + total > tonumber(ARGV[3 * i - 2]) then
    failed = i
  end
end
if failed > 0 then
  return {0, failed, unpack(counts)}
end
for i = 1, n do
  local amount = tonumber(ARGV[3 * i - 1])
  local count = redis.call('INCRBY', KEYS[i], amount)
  if count == amount then
    redis.call('PEXPIRE', KEYS[i], ARGV[3 * i])
  end
  counts[i] = count
end
return {1, 0, unpack(counts)}
`;

/**
 * The settlement: INCRBY ARGV[1] on KEYS[1] only if the key still exists, so a counter whose window
 * expired is never recreated without an expiry. ARGV[2] (ttlMs) repairs a key that somehow has none.
 * Returns 1 when applied, 0 when the key was gone.
 */
export const ADJUST_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`;
