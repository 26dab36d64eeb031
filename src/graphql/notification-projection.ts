import { isLeafType, isNonNullType, isObjectType, Kind, type ExecutionResult, type FieldNode, type GraphQLLeafType, type GraphQLSchema } from 'graphql';
import type { NotificationEvent } from '../events/payloads';

/**
 * The result graphql-js' `execute` gives for one event, built directly; null when the event
 * is one graphql-js would answer with an error (a required field missing, a value its scalar
 * refuses): the caller then executes it the ordinary way, which reports the error.
 */
export type NotificationProjection = (event: NotificationEvent) => ExecutionResult | null;

interface LeafStep {
  readonly responseKey: string;
  readonly fieldName: string;
  /** Null for `__typename`. */
  readonly type: GraphQLLeafType | null;
  readonly nonNull: boolean;
}

const NOT_REPRESENTABLE = Symbol('not representable');

function valueOf(step: LeafStep, event: NotificationEvent): unknown {
  if (step.type === null) return 'Notification';
  const value = (event as unknown as Record<string, unknown>)[step.fieldName];
  if (value == null) return step.nonNull ? NOT_REPRESENTABLE : null;
  try {
    const serialized = step.type.serialize(value);
    return serialized == null ? NOT_REPRESENTABLE : serialized;
  } catch {
    return NOT_REPRESENTABLE;
  }
}

/**
 * For the `notification` root field of a subscription, when everything it selects of the
 * Notification is a scalar field read from the event — with aliases, repeated, `__typename` —
 * and nothing else (no fragments, directives or arguments, no resolver of its own): what the
 * execution of its selection set against an event amounts to, so that a delivery costs an
 * object and the scalars' `serialize`, not a graphql-js execution. Null for any other selection.
 */
export function compileNotificationProjection(schema: GraphQLSchema, rootField: FieldNode): NotificationProjection | null {
  const notificationType = schema.getType('Notification');
  if (!isObjectType(notificationType) || !rootField.selectionSet) return null;
  const fields = notificationType.getFields();
  const steps: LeafStep[] = [];
  for (const selection of rootField.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || (selection.directives?.length ?? 0) > 0 || (selection.arguments?.length ?? 0) > 0 || selection.selectionSet)
      return null;
    const fieldName = selection.name.value;
    const responseKey = selection.alias?.value ?? fieldName;
    if (fieldName === '__typename') {
      steps.push({ responseKey, fieldName, type: null, nonNull: true });
      continue;
    }
    const field = fields[fieldName];
    if (!field || field.resolve) return null;
    const nonNull = isNonNullType(field.type);
    const type = isNonNullType(field.type) ? field.type.ofType : field.type;
    if (!isLeafType(type)) return null;
    steps.push({ responseKey, fieldName, type, nonNull });
  }
  const rootKey = rootField.alias?.value ?? rootField.name.value;
  return (event) => {
    const notification: Record<string, unknown> = {};
    for (const step of steps) {
      const value = valueOf(step, event);
      if (value === NOT_REPRESENTABLE) return null;
      notification[step.responseKey] = value;
    }
    return { data: { [rootKey]: notification } };
  };
}
