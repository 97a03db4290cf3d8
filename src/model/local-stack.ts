/**
 * The local stack's fixed facts, which the AWS client factory (pointing clients at it) and the
 * local stack itself (starting it) both need: its services, their default loopback ports, the host
 * they listen on and the credentials the emulators take.
 */

/** Loopback endpoints of the local stack (`mailengine local up`). */
export interface LocalEndpoints {
  dynamodb: string;
  s3: string;
  sesv2: string;
  /** The engine runner's EventBridge PutEvents-compatible endpoint. */
  eventbridge: string;
}

/** One port per endpoint; the keys are the same as LocalEndpoints'. */
export type LocalPorts = { [K in keyof LocalEndpoints]: number };

export const LOCAL_ENDPOINT_KEYS = ['dynamodb', 's3', 'sesv2', 'eventbridge'] as const satisfies ReadonlyArray<keyof LocalEndpoints>;

export const DEFAULT_LOCAL_PORTS = { dynamodb: 4510, s3: 4511, sesv2: 4512, eventbridge: 4513 } as const;

/** Every part of the local stack listens here and nowhere else (DynamoDB Local through its launcher). */
export const LOCAL_HOST = '127.0.0.1';

/** Local emulators accept any key; s3rver insists on these two. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
