// Regenerates schema/remoteler.schema.json from the zod schema (through the built package):
//   npm run schema -w @remoteler/reference-server
// test/config/json-schema.test.ts fails when the committed file is not current.
import { writeFileSync } from 'node:fs';
import { configJsonSchemaText } from '../dist/index.js';

writeFileSync(new URL('../schema/remoteler.schema.json', import.meta.url), configJsonSchemaText());
console.log('wrote schema/remoteler.schema.json');
