export type { StoreEvents } from './store-events.js';
export {
  createEventBus,
  type EventBusOptions,
  type EventListener,
  type EventMap,
  type TypedEventBus,
} from './typed-event-bus.js';
