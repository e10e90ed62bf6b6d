import { Construct } from "constructs";
import { AwsContext } from "../shared/aws-context";
import { AlarmsConfig, WorkerConfig } from "../config/config";
import { DataKey } from "../encryption/data-key";
import { AlarmSpec, MonitoredNames, alarmSpecs } from "./alarm-specs";
import { AlarmTopic } from "./alarm-topic";
import { Alarms } from "./alarms";
import { Dashboard } from "./dashboard";

export interface MonitoringProps {
  readonly aws: AwsContext;
  readonly name: string;
  readonly config: AlarmsConfig;
  readonly worker: WorkerConfig;
  readonly dataKey: DataKey;
  readonly names: MonitoredNames;
  readonly workerLogGroup: string;
}

/**
 * Operators are told when Nexus breaks: an alarm on every failure mode (stacks/monitoring/alarm-specs.ts),
 * each notifying this environment's encrypted topic, or a central topic given by ARN; and a dashboard
 * of the same metrics.
 */
export class Monitoring extends Construct {
  readonly topicArn: string;
  /** Set unless alarms go to a central topic. */
  readonly topic?: AlarmTopic;
  readonly specs: readonly AlarmSpec[];
  readonly alarms: Alarms;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config } = props;
    if (config.topicArn === undefined) {
      this.topic = new AlarmTopic(this, "topic", {
        aws: props.aws,
        name: props.name,
        dataKey: props.dataKey,
        emails: config.emails,
      });
    }
    this.topicArn = this.topic?.arn ?? config.topicArn!;
    this.specs = alarmSpecs(props.names, config, props.worker);
    this.alarms = new Alarms(this, "alarms", { name: props.name, specs: this.specs, topicArn: this.topicArn });
    this.dashboard = new Dashboard(this, "dashboard", {
      name: props.name,
      region: props.aws.region,
      names: props.names,
      alarmArns: this.alarms.alarms.map((alarm) => alarm.arn),
      workerLogGroup: props.workerLogGroup,
    });
  }
}
