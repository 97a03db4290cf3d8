import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingIoHost } from '../../helpers/recording-io-host.js';
import { formatListening, parseLsof, parseNetstat, parseProcNetTcp, partListening } from '../../../src/local/listening.js';
import { checkListening } from '../../../src/local/up.js';

describe('reading the socket table', () => {
  it('decodes /proc/net/tcp and tcp6 (little-endian words), keeping LISTEN sockets only', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1607 1 00000000b92f89e7 100 0 0 10 0',
      '   1: 0100007F:B347 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18863 1 000000000a728b41 100 0 0 10 0',
      '   2: 0100007F:B347 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 18999 1 000000000a728b41 100 0 0 10 0',
    ].join('\n');
    expect([...parseProcNetTcp(tcp, true)]).toEqual([
      ['1607', { address: '0.0.0.0', port: 2024 }],
      ['18863', { address: '127.0.0.1', port: 45895 }],
    ]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000000000000:84A1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18896 1 0 100 0 0 10 0',
      '   1: 0000000000000000FFFF00000100007F:11A6 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20001 1 0 100 0 0 10 0',
      '   2: 00000000000000000000000001000000:11A7 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20002 1 0 100 0 0 10 0',
      '   3: 000080FE00000000FF3C0B0AFE5C8F1A:11A8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20003 1 0 100 0 0 10 0',
    ].join('\n');
    expect([...parseProcNetTcp(tcp6, true)]).toEqual([
      ['18896', { address: '::', port: 33953 }],
      ['20001', { address: '::ffff:127.0.0.1', port: 4518 }],
      ['20002', { address: '::1', port: 4519 }],
      ['20003', { address: 'fe80::a0b:3cff:1a8f:5cfe', port: 4520 }],
    ]);
    // A big-endian kernel prints the same address without the byte swap.
    expect([...parseProcNetTcp(tcp.replace('0100007F', '7F000001'), false)][1][1].address).toBe('127.0.0.1');
  });

  it('writes addresses as a user types them, IPv4-mapped ones as IPv4', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1', '::ffff:0.0.0.0', '::', '*'].map((address) => formatListening({ address, port: 4510 }))).toEqual([
      '127.0.0.1:4510',
      '[::1]:4510',
      '127.0.0.1:4510',
      '0.0.0.0:4510',
      '[::]:4510',
      '*:4510',
    ]);
  });

  it('reads lsof -F pn (macOS, BSD)', () => {
    const text = ['p501', 'f7', 'n127.0.0.1:4510', 'f8', 'n[::1]:4510', 'p502', 'f9', 'n*:4511', 'f10', 'n[::ffff:127.0.0.1]:4512', ''].join('\n');
    expect(parseLsof(text)).toEqual([
      { address: '127.0.0.1', port: 4510, pid: 501 },
      { address: '::1', port: 4510, pid: 501 },
      { address: '*', port: 4511, pid: 502 },
      { address: '::ffff:127.0.0.1', port: 4512, pid: 502 },
    ]);
  });

  it('reads netstat -ano (Windows), whatever language the state column is in', () => {
    const text = [
      '',
      'Active Connections',
      '',
      '  Proto  Local Address          Foreign Address        State           PID',
      '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1012',
      '  TCP    127.0.0.1:4510         0.0.0.0:0              ABHÖREN         4242',
      '  TCP    127.0.0.1:4510         127.0.0.1:50000        ESTABLISHED     4242',
      '  TCP    [::]:4511              [::]:0                 LISTENING       4243',
      '  TCP    [::1]:4512             [::]:0                 LISTENING       4244',
      '  TCP    [fe80::1%7]:4513       [::]:0                 LISTENING       4245',
      '  UDP    0.0.0.0:5353           *:*                                    2020',
    ].join('\r\n');
    expect(parseNetstat(text)).toEqual([
      { address: '0.0.0.0', port: 135, pid: 1012 },
      { address: '127.0.0.1', port: 4510, pid: 4242 },
      { address: '::', port: 4511, pid: 4243 },
      { address: '::1', port: 4512, pid: 4244 },
      { address: 'fe80::1', port: 4513, pid: 4245 },
    ]);
  });
});

describe('where a process group listens, from the live socket table', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.pid) process.kill(-child.pid, 'SIGKILL');
  });

  /** A detached Node process (its own process group, like a part of the stack) listening on `host`. */
  async function listener(host: string): Promise<{ pid: number; port: number }> {
    const script = `const s = require('node:net').createServer().listen(0, ${JSON.stringify(host)}, () => console.log(s.address().port))`;
    const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once('exit', (code) => reject(new Error(`listener on ${host} exited with ${code}`)));
    });
    return { pid: child.pid!, port };
  }

  it('tells loopback from every interface', async () => {
    const [loopback, v4Everywhere, everywhere] = await Promise.all([listener('127.0.0.1'), listener('0.0.0.0'), listener('::')]);
    expect(await partListening(loopback.pid)).toEqual({ listening: [`127.0.0.1:${loopback.port}`], exposed: [] });
    expect(await partListening(v4Everywhere.pid)).toEqual({ listening: [`0.0.0.0:${v4Everywhere.port}`], exposed: [`0.0.0.0:${v4Everywhere.port}`] });
    expect(await partListening(everywhere.pid)).toEqual({ listening: [`[::]:${everywhere.port}`], exposed: [`[::]:${everywhere.port}`] });
  });

  it('local up says plainly which part other machines can reach, and where', async () => {
    const [safe, open, old] = await Promise.all([listener('127.0.0.1'), listener('0.0.0.0'), listener('::')]);
    const reports: Parameters<typeof checkListening>[0] = [
      { name: 's3', label: 'S3 (s3rver)', state: 'started', pid: safe.pid },
      { name: 'sesv2', label: 'SES v2 (aws-ses-v2-local)', state: 'started', pid: open.pid },
      { name: 'dynamodb', label: 'DynamoDB Local', state: 'already-running', pid: old.pid },
    ];
    const io = new RecordingIoHost();
    await checkListening(reports, io);
    expect(reports.map((r) => [r.name, r.listening, r.exposed])).toEqual([
      ['s3', [`127.0.0.1:${safe.port}`], []],
      ['sesv2', [`0.0.0.0:${open.port}`], [`0.0.0.0:${open.port}`]],
      ['dynamodb', [`[::]:${old.port}`], [`[::]:${old.port}`]],
    ]);
    expect(io.messages.filter((m) => m.level === 'warn').map((m) => [m.code, m.message])).toEqual([
      ['local.up.exposed', `SES v2 (aws-ses-v2-local) listens on 0.0.0.0:${open.port}: other machines that can reach this one can use it.`],
      [
        'local.up.exposed',
        `DynamoDB Local listens on [::]:${old.port}: other machines that can reach this one can use it. It was already running: \`mailengine local down\` and \`mailengine local up\` start it afresh on loopback.`,
      ],
    ]);
  });
});
