"""The official OpenAI Python SDK's realtime client (websockets) through a running BudgetGuard gateway: responses
until the budget runs out mid-session, which ends the session with an error event; a tenant whose budget is below
one response's worst case is told so as the session opens.

Env: BASE_URL (gateway /v1), WS_URL (the gateway's realtime listener, ws://.../v1), KEY, KEY_BROKE.
Prints one JSON line; exits non-zero on the first surprise.
"""
import json
import os
import sys

import openai
from openai import OpenAI

out = {"sdk": "python", "version": openai.__version__}


def session(key, asks):
    client = OpenAI(base_url=os.environ["BASE_URL"], websocket_base_url=os.environ["WS_URL"], api_key=key, max_retries=0)
    done, error = 0, None
    with client.realtime.connect(model="gpt-4o-mini-realtime-preview") as conn:
        try:
            first = conn.recv()
            if first.type == "error":
                return done, first.error
            assert first.type == "session.created", first
            for _ in range(asks):
                try:
                    conn.response.create()
                except Exception:
                    pass  # the gateway may have closed the session already; its error event is still to be read
                while True:
                    event = conn.recv()
                    if event.type == "response.done":
                        assert event.response.usage.output_tokens == 5000, event
                        done += 1
                        break
                    if event.type == "error":
                        error = event.error
                        break
                if error is not None:
                    break
        except Exception as e:
            # The gateway sends its error event, then closes with the same code as the close reason. This SDK may
            # meet the close first (in a send, which it answers by reconnecting): then the close reason says why.
            if error is None:
                rcvd = getattr(e, "rcvd", None) or getattr(getattr(e, "__cause__", None), "rcvd", None)
                out.setdefault("closed", []).append(type(e).__name__)
                if rcvd is not None and rcvd.reason:
                    error = type("CloseReason", (), {"code": rcvd.reason, "close_code": rcvd.code})()
    return done, error


done, error = session(os.environ["KEY"], 6)
assert done == 3, (done, error, out)
assert error is not None and error.code == "budget_exceeded", (error, out)
out["responses"] = done
out["error"] = error.code

done, error = session(os.environ["KEY_BROKE"], 1)
assert done == 0 and error is not None and error.code == "budget_exceeded", (done, error)
out["broke"] = error.code
print(json.dumps(out))
