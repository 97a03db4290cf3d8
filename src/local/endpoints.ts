import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_REGION } from '../config/settings.js';
import { DEFAULT_LOCAL_PORTS, LOCAL_CREDENTIALS, LOCAL_ENDPOINT_KEYS, LOCAL_HOST, type LocalEndpoints, type LocalPorts } from '../model/local-stack.js';

export const LOCAL_STATE_DIR = join('.mailengine', 'local');

/** What `endpoints.json` holds: the endpoints plus the SES emulator's inbox page. */
export interface LocalStackEndpoints extends LocalEndpoints {
  inbox: string;
}

export function localStateDir(cwd: string): string {
  return join(cwd, LOCAL_STATE_DIR);
}

export function localEndpointsFor(ports: LocalPorts, host = LOCAL_HOST): LocalStackEndpoints {
  const url = (port: number) => `http://${host}:${port}`;
  return {
    dynamodb: url(ports.dynamodb),
    s3: url(ports.s3),
    sesv2: url(ports.sesv2),
    eventbridge: url(ports.eventbridge),
    // aws-ses-v2-local serves its web inbox at the root of the same port as the API.
    inbox: `${url(ports.sesv2)}/`,
  };
}

export function defaultLocalEndpoints(host = LOCAL_HOST): LocalEndpoints {
  const { inbox: _inbox, ...endpoints } = localEndpointsFor(DEFAULT_LOCAL_PORTS, host);
  return endpoints;
}

function endpointsFile(cwd: string): string {
  return join(localStateDir(cwd), 'endpoints.json');
}

function readRecorded(cwd: string): Partial<Record<keyof LocalEndpoints, string>> {
  const file = endpointsFile(cwd);
  if (!existsSync(file)) return {};
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // Only the known keys: the file also carries the inbox, which is not a service endpoint.
  const picked: Partial<Record<keyof LocalEndpoints, string>> = {};
  for (const key of LOCAL_ENDPOINT_KEYS) {
    if (typeof recorded[key] === 'string') picked[key] = recorded[key];
  }
  return picked;
}

/**
 * The endpoints a running local stack recorded in `.mailengine/local/endpoints.json`, or the
 * default ports when it has not recorded any.
 */
export function readLocalEndpoints(cwd: string): LocalEndpoints {
  return { ...defaultLocalEndpoints(), ...readRecorded(cwd) };
}

/**
 * The ports the last `local up` in this project used, falling back to the defaults, so a stack
 * started once with custom ports comes back on the same ones.
 */
export function readLocalPorts(cwd: string): LocalPorts {
  const endpoints = readLocalEndpoints(cwd);
  const ports = { ...DEFAULT_LOCAL_PORTS } as LocalPorts;
  for (const key of LOCAL_ENDPOINT_KEYS) {
    const port = Number(new URL(endpoints[key]).port);
    if (Number.isInteger(port) && port > 0) ports[key] = port;
  }
  return ports;
}

/** Written whole and renamed into place, so a reader never sees half a file. */
export async function writeLocalEndpoints(cwd: string, endpoints: LocalStackEndpoints): Promise<string> {
  const file = endpointsFile(cwd);
  await mkdir(localStateDir(cwd), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(endpoints, null, 2)}\n`);
  await rename(temp, file);
  return file;
}

/**
 * The environment an app sets so its unchanged AWS SDK code talks to the local stack. The SDKs
 * read `AWS_ENDPOINT_URL_<SERVICE>` themselves; S3 needs the checksum settings s3rver understands
 * (and path-style addressing, which the SDK picks by itself for an IP-address endpoint).
 */
export function localEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SESV2: endpoints.sesv2,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
