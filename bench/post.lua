-- wrk script: a small chat completion through whatever is at the target, authenticated with $KEY.
-- With PACE_MS set, each connection waits that long between requests (a paced rate for latency; wrk's latency
-- excludes the wait). With VARY_PROMPT=1 every request's prompt is new (a thread number and a counter appended), so
-- nothing keyed by the prompt repeats, as in real traffic. done() prints p99.9, which wrk's --latency table leaves out.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KEY") or "none")
wrk.body = '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello in five words."}]}'

if os.getenv("VARY_PROMPT") == "1" then
  local threads = 0
  function setup(thread)
    threads = threads + 1
    thread:set("thread_no", threads)
  end
  local n = 0
  function request()
    n = n + 1
    return wrk.format(nil, nil, nil, '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello in five words. '
      .. tostring(thread_no) .. '-' .. n .. '"}]}')
  end
end

local pace_ms = tonumber(os.getenv("PACE_MS") or "0")
if pace_ms > 0 then
  function delay()
    return pace_ms
  end
end

function done(summary, latency, requests)
  io.write(string.format("p99.9 %.2fms\n", latency:percentile(99.9) / 1000))
end
