-- Replays the requests in the file named by WRK_PLAN, one per line:
--   METHOD <tab> PATH <tab> SESSION (may be empty) <tab> BODY (may be empty)
-- Each thread starts at its own line and goes round. POSTs are htmx requests with
-- a CSRF token. At the end one JSON line gives throughput, latency and errors.

local csrf = "benchcsrftokenbenchcsrftoken0000" -- 32 letters: a valid unmasked secret
local plan = {}
for line in io.lines(os.getenv("WRK_PLAN")) do
  local method, path, session, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
  local headers = {}
  local cookie = "csrftoken=" .. csrf
  if session ~= "" then cookie = cookie .. "; sessionid=" .. session end
  headers["Cookie"] = cookie
  if method == "POST" then
    headers["X-CSRFToken"] = csrf
    headers["HX-Request"] = "true"
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  plan[#plan + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
end

local threads = 0
function setup(thread)
  thread:set("start", threads * 997)
  threads = threads + 1
end

function init(args)
  position = start or 0
end

function request()
  position = position + 1
  return plan[(position % #plan) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"errors": %d, "bad_status": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    e.connect + e.read + e.write + e.timeout, e.status))
end
