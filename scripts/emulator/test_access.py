"""Gaps 10-13: the emulator with IAM enforced (nexus_moto.py --enforce-iam, in its own process, since
enforcement is process-wide): the test key is the named admin, roles are assumed only as their trust
policies allow, ECS's stand-in hands out only what ECS would, and each refusal carries AWS's code."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from test_ecr_registry import free_port

HERE = Path(__file__).parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
ADMIN = {"aws_access_key_id": "nexus-local", "aws_secret_access_key": "nexus-local"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[dict[str, Any]]:
    port = free_port()
    args = [sys.executable, str(HERE / "nexus_moto.py"), "--plain-http", "--enforce-iam", "--port", str(port)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        ready = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        yield ready
    finally:
        process.terminate()
        process.wait()


def client(emulator: dict[str, Any], service: str, **credentials: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=emulator["endpoint"], **(credentials or ADMIN))


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def trust(principal: dict[str, Any], condition: dict[str, Any] | None = None, effect: str = "Allow") -> str:
    statement: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def role(emulator: dict[str, Any], name: str, document: str, policy: dict[str, Any] | None = None) -> str:
    iam = client(emulator, "iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"])
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    return arn


def user(emulator: dict[str, Any], name: str) -> dict[str, str]:
    iam = client(emulator, "iam")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


ECS_TRUST = trust({"Service": "ecs-tasks.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}})


# The deploying identity ----------------------------------------------------------------------------


def test_the_test_key_is_the_named_admin_and_enforcement_starts_at_the_first_request(emulator: dict[str, Any]) -> None:
    assert "iam_enforced" in emulator["patched"]
    identity = client(emulator, "sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/nexus-e2e-admin"
    client(emulator, "s3").create_bucket(Bucket="admin-made")
    with pytest.raises(ClientError) as unknown:
        client(emulator, "sqs", aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x").list_queues()
    assert code(unknown) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as wrong_secret:
        client(emulator, "sqs", aws_access_key_id=ADMIN["aws_access_key_id"], aws_secret_access_key="wrong").list_queues()
    assert code(wrong_secret) == "SignatureDoesNotMatch"


def test_a_user_without_policies_is_refused(emulator: dict[str, Any]) -> None:
    nobody = user(emulator, "nobody")
    with pytest.raises(ClientError) as refused:
        client(emulator, "iam", **nobody).list_roles()
    assert code(refused) == "AccessDenied"


def test_enforcement_cannot_be_reset_through_the_moto_api(emulator: dict[str, Any]) -> None:
    answer = requests.post(f"{emulator['endpoint']}/moto-api/reset-auth", data=b"1000", timeout=10)
    assert answer.status_code == 403
    with pytest.raises(ClientError):
        client(emulator, "iam", aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x").list_roles()


# Gap 10: sts:AssumeRole ----------------------------------------------------------------------------


def test_a_role_that_trusts_only_a_service_cannot_be_assumed_even_by_the_admin(emulator: dict[str, Any]) -> None:
    arn = role(emulator, "service-only", ECS_TRUST)
    with pytest.raises(ClientError) as refused:
        client(emulator, "sts").assume_role(RoleArn=arn, RoleSessionName="admin")
    assert code(refused) == "AccessDenied"


def test_a_role_that_does_not_exist_is_access_denied(emulator: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        client(emulator, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/no-such-role", RoleSessionName="nobody")
    assert code(refused) == "AccessDenied"


def test_trust_through_the_account_needs_identity_permission_too(emulator: dict[str, Any]) -> None:
    arn = role(emulator, "account-trust", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert client(emulator, "sts").assume_role(RoleArn=arn, RoleSessionName="admin")["Credentials"]["AccessKeyId"]
    plain = user(emulator, "plain")
    with pytest.raises(ClientError) as refused:
        client(emulator, "sts", **plain).assume_role(RoleArn=arn, RoleSessionName="plain")
    assert code(refused) == "AccessDenied"


def test_a_user_named_in_the_trust_policy_needs_no_identity_permission(emulator: dict[str, Any]) -> None:
    named = user(emulator, "named")
    arn = role(emulator, "named-trust", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/named"}))
    assert client(emulator, "sts", **named).assume_role(RoleArn=arn, RoleSessionName="named")["AssumedRoleUser"]["Arn"]


def test_an_unmet_condition_or_a_deny_refuses(emulator: dict[str, Any]) -> None:
    conditional = role(
        emulator,
        "needs-external-id",
        trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    )
    with pytest.raises(ClientError) as unmet:  # a user's request carries no aws:SourceAccount
        client(emulator, "sts").assume_role(RoleArn=conditional, RoleSessionName="admin")
    assert code(unmet) == "AccessDenied"
    document = json.loads(trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    document["Statement"].append({**document["Statement"][0], "Effect": "Deny"})
    denied = role(emulator, "allow-and-deny", json.dumps(document))
    with pytest.raises(ClientError) as deny:
        client(emulator, "sts").assume_role(RoleArn=denied, RoleSessionName="admin")
    assert code(deny) == "AccessDenied"


# Gap 11: ECS's task credentials --------------------------------------------------------------------


def task_definition(emulator: dict[str, Any], family: str, task_role: str | None) -> str:
    extra = {"taskRoleArn": task_role} if task_role else {}
    registered = client(emulator, "ecs").register_task_definition(
        family=family, containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}], **extra
    )
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def task_credentials(emulator: dict[str, Any], arn: str, which: str = "task", token: str | None = None) -> requests.Response:
    return requests.get(
        f"{emulator['endpoint']}/_nexus/ecs/credentials/{arn}/{which}",
        headers={"Authorization": token or emulator["ecsCredentialsToken"]},
        timeout=10,
    )


def test_the_ecs_stand_in_serves_the_task_role_of_a_registered_task_definition(emulator: dict[str, Any]) -> None:
    sqs = client(emulator, "sqs")
    queue = sqs.create_queue(QueueName="tasks")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": queue_arn}]}
    role_arn = role(emulator, "task-role", ECS_TRUST, policy)
    answer = task_credentials(emulator, task_definition(emulator, "worker", role_arn))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
    assert body["RoleArn"] == role_arn
    session = {"aws_access_key_id": body["AccessKeyId"], "aws_secret_access_key": body["SecretAccessKey"], "aws_session_token": body["Token"]}
    task_sqs = client(emulator, "sqs", **session)
    identity = client(emulator, "sts", **session).get_caller_identity()
    assert identity["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/task-role/ecs-worker-")
    assert task_sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages") is None
    # Gap 13: the batch action is authorized as sqs:DeleteMessage, which the role has.
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    received = task_sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)["Messages"][0]
    deleted = task_sqs.delete_message_batch(QueueUrl=queue, Entries=[{"Id": "1", "ReceiptHandle": received["ReceiptHandle"]}])
    assert [e["Id"] for e in deleted["Successful"]] == ["1"]
    for call in (
        lambda: task_sqs.receive_message(QueueUrl=other, WaitTimeSeconds=0),  # another queue
        lambda: task_sqs.send_message(QueueUrl=queue, MessageBody="x"),  # another action
        lambda: task_sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "1", "MessageBody": "x"}]),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert code(refused) == "AccessDenied"


def test_the_ecs_stand_in_refuses_what_ecs_would_not_assume(emulator: dict[str, Any]) -> None:
    wrong_account = role(
        emulator, "other-account", trust({"Service": "ecs-tasks.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": "999999999999"}})
    )
    other_service = role(emulator, "lambda-role", trust({"Service": "lambda.amazonaws.com"}))
    for arn in (wrong_account, other_service):
        assert task_credentials(emulator, task_definition(emulator, f"td-{arn.rsplit('/', 1)[1]}", arn)).status_code == 403
    trusted = role(emulator, "trusted-task", ECS_TRUST)
    registered = task_definition(emulator, "trusted", trusted)
    assert task_credentials(emulator, registered, token="not-the-token").status_code == 401
    assert task_credentials(emulator, registered, which="execution").status_code == 404  # it names no execution role
    unregistered = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/never-registered:1"
    assert task_credentials(emulator, unregistered).status_code == 404
    missing = task_definition(emulator, "missing-role", f"arn:aws:iam::{ACCOUNT}:role/never-created")
    assert task_credentials(emulator, missing).status_code == 403


# Gap 14: the refusal in the request's protocol ----------------------------------------------------


def test_json_services_refuse_with_their_own_error_codes(emulator: dict[str, Any]) -> None:
    key = client(emulator, "kms").create_key()["KeyMetadata"]["Arn"]
    secret = client(emulator, "secretsmanager").create_secret(Name="s", SecretString="v")["ARN"]
    queue = client(emulator, "sqs").create_queue(QueueName="json-errors")["QueueUrl"]
    nobody = user(emulator, "json-nobody")
    stranger = {"aws_access_key_id": "AKIAUNKNOWN000000000", "aws_secret_access_key": "x"}
    wrong_secret = {**ADMIN, "aws_secret_access_key": "wrong"}
    refusals = [
        ("AccessDeniedException", lambda: client(emulator, "kms", **nobody).encrypt(KeyId=key, Plaintext=b"x")),
        ("AccessDeniedException", lambda: client(emulator, "secretsmanager", **nobody).get_secret_value(SecretId=secret)),
        ("AccessDenied", lambda: client(emulator, "sqs", **nobody).receive_message(QueueUrl=queue)),  # x-amzn-query-error
        ("UnrecognizedClientException", lambda: client(emulator, "kms", **stranger).list_keys()),
        ("InvalidSignatureException", lambda: client(emulator, "kms", **wrong_secret).list_keys()),
    ]
    for expected, call in refusals:
        with pytest.raises(ClientError) as refused:
            call()
        assert code(refused) == expected


# Gap 16: KMS keys and secrets by ARN ----------------------------------------------------------------


def test_kms_and_secrets_manager_grants_on_an_arn_allow_that_resource_only(emulator: dict[str, Any]) -> None:
    kms, secrets = client(emulator, "kms"), client(emulator, "secretsmanager")
    granted_key, other_key = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    kms.create_alias(AliasName="alias/granted", TargetKeyId=granted_key)
    granted_secret = secrets.create_secret(Name="granted", SecretString="v")["ARN"]
    secrets.create_secret(Name="other", SecretString="v")
    name = "arn-scoped"
    client(emulator, "iam").create_user(UserName=name)
    client(emulator, "iam").put_user_policy(
        UserName=name,
        PolicyName=name,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": granted_key},
                    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": granted_secret},
                ],
            }
        ),
    )
    key = client(emulator, "iam").create_access_key(UserName=name)["AccessKey"]
    scoped = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    for key_id in (granted_key, granted_key.split("/")[-1], "alias/granted"):  # the key, however named
        assert client(emulator, "kms", **scoped).encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"] == granted_key
    assert client(emulator, "secretsmanager", **scoped).get_secret_value(SecretId="granted")["SecretString"] == "v"
    for call in (
        lambda: client(emulator, "kms", **scoped).encrypt(KeyId=other_key, Plaintext=b"x"),
        lambda: client(emulator, "secretsmanager", **scoped).get_secret_value(SecretId="other"),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert code(refused) == "AccessDeniedException"


# Gap 12: expired temporary credentials --------------------------------------------------------------


def test_expired_temporary_credentials_are_refused_with_expired_token() -> None:
    """In-process (the server cannot be made to wait out 15 minutes): a session whose expiration has
    passed is refused where moto would accept it."""
    from moto.core.utils import utcnow
    from moto.iam.access_control import AssumedRoleAccessKey
    from moto.sts.models import sts_backends

    import access

    access.patch_expired_token()
    backend = sts_backends[ACCOUNT]["aws"]
    session = backend.assume_role(REGION, "s", f"arn:aws:iam::{ACCOUNT}:role/any", "", 900, "")
    headers = {"X-Amz-Security-Token": session.session_token}
    AssumedRoleAccessKey(ACCOUNT, "aws", session.access_key_id, headers)  # valid: accepted
    session.expiration = utcnow() - timedelta(seconds=1)
    with pytest.raises(access.ExpiredTokenError):
        AssumedRoleAccessKey(ACCOUNT, "aws", session.access_key_id, headers)
