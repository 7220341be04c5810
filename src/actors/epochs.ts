/** The epoch facts both session machines record when an EPOCH_ADVANCED event arrives. */

export interface EpochFacts {
  sendEpoch: number;
  receiveEpoch: number;
}

export function epochsAfter(
  context: EpochFacts,
  event: { type: string } & Partial<EpochFacts>,
): EpochFacts {
  if (event.type !== 'EPOCH_ADVANCED')
    return { sendEpoch: context.sendEpoch, receiveEpoch: context.receiveEpoch };
  return {
    sendEpoch: event.sendEpoch ?? context.sendEpoch,
    receiveEpoch: event.receiveEpoch ?? context.receiveEpoch,
  };
}
