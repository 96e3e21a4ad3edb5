"""The deadline calculator's HTTP API: POST /api/deadlines/compute, JSON in and out, for staff
signed in to the admin or sending HTTP Basic credentials (django-axes counts their failures)."""

import base64
import binascii
import json
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from recovery.lib.jsoncli import run_calculator
from recovery.selectors.access import role_of
from recovery.selectors.deadlines import (
    deadline_compute,
)


def _basic_auth_user(request: HttpRequest) -> Any:
    """The active user named by an HTTP Basic Authorization header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep:
        return None
    user = authenticate(request, username=username, password=password)
    return user if user is not None and user.is_active else None


def _unauthorized() -> JsonResponse:
    response = JsonResponse({"errors": ["authentication required"]}, status=401)
    response["WWW-Authenticate"] = 'Basic realm="Recovery Desk", charset="UTF-8"'
    return response


def _too_large() -> JsonResponse:
    limit = settings.API_MAX_BODY_BYTES
    message = (
        f"input: 请求体超过 {limit} 字节（the request body is larger than the limit of {limit} bytes, "
        f"about {limit / 1024 / 1024:g} MB; send fewer objects per call）"
    )
    return JsonResponse({"errors": [message]}, status=413, json_dumps_params={"ensure_ascii": False})


def _declared_too_large(request: HttpRequest) -> bool:
    """Refuse on the declared length alone, before reading (or authenticating) anything."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.API_MAX_BODY_BYTES
    except ValueError:
        return False


def _compute_response(request: HttpRequest) -> HttpResponse:
    limit = settings.API_MAX_BODY_BYTES
    # Read at most one byte past the limit, whatever the header said (chunked bodies have none).
    body = request.read(limit + 1)
    if len(body) > limit:
        return _too_large()
    try:
        raw_text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return JsonResponse({"errors": ["input: not UTF-8 text"]}, status=400)
    output, problems = run_calculator(raw_text, deadline_compute, max_items=settings.API_MAX_ITEMS)
    if problems:
        return JsonResponse({"errors": problems}, status=400, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(
        json.dumps(output, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )


# A signed-in session is protected against cross-site requests; HTTP Basic is not a browser's.
_compute_for_session = csrf_protect(_compute_response)


@csrf_exempt
@require_POST
def deadline_compute_api(request: HttpRequest) -> HttpResponse:
    """POST the calculator contract's JSON (one object or an array) → its output, as the
    `deadline` command prints it; 400 with {"errors": [...]} on bad input.

    Authenticated by HTTP Basic (scripts; no CSRF token needed) or by an admin session (with
    the CSRF token, like any form). Bodies over API_MAX_BODY_BYTES get 413, more than
    API_MAX_ITEMS objects 400."""
    if _declared_too_large(request):
        return _too_large()
    if "HTTP_AUTHORIZATION" in request.META:
        user = _basic_auth_user(request)
        if user is None:
            return _unauthorized()
        if role_of(user) is None:
            return JsonResponse({"errors": ["this account has no recovery role"]}, status=403)
        request.user = user
        return _compute_response(request)
    if not request.user.is_authenticated:
        return _unauthorized()
    if role_of(request.user) is None:
        return JsonResponse({"errors": ["this account has no recovery role"]}, status=403)
    return _compute_for_session(request)
