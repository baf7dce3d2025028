-- wrk script for bench/read_bench.py: one scenario's requests, and its summary as one JSON line.
--
--   wrk -t2 -c50 -d10s --latency -s bench/wrk_read.lua http://127.0.0.1:3000 -- \
--       PATH PREFIX FORMAT SUFFIX LOW HIGH [HEADER: VALUE ...]
--
-- Each request asks for PATH?PREFIX .. string.format(FORMAT, n) .. SUFFIX with n uniform in
-- [LOW, HIGH] (an empty FORMAT sends PATH?PREFIX every time). Each thread has a fixed seed, so
-- every target gets the same sequence of URLs.

local threads_started = 0

function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_number", threads_started)
end

local fixed_request = nil
local path, prefix, format, suffix, low, high

function init(args)
  path, prefix, format, suffix = args[1], args[2], args[3], args[4]
  low, high = tonumber(args[5]), tonumber(args[6])
  for i = 7, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  math.randomseed(1000 + (thread_number or 0))
  if format == "" then
    fixed_request = wrk.format("GET", path .. "?" .. prefix)
  end
end

function request()
  if fixed_request then
    return fixed_request
  end
  return wrk.format("GET", path .. "?" .. prefix .. string.format(format, math.random(low, high)) .. suffix)
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
