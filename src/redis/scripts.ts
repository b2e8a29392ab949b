import { createHash } from 'node:crypto';
import { RATE_FUNCTIONS } from './rateScript.js';
import { WEIGHT_FUNCTIONS } from './weightScript.js';

/** A Lua script and its SHA1, for EVALSHA with an EVAL fallback (see runScript). */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  /**
   * Always sent as EVAL. A NOSCRIPT fallback sends the EVAL one round trip later, behind commands
   * issued meanwhile; for these scripts that would be wrong (a renewal overtaken by a release would
   * list the released lease again). They run rarely, so the extra bytes do not matter.
   */
  readonly keepsOrder: boolean;
  /** The same script for a Redis Cluster, where it also reads the node's id (see this_node). */
  readonly onCluster?: LuaScript;
}

function lua(name: string, body: string, keepsOrder = false, functions = ''): LuaScript {
  const variant = (node: string): LuaScript => {
    const source = `${PRELUDE.replace('THIS_NODE', node)}${functions}
${body}`;
    return { name, source, sha: createHash('sha1').update(source).digest('hex'), keepsOrder };
  };
  // A single Redis is never asked CLUSTER MYID: it would answer an error, counted in its error stats.
  return { ...variant("''"), onCluster: variant("redis.call('CLUSTER', 'MYID')") };
}

// Shared by every budget script. Times are ms from Redis TIME, never a process clock.
// Redis 5/6 need effects replication for TIME before writes; Redis 7 always does it.
const PRELUDE = `
if redis.replicate_commands then redis.replicate_commands() end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Drops leases whose holder stopped renewing and waiters that stopped asking.
local function prune(leases, waiters, waiter_ttl, weights, now)
  local gone = redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local stale = redis.call('ZRANGEBYSCORE', waiter_ttl, '-inf', now)
  for i = 1, #stale do
    redis.call('ZREM', waiters, stale[i])
    redis.call('ZREM', waiter_ttl, stale[i])
    redis.call('HDEL', weights, stale[i])
  end
  return gone + #stale
end

-- The epoch is stored with the node that wrote it. Another node's epoch counts as none: a replica
-- promoted by a Redis Cluster failover (and a node a resharding moved the budget to) may lack the
-- newest leases, so the budget is fenced there as after data loss (see the acquire script). On a
-- single Redis the node is '' (a restart or Sentinel failover is told by the processes themselves).
local function this_node()
  return THIS_NODE
end

local function read_epoch(epoch_key)
  local text = redis.call('GET', epoch_key)
  if not text then return nil end
  local at, node = string.match(text, '^(%-?[%d.]+)@?(.*)$')
  if node ~= this_node() then return nil end
  return tonumber(at)
end

-- A single Redis keeps the plain number, which earlier versions read too.
local function set_epoch(epoch_key, at)
  local node = this_node()
  if node == '' then redis.call('SET', epoch_key, at) else redis.call('SET', epoch_key, string.format('%d@%s', at, node)) end
end

local function limit_of(limit_key, default)
  local text = redis.call('GET', limit_key) or default
  if text == 'inf' then return math.huge end
  return tonumber(text)
end

${WEIGHT_FUNCTIONS}`;

/**
 * Takes a lease of the weight written in its id (weightScript.ts), or queues the caller.
 * KEYS: leases, waiters, waiterTtl, limit, epoch, rate, starts, lastStart, waiterWeights.
 * ARGV: budget, instance, leaseId, leaseMs, defaultLimit, channel, seen ('1' when this instance
 * has used the budget before).
 * Returns {granted 0|1, inUse, retryInMs, byRate 0|1}: when to look again if no wake-up comes (the
 * next lease expiry, or the end of a fence); byRate 1 when only the start rate refused, and then
 * retryInMs is the moment the rate lets the caller's place in the queue start (rateScript.ts).
 *
 * Fairness: the caller's weight is granted only if it fits in the free weight (limit - inUse) after
 * the weights of the waiters queued ahead of it: a waiter that does not fit holds the budget for
 * itself, as with one process (a waiter heavier than the limit is passed over, see wake). A granted caller leaves the queue; if it wants more it
 * queues again at the back, so a busy instance cannot keep its place.
 *
 * Fence: the epoch key is missing (or another node's: see read_epoch) only if Redis lost its data,
 * or on a Cluster node that took the budget over by a failover or a resharding. Holders may still be running then,
 * so a caller that knew the budget fences it for one lease: the holders re-add their leases on
 * their next renewal, and only then is anything granted.
 */
export const ACQUIRE = lua(
  'acquire',
  `
local now = now_ms()
local lease_ms = tonumber(ARGV[4])
local weight = weight_of(ARGV[3])
local pruned = prune(KEYS[1], KEYS[2], KEYS[3], KEYS[9], now)
local limit = limit_of(KEYS[4], ARGV[5])
local ready = read_epoch(KEYS[5]) or -1
if ready < 0 then
  ready = 0
  if ARGV[7] == '1' then ready = now + lease_ms end
  set_epoch(KEYS[5], ready)
end
local in_use = in_use_of(KEYS[1])
local rank = redis.call('ZRANK', KEYS[2], ARGV[2])
local position = rank or redis.call('ZCARD', KEYS[2])
local fits = weight_ahead(KEYS[2], KEYS[9], limit, position) + weight <= limit - in_use
-- Start rate: the moment the caller's place may start (now when the budget has no rate).
local rate = rate_of(KEYS[6])
local rate_at = now
if rate then rate_at = rate_opening(rate, KEYS[7], KEYS[8], now, position) end
if now >= ready and fits and rate_at <= now then
  redis.call('ZADD', KEYS[1], now + lease_ms, ARGV[3])
  if rate then rate_record(rate, KEYS[7], KEYS[8], now, ARGV[3]) end
  if rank then
    redis.call('ZREM', KEYS[2], ARGV[2])
    redis.call('ZREM', KEYS[3], ARGV[2])
    redis.call('HDEL', KEYS[9], ARGV[2])
  end
  if pruned > 0 then wake(ARGV[6], ARGV[1], KEYS[1], KEYS[2], KEYS[9], limit) end
  return { 1, in_use + weight, 0, 0 }
end
if not rank then
  -- Behind everyone already waiting: a tie on the score would rank by name, not by arrival.
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  local at = now
  if last[2] and tonumber(last[2]) >= now then at = tonumber(last[2]) + 1 end
  redis.call('ZADD', KEYS[2], at, ARGV[2])
end
redis.call('ZADD', KEYS[3], now + lease_ms, ARGV[2])
redis.call('HSET', KEYS[9], ARGV[2], weight)
local retry = 0
if now < ready then
  retry = ready - now
elseif fits then
  -- Only the rate refused: nobody frees anything then, so the caller comes back when it opens.
  if pruned > 0 then wake(ARGV[6], ARGV[1], KEYS[1], KEYS[2], KEYS[9], limit) end
  return { 0, in_use, math.max(1, math.ceil(rate_at - now)), 1 }
else
  if pruned > 0 then wake(ARGV[6], ARGV[1], KEYS[1], KEYS[2], KEYS[9], limit) end
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if first[2] then retry = tonumber(first[2]) - now end
end
return { 0, in_use, retry, 0 }
`,
  false,
  RATE_FUNCTIONS,
);

/**
 * Gives a lease back and wakes the waiters first in line.
 * KEYS: leases, waiters, waiterTtl, limit, waiterWeights. ARGV: budget, leaseId, defaultLimit, channel.
 * Returns 1 when the lease was live.
 */
export const RELEASE = lua(
  'release',
  `
prune(KEYS[1], KEYS[2], KEYS[3], KEYS[5], now_ms())
local removed = redis.call('ZREM', KEYS[1], ARGV[2])
wake(ARGV[4], ARGV[1], KEYS[1], KEYS[2], KEYS[5], limit_of(KEYS[4], ARGV[3]))
return removed
`,
);

/**
 * Leaves a budget's queue (nothing here wants it any more) and passes the turn on.
 * KEYS: leases, waiters, waiterTtl, limit, waiterWeights. ARGV: budget, instance, defaultLimit, channel.
 */
export const WITHDRAW = lua(
  'withdraw',
  `
prune(KEYS[1], KEYS[2], KEYS[3], KEYS[5], now_ms())
local removed = redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[2])
if removed == 1 then wake(ARGV[4], ARGV[1], KEYS[1], KEYS[2], KEYS[5], limit_of(KEYS[4], ARGV[3])) end
return removed
`,
  true,
);

/**
 * Extends leases by leaseMs, adding back any that lapsed: the zset must list what really runs.
 * KEYS: leases, epoch. ARGV: leaseMs, fence ('1': a missing epoch means Redis lost its data, so
 * fence the budget; '0': a lease moved here by a limit change), leaseIds...
 * Returns how many leases had lapsed.
 */
export const RENEW = lua(
  'renew',
  `
local now = now_ms()
local expiry = now + tonumber(ARGV[1])
if not read_epoch(KEYS[2]) then
  if ARGV[2] == '1' then set_epoch(KEYS[2], expiry) else set_epoch(KEYS[2], 0) end
end
local lapsed = 0
for i = 3, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if not score or tonumber(score) <= now then lapsed = lapsed + 1 end
  redis.call('ZADD', KEYS[1], expiry, ARGV[i])
end
return lapsed
`,
  true,
);

/**
 * Grants nothing on a budget for one lease from now (a fence that only ever moves later). Used
 * when Redis answers again after an outage long enough for leases to lapse, or when another server
 * answers (a restart, a failover): the holders list their running slots again meanwhile.
 * KEYS: epoch. ARGV: leaseMs.
 */
export const FENCE = lua(
  'fence',
  `
local fence = now_ms() + tonumber(ARGV[1])
if (read_epoch(KEYS[1]) or 0) < fence then set_epoch(KEYS[1], fence) end
return fence
`,
  true,
);

/**
 * The cluster-wide state of a budget, for stats and tools. Read-only.
 * KEYS: leases, waiters, waiterTtl, limit. ARGV: defaultLimit.
 * Returns {limitText, live weight in use, liveWaiters}.
 */
export const INSPECT = lua(
  'inspect',
  `
local now = now_ms()
local text = redis.call('GET', KEYS[4]) or ARGV[1]
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
local leases = 0
for i = 1, #live do leases = leases + weight_of(live[i]) end
local waiters = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
return { text, leases, waiters }
`,
);

/**
 * Keeps this process's claim on its instance name.
 * KEYS: instance key. ARGV: token, ttlMs.
 * Returns 1 renewed, 2 re-claimed (it had lapsed), 0 another process holds it.
 */
export const RENEW_CLAIM = lua(
  'renewClaim',
  `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
`,
  true,
);

/** Drops the claim on an instance name if it is still ours. KEYS: instance key. ARGV: token. */
export const DROP_CLAIM = lua(
  'dropClaim',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
  true,
);
