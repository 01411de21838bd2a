import { MemoryRecordingStore } from '@remoteler/core';
import { describeRecordingStoreConformance } from '@remoteler/core/testing';

describeRecordingStoreConformance('MemoryRecordingStore', {
  create: () => ({ store: new MemoryRecordingStore() }),
});
