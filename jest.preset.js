// Shared Jest settings for every project (see each project's jest.config.js).
const path = require('node:path');

const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@zmq-mq/protocol$': path.join(root, 'libs/protocol/src/index.ts'),
    '^@zmq-mq/protocol/testing$': path.join(root, 'libs/protocol/src/testing.ts'),
    '^@zmq-mq/broker$': path.join(root, 'libs/broker/src/index.ts'),
    '^@zmq-mq/broker/dashboard$': path.join(root, 'libs/broker/src/dashboard/shapes.ts'),
    '^@zmq-mq/client$': path.join(root, 'libs/client/src/index.ts'),
    '^@zmq-mq/client/testing$': path.join(root, 'libs/client/src/testing.ts'),
    '^@zmq-mq/contracts$': path.join(root, 'libs/contracts/src/index.ts'),
    '^@zmq-mq/queue-store$': path.join(root, 'libs/queue-store/src/index.ts'),
    '^@zmq-mq/queue-store/testing$': path.join(root, 'libs/queue-store/testing/conformance.ts'),
    '^@zmq-mq/queue-store/testing/nats$': path.join(root, 'libs/queue-store/src/testing.ts'),
  },
  testMatch: ['**/?(*.)+(spec|test).ts'],
  reporters: ['default', path.join(root, 'tools/scripts/jest-summary-reporter.js')],
  testTimeout: 20000,
};
