import type { Rng } from '../prng.ts';
import type { World } from '../world.ts';
import { epochSeconds, isoTime, type HecEnvelope } from '../types.ts';

const SUBJECTS = ['Invoice {n} overdue', 'Quarterly report Q{q}', 'Re: meeting notes', 'Your parcel {n} is on its way',
  'Password expires today', 'Holiday schedule', 'Fwd: contract draft v{q}', 'Action required: verify your account'];
const ATTACHMENTS = [['invoice.pdf', 'application/pdf'], ['report.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['contract.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'], ['scan.zip', 'application/zip'],
  ['label.html', 'text/html'], ['photo.jpg', 'image/jpeg']] as const;

/** An Email Sensor activity record (Exchange Online / Gmail mailbox) with the notice's items. */
export function emailSensorEvent(rng: Rng, world: World, timeMs: number): HecEnvelope {
  const owner = rng.pick(world.users);
  const inbound = rng.chance(0.7);
  const other = rng.pick(world.users);
  const external = `${rng.pick(['billing', 'noreply', 'support', 'info', 'hr'])}@${rng.pick(world.sites).domain}`;
  const sender = inbound ? (rng.chance(0.6) ? external : other.email) : owner.email;
  const recipients = inbound ? [owner.email] : [other.email];
  if (rng.chance(0.25)) recipients.push(rng.pick(world.users).email);
  const subject = rng.pick(SUBJECTS).replace('{n}', String(rng.range(10000, 99999))).replace('{q}', String(rng.range(1, 4)));
  const event: Record<string, unknown> = {
    eventTime: isoTime(timeMs),
    eventType: inbound ? 'MAIL_RECEIVED' : 'MAIL_SENT',
    mailbox: owner.email,
    userPrincipalName: owner.email,
    domainName: owner.domain,
    samAccountName: owner.sam,
    mailMsgId: `<${rng.hex(16)}@${sender.split('@')[1]}>`,
    mailMsgSubject: subject,
    mailFromAddress: sender,
    mailToAddress: recipients,
    mailMsgSize: rng.range(2_000, 9_000_000),
    direction: inbound ? 'inbound' : 'outbound',
  };
  if (rng.chance(0.5)) {
    const site = rng.pick(world.sites);
    event.mailUrlsRealLink = [`https://${site.domain}/${rng.pick(['login', 'track', 'invoice', 'docs/share'])}?id=${rng.hex(10)}`];
  }
  if (rng.chance(0.45)) {
    const [fileName, fileType] = rng.pick(ATTACHMENTS);
    event.attachments = [{ fileName, fileType, fileSize: rng.range(1_000, 5_000_000), fileHashSha256: rng.hex(64) }];
  }
  return { time: epochSeconds(timeMs), host: 'email-sensor.example.net', source: 'trendmicro:xdr:email', sourcetype: 'email-sensor', event };
}
