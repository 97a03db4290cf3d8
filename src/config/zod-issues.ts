import type { z } from 'zod';

/** One line per problem, each naming the key it concerns: `environments.prod.region: is not ...`. Takes the error of either zod API (classic or mini). */
export function describeZodIssues(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
    }
    return `${where}: ${issue.message}`;
  });
}
