/**
 * Local files a kubeconfig names (the kubeconfig itself, certificate-authority, client-certificate,
 * client-key, tokenFile) are read with `readFileSync`, by client-node and by us. On a FIFO that read
 * blocks the whole process (no timer or signal handler can run), and on `/dev/zero` it grows until
 * memory runs out. So each is checked first: opened without blocking, and refused unless it is a
 * regular file of sane size (issue 10: every wait on something outside the process is bounded).
 */
import fs from 'node:fs';

/** Larger than any real kubeconfig, certificate or token. */
export const MAX_KUBECONFIG_FILE_BYTES = 16 * 1024 * 1024;

/** Why `file` cannot be read safely, or undefined when it can (a missing file is the caller's business). */
export function unsafeLocalFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch {
    return undefined; // the read that follows reports ENOENT, EACCES, … in its own words
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a directory' : 'not a regular file';
      return `it is ${kind}, not a regular file (reading it could block kubehooks or never end)`;
    }
    if (st.size > MAX_KUBECONFIG_FILE_BYTES) return `it is larger than ${MAX_KUBECONFIG_FILE_BYTES} bytes`;
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
