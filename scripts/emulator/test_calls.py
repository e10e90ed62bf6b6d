"""The call counter counts what the emulator serves, by service and action, and duplicate deliveries."""

from __future__ import annotations

import io
import json
from typing import Any

from calls import CallCounter, call_name, counting_middleware, deleted_count, error_code, received_ids, request_log_middleware

AUTH = "AWS4-HMAC-SHA256 Credential=local/20261122/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=x"


def environ(service: str, method: str = "POST", body: bytes = b"", **extra: str) -> dict[str, Any]:
    return {
        "HTTP_AUTHORIZATION": AUTH.format(service),
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **extra,
    }


def test_names_calls_by_service_and_action() -> None:
    assert call_name(environ("sqs", HTTP_X_AMZ_TARGET="AmazonSQS.DeleteMessageBatch"), b"") == "sqs:DeleteMessageBatch"
    assert call_name(environ("s3", "GET"), b"") == "s3:GET"
    assert call_name(environ("sts", QUERY_STRING="Action=GetCallerIdentity"), b"") == "sts:GetCallerIdentity"
    assert call_name(environ("iam"), b"Action=ListRoles&Version=2010-05-08") == "iam:ListRoles"


def test_counts_requests_and_duplicate_deliveries_and_resets() -> None:
    responses = [{"Messages": [{"MessageId": "a"}, {"MessageId": "b"}]}, {"Messages": [{"MessageId": "a"}]}]
    seen_bodies: list[bytes] = []

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen_bodies.append(env["wsgi.input"].read())
        start_response("200 OK", [])
        return [json.dumps(responses.pop(0)).encode()]

    counter = CallCounter()
    wrapped = counting_middleware(app, counter)
    receive = {"HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage"}
    for _ in range(2):
        wrapped(environ("sqs", body=b'{"QueueUrl":"q"}', **receive), lambda *a: None)
    assert seen_bodies == [b'{"QueueUrl":"q"}'] * 2  # moto still reads the body
    responses.append({"Successful": [{"Id": "0"}, {"Id": "1"}], "Failed": [{"Id": "2"}]})
    wrapped(environ("sqs", HTTP_X_AMZ_TARGET="AmazonSQS.DeleteMessageBatch"), lambda *a: None)
    assert counter.snapshot() == {
        "calls": {"sqs:ReceiveMessage": 2, "sqs:DeleteMessageBatch": 1},
        "deliveries": 3,
        "duplicates": 1,
        "deleted": 2,
    }

    reset = wrapped(environ("none", "POST", PATH_INFO="/_nexus/calls/reset"), lambda *a: None)
    assert json.loads(b"".join(reset)) == {"calls": {}, "deliveries": 0, "duplicates": 0, "deleted": 0}


def test_a_failed_delete_deletes_nothing() -> None:
    assert deleted_count("sqs:DeleteMessage", "400 Bad Request", b"") == 0
    assert deleted_count("sqs:DeleteMessage", "200 OK", b"") == 1


def test_an_unreadable_receive_response_counts_no_delivery() -> None:
    assert received_ids(b"<xml/>") == []
    assert received_ids(b'{"Messages": [{"MessageId": "x"}]}') == ["x"]


def test_the_request_log_shows_a_retried_call_with_what_each_attempt_got() -> None:
    answers = iter([("500 INTERNAL SERVER ERROR", b"<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>"),
                    ("400 BAD REQUEST", b"<Response><Errors><Error><Code>InvalidPermission.Duplicate</Code></Error></Errors></Response>")])

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        status, body = next(answers)
        start_response(status, [])
        return [body]

    log = io.StringIO()
    logged = request_log_middleware(app, log)
    body = b"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15"
    for attempt in (1, 2):
        logged(environ("ec2", body=body, HTTP_AMZ_SDK_INVOCATION_ID="inv-1", HTTP_AMZ_SDK_REQUEST=f"attempt={attempt}; max=25",
                       HTTP_USER_AGENT="terraform-provider-aws/5.100.0 aws-sdk-go-v2/1.36.3", REMOTE_PORT=str(40000 + attempt)),
               lambda *a: None)
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [(e["call"], e["status"], e["error"], e["invocation"], e["attempt"], e["peer"]) for e in lines] == [
        ("ec2:AuthorizeSecurityGroupIngress", 500, "InternalError", "inv-1", 1, "40001"),
        ("ec2:AuthorizeSecurityGroupIngress", 400, "InvalidPermission.Duplicate", "inv-1", 2, "40002"),
    ]
    assert lines[0]["agent"] == "terraform-provider-aws/5.100.0 aws-sdk-go-v2/1.36.3"


def test_error_codes_of_both_protocols() -> None:
    assert error_code(b'{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"x"}') == "QueueDoesNotExist"
    assert error_code(b"<Error><Code>NoSuchKey</Code></Error>") == "NoSuchKey"
    assert error_code(b"not an error") is None


def test_the_request_log_records_a_request_that_raised_as_500() -> None:
    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        raise NotImplementedError("Unsupported protocol")

    log = io.StringIO()
    try:
        request_log_middleware(app, log)(environ("monitoring", body=b"{}"), lambda *a: None)
    except NotImplementedError:
        pass
    [entry] = [json.loads(line) for line in log.getvalue().splitlines()]
    assert (entry["status"], entry["error"]) == (500, "NotImplementedError")


def test_a_dropped_connection_is_logged_with_the_clients_port(caplog: Any) -> None:
    from nexus_moto import request_handler

    handler_class = request_handler()
    handler = handler_class.__new__(handler_class)  # no socket: only the logging is under test
    handler.client_address = ("127.0.0.1", 40123)
    with caplog.at_level("INFO", logger="werkzeug"):
        handler.connection_dropped(ConnectionResetError(104, "Connection reset by peer"))
    assert "connection from port 40123 dropped: ConnectionResetError(104, 'Connection reset by peer')" in caplog.text


def test_a_chunked_body_reaches_the_app_whole_through_the_request_log(tmp_path: Any) -> None:
    """docker push sends layer uploads chunked (no Content-Length): the log must not swallow them."""
    seen: list[bytes] = []

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        from werkzeug.wsgi import get_input_stream

        seen.append(get_input_stream(env).read())
        start_response("202 Accepted", [])
        return [b""]

    chunked = environ("unsigned", "PATCH")
    del chunked["CONTENT_LENGTH"]
    chunked.update({"wsgi.input": io.BytesIO(b"layer bytes"), "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    with open(tmp_path / "log.jsonl", "w", encoding="utf-8") as log:
        list(request_log_middleware(app, log)(chunked, lambda *a: None))
    assert seen == [b"layer bytes"]
