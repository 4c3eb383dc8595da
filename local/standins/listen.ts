/** Listening on loopback with a clear error when the port is taken. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError, StandInError } from './errors.ts';

export function listenOnLoopback(server: Server, port: number, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(service, port, { cause: error })
          : new StandInError(`${service} failed to listen: ${error.message}`, { cause: error }),
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
