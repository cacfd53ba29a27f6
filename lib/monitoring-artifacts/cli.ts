#!/usr/bin/env node
import { main } from './generate.command';

// The `nestjs-observability` binary: `npx nestjs-observability generate --out monitoring/`.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
