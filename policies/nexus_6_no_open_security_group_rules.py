"""CKV2_NEXUS_6. Rationale: zero trust admits named peers (security groups, prefix lists), never the whole internet, in either direction."""
from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

ANYWHERE = {"0.0.0.0/0", "::/0"}
# Inline blocks list CIDRs; aws_vpc_security_group_*_rule holds one CIDR per rule.
CIDR_KEYS = ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6")


def _values(value: Any) -> list[Any]:
    """Flattens Checkov's list-wrapped attribute values."""
    if isinstance(value, list):
        return [item for element in value for item in _values(element)]
    return [value]


def _opens_to_anywhere(rule: dict[str, Any]) -> bool:
    return any(cidr in ANYWHERE for key in CIDR_KEYS for cidr in _values(rule.get(key)))


class NoOpenSecurityGroupRules(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="No security group rule allows 0.0.0.0/0 or ::/0, ingress or egress",
            id="CKV2_NEXUS_6",
            categories=[CheckCategories.NETWORKING],
            supported_resources=[
                "aws_security_group",
                "aws_default_security_group",
                "aws_security_group_rule",
                "aws_vpc_security_group_ingress_rule",
                "aws_vpc_security_group_egress_rule",
            ],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        inline = [rule for key in ("ingress", "egress") for rule in _values(conf.get(key)) if isinstance(rule, dict)]
        if _opens_to_anywhere(conf) or any(_opens_to_anywhere(rule) for rule in inline):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = NoOpenSecurityGroupRules()
