"""The local AWS for Nexus: moto 5.2.5 in server mode, over TLS, with the gaps in gaps.py closed.

Usage: python scripts/emulator/nexus_moto.py --port 4566 [--host 127.0.0.1] [--tls-dir .local/tls | --plain-http] [--count-calls] [--request-log FILE] [--registry-backend 127.0.0.1:PORT] [--enforce-iam]
Prints one JSON line {"endpoint": ..., "ca": ..., "caBundle": ..., "patched": [...]} when it serves.
Listens on loopback only. --plain-http serves the worker's own tests, which predate TLS and set no
bucket policy; everything that runs Terraform uses TLS, as AWS does.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import ssl
import sys
from pathlib import Path

# Gap 5: AWS-managed policies (AmazonRDSEnhancedMonitoringRole, which the database stack attaches)
# exist in every account; moto loads them only when asked, before its IAM backend is created.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

sys.path.insert(0, str(Path(__file__).parent))

import access  # noqa: E402
import ecr_registry  # noqa: E402
import gaps  # noqa: E402
from calls import CallCounter, counting_middleware, request_log_middleware  # noqa: E402
from tls import ensure_certificates  # noqa: E402


def loopback(host: str) -> str:
    if host == "localhost" or ipaddress.ip_address(host).is_loopback:
        return host
    raise argparse.ArgumentTypeError(f"the emulator listens on loopback only, got {host}")


def loopback_http(address: str) -> str:
    """host:port of a plain-HTTP service on loopback (the OCI registry behind gap 9)."""
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected host:port, got {address}")
    loopback(host)
    return address


# Each response leaves in one send, its headers with its body (up to this size). werkzeug writes
# them unbuffered, in two sends and so two TLS records a fraction of a millisecond apart. The AWS
# provider's HTTP stack, under CPU contention, sometimes closes its connection just after the
# headers record arrives; a body still on the wire is then lost, the SDK's read of it fails on the
# closed connection, an error it retries, and a call the emulator already applied is sent again
# (InvalidPermission.Duplicate on a security-group rule). A body that came with its headers is
# already in the client's memory when the connection closes. docs/emulator.md has the capture.
RESPONSE_BUFFER_BYTES = 1 << 20


def request_handler():  # type: ignore[no-untyped-def]
    """moto's request handler, sending each response whole and saying so when a connection drops:
    werkzeug's default is silence, and a response that never reached its client is a call the
    client's SDK may retry after it was applied."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class NexusRequestHandler(MotoRequestHandler):
        wbufsize = RESPONSE_BUFFER_BYTES  # socketserver: a buffered wfile, flushed once per response

        def handle_expect_100(self) -> bool:
            """Sends "100 Continue" at once: a client that asked for it holds its body until it comes."""
            proceed: bool = super().handle_expect_100()
            self.wfile.flush()
            return proceed

        def connection_dropped(self, error: BaseException, environ: dict | None = None) -> None:  # type: ignore[override]
            self.log_error("connection from port %s dropped: %r", self.client_address[1], error)

    return NexusRequestHandler


def build_server(  # type: ignore[no-untyped-def]
    host: str,
    port: int,
    tls_dir: Path | None,
    count_calls: bool = False,
    request_log: Path | None = None,
    registry_backend: str | None = None,
    task_credentials: access.TaskCredentials | None = None,
):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    certs = ensure_certificates(tls_dir) if tls_dir else {}
    context = None
    if certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs["server"], certs["server-key"])
        if os.environ.get("NEXUS_TLS_KEYLOG"):
            context.keylog_filename = os.environ["NEXUS_TLS_KEYLOG"]
    app = gaps.request_context_middleware(DomainDispatcherApplication(create_backend_app))
    if registry_backend:
        app = ecr_registry.registry_middleware(app, ecr_registry.RegistryFront(registry_backend))
    if task_credentials:
        app = access.credentials_middleware(app, task_credentials)
    if count_calls:
        app = counting_middleware(app, CallCounter())
    if request_log:
        app = request_log_middleware(app, request_log.open("a", encoding="utf-8"))
    server = make_server(host, port, app, threaded=True, request_handler=request_handler(), ssl_context=context)
    return server, certs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", type=loopback, default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls-dir", type=Path, default=Path(".local/tls"))
    parser.add_argument("--plain-http", action="store_true")
    parser.add_argument("--count-calls", action="store_true", help="serve call counts at /_nexus/calls (benchmarks)")
    parser.add_argument("--request-log", type=Path, help="append one JSON line per request to this file")
    parser.add_argument(
        "--registry-backend", type=loopback_http, help="serve ECR's /v2 API (gap 9) in front of this OCI registry"
    )
    parser.add_argument(
        "--enforce-iam",
        action="store_true",
        help="authenticate and authorize every request (gaps 10-16); the test key is the named admin nexus-e2e-admin",
    )
    args = parser.parse_args()
    patched = gaps.apply_all()
    if args.registry_backend:
        patched += ecr_registry.apply(f"{args.host}:{args.port}")
    task_credentials = None
    if args.enforce_iam:
        patched += access.apply(access.TEST_KEY, access.TEST_SECRET)
        task_credentials = access.TaskCredentials()
    os.environ["MOTO_PORT"] = str(args.port)
    server, certs = build_server(
        args.host,
        args.port,
        None if args.plain_http else args.tls_dir.resolve(),
        count_calls=args.count_calls,
        request_log=args.request_log,
        registry_backend=args.registry_backend,
        task_credentials=task_credentials,
    )
    endpoint = f"{'http' if args.plain_http else 'https'}://{args.host}:{args.port}"
    files = {"ca": str(certs["ca"]), "caBundle": str(certs["ca-bundle"])} if certs else {}
    ecs = {"ecsCredentialsToken": task_credentials.token} if task_credentials else {}
    print(json.dumps({"endpoint": endpoint, **files, **ecs, "patched": patched}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except gaps.EmulatorDrift as drift:
        print(f"nexus emulator: {drift}", file=sys.stderr)
        sys.exit(3)
