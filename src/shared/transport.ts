/**
 * What the engine needs from the network: datagram sockets it can send on and whose
 * arrivals it observes in batches, and (client side) a resolver for the TXT records of pq1 names.
 * The daemon passes real UDP sockets and DNS; tests pass an in-memory network.
 */
import type { Observable } from 'rxjs';

export interface Datagram {
  /** The receiver owns these bytes: the engine opens tunnel packets over them. */
  data: Uint8Array;
  address: string;
  port: number;
}

/** Datagrams in the batches one read of the socket returned (recvmmsg, GRO): the data
 * plane handles a batch at a time, and a consumer may keep the array. */
export type DatagramBatch = readonly Datagram[];

export interface DatagramTransport {
  readonly datagrams: Observable<DatagramBatch>;
  send(data: Uint8Array, address: string, port: number): void;
  /** True if `send` is done with `data` when it returns (sent or copied): the engine then
   * seals into one reused buffer instead of a new one per packet. */
  readonly copiesOnSend?: boolean;
  close(): void;
}

export interface TxtResolver {
  /** The TXT strings of `name` (each record's chunks joined); rejects when there are none. */
  resolveTxt(name: string): Promise<string[]>;
}

/**
 * The one way an engine sends: through `transport` until `isClosed()` says the engine is
 * closed; after that nothing leaves, and every refused send is counted.
 */
export function closableSender(
  transport: DatagramTransport,
  isClosed: () => boolean,
  countRefused: () => void,
): (data: Uint8Array, address: string, port: number) => void {
  return (data, address, port) => {
    if (isClosed()) countRefused();
    else transport.send(data, address, port);
  };
}
