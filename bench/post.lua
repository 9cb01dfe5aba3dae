-- wrk script: a small chat completion through whatever is at the target, authenticated with $KEY.
-- With PACE_MS set, each connection waits that long between requests (a paced rate for latency; wrk's latency
-- excludes the wait). done() prints p99.9, which wrk's --latency table leaves out.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KEY") or "none")
wrk.body = '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello in five words."}]}'

local pace_ms = tonumber(os.getenv("PACE_MS") or "0")
if pace_ms > 0 then
  function delay()
    return pace_ms
  end
end

function done(summary, latency, requests)
  io.write(string.format("p99.9 %.2fms\n", latency:percentile(99.9) / 1000))
end
