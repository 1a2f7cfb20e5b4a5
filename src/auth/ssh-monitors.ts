import type { Observable } from 'rxjs';
import type { Config } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { Incident } from '../model/incident.js';

export const sshIncidents = (_config: Config, _deps: { host: Host; db: Db; logger: Logger }): Observable<Incident>[] => [];
