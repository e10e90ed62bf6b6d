"""Each gap of gaps.py, shown against the emulator as clients see it (boto3 over TLS, verified
against the generated CA): what AWS does, and that what AWS refuses is still refused."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any, Iterator

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # as nexus_moto.py sets it (gap 5)

import boto3  # noqa: E402
import pytest  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto.iam.access_control import PermissionResult  # noqa: E402

import gaps  # noqa: E402
from nexus_moto import build_server  # noqa: E402

REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    gaps.apply_all()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server, certs = build_server("127.0.0.1", port, Path(tmp_path_factory.mktemp("tls")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"endpoint_url": f"https://127.0.0.1:{port}", "verify": str(certs["ca"])}
    server.shutdown()


def client(endpoint: dict[str, Any], service: str) -> Any:
    return boto3.client(
        service, region_name=REGION, aws_access_key_id="nexus-local", aws_secret_access_key="nexus-local", **endpoint
    )


def tls_only(bucket: str, extra: list[dict[str, Any]]) -> str:
    deny = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [deny, *extra]})


# Gap 1 ---------------------------------------------------------------------------------------------


def test_log_delivery_is_allowed_by_a_policy_with_a_star_principal_and_a_resource_list(endpoint: dict[str, Any]) -> None:
    s3 = client(endpoint, "s3")
    for bucket in ("gap1-source", "gap1-logs"):
        s3.create_bucket(Bucket=bucket)
    grant = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::gap1-logs/ingest/*"],
    }
    s3.put_bucket_policy(Bucket="gap1-logs", Policy=tls_only("gap1-logs", [grant]))
    s3.put_bucket_logging(
        Bucket="gap1-source", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "gap1-logs", "TargetPrefix": "ingest/"}}
    )
    assert s3.get_bucket_logging(Bucket="gap1-source")["LoggingEnabled"]["TargetPrefix"] == "ingest/"


def test_log_delivery_is_still_refused_without_a_grant_for_the_target_prefix(endpoint: dict[str, Any]) -> None:
    s3 = client(endpoint, "s3")
    for bucket in ("gap1b-source", "gap1b-logs"):
        s3.create_bucket(Bucket=bucket)
    other_prefix = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::gap1b-logs/other/*"],
    }
    s3.put_bucket_policy(Bucket="gap1b-logs", Policy=tls_only("gap1b-logs", [other_prefix]))
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        s3.put_bucket_logging(
            Bucket="gap1b-source",
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "gap1b-logs", "TargetPrefix": "ingest/"}},
        )


# Gap 2 ---------------------------------------------------------------------------------------------


def test_redrive_allow_policy_is_returned_once_set_and_absent_before(endpoint: dict[str, Any]) -> None:
    sqs = client(endpoint, "sqs")
    url = sqs.create_queue(QueueName="gap2-dlq")["QueueUrl"]
    assert "RedriveAllowPolicy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:123456789012:gap2"]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedriveAllowPolicy": allow})
    named = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
    assert json.loads(named["RedriveAllowPolicy"]) == json.loads(allow)


def test_setting_one_attribute_keeps_the_queue_policy(endpoint: dict[str, Any]) -> None:
    sqs = client(endpoint, "sqs")
    url = sqs.create_queue(QueueName="gap2-policy")["QueueUrl"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45"})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert json.loads(attributes["Policy"]) == json.loads(policy)


# Gap 3 ---------------------------------------------------------------------------------------------


def test_scalable_target_tags_are_kept_listed_changed_and_refused_for_an_unknown_arn(endpoint: dict[str, Any]) -> None:
    ecs, scaling = client(endpoint, "ecs"), client(endpoint, "application-autoscaling")
    ecs.create_cluster(clusterName="gap3")
    ecs.register_task_definition(family="gap3", containerDefinitions=[{"name": "c", "image": "i", "memory": 512}])
    ecs.create_service(cluster="gap3", serviceName="svc", taskDefinition="gap3", desiredCount=0)
    arn = scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/gap3/svc",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"Project": "nexus"},
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "nexus"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Environment": "dev"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Project"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Environment": "dev"}
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        scaling.list_tags_for_resource(ResourceARN=arn.replace(arn.rsplit("/", 1)[1], "0" * 36))


# Gap 4 ---------------------------------------------------------------------------------------------


def test_a_tls_only_bucket_takes_writes_and_reads_over_https(endpoint: dict[str, Any]) -> None:
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="gap4")
    s3.put_bucket_policy(Bucket="gap4", Policy=tls_only("gap4", []))
    s3.put_object(Bucket="gap4", Key="hello.txt", Body=b"over TLS")
    assert s3.get_object(Bucket="gap4", Key="hello.txt")["Body"].read() == b"over TLS"


def decide(statements: list[dict[str, Any]], secure: bool | None) -> PermissionResult:
    context = {} if secure is None else {"aws:securetransport": str(secure).lower()}
    policy = json.dumps({"Statement": statements})
    return gaps.bucket_policy_decision(policy, "s3:PutObject", "arn:aws:s3:::b/k", context)


DENY_INSECURE = json.loads(tls_only("b", []))["Statement"][0]


def test_the_tls_only_statement_denies_plain_http_and_does_not_apply_over_tls() -> None:
    assert decide([DENY_INSECURE], secure=False) is PermissionResult.DENIED
    assert decide([DENY_INSECURE], secure=True) is PermissionResult.NEUTRAL


def test_what_cannot_be_evaluated_counts_against_the_request() -> None:
    unknown_operator = {**DENY_INSECURE, "Condition": {"DateGreaterThan": {"aws:SecureTransport": "x"}}}
    named_principal = {**DENY_INSECURE, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Condition": {}}
    conditional_allow = {**DENY_INSECURE, "Effect": "Allow", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
    assert decide([unknown_operator], secure=True) is PermissionResult.DENIED
    assert decide([named_principal], secure=True) is PermissionResult.DENIED
    assert decide([conditional_allow], secure=True) is PermissionResult.NEUTRAL


# Gap 5 ---------------------------------------------------------------------------------------------


def test_aws_managed_policies_exist(endpoint: dict[str, Any]) -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    assert client(endpoint, "iam").get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AmazonRDSEnhancedMonitoringRole"


# Self-check ----------------------------------------------------------------------------------------


def test_the_launcher_refuses_to_patch_code_it_was_not_written_against() -> None:
    target, _ = gaps.PATCHED["4 bucket policy"]
    with pytest.raises(gaps.EmulatorDrift, match="gap 4 bucket policy changed"):
        gaps.self_check({"4 bucket policy": (target, "0000000000000000")})


# Gap 6 ---------------------------------------------------------------------------------------------


def test_revoking_an_unknown_rule_id_answers_as_aws_does(endpoint: dict[str, Any]) -> None:
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="gap6", Description="gap6", VpcId=vpc)["GroupId"]
    permission = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}
    rule = ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[permission])["SecurityGroupRules"][0]
    ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    for revoke in (ec2.revoke_security_group_egress, ec2.revoke_security_group_ingress):
        with pytest.raises(ClientError, match="InvalidSecurityGroupRuleId.NotFound"):
            revoke(GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    with pytest.raises(ClientError, match="InvalidPermission.NotFound"):  # by permission: unchanged
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[permission])


# Gap 7 ---------------------------------------------------------------------------------------------


def _alarm_topic_with_queue(endpoint: dict[str, Any], name: str) -> tuple[str, str]:
    sns, sqs = client(endpoint, "sns"), client(endpoint, "sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return topic, queue_url


def _notifications(endpoint: dict[str, Any], queue_url: str) -> list[dict[str, Any]]:
    messages = client(endpoint, "sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_a_state_change_publishes_to_the_actions_of_the_new_state(endpoint: dict[str, Any]) -> None:
    topic, queue_url = _alarm_topic_with_queue(endpoint, "gap7")
    cloudwatch = client(endpoint, "cloudwatch")
    alarm = {"MetricName": "m", "Namespace": "n", "Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 1}
    cloudwatch.put_metric_alarm(
        AlarmName="gap7", Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic], OKActions=[topic], AlarmDescription="what to do", **alarm,
    )
    cloudwatch.set_alarm_state(AlarmName="gap7", StateValue="ALARM", StateReason="test")
    [fired] = _notifications(endpoint, queue_url)
    assert fired["AlarmName"] == "gap7" and fired["NewStateValue"] == "ALARM" and fired["NewStateReason"] == "test"
    assert fired["AlarmDescription"] == "what to do" and fired["Trigger"]["MetricName"] == "m"
    cloudwatch.set_alarm_state(AlarmName="gap7", StateValue="ALARM", StateReason="again")
    assert _notifications(endpoint, queue_url) == []  # no change of state: no action
    cloudwatch.set_alarm_state(AlarmName="gap7", StateValue="OK", StateReason="cleared")
    [cleared] = _notifications(endpoint, queue_url)
    assert (cleared["OldStateValue"], cleared["NewStateValue"]) == ("ALARM", "OK")


def test_an_alarm_with_actions_disabled_or_unknown_invokes_nothing(endpoint: dict[str, Any]) -> None:
    topic, queue_url = _alarm_topic_with_queue(endpoint, "gap7-disabled")
    cloudwatch = client(endpoint, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="gap7-disabled", MetricName="m", Namespace="n", Statistic="Maximum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], ActionsEnabled=False,
    )
    cloudwatch.set_alarm_state(AlarmName="gap7-disabled", StateValue="ALARM", StateReason="test")
    assert _notifications(endpoint, queue_url) == []
    with pytest.raises(ClientError, match="ResourceNotFound"):  # still refused, as on AWS
        cloudwatch.set_alarm_state(AlarmName="no-such-alarm", StateValue="ALARM", StateReason="test")


# Gap 8 ---------------------------------------------------------------------------------------------


def _json_call(endpoint: dict[str, Any], service: str, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One AWS JSON 1.0 request as current AWS SDKs send it (moto does not check the signature)."""
    import ssl
    import urllib.error
    import urllib.request

    scope = f"nexus-local/20261203/{REGION}/{service}/aws4_request"
    request = urllib.request.Request(
        endpoint["endpoint_url"] + "/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": target,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
        },
    )
    context = ssl.create_default_context(cafile=endpoint["verify"])
    try:
        with urllib.request.urlopen(request, context=context) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def test_cloudwatch_answers_aws_json_1_0_as_current_sdks_send_it(endpoint: dict[str, Any]) -> None:
    client(endpoint, "cloudwatch").put_metric_alarm(  # query protocol, as the Terraform provider sends
        AlarmName="gap8", MetricName="m", Namespace="n", Statistic="Maximum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanThreshold", Dimensions=[{"Name": "QueueName", "Value": "q"}],
    )
    status, body = _json_call(endpoint, "monitoring", "GraniteServiceVersion20100801.DescribeAlarms", {"AlarmNames": ["gap8"]})
    assert status == 200
    [alarm] = body["MetricAlarms"]
    assert alarm["AlarmName"] == "gap8" and alarm["Dimensions"] == [{"Name": "QueueName", "Value": "q"}]
    status, _ = _json_call(endpoint, "monitoring", "GraniteServiceVersion20100801.SetAlarmState",
                           {"AlarmName": "no-such-alarm", "StateValue": "ALARM", "StateReason": "x"})
    assert status == 404  # ResourceNotFound, still refused


def test_the_gap_is_cloudwatch_only_other_query_services_are_unchanged(endpoint: dict[str, Any]) -> None:
    status, _ = _json_call(endpoint, "iam", "IAM.ListRoles", {})
    assert status == 500
