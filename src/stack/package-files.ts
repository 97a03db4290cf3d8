import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

/** Where the package keeps what `deploy` ships: the engine template and the built Lambda zips. */
export interface PackageFiles {
  template: string;
  lambdaDir: string;
}

export function packageFiles(root = packageRoot()): PackageFiles {
  return { template: join(root, 'cfn', 'mailengine.yaml'), lambdaDir: join(root, 'dist', 'lambda') };
}
