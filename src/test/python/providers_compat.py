"""The official Anthropic, Google Gen AI, Azure OpenAI (openai) and Mistral Python SDKs, unmodified, against a running
BudgetGuard gateway whose providers file routes each to a stand-in speaking that provider's wire format.

Env: GATEWAY (gateway root URL), KEY_OK, KEY_BROKE (budget too small), KEY_LIMITED (1 request/min each is spent by
the script), KEY_LIMITED_2, KEY_LIMITED_3, KEY_LIMITED_4. Prints one JSON line; exits non-zero on the first surprise.
"""
import json
import os
import sys

import anthropic
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from mistralai.client import Mistral
from mistralai.client import errors as mistral_errors

GW = os.environ["GATEWAY"]
OK, BROKE = os.environ["KEY_OK"], os.environ["KEY_BROKE"]
out = {}
MSG = [{"role": "user", "content": "hi"}]


def expect_status(call, cls, status, attr="status_code"):
    try:
        call()
    except cls as e:
        got = getattr(e, attr)
        assert got == status, (cls.__name__, got, str(e))
        return e
    sys.exit(f"expected {cls.__name__} {status}")


# ---- Anthropic ----------------------------------------------------------------------------------------------------
ant = anthropic.Anthropic(base_url=GW, api_key=OK, max_retries=0, timeout=30)
m = ant.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MSG)
assert m.content[0].text == "Hello from the fake Anthropic.", m
assert m.usage.input_tokens == 25 and m.usage.cache_creation_input_tokens == 100 and m.usage.cache_read_input_tokens == 40, m.usage
with ant.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=MSG) as s:
    text = "".join(s.text_stream)
    final = s.get_final_message()
assert text == "Hello from the fake Anthropic stream.", text
assert final.usage.output_tokens == 15 and final.usage.cache_read_input_tokens == 40, final.usage
alias = ant.messages.create(model="fast", max_tokens=10, messages=MSG)
assert alias.model == "claude-haiku-4-5", alias.model
assert ant.messages.count_tokens(model="claude-haiku-4-5", messages=MSG).input_tokens == 25
expect_status(lambda: anthropic.Anthropic(base_url=GW, api_key=BROKE, max_retries=0).messages.create(
    model="claude-haiku-4-5", max_tokens=100, messages=MSG), anthropic.APIStatusError, 402)
limited = anthropic.Anthropic(base_url=GW, api_key=os.environ["KEY_LIMITED"], max_retries=0)
limited.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=MSG)
expect_status(lambda: limited.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=MSG), anthropic.RateLimitError, 429)
expect_status(lambda: anthropic.Anthropic(base_url=GW, api_key="bg_not_a_key", max_retries=0).messages.create(
    model="claude-haiku-4-5", max_tokens=10, messages=MSG), anthropic.AuthenticationError, 401)
expect_status(lambda: ant.messages.create(model="gemini-2.5-flash", max_tokens=10, messages=MSG), anthropic.BadRequestError, 400)
out["anthropic"] = anthropic.__version__

# ---- Google Gen AI (Gemini) ----------------------------------------------------------------------------------------
def gemini(key):
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=GW, timeout=30_000))


g = gemini(OK)
cfg = types.GenerateContentConfig(max_output_tokens=200)
r = g.models.generate_content(model="gemini-2.5-flash", contents="hi", config=cfg)
assert r.text == "Hello from the fake Gemini.", r
assert r.usage_metadata.prompt_token_count == 30 and r.usage_metadata.thoughts_token_count == 8, r.usage_metadata
chunks = list(g.models.generate_content_stream(model="gemini-2.5-flash", contents="hi", config=cfg))
assert "".join(c.text for c in chunks) == "Hello from the fake Gemini stream.", chunks
assert chunks[-1].usage_metadata.candidates_token_count == 12
assert g.models.count_tokens(model="gemini-2.5-flash", contents="hi").total_tokens == 30
broke = gemini(BROKE)  # held: a Client closes its connections when it is collected
expect_status(lambda: broke.models.generate_content(model="gemini-2.5-flash", contents="hi", config=cfg),
              genai_errors.ClientError, 402, "code")
gl = gemini(os.environ["KEY_LIMITED_2"])
gl.models.generate_content(model="gemini-2.5-flash", contents="hi", config=cfg)
expect_status(lambda: gl.models.generate_content(model="gemini-2.5-flash", contents="hi", config=cfg),
              genai_errors.ClientError, 429, "code")
out["google_genai"] = genai.__version__

# ---- Azure OpenAI ----------------------------------------------------------------------------------------------------
az = openai.AzureOpenAI(azure_endpoint=GW, api_key=OK, api_version="2024-10-21", max_retries=0, timeout=30)
c = az.chat.completions.create(model="prod-gpt4o", messages=MSG, max_tokens=50)
assert c.choices[0].message.content == "Hello from the fake provider." and c.usage.prompt_tokens == 12, c
streamed = list(az.chat.completions.create(model="prod-gpt4o", messages=MSG, max_tokens=50, stream=True))
assert "".join(x.choices[0].delta.content or "" for x in streamed if x.choices) == "Hello from the fake provider stream."
e = az.embeddings.create(model="prod-embed", input="hi")
assert e.data[0].embedding == [0.25, -0.5], e
v1 = openai.OpenAI(base_url=GW + "/openai/v1/", api_key=OK, max_retries=0, timeout=30)
assert v1.chat.completions.create(model="prod-gpt4o", messages=MSG, max_tokens=50).usage.completion_tokens == 5
expect_status(lambda: openai.AzureOpenAI(azure_endpoint=GW, api_key=BROKE, api_version="2024-10-21", max_retries=0)
              .chat.completions.create(model="prod-gpt4o", messages=MSG, max_tokens=50), openai.APIStatusError, 402)
azl = openai.AzureOpenAI(azure_endpoint=GW, api_key=os.environ["KEY_LIMITED_3"], api_version="2024-10-21", max_retries=0)
azl.chat.completions.create(model="prod-gpt4o", messages=MSG, max_tokens=50)
expect_status(lambda: azl.chat.completions.create(model="prod-gpt4o", messages=MSG, max_tokens=50), openai.RateLimitError, 429)
out["azure_openai"] = openai.__version__

# ---- Mistral (an openai-compatible provider) -----------------------------------------------------------------------
mi = Mistral(api_key=OK, server_url=GW, timeout_ms=30_000)
mc = mi.chat.complete(model="mistral-small-latest", messages=MSG, max_tokens=50)
assert mc.choices[0].message.content == "Hello from the fake provider." and mc.usage.prompt_tokens == 12, mc
events = list(mi.chat.stream(model="mistral-small-latest", messages=MSG, max_tokens=50))
assert "".join(ev.data.choices[0].delta.content or "" for ev in events) == "Hello from the fake provider stream."
assert events[-1].data.usage.completion_tokens == 5
expect_status(lambda: Mistral(api_key=BROKE, server_url=GW).chat.complete(model="mistral-small-latest", messages=MSG,
              max_tokens=50), mistral_errors.SDKError, 402)
ml = Mistral(api_key=os.environ["KEY_LIMITED_4"], server_url=GW)
ml.chat.complete(model="mistral-small-latest", messages=MSG, max_tokens=50)
expect_status(lambda: ml.chat.complete(model="mistral-small-latest", messages=MSG, max_tokens=50), mistral_errors.SDKError, 429)
out["mistral"] = True

print(json.dumps(out))
