import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { descriptorSlots, mainClassFile, type Instruction } from '../../../src/local/java-class-file.js';
import { DYNAMODB_LAUNCHER_CLASS, dynamodbLauncherCode, writeDynamodbLauncher } from '../../../src/local/parts/dynamodb-launcher.js';

const run = promisify(execFile);

/** javap ships with a JDK only; the local stack itself needs no more than a JRE. */
const hasJavap = (() => {
  try {
    execFileSync('javap', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function classDir(name: string, bytes: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-class-'));
  writeFileSync(join(dir, `${name}.class`), bytes);
  return dir;
}

describe('the class-file writer', () => {
  it('counts the stack slots of method descriptors', () => {
    expect(descriptorSlots('([Ljava/lang/String;)V')).toEqual({ args: 1, returns: 0 });
    expect(descriptorSlots('(II)I')).toEqual({ args: 2, returns: 1 });
    expect(descriptorSlots('(JLjava/lang/Object;D[[I)J')).toEqual({ args: 6, returns: 2 });
    expect(() => descriptorSlots('V')).toThrow(/not a method descriptor/);
  });

  it('writes a class the JVM loads, verifies in full and runs', async () => {
    // Exits with status 1 + 2 = 3 through System.exit, via a string and an interface call on the way.
    const code: Instruction[] = [
      { op: 'ldcString', value: 'ab' },
      { op: 'invokevirtual', method: { owner: 'java/lang/String', name: 'length', descriptor: '()I' } },
      { op: 'ldcString', value: 'é\u0000x' },
      { op: 'invokeinterface', method: { owner: 'java/lang/CharSequence', name: 'length', descriptor: '()I' } },
      { op: 'isub' },
      { op: 'iconst', value: 4 },
      { op: 'invokestatic', method: { owner: 'java/lang/Math', name: 'addExact', descriptor: '(II)I' } },
      { op: 'invokestatic', method: { owner: 'java/lang/System', name: 'exit', descriptor: '(I)V' } },
      { op: 'return' },
    ];
    const dir = classDir('ExitThree', mainClassFile('ExitThree', code));
    const outcome = await run('java', ['-Xverify:all', '-cp', dir, 'ExitThree']).then(
      () => 0,
      (err: { code?: number; stderr?: string }) => (err.code === 3 ? 3 : `${err.code}: ${err.stderr}`),
    );
    expect(outcome).toBe(3);
  }, 30_000);

  it('refuses code that would pop an empty stack or not return', () => {
    expect(() => mainClassFile('Bad', [{ op: 'pop' }, { op: 'return' }])).toThrow(/pops an empty operand stack/);
    expect(() => mainClassFile('Bad', [{ op: 'aload', local: 0 }, { op: 'pop' }])).toThrow(/must end with return/);
  });
});

describe('the DynamoDB Local launcher', () => {
  it('binds the host it is given and lists the loopback names as virtual hosts', () => {
    const strings = dynamodbLauncherCode('127.0.0.1').flatMap((insn) => (insn.op === 'ldcString' ? [insn.value] : []));
    expect(strings).toEqual(['server', '127.0.0.1', '127.0.0.1', 'localhost', '[::1]']);
  });

  it('is written once and left alone while unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-launcher-'));
    await writeDynamodbLauncher(dir, '127.0.0.1');
    const { statSync } = await import('node:fs');
    const file = join(dir, `${DYNAMODB_LAUNCHER_CLASS}.class`);
    const first = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await writeDynamodbLauncher(dir, '127.0.0.1');
    expect(statSync(file).mtimeMs).toBe(first);
  });

  it.skipIf(!hasJavap)('disassembles to the Java in its comment', async () => {
    const dir = classDir(DYNAMODB_LAUNCHER_CLASS, mainClassFile(DYNAMODB_LAUNCHER_CLASS, dynamodbLauncherCode('127.0.0.1')));
    const { stdout } = await run('javap', ['-c', '-cp', dir, DYNAMODB_LAUNCHER_CLASS], { encoding: 'utf8' });
    const calls = [...stdout.matchAll(/\/\/ (?:Interface)?Method (\S+)/g)].map((m) => m[1].replace(/:.*$/, ''));
    expect(calls).toEqual([
      'software/amazon/dynamodb/services/local/main/ServerRunner.createServerFromCommandLineArgs',
      'java/lang/Class.getDeclaredField',
      'java/lang/reflect/Field.setAccessible',
      'java/lang/reflect/Field.get',
      'org/eclipse/jetty/server/Server.getConnectors',
      'org/eclipse/jetty/server/ServerConnector.setHost',
      'java/util/Objects.checkIndex',
      'org/eclipse/jetty/server/Server.getHandler',
      'org/eclipse/jetty/server/handler/ContextHandlerCollection.getHandlers',
      'java/util/List.get',
      'java/util/List.of',
      'org/eclipse/jetty/server/handler/ContextHandler.setVirtualHosts',
      'software/amazon/dynamodb/services/local/server/DynamoDBProxyServer.start',
    ]);
    expect(stdout).toContain('public static void main(java.lang.String[])');
  }, 30_000);
});
