/*
 * The Lua scripts RedisStore runs (ioredis `defineCommand`). Every one takes no KEYS and the key
 * prefix as ARGV[1]: the keys a call touches depend on the data (a session's user decides its user
 * index), which declared KEYS cannot express. That is fine on one Redis (and a replica set); Redis
 * Cluster would need hash tags and is out of scope here.
 *
 * Key layout under the prefix P (see RedisStore for why):
 *   P s:<id>               hash: one field per Session field, JSON-encoded; `last_seq` a plain
 *                          integer; `_ca_ms` / `_la_ms` (created_at / last_active_at in epoch ms,
 *                          written by the store for the duration stats); `_tin` / `_tout` (its
 *                          usage's token counts as plain integers, written by the store with
 *                          `usage` for the token stats); `_open`: how many of its runs are queued
 *                          or running (absent: none)
 *   P ev:<id>              stream: the event log, entry id `<seq>-0`, field `e` = event JSON
 *   P runs:<id>            hash: run id -> `<order>|<status>|<run JSON>`
 *   P msgs:<id>            hash: message id -> `<order>|<message JSON>`
 *   P cps:<id>             hash: checkpoint id -> `<order>|<checkpoint JSON>`
 *   P idx:all              zset (all scores 0, ordered by member): `<created_at>\0<id>`
 *   P idx:<field>:<value>  the same, per user_id / agent_id / team_id / workflow_id / state value
 *   P sweep:active|idle    zset: `<last_active_at>\0<id>` of active/idle sessions with no run
 *   P runstatus:<status>   zset: `<session id>\0<run id>` scored by the run's insertion order
 *   P runfinished          zset: `<session id>\0<run id>` of every finished run (completed, failed,
 *                          cancelled) scored by its finished_at in epoch ms, for the stats' recent
 *                          activity (runs finished before this index existed are not in it)
 *   P order                global counter: insertion order of runs, messages and checkpoints
 *   P stats:dur_sum|dur_n  global counters: sum of session durations (ms) and how many are timed
 *                          (both deleted when that count falls to 0)
 *   P stats:tokens_in|tokens_out  global counters: `_tin` / `_tout` summed over every session (each
 *                          deleted when it falls to 0, so an emptied store keeps none)
 *   P live:<id>            pub/sub channel (no key): each committed batch's events as
 *                          `<node>|<first seq>|[<event JSON>,…]`, and `<node>|close` (RedisEventBus)
 * Empty sorted sets and hashes vanish by themselves, so a deleted session leaves no index key.
 */

/** Lua shared by the scripts that read token counts (`_tin`, `_tout`). */
const COUNTS = `
-- A count as the store writes it (a safe integer); anything else, a damaged field, counts as 0,
-- the same in every script, so the totals stay the sum of what each session counts.
local function count(raw)
  local n = tonumber(raw)
  if n and n == math.floor(n) and math.abs(n) <= 9007199254740991 then return n end
  return 0
end
`;

/** Lua shared by the scripts that maintain the session indexes. */
const INDEXING = `${COUNTS}
local P = ARGV[1]
local SEP = '\\0'
local EQ = { 'user_id', 'agent_id', 'team_id', 'workflow_id' }
local INDEXED = { 'user_id', 'agent_id', 'team_id', 'workflow_id', 'state', 'created_at',
  'last_active_at', 'active_run_id', '_ca_ms', '_la_ms' }

-- Fields are stored JSON-encoded: '"ann"' or 'null'. Index keys use the decoded string.
local function str(raw)
  if raw == false or raw == nil or raw == 'null' then return nil end
  return cjson.decode(raw)
end

local function indexed(sid)
  local values = redis.call('HMGET', P .. 's:' .. sid, unpack(INDEXED))
  local f = {}
  for i, name in ipairs(INDEXED) do f[name] = values[i] end
  return f
end

-- Whether a key is absent or of the type we keep there (a foreign value under our prefix is not).
local function typed(key, want)
  local t = redis.call('TYPE', key).ok
  return t == 'none' or t == want
end

-- Whether a session's hash is one this store can index: checked before anything is written, as a
-- script that fails half way keeps what it wrote. The JSON fields must decode, and the ones every
-- index entry is made of be strings.
local function readable(sid)
  if not typed(P .. 's:' .. sid, 'hash') then return false end
  local ok, good = pcall(function()
    local f = indexed(sid)
    for _, name in ipairs(INDEXED) do
      if string.sub(name, 1, 1) ~= '_' then str(f[name]) end
    end
    return type(str(f.created_at)) == 'string' and type(str(f.state)) == 'string'
      and type(str(f.last_active_at)) == 'string'
  end)
  return ok and good
end

-- Adds (sign 1) or removes (sign -1) a session in every index, from its indexed fields.
local function index(sid, f, sign)
  local member = str(f.created_at) .. SEP .. sid
  local function put(key, m)
    if sign > 0 then redis.call('ZADD', key, 0, m) else redis.call('ZREM', key, m) end
  end
  put(P .. 'idx:all', member)
  for _, name in ipairs(EQ) do
    local v = str(f[name])
    if v ~= nil then put(P .. 'idx:' .. name .. ':' .. v, member) end
  end
  local state = str(f.state)
  put(P .. 'idx:state:' .. state, member)
  if (state == 'active' or state == 'idle') and str(f.active_run_id) == nil then
    put(P .. 'sweep:' .. state, str(f.last_active_at) .. SEP .. sid)
  end
  local ca, la = tonumber(f._ca_ms), tonumber(f._la_ms)
  if ca and la then
    -- %d, not tostring: Lua prints -0 (a delete of a zero-length session) as '-0', which INCRBY refuses.
    redis.call('INCRBY', P .. 'stats:dur_sum', string.format('%d', sign * (la - ca)))
    if redis.call('INCRBY', P .. 'stats:dur_n', sign) <= 0 then
      -- Nothing timed is left: drop both, so an emptied store keeps no stale counters.
      redis.call('DEL', P .. 'stats:dur_sum', P .. 'stats:dur_n')
    end
  end
end

-- Adds (sign 1) or removes (sign -1) a session's token counts (_tin, _tout) in the global totals.
-- Not part of index(): a usage patch changes no index, so it moves only these two counters.
local TOKENS = { _tin = 'stats:tokens_in', _tout = 'stats:tokens_out' }
local function tally(sid, sign)
  local counts = redis.call('HMGET', P .. 's:' .. sid, '_tin', '_tout')
  for i, field in ipairs({ '_tin', '_tout' }) do
    local n = count(counts[i])
    if n ~= 0 then
      local key = P .. TOKENS[field]
      if redis.call('INCRBY', key, string.format('%d', sign * n)) == 0 then redis.call('DEL', key) end
    end
  end
end
`;

/**
 * Applies every batch of one `writeMany` call, or none: it checks them all before writing.
 * ARGV[2] is a JSON array of batches as `toScriptBatch` builds them; ARGV[3], the writing store's
 * node id, makes it publish each batch's events on `live:<id>`. Returns `{'OK', before...}`
 * (per batch, the session's last_seq before its events) or `{'EXISTS'|'NOT_FOUND'|'CORRUPT', id}`.
 * A batch whose `expect` is not met is skipped whole: its `before` is -1. So is a batch carrying a run
 * the store already has finished (completed, failed, cancelled): a finished run is final, so two
 * processes that both end one run (a worker presumed lost and the one that took over) store one
 * terminal event, and nothing after it.
 */
export const WRITE_SCRIPT = `${INDEXING}
local batches = cjson.decode(ARGV[2])

local known, checked = {}, {}
-- Whether a key is absent or of the type we keep there, asked once per key and call.
local function fits(key, want)
  if checked[key] == nil then checked[key] = typed(key, want) end
  return checked[key]
end
local MOVES = {}
for _, name in ipairs(INDEXED) do MOVES[name] = true end
for _, b in ipairs(batches) do
  local exists = known[b.id]
  if exists == nil then exists = redis.call('EXISTS', P .. 's:' .. b.id) == 1 end
  if b.create then
    if exists then return { 'EXISTS', b.id } end
  elseif not exists and not b.expect then
    return { 'NOT_FOUND', b.id }
  end
  -- A skipped batch (its session gone) must not vouch for the batches after it.
  known[b.id] = exists or b.create ~= nil
  -- A foreign or damaged value where this batch writes would fail the script half way, keeping
  -- what it wrote: refuse the call before writing anything. Only the keys the batch writes are
  -- checked, and the session's fields only when a patch moves it between indexes (which decodes them).
  local moves = false
  for i = 1, #b.patch, 2 do if MOVES[b.patch[i]] then moves = true end end
  if not fits(P .. 's:' .. b.id, 'hash')
    or (#b.events > 0 and not fits(P .. 'ev:' .. b.id, 'stream'))
    or (#b.runs > 0 and not fits(P .. 'runs:' .. b.id, 'hash'))
    or (#b.messages > 0 and not fits(P .. 'msgs:' .. b.id, 'hash'))
    or (#b.checkpoints > 0 and not fits(P .. 'cps:' .. b.id, 'hash'))
    or (moves and exists and not b.create and not readable(b.id)) then
    return { 'CORRUPT', b.id }
  end
end

-- WriteBatch.expect ({state, last_active_at} as stored JSON, or {user, below} for a create's cap),
-- checked when the loop below reaches the batch, after the batches before it.
local LIVE = { ['"active"'] = true, ['"idle"'] = true }
local function expected(b)
  local e = b.expect
  if b.create then
    if e.user == nil or e.below == nil then return true end
    local live = 0
    for _, m in ipairs(redis.call('ZRANGEBYLEX', P .. 'idx:user_id:' .. e.user, '-', '+')) do
      local sid = string.sub(m, string.find(m, SEP, 1, true) + 1)
      -- pcall: a foreign value in place of a session hash is no live session (and no error here).
      if LIVE[redis.pcall('HGET', P .. 's:' .. sid, 'state')] then
        live = live + 1
        if live >= e.below then return false end
      end
    end
    return true
  end
  local f = redis.call('HMGET', P .. 's:' .. b.id, 'state', 'last_active_at')
  if not f[1] then return false end
  if e.last_active_at ~= nil and f[2] ~= e.last_active_at then return false end
  if e.state == nil then return true end
  for _, s in ipairs(e.state) do if f[1] == s then return true end end
  return false
end

-- A run stored finished is final: a batch writing it again is skipped whole.
local FINISHED = { completed = true, failed = true, cancelled = true }
local function rewritesFinished(b)
  for i = 1, #b.runs, 4 do
    local old = redis.call('HGET', P .. 'runs:' .. b.id, b.runs[i])
    if old and FINISHED[string.match(old, '^%d+|([^|]*)|')] then return true end
  end
  return false
end

-- Queued or running runs per session (field _open): the sweep skips a session busy in any process.
local OPEN = { queued = 1, running = 1 }

-- Upserts \`<order>|<rest>\` values of a hash; a replaced record keeps its order.
local function upsert(key, id, rest)
  local old = redis.call('HGET', key, id)
  local order = old and string.match(old, '^(%d+)|') or redis.call('INCR', P .. 'order')
  redis.call('HSET', key, id, order .. '|' .. rest)
  return order
end

local REINDEX = {}
for _, name in ipairs(INDEXED) do REINDEX[name] = true end

local out = { 'OK' }
for _, b in ipairs(batches) do
  -- repeat … until true: 'break' skips to the next batch (Lua 5.1 has no continue).
  repeat
  if (b.expect and not expected(b)) or (#b.runs > 0 and rewritesFinished(b)) then
    out[#out + 1] = -1; break
  end
  local sid = b.id
  local sk = P .. 's:' .. sid
  local before
  if b.create then
    redis.call('HSET', sk, 'last_seq', 0, unpack(b.create))
    index(sid, indexed(sid), 1)
    tally(sid, 1)
    before = 0
  else
    if #b.patch > 0 then
      local moves, counts = false, false
      for i = 1, #b.patch, 2 do
        if REINDEX[b.patch[i]] then moves = true end
        if TOKENS[b.patch[i]] then counts = true end
      end
      if moves then index(sid, indexed(sid), -1) end
      -- The totals move by the difference between the old counts and the new.
      if counts then tally(sid, -1) end
      redis.call('HSET', sk, unpack(b.patch))
      if moves then index(sid, indexed(sid), 1) end
      if counts then tally(sid, 1) end
    end
    before = tonumber(redis.call('HGET', sk, 'last_seq'))
  end
  if #b.events > 0 then
    local ek = P .. 'ev:' .. sid
    for j, e in ipairs(b.events) do redis.call('XADD', ek, string.format('%d-0', before + j), 'e', e) end
    redis.call('HSET', sk, 'last_seq', before + #b.events)
    -- Published inside the commit, so every process hears a session's events in seq order.
    if ARGV[3] then
      redis.call('PUBLISH', P .. 'live:' .. sid,
        ARGV[3] .. '|' .. (before + 1) .. '|[' .. table.concat(b.events, ',') .. ']')
    end
  end
  local rk = P .. 'runs:' .. sid
  for i = 1, #b.runs, 4 do
    local rid, status, finishedMs = b.runs[i], b.runs[i + 1], tonumber(b.runs[i + 2])
    local old = redis.call('HGET', rk, rid)
    local was = old and string.match(old, '^%d+|([^|]*)|')
    if was then redis.call('ZREM', P .. 'runstatus:' .. was, sid .. SEP .. rid) end
    local order = upsert(rk, rid, status .. '|' .. b.runs[i + 3])
    redis.call('ZADD', P .. 'runstatus:' .. status, order, sid .. SEP .. rid)
    -- A finished run is written once (rewritesFinished), so it enters the finish index once.
    if FINISHED[status] and finishedMs then
      redis.call('ZADD', P .. 'runfinished', finishedMs, sid .. SEP .. rid)
    end
    local opened = (OPEN[status] or 0) - (was and OPEN[was] or 0)
    if opened ~= 0 then redis.call('HINCRBY', sk, '_open', opened) end
  end
  for i = 1, #b.messages, 2 do upsert(P .. 'msgs:' .. sid, b.messages[i], b.messages[i + 1]) end
  for i = 1, #b.checkpoints, 2 do upsert(P .. 'cps:' .. sid, b.checkpoints[i], b.checkpoints[i + 1]) end
  out[#out + 1] = before
  until true
end
return out
`;

/** Deletes the sessions ARGV[2..] with everything they own and their index entries; returns the ids that existed. */
export const DELETE_SCRIPT = `${INDEXING}
local deleted = {}
for i = 2, #ARGV do
  local sid = ARGV[i]
  -- A session whose record is damaged or foreign is left as it is (reading it says STORE_CORRUPT).
  if redis.call('EXISTS', P .. 's:' .. sid) == 1 and readable(sid) and typed(P .. 'runs:' .. sid, 'hash') then
    index(sid, indexed(sid), -1)
    tally(sid, -1)
    local runs = redis.call('HGETALL', P .. 'runs:' .. sid)
    for j = 1, #runs, 2 do
      local status = string.match(runs[j + 1], '^%d+|([^|]*)|')
      if status then redis.call('ZREM', P .. 'runstatus:' .. status, sid .. SEP .. runs[j]) end
      redis.call('ZREM', P .. 'runfinished', sid .. SEP .. runs[j])
    end
    redis.call('DEL', P .. 's:' .. sid, P .. 'ev:' .. sid, P .. 'runs:' .. sid, P .. 'msgs:' .. sid,
      P .. 'cps:' .. sid)
    deleted[#deleted + 1] = sid
  end
end
return deleted
`;

/**
 * Lists (ARGV[2] = 'list') or counts ('count') sessions by walking one index newest first and
 * checking the other filters on each session's hash. ARGV[3]: JSON array of candidate index keys
 * (without prefix; the smallest is walked, `idx:all` when empty); ARGV[4]: JSON array of
 * `[field, JSON value]` pairs flattened; ARGV[5]: JSON array of accepted JSON state values or `[]`
 * for any; ARGV[6]: the exclusive lex upper bound ('+' for none); ARGV[7]: the most to return.
 * A list returns the sessions' HGETALL replies, a count the number.
 */
export const LIST_SCRIPT = `
local P = ARGV[1]
local mode = ARGV[2]
local candidates = cjson.decode(ARGV[3])
local checks = cjson.decode(ARGV[4])
local states = {}
local anyState = true
for _, s in ipairs(cjson.decode(ARGV[5])) do states[s] = true; anyState = false end
local max, limit = ARGV[6], tonumber(ARGV[7])

local key, best = P .. 'idx:all', nil
for _, k in ipairs(candidates) do
  local n = redis.call('ZCARD', P .. k)
  if best == nil or n < best then key, best = P .. k, n end
end

local fields = { 'state' }
for i = 1, #checks, 2 do fields[#fields + 1] = checks[i] end

local found, count, offset = {}, 0, 0
while true do
  local members = redis.call('ZREVRANGEBYLEX', key, max, '-', 'LIMIT', offset, 200)
  if #members == 0 then break end
  offset = offset + #members
  for _, m in ipairs(members) do
    local sk = P .. 's:' .. string.sub(m, string.find(m, '\\0', 1, true) + 1)
    -- pcall: a foreign value where a session hash should be is skipped, not the whole listing.
    local values = redis.pcall('HMGET', sk, unpack(fields))
    local ok = not values.err and (anyState or states[values[1]] == true)
    for i = 2, #fields do
      if values[i] ~= checks[2 * i - 2] then ok = false end
    end
    if ok then
      count = count + 1
      if mode == 'list' then
        found[#found + 1] = redis.call('HGETALL', sk)
        if #found >= limit then return found end
      end
    end
  end
end
if mode == 'count' then return count end
return found
`;

/**
 * Sweep candidates from the sweep indexes, oldest `last_active_at` first, leaving out sessions
 * with a queued or running run (`_open`, whichever process holds it). ARGV[2]: the index
 * ('active' or 'idle'); ARGV[3]: exclusive lex upper bound. Returns
 * `[id, trace_id JSON, state JSON, last_active_at JSON]` flattened.
 */
export const SWEEP_SCRIPT = `
local P = ARGV[1]
local members = redis.call('ZRANGEBYLEX', P .. 'sweep:' .. ARGV[2], '-', ARGV[3])
local out = {}
for _, m in ipairs(members) do
  local sid = string.sub(m, string.find(m, '\\0', 1, true) + 1)
  local f = redis.pcall('HMGET', P .. 's:' .. sid, 'trace_id', 'state', 'last_active_at', '_open')
  if not f.err and (tonumber(f[4]) or 0) <= 0 then
    out[#out + 1] = sid
    out[#out + 1] = f[1] or 'null'
    out[#out + 1] = f[2] or 'null'
    out[#out + 1] = f[3] or 'null'
  end
end
return out
`;

/**
 * One user's stats, walking only that user's index (ARGV[2]: the user id). Returns four arrays:
 * the state (JSON) of each session, `[sum of durations in ms, how many were timed]`, the status of
 * each of their runs, and `[sum of _tin, sum of _tout]`; the store counts them.
 */
export const USER_STATS_SCRIPT = `${COUNTS}
local P = ARGV[1]
local members = redis.call('ZRANGEBYLEX', P .. 'idx:user_id:' .. ARGV[2], '-', '+')
local states, statuses = {}, {}
local sum, n, tin, tout = 0, 0, 0, 0
for _, m in ipairs(members) do
  local sid = string.sub(m, string.find(m, '\\0', 1, true) + 1)
  local f = redis.pcall('HMGET', P .. 's:' .. sid, 'state', '_ca_ms', '_la_ms', '_tin', '_tout')
  if f.err then f = {} end
  states[#states + 1] = f[1] or 'null'
  local ca, la = tonumber(f[2]), tonumber(f[3])
  if ca and la then sum = sum + (la - ca); n = n + 1 end
  tin = tin + count(f[4])
  tout = tout + count(f[5])
  local runs = redis.pcall('HVALS', P .. 'runs:' .. sid)
  if runs.err then runs = {} end
  for _, v in ipairs(runs) do
    statuses[#statuses + 1] = string.match(v, '^%d+|([^|]*)|')
  end
end
-- %d: tostring would print a large sum in exponent form.
return { states, { tostring(sum), n }, statuses, { string.format('%d', tin), string.format('%d', tout) } }
`;

/**
 * The runs finished at or after ARGV[2] (epoch ms), read through the `runfinished` index; with
 * ARGV[3] (a user id JSON-encoded, as the session hash stores it) only that user's sessions' runs.
 * Returns each run's stored value (`<order>|<status>|<run JSON>`); the store parses them. A foreign
 * value where a session or its runs should be is skipped. The index is one for every user, so one
 * user's read still walks every run finished since ARGV[2], whoever's (the stats ask for 15 minutes).
 */
export const FINISHED_RUNS_SCRIPT = `
local P = ARGV[1]
local user = ARGV[3]
local members = redis.call('ZRANGEBYSCORE', P .. 'runfinished', ARGV[2], '+inf')
local out = {}
for _, m in ipairs(members) do
  local at = string.find(m, '\\0', 1, true)
  local sid, rid = string.sub(m, 1, at - 1), string.sub(m, at + 1)
  if user == nil or redis.pcall('HGET', P .. 's:' .. sid, 'user_id') == user then
    local value = redis.pcall('HGET', P .. 'runs:' .. sid, rid)
    if type(value) == 'string' then out[#out + 1] = value end
  end
end
return out
`;
