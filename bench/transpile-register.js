/**
 * Loads `.ts` files by transpiling them with TypeScript (no type-check), for the measured server
 * processes of `npm run bench:http`. Not ts-node: ts-node loads Node's REPL, which loads the
 * `domain` module, which makes every EventEmitter, timer and `nextTick` of the process pay for
 * domain support — a cost a compiled application does not have.
 *
 *   node -r ./bench/transpile-register.js -r tsconfig-paths/register bench/http-server.ts ...
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const project = process.env.TS_NODE_PROJECT ?? path.join(__dirname, '..', 'tsconfig.json');
const { config } = ts.readConfigFile(project, ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(project));
const compilerOptions = {
  ...options,
  sourceMap: false,
  inlineSourceMap: false,
  declaration: false,
};

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions,
    fileName: filename,
  });
  module._compile(outputText, filename);
};
