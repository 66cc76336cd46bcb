"""schemathesis hooks for scripts/contract-fuzz.

Every POST takes an optional `Idempotency-Key`. The generator draws few distinct keys, so most
keyed POSTs would reuse one with another body and stop at `422 idempotency_key_reuse` before the
handler. A well-formed key is made unique (deterministically, so a seed still replays the run);
malformed ones (empty, too long, not visible ASCII) are sent as drawn, to test their rejection.
"""

import itertools
import re

import schemathesis

_WELL_FORMED = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_counter = itertools.count(1)


@schemathesis.hook
def map_headers(context, headers):
    key = (headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and len(key) <= 200 and _WELL_FORMED.fullmatch(key):
        headers["Idempotency-Key"] = f"{key}-{next(_counter)}"
    return headers
