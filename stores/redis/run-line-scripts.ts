/**
 * The Lua scripts of the session lines `BullmqRunQueue` keeps next to BullMQ: one Redis list per
 * session (`<prefix>runs:line:<session>`, the active run first, then its waiting runs in order), the
 * run's job data (`<prefix>runs:jobs`) and its state (`<prefix>runs:state`): `pending` while its
 * record is being stored, `stored` once it is, `queued` once it is a BullMQ job. A run becomes a job
 * when it heads its line and is stored, exactly once, whichever of the two comes last.
 *
 * Fairness: a job's BullMQ priority is 1 + the runs its user has queued already
 * (`<prefix>runs:user:<user>`, a set), so each user has at most one job at priority 1, one at 2, …:
 * jobs are taken round-robin between users (see docs/scale-out.md).
 */

/**
 * The largest BullMQ priority (2^21 - 1). BullMQ 6.7.6 scores its `prioritized` sorted set
 * `priority * 2^32 + counter` (`includes/getPriorityScore.lua`): the jobs of priority p or better are
 * those scored below `(p + 1) * 2^32`.
 */
export const MAX_PRIORITY = 2_097_151;

/** Shared by the scripts: the priority a user's next job gets, counting it in. */
const NEXT_PRIORITY = `
local function nextPriority(userKey, runId)
  redis.call('SADD', userKey, runId)
  return math.min(redis.call('SCARD', userKey), ${MAX_PRIORITY})
end
`;

/**
 * KEYS: line, jobs, state, user set, BullMQ wait list, BullMQ prioritized set.
 * ARGV: run id, multitask, job JSON.
 * Returns `{'busy', holder}` (reject), or `{kind, holder, position}` with kind `head` (it will be
 * the session's active run: position among the queued jobs), `waiting` or `interrupt` (behind the
 * session's active run: position in its line).
 */
export const SUBMIT_SCRIPT = `
local line, jobs, state = KEYS[1], KEYS[2], KEYS[3]
local runId, multitask = ARGV[1], ARGV[2]
local holder = redis.call('LINDEX', line, 0)
if holder and multitask == 'reject' then return {'busy', holder} end
redis.call('HSET', jobs, runId, ARGV[3])
redis.call('HSET', state, runId, 'pending')
if not holder then
  redis.call('RPUSH', line, runId)
  -- What its priority will be (1 + its user's queued runs): the jobs ahead are the wait list's and the
  -- prioritized ones of that priority or better.
  local priority = math.min(redis.call('SCARD', KEYS[4]) + 1, ${MAX_PRIORITY})
  local ahead = redis.call('LLEN', KEYS[5]) + redis.call('ZCOUNT', KEYS[6], 0, (priority + 1) * 4294967296 - 1)
  return {'head', '', ahead + 1}
end
if multitask == 'interrupt' then
  redis.call('LSET', line, 0, runId)
  redis.call('LPUSH', line, holder)
  return {'interrupt', holder, 1}
end
return {'waiting', holder, redis.call('RPUSH', line, runId) - 1}
`;

/**
 * The run's record is stored. KEYS: line, state, user set. ARGV: run id.
 * Returns the job's priority when the run heads its line (queue it now), else 0.
 */
export const STORED_SCRIPT = `${NEXT_PRIORITY}
local line, state, runId = KEYS[1], KEYS[2], ARGV[1]
if redis.call('HGET', state, runId) ~= 'pending' then return 0 end
if redis.call('LINDEX', line, 0) == runId then
  redis.call('HSET', state, runId, 'queued')
  return nextPriority(KEYS[3], runId)
end
redis.call('HSET', state, runId, 'stored')
return 0
`;

/**
 * The run ended (or was withdrawn): it leaves its line, and its cancel marker goes. KEYS: line, jobs,
 * state, the run's cancel marker. ARGV: run id, prefix
 * of the user set keys. Returns `{next run id, its job JSON, its priority}` when the next run of the
 * session is stored and becomes a job now, else nil.
 */
export const RELEASE_SCRIPT = `${NEXT_PRIORITY}
local line, jobs, state, runId = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
redis.call('HDEL', jobs, runId)
redis.call('HDEL', state, runId)
redis.call('DEL', KEYS[4])
if redis.call('LINDEX', line, 0) ~= runId then
  redis.call('LREM', line, 1, runId)
  return nil
end
redis.call('LPOP', line)
local nextId = redis.call('LINDEX', line, 0)
if not nextId or redis.call('HGET', state, nextId) ~= 'stored' then return nil end
local job = redis.call('HGET', jobs, nextId)
local user = cjson.decode(job).userId
redis.call('HSET', state, nextId, 'queued')
return {nextId, job, nextPriority(ARGV[2] .. user, nextId)}
`;

/**
 * Cancel of a run not at the head of its line: it leaves now. KEYS: line, jobs, state. ARGV: run id.
 * Returns `removed`, `head` (it is the active run: cancel it through BullMQ), or `absent`.
 */
export const LEAVE_SCRIPT = `
local line, jobs, state, runId = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
if redis.call('LINDEX', line, 0) == runId then return 'head' end
if redis.call('LREM', line, 1, runId) == 0 then return 'absent' end
redis.call('HDEL', jobs, runId)
redis.call('HDEL', state, runId)
return 'removed'
`;
