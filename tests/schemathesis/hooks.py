"""schemathesis hooks for scripts/schemathesis.sh.

One custom check, `refusal_changes_nothing`: a request the service refused
(HTTP 4xx, or the envelope's `code` other than 0) must leave the stored data
as it was. Before every mutating call (POST, PUT, PATCH, DELETE) the SQLite
database named by WXC_SCHEMATHESIS_DB is fingerprinted (per table: row count
and a SHA-256 of every row, read-only); after a refusal the fingerprint must
be the same.

Tables left out, because something other than the request writes them while
the run goes on, or a refusal writes them on purpose:
- wxtoken, comm: tokens and tickets refreshed by the admin's background
  worker and by wxsim's ticket pushes (comm also holds the ticket);
- counter: the admin's login lockout counts failed logins there (a refused
  login is recorded by design);
- wxcallback_component, wxcallback_dedup, wxc_push_refusals: wxsim's pushes;
- wxc_campaign_rate, wxc_campaign_accounts, wxc_campaigns: the campaign
  runner works campaigns in the background once one exists.
"""

import hashlib
import os
import sqlite3

import schemathesis

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
VOLATILE = {
    "wxtoken",
    "comm",
    "counter",
    "wxcallback_component",
    "wxcallback_dedup",
    "wxc_push_refusals",
    "wxc_campaign_rate",
    "wxc_campaign_accounts",
    "wxc_campaigns",
    "__diesel_schema_migrations",
}

_before = {}


def _fingerprint():
    path = os.environ["WXC_SCHEMATHESIS_DB"]
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if row[0] not in VOLATILE and not row[0].startswith("sqlite_")
        ]
        out = {}
        for table in tables:
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
                count += 1
            out[table] = (count, digest.hexdigest())
        return out
    finally:
        conn.close()


def _refused(response):
    if 400 <= response.status_code < 500:
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    code = body.get("code", 0)
    if "errcode" in body:
        code = body.get("errcode") or 0
    return code != 0


@schemathesis.hook
def before_call(context, case):
    if case.method.upper() in MUTATING:
        _before[id(case)] = _fingerprint()


@schemathesis.check
def refusal_changes_nothing(response, case):
    before = _before.pop(id(case), None)
    if before is None or not _refused(response):
        return None
    after = _fingerprint()
    changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
    if changed:
        raise AssertionError(
            f"{case.method} {case.formatted_path} was refused "
            f"(HTTP {response.status_code}: {response.text[:200]}) "
            f"but changed stored data in: {', '.join(changed)}"
        )
    return None
