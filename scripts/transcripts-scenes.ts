/**
 * The commands behind every transcript in the docs, scene by scene, in the order a reader would
 * run them. Each scene starts from an empty directory.
 */
import { rmSync } from 'node:fs';
import { deployScene } from './transcripts-deploy.js';
import { doctorScene } from './transcripts-doctor.js';
import { domainScene } from './transcripts-domain.js';
import { demoScene, localScene, templatesScene } from './transcripts-local.js';
import { Session, builtCli, pathSubstitutions, scratchDir, type Log } from './transcripts-session.js';

/** Transcripts that need no stack at all: the CLI's answers before anything exists. */
async function noStackScene(out: Map<string, string>, log: Log): Promise<void> {
  const cwd = scratchDir('plain');
  try {
    const s = new Session(cwd, builtCli(cwd), out, pathSubstitutions(cwd), log);
    s.begin('whoami-no-credentials');
    await s.run('mailengine whoami --region eu-west-1', { expect: 3 });
    s.end();
    s.begin('whoami-local');
    await s.run('mailengine whoami --local');
    s.end();
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Every transcript, by id. */
export async function generateTranscripts(log: Log = () => undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  log('Transcripts without a stack:');
  await noStackScene(out, log);
  log('The demo:');
  await demoScene(out, log);
  log('Templates on disk:');
  await templatesScene(out, log);
  log('The local stack:');
  await localScene(out, log);
  log('Deploy, upgrade, info and destroy on the in-memory CloudFormation:');
  await deployScene(out, log);
  log('The sending domain, with SES stood in for and DNS on loopback:');
  await domainScene(out, log);
  log('doctor, on the same stand-ins:');
  await doctorScene(out, log);
  return out;
}
