"""CKV2_NEXUS_1. Rationale: the VPC has no path to or from the internet; AWS services are reached through VPC endpoints only."""
from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class NoInternetGateways(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="No internet gateway, egress-only internet gateway, NAT gateway or Elastic IP exists",
            id="CKV2_NEXUS_1",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_nat_gateway", "aws_eip"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        # No configuration of these makes one acceptable: existing is the violation.
        return CheckResult.FAILED


check = NoInternetGateways()
