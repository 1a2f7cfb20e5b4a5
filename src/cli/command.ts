/** The shape every `panicmode <command>` module exports as `command`. */
export interface Command {
  name: string;
  /** one line for `panicmode --help` */
  summary: string;
  /** full text for `panicmode <command> --help` */
  help: string;
  /** returns the exit code: 0 ok, 1 runtime failure, 2 usage or config error */
  run(argv: string[]): Promise<number>;
}
