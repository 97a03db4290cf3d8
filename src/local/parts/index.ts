import { dynamodbPart } from './dynamodb.js';
import { eventbridgePart } from './eventbridge.js';
import type { LocalPart } from './part.js';
import { s3Part } from './s3.js';
import { sesv2Part } from './sesv2.js';

export type { LocalPart, LocalPartName, PartLaunchContext } from './part.js';

/**
 * Every part `local up` starts, in start order within each stage. The engine runner (the
 * `eventbridge` endpoint) is an `engine`-stage part: it starts once the tables and bucket exist.
 */
export const LOCAL_PARTS: readonly LocalPart[] = [dynamodbPart, s3Part, sesv2Part, eventbridgePart];
