"""Gap 9: ECR's registry API, as ECR documents it, in front of the real OCI registry npm run setup
builds (.toolchain/registry/bin/registry, distribution 3.1.2): what ECR accepts is stored and recorded,
what it refuses is refused with its error code."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
import requests

import ecr_registry
import nexus_moto

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / ".toolchain" / "registry" / "bin" / "registry"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    assert REGISTRY.exists(), f"{REGISTRY} is not built: run npm run setup"
    work = tmp_path_factory.mktemp("registry")
    backend = f"127.0.0.1:{free_port()}"
    (work / "config.yml").write_text(
        json.dumps(
            {
                "version": 0.1,
                "log": {"level": "error", "accesslog": {"disabled": True}},
                "storage": {"filesystem": {"rootdirectory": str(work / "data")}},
                "http": {"addr": backend, "relativeurls": True},
            }
        )
    )
    registry = subprocess.Popen([str(REGISTRY), "serve", str(work / "config.yml")])
    port = free_port()
    front = f"127.0.0.1:{port}"
    ecr_registry.apply(front)
    server, _ = nexus_moto.build_server("127.0.0.1", port, None, registry_backend=backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for _ in range(100):
        try:
            requests.get(f"http://{backend}/v2/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    ecr = boto3.client(
        "ecr",
        region_name="us-east-1",
        endpoint_url=f"http://{front}",
        aws_access_key_id="nexus-local",
        aws_secret_access_key="nexus-local",
    )
    try:
        yield {"front": front, "ecr": ecr}
    finally:
        server.shutdown()
        registry.terminate()
        registry.wait()


def login(ecr: Any) -> tuple[str, str]:
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return user, password


def push_blob(base: str, name: str, auth: tuple[str, str], blob: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    started = requests.post(f"{base}/v2/{name}/blobs/uploads/", auth=auth, timeout=10)
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    assert location.startswith(f"/v2/{name}/blobs/uploads/"), "the location names the repository as pushed"
    separator = "&" if "?" in location else "?"
    done = requests.put(f"{base}{location}{separator}digest={digest}", data=blob, auth=auth, timeout=10)
    assert done.status_code == 201, done.text
    return digest


def manifest(base: str, name: str, auth: tuple[str, str], layer: bytes) -> bytes:
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    layer_digest = push_blob(base, name, auth, layer)
    config_digest = push_blob(base, name, auth, config)
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": len(layer)}],
        }
    ).encode()


def put_manifest(base: str, name: str, tag: str, auth: tuple[str, str], body: bytes) -> requests.Response:
    return requests.put(
        f"{base}/v2/{name}/manifests/{tag}", data=body, headers={"Content-Type": MANIFEST}, auth=auth, timeout=10
    )


def test_a_token_is_a_fresh_password_for_12_hours_at_the_emulator(emulator: dict[str, Any]) -> None:
    ecr = emulator["ecr"]
    first = ecr.get_authorization_token()["authorizationData"][0]
    second = ecr.get_authorization_token()["authorizationData"][0]
    assert first["authorizationToken"] != second["authorizationToken"]
    assert first["proxyEndpoint"] == f"https://{emulator['front']}"
    hours = (first["expiresAt"].timestamp() - time.time()) / 3600
    assert 11.9 < hours <= 12
    assert base64.b64decode(first["authorizationToken"]).decode().startswith("AWS:")


def test_a_repository_uri_names_the_emulator(emulator: dict[str, Any]) -> None:
    repo = emulator["ecr"].create_repository(repositoryName="uri/check")["repository"]
    assert repo["repositoryUri"] == f"{emulator['front']}/uri/check"


def test_no_credentials_get_a_basic_challenge_and_wrong_ones_are_denied(emulator: dict[str, Any]) -> None:
    base = f"http://{emulator['front']}"
    anonymous = requests.get(f"{base}/v2/", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic ")
    wrong = requests.get(f"{base}/v2/", auth=("AWS", "not-a-token"), timeout=10)
    assert (wrong.status_code, wrong.json()["errors"][0]["code"]) == (403, "DENIED")
    assert requests.get(f"{base}/v2/", auth=login(emulator["ecr"]), timeout=10).status_code == 200


def test_an_expired_password_is_denied_with_ecrs_message() -> None:
    now = [1000.0]
    grants = ecr_registry.Grants(clock=lambda: now[0])
    password, _ = grants.issue("123456789012", "us-east-1")
    header = "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode()
    assert isinstance(grants.check(header), ecr_registry.Grant)
    now[0] += ecr_registry.GRANT_SECONDS
    assert grants.check(header) == (
        403,
        "DENIED",
        "Your authorization token has expired. Reauthenticate and try again.",
    )


def test_a_push_to_a_repository_never_created_is_name_unknown(emulator: dict[str, Any]) -> None:
    base = f"http://{emulator['front']}"
    refused = requests.post(f"{base}/v2/never-created/blobs/uploads/", auth=login(emulator["ecr"]), timeout=10)
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["code"] == "NAME_UNKNOWN"


def test_a_pushed_image_is_stored_and_listed_at_its_digest(emulator: dict[str, Any]) -> None:
    ecr, base = emulator["ecr"], f"http://{emulator['front']}"
    ecr.create_repository(repositoryName="pushed", imageTagMutability="IMMUTABLE")
    auth = login(ecr)
    body = manifest(base, "pushed", auth, b"layer one")
    stored = put_manifest(base, "pushed", "v1", auth, body)
    assert stored.status_code == 201, stored.text
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    assert stored.headers["Docker-Content-Digest"] == digest
    pulled = requests.get(f"{base}/v2/pushed/manifests/v1", headers={"Accept": MANIFEST}, auth=auth, timeout=10)
    assert pulled.content == body
    head = requests.head(f"{base}/v2/pushed/manifests/v1", headers={"Accept": MANIFEST}, auth=auth, timeout=10)
    assert (head.status_code, head.headers["Content-Length"]) == (200, str(len(body)))
    images = ecr.describe_images(repositoryName="pushed")["imageDetails"]
    assert [(i["imageTags"], i["imageDigest"]) for i in images] == [(["v1"], digest)]


def test_an_immutable_tag_takes_the_same_bytes_again_but_never_others(emulator: dict[str, Any]) -> None:
    ecr, base = emulator["ecr"], f"http://{emulator['front']}"
    ecr.create_repository(repositoryName="immutable", imageTagMutability="IMMUTABLE")
    auth = login(ecr)
    body = manifest(base, "immutable", auth, b"first")
    assert put_manifest(base, "immutable", "v1", auth, body).status_code == 201
    assert put_manifest(base, "immutable", "v1", auth, body).status_code == 201
    moved = put_manifest(base, "immutable", "v1", auth, manifest(base, "immutable", auth, b"second"))
    assert moved.status_code == 400
    assert moved.json()["errors"][0]["code"] == "TAG_INVALID"


def test_one_account_cannot_reach_another_accounts_repository(emulator: dict[str, Any]) -> None:
    ecr, base = emulator["ecr"], f"http://{emulator['front']}"
    ecr.create_repository(repositoryName="mine")
    data = ecr.get_authorization_token(registryIds=["999999999999"])["authorizationData"][0]
    other = tuple(base64.b64decode(data["authorizationToken"]).decode().split(":", 1))
    refused = requests.post(f"{base}/v2/mine/blobs/uploads/", auth=other, timeout=10)
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (404, "NAME_UNKNOWN")


def test_the_server_starts_with_gap_9_after_the_other_gaps(tmp_path: Path) -> None:
    """nexus_moto applies gaps 1 to 8, then gap 9: each self-check reads only the code it patches."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            str(ROOT / "scripts" / "emulator" / "nexus_moto.py"),
            "--port",
            str(port),
            "--plain-http",
            "--registry-backend",
            f"127.0.0.1:{free_port()}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        started = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        assert "patch_repository_uri" in started["patched"] and "patch_cloudwatch_json" in started["patched"]
    finally:
        server.terminate()
        server.wait()


def test_the_registry_backend_must_be_on_loopback() -> None:
    with pytest.raises(Exception, match="loopback only"):
        nexus_moto.loopback_http("10.0.0.1:5000")
