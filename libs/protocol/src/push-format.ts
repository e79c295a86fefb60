/**
 * What the broker's push socket sends each worker: `payload` (frame 0 replaced by its payload,
 * topic and space stripped: the original design) or `full` (every frame unchanged, topic
 * included: the broker's native mode, where no JavaScript touches a message; a worker then
 * strips the topic itself, as the SDK's Worker does with `pushFormat: 'full'`).
 */
export type PushFormat = 'payload' | 'full';
export const PUSH_FORMATS: readonly PushFormat[] = ['payload', 'full'];
