// Per-file set-up for integration tests: real control planes converge in seconds, not milliseconds.
import { jest } from '@jest/globals';

jest.setTimeout(180_000);
