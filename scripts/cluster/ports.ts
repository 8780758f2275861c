import { createServer } from 'node:net';
import type { Server } from 'node:net';

/**
 * `count` distinct free TCP ports on 127.0.0.1. All probe sockets are held open until every port is
 * chosen, so the ports differ; a component can still lose its port to a stranger before it binds,
 * which the launcher reports as PortInUseError.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          resolve();
        });
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('listen gave no TCP address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) =>
            s.close(() => {
              resolve();
            }),
          ),
      ),
    );
  }
}
