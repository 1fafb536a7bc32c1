-- wrk script: GET /v1/mappings/{ip} for random addresses of the benchmark snapshot
-- (bench/lib/addresses: 172.(16 + i / 65536).(i / 256 % 256).(i % 256), i < BENCH_ADDRESSES),
-- or with BENCH_ROUTE=auth GET /v1/auth with the address in X-Real-IP (as nginx auth_request
-- sends it), and one JSON line of results at the end (latencies in microseconds).
local count = tonumber(os.getenv("BENCH_ADDRESSES") or "1000000")
local auth = os.getenv("BENCH_ROUTE") == "auth"
math.randomseed(os.time())

request = function()
  local i = math.random(0, count - 1)
  local address = string.format("172.%d.%d.%d", 16 + math.floor(i / 65536), math.floor(i / 256) % 256, i % 256)
  if auth then
    return wrk.format("GET", "/v1/auth", { ["X-Real-IP"] = address })
  end
  return wrk.format("GET", "/v1/mappings/" .. address)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"seconds":%.3f,"p50":%d,"p99":%d,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
