#!/usr/bin/env python3
"""Regenerates src/main/resources/prices.json from Pydantic's genai-prices dataset (MIT licence).

Why genai-prices: it is a maintained, openly licensed dataset (MIT), published as a versioned package on PyPI and
npm, with each price's history (start dates), its tiers (long-context prices) and its match rules per model, which
LiteLLM's JSON does not separate from its routing data. Usage:

    python3 prices/regenerate.py            # downloads genai-prices==VERSION from PyPI, rewrites prices.json
    python3 prices/regenerate.py --check    # exits 1 when the shipped prices.json differs from what it would write

Only OpenAI's text-priced models are taken. The rules below can only over-bill or refuse, never under-bill:
- a model's price is the one in effect today, or a later scheduled one when that is higher;
- audio, image-input and cache-write rates, where the dataset has them, raise the token rate they apply to
  (the ledger does not yet split those tokens), so every token is charged at least its real rate;
- models priced in units the gateway does not meter (characters, hours, images out, per-call tool fees) are
  left out: the gateway refuses them rather than price them low;
- names are taken from the dataset's exact names and aliases; its prefix and pattern rules are kept only where
  they are dated snapshots, which the gateway matches itself (<base>-YYYY-MM-DD, <base>-MMDD);
- fine-tuned rates become "ft:<base>" entries, used for ft:<base>:<org>:<suffix>:<id>.
Limits the dataset lacks (output caps, tokenizer, image tokens) come from prices/limits.json.
"""
import datetime
import decimal
import json
import os
import subprocess
import sys
import tempfile
import zipfile

VERSION = "0.2.3"
LICENCE = "MIT"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "main", "resources", "prices.json")
LIMITS = os.path.join(ROOT, "prices", "limits.json")
UNMETERED = ("input_mchars", "input_audio_hours", "audio_hours", "output_image_mtok", "web_searches_kcount_only")
AUDIO_NAMES = ("audio", "realtime", "tts", "transcribe", "live", "speech", "whisper")
CL100K = ("gpt-4", "gpt-3.5", "text-embedding", "davinci", "babbage", "ada", "curie", "text-davinci")


def load_dataset():
    work = tempfile.mkdtemp(prefix="genai-prices-")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "-d", work, "genai-prices==" + VERSION], check=True)
    wheel = [f for f in os.listdir(work) if f.endswith(".whl")][0]
    with zipfile.ZipFile(os.path.join(work, wheel)) as z:
        z.extractall(work)
    sys.path.insert(0, work)
    from genai_prices import data  # noqa: E402 (the package just downloaded)
    return data


def tiers_of(value):
    """(base, [(start, price)]) for a Decimal or a TieredPrices."""
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return value, []
    return value.base, [(t.start, t.price) for t in value.tiers]


def higher(a, b):
    """The larger of two rates, tier by tier (None when both are absent)."""
    if a is None:
        return b
    if b is None:
        return a
    starts = sorted({s for s, _ in a[1]} | {s for s, _ in b[1]})
    def at(r, start):
        price = r[0]
        for s, p in r[1]:
            if s <= start:
                price = p
        return price
    return max(a[0], b[0]), [(s, max(at(a, s), at(b, s))) for s in starts]


def rates(price, name):
    """input, cached input, output as (base, tiers); None when the model is priced in units the gateway cannot meter."""
    get = lambda k: tiers_of(getattr(price, k, None))
    embedding = name.startswith("text-embedding")
    if any(getattr(price, k, None) is not None for k in UNMETERED):
        return None
    if any(a in name for a in AUDIO_NAMES) and get("input_audio_mtok") is None and get("output_audio_mtok") is None:
        return None  # an audio model listed at its text rates only: its audio tokens would be under-billed
    if get("input_mtok") is None or (get("output_mtok") is None and not embedding):
        return None
    inp = higher(higher(higher(get("input_mtok"), get("input_audio_mtok")), get("input_image_mtok")), get("cache_write_mtok"))
    cached = get("cache_read_mtok") or get("input_mtok")
    cached = higher(higher(cached, get("cache_audio_read_mtok")), get("cache_image_read_mtok"))
    out = higher(get("output_mtok") or (decimal.Decimal(0), []), get("output_audio_mtok"))
    return inp, cached, out


def current_price(model, today):
    prices = model.prices
    if not isinstance(prices, list):
        return [prices]
    now = model.get_prices(datetime.datetime.combine(today, datetime.time(), datetime.timezone.utc))
    later = [c.prices for c in prices if c.constraint is not None and hasattr(c.constraint, "start_date")
             and c.constraint.start_date > today]
    return [now] + later


def names(clause):
    """Exact names (equals) and snapshot bases (starts_with / dated regex) of a match clause."""
    kind = type(clause).__name__
    if kind == "ClauseEquals":
        return [clause.equals]
    if kind == "ClauseOr":
        return [n for c in clause.or_ for n in names(c)]
    if kind == "ClauseStartsWith" and not clause.starts_with.endswith("-"):
        return [clause.starts_with]
    return []


def number(d):
    return float(d) if d != d.to_integral_value() else int(d)


def entry(model_name, r, limits, context_window):
    inp, cached, out = r
    base_name = model_name[3:] if model_name.startswith("ft:") else model_name
    lim = limits.get(model_name) or limits.get(base_name, {})
    e = {"input": number(inp[0]), "cached_input": number(cached[0]), "output": number(out[0])}
    starts = sorted({s for s, _ in inp[1]} | {s for s, _ in cached[1]} | {s for s, _ in out[1]})
    if starts:
        def at(rate, start):
            price = rate[0]
            for s, p in rate[1]:
                if s <= start:
                    price = p
            return number(price)
        e["tiers"] = [{"above_input_tokens": s, "input": at(inp, s), "cached_input": at(cached, s), "output": at(out, s)}
                      for s in starts]
    ctx = lim.get("context_window") or context_window or 128000
    embedding = base_name.startswith("text-embedding")
    e["max_output_tokens"] = lim.get("max_output_tokens", 0 if embedding else min(ctx, 128000))
    e["encoding"] = lim.get("encoding", "cl100k_base" if base_name.startswith(CL100K) and not base_name.startswith("gpt-4o")
                            and not base_name.startswith("gpt-4.") else "o200k_base")
    e["context_window"] = ctx
    e["image_max_tokens"] = lim.get("image_max_tokens", 1445)
    return e


def build(data, today):
    limits = json.load(open(LIMITS))["models"]
    openai = [p for p in data.providers if p.id == "openai"][0]
    models = {}
    for m in openai.models:
        candidates = [rates(p, m.id) for p in current_price(m, today)]
        if any(c is None for c in candidates):
            continue
        r = candidates[0]
        for c in candidates[1:]:
            r = tuple(higher(a, b) for a, b in zip(r, c))
        if m.id.startswith("ft:"):
            base = m.id[3:].rstrip("-")
            models["ft:" + base] = entry("ft:" + base, r, limits, m.context_window)
            continue
        if ".ft-" in m.id or ":" in m.id:
            continue
        for n in [m.id] + names(m.match):
            if n not in models:
                models[n] = entry(n if n in limits else m.id, r, limits, m.context_window)
    return dict(sorted(models.items()))


def render(models, today):
    head = {
        "_comment": "Generated by prices/regenerate.py from genai-prices " + VERSION + " (" + LICENCE + " licence, "
                    "https://github.com/pydantic/genai-prices) on " + today.isoformat() + "; do not edit, override with "
                    "PRICES_PATH. USD per 1M tokens; tiers apply to the whole request above that many input tokens; "
                    "limits from prices/limits.json.",
        "_source": {"dataset": "genai-prices", "version": VERSION, "licence": LICENCE, "generated": today.isoformat()},
    }
    lines = ["{"] + ["  " + json.dumps(k) + ": " + json.dumps(v) + "," for k, v in head.items()] + ['  "models": {']
    items = list(models.items())
    for i, (k, v) in enumerate(items):
        lines.append("    " + json.dumps(k) + ": " + json.dumps(v) + ("," if i < len(items) - 1 else ""))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def main():
    check = "--check" in sys.argv
    shipped = json.load(open(OUT)) if os.path.exists(OUT) else {}
    generated = shipped.get("_source", {}).get("generated")
    # --check reproduces the shipped table as of the day it was generated (prices scheduled later are already in it).
    today = datetime.date.fromisoformat(generated) if check and generated else datetime.date.today()
    text = render(build(load_dataset(), today), today)
    if check:
        same = open(OUT).read() == text
        print("prices.json matches genai-prices " + VERSION if same else "prices.json differs from genai-prices " + VERSION)
        sys.exit(0 if same else 1)
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote " + OUT)


if __name__ == "__main__":
    main()
