"""Where moto 5.2.5 differs from AWS in ways that stop `terraform apply` of our stacks, closed one
function per gap, each toward AWS's documented behaviour and never toward accepting what AWS refuses.

`self_check()` runs before any patch: it fails loudly when the moto code a patch replaces is not the
code this file was written against (a moto upgrade), so nothing is patched blind. docs/emulator.md
lists the gaps, the AWS documentation each follows, and what moto only records.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import threading
from enum import Enum
from typing import Any, Callable

import moto
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.cloudwatch.models import Alarm, CloudWatchBackend
from moto.core import request as moto_request
from moto.core import responses as moto_responses
from moto.core import routing as moto_routing
from moto.core.exceptions import JsonRESTError
from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket
from moto.s3.utils import LOGGING_SERVICE_PRINCIPAL
from moto.sqs.models import Queue

MOTO_VERSION = "5.2.5"


class EmulatorDrift(RuntimeError):
    """moto is not the code the patches were written against."""


def _source_hash(target: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(target).encode()).hexdigest()[:16]


# The moto code each patch replaces or wraps, and the hash of its source in moto 5.2.5.
PATCHED = {
    "1 log delivery": (lambda: FakeBucket._log_permissions_enabled_policy, "d647342f8ffe14ae"),
    "2 redrive allow policy": (lambda: Queue.attributes.fget, "40cb990b121628d5"),
    "2 policy kept": (lambda: Queue._set_attributes, "4b7aaf3f46363f13"),
    "3 scaling target tags": (lambda: ApplicationAutoScalingResponse.register_scalable_target, "47d20f4695be7069"),
    "4 bucket policy": (lambda: FakeBucket.get_permission, "7571412a3495a0e3"),
    "6 revoke egress": (lambda: SecurityGroupBackend.revoke_security_group_egress, "8b2b05d2ea5072ee"),
    "6 revoke ingress": (lambda: SecurityGroupBackend.revoke_security_group_ingress, "271a8e2bae4f8176"),
    "7 alarm actions": (lambda: CloudWatchBackend.set_alarm_state, "a25532144b2a458c"),
    "8 cloudwatch json": (lambda: moto_request.determine_request_protocol, "8960b865eabd4c4c"),
}  # Gap 9 has its own list, in ecr_registry.py: it is applied only when the emulator fronts a registry.


def self_check(expected: dict[str, tuple[Callable[[], Callable[..., Any]], str]] = PATCHED) -> None:
    """Refuses to start unless moto is the pinned version and every patched function is unchanged."""
    if moto.__version__ != MOTO_VERSION:
        raise EmulatorDrift(f"moto {moto.__version__} is installed; the gaps were closed for {MOTO_VERSION} (requirements.txt)")
    for gap, (target, digest) in expected.items():
        actual = _source_hash(target())
        if actual != digest:
            raise EmulatorDrift(
                f"moto's code behind gap {gap} changed (source hash {actual}, expected {digest}): "
                "re-read it, then adapt or drop the patch in scripts/emulator/gaps.py"
            )
    if expected is PATCHED and hasattr(ApplicationAutoScalingResponse, "list_tags_for_resource"):
        raise EmulatorDrift("moto now implements ListTagsForResource for Application Auto Scaling: drop gap 3's patch")


# --- Request context: what a bucket policy condition may ask about the request -------------------

_request = threading.local()


def request_context_middleware(app: Callable[..., Any]) -> Callable[..., Any]:
    """Records per request (werkzeug serves each in its own thread) whether it arrived over TLS."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        _request.secure = environ.get("wsgi.url_scheme") == "https"
        return app(environ, start_response)

    return wrapped


def _condition_context() -> dict[str, str]:
    secure = getattr(_request, "secure", None)
    return {} if secure is None else {"aws:securetransport": "true" if secure else "false"}


# --- Gap 1: PutBucketLogging -----------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match: `*` any run, `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE if ignore_case else 0) is not None


def log_delivery_allowed(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
    """AWS: the target bucket's policy must allow `logging.s3.amazonaws.com` s3:PutObject on the
    target prefix. A policy statement's Principal may be "*" and its Resource a list (IAM grammar);
    moto 5.2.5 crashes on the first and compares only a single string for the second."""
    if not target_bucket.policy:
        return False
    document = json.loads(target_bucket.policy.decode())
    log_object = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}log-object"
    for statement in _as_list(document.get("Statement")):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if statement.get("Effect") != "Allow" or LOGGING_SERVICE_PRINCIPAL not in services:
            continue
        if not any(_matches(a, "s3:PutObject", ignore_case=True) for a in _as_list(statement.get("Action"))):
            continue
        if any(_matches(r, log_object) for r in _as_list(statement.get("Resource"))):
            return True
    return False


def patch_log_delivery() -> None:
    FakeBucket._log_permissions_enabled_policy = staticmethod(log_delivery_allowed)


# --- Gap 2: SQS queue attributes -----------------------------------------------------------------


def patch_redrive_allow_policy() -> None:
    """AWS returns RedriveAllowPolicy from GetQueueAttributes once set; moto stores it and never
    returns it (the provider waits forever for it to appear)."""
    original = Queue.attributes.fget
    Queue.redrive_allow_policy = None  # unset until SetQueueAttributes names it
    Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]

    def attributes(self: Queue) -> dict[str, Any]:
        result = original(self)
        if not result.get("RedriveAllowPolicy"):
            result.pop("RedriveAllowPolicy", None)
        return result

    Queue.attributes = property(attributes)


def patch_policy_kept() -> None:
    """AWS: SetQueueAttributes changes only the attributes it names; moto sets Policy to None
    whenever the call does not name it, so a visibility change erases the queue policy."""
    original = Queue._set_attributes

    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        previous = getattr(self, "policy", None)
        original(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = previous

    Queue._set_attributes = _set_attributes


# --- Gap 3: Application Auto Scaling tags --------------------------------------------------------


def _tags_of(backend: Any) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "nexus_tags"):
        backend.nexus_tags = {}
    return backend.nexus_tags


def _require_target(backend: Any, arn: str) -> None:
    targets = [t for by_id in backend.targets.values() for t in by_id.values()]
    if not any(t.arn == arn for t in targets):
        raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for {arn}")


def patch_scaling_target_tags() -> None:
    """AWS: RegisterScalableTarget takes Tags for a new target; ListTagsForResource, TagResource and
    UntagResource work on its ARN. moto ignores the tags and answers NotImplemented for all three."""
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        backend = self.applicationautoscaling_backend
        existed = backend._scalable_target_exists(self._get_param("ResourceId"), self._get_param("ScalableDimension"))
        body = register(self)
        if not existed:  # AWS applies Tags only when the target is created
            _tags_of(backend)[json.loads(body)["ScalableTargetARN"]] = dict(self._get_param("Tags") or {})
        return body

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        backend, arn = self.applicationautoscaling_backend, self._get_param("ResourceARN")
        _require_target(backend, arn)
        return json.dumps({"Tags": _tags_of(backend).get(arn, {})})

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        backend, arn = self.applicationautoscaling_backend, self._get_param("ResourceARN")
        _require_target(backend, arn)
        _tags_of(backend).setdefault(arn, {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        backend, arn = self.applicationautoscaling_backend, self._get_param("ResourceARN")
        _require_target(backend, arn)
        for key in self._get_param("TagKeys") or []:
            _tags_of(backend).get(arn, {}).pop(key, None)
        return "{}"

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource


# --- Gap 4: bucket policy conditions -------------------------------------------------------------


class _Applies(Enum):
    YES = 1
    NO = 2
    UNKNOWN = 3  # something moto cannot evaluate (a named principal, an unsupported operator)


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
    "StringEquals": lambda expected, actual: expected == actual,
    "StringNotEquals": lambda expected, actual: expected != actual,
    "StringLike": lambda expected, actual: _matches(expected, actual),
}


def _condition_applies(conditions: dict[str, Any], context: dict[str, str]) -> _Applies:
    """IAM: every operator and key must match; a key the request lacks does not match (unless
    ...IfExists). Only the keys in `context` are known here."""
    result = _Applies.YES
    for operator, keys in conditions.items():
        base = operator[: -len("IfExists")] if operator.endswith("IfExists") else operator
        compare = _OPERATORS.get(base)
        for key, expected in keys.items():
            actual = context.get(key.lower())
            if actual is None:
                if not operator.endswith("IfExists"):
                    return _Applies.NO
                continue
            if compare is None:
                result = _Applies.UNKNOWN
            elif not any(compare(str(e), actual) for e in _as_list(expected)):
                return _Applies.NO
    return result


def _statement_applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> _Applies:
    if "NotAction" in statement or "NotResource" in statement or "NotPrincipal" in statement:
        return _Applies.UNKNOWN
    if not any(_matches(a, action, ignore_case=True) for a in _as_list(statement.get("Action"))):
        return _Applies.NO
    if not any(_matches(r, resource) for r in _as_list(statement.get("Resource"))):
        return _Applies.NO
    principal = statement.get("Principal")
    anyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
    if isinstance(principal, dict) and set(principal) == {"Service"}:
        return _Applies.NO  # the caller is an IAM identity, not an AWS service
    condition = _condition_applies(statement.get("Condition") or {}, context)
    if condition is _Applies.NO:
        return _Applies.NO
    return condition if anyone else _Applies.UNKNOWN


def bucket_policy_decision(policy: str, action: str, resource: str, context: dict[str, str]) -> PermissionResult:
    """AWS policy evaluation for one bucket policy: an explicit Deny that applies wins; otherwise an
    Allow that applies permits. What cannot be evaluated here counts against the request: an unknown
    Deny denies, an unknown Allow does not allow."""
    permitted = False
    for statement in _as_list(json.loads(policy).get("Statement")):
        applies = _statement_applies(statement, action, resource, context)
        if statement.get("Effect") == "Deny" and applies is not _Applies.NO:
            return PermissionResult.DENIED
        permitted = permitted or (statement.get("Effect") == "Allow" and applies is _Applies.YES)
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def patch_bucket_policy() -> None:
    """AWS evaluates Bool conditions such as aws:SecureTransport, and a statement whose condition does
    not match does not apply. moto 5.2.5 knows only StringEquals, treats other operators as matched,
    so a TLS-only Deny denies every request, even over HTTPS."""

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return bucket_policy_decision(self.policy.decode(), action, resource, _condition_context())

    FakeBucket.get_permission = get_permission


# --- Gap 6: revoking a security group rule ID that does not exist ---------------------------------


def patch_unknown_rule_id() -> None:
    """AWS answers `InvalidSecurityGroupRuleId.NotFound` when SecurityGroupRuleIds names a rule the
    group does not have (the AWS provider treats that code, on delete, as already deleted); moto
    answers `InvalidPermission.NotFound`, which the provider reports as a failed destroy."""

    def wrap(original: Callable[..., Any], rules_of: str) -> Callable[..., Any]:
        signature = inspect.signature(original)

        def revoke(self: SecurityGroupBackend, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            rule_ids = bound.arguments.get("security_rule_ids") or []
            group = self.get_security_group_by_name_or_id(bound.arguments["group_name_or_id"], bound.arguments.get("vpc_id"))
            if group is not None:
                known = {rule.id for rule in getattr(group, rules_of)}
                for rule_id in rule_ids:
                    if rule_id not in known:
                        raise InvalidSecurityGroupRuleIdNotFoundError(rule_id)
            return original(self, *args, **kwargs)

        return revoke

    SecurityGroupBackend.revoke_security_group_egress = wrap(SecurityGroupBackend.revoke_security_group_egress, "egress_rules")
    SecurityGroupBackend.revoke_security_group_ingress = wrap(SecurityGroupBackend.revoke_security_group_ingress, "ingress_rules")


# --- Gap 7: a state change invokes the alarm's actions ------------------------------------------------

_ACTIONS_OF_STATE = {"ALARM": "alarm_actions", "OK": "ok_actions", "INSUFFICIENT_DATA": "insufficient_data_actions"}


def alarm_notification(alarm: Alarm, old_state: str, account_id: str) -> dict[str, Any]:
    """The JSON message CloudWatch publishes to an SNS action (its documented fields)."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_timestamp.isoformat(),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": alarm.state_updated_timestamp.isoformat(),
        "Region": alarm.region_name,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": alarm.threshold,
            "EvaluationPeriods": alarm.evaluation_periods,
        },
    }


def patch_alarm_actions() -> None:
    """AWS: when SetAlarmState changes an alarm's state, "the action configured for the appropriate
    state is invoked" (SetAlarmState API reference); moto 5.2.5 changes the state and invokes nothing.
    SNS topic actions are published to (moto delivers to their subscriptions); an unchanged state, or
    an alarm with actions disabled, invokes nothing, as on AWS. Other action kinds stay recorded only."""
    original = CloudWatchBackend.set_alarm_state

    def set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
        old_state = self.alarms[alarm_name].state_value if alarm_name in self.alarms else None
        original(self, alarm_name, reason, reason_data, state_value)
        alarm = self.alarms[alarm_name]
        if old_state == state_value or not alarm.actions_enabled:
            return
        from moto.sns.models import sns_backends

        message = json.dumps(alarm_notification(alarm, old_state or "", self.account_id))
        subject = f'{state_value}: "{alarm.name}" in {alarm.region_name}'[:100]
        for arn in getattr(alarm, _ACTIONS_OF_STATE[state_value]) or []:
            parts = arn.split(":")
            if len(parts) >= 6 and parts[2] == "sns":
                try:
                    sns_backends[parts[4]][parts[3]].publish(message, arn=arn, subject=subject)
                except Exception:  # noqa: BLE001 - AWS runs actions after the call: a failed one fails only itself
                    continue

    CloudWatchBackend.set_alarm_state = set_alarm_state


# --- Gap 8: CloudWatch over AWS JSON 1.0 ------------------------------------------------------------

JSON_1_0 = "application/x-amz-json-1.0"


def patch_cloudwatch_json() -> None:
    """AWS serves CloudWatch over AWS JSON 1.0 as well as the query protocol, and current AWS SDKs
    for JavaScript use JSON (`X-Amz-Target: GraniteServiceVersion20100801.<Action>`); moto 5.2.5 knows
    only query for CloudWatch and answers such a request with HTTP 500 (NotImplementedError). The
    request is parsed and answered with moto's own JSON protocol classes, over the same operations and
    shapes. Other protocols, and JSON for services that do not take it, are still refused."""
    original = moto_request.determine_request_protocol

    def determine_request_protocol(service_model: Any, content_type: str | None = None) -> str:
        if service_model.service_name == "cloudwatch" and (content_type or "").startswith(JSON_1_0):
            return "json"
        return original(service_model, content_type)

    # Imported by name where moto parses requests, routes them and serializes responses.
    moto_responses.determine_request_protocol = determine_request_protocol
    moto_routing.determine_request_protocol = determine_request_protocol


_applied: list[str] = []


def apply_all() -> list[str]:
    """Checks, then patches every gap once per process; returns their names for the start-up line."""
    if _applied:
        return list(_applied)
    self_check()
    patches = [
        patch_log_delivery,
        patch_redrive_allow_policy,
        patch_policy_kept,
        patch_scaling_target_tags,
        patch_bucket_policy,
        patch_unknown_rule_id,
        patch_alarm_actions,
        patch_cloudwatch_json,
    ]
    for patch in patches:
        patch()
    _applied.extend(p.__name__ for p in patches)
    return list(_applied)
