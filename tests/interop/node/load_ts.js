// Load a TypeScript file as CommonJS after stripping its types with esbuild (transform only: no
// type checking, no bundling, no semantic change), so the seeds' TypeScript runs as written.
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');
const esbuild = require('esbuild');

function loadTs(file) {
  const source = fs.readFileSync(file, 'utf8');
  const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'cjs', target: 'node18', sourcefile: file });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  mod._compile(code, file);
  return mod.exports;
}

module.exports = { loadTs };
