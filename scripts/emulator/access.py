"""Gaps 10-16: IAM enforced on every request, as AWS enforces it, for the e2e (nexus_moto.py
--enforce-iam). moto 5.2.5 authenticates and authorizes requests once INITIAL_NO_AUTH_ACTION_COUNT
requests have passed (moto/core/authorization.py): SigV4 against the access keys it issued (users'
keys and STS temporary credentials), then the caller's identity policies on the action, and on the
resource where a service names one (S3's own path, SQS, IAM, STS). Closed here toward AWS:

- the deploying identity: the emulator's test key belongs to a named IAM user, `nexus-e2e-admin`,
  with the AWS-managed AdministratorAccess policy, created in-process before the first request, so
  enforcement starts at request one and Terraform deploys as that user (GetCallerIdentity names it);
- gap 10, sts:AssumeRole judged by the role's trust policy as AWS does: a role that does not exist is
  AccessDenied (moto assumes any ARN); a statement's Principal is matched for AWS and Service
  principals (moto reads only AWS and raises on a Service principal) and its conditions against
  the request's context; a Deny that applies wins; a caller named in the trust policy by its own ARN
  needs no identity permission, one admitted through its account (`:root`) needs sts:AssumeRole in
  its identity policies too (IAM User Guide, "Cross-account policy evaluation logic" and "Policy
  evaluation logic", same account);
- gap 11, ECS's task credentials: on AWS, ECS assumes a task definition's task role and execution
  role as the service principal `ecs-tasks.amazonaws.com`, with aws:SourceAccount set to the task's
  account, and serves the credentials to the task's containers on the container credentials endpoint
  (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN). The stand-in is
  `/_nexus/ecs/credentials/<task definition ARN>/<task|execution>` on this emulator: it answers only
  with the bearer token printed at start-up, only for a task definition registered in this emulator's
  ECS, only for the role that task definition names, and only if that role's trust policy lets
  `ecs-tasks.amazonaws.com` assume it in the task definition's account (gap 10's evaluation);
- gap 12, temporary credentials past their expiration are refused with ExpiredToken (moto accepts
  them forever); the moto-api endpoint that resets the authorization count is refused, so no caller
  can switch enforcement off;
- gap 13, SQS's batch actions authorized as their single-message actions, as SQS does;
- gap 14, the refusals in the request's protocol: AWS JSON services answer AccessDeniedException
  (and SQS adds its query code in x-amzn-query-error); moto sends query XML, which JSON clients
  cannot parse;
- gap 16, KMS and Secrets Manager calls authorized on the key's and the secret's ARN (moto names no
  resource for them, so a grant on an ARN never matched);
- gap 15, the caller identified by the key ID in the SigV4 Credential field, as AWS does (moto
  matches only 20 upper-case characters there, and names any other caller `user/moto`).

Not reproduced (docs/emulator.md): resource-based policies (bucket, queue, key, topic, secret
policies: moto does not evaluate them under enforcement), conditions in identity policies, session
policies, permission boundaries, SCPs, and the KMS calls a service makes on a caller's behalf.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any, Callable
from urllib.parse import unquote

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.core.responses import BaseResponse
from moto.core.utils import utcnow
from moto.ecs.models import ecs_backends
from moto.iam.access_control import (
    AssumedRoleAccessKey,
    IAMPolicy,
    IAMRequestBase,
    PermissionResult,
)
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.kms.responses import KmsResponse
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sts.models import sts_backends

from gaps import EmulatorDrift, _as_list, _condition_applies, _Applies, _matches, self_check

ACCOUNT = "123456789012"  # moto's default account: the one the test key belongs to
PARTITION = "aws"
DEPLOYER = "nexus-e2e-admin"
TEST_KEY = TEST_SECRET = "nexus-local"  # what every local client signs with (stacks/app/local-target.ts)
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ECS_TASKS = "ecs-tasks.amazonaws.com"
# The session the stand-in issues: an hour, AssumeRole's default (the SDK asks again before expiry).
TASK_CREDENTIAL_SECONDS = 3600

# The moto code gaps 10-16 replace or wrap, and the hash of its source in moto 5.2.5 (gaps.self_check).
PATCHED = {
    "10 assume role": (lambda: IAMRequestBase.check_action_permitted, "c4cad2131aeeec99"),
    "12 expired token": (lambda: AssumedRoleAccessKey.__init__, "f8f9b3c23079a2ca"),
    "15 caller key": (lambda: BaseResponse.get_access_key, "d2140f0641334d03"),
    "14 json errors": (lambda: ActionAuthenticatorMixin._authenticate_and_authorize_normal_action, "eaa6fd7174850bcb"),
}


class ExpiredTokenError(_RESTError):
    code = 403

    def __init__(self) -> None:
        super().__init__("ExpiredToken", "The security token included in the request is expired")


# --- The deploying identity ------------------------------------------------------------------------


def create_deployer(access_key_id: str, secret_access_key: str) -> str:
    """The named admin user that owns the test key; returns its ARN."""
    iam = iam_backends[ACCOUNT][PARTITION]
    user = iam.users.get(DEPLOYER) or iam.create_user("us-east-1", DEPLOYER)
    iam.attach_user_policy(ADMINISTRATOR_ACCESS, DEPLOYER)
    if access_key_id not in iam.access_keys:
        key = iam.create_access_key(DEPLOYER)
        del iam.access_keys[key.access_key_id]
        key.access_key_id, key.secret_access_key = access_key_id, secret_access_key
        iam.access_keys[access_key_id] = key
    return str(user.arn)


# --- Gap 10: sts:AssumeRole and the trust policy ---------------------------------------------------


def _principal_matches(statement: dict[str, Any], caller: dict[str, list[str]]) -> tuple[bool, bool]:
    """(matches, by own ARN or service): whether the statement's Principal names the caller, and
    whether it names it directly rather than through its account."""
    principal = statement.get("Principal")
    if principal == "*":
        return True, False
    if not isinstance(principal, dict):
        return False, False
    for service in _as_list(principal.get("Service")):
        if service in caller.get("Service", []):
            return True, True
    for named in _as_list(principal.get("AWS")):
        if named == "*":
            return True, False
        if named in caller.get("AWS", []):
            return True, True
        account = named if re.fullmatch(r"\d{12}", named) else None
        root = re.fullmatch(r"arn:aws:iam::(\d{12}):root", named)
        if (account or (root and root.group(1))) in caller.get("Account", []):
            return True, False
    return False, False


def trust_decision(role_document: str, caller: dict[str, list[str]], context: dict[str, str]) -> tuple[PermissionResult, bool]:
    """AWS's evaluation of a trust policy for sts:AssumeRole: (result, named directly). An applying
    Deny denies; otherwise an applying Allow permits. A condition that cannot be evaluated here
    (an operator gaps.py does not know) does not apply to an Allow and does apply to a Deny."""
    permitted, direct = False, False
    for statement in _as_list(json.loads(role_document).get("Statement")):
        if "NotPrincipal" in statement or "NotAction" in statement:
            applies = _Applies.UNKNOWN
        elif not any(_matches(a, "sts:AssumeRole", ignore_case=True) for a in _as_list(statement.get("Action"))):
            continue
        else:
            matches, named = _principal_matches(statement, caller)
            if not matches:
                continue
            applies = _condition_applies(statement.get("Condition") or {}, {k.lower(): v for k, v in context.items()})
        if statement.get("Effect") == "Deny" and applies is not _Applies.NO:
            return PermissionResult.DENIED, False
        if statement.get("Effect") == "Allow" and applies is _Applies.YES:
            permitted, direct = True, direct or named
    return (PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL), direct


def _caller(request: IAMRequestBase) -> dict[str, list[str]]:
    arn = request._access_key.arn
    names = [arn]
    assumed = re.fullmatch(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    if assumed:  # a role session is matched by its role's ARN
        names.append(f"arn:aws:iam::{assumed.group(1)}:role/{assumed.group(2)}")
    return {"AWS": names, "Account": [request.account_id]}


def patch_assume_role() -> None:
    original = IAMRequestBase.check_action_permitted

    def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
        if self._action != "sts:AssumeRole":
            return original(self, resource)
        identity = PermissionResult.NEUTRAL
        for policy in self._access_key.collect_policies():
            result = IAMPolicy(policy).is_action_permitted(self._action, resource)
            if result == PermissionResult.DENIED:
                self._raise_access_denied()
            if result == PermissionResult.PERMITTED:
                identity = result
        try:
            role = self.backend.get_role_by_arn(resource)
        except NotFoundException:
            self._raise_access_denied()  # AWS: "not authorized to perform: sts:AssumeRole on resource"
        trust, direct = trust_decision(role.assume_role_policy_document, _caller(self), {})
        if trust == PermissionResult.PERMITTED and (direct or identity == PermissionResult.PERMITTED):
            return None
        self._raise_access_denied()

    IAMRequestBase.check_action_permitted = check_action_permitted


# --- Gap 13: SQS batch actions ---------------------------------------------------------------------

# SQS authorizes each batch action as its single-message action: "there are no separate permissions
# for batch actions" (Amazon SQS Developer Guide, "Amazon SQS API permissions"). moto checks the
# batch action's own name, which no policy grants.
SQS_BATCH_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}


def patch_sqs_batch_actions() -> None:
    checked = IAMRequestBase.check_action_permitted

    def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
        self._action = SQS_BATCH_ACTIONS.get(self._action, self._action)
        return checked(self, resource)

    IAMRequestBase.check_action_permitted = check_action_permitted


# --- Gap 11: ECS task credentials -------------------------------------------------------------------

CREDENTIALS_PATH = re.compile(r"^/_nexus/ecs/credentials/(?P<arn>arn:aws:ecs:[^/]+:\d{12}:task-definition/[^/]+)/(?P<which>task|execution)$")


class TaskCredentials:
    """The ECS stand-in: credentials for a registered task definition's role, as the container
    credentials endpoint serves them."""

    def __init__(self, token: str | None = None):
        self.token = token or secrets.token_urlsafe(32)

    def issue(self, task_definition_arn: str, which: str, authorization: str | None) -> tuple[int, dict[str, Any]]:
        if authorization != self.token:
            return 401, {"code": "Unauthorized", "message": "missing or wrong AWS_CONTAINER_AUTHORIZATION_TOKEN"}
        _, _, _, region, account, resource = task_definition_arn.split(":", 5)
        family, _, revision = resource.removeprefix("task-definition/").partition(":")
        definition = ecs_backends[account][region].task_definitions.get(family, {}).get(int(revision or 0))
        if definition is None:
            return 404, {"code": "NotFound", "message": f"no task definition {task_definition_arn} is registered"}
        role_arn = getattr(definition, "task_role_arn" if which == "task" else "execution_role_arn", None)
        if not role_arn:
            return 404, {"code": "NotFound", "message": f"{task_definition_arn} names no {which} role"}
        try:
            role = iam_backends[account][PARTITION].get_role_by_arn(role_arn)
        except NotFoundException:
            return 403, {"code": "AccessDenied", "message": f"ECS cannot assume {role_arn}: the role does not exist"}
        trust, _ = trust_decision(
            role.assume_role_policy_document, {"Service": [ECS_TASKS]}, {"aws:SourceAccount": account}
        )
        if trust != PermissionResult.PERMITTED:
            return 403, {
                "code": "AccessDenied",
                "message": f"{role_arn} does not trust {ECS_TASKS} in account {account}",
            }
        session = sts_backends[account][PARTITION].assume_role(
            region_name=region,
            role_session_name=f"ecs-{family}-{secrets.token_hex(8)}",
            role_arn=role_arn,
            policy="",
            duration=TASK_CREDENTIAL_SECONDS,
            external_id="",
        )
        return 200, {
            "AccessKeyId": session.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "Token": session.session_token,
            "Expiration": session.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "RoleArn": role_arn,
        }


def credentials_middleware(app: Callable[..., Any], credentials: TaskCredentials) -> Callable[..., Any]:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        match = CREDENTIALS_PATH.match(unquote(environ.get("PATH_INFO", "")))
        if environ.get("PATH_INFO", "").startswith("/moto-api/reset-auth"):
            return _answer(start_response, 403, {"code": "AccessDenied", "message": "IAM is enforced here: no reset"})
        if not match:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "GET":
            return _answer(start_response, 405, {"code": "MethodNotAllowed", "message": "GET only"})
        status, body = credentials.issue(match["arn"], match["which"], environ.get("HTTP_AUTHORIZATION"))
        return _answer(start_response, status, body)

    return wrapped


def _answer(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    reasons = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}
    start_response(f"{status} {reasons[status]}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


# --- Gap 12: expired temporary credentials ---------------------------------------------------------


def patch_expired_token() -> None:
    original = AssumedRoleAccessKey.__init__

    def __init__(self: AssumedRoleAccessKey, account_id: str, partition: str, access_key_id: str, headers: dict[str, str]) -> None:
        original(self, account_id, partition, access_key_id, headers)
        session = sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key_id)
        if session is not None and session.expiration <= utcnow():
            raise ExpiredTokenError()

    AssumedRoleAccessKey.__init__ = __init__


# --- Gap 14: authorization errors in the request's protocol ---------------------------------------

# The AWS JSON protocols name these errors differently from the query protocol (AWS JSON common
# errors: AccessDeniedException, UnrecognizedClientException, InvalidSignatureException,
# ExpiredTokenException); SQS, query-compatible, also sends the query code in x-amzn-query-error.
# moto renders them as query XML whatever the protocol, which a JSON client cannot parse.
JSON_AUTH_ERRORS = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "ExpiredToken": "ExpiredTokenException",
}


def patch_json_auth_errors() -> None:
    original = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

    def authorize(self: Any, resource: str = "*") -> None:
        try:
            original(self, resource)
        except _RESTError as error:
            json_request = "x-amz-json" in self.headers.get("Content-Type", "") or "X-Amz-Target" in self.headers
            if not json_request or error.error_type not in JSON_AUTH_ERRORS:
                raise
            if self.service_name == "sqs":
                self.response_headers["x-amzn-query-error"] = f"{error.error_type};Sender"
            converted = JsonRESTError(JSON_AUTH_ERRORS[error.error_type], error.message)
            converted.code = error.code
            raise converted from error

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize


# --- Gap 16: the resource of KMS and Secrets Manager calls ----------------------------------------


def _key_arn(self: KmsResponse) -> str:
    key_id = self._get_param("KeyId")
    if not key_id:
        return "*"  # CreateKey, ListKeys, ListAliases: AWS authorizes them on "*"
    try:
        return str(self.kms_backend.describe_key(key_id).arn)
    except Exception:  # an unknown key: the call itself answers NotFoundException after authorization
        return "*"


def _secret_arn(self: SecretsManagerResponse) -> str:
    secret_id = self._get_param("SecretId")
    if not secret_id:
        return "*"  # CreateSecret, ListSecrets
    try:
        return str(self.backend.describe_secret(secret_id).arn)
    except Exception:
        return "*"


def patch_resource_arns() -> None:
    """AWS authorizes a KMS call on the key's ARN (whatever KeyId names: key ID, key ARN, alias) and a
    Secrets Manager call on the secret's ARN. moto names no resource for either, so it matches every
    policy Resource against "*": a grant on one key's ARN allowed nothing, and only a grant on "*"
    allowed anything. A refusal the e2e asserts could pass for that reason alone."""
    for response in (KmsResponse, SecretsManagerResponse):
        if hasattr(response, "_determine_resource"):
            raise EmulatorDrift(f"moto now names the resource of {response.__name__}: drop gap 16's patch")
    KmsResponse._determine_resource = _key_arn
    SecretsManagerResponse._determine_resource = _secret_arn


# --- Gap 15: the caller's access key ID ------------------------------------------------------------

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def patch_caller_key() -> None:
    """AWS identifies the caller by the access key ID in the Credential field of the SigV4
    Authorization header. moto finds it with a pattern for 20 upper-case characters and, for any other
    ID, answers as an unnamed default caller (GetCallerIdentity: `user/moto`), although its own
    authorization reads the Credential field. The test key, `nexus-local`, is not AWS-shaped (an
    AWS-shaped key in the local provider block would rightly fail CKV_AWS_41)."""
    original = BaseResponse.get_access_key

    def get_access_key(self: BaseResponse) -> str:
        found = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        return found.group(1) if found else original(self)

    BaseResponse.get_access_key = get_access_key


_applied: list[str] = []


def apply(access_key_id: str, secret_access_key: str) -> list[str]:
    """Checks, creates the deploying identity, patches, and turns enforcement on from the next request."""
    if _applied:
        return list(_applied)
    self_check(PATCHED)
    create_deployer(access_key_id, secret_access_key)
    for patch in (patch_assume_role, patch_sqs_batch_actions, patch_expired_token, patch_json_auth_errors, patch_caller_key, patch_resource_arns):
        patch()
        _applied.append(patch.__name__)
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    _applied.append("iam_enforced")
    return list(_applied)

