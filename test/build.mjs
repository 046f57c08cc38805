#!/usr/bin/env node
/**
 * `npm test`'s build: ONE TypeScript program over everything tsconfig.json covers (src, test,
 * bench, vitest.config.ts) type-checks it all and emits src into dist/ exactly as `npm run build`
 * does (tsconfig.build.json's options). Before, a build and then `tsc --noEmit` parsed the
 * libraries' declarations and checked src twice.
 *
 * Exit code 1 (with tsc's diagnostics) on any type error in src, test or bench; dist/ is then left
 * as emitted, as tsc leaves it, but npm test stops before the tests run.
 */
import { rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

function parsed(file) {
  const path = resolve(root, file);
  const { config, error } = ts.readConfigFile(path, ts.sys.readFile);
  if (error) fail([error]);
  const result = ts.parseJsonConfigFileContent(config, ts.sys, dirname(path), undefined, path);
  if (result.errors.length) fail(result.errors);
  return result;
}

const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => ts.sys.newLine,
};

function fail(diagnostics) {
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}

const everything = parsed('tsconfig.json');
const build = parsed('tsconfig.build.json');
const outDir = build.options.outDir;
const rootDir = build.options.rootDir;
const outside = (file) => {
  const r = relative(rootDir, file);
  return r.startsWith('..') || isAbsolute(r);
};

// The build's options over all the files. Test and bench files lie outside its rootDir (src): they
// are checked, never emitted, so tsc's "not under rootDir" (TS6059) about them is moot, unless a
// file in src imports one (then the build would fail: that one is kept).
const program = ts.createProgram({ rootNames: everything.fileNames, options: build.options });
const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => !(d.code === 6059 && (d.file === undefined || outside(d.file.fileName))));

rmSync(outDir, { recursive: true, force: true });
const emitted = [];
for (const sourceFile of program.getSourceFiles()) {
  if (sourceFile.isDeclarationFile || outside(sourceFile.fileName) || program.isSourceFileFromExternalLibrary(sourceFile)) continue;
  const r = program.emit(sourceFile);
  diagnostics.push(...r.diagnostics);
  emitted.push(sourceFile.fileName);
}
if (diagnostics.length) fail(diagnostics);
if (emitted.length === 0) fail([{ category: ts.DiagnosticCategory.Error, code: 0, file: undefined, start: undefined, length: undefined, messageText: `nothing to emit under ${rootDir}` }]);
