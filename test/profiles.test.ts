import { describe, expect, it } from 'vitest';
import { loadProfiles } from '../src/config/profiles.js';
import { checkSamples, testMessage } from '../src/identify/tester.js';

describe('shipped profiles (profiles/)', async () => {
  const { profiles, issues } = await loadProfiles('profiles');

  it('load without issues', () => {
    expect(issues).toEqual([]);
    expect(profiles.names.length).toBeGreaterThanOrEqual(14);
  });

  it('every sample yields exactly what it expects', () => {
    expect(checkSamples(profiles)).toEqual([]);
  });

  it('every profile has a sample that maps and one that maps nothing', () => {
    for (const name of profiles.names) {
      const samples = profiles.profile(name)!.definition.samples ?? [];
      expect(samples.some((s) => s.expect.length > 0), name).toBe(true);
      expect(samples.some((s) => s.expect.length === 0), name).toBe(true);
    }
  });

  it('the Traps ESM KB message yields login jdoe at 10.1.2.3 and nothing else', () => {
    const kb = 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\tdst=10.1.2.3';
    expect(testMessage(profiles, kb, 1)).toEqual({
      line: 1,
      events: [{ profile: 'traps-esm-leef', event: 'login', user: 'jdoe', ip: '10.1.2.3' }],
      reason: null,
    });
  });

  it('a message one profile maps is mapped by no other profile', () => {
    for (const name of profiles.names) {
      for (const sample of (profiles.profile(name)!.definition.samples ?? []).filter((s) => s.expect.length > 0)) {
        const others = testMessage(profiles, sample.message, 1).events.filter((e) => e.profile !== name);
        expect(others, `${name}: ${sample.message}`).toEqual([]);
      }
    }
  });

  // Every profile loads with every other (a sender without `profiles:` gets them all): a
  // message one profile says must map nothing may be mapped by another only when that
  // profile lists the same message as one it maps (the other half of a login/logout pair).
  it('a message one profile must not map is mapped by no other profile that does not expect it', () => {
    const positives = new Map<string, Set<string>>();
    for (const name of profiles.names) {
      for (const sample of profiles.profile(name)!.definition.samples ?? []) {
        if (sample.expect.length > 0) positives.set(sample.message, (positives.get(sample.message) ?? new Set()).add(name));
      }
    }
    for (const name of profiles.names) {
      for (const sample of (profiles.profile(name)!.definition.samples ?? []).filter((s) => s.expect.length === 0)) {
        const unexpected = testMessage(profiles, sample.message, 1).events.filter((e) => !positives.get(sample.message)?.has(e.profile));
        expect(unexpected, `${name}: ${sample.message}`).toEqual([]);
      }
    }
  });

  it('the network and VPN profiles map the tunnel address, never the public one named beside it', () => {
    // One real line per product whose message names both addresses (sources in the profiles).
    const lines: [string, string][] = [
      ['Sep 03 2014 05:12:22 rtp5-vpn-cluster-2 : %ASA-7-722051: Group <apple_short> User <tomerl-test-CA57DA549C121B25A5A5038A58C81E6B7B1C954F-iPhone> IP <174.46.152.7> IPv4 Address <10.82.239.225> IPv6 address <::> assigned to session', '10.82.239.225'],
      ['<166>Aug 20 2026 08:53:11 asa-vpn-01 : %ASA-6-751025: Local:203.0.113.10:4500 Remote:198.51.100.25:50466 Username:alice.johnson@example.com IKEv2 Group:GroupPolicy_SAML_Example IPv4 Address=172.16.58.30 IPv6 address=invalid-addr-2-0.0.0.0 assigned to session', '172.16.58.30'],
      ['Mar 21 2014 23:03:49 sjc12-gem-ubvpn-gw1a : %ASA-4-713228: Group = Everyone, Username = latom, IP = 122.169.234.49, Assigned private IP address 172.30.223.157 to remote user', '172.30.223.157'],
      ['<190>date=2020-04-23 time=12:23:47 devname="testswitch3" devid="someotherrouteridagain" logid="0101039947" type="event" subtype="vpn" level="information" vd="root" eventtime=1587230627698970007 tz="-0500" logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" tunnelid=2345 remip=67.43.156.13 tunnelip=10.10.10.10 user="someuser" group="somegroup" dst_host="N/A" reason="tunnel established" msg="SSL tunnel established"', '10.10.10.10'],
      ['Mar 16 04:17:26 192.168.199.2 Juniper: 2014-03-16 04:17:26 - ive - [82.166.88.97] omendelso-contractor(SecurID Users)[Users, Poza Users] - VPN Tunneling: Session started for user with IP 10.49.253.16, hostname ORI-PC', '10.49.253.16'],
      ['Sep 24 20:22:59 10.5.172.40 Feb 24 21:45:09 BD-Panorama 1,2020/09/24 20:22:59,007200001165,SYSTEM,globalprotect,0,2020/09/24 20:22:59,,globalprotectgateway-config-succ,VPN-GW-N,0,0,general,informational,"GlobalProtect gateway client configuration generated. User name: tng\\riker, Private IP: 192.168.55.104, Client version: 2.3.4-4, Device name: BD-CLIENT, Client OS version: Microsoft W",641955,0x8000000000000000,0,0,0,0,,PA-VM', '192.168.55.104'],
    ];
    for (const [line, tunnel] of lines) {
      const { events } = testMessage(profiles, line, 1);
      expect(events.map((e) => e.ip), line).toEqual([tunnel]);
    }
  });
});

