/** Types of sandbox/supervisor.js (plain JavaScript so that `node` alone can run it). */
export const MARKER: string;
/** Every process of the sandbox in `dir`: chrooted into it, or an OpenSSH program using its files. */
export function sandboxProcesses(dir: string, sshdPath: string): number[];
/** Removes the sandboxes under `parent` that nobody keeps alive any more; returns their directories. */
export function sweepStale(parent: string, sshdPath: string): Promise<string[]>;
/** Ends the sandbox's processes (sessions, then the listener) and removes its directory. */
export function stopSandbox(
	dir: string,
	listener: number | undefined,
	sshdPath: string,
): Promise<void>;
export function descendants(pid: number): number[];
/** Running (not gone, not a zombie) and, with `start`, the same process that had that start time. */
export function isRunning(pid: number, start?: string): boolean;
