"""Drives a running BudgetGuard gateway with the official OpenAI Python SDK, as an application would.

Usage: BASE_URL=http://127.0.0.1:PORT/v1 API_KEY=bg_... python3 sdk_smoke.py
Prints one JSON object with what each call returned; exits non-zero on the first surprise.
"""
import json
import os
import sys

import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"], api_key=os.environ["API_KEY"], max_retries=0, timeout=30)
out = {"sdk_version": openai.__version__}

chat = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
assert chat.choices[0].message.content == "Hello from the fake upstream.", chat
assert chat.usage.prompt_tokens == 12 and chat.usage.completion_tokens == 5, chat.usage
out["chat"] = chat.choices[0].message.content

chunks = list(client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                             messages=[{"role": "user", "content": "hi"}]))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
assert text == "Hello from the fake stream.", text
assert all(c.choices for c in chunks), "the usage chunk must be stripped when not asked for"
out["stream"] = text

chunks = list(client.chat.completions.create(model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
                                             messages=[{"role": "user", "content": "hi"}]))
assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5, chunks[-1]
out["stream_usage"] = chunks[-1].usage.total_tokens

emb = client.embeddings.create(model="text-embedding-3-small", input="hello")
assert [round(x, 2) for x in emb.data[0].embedding] == [0.25, -0.5, 0.75], emb.data[0].embedding
out["embedding_dims"] = len(emb.data[0].embedding)

comp = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="hi")
assert comp.choices[0].text == "Hello from the fake upstream.", comp
out["completion"] = comp.choices[0].text

resp = client.responses.create(model="gpt-4o", input="hi")
assert resp.output_text == "Hello from the fake upstream.", resp
assert resp.usage.input_tokens == 12, resp.usage
out["response"] = resp.output_text

events = [e.type for e in client.responses.create(model="gpt-4o", input="hi", stream=True)]
assert events[-1] == "response.completed", events
out["response_stream_events"] = len(events)

models = [m.id for m in client.models.list()]
assert "gpt-4o-mini" in models, models
out["models"] = len(models)

bad = OpenAI(base_url=os.environ["BASE_URL"], api_key="bg_wrong", max_retries=0)
try:
    bad.chat.completions.create(model="gpt-4o-mini", messages=[])
    sys.exit("a wrong key was accepted")
except openai.AuthenticationError as e:
    assert e.status_code == 401 and e.code == "invalid_api_key", (e.status_code, e.code)
    out["bad_key"] = e.code

try:
    client.chat.completions.create(model="no-such-model", messages=[])
    sys.exit("an unpriced model was accepted")
except openai.BadRequestError as e:
    assert e.status_code == 400 and e.code == "invalid_request", (e.status_code, e.code)
    out["unknown_model"] = e.code

print(json.dumps(out))
