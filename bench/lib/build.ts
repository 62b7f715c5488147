/**
 * Bundles the child scripts (bench and src code; packages stay external) into plain
 * JavaScript with esbuild, the compiler tsx itself runs on. Children then start under
 * plain `node`: no loader in their memory (tsx adds ~35 MB RSS) or in their CPU profiles,
 * and a source map lets a profile viewer name src/ files and lines. The bundles live
 * outside the repository, so packages are imported by their resolved file URLs.
 */
import { readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = dirname(BENCH_DIR);

type Esbuild = typeof import('esbuild');

async function loadEsbuild(): Promise<Esbuild> {
  try {
    return await import('esbuild');
  } catch {
    // Not a direct dependency: reach it through tsx, which always brings it.
    const require = createRequire(createRequire(import.meta.url).resolve('tsx'));
    return require('esbuild') as Esbuild;
  }
}

/** Builds `children/<name>.ts` for each name into outDir/<name>.mjs; returns name → path. */
export async function buildChildren(names: readonly string[], outDir: string): Promise<Record<string, string>> {
  const esbuild = await loadEsbuild();
  const version = (JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  await esbuild.build({
    entryPoints: {
      ...Object.fromEntries(names.map((n) => [n, join(BENCH_DIR, 'children', `${n}.ts`)])),
      // src/http/bcrypt-pool.ts starts it from beside itself, i.e. beside the bundle.
      'bcrypt-worker': join(REPO_DIR, 'src', 'http', 'bcrypt-worker.ts'),
    },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'error',
    plugins: [
      {
        // The repository's node_modules, wherever the bundle is written.
        name: 'packages-by-url',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            if (isBuiltin(args.path)) return { path: args.path, external: true };
            return { path: import.meta.resolve(args.path), external: true };
          });
        },
      },
      {
        // src/mapping/loader.ts reads the built-in rules from ./builtin/ next to itself:
        // point it at the repository's, wherever the bundle is written.
        name: 'builtin-mapping-dir',
        setup(build) {
          build.onLoad({ filter: /[\\/]src[\\/]mapping[\\/]loader\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replace(
              "new URL('./builtin/', import.meta.url)",
              JSON.stringify(pathToFileURL(join(REPO_DIR, 'src', 'mapping', 'builtin') + '/').href),
            ),
            loader: 'ts',
          }));
        },
      },
      {
        // src/version.ts reads ../package.json next to itself, which a bundle elsewhere lacks.
        name: 'inline-version',
        setup(build) {
          build.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({
            contents: `export const VERSION = ${JSON.stringify(version)};`,
            loader: 'ts',
          }));
        },
      },
    ],
  });
  return Object.fromEntries(names.map((n) => [n, resolve(outDir, `${n}.mjs`)]));
}
