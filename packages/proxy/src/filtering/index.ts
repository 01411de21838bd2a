export { filterableOf, mayShow, mayShowRow } from './filterable-object.js';
export { isJsonWhitespace, JsonValueCapture } from './json-value-capture.js';
export { createListFilter, DEFAULT_MAX_OBJECT_BYTES, type ListFilterOptions } from './list-filter.js';
export { type FilteredRequest, negotiateFilteredRequest } from './negotiate.js';
export { createWatchFilter, type WatchFilterOptions } from './watch-filter.js';
