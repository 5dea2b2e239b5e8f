"""The committed OpenAPI schema matches the code, real responses match the schema, and the docs page
loads nothing from the internet."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

from django.test import Client

from loopdesk.api.router import api

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REGENERATE = ".venv/bin/loopdesk export_openapi_schema --api loopdesk.api.router.api --output docs/openapi.json --indent 2"


def generated() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


def test_committed_schema_is_current():
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == generated(), f"docs/openapi.json is out of date; regenerate it with:\n  {REGENERATE}"


def test_schema_served_and_docs_have_no_cdn(db):
    c = Client()
    r = c.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json()["info"]["title"] == "Loopdesk API"
    html = c.get("/api/v1/docs").content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    for url in urls:  # and the files are really there, served by the app itself
        response = c.get(url)
        assert response.status_code == 200, url
        getattr(response, "close", lambda: None)()


# --- a small validator for the JSON Schema subset ninja emits -----------------------------------------


class SchemaMismatch(AssertionError):
    pass


def validate(value: Any, schema: dict, components: dict, path: str = "$") -> None:
    if "$ref" in schema:
        return validate(value, components[schema["$ref"].split("/")[-1]], components, path)
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                return validate(value, option, components, path)
            except SchemaMismatch as exc:
                errors.append(str(exc))
        raise SchemaMismatch(f"{path}: matches no option: {errors}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaMismatch(f"{path}: {value!r} not in {schema['enum']}")
    kind = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind and not checks[kind](value):
        raise SchemaMismatch(f"{path}: {value!r} is not {kind}")
    if kind == "string" and schema.get("format") == "date-time":
        parsed = datetime.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise SchemaMismatch(f"{path}: {value!r} has no offset")
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                raise SchemaMismatch(f"{path}: missing {name}")
        for name, item in value.items():
            if name in schema.get("properties", {}):
                validate(item, schema["properties"][name], components, f"{path}.{name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                validate(item, schema["additionalProperties"], components, f"{path}.{name}")
    if kind == "array":
        for i, item in enumerate(value):
            validate(item, schema.get("items", {}), components, f"{path}[{i}]")


def check(schema: dict, method: str, template: str, response) -> None:
    operation = schema["paths"]["/api/v1" + template][method]
    declared = operation["responses"][str(response.status_code)]
    body_schema = declared["content"]["application/json"]["schema"]
    validate(response.json(), body_schema, schema["components"]["schemas"])


def test_real_responses_match_the_schema(world, as_user, ticket):
    schema = generated()
    c = as_user(world.agent)
    tid = ticket["id"]
    c.post(f"/tickets/{tid}/comments", {"body": "公开"})
    c.post(f"/tickets/{tid}/assign", {"group_id": world.group.pk, "partner_id": world.partner.pk})
    cases = [
        ("get", "/tickets", c.get("/tickets")),
        (
            "post",
            "/tickets",
            c.post(
                "/tickets",
                {
                    "title": "t",
                    "description": "d",
                    "customer_id": world.acme.pk,
                    "asset_id": world.acme_asset.pk,
                },
            ),
        ),
        ("get", "/tickets/{ticket_id}", c.get(f"/tickets/{tid}")),
        ("patch", "/tickets/{ticket_id}", c.patch(f"/tickets/{tid}", {"title": "x"})),
        ("get", "/tickets/{ticket_id}/comments", c.get(f"/tickets/{tid}/comments")),
        ("get", "/tickets/{ticket_id}/events", c.get(f"/tickets/{tid}/events")),
        ("get", "/tickets/{ticket_id}/transitions", c.get(f"/tickets/{tid}/transitions")),
        (
            "post",
            "/tickets/{ticket_id}/transitions",
            c.post(f"/tickets/{tid}/transitions", {"to": "accepted"}),
        ),
        ("get", "/tickets/{ticket_id}/links", c.get(f"/tickets/{tid}/links")),
        ("get", "/tickets/{ticket_id}/watchers", c.get(f"/tickets/{tid}/watchers")),
        ("get", "/companies", c.get("/companies")),
        ("get", "/companies/{company_id}", c.get(f"/companies/{world.acme.pk}")),
        ("get", "/contacts", c.get("/contacts")),
        ("get", "/assets", c.get("/assets")),
        ("get", "/products", c.get("/products")),
        ("get", "/organisations", c.get("/organisations")),
        ("get", "/groups", c.get("/groups")),
        ("get", "/categories", c.get("/categories")),
        ("get", "/tickets/{ticket_id}", c.get("/tickets/999999")),  # a 404 problem
        ("post", "/tickets", c.post("/tickets", {"title": 1})),  # a 422 problem
    ]
    for method, template, response in cases:
        assert response.status_code < 500
        check(schema, method, template, response)
