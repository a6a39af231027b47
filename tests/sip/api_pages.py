"""Keyset pages of GET /api/v1/interactions for t-api-pages.sh. usage: api_pages.py PORT N
N interactions are stored. Followed through `next` with limit 1, 2 and 3 (and with a
filter), the pages hold each interaction exactly once, newest first, the same as one
page of them all; each page is checked against the OpenAPI document; the last page's
`next` is null; a bad cursor is 400; another tenant's pages are empty."""
import sys
import time
import urllib.parse

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response, tokens  # noqa: E402

api = Api(int(sys.argv[1]))
n = int(sys.argv[2])
tok = tokens(api, {"sup": ("acme", "sue", "sue-secret"), "other": ("beta", "carl", "carl-secret")})
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
IX = "/api/v1/interactions"


def page(query, who="sup"):
    st, b, _ = api.call("GET", IX + "?" + query, tok[who])
    assert st == 200, (query, st, b)
    check_response(doc, "GET", IX, st, b)
    return b


def follow(query, limit):
    ids, pages, cursor = [], 0, None
    while True:
        q = f"{query}&limit={limit}" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        b = page(q.lstrip("&"))
        pages += 1
        assert len(b["items"]) <= limit, b
        ids += [i["id"] for i in b["items"]]
        cursor = b["next"]
        if cursor is None:
            return ids, pages
        assert b["items"], "an empty page with a next"
        assert pages <= n + 1, "the pages do not end"


deadline = time.time() + 10  # the last interactions may still be on their way to the store
while len((whole := page("limit=500"))["items"]) < n and time.time() < deadline:
    time.sleep(0.1)
assert whole["next"] is None, whole
all_ids = [i["id"] for i in whole["items"]]
assert len(all_ids) == n == len(set(all_ids)), all_ids
created = [i["created"] for i in whole["items"]]
assert created == sorted(created, reverse=True), created  # newest first
for limit in (1, 2, 3):
    ids, pages = follow("", limit)
    assert ids == all_ids, (limit, ids, all_ids)  # no duplicate, no gap, same order
    assert pages in (-(-n // limit), -(-n // limit) + 1), (limit, pages)
ids, _ = follow("queue=support", 2)
assert ids == all_ids, ids
ids, _ = follow("queue=nope", 2)
assert ids == [], ids
st, b, _ = api.call("GET", IX + "?limit=2&cursor=%21%21", tok["sup"])
assert st == 400 and b["error"]["field"] == "cursor", (st, b)
# Another tenant's pages, even with this tenant's cursor, are its own (empty).
first = page("limit=2")
assert page("limit=2", "other")["items"] == []
assert page("limit=2&cursor=" + urllib.parse.quote(first["next"]), "other")["items"] == []
print(f"ok: {n} interactions in pages of 1, 2 and 3")
