"""Who may receive a subscribe message: the member's openid, and the consent quota per template
(each one-time subscription the member accepted allows one message; a send uses one).

TODO(identity): both belong to the identity branch (WeChat identities; `POST /me/subscriptions`
and its consent table). Until it lands on main this interim store keeps them in Redis, with the
same three operations the reminders use; swap `recipients()` to identity's tables then (a
guarded `UPDATE … SET remaining = remaining - 1 WHERE remaining > 0` in the claim transaction).
"""
from core.redis import get_redis, rkey

#: for each member id given: if its quota is above zero, take one and report it
_CLAIM = """
local taken = {}
for i, member in ipairs(ARGV) do
  local left = tonumber(redis.call('HGET', KEYS[1], member) or '0')
  if left > 0 then
    redis.call('HINCRBY', KEYS[1], member, -1)
    table.insert(taken, member)
  end
end
return taken
"""


class RedisRecipients:
    def __init__(self, redis=None):
        self.redis = redis or get_redis()
        self._openid_key = rkey("wx", "openid")
        self._quota_prefix = rkey("wx", "consent")

    def _quota_key(self, template_id: str) -> str:
        return f"{self._quota_prefix}:{template_id}"

    def openids(self, member_ids) -> dict[int, str]:
        """member id → openid, for the members that have one."""
        member_ids = list(member_ids)
        if not member_ids:
            return {}
        values = self.redis.hmget(self._openid_key, member_ids)
        return {m: v.decode() for m, v in zip(member_ids, values) if v}

    def reachable(self, member_ids, template_id: str) -> set[int]:
        """Those of these members with an openid and consent left (nothing is used)."""
        member_ids = list(member_ids)
        if not member_ids:
            return set()
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(self._openid_key, member_ids)
        pipe.hmget(self._quota_key(template_id), member_ids)
        openids, quotas = pipe.execute()
        return {m for m, o, q in zip(member_ids, openids, quotas) if o and int(q or 0) > 0}

    def claim_quota(self, member_ids, template_id: str) -> set[int]:
        """Use one unit of consent of each member who has one left; returns those members."""
        member_ids = [str(m) for m in member_ids]
        if not member_ids:
            return set()
        taken = self.redis.eval(_CLAIM, 1, self._quota_key(template_id), *member_ids)
        return {int(m) for m in taken}

    def zero_quota(self, member_ids, template_id: str) -> None:
        """WeChat said 43101: the member has no consent left, whatever we counted."""
        member_ids = list(member_ids)
        if member_ids:
            self.redis.hset(self._quota_key(template_id), mapping={m: 0 for m in member_ids})

    def remaining(self, member_id: int, template_id: str) -> int:
        return int(self.redis.hget(self._quota_key(template_id), member_id) or 0)

    def grant(self, member_id: int, openid: str, template_id: str, times: int = 1) -> None:
        """What identity's login and POST /me/subscriptions will record (tests, demo, bench)."""
        self.redis.hset(self._openid_key, member_id, openid)
        self.redis.hincrby(self._quota_key(template_id), member_id, times)


def recipients() -> RedisRecipients:
    return RedisRecipients()
