-- wrk script for bench/write_bench.py: one write scenario's requests, and its summary as one JSON line.
--
--   wrk -t2 -c8 -d10s --latency -s bench/wrk_write.lua http://127.0.0.1:3000 -- \
--       METHOD PATH QUERY BODY LOW HIGH [HEADER: VALUE ...]
--
-- Each request is METHOD PATH?QUERY (a `%d` in QUERY replaced by n) with the body BODY builds from
-- n (none | insert | bulk | patch | bump; see bench/write_scenarios.py), n uniform in [LOW, HIGH].
-- Each thread has a fixed seed, so every target gets the same sequence of requests. The bulk
-- bodies (1,000 objects) are built once per thread, 8 of them, and sent in turn.

local threads_started = 0

function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_number", threads_started)
end

local method, path, query, body_kind, low, high
local counter = 0
local bulk_bodies = {}

local builders = {
  none = function(n) return nil end,
  insert = function(n)
    counter = counter + 1
    return string.format('{"name":"wrk-%d-%d","n":%d}', thread_number or 0, counter, n)
  end,
  patch = function(n) return string.format('{"n":%d}', math.random(1, 1000000)) end,
  bump = function(n) return string.format('{"id":%d}', n) end,
  bulk = function(n)
    counter = counter + 1
    return bulk_bodies[(counter % #bulk_bodies) + 1]
  end,
}

function init(args)
  method, path, query, body_kind = args[1], args[2], args[3], args[4]
  low, high = tonumber(args[5]), tonumber(args[6])
  for i = 7, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  math.randomseed(2000 + (thread_number or 0))
  if body_kind == "bulk" then
    for b = 1, 8 do
      local objects = {}
      for i = 1, 1000 do
        objects[i] = string.format('{"name":"bulk-%d-%d-%d","n":%d}', thread_number or 0, b, i, math.random(1, 1000000))
      end
      bulk_bodies[b] = "[" .. table.concat(objects, ",") .. "]"
    end
  end
end

function request()
  local n = math.random(low, high)
  local target = path
  if query ~= "" then
    target = path .. "?" .. string.gsub(query, "%%d", tostring(n))
  end
  return wrk.format(method, target, nil, builders[body_kind](n))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
