-- wrk script of the data-plane bench: POSTs one JSON body to a rotating list of paths, same for every contender.
--   BENCH_PATHS_FILE   one request path per line (requests cycle through them in order)
--   BENCH_BODY_FILE    the request body
--   BENCH_HEADERS_FILE extra headers, one "Name: value" per line
-- done() prints one line "@@wrk@@ {json}" with the counts and latency percentiles (microseconds).

local function lines(path)
  local out = {}
  if path == nil or path == "" then return out end
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if line ~= "" then out[#out + 1] = line end
  end
  f:close()
  return out
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local requests = {}
local count = 0
local next_index = 0

function init(args)
  local paths = lines(os.getenv("BENCH_PATHS_FILE"))
  local body = slurp(os.getenv("BENCH_BODY_FILE"))
  local headers = { ["Content-Type"] = "application/json" }
  for _, line in ipairs(lines(os.getenv("BENCH_HEADERS_FILE"))) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("POST", path, headers, body)
  end
  count = #requests
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end

function done(summary, latency, requests_stats)
  local e = summary.errors
  io.write(string.format(
    '@@wrk@@ {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
