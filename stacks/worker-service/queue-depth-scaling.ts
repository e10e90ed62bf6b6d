import { Construct } from "constructs";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";

export interface QueueDepthScalingProps {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly queueName: string;
  readonly minCount: number;
  readonly maxCount: number;
  /** Target backlog per running task. */
  readonly messagesPerTask: number;
}

/**
 * Scales the service on backlog per task (visible messages / running tasks), the metric AWS
 * recommends for queue workers: queue depth alone would not shrink as tasks are added.
 */
export class QueueDepthScaling extends Construct {
  constructor(scope: Construct, id: string, props: QueueDepthScalingProps) {
    super(scope, id);
    const target = new AppautoscalingTarget(this, "target", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      minCapacity: props.minCount,
      maxCapacity: props.maxCount,
    });
    new AppautoscalingPolicy(this, "backlog-per-task", {
      name: `${props.serviceName}-backlog-per-task`,
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.messagesPerTask,
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
        customizedMetricSpecification: {
          metrics: [
            {
              id: "visible",
              label: "Messages waiting in the ingest queue",
              returnData: false,
              metricStat: {
                stat: "Sum",
                metric: {
                  namespace: "AWS/SQS",
                  metricName: "ApproximateNumberOfMessagesVisible",
                  dimensions: [{ name: "QueueName", value: props.queueName }],
                },
              },
            },
            {
              id: "tasks",
              label: "Running worker tasks (Container Insights)",
              returnData: false,
              metricStat: {
                stat: "Average",
                metric: {
                  namespace: "ECS/ContainerInsights",
                  metricName: "RunningTaskCount",
                  dimensions: [
                    { name: "ClusterName", value: props.clusterName },
                    { name: "ServiceName", value: props.serviceName },
                  ],
                },
              },
            },
            // Guard the division: with no task running, the backlog itself is the signal.
            {
              id: "backlog_per_task",
              label: "Backlog per task",
              expression: "IF(tasks > 0, visible / tasks, visible)",
              returnData: true,
            },
          ],
        },
      },
    });
  }
}
