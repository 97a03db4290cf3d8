import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One compile error as tsc reports it: where, the code it points at, and the message with its related notes. */
export interface CompileError {
  line: number;
  column: number;
  /** The source text the error points at. */
  at: string;
  text: string;
}

/**
 * Type-checks `files` together with the project's compiler settings (tsconfig.json), as
 * `tsc --noEmit` would, and returns each file's errors.
 */
export function compileErrors(files: string[]): Map<string, CompileError[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  const program = ts.createProgram(files, { ...config!.options, noEmit: true });
  const errors = new Map<string, CompileError[]>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} was not compiled`);
    const found = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    errors.set(
      file,
      found.map((d) => {
        const start = d.start ?? 0;
        const { line, character } = source.getLineAndCharacterOfPosition(start);
        const related = (d.relatedInformation ?? []).map((r) => ts.flattenDiagnosticMessageText(r.messageText, '\n'));
        return { line: line + 1, column: character + 1, at: source.text.slice(start, start + (d.length ?? 0)), text: [ts.flattenDiagnosticMessageText(d.messageText, '\n'), ...related].join('\n') };
      }),
    );
  }
  return errors;
}
