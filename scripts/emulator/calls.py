"""Counts the AWS calls the emulator serves, outside the process that makes them (benchmarks).

Off unless the launcher gets `--count-calls`. Each request is counted by service (from the SigV4
credential scope) and action (X-Amz-Target for JSON protocols, `Action=` for query protocols, the
HTTP method for S3's REST API). SQS ReceiveMessage responses are read for message ids, so a
message delivered twice (moto delivers one message to two concurrent receives now and then) is
counted as a duplicate delivery; DeleteMessage(Batch) responses for how many messages were deleted.

  GET  /_nexus/calls        {"calls": {"sqs:ReceiveMessage": 12, "s3:GET": 100, ...}, "deliveries": n,
                             "duplicates": n, "deleted": n}
  POST /_nexus/calls/reset  zeroes everything (the benchmark's preload is not the consumer's)
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import Counter
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
PATH = "/_nexus/calls"


class CallCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.deliveries = 0
        self.duplicates = 0
        self.deleted = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "deliveries": self.deliveries,
                "duplicates": self.duplicates,
                "deleted": self.deleted,
            }

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.seen.clear()
            self.deliveries = self.duplicates = self.deleted = 0

    def deleted_messages(self, count: int) -> None:
        with self._lock:
            self.deleted += count

    def count(self, name: str) -> None:
        with self._lock:
            self.calls[name] += 1

    def delivered(self, message_ids: Iterable[str]) -> None:
        with self._lock:
            for message_id in message_ids:
                self.deliveries += 1
                if message_id in self.seen:
                    self.duplicates += 1
                self.seen.add(message_id)


def call_name(environ: dict[str, Any], body: bytes) -> str:
    """`service:Action` of one request, from what AWS itself routes on."""
    match = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = match.group(1) if match else "unsigned"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    if service == "s3":
        return f"s3:{environ.get('REQUEST_METHOD', '?')}"
    query = parse_qs(environ.get("QUERY_STRING", "")) or parse_qs(body.decode("utf-8", "replace"))
    return f"{service}:{query.get('Action', ['?'])[0]}"


def deleted_count(name: str, status: str, payload: bytes) -> int:
    """Messages a DeleteMessage(Batch) response confirms deleted."""
    if not status.startswith("200"):
        return 0
    if name == "sqs:DeleteMessage":
        return 1
    try:
        return len(json.loads(payload).get("Successful", []))
    except (ValueError, AttributeError, TypeError):
        return 0


def received_ids(payload: bytes) -> list[str]:
    """Message ids in a ReceiveMessage response (SQS's JSON protocol)."""
    try:
        return [m["MessageId"] for m in json.loads(payload).get("Messages", [])]
    except (ValueError, AttributeError, KeyError, TypeError):
        return []


def buffer_body(environ: dict[str, Any]) -> bytes:
    """Reads the request body, to be read again by the app: with a Content-Length, or chunked (the
    server has de-chunked it: `wsgi.input_terminated`), as `docker push` sends layer uploads. A chunked
    body is handed on with its length, so the app reads it all."""
    from werkzeug.wsgi import get_input_stream

    body: bytes = get_input_stream(environ).read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False
    return body


def counting_middleware(app: Callable[..., Any], counter: CallCounter) -> Callable[..., Any]:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO", "").startswith(PATH):
            if environ.get("REQUEST_METHOD") == "POST":
                counter.reset()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(counter.snapshot()).encode()]
        body = buffer_body(environ)
        name = call_name(environ, body)
        counter.count(name)
        status = []

        def recording_start_response(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        response = app(environ, recording_start_response)
        if name not in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteMessageBatch"):
            return response
        payload = b"".join(response)
        if name == "sqs:ReceiveMessage":
            counter.delivered(received_ids(payload))
        else:
            counter.deleted_messages(deleted_count(name, status[0] if status else "", payload))
        return [payload]

    return wrapped



# --- Request log: one JSON line per request, for finding what a client retried ---------------------

_ERROR_CODE = re.compile(rb"<Code>([^<]+)</Code>|\"__type\"\s*:\s*\"(?:[^\"#]*#)?([^\"]+)\"")


def error_code(payload: bytes) -> str | None:
    """The AWS error code of an error response (query/XML or JSON protocol)."""
    match = _ERROR_CODE.search(payload[:4096])
    return (match.group(1) or match.group(2)).decode("utf-8", "replace") if match else None


def request_log_middleware(app: Callable[..., Any], log: io.TextIOBase) -> Callable[..., Any]:
    """Writes `{"t", "call", "status", "error", "invocation", "attempt", "ms", "agent", "peer"}` per
    request. The SDKs send `amz-sdk-invocation-id` (one per logical call) and `amz-sdk-request:
    attempt=N`, so a retried call shows as the same invocation with a higher attempt, and what its
    first attempt got; `agent` (User-Agent) says which program called, `peer` its TCP port."""
    lock = threading.Lock()

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.monotonic()
        body = buffer_body(environ)
        status: list[str] = []

        def recording_start_response(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        def write(code: str, error: str | None) -> None:
            attempt = re.search(r"attempt=(\d+)", environ.get("HTTP_AMZ_SDK_REQUEST", ""))
            entry = {
                "t": round(time.time(), 3),
                "call": call_name(environ, body),
                "status": int(code) if code.isdigit() else code,
                "error": error,
                "invocation": environ.get("HTTP_AMZ_SDK_INVOCATION_ID"),
                "attempt": int(attempt.group(1)) if attempt else None,
                "ms": round((time.monotonic() - started) * 1000, 1),
                "agent": environ.get("HTTP_USER_AGENT"),
                "peer": environ.get("REMOTE_PORT"),
            }
            with lock:
                log.write(json.dumps(entry) + "\n")
                log.flush()

        try:
            payload = b"".join(app(environ, recording_start_response))
        except Exception as raised:
            write("500", type(raised).__name__)  # werkzeug answers 500 with its HTML page
            raise
        code = status[0].split(" ", 1)[0] if status else "?"
        write(code, error_code(payload) if not code.startswith("2") else None)
        return [payload]

    return wrapped
