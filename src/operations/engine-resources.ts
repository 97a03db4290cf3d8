/** The engine's resources that operations commands read and write (see src/target/ for where they come from). */
export interface EngineResources {
  stackName: string;
  trackingTable: string;
  suppressionTable: string;
  templatesBucket: string;
  configurationSet: string;
  eventBusName: string;
  /** Present for a deployed stack; the local stack's runner keeps its queues in memory. */
  queues?: { send: string; sendDlq: string; feedback: string; feedbackDlq: string };
  senderEventSourceMappingId?: string;
  alarmTopicArn?: string;
  /** Every output as CloudFormation reported it (empty locally). */
  outputs: Record<string, string>;
}
