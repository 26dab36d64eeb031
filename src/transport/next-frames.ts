/** The graphql-ws `next` frame of one operation id carrying a result's JSON (see `EncodedResult.frame`). */
export function nextFrame(resultJson: string, operationId: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":${resultJson}}`);
}
