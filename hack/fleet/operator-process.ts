// The background operator process that the main job starts: where its pid lives and how `fleet down` stops it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export function operatorPidFile(fleetDir: string): string {
  return path.join(fleetDir, 'operator.pid');
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Stops the operator started by the main job (its whole process group), if it is running. */
export async function stopBackgroundOperator(fleetDir: string): Promise<boolean> {
  const file = operatorPidFile(fleetDir);
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8'));
  rmSync(file, { force: true });
  if (!processAlive(pid)) return false;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    process.kill(pid, 'SIGTERM');
  }
  for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(pid)) process.kill(-pid, 'SIGKILL');
  return true;
}
