// Types for scripts/package-lambdas.mjs, which stays plain JavaScript so scripts/build.mjs can
// run it with node alone.

export declare const HANDLER_NAMES: readonly string[];
export declare const DEFAULT_HANDLERS_DIR: string;
export declare const LAMBDA_ENTRY_FILE: string;
export declare const LAMBDA_HANDLER: string;

export interface LambdaPackage {
  /** Zip file name inside the output directory: `<name>-<sha256 prefix>.zip`. */
  file: string;
  /** Suggested S3 key for the artifacts bucket. */
  key: string;
  sha256: string;
  bytes: number;
  handler: string;
}

export type LambdaManifest = Record<string, LambdaPackage>;

export interface PackageOptions {
  root?: string;
  handlersDir?: string;
  outDir?: string;
  names?: readonly string[];
}

/** index.mjs and its chunks (`chunks/...`): file name in the zip -> bytes. */
export declare function bundleHandler(entry: string, root: string): Promise<Record<string, Uint8Array>>;
export declare function zipDeterministic(files: Record<string, Uint8Array>): Uint8Array;
export declare function sha256(bytes: Uint8Array): string;
export declare function packageHandler(name: string, entry: string, root: string): Promise<{ zip: Uint8Array; entry: LambdaPackage }>;
export declare function packageLambdas(options?: PackageOptions): Promise<LambdaManifest>;
/** An AWS SDK schemas file with its `[_name]:` object keys written as the string constants they name. */
export declare function literalSchemaKeys(source: string): string;
/** The esbuild plugin that applies `literalSchemaKeys` to every `@aws-sdk/client-*` schemas file. */
export declare const sdkSchemaKeys: import('esbuild').Plugin;
