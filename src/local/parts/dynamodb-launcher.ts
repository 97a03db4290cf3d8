import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mainClassFile, type Instruction } from '../java-class-file.js';
import { LOOPBACK_HOST_NAMES } from '../../util/loopback.js';

/** The launcher's class name; it sits in the default package, so its file is `<name>.class`. */
export const DYNAMODB_LAUNCHER_CLASS = 'MailengineDynamoDBLocal';

const SERVER_RUNNER = 'software/amazon/dynamodb/services/local/main/ServerRunner';
const PROXY_SERVER = 'software/amazon/dynamodb/services/local/server/DynamoDBProxyServer';
const JETTY_SERVER = 'org/eclipse/jetty/server/Server';
const SERVER_CONNECTOR = 'org/eclipse/jetty/server/ServerConnector';
const CONTEXT_COLLECTION = 'org/eclipse/jetty/server/handler/ContextHandlerCollection';
const CONTEXT_HANDLER = 'org/eclipse/jetty/server/handler/ContextHandler';
const OBJECT = 'Ljava/lang/Object;';

/**
 * DynamoDB Local has no option for the address it listens on: `DynamoDBProxyServer` builds a Jetty
 * `new Server(port)`, whose one connector binds every interface, and `-jar` gives no say before
 * it starts. This launcher takes its place as the main class and uses the jar's own classes:
 *
 * ```java
 * DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args); // the jar's own parsing
 * Field field = DynamoDBProxyServer.class.getDeclaredField("server");
 * field.setAccessible(true);
 * Server server = (Server) field.get(proxy);
 * Connector[] connectors = server.getConnectors();
 * ((ServerConnector) connectors[0]).setHost(host);            // bind loopback only
 * Objects.checkIndex(connectors.length - 1, 1);               // and fail if there were others
 * ((ContextHandler) ((ContextHandlerCollection) server.getHandler()).getHandlers().get(0))
 *     .setVirtualHosts(List.of("127.0.0.1", "localhost", "[::1]")); // refuse foreign Host headers (DNS rebinding)
 * proxy.start();
 * ```
 *
 * Anything unexpected (a renamed field, another connector) throws before `start()`, so the
 * emulator exits instead of listening everywhere. `local up` then fails with the log's stack trace.
 */
export function dynamodbLauncherCode(host: string): Instruction[] {
  const [loopback, localhost, ipv6] = LOOPBACK_HOST_NAMES;
  return [
    { op: 'aload', local: 0 },
    { op: 'invokestatic', method: { owner: SERVER_RUNNER, name: 'createServerFromCommandLineArgs', descriptor: `([Ljava/lang/String;)L${PROXY_SERVER};` } },
    { op: 'astore', local: 1 },
    { op: 'ldcClass', className: PROXY_SERVER },
    { op: 'ldcString', value: 'server' },
    { op: 'invokevirtual', method: { owner: 'java/lang/Class', name: 'getDeclaredField', descriptor: '(Ljava/lang/String;)Ljava/lang/reflect/Field;' } },
    { op: 'dup' },
    { op: 'iconst', value: 1 },
    { op: 'invokevirtual', method: { owner: 'java/lang/reflect/Field', name: 'setAccessible', descriptor: '(Z)V' } },
    { op: 'aload', local: 1 },
    { op: 'invokevirtual', method: { owner: 'java/lang/reflect/Field', name: 'get', descriptor: `(${OBJECT})${OBJECT}` } },
    { op: 'checkcast', className: JETTY_SERVER },
    { op: 'astore', local: 2 },
    { op: 'aload', local: 2 },
    { op: 'invokevirtual', method: { owner: JETTY_SERVER, name: 'getConnectors', descriptor: '()[Lorg/eclipse/jetty/server/Connector;' } },
    { op: 'astore', local: 3 },
    { op: 'aload', local: 3 },
    { op: 'iconst', value: 0 },
    { op: 'aaload' },
    { op: 'checkcast', className: SERVER_CONNECTOR },
    { op: 'ldcString', value: host },
    { op: 'invokevirtual', method: { owner: SERVER_CONNECTOR, name: 'setHost', descriptor: '(Ljava/lang/String;)V' } },
    { op: 'aload', local: 3 },
    { op: 'arraylength' },
    { op: 'iconst', value: 1 },
    { op: 'isub' },
    { op: 'iconst', value: 1 },
    { op: 'invokestatic', method: { owner: 'java/util/Objects', name: 'checkIndex', descriptor: '(II)I' } },
    { op: 'pop' },
    { op: 'aload', local: 2 },
    { op: 'invokevirtual', method: { owner: JETTY_SERVER, name: 'getHandler', descriptor: '()Lorg/eclipse/jetty/server/Handler;' } },
    { op: 'checkcast', className: CONTEXT_COLLECTION },
    { op: 'invokevirtual', method: { owner: CONTEXT_COLLECTION, name: 'getHandlers', descriptor: '()Ljava/util/List;' } },
    { op: 'iconst', value: 0 },
    { op: 'invokeinterface', method: { owner: 'java/util/List', name: 'get', descriptor: `(I)${OBJECT}` } },
    { op: 'checkcast', className: CONTEXT_HANDLER },
    { op: 'ldcString', value: loopback },
    { op: 'ldcString', value: localhost },
    { op: 'ldcString', value: ipv6 },
    { op: 'invokestaticInterface', method: { owner: 'java/util/List', name: 'of', descriptor: `(${OBJECT}${OBJECT}${OBJECT})Ljava/util/List;` } },
    { op: 'invokevirtual', method: { owner: CONTEXT_HANDLER, name: 'setVirtualHosts', descriptor: '(Ljava/util/List;)V' } },
    { op: 'aload', local: 1 },
    { op: 'invokevirtual', method: { owner: PROXY_SERVER, name: 'start', descriptor: '()V' } },
    { op: 'return' },
  ];
}

/**
 * Writes the launcher's class file into `dir` (unchanged files are left alone) and returns `dir`,
 * for the class path in front of DynamoDBLocal.jar.
 */
export async function writeDynamodbLauncher(dir: string, host: string): Promise<string> {
  const bytes = mainClassFile(DYNAMODB_LAUNCHER_CLASS, dynamodbLauncherCode(host));
  const file = join(dir, `${DYNAMODB_LAUNCHER_CLASS}.class`);
  const current = await readFile(file).catch(() => undefined);
  if (!current?.equals(bytes)) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, bytes);
  }
  return dir;
}
