"""Gap 9: ECR's registry API. moto 5.2.5 answers GetAuthorizationToken with a fixed password that
expired in 2015 and a proxy endpoint at *.amazonaws.com, names repositories there too, and serves no
/v2 API, so nothing can push or pull. Closed toward ECR's documented behaviour:

- GetAuthorizationToken issues a password per call, valid for 12 hours ("The authorization token is
  valid for 12 hours", ECR API reference), for the caller's account and region (or each registryIds
  entry), and its proxyEndpoint is this emulator;
- repository URIs name this emulator's host, so `docker push <repositoryUri>:<tag>` reaches it;
- /v2 is served with HTTP Basic `AWS:<password>` as ECR does: no credentials get 401 with a Basic
  challenge, an unknown password 403 DENIED, an expired one 403 DENIED with ECR's own message; a
  repository that was never created 404 NAME_UNKNOWN; a tag already in an IMMUTABLE repository at
  another digest 400 TAG_INVALID. What passes is forwarded to a standard OCI registry (distribution's
  cmd/registry) on loopback, one namespace per account and region, and a pushed manifest is recorded in
  moto's ECR, so DescribeImages lists it at the digest the registry computed.

Not reproduced: repository policies and IAM on the /v2 calls (the password stands for the caller, as
on ECR, but its actions are not checked), scanning, replication, pull-through caches, one host per
account and region (one emulator serves them all; the password decides the account).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from moto.ecr.exceptions import ImageAlreadyExistsException
from moto.ecr.models import Repository, ecr_backends
from moto.ecr.responses import ECRResponse

from gaps import self_check

# The moto code gap 9 replaces or wraps, and the hash of its source in moto 5.2.5 (gaps.self_check).
PATCHED = {
    "9 repository uri": (lambda: Repository.__init__, "a13d899b518385e8"),
    "9 authorization token": (lambda: ECRResponse.get_authorization_token, "032758b43923ed53"),
}
GRANT_SECONDS = 12 * 3600
API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
# Request headers the registry needs; everything else (Authorization, Host) stays here.
FORWARDED_REQUEST = ("content-type", "content-length", "accept", "range", "content-range", "if-none-match")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
ROUTE = re.compile(r"^/v2/(?P<name>[a-z0-9][a-z0-9._/-]*?)/(?P<kind>manifests|blobs|tags)/(?P<rest>.*)$")


@dataclass(frozen=True)
class Grant:
    account: str
    region: str
    expires: float


class Grants:
    """The passwords GetAuthorizationToken issued, each for one registry (account) and region."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._by_password: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, account: str, region: str) -> tuple[str, float]:
        password = secrets.token_urlsafe(32)
        expires = self._clock() + GRANT_SECONDS
        with self._lock:
            self._by_password[password] = Grant(account, region, expires)
        return password, expires

    def check(self, authorization: str | None) -> Grant | tuple[int, str, str]:
        """The grant behind an Authorization header, or (status, code, message) as ECR answers."""
        if not authorization or not authorization.startswith("Basic "):
            return 401, "UNAUTHORIZED", "Not Authorized"
        try:
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return 401, "UNAUTHORIZED", "Not Authorized"
        grant = self._by_password.get(password) if user == "AWS" else None
        if grant is None:
            return 403, "DENIED", "Not Authorized"
        if self._clock() >= grant.expires:
            return 403, "DENIED", "Your authorization token has expired. Reauthenticate and try again."
        return grant


GRANTS = Grants()


def patch_authorization_token(front: str, grants: Grants = GRANTS) -> None:
    """GetAuthorizationToken: a fresh 12-hour password per registry, at this emulator's endpoint."""

    def get_authorization_token(self: ECRResponse) -> str:
        registry_ids = self._get_param("registryIds") or [self.current_account]
        data = []
        for registry_id in registry_ids:
            password, expires = grants.issue(registry_id, self.region)
            data.append(
                {
                    "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                    "expiresAt": datetime.fromtimestamp(expires, tz=timezone.utc).timestamp(),
                    "proxyEndpoint": f"https://{front}",
                }
            )
        return json.dumps({"authorizationData": data})

    ECRResponse.get_authorization_token = get_authorization_token  # type: ignore[method-assign,assignment]


def patch_repository_uri(front: str) -> None:
    """A repository's URI names the registry that serves it: this emulator's host."""
    original = Repository.__init__

    def __init__(self: Repository, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.uri = f"{front}/{self.name}"

    Repository.__init__ = __init__  # type: ignore[method-assign]


def _error(start_response: Callable[..., Any], status: int, code: str, message: str) -> list[bytes]:
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]}).encode()
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
    if status == 401:
        headers.append(("WWW-Authenticate", 'Basic realm="nexus-emulator-ecr",service="ecr.amazonaws.com"'))
    start_response(f"{status} {http.client.responses[status]}", headers + list(API_VERSION.items()))
    return [body]


def _immutable_conflict(repository: Repository, tag: str, digest: str) -> bool:
    if not repository.image_tag_mutability.startswith("IMMUTABLE"):
        return False
    return any(tag in image.image_tags and image.image_digest != digest for image in repository.images)


class RegistryFront:
    """The /v2 API in front of the OCI registry at `backend` (host:port on loopback)."""

    def __init__(self, backend: str, grants: Grants = GRANTS) -> None:
        self.backend = backend
        self.grants = grants

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        grant = self.grants.check(environ.get("HTTP_AUTHORIZATION"))
        if not isinstance(grant, Grant):
            return _error(start_response, *grant)
        path = environ.get("PATH_INFO", "")
        if path in ("/v2", "/v2/"):
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2"), *API_VERSION.items()])
            return [b"{}"]
        route = ROUTE.match(path)
        if route is None:
            return _error(start_response, 404, "UNSUPPORTED", f"{path} is not an ECR registry API call")
        name, kind, rest = route["name"], route["kind"], route["rest"]
        repository = ecr_backends[grant.account][grant.region].repositories.get(name)
        if repository is None:
            message = f"The repository with name '{name}' does not exist in the registry with id '{grant.account}'"
            return _error(start_response, 404, "NAME_UNKNOWN", message)
        method = environ["REQUEST_METHOD"]
        body = _read_body(environ)
        tag = rest if kind == "manifests" and method == "PUT" and not rest.startswith("sha256:") else None
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if tag and _immutable_conflict(repository, tag, digest):
            message = (
                f"The image tag '{tag}' already exists in the '{name}' repository and cannot be overwritten "
                "because the repository is immutable."
            )
            return _error(start_response, 400, "TAG_INVALID", message)
        namespace = f"/v2/{grant.account}/{grant.region}/"
        target = f"{namespace}{name}/{kind}/{rest}"
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        headers = {
            key[5:].replace("_", "-").lower() if key.startswith("HTTP_") else key.replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")
        }
        forwarded = {key: value for key, value in headers.items() if key in FORWARDED_REQUEST and key != "content-length"}
        connection = http.client.HTTPConnection(self.backend, timeout=300)
        connection.request(method, target, body=body if body or method in ("PUT", "PATCH", "POST") else None, headers=forwarded)
        response = connection.getresponse()
        if tag and response.status == 201:
            media_type = headers.get("content-type", "").split(";")[0] or None
            try:
                ecr_backends[grant.account][grant.region].put_image(
                    name, body.decode(), tag, media_type, response.getheader("Docker-Content-Digest") or digest
                )
            except ImageAlreadyExistsException:
                pass  # the same bytes under the same tag: pushed again, already recorded
        out = []
        for key, value in response.getheaders():
            # A HEAD answer's Content-Length is the size of what a GET would return (a blob's size).
            if key.lower() in HOP_BY_HOP and not (method == "HEAD" and key.lower() == "content-length"):
                continue
            if key.lower() == "location" and value.startswith(namespace):
                value = "/v2/" + value[len(namespace) :]
            out.append((key, value))
        payload = response.read()
        connection.close()
        if method == "HEAD":
            start_response(f"{response.status} {response.reason}", out)
            return []
        start_response(f"{response.status} {response.reason}", [*out, ("Content-Length", str(len(payload)))])
        return [payload]


def _read_body(environ: dict[str, Any]) -> bytes:
    from werkzeug.wsgi import get_input_stream

    return get_input_stream(environ).read()


def registry_middleware(app: Callable[..., Any], front: RegistryFront) -> Callable[..., Any]:
    """Sends /v2 to the registry front and everything else to moto."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/v2" or path.startswith("/v2/"):
            return front(environ, start_response)
        return app(environ, start_response)

    return wrapped


_front: list[str] = []


def apply(front: str) -> list[str]:
    """Checks, then applies gap 9's two moto patches once per process, for an emulator at `front`."""
    if not _front:
        self_check(PATCHED)
        patch_authorization_token(front)
        patch_repository_uri(front)
        _front.append(front)
    elif _front[0] != front:
        raise RuntimeError(f"gap 9 already serves {_front[0]}; one registry front per process")
    return ["patch_authorization_token", "patch_repository_uri"]
