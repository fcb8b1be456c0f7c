"""/openapi.json describes Slipway's own API: an OpenAPI 3.1 document whose references resolve, and every operation it
lists is a route the server has (no "No endpoint" 404, no 405)."""
import re

import requests


def test_openapi_document_is_valid_and_matches_the_routes(server):
    response = requests.get(f"{server.url}/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    document = response.json()
    def refs(node):
        if isinstance(node, dict):
            yield from (v for k, v in node.items() if k == "$ref")
            for v in node.values():
                yield from refs(v)
        elif isinstance(node, list):
            for v in node:
                yield from refs(v)
    for ref in refs(document):
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
    assert document["openapi"] == "3.1.0"
    operations = 0
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{version\}", "1", re.sub(r"\{[a-z_]+\}", "openapi-probe", path))
        for method in ("get", "put", "post", "delete"):
            if method not in item:
                continue
            operations += 1
            params = {"timeout_ms": "0", "target": "y"} if method == "get" or method == "put" else None
            r = requests.request(method.upper(), server.url + concrete, params=params, json={} if method in ("post", "put") else None, timeout=10)
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            assert r.status_code != 405 and not body.get("message", "").startswith("No endpoint"), (method, concrete, r.status_code, r.text[:200])
    assert operations >= 34
