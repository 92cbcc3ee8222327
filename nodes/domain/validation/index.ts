/** Checking a declaration against its XSD before sending (docs/validation.md). */
export * from './validateDeclaration';
export * from './schemaSet';
export { runXmllint, xmllintFiles } from './xmllintRunner';
export type { SchemaFile, XmllintRun, XmllintRunOptions } from './xmllintRunner';
