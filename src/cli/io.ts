/** Where a command writes; tests pass buffers, main passes the process streams. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}
