// `npm run cfn:check [template.yaml ...]`: checks the engine's template (or the files given) and
// exits 1 when any rule fails. The rules live in src/cfn/check/; this file only reads and prints.
import { checkTemplateFile, formatFinding } from '../src/cfn/check/index.js';

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
process.exit(failed > 0 ? 1 : 0);
