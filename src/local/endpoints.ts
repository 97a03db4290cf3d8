import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Loopback endpoints of the local stack (`mailengine local up`). */
export interface LocalEndpoints {
  dynamodb: string;
  s3: string;
  sesv2: string;
  /** The engine runner's EventBridge PutEvents-compatible endpoint. */
  eventbridge: string;
}

export const LOCAL_STATE_DIR = join('.mailengine', 'local');

export const DEFAULT_LOCAL_PORTS = { dynamodb: 4510, s3: 4511, sesv2: 4512, eventbridge: 4513 } as const;

/** Local emulators accept any key; s3rver insists on these two. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export function defaultLocalEndpoints(host = '127.0.0.1'): LocalEndpoints {
  const url = (port: number) => `http://${host}:${port}`;
  return {
    dynamodb: url(DEFAULT_LOCAL_PORTS.dynamodb),
    s3: url(DEFAULT_LOCAL_PORTS.s3),
    sesv2: url(DEFAULT_LOCAL_PORTS.sesv2),
    eventbridge: url(DEFAULT_LOCAL_PORTS.eventbridge),
  };
}

/**
 * The endpoints a running local stack recorded in `.mailengine/local/endpoints.json`, or the
 * default ports when it has not recorded any.
 */
export function readLocalEndpoints(cwd: string): LocalEndpoints {
  const file = join(cwd, LOCAL_STATE_DIR, 'endpoints.json');
  if (!existsSync(file)) return defaultLocalEndpoints();
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalEndpoints>;
  return { ...defaultLocalEndpoints(), ...recorded };
}
