/**
 * The shared table's key layout in Redis (DESIGN §5 "Shared table"). Rules, each relied on
 * by the scripts (scripts.ts) and checked by test/mappings/redis/keys.test.ts:
 *
 * 1. Every key is `{<tag>}:<name>`, `<tag>` being `mappings.store.keyPrefix` without its
 *    trailing colon (`uid:` → `{uid}:map`). The braces are a Redis Cluster hash tag: all keys
 *    of one table hash to one slot, because each script reads and writes several of them
 *    atomically, and a script may only touch keys of one slot (Redis Cluster specification,
 *    "Keys hash tags"). So on Cluster (connect.ts, `store.cluster`) one table lives on one
 *    shard; a cluster spreads several tables (different prefixes), not one.
 * 2. `map`   HASH  ip → the mapping (codec.ts: JSON with short names; `ip` is the field).
 * 3. `exp`   ZSET  ip scored by expiresAt (epoch ms); mappings with timeout 0 (until logout)
 *                 are not in it. The sweep takes what is due from its low end.
 * 4. `log`   STREAM of changes, one entry per change, appended by the script that made it,
 *                 in the same atomic step: fields k (kind), ip, m (mapping), p (previous, for
 *                 user-changed), r (reason), n (newinfo "1"), t (epoch ms of the change). It
 *                 is both the replicas' feed and the accounting queue (one consumer group per
 *                 accounting group, named `acct:<group>`).
 * 5. `ids`   HASH  `epoch` (set once, base 36 ms) and `seq` (INCR): mapping ids are
 *                 `<epoch>-<seq>`, made inside the script, so unique across listeners, and a
 *                 table rebuilt from nothing gets a new epoch (no task_id is reused).
 * 6. `trim`  STRING the stream id below which entries were trimmed: a replica that resumes
 *                 from an older id missed changes and reloads the whole table instead.
 * 7. `leader` STRING the listener holding the accounting lease (SET NX PX, renewed by it).
 */
export interface TableKeys {
  readonly map: string;
  readonly exp: string;
  readonly log: string;
  readonly ids: string;
  readonly trim: string;
  readonly leader: string;
}

export function tableKeys(keyPrefix: string): TableKeys {
  const tag = keyPrefix.replace(/:$/, '');
  if (tag.length === 0 || /[{}]/.test(tag)) throw new RangeError(`keyPrefix must be non-empty text without braces, not ${JSON.stringify(keyPrefix)}`);
  const key = (name: string): string => `{${tag}}:${name}`;
  return { map: key('map'), exp: key('exp'), log: key('log'), ids: key('ids'), trim: key('trim'), leader: key('leader') };
}

/** The consumer group of one accounting group on the change stream. */
export function accountingGroupName(group: string): string {
  return `acct:${group}`;
}
