import { type ErrorCode, errorDefinition } from './catalog/index.js';
import { type ErrorCategory, statusForCategory } from './category.js';

// A registered symbol, so that `RemotelerError.is()` recognises errors made by another copy of this
// package (two versions installed side by side), where `instanceof` would not.
const BRAND: unique symbol = Symbol.for('remoteler.error') as never;

/** Options for {@link RemotelerError}. */
export interface RemotelerErrorOptions {
  /** The underlying failure, kept for logs; never sent to clients. */
  readonly cause?: unknown;
  /** Machine-readable facts about the failure (a field path, a limit). Must hold no secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Overrides the catalog's hint when the next step depends on the situation. */
  readonly hint?: string;
}

/** The JSON shape of an error as it crosses HTTP or a process boundary. */
export interface RemotelerErrorJson {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly status: number;
  readonly message: string;
  readonly hint: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of Remoteler. Errors are data: a stable `code` from the catalog, a `category`
 * that decides the HTTP `status`, a message that says what happened, and a `hint` that says what to
 * do next.
 */
export class RemotelerError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly status: number;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: RemotelerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const definition = errorDefinition(code);
    if (!definition) throw new TypeError(`unknown Remoteler error code ${String(code)}`);
    this.name = 'RemotelerError';
    this.code = code;
    this.category = definition.category;
    this.status = definition.status ?? statusForCategory(definition.category);
    this.hint = options.hint ?? definition.hint;
    this.details = options.details;
  }

  /** True for any Remoteler error, including one made by another copy of this package. */
  static is(value: unknown): value is RemotelerError {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  /** True when `value` is a Remoteler error with this code. */
  static hasCode(value: unknown, code: ErrorCode): value is RemotelerError {
    return RemotelerError.is(value) && value.code === code;
  }

  /** `message` followed by the hint: what a person reads on a terminal. */
  get userMessage(): string {
    return `${this.code}: ${this.message}. ${this.hint}`;
  }

  toJSON(): RemotelerErrorJson {
    return {
      code: this.code,
      category: this.category,
      status: this.status,
      message: this.message,
      hint: this.hint,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}
