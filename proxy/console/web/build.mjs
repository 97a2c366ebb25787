// Bundles the console's GraphiQL page into ../static/build, where go:embed
// picks it up (make console runs this after npm ci). Every file is written
// gzip-compressed only (name.gz): the Go handler serves it as is to browsers
// that accept gzip, which keeps the binary about 5 MB smaller.
import * as esbuild from 'esbuild';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { gzipSync, constants } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', 'static', 'build');
const require = createRequire(import.meta.url);

const result = await esbuild.build({
  absWorkingDir: here,
  // Monaco runs its language services in web workers: each is its own
  // bundle, which graphiql.jsx starts by URL (MonacoEnvironment): the
  // generic editor worker, JSON (variables, headers, results) and GraphQL
  // (validation and completion from the schema).
  entryPoints: {
    graphiql: 'src/graphiql.jsx',
    'editor.worker': require.resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
    'json.worker': require.resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
    'graphql.worker': require.resolve('monaco-graphql/esm/graphql.worker.js'),
  },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  loader: { '.ttf': 'file' },
  assetNames: '[name]',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  write: false,
  outdir: out,
  logLevel: 'warning',
});

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
let total = 0;
for (const f of result.outputFiles) {
  const gz = gzipSync(f.contents, { level: constants.Z_BEST_COMPRESSION });
  total += gz.length;
  await writeFile(f.path + '.gz', gz);
}
const names = (await readdir(out)).sort();
console.log(`console: ${names.length} files, ${(total / 1e6).toFixed(1)} MB gzipped, in ${path.relative(process.cwd(), out)}: ${names.join(' ')}`);
