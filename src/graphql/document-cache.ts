import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';

/** A query text that parsed and passed validation through Yoga's pipeline, with what was made of it. */
export interface ValidatedDocument {
  readonly query: string;
  readonly document: DocumentNode;
  /** The schema it was validated against. */
  readonly schema: GraphQLSchema;
}

/** The parse and validate of one enveloped operation: every plugin's parse and validation rules (the query limits) apply. */
export interface EnvelopedValidation {
  readonly schema: GraphQLSchema;
  parse(source: string): DocumentNode;
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
}

/** Distinct query texts remembered; clients send a handful, so this bounds only the abusive case. */
const MAX_CACHED_DOCUMENTS = 1000;

/**
 * Validated documents by query text, shared by the transports that execute through Yoga's
 * pipeline themselves: Yoga caches parse and validation by query text too, and the query
 * limits depend on the document alone. Only documents that passed are kept.
 */
export function createDocumentCache(maxDocuments = MAX_CACHED_DOCUMENTS) {
  const documents = new Map<string, ValidatedDocument>();
  return {
    /** The validated document for `query` if it is cached; nothing is parsed. */
    get: (query: string): ValidatedDocument | undefined => documents.get(query),
    /** The validated document for `query`, or the errors that refuse it; `envelop` is called only for a text not seen yet. */
    validate(query: string, envelop: () => EnvelopedValidation): ValidatedDocument | readonly GraphQLError[] {
      const cached = documents.get(query);
      if (cached) return cached;
      const { parse, validate, schema } = envelop();
      try {
        // Both throw GraphQLErrors for a bad document (the query limits do so while validating).
        const document = parse(query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        if (documents.size >= maxDocuments) documents.delete(documents.keys().next().value as string);
        const validated = { query, document, schema };
        documents.set(query, validated);
        return validated;
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
    },
  };
}

export type DocumentCache = ReturnType<typeof createDocumentCache>;
