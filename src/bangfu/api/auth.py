"""Bearer-token authentication and the token endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from bangfu.accounts.services import login_authenticate, token_issue, token_resolve


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_resolve(token=token)  # raises a coded refusal for invalid or expired tokens
        request.user = user
        return user


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime


router = Router(tags=["auth"])


@router.post(
    "/token",
    auth=None,
    response=TokenOut,
    summary="Exchange username and password for a bearer token",
)
def create_token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    user = login_authenticate(request=request, username=payload.username, password=payload.password)
    token, record = token_issue(user=user)
    return TokenOut(token=token, expires_at=record.expires_at)
