export { default as serviceGenerator, ROLES } from './generators/service/generator';

export type { ServiceGeneratorSchema } from './generators/service/schema';
