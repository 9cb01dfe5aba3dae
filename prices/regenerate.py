#!/usr/bin/env python3
"""Regenerates src/main/resources/prices.json from Pydantic's genai-prices dataset (MIT licence).

Why genai-prices: it is a maintained, openly licensed dataset (MIT), published as a versioned package on PyPI and
npm, with each price's history (start dates), its tiers (long-context prices) and its match rules per model, which
LiteLLM's JSON does not separate from its routing data. Usage:

    python3 prices/regenerate.py            # downloads genai-prices==VERSION from PyPI, rewrites prices.json
    python3 prices/regenerate.py --check    # exits 1 when the shipped prices.json differs from what it would write

OpenAI's text-priced models make the "models" list; the providers in OTHER_PROVIDERS make a list each under
"providers" (the gateway looks a model up only in its provider's list). The rules below can only over-bill or refuse,
never under-bill:
- a model's price is the one in effect today, or a later scheduled one when that is higher;
- audio and image-input rates, where the dataset has them, raise the token rate they apply to (the ledger does not
  split those tokens), so every token is charged at least its real rate; so do cache-write rates in OpenAI's list;
  the other lists keep cache writes apart ("cache_write", "cache_write_1h"), as Anthropic reports those tokens apart;
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
# Lists beside OpenAI's: genai-prices provider ids, each the price list a providers-file entry names.
OTHER_PROVIDERS = ("anthropic", "google", "mistral", "deepseek", "groq", "x-ai")
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


def rates(price, name, split_cache_writes=False):
    """input, cached input, output (and cache writes when split) as (base, tiers); None when unmeterable."""
    get = lambda k: tiers_of(getattr(price, k, None))
    embedding = name.startswith("text-embedding")
    if any(getattr(price, k, None) is not None for k in UNMETERED):
        return None
    if any(a in name for a in AUDIO_NAMES) and get("input_audio_mtok") is None and get("output_audio_mtok") is None:
        return None  # an audio model listed at its text rates only: its audio tokens would be under-billed
    if get("input_mtok") is None or (get("output_mtok") is None and not embedding):
        return None
    inp = higher(higher(get("input_mtok"), get("input_audio_mtok")), get("input_image_mtok"))
    if not split_cache_writes:
        inp = higher(inp, get("cache_write_mtok"))
    cached = get("cache_read_mtok") or get("input_mtok")
    cached = higher(higher(cached, get("cache_audio_read_mtok")), get("cache_image_read_mtok"))
    out = higher(get("output_mtok") or (decimal.Decimal(0), []), get("output_audio_mtok"))
    if not split_cache_writes:
        return inp, cached, out
    write = higher(get("cache_write_mtok") or inp, inp)
    write_1h = higher(get("cache_write_1h_mtok") or write, write)
    return inp, cached, out, write, write_1h


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


# The most one input image can cost where the provider publishes a bound: Anthropic scales images to at most
# 1.15 megapixels, about 1,600 tokens. Other providers price images by tiles or patches without one, so there an
# image is bounded only by the context window.
IMAGE_MAX_TOKENS = {"anthropic": 1600}


def entry(model_name, r, limits, context_window, openai=True, provider_id="openai"):
    inp, cached, out = r[:3]
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
    if openai:
        e["encoding"] = lim.get("encoding", "cl100k_base" if base_name.startswith(CL100K) and not base_name.startswith("gpt-4o")
                                and not base_name.startswith("gpt-4.") else "o200k_base")
    else:
        # No local tokenizer: at most one token per UTF-8 byte (byte-level BPE, and SentencePiece with byte fallback).
        e["encoding"] = "utf8_bytes"
        # Base rates only: in a long-context tier the gateway keeps the cache-write rates' ratio to the input rate.
        e["cache_write"] = number(r[3][0])
        e["cache_write_1h"] = number(r[4][0])
        e["image_max_tokens"] = IMAGE_MAX_TOKENS.get(provider_id, ctx)
    e["context_window"] = ctx
    e.setdefault("image_max_tokens", lim.get("image_max_tokens", 1445))
    return e


def build_other(data, today, provider_id):
    """A provider's list: its exact names and aliases, at today's (or a later, higher) price."""
    limits = json.load(open(LIMITS))["models"]
    provider = [p for p in data.providers if p.id == provider_id][0]
    models = {}
    for m in provider.models:
        candidates = [rates(p, m.id, split_cache_writes=True) for p in current_price(m, today)]
        if any(c is None for c in candidates):
            continue
        r = candidates[0]
        for c in candidates[1:]:
            r = tuple(higher(a, b) for a, b in zip(r, c))
        for n in [m.id] + names(m.match):
            if n not in models:
                models[n] = entry(n, r, limits, m.context_window, openai=False, provider_id=provider_id)
    return dict(sorted(models.items()))


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


def render(models, others, today):
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
    lines += ["  },", '  "providers": {']
    for j, (pid, pm) in enumerate(others.items()):
        lines.append("    " + json.dumps(pid) + ': {"models": {')
        items = list(pm.items())
        for i, (k, v) in enumerate(items):
            lines.append("      " + json.dumps(k) + ": " + json.dumps(v) + ("," if i < len(items) - 1 else ""))
        lines.append("    }}" + ("," if j < len(others) - 1 else ""))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def main():
    check = "--check" in sys.argv
    shipped = json.load(open(OUT)) if os.path.exists(OUT) else {}
    generated = shipped.get("_source", {}).get("generated")
    # --check reproduces the shipped table as of the day it was generated (prices scheduled later are already in it).
    today = datetime.date.fromisoformat(generated) if check and generated else datetime.date.today()
    data = load_dataset()
    text = render(build(data, today), {pid: build_other(data, today, pid) for pid in OTHER_PROVIDERS}, today)
    if check:
        same = open(OUT).read() == text
        print("prices.json matches genai-prices " + VERSION if same else "prices.json differs from genai-prices " + VERSION)
        sys.exit(0 if same else 1)
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote " + OUT)


if __name__ == "__main__":
    main()
