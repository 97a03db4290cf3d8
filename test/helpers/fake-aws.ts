import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/**
 * A loopback HTTP server that answers like an AWS endpoint would, so tests exercise the real SDK
 * clients (serialisation, error parsing, retries) without any AWS. Responses are written by each
 * test in the shape the service's API reference documents.
 */
export class FakeAws {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;

  constructor(private reply: (req: RecordedRequest) => FakeReply) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(recorded);
        const out = this.reply(recorded);
        res.writeHead(out.status, { 'x-amzn-requestid': 'req-0001', ...out.headers });
        res.end(out.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  setReply(reply: (req: RecordedRequest) => FakeReply): void {
    this.reply = reply;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** An awsQuery-protocol error body (STS, CloudFormation), as those APIs document it. */
export function queryError(status: number, code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender'): FakeReply {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://example.invalid/doc/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-0001</RequestId></ErrorResponse>`,
  };
}

/** An awsJson1.0 error (DynamoDB). */
export function jsonError(status: number, type: string, message: string): FakeReply {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
  };
}

/** A restJson error (SESv2): the type travels in a header. */
export function restJsonError(status: number, type: string, message: string): FakeReply {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/` },
    body: JSON.stringify({ message }),
  };
}

export const CALLER_IDENTITY: FakeReply = {
  status: 200,
  headers: { 'content-type': 'text/xml' },
  body:
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
    '<Arn>arn:aws:iam::123456789012:user/ops</Arn><UserId>AIDAEXAMPLEUSERID</UserId><Account>123456789012</Account>' +
    '</GetCallerIdentityResult><ResponseMetadata><RequestId>req-0001</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
};

/** Static test credentials; they only ever travel to loopback. */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-secret' };
