"""How the emulator's server writes a response on the wire: its headers and its body in one send, so
in one TLS record (up to 16 KiB) rather than two a fraction of a millisecond apart (issue 17)."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

import nexus_moto


def serve(tmp: Path, monkeypatch: pytest.MonkeyPatch, buffer_bytes: int) -> Iterator[tuple[Any, list[bytes]]]:
    """An EC2/S3 client on a TLS emulator, and every send the server makes, as the bytes it sent."""
    monkeypatch.setattr(nexus_moto, "RESPONSE_BUFFER_BYTES", buffer_bytes)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sends: list[bytes] = []
    send = ssl.SSLSocket.send

    def recording_send(self: ssl.SSLSocket, data: Any, flags: int = 0) -> int:
        if self.getsockname()[1] == port:  # the server's end; recorded before the client can read it
            sends.append(bytes(data))
        sent: int = send(self, data, flags)
        assert sent == len(data), "a blocking TLS send writes all it is given"
        return sent

    monkeypatch.setattr(ssl.SSLSocket, "send", recording_send)  # SSLSocket.sendall sends through send
    server, certs = nexus_moto.build_server("127.0.0.1", port, tmp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = {"endpoint_url": f"https://127.0.0.1:{port}", "verify": str(certs["ca"])}
    try:
        yield endpoint, sends
    finally:
        server.shutdown()


@pytest.fixture
def buffered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[bytes]]]:
    yield from serve(tmp_path, monkeypatch, nexus_moto.RESPONSE_BUFFER_BYTES)


@pytest.fixture
def unbuffered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[bytes]]]:
    yield from serve(tmp_path, monkeypatch, 0)


def client(endpoint: dict[str, Any], service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="nexus-local", aws_secret_access_key="nexus-local", **endpoint
    )


def test_a_response_leaves_in_one_send_headers_with_body(buffered: tuple[Any, list[bytes]]) -> None:
    endpoint, sends = buffered
    client(endpoint, "ec2").describe_vpcs()
    [response] = sends
    assert response.startswith(b"HTTP/1.1 200") and response.rstrip().endswith(b"</DescribeVpcsResponse>")


def test_a_large_body_leaves_in_the_same_send_as_its_headers(buffered: tuple[Any, list[bytes]]) -> None:
    endpoint, sends = buffered
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="wire")
    body = bytes(range(256)) * 800  # 200 KiB: more than one TLS record, still one write
    s3.put_object(Bucket="wire", Key="k", Body=body)
    sends.clear()
    assert s3.get_object(Bucket="wire", Key="k")["Body"].read() == body
    [response] = sends
    assert response.startswith(b"HTTP/1.1 200") and response.endswith(body)


def test_100_continue_is_sent_before_the_body_is_read(buffered: tuple[Any, list[bytes]]) -> None:
    """boto3 asks for "100 Continue" before an S3 body; a buffered interim answer would hang both ends."""
    endpoint, sends = buffered
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="expect")
    sends.clear()
    s3.put_object(Bucket="expect", Key="k", Body=b"x" * 1024)
    interim, final = sends
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    # werkzeug writes a second "100 Continue" of its own, as it did unbuffered (HTTP allows any
    # number of interim responses); it now leaves with the final response.
    assert final.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200")


def test_werkzeug_alone_sends_the_headers_before_the_body(unbuffered: tuple[Any, list[bytes]]) -> None:
    """What the buffer changes: werkzeug's unbuffered writer sends the headers on their own."""
    endpoint, sends = unbuffered
    client(endpoint, "ec2").describe_vpcs()
    headers, *body = sends
    assert headers.startswith(b"HTTP/1.1 200") and headers.endswith(b"\r\n\r\n")
    assert b"".join(body).rstrip().endswith(b"</DescribeVpcsResponse>")


def test_tls_keys_are_logged_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NEXUS_TLS_KEYLOG names a key log (NSS format) so a packet capture can be decrypted."""
    keylog = tmp_path / "keys.txt"
    for asked in (False, True):
        if asked:
            monkeypatch.setenv("NEXUS_TLS_KEYLOG", str(keylog))
        for endpoint, _ in serve(tmp_path / str(asked), monkeypatch, nexus_moto.RESPONSE_BUFFER_BYTES):
            client(endpoint, "ec2").describe_vpcs()
        assert keylog.exists() == asked
    assert "SERVER_TRAFFIC_SECRET_0" in keylog.read_text()
