#!/usr/bin/env python3
"""Session documents for the benchmarks: what MPSD returns for a session of
N members (MPSD.md §4, shaped like tools/mpsd_emulator.py's render()), with
the custom properties a shooter-style title keeps: session rules and score,
per-member loadout, skill and party data. Deterministic (seeded by N).

usage: gen_doc.py N > doc.json      (compact JSON, as the service sends it)
"""
import json
import random
import sys

CHANGE_TYPES = ['host', 'membersList', 'membersStatus', 'customProperty', 'membersCustomProperty']
WEAPONS = ['rifle_ak', 'rifle_m4', 'smg_vector', 'shotgun_870', 'sniper_awp', 'lmg_m249']
PERKS = ['fast_reload', 'sprint', 'ghost', 'armor_plus', 'scavenger', 'steady_aim', 'quick_fix']


def guid(rnd, upper=False):
    s = '%08x-%04x-4%03x-%04x-%012x' % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12),
                                      0x8000 | rnd.getrandbits(14), rnd.getrandbits(48))
    return s.upper() if upper else s


def iso(sec, frac=0):
    m, s = divmod(sec, 60)
    h, m = divmod(m, 60)
    return '2024-03-01T%02d:%02d:%02d.%07dZ' % (10 + h, m, s, frac)


def member(rnd, idx, nxt, n, tokens):
    xuid = str(2814600000000000 + idx * 7919 + 1)
    team = 'red' if idx % 2 == 0 else 'blue'
    reserved = idx % 17 == 16
    psys = {}
    if not reserved:
        psys['active'] = True
        psys['connection'] = guid(rnd)
        psys['subscription'] = {'id': guid(rnd, True), 'changeTypes': rnd.sample(CHANGE_TYPES, 3)}
        psys['secureDeviceAddress'] = 'AQID' + ''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789')
                                                        for _ in range(40))
        if n <= 16:   # QoS measurements only exist in small peer-to-peer sessions
            psys['measurements'] = {t: {'latency': rnd.randint(8, 120), 'bandwidthDown': rnd.randint(2000, 90000),
                                        'bandwidthUp': rnd.randint(500, 20000)}
                                    for t in tokens if t != tokens[idx]}
    out = {
        'constants': {'system': {'xuid': xuid, 'initialize': idx < 2},
                      'custom': {'matchmakingResult': {'initialTeam': team}, 'platform': rnd.choice(['xbox', 'pc']),
                                 'inputDevice': rnd.choice(['gamepad', 'kbm'])}},
        'properties': {'system': psys,
                       'custom': {} if reserved else {
                           'loadout': {'primary': rnd.choice(WEAPONS), 'secondary': 'pistol_m9',
                                       'perks': rnd.sample(PERKS, 3), 'skin': rnd.randint(0, 4000)},
                           'skill': {'mu': round(rnd.uniform(10, 40), 3), 'sigma': round(rnd.uniform(1, 8), 3)},
                           'party': guid(rnd) if idx % 4 else None,
                           'ready_check': rnd.random() < 0.8,
                           'score': {'kills': rnd.randint(0, 40), 'deaths': rnd.randint(0, 40),
                                     'assists': rnd.randint(0, 20)},
                           'emblem': 'emb_%04d' % rnd.randint(0, 9999),
                           'title': 'Veteran \u00e9lite' if idx % 5 == 0 else 'Recruit'}},
        'roles': {'squad': team},
    }
    if not reserved:
        out['gamertag'] = 'Player%05d' % idx
        out['deviceToken'] = tokens[idx]
        out['nat'] = rnd.choice(['open', 'moderate', 'strict'])
        out['activeTitleId'] = '1297290658'
    else:
        out['reserved'] = True
    out['joinTime'] = iso(idx % 3600, rnd.randint(0, 9999999))
    out['next'] = nxt
    return out


def document(n):
    rnd = random.Random(n)
    tokens = ['%08x' % rnd.getrandbits(32) for _ in range(n)]
    members = {}
    for i in range(n):
        members[str(i)] = member(rnd, i, i + 1, n, tokens)
    red = [members[str(i)]['constants']['system']['xuid'] for i in range(n) if i % 2 == 0]
    blue = [members[str(i)]['constants']['system']['xuid'] for i in range(n) if i % 2 == 1]
    return {
        'contractVersion': 107,
        'branch': guid(rnd),
        'changeNumber': 40 + n,
        'correlationId': guid(rnd),
        'searchHandle': guid(rnd),
        'startTime': iso(0),
        'nextTimer': iso(90, 1234567),
        'roleTypes': {'squad': {'ownerManaged': True, 'mutableRoleSettings': ['max', 'target'],
                                'roles': {'red': {'count': len(red), 'max': n, 'memberXuids': red},
                                          'blue': {'count': len(blue), 'max': n, 'memberXuids': blue}}}},
        'constants': {
            'system': {'version': 1, 'maxMembersCount': max(n, 2), 'visibility': 'open', 'inviteProtocol': 'game',
                       'reservedRemovalTimeout': 30000, 'inactiveRemovalTimeout': 0,
                       'readyRemovalTimeout': 180000, 'sessionEmptyTimeout': 0,
                       'capabilities': {'connectivity': True, 'gameplay': True, 'crossPlay': True,
                                        'searchable': True, 'hasOwners': True},
                       'metrics': {'latency': True, 'bandwidthDown': True, 'bandwidthUp': True, 'custom': False},
                       'peerToPeerRequirements': {'latencyMaximum': 250, 'bandwidthMinimum': 10000}},
            'custom': {'mode': 'capture_the_flag', 'map': 'harbor_night', 'ranked': True, 'region': 'westeurope',
                       'rules': {'scoreLimit': 3, 'timeLimitSec': 900, 'friendlyFire': False,
                                 'respawnDelaySec': 5, 'mutators': ['low_gravity', 'headshots_only']}}},
        'properties': {
            'system': {'keywords': ['ctf', 'ranked', 'eu'], 'turn': [], 'joinRestriction': 'followed',
                       'readRestriction': 'followed', 'closed': False, 'locked': False,
                       'host': tokens[0], 'owners': [0],
                       'serverConnectionStringCandidates': ['westeurope.play.example', 'northeurope.play.example']},
            'custom': {'round': 2, 'state': 'in_progress', 'score': {'red': 1, 'blue': 1},
                       'flagCarrier': {'red': None, 'blue': 3 if n > 3 else 1},
                       'matchId': guid(rnd), 'startedAt': iso(30), 'spectators': rnd.randint(0, 50)}},
        'members': members,
        'membersInfo': {'first': 0, 'next': n, 'count': n,
                        'accepted': sum(1 for m in members.values() if not m.get('reserved'))},
        'servers': {}
    }


if __name__ == '__main__':
    sys.stdout.write(json.dumps(document(int(sys.argv[1])), separators=(',', ':'), ensure_ascii=False))
