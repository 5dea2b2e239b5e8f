"""Fixtures for the API tests: a JSON client per user, authenticated with a bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from loopdesk.accounts.services import issue_token


class ApiClient:
    """Django's test client speaking JSON to /api/v1/ as one user (or anonymously)."""

    def __init__(self, user: Any = None) -> None:
        self.user = user
        headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=user)}"} if user is not None else {}
        self.client = Client(**headers)

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else "/api/v1" + path

    def get(self, path: str, params: dict | None = None, **extra: Any):
        return self.client.get(self._url(path), params or {}, **extra)

    def post(self, path: str, data: Any = None, *, raw: str | bytes | None = None, **extra: Any):
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return self.client.post(self._url(path), body, content_type="application/json", **extra)

    def patch(self, path: str, data: Any = None, **extra: Any):
        return self.client.patch(
            self._url(path), json.dumps(data or {}), content_type="application/json", **extra
        )

    def delete(self, path: str, **extra: Any):
        return self.client.delete(self._url(path), **extra)

    def upload(self, path: str, files: dict, data: dict | None = None, **extra: Any):
        return self.client.post(self._url(path), {**(data or {}), **files}, **extra)


@pytest.fixture
def as_user(world):
    """as_user(world.agent) → an ApiClient for that user (one token per user per test)."""
    cache: dict[int, ApiClient] = {}

    def make(user: Any) -> ApiClient:
        if user.pk not in cache:
            cache[user.pk] = ApiClient(user)
        return cache[user.pk]

    return make


@pytest.fixture
def ticket(world, as_user):
    """An Acme ticket created through the API by the Beijing agent."""
    response = as_user(world.agent).post(
        "/tickets", {"title": "凭证打印失败", "description": "打印凭证时报错", "customer_id": world.acme.pk}
    )
    assert response.status_code == 201, response.content
    return response.json()
