export { type Clock, systemClock } from './clock.js';
export { deepFreeze, parseOptions } from './options.js';
export {
  formatIssuePath,
  type ParseWithSchemaOptions,
  parseWithSchema,
  problemsFromZodError,
  type ValidationProblem,
} from './validation-problems.js';
