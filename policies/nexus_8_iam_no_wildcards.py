"""CKV2_NEXUS_8. Rationale: least privilege is exact actions on exact ARNs; `*` is allowed only for actions AWS defines without a resource."""
from __future__ import annotations

import json
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# Actions that support no resource-level permissions, so AWS requires Resource "*". Each needs a reason.
RESOURCE_STAR_ALLOWED = {
    # The ECR login token is account-wide: the service authorization reference lists no resource type for it.
    "ecr:getauthorizationtoken",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statement_violations(statement: dict[str, Any]) -> list[str]:
    if statement.get("Effect") != "Allow":
        return []
    actions = [str(a).lower() for a in _as_list(statement.get("Action", []))]
    resources = [str(r) for r in _as_list(statement.get("Resource", []))]
    problems = [f"wildcard action {a}" for a in actions if "*" in a]
    if "NotAction" in statement or "NotResource" in statement:
        problems.append("NotAction/NotResource grants everything else")
    if "*" in resources and not all(a in RESOURCE_STAR_ALLOWED for a in actions):
        problems.append("Resource * for actions that support resource-level permissions")
    return problems


class IamNoWildcards(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="IAM policies use no * action and no * resource except for actions AWS defines without resources",
            id="CKV2_NEXUS_8",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        document = conf.get("policy", [None])[0]
        if not isinstance(document, str):
            return CheckResult.UNKNOWN  # not a literal document: another check must look at it
        try:
            policy = json.loads(document)
        except json.JSONDecodeError:
            return CheckResult.UNKNOWN
        statements = [s for s in _as_list(policy.get("Statement", [])) if isinstance(s, dict)]
        if any(_statement_violations(s) for s in statements):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = IamNoWildcards()
