// `npm run cfn:check [template.yaml ...]`: checks the engine's template (or the files given) with
// this template's own rules (this directory) and with AWS's cfn-lint for everything generic, and
// exits 1 when either finds a problem. cfn-lint is a Python tool (`pip install cfn-lint`); without
// it the generic checks are reported as skipped, with the reason, and do not fail the run.
import { spawnSync } from 'node:child_process';
import { checkTemplateFile, formatFinding } from './index.js';
import { findCfnLint } from './cfn-lint.js';

const files = process.argv.slice(2);
const targets = files.length > 0 ? files : ['cfn/mailengine.yaml'];

let failed = 0;
for (const file of targets) {
  let findings;
  try {
    findings = await checkTemplateFile(file);
  } catch (error) {
    console.error(`${file}: cannot be read as a CloudFormation template: ${error instanceof Error ? error.message : String(error)}`);
    failed += 1;
    continue;
  }
  for (const finding of findings) console.log(`${file}: ${formatFinding(finding)}`);
  if (findings.length > 0) {
    console.error(`cfn-check: ${file} failed ${findings.length} check${findings.length === 1 ? '' : 's'}`);
    failed += 1;
  } else {
    console.error(`cfn-check: ${file} passed`);
  }
}

const cfnLint = findCfnLint();
if ('skipped' in cfnLint) {
  console.error(`cfn-lint: skipped: ${cfnLint.skipped}`);
} else {
  // cfn-lint's exit code is a bit mask (2 errors, 4 warnings, 8 informational); any of them fails.
  const result = spawnSync(cfnLint.command, ['--', ...targets], { stdio: 'inherit' });
  if (result.status === 0) {
    console.error(`cfn-lint: ${targets.join(', ')} passed (${cfnLint.version})`);
  } else {
    console.error(`cfn-lint: ${targets.join(', ')} failed (${cfnLint.version}, exit ${result.status ?? result.signal})`);
    failed += 1;
  }
}
process.exit(failed > 0 ? 1 : 0);
