/**
 * Zero-trust invariants over synthesized Terraform JSON. Each returns the violations it finds
 * (as "type.id: reason"), so a test can show both that a stack is clean and that a broken
 * stack is caught.
 */
import { Block } from "./synth";

const INTERNET_RESOURCES = [
  "aws_internet_gateway",
  "aws_egress_only_internet_gateway",
  "aws_nat_gateway",
  "aws_eip",
  "aws_internet_gateway_attachment",
];
const OPEN_CIDRS = ["0.0.0.0/0", "::/0"];

function each(json: Block, type: string): [string, Block][] {
  return Object.entries(json.resource?.[type] ?? {}).map(([id, body]) => [`${type}.${id}`, body as Block]);
}

export function internetPathViolations(json: Block): string[] {
  const found: string[] = [];
  for (const type of INTERNET_RESOURCES) {
    for (const [address] of each(json, type)) found.push(`${address}: internet-facing resource`);
  }
  for (const [address, subnet] of each(json, "aws_subnet")) {
    if (subnet.map_public_ip_on_launch !== false) found.push(`${address}: map_public_ip_on_launch is not false`);
    if (subnet.assign_ipv6_address_on_creation === true) found.push(`${address}: assigns IPv6 addresses`);
  }
  for (const [address] of each(json, "aws_route"))
    found.push(`${address}: standalone route (isolated tables have none)`);
  for (const [address, table] of each(json, "aws_route_table")) {
    if ((table.route ?? []).length > 0) found.push(`${address}: has inline routes`);
  }
  for (const [address, service] of each(json, "aws_ecs_service")) {
    if (service.network_configuration?.assign_public_ip !== false)
      found.push(`${address}: assign_public_ip is not false`);
  }
  for (const [address, db] of each(json, "aws_db_instance")) {
    if (db.publicly_accessible !== false) found.push(`${address}: publicly_accessible is not false`);
  }
  return found;
}

export function openCidrViolations(json: Block): string[] {
  const found: string[] = [];
  const check = (address: string, rule: Block) => {
    const cidrs = [
      rule.cidr_ipv4,
      rule.cidr_ipv6,
      rule.destination_cidr_block,
      ...(rule.cidr_blocks ?? []),
      ...(rule.ipv6_cidr_blocks ?? []),
    ];
    if (cidrs.some((c) => OPEN_CIDRS.includes(c))) found.push(`${address}: open to the internet`);
  };
  for (const type of [
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_security_group_rule",
    "aws_route",
  ]) {
    for (const [address, rule] of each(json, type)) check(address, rule);
  }
  for (const [address, group] of each(json, "aws_security_group")) {
    for (const rule of [...(group.ingress ?? []), ...(group.egress ?? [])]) check(address, rule);
  }
  for (const [address, table] of each(json, "aws_route_table"))
    for (const route of table.route ?? []) check(address, route);
  return found;
}
