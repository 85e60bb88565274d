"""HTTP responses and Mailjet-shaped errors."""

from __future__ import annotations

import json
from typing import Any

from .util import guid

AUTH_FAILURE = (
    "API key authentication/authorization failure. You may be unauthorized to access the API "
    "or your API key may be expired. Visit API keys management section to check your keys."
)

# Load-balancer pages (HAProxy style): Mailjet's 429 is HTML, not JSON, and has no Retry-After.
_HTML_PAGES = {
    429: ("429 Too Many Requests", "You have sent too many requests in a given amount of time."),
    502: ("502 Bad Gateway", "The server returned an invalid or incomplete response."),
    503: ("503 Service Unavailable", "No server is available to handle this request."),
    504: ("504 Gateway Time-out", "The server didn't respond in time."),
}


class Response:
    """Status, body bytes, content type and extra headers of one answer."""

    __slots__ = ("status", "body", "content_type", "headers")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}


def dumps(obj: Any) -> bytes:
    """Compact JSON with keys sorted (Mailjet answers with alphabetical keys)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("utf-8")


def json_response(status: int, obj: Any) -> Response:
    """A JSON answer."""
    return Response(status, dumps(obj))


def envelope(rows: list[dict], status: int = 200) -> Response:
    """The ``{Count, Data, Total}`` envelope with page-local counts."""
    return json_response(status, {"Count": len(rows), "Data": rows, "Total": len(rows)})


def empty(status: int) -> Response:
    """An answer without a body (204 after DELETE, 304 after a no-op PUT)."""
    return Response(status, b"", "")


class MailjetError(Exception):
    """An error answered as ``{"ErrorInfo", "ErrorMessage", "StatusCode"}``."""

    def __init__(self, status: int, message: Any, info: Any = ""):
        super().__init__(message if isinstance(message, str) else json.dumps(message))
        self.status = status
        self.message = message
        self.info = info

    def response(self) -> Response:
        """This error as an HTTP answer."""
        return json_response(
            self.status,
            {"ErrorInfo": self.info, "ErrorMessage": self.message, "StatusCode": self.status},
        )


def not_found() -> MailjetError:
    """404 ``Object not found``."""
    return MailjetError(404, "Object not found")


def bad_request(message: Any, info: Any = "") -> MailjetError:
    """400 with the given message."""
    return MailjetError(400, message, info)


def method_not_allowed() -> MailjetError:
    """405 ``Method not allowed``."""
    return MailjetError(405, "Method not allowed")


def unauthorized() -> Response:
    """401 with the body Mailjet sends for bad or revoked keys."""
    return json_response(
        401, {"ErrorIdentifier": guid(), "ErrorMessage": AUTH_FAILURE, "StatusCode": 401}
    )


def status_response(status: int) -> Response:
    """Canned answer for an injected status code."""
    if status in _HTML_PAGES:
        title, text = _HTML_PAGES[status]
        html = f"<html><body><h1>{title}</h1>\n{text}\n</body></html>\n"
        return Response(status, html.encode("utf-8"), "text/html")
    if status == 401:
        return unauthorized()
    if status >= 500:
        return json_response(
            status,
            {
                "ErrorIdentifier": guid(),
                "ErrorInfo": "",
                "ErrorMessage": "Internal Server Error",
                "StatusCode": status,
            },
        )
    messages = {
        400: "Bad Request",
        403: "Forbidden",
        404: "Object not found",
        405: "Method not allowed",
    }
    return MailjetError(status, messages.get(status, "Error")).response()
