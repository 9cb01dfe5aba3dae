"""The official OpenAI Python SDK's background responses through a running BudgetGuard gateway: created at once,
polled, finished by the stand-in, one settled by the client's own retrieve and one by the gateway's worker.

Env: BASE_URL (gateway /v1), KEY (a tenant's key), UPSTREAM (the stand-in's base URL, for its test control).
Prints one JSON line; exits non-zero on the first surprise.
"""
import json
import os
import urllib.request

import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"], api_key=os.environ["KEY"], max_retries=0, timeout=30)
out = {"sdk": "python", "version": openai.__version__}

polled = client.responses.create(model="gpt-4o-mini", input="write an essay", max_output_tokens=2000, background=True)
assert polled.status == "queued" and polled.usage is None, polled
left = client.responses.create(model="gpt-4o-mini", input="and another", max_output_tokens=2000, background=True)
assert client.responses.retrieve(polled.id).status == "in_progress"

urllib.request.urlopen(urllib.request.Request(os.environ["UPSTREAM"] + "/_test/finish-background", method="POST"))
done = client.responses.retrieve(polled.id)
assert done.status == "completed" and done.usage.output_tokens == 500, done
out["polled"] = polled.id
out["left"] = left.id
print(json.dumps(out))
