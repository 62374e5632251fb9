import { MemoryStore } from '../../../core/stores/memory-store.ts';
import { describeStoreConformance } from './store-conformance.ts';

describeStoreConformance('MemoryStore', { open: async () => new MemoryStore() });
