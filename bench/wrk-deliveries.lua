-- The benchmark's deliveries for wrk (bench/wrk.mjs writes the plan and runs wrk with this script):
-- the same signed, never-repeating deliveries as mist-payloads/webhook.mjs gives autocannon.
--
-- The plan (a Lua chunk, BENCH_WRK_PLAN) holds each delivery kind's body rendered once by
-- mist-payloads/webhook.mjs with its slot table and salt, and the order in which the kinds are
-- sent. Per request this script writes fresh values into the slots of the kind's request buffer, by
-- the same rules as mist-payloads/webhook.mjs fill() (a port: wrk.mjs checks it against the
-- JavaScript before every run), signs the body with HMAC-SHA256 through LuaJIT's FFI into the
-- libcrypto wrk is linked with, and hands wrk the request. Pre-rendering every body to files
-- instead would take gigabytes for a few seconds of 50-event deliveries, and cycling a smaller set
-- would repeat deliveries.
--
-- Environment: BENCH_WRK_PLAN (the plan file), BENCH_WRK_THREADS (wrk's -t: threads take
-- interleaved sequence numbers), BENCH_WRK_SEQ (the first sequence number; the harness gives
-- every run its own range), BENCH_WRK_NOW_MS (a fixed clock, for that check only).
local ffi = require('ffi')
local bit = require('bit')

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]

-- wrk links libcrypto for TLS, so its symbols are usually in the process already.
local function libcrypto()
  if pcall(function() return ffi.C.HMAC end) then return ffi.C end
  for _, name in ipairs({ 'crypto', 'libcrypto.so.3', 'libcrypto.so.1.1' }) do
    local ok, lib = pcall(ffi.load, name)
    if ok then return lib end
  end
  error('wrk-deliveries.lua: no libcrypto with HMAC found')
end

local floor = math.floor
local HEX = {}
for i = 0, 15 do HEX[i] = string.byte('0123456789abcdef', i + 1) end

local function hex(buf, at, width, v)
  for i = width - 1, 0, -1 do
    local d = v % 16
    buf[at + i] = HEX[d]
    v = (v - d) / 16
  end
end

local function dec(buf, at, width, v)
  for i = width - 1, 0, -1 do
    local d = v % 10
    buf[at + i] = 48 + d
    v = (v - d) / 10
  end
end

-- The slot kinds of mist-payloads/webhook.mjs, by the same rules (see fill() there).
local P -- the plan's populations
local FILL = {
  mac = function(buf, at, seq) hex(buf, at, 12, P.CLIENT_OUI + ((seq % P.CLIENTS) * 2654435761) % 16777216) end,
  apmac = function(buf, at, seq) hex(buf, at, 12, P.DEVICE_OUI + (seq % P.DEVICES) * 16) end,
  uuid = function(buf, at, seq, _, salt) hex(buf, at + 24, 12, (seq + salt) % 281474976710656) end,
  ts = function(buf, at, _, now) dec(buf, at, 10, floor(now / 1000)) end,
  tsf = function(buf, at, _, now)
    dec(buf, at, 10, floor(now / 1000))
    buf[at + 10] = 46
    dec(buf, at + 11, 3, now % 1000)
  end,
  tsms = function(buf, at, _, now) dec(buf, at, 13, now) end,
  tsstr = function(buf, at, seq, now)
    dec(buf, at, 10, floor(now / 1000))
    buf[at + 10] = 46
    dec(buf, at + 11, 3, now % 1000)
    dec(buf, at + 14, 3, seq % 1000)
  end,
  rssi = function(buf, at, seq)
    buf[at] = 45
    dec(buf, at + 1, 2, 30 + seq % 60)
  end,
  coord = function(buf, at, seq)
    dec(buf, at, 3, 100 + seq % 900)
    buf[at + 3] = 46
    dec(buf, at + 4, 3, floor(seq / 900) % 1000)
  end,
  count = function(buf, at, seq) dec(buf, at, 6, 100000 + (seq * 31) % 900000) end,
}

local threads = {}

function setup(thread)
  thread:set('tid', #threads)
  threads[#threads + 1] = thread
end

-- Per thread (each has its own Lua state).
local crypto, sha256, key, digest
local kinds, order, pos, seq, stride, fixedNow
local clock = ffi.new('bench_timespec')

local function nowMs()
  if fixedNow then return fixedNow end
  ffi.C.clock_gettime(0, clock) -- CLOCK_REALTIME
  return tonumber(clock.tv_sec) * 1000 + floor(tonumber(clock.tv_nsec) / 1000000)
end

function init(args)
  local plan = dofile(os.getenv('BENCH_WRK_PLAN'))
  P = plan.population
  crypto = libcrypto()
  sha256 = crypto.EVP_sha256()
  key = plan.secret
  digest = ffi.new('unsigned char[32]')
  stride = tonumber(os.getenv('BENCH_WRK_THREADS') or '1')
  seq = tonumber(os.getenv('BENCH_WRK_SEQ') or '0') + tid
  fixedNow = tonumber(os.getenv('BENCH_WRK_NOW_MS') or '')
  kinds = {}
  for i, k in ipairs(plan.kinds) do
    local head = 'POST ' .. plan.path .. ' HTTP/1.1\r\nHost: ' .. plan.host ..
        '\r\nContent-Type: application/json\r\nUser-Agent: Mist-webhook\r\nContent-Length: ' ..
        #k.template .. '\r\nX-Mist-Signature-v2: '
    local sigAt = #head
    local bodyAt = sigAt + 64 + 4
    local len = bodyAt + #k.template
    local buf = ffi.new('uint8_t[?]', len)
    ffi.copy(buf, head, #head)
    ffi.fill(buf + sigAt, 64, 48)
    ffi.copy(buf + sigAt + 64, '\r\n\r\n', 4)
    ffi.copy(buf + bodyAt, k.template, #k.template)
    local slots = {}
    for j, s in ipairs(k.slots) do
      local f = FILL[s[2]]
      if not f then error('wrk-deliveries.lua: unknown slot kind ' .. tostring(s[2])) end
      slots[j] = { bodyAt + s[1], f }
    end
    kinds[i] = { buf = buf, len = len, sigAt = sigAt, bodyAt = bodyAt, bodyLen = #k.template, slots = slots, salt = k.salt }
  end
  order = plan.order
  -- A global, so that done() (in wrk's main Lua state) can read it through thread:get().
  built = {}
  for i = 1, #order do built[i] = 0 end
  -- Threads start at different places in the order, so short rounds still see every kind.
  pos = tid % #order
end

function request()
  pos = pos % #order + 1
  built[pos] = built[pos] + 1
  local k = kinds[order[pos]]
  local buf, now, salt = k.buf, nowMs(), k.salt
  for _, s in ipairs(k.slots) do
    s[2](buf, s[1], seq, now, salt)
    seq = seq + stride
  end
  crypto.HMAC(sha256, key, #key, buf + k.bodyAt, k.bodyLen, digest, nil)
  local at = k.sigAt
  for i = 0, 31 do
    local b = digest[i]
    buf[at + 2 * i] = HEX[bit.rshift(b, 4)]
    buf[at + 2 * i + 1] = HEX[bit.band(b, 15)]
  end
  return ffi.string(buf, k.len)
end

-- One line for bench/wrk.mjs: the summary, the requests each thread built per place in the
-- order (built, not necessarily answered: some are still in flight when wrk stops), and wrk's
-- own CPU time (all its threads).
function done(summary, latency, requests)
  local perPlace = {}
  for _, t in ipairs(threads) do
    for i, n in pairs(t:get('built')) do perPlace[i] = (perPlace[i] or 0) + n end
  end
  local counts = {}
  for i = 1, #perPlace do counts[i] = string.format('%d', perPlace[i]) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-WRK {"durationUs":%d,"requests":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,' ..
    '"cpuMs":%.1f,"built":[%s]}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max,
    os.clock() * 1000, table.concat(counts, ',')))
end
