import { describe, expect, it } from 'vitest';
import { compileMatcher, getDefaultMatcher, loadCatalog } from '../../../../src/pipeline/classify/index.ts';
import type { CatalogDef, Classification } from '../../../../src/pipeline/classify/types.ts';
import { applyPolicy, compilePolicy } from '../../../../src/pipeline/filter/index.ts';

// Issue 14: a label several groups of a module share (Office 365's "User principal name", one per usage report)
// is the group whose own items best cover the event's other field names. The rows below are the Microsoft Graph
// usage reports' own columns (reportRoot: get…Detail, microsoftgraph/microsoft-graph-docs-contrib
// api-reference/v1.0/api/reportroot-get*.md): the CSV headers, and the JSON form's camelCase keys.
const m = getDefaultMatcher();
const O365 = 'office-365-usage';

const G = {
  oneDriveActivity: 'OneDrive activity report',
  oneDriveUsage: 'OneDrive usage report',
  sharePointActivity: 'SharePoint activity report',
  sharePointSite: 'SharePoint site usage report',
  emailApps: 'Outlook email app usage report',
  mailbox: 'Mailbox usage report',
  emailActivity: 'Email activity report',
  teams: 'Microsoft Teams user activity report',
} as const;

/** The CSV header of each report (getXxxDetail), as the API documents it. */
const CSV: Record<keyof typeof G, string> = {
  oneDriveActivity: 'Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Viewed Or Edited File Count,Synced File Count,Shared Internally File Count,Shared Externally File Count,Assigned Products,Report Period',
  oneDriveUsage: 'Report Refresh Date,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Storage Used (Byte),Storage Allocated (Byte),Owner Principal Name,Report Period',
  sharePointActivity: 'Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Viewed Or Edited File Count,Synced File Count,Shared Internally File Count,Shared Externally File Count,Visited Page Count,Assigned Products,Report Period',
  sharePointSite: 'Report Refresh Date,Site Id,Site URL,Owner Display Name,Owner Principal Name,Is Deleted,Last Activity Date,File Count,Active File Count,Page View Count,Visited Page Count,Storage Used (Byte),Storage Allocated (Byte),Root Web Template,Report Period',
  emailApps: 'Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App,Report Period',
  mailbox: 'Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Deleted Item Quota (Byte),Has Archive,Report Period',
  emailActivity: 'Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Meeting Created Count,Meeting Interacted Count,Assigned Products,Report Period',
  teams: 'Report Refresh Date,Tenant Display Name,Shared Channel Tenant Display Names,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Post Messages,Reply Messages,Urgent Messages,Meetings Organized Count,Meetings Attended Count,Ad Hoc Meetings Organized Count,Ad Hoc Meetings Attended Count,Scheduled One-time Meetings Organized Count,Scheduled One-time Meetings Attended Count,Scheduled Recurring Meetings Organized Count,Scheduled Recurring Meetings Attended Count,Audio Duration,Video Duration,Screen Share Duration,Audio Duration In Seconds,Video Duration In Seconds,Screen Share Duration In Seconds,Has Other Action,Is Licensed,Report Period',
};

/** The JSON form's keys (the report's resource: mailboxUsageDetail, teamsUserActivityUserDetail, …). */
const JSON_KEYS: Partial<Record<keyof typeof G, string>> = {
  mailbox: 'reportRefreshDate,userPrincipalName,displayName,isDeleted,deletedDate,createdDate,lastActivityDate,itemCount,storageUsedInBytes,deletedItemCount,deletedItemSizeInBytes,issueWarningQuotaInBytes,prohibitSendQuotaInBytes,prohibitSendReceiveQuotaInBytes,reportPeriod',
  emailActivity: 'reportRefreshDate,userPrincipalName,displayName,isDeleted,deletedDate,lastActivityDate,sendCount,receiveCount,readCount,assignedProducts,reportPeriod',
  teams: 'reportRefreshDate,userPrincipalName,lastActivityDate,isDeleted,deletedDate,assignedProducts,teamChatMessageCount,privateChatMessageCount,callCount,meetingCount,hasOtherAction,reportPeriod',
  sharePointActivity: 'reportRefreshDate,userPrincipalName,isDeleted,deletedDate,lastActivityDate,viewedOrEditedFileCount,syncedFileCount,sharedInternallyFileCount,sharedExternallyFileCount,visitedPageCount,assignedProducts,reportPeriod',
  emailApps: 'reportRefreshDate,userPrincipalName,displayName,isDeleted,deletedDate,lastActivityDate,mailForMac,outlookForMac,outlookForWindows,outlookForMobile,otherForMobile,outlookForWeb,pop3App,imap4App,smtpApp,reportPeriod',
  oneDriveUsage: 'reportRefreshDate,siteUrl,ownerDisplayName,isDeleted,lastActivityDate,fileCount,activeFileCount,storageUsedInBytes,storageAllocatedInBytes,ownerPrincipalName,reportPeriod',
  sharePointSite: 'reportRefreshDate,siteId,siteUrl,ownerDisplayName,ownerPrincipalName,isDeleted,lastActivityDate,fileCount,activeFileCount,pageViewCount,visitedPageCount,storageUsedInBytes,storageAllocatedInBytes,rootWebTemplate,reportPeriod',
};

/** A row with plausible values: a UPN where the column is one, a date, a count, a list of products. */
function row(cols: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of cols.split(',')) {
    const n = c.toLowerCase().replace(/[^a-z]/g, '');
    out[c] = n.includes('principalname') ? 'alice@contoso.com'
      : n.endsWith('date') ? '2024-05-01'
        : n.includes('products') ? ['Microsoft 365 E5']
          : n.includes('url') ? 'https://contoso-my.sharepoint.com/personal/alice'
            : n.includes('displayname') ? 'Alice Smith'
              : n === 'reportperiod' ? '7'
                : 3;
  }
  return out;
}

const byPath = (fs: readonly Classification[]): Record<string, Classification> => Object.fromEntries(fs.map((f) => [f.path, f]));
const PRINCIPAL = /^(User Principal Name|userPrincipalName|Owner Principal Name|ownerPrincipalName)$/;

describe('a label several groups share is the group the event\'s other fields point to (issue 14)', () => {
  for (const [report, cols] of Object.entries(CSV) as Array<[keyof typeof G, string]>) {
    it(`a ${G[report]} row (CSV header names) gets its own group for its principal name and report refresh date`, () => {
      const fs = m.classifyEvent(row(cols), O365);
      const by = byPath(fs);
      expect(by['Report Refresh Date']).toMatchObject({ module: O365, item: 'Report refresh date', group: G[report] });
      const upn = fs.find((f) => PRINCIPAL.test(f.path))!;
      expect(upn.group, upn.path).toBe(G[report]);
      expect(upn.category).toBe('direct-identifier');
      // every field the notice names is read in the report's own group
      for (const f of fs) if (f.item !== null) expect(f.group, f.path).toBe(G[report]);
    });
  }

  for (const [report, keys] of Object.entries(JSON_KEYS) as Array<[keyof typeof G, string]>) {
    it(`a ${G[report]} row (the JSON form's camelCase keys) gets its own group`, () => {
      const by = byPath(m.classifyEvent(row(keys), O365));
      expect(by.reportRefreshDate).toMatchObject({ item: 'Report refresh date', group: G[report] });
      expect((by.userPrincipalName ?? by.ownerPrincipalName).group).toBe(G[report]);
    });
  }

  it('reads each row of a Graph JSON page ({"value": [...]}) in its own report\'s group', () => {
    const page = {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.mailboxUsageDetail)',
      value: [row(JSON_KEYS.mailbox!), row(JSON_KEYS.emailActivity!)],
    };
    const by = byPath(m.classifyEvent(page, O365));
    expect(by['value[0].userPrincipalName']).toMatchObject({ item: 'User principal name', group: G.mailbox });
    expect(by['value[0].storageUsedInBytes']).toMatchObject({ item: 'Storage used (Byte)', group: G.mailbox });
    expect(by['value[1].userPrincipalName']).toMatchObject({ item: 'User principal name', group: G.emailActivity });
  });

  it('decides a key=value text event by its keys as well', () => {
    const by = byPath(m.classifyEvent('userPrincipalName=alice@contoso.com sendCount=3 receiveCount=5 readCount=9', O365, 'o365:reporting:usage'));
    expect(by.userPrincipalName).toMatchObject({ item: 'User principal name', group: G.emailActivity });
  });

  it('keeps the first group (the notice\'s order) when the names give no evidence or a tie', () => {
    // nothing but labels every report has
    for (const ev of [
      { 'User Principal Name': 'alice@contoso.com' },
      { userPrincipalName: 'alice@contoso.com', reportRefreshDate: '2024-05-01', reportPeriod: '7' },
      // three reports have a display name: a tie
      { 'User Principal Name': 'alice@contoso.com', 'Display Name': 'Alice Smith', 'Report Refresh Date': '2024-05-01', extra: 7 },
    ]) {
      const fs = m.classifyEvent(ev, O365);
      const upn = fs.find((f) => /principal/i.test(f.path))!;
      expect(upn).toMatchObject({ item: 'User principal name', group: G.oneDriveActivity });
      // field by field, as classifyField reads it without the event
      for (const f of fs) expect(f).toBe(m.classifyField(f.path, (ev as Record<string, unknown>)[f.path], O365));
    }
  });

  it('breaks a tie by the group whose every item the row names (OneDrive usage within SharePoint site usage)', () => {
    // a OneDrive usage row names all of its report's items, and as many of SharePoint site usage's
    const by = byPath(m.classifyEvent(row(CSV.oneDriveUsage), O365));
    expect(by['Site URL']).toMatchObject({ item: 'Site URL', group: G.oneDriveUsage });
    expect(by['Owner Display Name']).toMatchObject({ item: 'Owner username', group: G.oneDriveUsage });
    // the same row less one column: a tie no group settles, the first group's reading
    const partial = row(CSV.oneDriveUsage);
    delete partial['Storage Allocated (Byte)'];
    expect(byPath(m.classifyEvent(partial, O365))['Report Refresh Date'].group).toBe(G.oneDriveActivity);
  });

  it('finds the groups by the name grammar, with aliases only where Graph\'s column differs from the notice\'s label', () => {
    // the catalog's aliases of Office 365 items taken away but those of columns the notice names otherwise
    // ("Team Chat Message Count" is "Channel messages (count)", "Private Chat Message Count" is "Chat messages
    // (count)", "Has Other Action" is "Other activity", "Outlook For Mac" is "Outlook (Mac)", "Owner Display
    // Name" is "Owner username"): the reports still find their groups
    const differs = /^(Team Chat Message Count|Private Chat Message Count|Has Other Action|Outlook For (Mac|Windows|Mobile|Web)|Owner Display Name)$/;
    const cat = loadCatalog();
    const bare: CatalogDef = {
      ...cat,
      modules: cat.modules.map((x) => (x.id !== O365 ? x : { ...x, items: x.items.map((it) => ({ ...it, aliases: it.aliases.filter((a) => differs.test(a)) })) })),
    };
    const g = compileMatcher(bare);
    for (const report of Object.keys(CSV) as Array<keyof typeof G>) {
      for (const cols of [CSV[report], JSON_KEYS[report]]) {
        if (cols === undefined) continue;
        const fs = g.classifyEvent(row(cols), O365);
        const upn = fs.find((f) => PRINCIPAL.test(f.path))!;
        expect(upn.group, `${report}: ${upn.path}`).toBe(G[report]);
        expect(fs.find((f) => /^report ?refresh ?date$/i.test(f.path))!.group, report).toBe(G[report]);
      }
    }
  });

  it('leaves a module without shared labels as it was: each field as classifyField reads it alone', () => {
    const cat = loadCatalog();
    const sharing = (id: string): boolean => {
      const mod = cat.modules.find((x) => x.id === id)!;
      const seen = new Map<string, string | null>();
      return mod.items.some((it) => {
        const k = it.label.toLowerCase();
        const g = seen.get(k);
        seen.set(k, it.group);
        return g !== undefined && g !== it.group;
      });
    };
    const ids = ['splunk-network-firewall-web-gateway-logs', 'microsoft-entra-id'];
    for (const id of ids) expect(sharing(id), id).toBe(false);
    const events: Array<Record<string, unknown>> = [
      { src_ip: '10.0.0.1', dest_ip: '198.51.100.7', user: 'alice', action: 'allowed', bytes_in: 120 },
      { userPrincipalName: 'alice@contoso.com', ipAddress: '198.51.100.140', appDisplayName: 'Office 365', createdDateTime: '2024-05-01T10:00:00Z' },
    ];
    for (const id of ids) {
      for (const ev of events) {
        for (const f of m.classifyEvent(ev, id)) expect(f).toBe(m.classifyField(f.path, ev[f.path], id));
      }
    }
  });

  it('carries the group through classifyEvent and the filter: one Mailbox row, one Teams row', () => {
    const policy = compilePolicy(m, {});
    const filtered = (ev: Record<string, unknown>): Classification[] => applyPolicy(policy, ev, m.classifyEvent(ev, O365), { module: O365, sourcetype: 'o365:reporting:usage' }).fields;
    const mailbox = filtered(row(CSV.mailbox));
    const teams = filtered(row(CSV.teams));
    const upn = (fs: ReadonlyArray<Classification>): Classification => fs.find((f) => f.path === 'User Principal Name')!;
    expect(upn(mailbox)).toMatchObject({ module: O365, item: 'User principal name', group: G.mailbox, action: 'keep' });
    expect(upn(teams)).toMatchObject({ module: O365, item: 'User principal name', group: G.teams, action: 'keep' });
    // the result's JSON names the group, as `classify --json` prints it
    expect(JSON.parse(JSON.stringify(upn(teams)))).toMatchObject({ group: G.teams });
  });
});
