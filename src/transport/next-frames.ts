import type { ExecutionResult } from 'graphql';

/**
 * The graphql-ws `next` frames of one result, serialized once and shared by every operation
 * id that receives it: `frameFor(operationId)` builds each id's frame once.
 */
export function nextFrames(result: ExecutionResult): (operationId: string) => Buffer {
  const { errors, ...rest } = result;
  const payload = JSON.stringify(errors ? { ...rest, errors: errors.map((error) => error.toJSON()) } : rest);
  const frames = new Map<string, Buffer>();
  return (operationId) => {
    let frame = frames.get(operationId);
    if (!frame) {
      frame = Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":${payload}}`);
      frames.set(operationId, frame);
    }
    return frame;
  };
}
