"""The official OpenAI Python SDK's multipart uploads through a running BudgetGuard gateway: transcriptions
(whisper-1 by its seconds, a transcribe model by its tokens, streamed), a translation, image edits and a variation.

Env: BASE_URL (gateway /v1), KEY (a tenant's key), KEY_BROKE (a tenant whose budget is below a long upload),
WORK (a directory for the files it makes). Writes WORK/speech.wav (3 s of 16 kHz mono 16-bit PCM), prints one JSON
line, and exits non-zero on the first surprise.
"""
import json
import math
import os
import struct
import sys
import wave

import openai
from openai import OpenAI

BASE = os.environ["BASE_URL"]
WORK = os.environ["WORK"]
client = OpenAI(base_url=BASE, api_key=os.environ["KEY"], max_retries=0, timeout=60)
broke = OpenAI(base_url=BASE, api_key=os.environ["KEY_BROKE"], max_retries=0, timeout=60)
out = {"sdk": "python", "version": openai.__version__}

wav_path = os.path.join(WORK, "speech.wav")
with wave.open(wav_path, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 10))) for i in range(16000 * 3)))

with open(wav_path, "rb") as f:
    t = client.audio.transcriptions.create(model="whisper-1", file=f)
assert t.text.startswith("heard "), t
out["whisper"] = t.text

with open(wav_path, "rb") as f:
    v = client.audio.transcriptions.create(model="whisper-1", file=f, response_format="verbose_json")
assert abs(v.duration - 3.0) < 0.01, v
out["verbose_duration"] = v.duration

with open(wav_path, "rb") as f:
    g = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=f)
assert g.usage is not None and g.usage.input_tokens == 30, g.usage
out["transcribe_tokens"] = g.usage.input_tokens

with open(wav_path, "rb") as f:
    events = list(client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=f, stream=True))
assert events[-1].type == "transcript.text.done", events
out["streamed_events"] = len(events)

with open(wav_path, "rb") as f:
    tr = client.audio.translations.create(model="whisper-1", file=f)
assert tr.text.startswith("heard "), tr
out["translation"] = tr.text

png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cf60000002020100a3a5d6b00000000049454e44ae426082")
png_path = os.path.join(WORK, "one.png")
with open(png_path, "wb") as f:
    f.write(png)

with open(png_path, "rb") as f:
    e = client.images.edit(model="dall-e-2", image=f, prompt="add a hat", n=2, size="256x256")
assert len(e.data) == 2, e
out["edits"] = len(e.data)

with open(png_path, "rb") as a, open(png_path, "rb") as b:
    e2 = client.images.edit(model="gpt-image-1", image=[a, b], prompt="merge them", quality="low", size="1024x1024")
assert e2.usage is not None and e2.usage.output_tokens == 272, e2.usage
out["gpt_image_edit_tokens"] = e2.usage.output_tokens

with open(png_path, "rb") as f:
    var = client.images.create_variation(image=f, n=1, size="512x512")
assert len(var.data) == 1, var
out["variation"] = len(var.data)

try:
    with open(wav_path, "rb") as f:
        client.audio.transcriptions.create(model="whisper-9", file=f)
    sys.exit("an unpriced transcription model was accepted")
except openai.BadRequestError as err:
    assert "whisper-9" in str(err), err

long_path = os.path.join(WORK, "long.mp3")
with open(long_path, "wb") as f:
    f.write(os.urandom(400_000))
try:
    with open(long_path, "rb") as f:
        broke.audio.transcriptions.create(model="whisper-1", file=f)
    sys.exit("an upload that can last longer than the budget pays for was accepted")
except openai.APIStatusError as err:
    assert err.status_code == 402, err.status_code
    out["over_budget"] = err.status_code

print(json.dumps(out))
