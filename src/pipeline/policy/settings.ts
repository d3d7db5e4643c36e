/**
 * Tenant settings beyond on/off that the data-source configuration page (shared/seeds/003_*.txt) names. Each is
 * a fact about the tenant's console the emulator cannot see, so the admin API sets it (docs/permissions.md).
 */
import type { TenantSettingId } from '../classify/types.ts';

export type TenantSettings = Record<TenantSettingId, boolean>;

export interface SettingDef {
  /** Value of a tenant whose config and data folder say nothing. */
  default: boolean;
  /** What the setting is, for people ("the Internet Access Service"). */
  label: string;
  /** Words for the setting being off ("not configured", "not enabled", "off"). */
  offWord: string;
  /** The page's sentence the setting models. */
  quote: string;
}

export const SETTINGS: Readonly<Record<TenantSettingId, SettingDef>> = Object.freeze({
  qualysConfigured: {
    default: true,
    label: 'a Qualys account configured for the Qualys data source',
    offWord: 'not configured',
    quote: 'Turn on Data upload permission and provide a Qualys account with the following permissions:',
  },
  internetAccessService: {
    default: true,
    label: 'the Internet Access Service configured and enabled in the Zero Trust Secure Access app',
    offWord: 'not enabled',
    quote: 'Configure and enable the Internet Access Service using the Zero Trust Secure Access app. For details, see Internet Access Configuration.',
  },
  office365ThreatDetection: {
    default: false,
    label: 'the Office 365 Threat detection upload permission',
    offWord: 'off',
    quote: 'After connecting to Trend Micro Cloud App Security, turn on Threat detection upload permission to further analyze threats detected on monitored Office 365 apps.',
  },
});

export const SETTING_IDS = Object.keys(SETTINGS) as TenantSettingId[];

export function isSettingId(s: string): s is TenantSettingId {
  return Object.hasOwn(SETTINGS, s);
}

export function defaultSettings(): TenantSettings {
  return Object.fromEntries(SETTING_IDS.map((id) => [id, SETTINGS[id].default])) as TenantSettings;
}
