// The official OpenAI Node SDK against a running BudgetGuard gateway, as an application would use it.
// Env: BASE_URL, KEY_OK, KEY_BROKE, KEY_LIMITED, CONTROL_URL. Prints one JSON line; exits non-zero on a surprise.
import OpenAI from "openai";
import assert from "node:assert/strict";

const BASE = process.env.BASE_URL;
const MSG = [{ role: "user", content: "hi" }];
const client = (key, maxRetries = 0) => new OpenAI({ baseURL: BASE, apiKey: key, maxRetries, timeout: 30_000 });
const ok = client(process.env.KEY_OK);
const out = { sdk: "node" };

async function expectError(cls, status, code, call) {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof cls, `${e.constructor.name} is not ${cls.name}`);
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    return e;
  }
  throw new Error(`expected ${cls.name} ${status} ${code}`);
}

const chat = await ok.chat.completions.create({ model: "gpt-4o-mini", messages: MSG, max_tokens: 50 });
assert.equal(chat.choices[0].message.content, "Hello from the fake upstream.");
assert.equal(chat.usage.prompt_tokens, 12);

let text = "";
let chunks = 0;
for await (const c of await ok.chat.completions.create({ model: "gpt-4o-mini", messages: MSG, max_tokens: 50, stream: true })) {
  assert.ok(c.choices.length > 0, "usage chunk stripped when not asked for");
  text += c.choices[0].delta.content ?? "";
  chunks++;
}
assert.equal(text, "Hello from the fake stream.");
out.stream = chunks;

let last;
for await (const c of await ok.chat.completions.create({ model: "gpt-4o-mini", messages: MSG, max_tokens: 50, stream: true,
                                                          stream_options: { include_usage: true } })) last = c;
assert.equal(last.usage.completion_tokens, 5);
assert.deepEqual(last.choices, []);

const comp = await ok.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "hi", max_tokens: 20 });
assert.equal(comp.choices[0].text, "Hello from the fake upstream.");
const emb = await ok.embeddings.create({ model: "text-embedding-3-small", input: "hello" });
assert.deepEqual(emb.data[0].embedding.map((x) => Math.round(x * 100) / 100), [0.25, -0.5, 0.75]);
const resp = await ok.responses.create({ model: "gpt-4o", input: "hi", max_output_tokens: 50 });
assert.equal(resp.output_text, "Hello from the fake upstream.");
const types = [];
for await (const e of await ok.responses.create({ model: "gpt-4o", input: "hi", max_output_tokens: 50, stream: true })) types.push(e.type);
assert.equal(types.at(-1), "response.completed");
const models = [];
for await (const m of ok.models.list()) models.push(m.id);
assert.ok(models.includes("gpt-4o-mini"));

await expectError(OpenAI.AuthenticationError, 401, "invalid_api_key",
  () => client("bg_wrong").chat.completions.create({ model: "gpt-4o-mini", messages: MSG }));
const broke = await expectError(OpenAI.APIError, 402, "budget_exceeded",
  () => client(process.env.KEY_BROKE).chat.completions.create({ model: "gpt-4o-mini", messages: MSG }));
assert.match(broke.message, /monthly/);
await expectError(OpenAI.PermissionDeniedError, 403, "policy_denied",
  () => ok.chat.completions.create({ model: "o1", messages: MSG, max_tokens: 5 }));
await expectError(OpenAI.BadRequestError, 400, "invalid_request",
  () => ok.chat.completions.create({ model: "no-such-model", messages: MSG }));
out.typed_errors = true;

const limited = client(process.env.KEY_LIMITED);
for (let i = 0; i < 2; i++) await limited.chat.completions.create({ model: "gpt-4o-mini", messages: MSG, max_tokens: 5 });
const rl = await expectError(OpenAI.RateLimitError, 429, "rate_limit_exceeded",
  () => limited.chat.completions.create({ model: "gpt-4o-mini", messages: MSG, max_tokens: 5 }));
assert.ok(Number(rl.headers.get("retry-after")) >= 1);

await fetch(`${process.env.CONTROL_URL}?ms=58500`, { method: "POST" });
const again = await expectError(OpenAI.RateLimitError, 429, "rate_limit_exceeded",
  () => limited.chat.completions.create({ model: "gpt-4o-mini", messages: MSG, max_tokens: 5 }));
const waitFor = Number(again.headers.get("retry-after-ms")) / 1000;
const start = performance.now();
const retried = await client(process.env.KEY_LIMITED, 2).chat.completions.create({ model: "gpt-4o-mini", messages: MSG, max_tokens: 5 });
const elapsed = (performance.now() - start) / 1000;
assert.ok(retried.choices[0].message.content);
assert.ok(elapsed >= waitFor - 0.5, `retried after ${elapsed}s, Retry-After said ${waitFor}s`);
out.retry_after_honoured_s = Math.round(elapsed * 100) / 100;
out.retry_after_s = waitFor;

console.log(JSON.stringify(out));
