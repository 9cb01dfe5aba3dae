"""The official OpenAI Python SDK's stored-response calls through a running BudgetGuard gateway.

Env: BASE_URL (gateway /v1), KEY (the tenant that creates), KEY_OTHER (another tenant). Prints one JSON line; exits
non-zero on the first surprise.
"""
import json
import os
import sys

import openai
from openai import OpenAI

BASE = os.environ["BASE_URL"]
mine = OpenAI(base_url=BASE, api_key=os.environ["KEY"], max_retries=0, timeout=30)
other = OpenAI(base_url=BASE, api_key=os.environ["KEY_OTHER"], max_retries=0, timeout=30)
out = {"sdk": "python", "version": openai.__version__}

created = mine.responses.create(model="gpt-4o-mini", input="hi", max_output_tokens=50)
got = mine.responses.retrieve(created.id)
assert got.id == created.id, (got.id, created.id)
items = mine.responses.input_items.list(created.id)
assert items.data[0].role == "user", items
cancelled = mine.responses.cancel(created.id)
assert cancelled.status == "cancelled", cancelled.status
out["own"] = created.id

for call in (lambda: other.responses.retrieve(created.id), lambda: other.responses.delete(created.id),
             lambda: other.responses.input_items.list(created.id), lambda: other.responses.cancel(created.id)):
    try:
        call()
        sys.exit("another tenant reached the response")
    except openai.NotFoundError as e:
        assert e.status_code == 404, e
out["other_tenant"] = 404

streamed = None
with mine.responses.stream(model="gpt-4o-mini", input="hi", max_output_tokens=50) as s:
    for _ in s:
        pass
    streamed = s.get_final_response()
assert mine.responses.retrieve(streamed.id).id == streamed.id
out["streamed"] = streamed.id

mine.responses.delete(created.id)
try:
    mine.responses.retrieve(created.id)
    sys.exit("a deleted response was still reachable")
except openai.NotFoundError:
    out["deleted"] = True

print(json.dumps(out))
