import type { IoHost, IoMessage, IoRequest, IoResponse, Progress, ResultRenderer } from '../../src/io/io-host.js';
import type { MessageCode } from '../../src/io/message-codes.js';

/** The global flags that choose what a command acts on; a printed follow-up command must repeat them. */
const TARGET_FLAGS = ['--local', '--stack', '--env', '--region', '--profile', '--config'] as const;
const TAKES_VALUE = new Set<string>(['--stack', '--env', '--region', '--profile', '--config']);

/**
 * The target flags as the user typed them (`--stack demo`, `--stack=demo` and `--local` alike),
 * in the order given, each once: what a pasted follow-up needs to act on the same engine.
 */
export function targetFlags(argv: readonly string[]): string[] {
  const picked = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    const [name, inline] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(TARGET_FLAGS as readonly string[]).includes(name)) continue;
    if (!TAKES_VALUE.has(name)) picked.set(name, [name]);
    else if (inline !== undefined) picked.set(name, [name, inline]);
    else if (i + 1 < argv.length) picked.set(name, [name, argv[++i]]);
  }
  return [...picked.values()].flat();
}

const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/** One command line with the target flags it does not already carry appended. */
function complete(command: string, flags: readonly string[]): string {
  const extra: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const name = flags[i];
    const value = TAKES_VALUE.has(name) ? flags[++i] : undefined;
    if (new RegExp(`(^|\\s)${name}(?=$|[\\s=])`).test(command)) continue;
    // The local stack's own commands act on this machine whatever the target.
    if (name === '--local' && /^mailengine local\b/.test(command)) continue;
    extra.push(value === undefined ? name : `${name} ${quote(value)}`);
  }
  return extra.length ? `${command.trimEnd()} ${extra.join(' ')}` : command;
}

/**
 * Makes every `mailengine …` command in a text pasteable as it stands: a command in backticks, or
 * one that ends a line after a label ("More: mailengine status lookup --next …"), gets the target
 * flags of the run that printed it. Without this, a hint printed by `--local` (or `--stack prod
 * --region eu-west-1`) would act on another engine, or fail, when pasted.
 */
export function withTargetFlags(text: string, flags: readonly string[]): string {
  if (flags.length === 0 || !text.includes('mailengine ')) return text;
  return text
    .replace(/`mailengine ([a-z][^`\n]*)`/g, (_, rest: string) => `\`${complete(`mailengine ${rest}`, flags)}\``)
    .replace(/(: )mailengine ([a-z][a-z-]*(?: [^\n`]*)?)$/gm, (_, lead: string, rest: string) => `${lead}${complete(`mailengine ${rest}`, flags)}`);
}

/** An IO host whose every printed text (messages, questions, progress, results) carries the target flags in its follow-ups. */
export class FollowUpIoHost implements IoHost {
  constructor(
    private readonly inner: IoHost,
    private readonly flags: readonly string[],
  ) {}

  get interactive(): boolean {
    return this.inner.interactive;
  }

  private text(message: string): string {
    return withTargetFlags(message, this.flags);
  }

  notify(msg: IoMessage): void {
    this.inner.notify({ ...msg, message: this.text(msg.message) });
  }

  requestResponse<R extends IoRequest>(req: R): Promise<IoResponse<R>> {
    return this.inner.requestResponse({ ...req, message: this.text(req.message) });
  }

  progress(code: MessageCode, message: string): Progress {
    const inner = this.inner.progress(code, this.text(message));
    const maybe = (m?: string) => (m === undefined ? undefined : this.text(m));
    return {
      update: (m) => inner.update(this.text(m)),
      succeed: (m) => inner.succeed(maybe(m)),
      fail: (m) => inner.fail(maybe(m)),
      stop: () => inner.stop(),
    };
  }

  result<T>(data: T, render: ResultRenderer<T>): void {
    this.inner.result(data, (d) => this.text(render(d)));
  }
}
