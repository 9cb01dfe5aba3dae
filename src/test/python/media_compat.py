"""The official OpenAI Python SDK's image generation, text to speech and moderation through a running BudgetGuard gateway.

Env: BASE_URL (gateway /v1), KEY (a tenant's key), KEY_BROKE (a tenant whose budget is below one HD image).
Prints one JSON line; exits non-zero on the first surprise.
"""
import json
import os
import sys

import openai
from openai import OpenAI

BASE = os.environ["BASE_URL"]
client = OpenAI(base_url=BASE, api_key=os.environ["KEY"], max_retries=0, timeout=30)
broke = OpenAI(base_url=BASE, api_key=os.environ["KEY_BROKE"], max_retries=0, timeout=30)
out = {"sdk": "python", "version": openai.__version__}

hd = client.images.generate(model="dall-e-3", prompt="a lighthouse at dusk", size="1792x1024", quality="hd", n=1)
assert len(hd.data) == 1 and hd.data[0].b64_json, hd
assert hd.data[0].revised_prompt == "a lighthouse at dusk", hd.data[0]
out["dall_e_3"] = hd.created

two = client.images.generate(model="dall-e-2", prompt="a cat", size="512x512", n=2)
assert len(two.data) == 2, two
out["dall_e_2_images"] = len(two.data)

tok = client.images.generate(model="gpt-image-1", prompt="a watercolour fox", quality="low", size="1024x1024")
assert tok.usage is not None and tok.usage.output_tokens == 272, tok.usage
out["gpt_image_1_output_tokens"] = tok.usage.output_tokens

try:
    client.images.generate(model="dall-e-3", prompt="x", size="640x480")
    sys.exit("an unpriced size was accepted")
except openai.BadRequestError as e:
    assert e.status_code == 400 and "size" in str(e), e
    out["unpriced_size"] = e.code

try:
    broke.images.generate(model="dall-e-3", prompt="x", size="1024x1024", quality="hd")
    sys.exit("an image above the budget was accepted")
except openai.APIStatusError as e:
    assert e.status_code == 402, e.status_code
    out["over_budget"] = e.status_code

speech = client.audio.speech.create(model="tts-1-hd", voice="alloy", input="Bonjour, ça va ?")
assert speech.content == "ID3fake-mp3:alloy:Bonjour, ça va ?".encode(), speech.content
out["speech_bytes"] = len(speech.content)

with client.audio.speech.with_streaming_response.create(model="tts-1", voice="nova", input="streamed to a file") as r:
    chunks = b"".join(r.iter_bytes())
assert chunks.startswith(b"ID3fake-mp3:nova"), chunks
out["speech_streamed"] = len(chunks)

try:
    client.audio.speech.create(model="tts-1", voice="alloy", input="x" * 4097)
    sys.exit("an input over 4096 characters was accepted")
except openai.BadRequestError as e:
    assert "input" in str(e), e

mod = client.moderations.create(model="omni-moderation-latest", input="a harmless sentence")
assert mod.results[0].flagged is False, mod
out["moderation"] = mod.id

print(json.dumps(out))
