import { fileURLToPath } from 'node:url';

/** The repository root, found from this file rather than the working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
