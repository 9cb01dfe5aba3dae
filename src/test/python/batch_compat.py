"""The official OpenAI Python SDK's files and batches through a running BudgetGuard gateway, with two tenants: each
sees and uses only its own files and batches, whatever ids it presents.

Env: BASE_URL (gateway /v1), KEY (tenant A), KEY_OTHER (tenant B), KEY_BROKE (a tenant whose budget is below the
batch's worst case). Prints one JSON line (with the batch's id); exits non-zero on the first surprise.
"""
import json
import os
import sys

import openai
from openai import OpenAI

BASE = os.environ["BASE_URL"]
a = OpenAI(base_url=BASE, api_key=os.environ["KEY"], max_retries=0, timeout=60)
b = OpenAI(base_url=BASE, api_key=os.environ["KEY_OTHER"], max_retries=0, timeout=60)
broke = OpenAI(base_url=BASE, api_key=os.environ["KEY_BROKE"], max_retries=0, timeout=60)
out = {"sdk": "python", "version": openai.__version__}

lines = "".join(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "gpt-4o-mini", "max_tokens": 1000,
                                     "messages": [{"role": "user", "content": f"question {i}"}]}}) + "\n" for i in range(3))
f = a.files.create(file=("input.jsonl", lines.encode()), purpose="batch")
assert f.id.startswith("file-") and f.purpose == "batch", f
assert a.files.retrieve(f.id).bytes == len(lines.encode())
assert a.files.content(f.id).content == lines.encode()
assert [x.id for x in a.files.list()] == [f.id], "A lists its own file"
out["file"] = f.id

assert list(b.files.list()) == [], "B lists none of A's files"
for call in (lambda: b.files.retrieve(f.id), lambda: b.files.content(f.id), lambda: b.files.delete(f.id),
             lambda: b.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h")):
    try:
        call()
        sys.exit("tenant B reached tenant A's file")
    except openai.NotFoundError:
        pass

bf = broke.files.create(file=("input.jsonl", lines.encode()), purpose="batch")
try:
    broke.batches.create(input_file_id=bf.id, endpoint="/v1/chat/completions", completion_window="24h")
    sys.exit("a batch above the budget was accepted")
except openai.APIStatusError as e:
    assert e.status_code == 402, e.status_code
    out["over_budget"] = e.status_code

batch = a.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h")
assert batch.id.startswith("batch_"), batch
assert a.batches.retrieve(batch.id).status == "in_progress"
assert [x.id for x in a.batches.list()] == [batch.id]
assert list(b.batches.list()) == []
for call in (lambda: b.batches.retrieve(batch.id), lambda: b.batches.cancel(batch.id)):
    try:
        call()
        sys.exit("tenant B reached tenant A's batch")
    except openai.NotFoundError:
        pass
out["batch"] = batch.id

try:
    a.batches.create(input_file_id=f.id, endpoint="/v1/images/generations", completion_window="24h")
    sys.exit("a batch for an endpoint that cannot be estimated was accepted")
except openai.BadRequestError as e:
    assert "endpoint" in str(e) or "batch runs" in str(e), e

print(json.dumps(out))
