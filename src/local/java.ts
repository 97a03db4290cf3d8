import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExitCode, MailengineError } from '../errors.js';

const run = promisify(execFile);

/** DynamoDB Local 2.3 and later are built for Java 17. */
export const MINIMUM_JAVA = 17;

export interface JavaRuntime {
  command: string;
  version: string;
  major: number;
}

/** `java -version` prints `openjdk version "17.0.15"`, `java version "21"` or, for Java 8, `"1.8.0_392"`. */
export function parseJavaVersion(output: string): { version: string; major: number } | undefined {
  const match = output.match(/version "([^"]+)"/);
  if (!match) return undefined;
  const version = match[1];
  const parts = version.split(/[._-]/).map(Number);
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return Number.isFinite(major) ? { version, major } : undefined;
}

/**
 * The Java that runs DynamoDB Local: `$JAVA_HOME/bin/java` when JAVA_HOME is set (as build tools
 * do), else `java` from PATH. Missing or too old is an environment problem, exit 3.
 */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<JavaRuntime> {
  const fromHome = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', process.platform === 'win32' ? 'java.exe' : 'java') : undefined;
  const command = fromHome && existsSync(fromHome) ? fromHome : 'java';
  let output: string;
  try {
    // Java prints its version on stderr.
    const { stdout, stderr } = await run(command, ['-version'], { encoding: 'utf8', timeout: 20_000, env });
    output = `${stderr}\n${stdout}`;
  } catch (err) {
    throw new MailengineError('LOCAL_JAVA_MISSING', `DynamoDB Local needs Java ${MINIMUM_JAVA} or newer, and \`${command} -version\` did not run.`, {
      exitCode: ExitCode.Environment,
      cause: err,
      suggestion: `Install a Java ${MINIMUM_JAVA}+ runtime (for example Eclipse Temurin 21) and make sure \`java\` is on PATH, or set JAVA_HOME.`,
    });
  }
  const parsed = parseJavaVersion(output);
  if (!parsed) {
    throw new MailengineError('LOCAL_JAVA_UNKNOWN', `Could not read the Java version from \`${command} -version\`.`, {
      exitCode: ExitCode.Environment,
      suggestion: `DynamoDB Local needs Java ${MINIMUM_JAVA} or newer; point JAVA_HOME at one.`,
      details: { output: output.trim().slice(0, 500) },
    });
  }
  if (parsed.major < MINIMUM_JAVA) {
    throw new MailengineError('LOCAL_JAVA_TOO_OLD', `DynamoDB Local needs Java ${MINIMUM_JAVA} or newer; ${command} is Java ${parsed.version}.`, {
      exitCode: ExitCode.Environment,
      suggestion: `Install Java ${MINIMUM_JAVA}+ and put it first on PATH, or set JAVA_HOME to it.`,
      details: { version: parsed.version },
    });
  }
  return { command, ...parsed };
}
