/** The options of `nx g @zmq-mq/tools:service`, as schema.json describes them. */
export interface ServiceGeneratorSchema {
  name: string;
  role: 'producer' | 'subscriber' | 'worker';
  topics?: string;
}
