/**
 * Lua shared by the budget scripts for task weights (a start taking several slots at once).
 *
 * A lease's weight is written in its id: `<id>*<weight>` when above 1 (see leaseId.ts), so the
 * leases zset stays "lease id -> expiry": expiry, renewal and re-listing after data loss work on
 * weighted leases unchanged, and in use is the sum of the weights of its members. A waiter's weight
 * (what its instance asks for now) is kept in the waiterWeights hash.
 */
export const WEIGHT_FUNCTIONS = `
local function weight_of(member)
  return tonumber(string.match(member, '%*(%d+)$')) or 1
end

-- In use: the weights of the leases listed (callers prune the lapsed ones first).
local function in_use_of(leases)
  local members = redis.call('ZRANGE', leases, 0, -1)
  local sum = 0
  for i = 1, #members do sum = sum + weight_of(members[i]) end
  return sum
end

-- The weight a waiter counts for in the queue: 0 when it is heavier than the limit, since it could
-- never start and holding the budget for it would block everyone behind it.
local function queued_weight(weights, name, limit)
  local w = tonumber(redis.call('HGET', weights, name)) or 1
  if w > limit then return 0 end
  return w
end

-- The weight of the waiters ahead of the first \`count\` places of the queue.
local function weight_ahead(waiters, weights, limit, count)
  if count <= 0 then return 0 end
  local names = redis.call('ZRANGE', waiters, 0, count - 1)
  local sum = 0
  for i = 1, #names do sum = sum + queued_weight(weights, names[i], limit) end
  return sum
end

-- Tells the waiters first in line that the free weight is theirs to take. The hold rule: in queue
-- order each takes its weight; the first that does not fit holds the budget, so nobody behind it
-- is woken (a heavy waiter is not starved by light ones behind it).
local function wake(channel, budget, leases, waiters, weights, limit)
  local free = limit - in_use_of(leases)
  if free <= 0 then return end
  local names = redis.call('ZRANGE', waiters, 0, -1)
  local to = {}
  for i = 1, #names do
    local w = queued_weight(weights, names[i], limit)
    if w > free then break end
    free = free - w
    if w > 0 then to[#to + 1] = names[i] end
  end
  if #to > 0 then
    redis.call('PUBLISH', channel, cjson.encode({ t = 'room', b = budget, to = to }))
  end
end
`;
