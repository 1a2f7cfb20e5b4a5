/**
 * One change to a watched file, as the file watcher reports it and the file_monitor
 * rule counts it. `modified` covers a file replaced by a rename (an editor's or a
 * package manager's write-then-rename), since the path still names the file.
 */
export type FileChangeKind = 'added' | 'modified' | 'removed';

export interface FileChange {
  /** the full path of the file or directory that changed */
  path: string;
  kind: FileChangeKind;
}
