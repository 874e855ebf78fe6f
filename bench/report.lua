-- wrk script: counts every answer that is not 2xx as an error (wrk itself only
-- counts 4xx/5xx), and prints one machine-readable line at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  first_bad = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == 0 then
      first_bad = status
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    local f = thread:get("first_bad") or 0
    if first == 0 then
      first = f
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "non2xx": %d, "first_bad_status": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write, e.timeout, bad, first,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
