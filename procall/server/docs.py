"""The API page at /docs: the OpenAPI schema rendered as plain HTML by the server itself (the usual
Swagger page loads its scripts from a CDN; nothing here loads anything from outside)."""

from __future__ import annotations

import json
from html import escape
from typing import Any


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else schema.get("type", "")


def api_page(spec: dict[str, Any]) -> str:
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            answers = ", ".join(
                f"{code} {_schema_name(r.get('content', {}).get('application/json', {}).get('schema'))}".strip()
                for code, r in op.get("responses", {}).items())
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(op.get('summary', ''))}</td><td>{escape(_schema_name(body))}</td>"
                        f"<td>{escape(answers)}</td></tr>")
    schemas = "".join(
        f"<h3 id='{escape(name)}'>{escape(name)}</h3><pre>{escape(json.dumps(s, indent=2))}</pre>"
        for name, s in spec.get("components", {}).get("schemas", {}).items())
    info = spec.get("info", {})
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>procall API</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}td,th{padding:.3em .6em;text-align:left;"
        "vertical-align:top}tr:nth-child(even){background:#f4f4f4}pre{background:#f8f8f8;padding:.6em}</style>"
        f"</head><body><h1>{escape(info.get('title', 'API'))} {escape(info.get('version', ''))}</h1>"
        f"<p>{escape(info.get('description', ''))}</p><p>Machine-readable: <a href='/openapi.json'>/openapi.json"
        "</a></p><table><tr><th>method</th><th>path</th><th>what</th><th>body</th><th>answers</th></tr>"
        f"{''.join(rows)}</table><h2>Schemas</h2>{schemas}</body></html>"
    )
