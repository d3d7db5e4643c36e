import type { Rng } from '../prng.ts';
import type { World } from '../world.ts';
import { epochSeconds, isoTime, type HecEnvelope } from '../types.ts';

const EVENT_TYPES = ['TELEMETRY_PROCESS', 'TELEMETRY_FILE', 'TELEMETRY_NETWORK', 'TELEMETRY_LOGON', 'TELEMETRY_SOFTWARE'] as const;
const WIN_FILES = [
  ['C:\\Users\\{user}\\Downloads\\', ['invoice_2024.pdf.exe', 'setup.exe', 'report.docm', 'update.msi', 'photo.scr']],
  ['C:\\Users\\{user}\\AppData\\Local\\Temp\\', ['tmp8F2A.tmp.exe', 'a.ps1', 'run.bat', 'loader.dll']],
  ['C:\\ProgramData\\', ['svc.exe', 'task.vbs', 'helper.dll']],
] as const;
const NIX_FILES = [
  ['/tmp/', ['x.sh', '.cache.bin', 'kworker']],
  ['/home/{user}/Downloads/', ['tool.AppImage', 'invoice.pdf', 'script.py']],
] as const;
const SOFTWARE = [
  ['Google Chrome', '120.0.6099.130', 'C:\\Program Files\\Google\\Chrome\\Application\\'],
  ['Mozilla Firefox', '121.0', 'C:\\Program Files\\Mozilla Firefox\\'],
  ['7-Zip', '23.01', 'C:\\Program Files\\7-Zip\\'],
  ['Microsoft Office LTSC 2021', '16.0.14332.20615', 'C:\\Program Files\\Microsoft Office\\'],
  ['OpenSSL', '3.0.2', '/usr/lib/x86_64-linux-gnu/'],
  ['Zoom', '5.17.1', 'C:\\Users\\{user}\\AppData\\Roaming\\Zoom\\bin\\'],
] as const;

/** An Endpoint Sensor activity record with the items the notice lists for it. */
export function endpointSensorEvent(rng: Rng, world: World, timeMs: number): HecEnvelope {
  const ep = rng.pick(world.endpoints);
  const windows = ep.os.name.startsWith('Windows');
  const type = rng.weighted(EVENT_TYPES, [35, 30, 20, 10, 5]);
  const [dir, names] = windows ? rng.pick(WIN_FILES) : rng.pick(NIX_FILES);
  const fileName = rng.pick(names);
  const filePath = dir.replace('{user}', ep.owner.sam) + fileName;
  const event: Record<string, unknown> = {
    eventTime: isoTime(timeMs),
    eventType: type,
    agentGuid: ep.agentGuid,
    endpointHostName: ep.name,
    endpointIp: [ep.ip],
    endpointMacAddress: ep.mac,
    logonUser: ep.owner.sam,
    logonUserDomain: world.adDomain,
    userPrincipalName: ep.owner.email,
    osName: ep.os.name,
    osVer: ep.os.version,
    osBuildNumber: ep.os.build,
    osPatchLevel: ep.os.patchLevel,
    osSku: ep.os.sku,
  };
  if (type === 'TELEMETRY_PROCESS' || type === 'TELEMETRY_FILE') {
    event.objectFilePath = filePath;
    event.objectFileName = fileName;
    event.objectFileHashSha256 = rng.hex(64);
    event.objectFileHashSha1 = rng.hex(40);
    if (type === 'TELEMETRY_PROCESS') event.processCmd = windows ? `"${filePath}" /silent` : `${filePath} --daemon`;
  } else if (type === 'TELEMETRY_NETWORK') {
    const site = rng.pick(world.sites);
    event.url = `https://${site.domain}/${rng.pick(['update', 'c2/beacon', 'download/payload.bin', 'index.html'])}`;
    event.dst = site.ip;
    event.dpt = 443;
    event.src = ep.ip;
    event.spt = rng.range(49152, 65535);
  } else if (type === 'TELEMETRY_LOGON') {
    event.logonType = rng.pick([2, 3, 10]);
    event.logonResult = rng.chance(0.9) ? 'success' : 'failure';
  } else {
    const [name, version, path] = rng.pick(SOFTWARE);
    event.installedSoftwareName = name;
    event.installedSoftwareVersion = version;
    event.softwareInstallPath = path.replace('{user}', ep.owner.sam);
    event.softwarePatchInfo = `KB${rng.range(5_000_000, 5_039_999)}`;
  }
  return { time: epochSeconds(timeMs), host: ep.fqdn, source: 'trendmicro:xdr:endpoint', sourcetype: 'endpoint-sensor', event };
}
