import type { RateLimit } from '../slots/rateLimitedCoordinator.js';

/**
 * Start rates in Redis: the Lua functions the acquire script calls, and the text a rate is stored
 * as. Kept apart from the concurrency part of the acquire script (scripts.ts) on purpose.
 *
 * The window is a **sliding log**, as in the in-process `rateLimitedCoordinator`: the starts of the
 * last `intervalMs` (lease id -> Redis TIME in ms) in a sorted set, so "at most `starts` in any
 * `intervalMs`" holds exactly. A sliding counter (two fixed windows, weighted) only approximates it
 * and can let more through; GCRA keeps one number but either forbids bursts or lets up to
 * 2 × `starts` - 1 into one interval. The log costs up to `starts` entries per rated budget and
 * expires with the window.
 *
 * Keys (all in the budget's hash slot): `rate` holds `'<starts|inf> <intervalMs> <minTimeMs>'`
 * (absent: no rate), `starts` the log, `lastStart` the time of the latest start (for `minTimeMs`).
 */
export const RATE_FUNCTIONS = `
local function rate_of(key)
  local text = redis.call('GET', key)
  if not text then return nil end
  local s, i, m = string.match(text, '^(%S+) (%S+) (%S+)$')
  local interval, min_time = tonumber(i), tonumber(m)
  if not s or not interval or not min_time then return nil end
  local starts = math.huge
  if s ~= 'inf' then starts = tonumber(s) end
  if not starts then return nil end
  return { starts = starts, interval = interval, min_time = min_time }
end

-- When start number nth (0: the next one) may happen, if the starts before it take their turns:
-- the log must have room for it, and minTimeMs must separate it from the latest start.
local function rate_opening(rate, log, last_key, now, nth)
  local at = now
  local last = redis.call('GET', last_key)
  if last and rate.min_time > 0 then at = math.max(at, tonumber(last) + rate.min_time * (nth + 1)) end
  if rate.starts ~= math.huge then
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - rate.interval)
    local free = rate.starts - redis.call('ZCARD', log)
    if nth >= free then
      -- It needs the (nth - free)-th oldest start to leave the window; beyond the log, a window from now.
      local entry = redis.call('ZRANGE', log, nth - free, nth - free, 'WITHSCORES')
      local from = now
      if entry[2] then from = tonumber(entry[2]) end
      at = math.max(at, from + rate.interval)
    end
  end
  return at
end

-- Records a granted start.
local function rate_record(rate, log, last_key, now, id)
  if rate.starts ~= math.huge then
    redis.call('ZADD', log, now, id)
    redis.call('PEXPIRE', log, math.ceil(rate.interval) + 1)
  end
  redis.call('SET', last_key, now)
end
`;

/** A rate as the acquire script reads it. */
export function encodeRate(rate: Required<RateLimit>): string {
  return `${rate.starts === Infinity ? 'inf' : rate.starts} ${rate.intervalMs} ${rate.minTimeMs}`;
}

/** The rate a stored text means, or undefined when it is not one (the script then checks none). */
export function decodeRate(text: unknown): Required<RateLimit> | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(inf|\d{1,15}) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(text);
  if (match === null) return undefined;
  const starts = match[1] === 'inf' ? Infinity : Number(match[1]);
  if (starts === 0) return undefined;
  return { starts, intervalMs: Number(match[2]), minTimeMs: Number(match[3]) };
}
