"""The official OpenAI Python SDK against a running BudgetGuard gateway, as an application would use it.

Env: BASE_URL (gateway /v1), KEY_OK, KEY_BROKE (budget too small), KEY_LIMITED (2 requests/min),
CONTROL_URL (moves the gateway's test clock). Prints one JSON line; exits non-zero on the first surprise.
"""
import json
import os
import sys
import time
import urllib.request

import openai
from openai import OpenAI

BASE = os.environ["BASE_URL"]
ok = OpenAI(base_url=BASE, api_key=os.environ["KEY_OK"], max_retries=0, timeout=30)
out = {"sdk": "python", "version": openai.__version__}
MSG = [{"role": "user", "content": "hi"}]


def expect_error(cls, status, code, call):
    try:
        call()
    except cls as e:
        assert e.status_code == status and e.code == code, (cls.__name__, e.status_code, e.code)
        return e
    sys.exit(f"expected {cls.__name__} {status} {code}")


chat = ok.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_tokens=50)
assert chat.choices[0].message.content == "Hello from the fake upstream.", chat
assert chat.usage.prompt_tokens == 12, chat.usage
out["chat"] = True

chunks = list(ok.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_tokens=50, stream=True))
assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the fake stream."
assert all(c.choices for c in chunks), "the usage chunk is stripped when not asked for"
out["stream"] = len(chunks)

chunks = list(ok.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_tokens=50, stream=True,
                                         stream_options={"include_usage": True}))
assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5 and chunks[-1].choices == []
out["stream_usage"] = chunks[-1].usage.total_tokens

comp = ok.completions.create(model="gpt-3.5-turbo-instruct", prompt="hi", max_tokens=20)
assert comp.choices[0].text == "Hello from the fake upstream.", comp
comp_chunks = list(ok.completions.create(model="gpt-3.5-turbo-instruct", prompt="hi", max_tokens=20, stream=True))
assert "".join(c.choices[0].text for c in comp_chunks if c.choices) == "Hello from the fake stream."
out["completions"] = True

emb = ok.embeddings.create(model="text-embedding-3-small", input="hello")
assert [round(x, 2) for x in emb.data[0].embedding] == [0.25, -0.5, 0.75], emb.data[0].embedding
out["embeddings"] = True

resp = ok.responses.create(model="gpt-4o", input="hi", max_output_tokens=50)
assert resp.output_text == "Hello from the fake upstream." and resp.usage.input_tokens == 12
events = [e.type for e in ok.responses.create(model="gpt-4o", input="hi", max_output_tokens=50, stream=True)]
assert events[0] == "response.created" and events[-1] == "response.completed", events
out["responses"] = True

assert "gpt-4o-mini" in [m.id for m in ok.models.list()]

# Modern models called as most SDK code calls them, without an output limit, pass the default policy's ceiling
# (32,768 here): it reads the limit the client asked for, not the 100k-128k output cap the gateway reserves.
for modern in ("gpt-5", "o4-mini"):
    assert ok.chat.completions.create(model=modern, messages=MSG).choices[0].message.content, modern
out["modern_models_without_limits"] = True

bad = OpenAI(base_url=BASE, api_key="bg_wrong", max_retries=0)
expect_error(openai.AuthenticationError, 401, "invalid_api_key", lambda: bad.chat.completions.create(model="gpt-4o-mini", messages=MSG))
broke = OpenAI(base_url=BASE, api_key=os.environ["KEY_BROKE"], max_retries=0)
e = expect_error(openai.APIStatusError, 402, "budget_exceeded", lambda: broke.chat.completions.create(model="gpt-4o-mini", messages=MSG))
assert "monthly" in e.message, e.message
expect_error(openai.PermissionDeniedError, 403, "policy_denied", lambda: ok.chat.completions.create(model="o1", messages=MSG, max_tokens=5))
expect_error(openai.BadRequestError, 400, "invalid_request", lambda: ok.chat.completions.create(model="no-such-model", messages=MSG))
out["typed_errors"] = True

limited = OpenAI(base_url=BASE, api_key=os.environ["KEY_LIMITED"], max_retries=0)
for _ in range(2):
    limited.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_tokens=5)
e = expect_error(openai.RateLimitError, 429, "rate_limit_exceeded",
                 lambda: limited.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_tokens=5))
assert int(e.response.headers["retry-after"]) >= 1

# Move the gateway's clock to 58.5 s after the two admitted requests: the window frees in ~2.5 s of real time.
urllib.request.urlopen(urllib.request.Request(os.environ["CONTROL_URL"] + "?ms=58500", method="POST")).read()
e = expect_error(openai.RateLimitError, 429, "rate_limit_exceeded",
                 lambda: limited.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_tokens=5))
wait_for = int(e.response.headers["retry-after-ms"]) / 1000
retrying = OpenAI(base_url=BASE, api_key=os.environ["KEY_LIMITED"], max_retries=2)
start = time.monotonic()
retried = retrying.chat.completions.create(model="gpt-4o-mini", messages=MSG, max_tokens=5)
elapsed = time.monotonic() - start
assert retried.choices[0].message.content, retried
assert elapsed >= wait_for - 0.5, (elapsed, wait_for)
out["retry_after_honoured_s"] = round(elapsed, 2)
out["retry_after_s"] = wait_for

print(json.dumps(out))
