"""CKV2_NEXUS_10. Rationale: an interface endpoint with the default full-access policy lets anything in
our subnets reach any account's queues and secrets through it (the classic exfiltration path); a data
perimeter admits only our account's principals, acting on our account's resources, with named actions."""
from __future__ import annotations

import json
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.common.util.consts import TRUE_AFTER_UNKNOWN
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# Actions AWS defines without a resource: they cannot carry aws:ResourceAccount. Each needs a reason.
RESOURCELESS = {
    # The ECR login token is account-wide: the service authorization reference lists no resource type for it.
    "ecr:getauthorizationtoken",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    """Checkov wraps every attribute value in a list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _statement_ok(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return True
    if "NotAction" in statement or "NotResource" in statement:
        return False
    actions = [str(a).lower() for a in _as_list(statement.get("Action", []))]
    if not actions or any(a == "*" or a.endswith(":*") for a in actions):
        return False  # a whole service (or everything) is not a perimeter
    equals = (statement.get("Condition") or {}).get("StringEquals") or {}
    keys = {str(k).lower() for k in equals}
    if "aws:principalaccount" not in keys:
        return False
    return "aws:resourceaccount" in keys or all(a in RESOURCELESS for a in actions)


def policy_ok(document: Any) -> bool:
    """A JSON document (terraform_json), or the object Checkov parsed it into (terraform_plan)."""
    if isinstance(document, dict):
        policy = document
    elif isinstance(document, str):
        try:
            policy = json.loads(document)
        except json.JSONDecodeError:
            return False
    else:
        return False
    statements = [s for s in _as_list(policy.get("Statement", [])) if isinstance(s, dict)]
    return bool(statements) and all(_statement_ok(s) for s in statements)


class InterfaceEndpointPerimeter(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Every interface VPC endpoint has a policy limited to this account's principals and resources, with named actions",
            id="CKV2_NEXUS_10",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_vpc_endpoint", "aws_vpc_endpoint_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if "vpc_endpoint_id" not in conf and _first(conf.get("vpc_endpoint_type")) != "Interface":
            return CheckResult.PASSED  # the S3 gateway endpoint's own policy is covered by the JSON tests
        document = _first(conf.get("policy"))
        unresolved = isinstance(document, str) and not document.lstrip().startswith("{")
        if document == TRUE_AFTER_UNKNOWN or ("policy" in conf and document is None) or unresolved:
            # In a plan, a policy naming resources not yet created is known only at apply: Checkov shows it
            # as null, its unknown marker or the references it was built from. The synth-time scan of
            # cdk.tf.json judged the document as written.
            return CheckResult.UNKNOWN
        # An interface endpoint carries its policy inline (an aws_vpc_endpoint_policy is checked itself).
        return CheckResult.PASSED if policy_ok(document) else CheckResult.FAILED


check = InterfaceEndpointPerimeter()
