"""CKV2_NEXUS_3. Rationale: a default route is how traffic leaves for the internet; isolated subnets route only inside the VPC."""
from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

ANYWHERE = {"0.0.0.0/0", "::/0"}
DESTINATIONS = ("cidr_block", "ipv6_cidr_block", "destination_cidr_block", "destination_ipv6_cidr_block")


def _first(value: Any) -> Any:
    """Checkov wraps every attribute value in a list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _routes(conf: dict[str, Any]) -> list[dict[str, Any]]:
    """aws_route carries its destination itself; route tables carry inline `route` blocks."""
    if "destination_cidr_block" in conf or "destination_ipv6_cidr_block" in conf:
        return [conf]
    blocks = conf.get("route") or []
    if len(blocks) == 1 and isinstance(blocks[0], list):  # the list of blocks, wrapped once more
        blocks = blocks[0]
    return [block for block in blocks if isinstance(block, dict)]


class NoDefaultRoute(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="No route targets 0.0.0.0/0 or ::/0",
            id="CKV2_NEXUS_3",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_route", "aws_route_table", "aws_default_route_table"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        for route in _routes(conf):
            if any(_first(route.get(key)) in ANYWHERE for key in DESTINATIONS):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = NoDefaultRoute()
