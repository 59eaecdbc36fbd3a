-- handlers/lua/api.lua — what the HTTP API keeps in Redis: its bearer
-- tokens (only their SHA-256 is stored) and the first answer to each
-- Idempotency-Key (docs/api.md, docs/keys.md "HTTP API").
--
-- P:token:<sha256 hex>  hash: name, role, created, by; revoked (ms) once
--                       revoked.  Kept after revocation, so that a revoked
--                       token is told as such and its name stays taken.
-- P:tokens              hash: name -> sha256 hex, for list and revoke.
-- P:idem:<sha256 hex>   hash: fp (the request's fingerprint), status, body,
--                       and state "pending" until the first answer is kept.

local TOKEN_ROLES = {admin = true, marketing = true, finance = true, seat = true, viewer = true}

-- token_create: a token named `name` with role `role`, stored by its hash.
-- -> "ok", or "exists" (the name is taken, revoked or not), "bad_role"
local function token_create(a)
  if not TOKEN_ROLES[a.role] then return 'bad_role' end
  local names = a.prefix .. ':tokens'
  if redis.call('HEXISTS', names, a.name) == 1 then return 'exists' end
  redis.call('HSET', names, a.name, a.hash)
  redis.call('HSET', a.prefix .. ':token:' .. a.hash, 'name', a.name, 'role', a.role,
    'created', a.now, 'by', a.by)
  return 'ok'
end

-- token_revoke: mark the token named `name` revoked at `now`.
-- -> "ok", "unknown" (no such name), "revoked" (it was already)
local function token_revoke(a)
  local hash = redis.call('HGET', a.prefix .. ':tokens', a.name)
  if not hash then return 'unknown' end
  local key = a.prefix .. ':token:' .. hash
  if redis.call('HEXISTS', key, 'revoked') == 1 then return 'revoked' end
  redis.call('HSET', key, 'revoked', a.now, 'revoked_by', a.by)
  return 'ok'
end

-- idem_begin: the first request with this key takes it (state pending, for
-- `ttl` ms); a later one gets what the first got, or is told why not.
-- -> {"new"} | {"pending"} | {"conflict"} | {"done", status, body}
local function idem_begin(a)
  local key = a.prefix .. ':idem:' .. a.key
  local cur = redis.call('HMGET', key, 'fp', 'state', 'status', 'body')
  if not cur[1] then
    redis.call('HSET', key, 'fp', a.fp, 'state', 'pending')
    redis.call('PEXPIRE', key, a.ttl)
    return {'new'}
  end
  if cur[1] ~= a.fp then return {'conflict'} end
  if cur[2] == 'pending' then return {'pending'} end
  return {'done', cur[3], cur[4]}
end

-- idem_end: keep the answer of the request that took the key; a refusal
-- or an error is not kept (the key is freed), so that the corrected
-- request may use it.
-- -> 1 kept or freed, 0 the key was not this request's (expired, taken)
local function idem_end(a)
  local key = a.prefix .. ':idem:' .. a.key
  if redis.call('HGET', key, 'fp') ~= a.fp then return 0 end
  if not a.keep then
    redis.call('DEL', key)
    return 1
  end
  redis.call('HSET', key, 'state', 'done', 'status', a.status, 'body', a.body)
  redis.call('PEXPIRE', key, a.ttl)
  return 1
end
