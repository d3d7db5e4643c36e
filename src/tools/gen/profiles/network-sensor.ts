import type { Rng } from '../prng.ts';
import { outsideIp, type World } from '../world.ts';
import { epochSeconds, isoTime, type HecEnvelope } from '../types.ts';

const PROTOCOLS = [['HTTP', 80], ['SMB2', 445], ['SMTP', 25], ['DNS', 53], ['TLS', 443], ['FTP', 21]] as const;
const FILES = ['quarterly.xlsx', 'payload.dll', 'setup.exe', 'notes.txt', 'archive.7z', 'image.iso'];
const DETECTIONS = ['Suspicious file transfer', 'Possible lateral movement (SMB)', 'Malicious URL access', 'Policy: clear-text credentials', 'None'];

/** A Network Sensor activity record (monitored traffic) with the notice's items. */
export function networkSensorEvent(rng: Rng, world: World, timeMs: number): HecEnvelope {
  const sensor = rng.pick(world.sensors);
  const ep = rng.pick(world.endpoints);
  const [protocol, port] = rng.pick(PROTOCOLS);
  const lateral = protocol === 'SMB2' && rng.chance(0.6);
  const peer = lateral ? rng.pick(world.endpoints).ip : outsideIp(rng);
  const event: Record<string, unknown> = {
    eventTime: isoTime(timeMs),
    deviceGuid: sensor.guid,
    hostName: ep.fqdn,
    src: ep.ip,
    spt: rng.range(49152, 65535),
    dst: peer,
    dpt: port,
    endpointIp: ep.ip,
    peerIp: peer,
    protocol,
    userName: `${world.adDomain}\\${ep.owner.sam}`,
    detectionName: rng.weighted(DETECTIONS, [3, 2, 3, 1, 30]),
    bytesTransferred: rng.range(100, 12_000_000),
  };
  if (protocol === 'SMB2' || protocol === 'FTP' || protocol === 'HTTP') {
    const name = rng.pick(FILES);
    event.fileName = name;
    event.filePath = protocol === 'SMB2' ? `\\\\${ep.name}\\share\\${name}` : `/${rng.pick(['pub', 'files', 'upload'])}/${name}`;
    event.fileHashSha1 = rng.hex(40);
  }
  if (protocol === 'SMTP') event.senderEmail = ep.owner.email;
  return { time: epochSeconds(timeMs), host: sensor.host, source: 'trendmicro:xdr:network', sourcetype: 'network-sensor', event };
}
