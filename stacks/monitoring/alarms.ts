import { Construct } from "constructs";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { AlarmSpec, isExpression } from "./alarm-specs";

export interface AlarmsProps {
  /** Alarm name prefix, e.g. `nexus-dev`. */
  readonly name: string;
  readonly specs: readonly AlarmSpec[];
  /** The topic each alarm notifies on ALARM and on OK. */
  readonly topicArn: string;
}

/** One CloudWatch metric alarm per spec, each notifying the topic when it fires and when it clears. */
export class Alarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.alarms = props.specs.map(
      (spec) =>
        new CloudwatchMetricAlarm(this, spec.id, {
          alarmName: `${props.name}-${spec.id}`,
          alarmDescription: spec.runbook,
          comparisonOperator: spec.comparison,
          threshold: spec.threshold,
          evaluationPeriods: spec.evaluationPeriods,
          treatMissingData: spec.missingData,
          alarmActions: [props.topicArn],
          okActions: [props.topicArn],
          ...watched(spec),
        }),
    );
  }
}

function watched(spec: AlarmSpec): Partial<CloudwatchMetricAlarmConfig> {
  const { watches, periodSeconds } = spec;
  if (!isExpression(watches)) {
    return {
      namespace: watches.namespace,
      metricName: watches.metricName,
      dimensions: { ...watches.dimensions },
      period: periodSeconds,
      ...(/^p\d/.test(watches.stat) ? { extendedStatistic: watches.stat } : { statistic: watches.stat }),
    };
  }
  const inputs = Object.entries(watches.inputs).map(([queryId, m]) => ({
    id: queryId,
    returnData: false,
    metric: {
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: { ...m.dimensions },
      period: periodSeconds,
      stat: m.stat,
    },
  }));
  return {
    metricQuery: [
      ...inputs,
      { id: "condition", expression: watches.expression, label: watches.label, returnData: true },
    ],
  };
}
