import module from 'node:module';

// The AWS SDK warns on Node 20 that its 2027 releases need Node 22; the README says so once,
// the CLI's output should not on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Before anything of ours loads, so the cache covers it (Node 22.1 and later; a no-op before).
(module as { enableCompileCache?: () => void }).enableCompileCache?.();

// A reader that stops early (`mailengine templates list | head -3`) closes the pipe: what is left
// to say has no one to hear it, so leave quietly, as Unix tools do, rather than with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  // The one answer that needs no command tree.
  const { VERSION } = await import('../src/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { ExitCode, main } = await import('./main.js');

  const controller = new AbortController();
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(ExitCode.Interrupted);
    interrupted = true;
    controller.abort();
    // Give the running command a moment to say what state it left things in, then leave.
    setTimeout(() => {
      process.stderr.write('Interrupted.\n');
      process.exit(ExitCode.Interrupted);
    }, 1500).unref();
  });

  const code = await main(argv, {
    env: process.env,
    cwd: process.cwd(),
    streams: { stdout: process.stdout, stderr: process.stderr },
    stdinIsTTY: process.stdin.isTTY === true,
    signal: controller.signal,
  });
  process.exitCode = interrupted ? ExitCode.Interrupted : code;
}
