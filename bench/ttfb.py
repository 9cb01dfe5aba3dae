"""Time to the first SSE event of a streamed completion, sequential requests on one keep-alive connection.

Usage: ttfb.py URL KEY N  -> N warm-up requests, then N measured; prints p50/p99 in microseconds. The client is the same for every target, so its own
overhead cancels out in the difference between the gateway and the upstream it fronts.
"""
import http.client
import sys
import time
from urllib.parse import urlparse

url, key, n = urlparse(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = b'{"model":"gpt-4o-mini","max_tokens":16,"stream":true,"stream_options":{"include_usage":true},"prompt":"Say hello."}'
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + key}
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
samples = []
for i in range(2 * n):
    t0 = time.perf_counter_ns()
    conn.request("POST", url.path, body, headers)
    r = conn.getresponse()
    if r.status != 200:
        sys.exit(f"status {r.status}: {r.read()[:300]!r}")
    first = r.readline()
    while not first.startswith(b"data:"):
        if not first:  # the body ended without a data: line: an error, not a wait
            sys.exit(f"status {r.status} but no 'data:' line in the response")
        first = r.readline()
    t1 = time.perf_counter_ns()
    r.read()
    if i >= n:  # the first n warm up (JIT of the streaming path)
        samples.append((t1 - t0) / 1000)
samples.sort()
print(f"p50 {samples[len(samples) // 2]:.0f} p99 {samples[int(len(samples) * 0.99)]:.0f}")
