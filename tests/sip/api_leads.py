"""Lead lists and do-not-call numbers through the API (t-api-leads.sh).

usage: api_leads.py HTTP_PORT DB
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
from api import Api, audit_entries, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
db = sys.argv[2]
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200
tok = {
    "agent": api.login("acme", "alice", "alice-secret"),
    "sup": api.login("acme", "bob", "bob-secret"),
    "admin": api.login("acme", "ada", "ada-secret"),
    "other": api.login("beta", "carl", "carl-secret"),
}
CSV = {"Content-Type": "text/csv"}


def call(method, path, who, raw=None, headers=None, dpath=None):
    st, b, r = api.call(method, path, tok[who], raw=raw, headers=headers)
    if dpath and isinstance(b, dict):
        check_response(doc, method, dpath, st, b)
    return st, b


leads = ("Telefon,name,plan,priority\n"
         "601 234 567,Jan Kowalski,gold,5\n"
         "+48 601 234 568,\"Nowak, Ewa\",silver,\n"
         "abc,Bad,x,\n"
         "601234567,Again,y,\n"
         "+1 202 555 0143,Joe,z,\n")
path = "/api/v1/lists/nov/leads"

# One bad row: nothing imported, every problem told with line and column.
st, b = call("POST", path + "?map=phone%3DTelefon", "admin", leads, CSV, path.replace("nov", "{id}"))
assert st == 422, (st, b)
assert b["code"] == "bad_rows" and b["bad"] == 1 and b["imported"] == 0, b
assert 'body:4:1: invalid phone number "abc"' in b["messages"], b
st, text = call("GET", path, "sup")
assert st == 200 and text.count("\n") == 1, (st, text)

# skip_bad: the good rows go in, the duplicate within the list is skipped and told.
st, b = call("POST", path + "?map=phone%3DTelefon&skip_bad=true", "admin", leads, CSV,
             path.replace("nov", "{id}"))
assert st == 200, (st, b)
assert (b["rows"], b["imported"], b["bad"], b["duplicates_in_list"]) == (5, 3, 1, 1), b
assert "body:5: +48601234567 is already in list nov (line 2): skipped" in b["messages"], b
st, text = call("GET", path, "sup")
assert st == 200, st
rows = text.strip().split("\n")
assert rows[0].startswith("id,phone,name,timezone,priority,state,attempts"), rows
assert rows[1].startswith("1,+48601234567,Jan Kowalski,,5,ready,0,"), rows
assert rows[3].startswith("3,+12025550143,Joe,"), rows
assert '"{""plan"":""gold""}"' in rows[1], rows

# Another list with one of those numbers: imported, told.
st, b = call("POST", "/api/v1/lists/dec/leads", "admin", "phone\n+48601234568\n", CSV)
assert st == 200 and b["duplicates_in_other_lists"] == 1, b

# Neither CSV nor one lead as JSON, a bad lead, not allowed, another tenant.
st, b = call("POST", path, "admin", "phone\n1\n", {"Content-Type": "text/plain"})
assert st == 415, (st, b)
st, b = call("POST", path, "admin", '{"phone": "1"}', {"Content-Type": "application/json"})
assert st == 400 and b["error"]["field"] == "phone", (st, b)
st, b = call("POST", path, "agent", leads, CSV)
assert st == 403, (st, b)
st, b = call("GET", path, "agent")
assert st == 403, (st, b)
st, text = call("GET", path, "other")
assert st == 200 and text.count("\n") == 1, (st, text)
st, b = call("POST", path, "admin", "tel\n1\n", CSV)
assert st == 422 and b["code"] == "invalid", b
assert any("no phone column" in m for m in b["messages"]), b

# Do-not-call: the tenant's and a campaign's list.
st, b = call("POST", "/api/v1/dnc?campaign=renewals", "sup", "phone\n601 234 567\n221234567\n",
             CSV, "/api/v1/dnc")
assert st == 200 and b["imported"] == 2, (st, b)
st, b = call("POST", "/api/v1/dnc", "sup", "phone\n+48600000000\n", CSV, "/api/v1/dnc")
assert st == 200 and b["imported"] == 1, (st, b)
c = sqlite3.connect(db)
got = c.execute("SELECT tenant, campaign, phone FROM dnc ORDER BY campaign, phone").fetchall()
assert got == [("acme", "", "+48600000000"), ("acme", "renewals", "+48221234567"),
               ("acme", "renewals", "+48601234567")], got
n = c.execute("SELECT COUNT(*) FROM leads WHERE tenant = 'acme'").fetchone()[0]
assert n == 4, n

# The lists read back page by page, and a number removed (written in any form).
st, b = call("GET", "/api/v1/dnc?campaign=renewals&limit=1", "sup", dpath="/api/v1/dnc")
assert st == 200 and b["items"] == [{"phone": "+48221234567"}] and b["next"] == "+48221234567", b
st, b = call("GET", "/api/v1/dnc?campaign=renewals&limit=1&cursor=%2B48221234567", "sup",
             dpath="/api/v1/dnc")
assert st == 200 and b["items"] == [{"phone": "+48601234567"}] and b["next"] is None, b
st, b = call("GET", "/api/v1/dnc", "sup", dpath="/api/v1/dnc")
assert st == 200 and b["items"] == [{"phone": "+48600000000"}], b
st, b = call("GET", "/api/v1/dnc?limit=0", "sup")
assert st == 400 and b["error"]["field"] == "limit", b
st, b = call("GET", "/api/v1/dnc", "agent")
assert st == 403, (st, b)
st, b = call("GET", "/api/v1/dnc", "other", dpath="/api/v1/dnc")
assert st == 200 and b["items"] == [], b
st, b = call("DELETE", "/api/v1/dnc/601%20234%20567?campaign=renewals", "sup")
assert st == 204, (st, b)
st, b = call("DELETE", "/api/v1/dnc/abc", "sup")
assert st == 400 and b["error"]["field"] == "phone", b
st, b = call("DELETE", "/api/v1/dnc/%2B48600000000", "other")
assert st == 204, (st, b)
got = c.execute("SELECT tenant, campaign, phone FROM dnc ORDER BY campaign, phone").fetchall()
assert got == [("acme", "", "+48600000000"), ("acme", "renewals", "+48221234567")], got
# The tenant's lists with their counts, as the store holds them; none for another tenant.
want = [{"id": r[0], "leads": r[1], "open": r[2]} for r in c.execute(
    "SELECT l.id, (SELECT COUNT(*) FROM leads d WHERE d.tenant = l.tenant AND d.list = l.id), "
    "(SELECT COUNT(*) FROM leads d WHERE d.tenant = l.tenant AND d.list = l.id AND "
    "d.state <> 'done') FROM lead_lists l WHERE l.tenant = 'acme' ORDER BY l.id").fetchall()]
st, b = call("GET", "/api/v1/lists", "sup", dpath="/api/v1/lists")
assert st == 200 and b["next"] is None, (st, b)
assert [{k: x[k] for k in ("id", "leads", "open")} for x in b["items"]] == want, (b, want)
assert want and sum(x["leads"] for x in want) == 4, want
st, b = call("GET", "/api/v1/lists", "other", dpath="/api/v1/lists")
assert st == 200 and b["items"] == [], b
st, b = call("GET", "/api/v1/lists", "agent")
assert st == 403, (st, b)
# Every import and removal is in the audit log (who, which list, how many; not the
# numbers imported); what was refused (422) is not; another tenant's removal is its own.
au = [(a["actor"], a["object"], a["key"], a["action"], a.get("detail"))
      for a in audit_entries(api, tok["admin"]) if a["object"] in ("lead_list", "dnc")]
assert sorted(au, key=repr) == sorted([
    ("api:ada", "lead_list", "nov", "import", "rows=5 imported=3 bad=1"),
    ("api:ada", "lead_list", "dec", "import", "rows=1 imported=1 bad=0"),
    ("api:bob", "dnc", "renewals", "import", "rows=2 imported=2 bad=0"),
    ("api:bob", "dnc", "tenant", "import", "rows=1 imported=1 bad=0"),
    ("api:bob", "dnc", "renewals", "delete", "phone=+48601234567")], key=repr), au
au = [(a["actor"], a["object"], a["key"], a["action"], a.get("detail"))
      for a in audit_entries(api, tok["other"]) if a["actor"] != "provision"]
assert au == [("api:carl", "dnc", "tenant", "delete", "phone=+48600000000")], au
print("api_leads: ok")
