/** Errors of the local stand-ins. */

export class StandInError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StandInError';
  }
}

/** A stand-in could not listen: usually the port is taken by another process. */
export class PortInUseError extends StandInError {
  public readonly port: number;
  public constructor(service: string, port: number, options?: ErrorOptions) {
    super(
      `${service} cannot listen on 127.0.0.1:${port}: the port is in use (stop the other process or choose another port)`,
      options,
    );
    this.name = 'PortInUseError';
    this.port = port;
  }
}
