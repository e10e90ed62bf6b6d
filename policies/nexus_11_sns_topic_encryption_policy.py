"""CKV2_NEXUS_11. Rationale: an alarm topic is how an operator learns that files are not being stored.
Under the AWS-managed alias/aws/sns key CloudWatch cannot publish to it (that key's policy cannot admit
CloudWatch), so alarms would fail silently; and a topic anyone in the account may publish to can be used
to send an operator forged alarms. A topic is encrypted with a customer-managed key, and its policy (on
the topic, where this check sees it) lets only named AWS service principals publish, under
aws:SourceAccount, and denies every request without TLS. Checkov 3.3.30's CKV_AWS_26 passes a topic
under alias/aws/sns, and CKV_AWS_169/385 return UNKNOWN on the JSON-string policies CDKTF writes."""
from __future__ import annotations

import json
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.common.util.consts import TRUE_AFTER_UNKNOWN
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    """Checkov wraps every attribute value in a list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def key_ok(key: Any) -> bool:
    """A customer-managed key: set, and not an AWS-managed alias (alias/aws/...)."""
    return isinstance(key, str) and bool(key) and "alias/aws/" not in key


def _lower_keys(block: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in block.items()} if isinstance(block, dict) else {}


def _allow_ok(statement: dict[str, Any]) -> bool:
    """An Allow names AWS service principals only, for sns:Publish only, under aws:SourceAccount."""
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or set(principal) != {"Service"}:
        return False
    services = _as_list(principal["Service"])
    if not services or not all(isinstance(s, str) and s.endswith(".amazonaws.com") for s in services):
        return False
    if "NotAction" in statement or [str(a).lower() for a in _as_list(statement.get("Action", []))] != ["sns:publish"]:
        return False
    equals = _lower_keys((statement.get("Condition") or {}).get("StringEquals"))
    return "aws:sourceaccount" in equals


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or statement.get("Principal") not in ("*", {"AWS": "*"}):
        return False
    actions = [str(a).lower() for a in _as_list(statement.get("Action", []))]
    if not any(a in ("sns:publish", "sns:*", "*") for a in actions):
        return False
    secure = _lower_keys((statement.get("Condition") or {}).get("Bool")).get("aws:securetransport")
    return str(_first(secure)).lower() == "false"


def policy_ok(document: Any) -> bool:
    """A JSON document (terraform_json), or the object Checkov parsed it into (terraform_plan)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return False
    if not isinstance(document, dict):
        return False
    statements = [s for s in _as_list(document.get("Statement", [])) if isinstance(s, dict)]
    allows = [s for s in statements if s.get("Effect") == "Allow"]
    return bool(allows) and all(_allow_ok(s) for s in allows) and any(_denies_insecure_transport(s) for s in statements)


class SnsTopicEncryptionAndPolicy(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Every SNS topic is encrypted with a customer-managed key and has a policy that lets only "
            "service principals of this account publish, over TLS only",
            id="CKV2_NEXUS_11",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_sns_topic", "aws_sns_topic_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if self.entity_type == "aws_sns_topic_policy":
            return self._judge_policy(conf)  # it replaces the topic's policy: the same rule applies
        key = _first(conf.get("kms_master_key_id"))
        if key == TRUE_AFTER_UNKNOWN:
            return CheckResult.UNKNOWN  # in a plan, a key created in the same apply is known only then
        return self._judge_policy(conf) if key_ok(key) else CheckResult.FAILED

    @staticmethod
    def _judge_policy(conf: dict[str, Any]) -> CheckResult:
        document = _first(conf.get("policy"))
        if document == TRUE_AFTER_UNKNOWN or (isinstance(document, str) and not document.lstrip().startswith("{")):
            return CheckResult.UNKNOWN  # in a plan: known only at apply; the synth-time scan judged it
        return CheckResult.PASSED if policy_ok(document) else CheckResult.FAILED


check = SnsTopicEncryptionAndPolicy()
