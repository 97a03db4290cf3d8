import dns2 from 'dns2';

const { Packet } = dns2;

/** DNS response codes (RFC 1035 §4.1.1); dns2 has them at runtime but not in its type definitions. */
export const RCODE = { SERVFAIL: 2, NXDOMAIN: 3 } as const;

/** What one name answers, by record type; `rcode` makes every query for it fail that way. */
export interface ZoneEntry {
  CNAME?: string;
  /** One entry per TXT record; each record may be split into several strings. */
  TXT?: string[][];
  MX?: Array<{ exchange: string; priority: number }>;
  rcode?: number;
}

/**
 * A real DNS server on 127.0.0.1 (UDP, a free port) answering from `zone`, so node:dns does its
 * own wire-level lookups in the tests. Unknown names are NXDOMAIN; known names without the asked
 * type answer NOERROR with no records, as real servers do.
 */
export class FakeDns {
  readonly zone = new Map<string, ZoneEntry>();
  readonly queries: Array<{ name: string; type: number }> = [];
  private server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = question.name.toLowerCase();
      this.queries.push({ name, type: question.type });
      const entry = this.zone.get(name);
      if (!entry) response.header.rcode = RCODE.NXDOMAIN;
      else if (entry.rcode !== undefined) response.header.rcode = entry.rcode;
      else {
        const answer = (record: Partial<dns2.Packet.Resource>) => response.answers.push(Packet.createResourceFromQuestion(question, { ttl: 60, ...record }));
        if (question.type === Packet.TYPE.CNAME && entry.CNAME) answer({ type: Packet.TYPE.CNAME, domain: entry.CNAME });
        if (question.type === Packet.TYPE.TXT) for (const data of entry.TXT ?? []) answer({ type: Packet.TYPE.TXT, data });
        if (question.type === Packet.TYPE.MX) for (const mx of entry.MX ?? []) answer({ type: Packet.TYPE.MX, exchange: mx.exchange, priority: mx.priority });
      }
      void send(response);
    },
  });

  /** Starts listening; returns the address node:dns `setServers` takes (`127.0.0.1:PORT`). */
  async start(): Promise<string> {
    const addresses = await this.server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    return `127.0.0.1:${addresses.udp?.port}`;
  }

  set(name: string, entry: ZoneEntry): void {
    this.zone.set(name.toLowerCase(), entry);
  }

  async stop(): Promise<void> {
    await this.server.close();
  }
}
