"""Every kind of ledger entry, listed once, with how a member's history names it."""

#: kind → how the member's history names it (unless the entry has its own reason)
LABELS = {
    "earn": "消费得积分", "bonus": "奖励积分", "checkin": "每日签到", "referral": "邀请好友奖励",
    "task": "任务奖励", "visit": "到店打卡", "spend": "积分商城兑换", "deduct": "积分抵现", "expire": "积分过期",
    "adjust": "积分调整", "clawback": "退款扣回积分", "reverse": "退回积分",
    "merge_in": "账户合并转入", "merge_out": "账户合并转出", "forfeit": "账户注销，积分作废",
    "draw": "积分抽奖", "prize": "抽奖奖励积分",
}
#: every entry kind, in the order the API documents them
ALL = tuple(LABELS)
#: credits that count as points earned (lifetime_earned, tiers)
EARNING = ("earn", "bonus", "checkin", "referral", "task", "visit")
#: credits that issue points without counting as earned (lifetime_earned, tiers)
UNEARNED_CREDITS = ("adjust", "prize")
#: debits that count as points spent (metrics, settlement)
SPENDING = ("spend", "deduct", "draw")
#: debits after which the points are gone for good: a reversal never takes them a second time
GONE = ("expire", "forfeit")
#: debits that can be undone (a cancelled redemption, a refunded deduction, a wrong adjustment)
REVERSIBLE_DEBITS = ("spend", "deduct", "adjust")
