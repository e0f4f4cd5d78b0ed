"""The lottery for members (lotteries with their odds, drawing, proofs, the winners' ticker,
their own draws) and for marketers (/admin/lotteries, audited)."""
from core.api import blueprint, documents
from core.auth import member_required, staff_required
from core.idempotency import HEADER, idempotent, request_key
from core.pagination import page_schema
from lottery import catalog, drawing, listing, proofs
from lottery.schemas import (AdminDrawArgs, AdminDrawOut, AdminLotteryArgs, AdminLotteryOut,
                             AdminPrizeOut, DrawIn, DrawOut, LotteryArgs, LotteryFields,
                             LotteryIn, LotteryList, LotteryOut, MyDrawArgs, MyDrawOut, ProofOut,
                             PrizeStockIn, WinnerList)
from members.lookup import current_member, member_ref
from stores.models import MARKETING

lottery_blp = blueprint("lottery", __name__, prefix="/lotteries",
                        description="Points lotteries: odds, drawing, proofs, winners.")
me_blp = blueprint("lottery_me", __name__, prefix="/me", description="A member's draws.")
admin_blp = blueprint("lottery_admin", __name__, prefix="/admin/lotteries",
                      description="Lotteries and prize tables (HQ, marketers; audited).")

IDEMPOTENCY_HEADER = {"in": "header", "name": HEADER, "schema": {"type": "string"},
                      "required": True,
                      "description": "8 to 128 characters, new for each draw the member means; "
                                     "a retry with the same key replays the answer. Part of "
                                     "the draw's random input (see the proof)"}


@lottery_blp.get("")
@member_required
@lottery_blp.arguments(LotteryArgs, location="query")
@lottery_blp.response(200, LotteryList)
@documents(lottery_blp, 401, auth="member")
def list_lotteries(args):
    """Running lotteries the member may draw in, with the prizes a draw can win now and their
    odds (weight / Σ weights of the prizes in stock: exactly what a draw uses)."""
    return {"items": listing.visible_lotteries(current_member(), args.get("store_code"))}


@lottery_blp.get("/<int:lottery_id>")
@member_required
@lottery_blp.response(200, LotteryOut)
@documents(lottery_blp, 401, 404, auth="member")
def get_lottery(lottery_id):
    return listing.visible_lottery(current_member(), lottery_id)


@lottery_blp.post("/<int:lottery_id>/draws")
@member_required
@idempotent
@lottery_blp.arguments(DrawIn, required=False)
@lottery_blp.response(201, DrawOut)
@lottery_blp.doc(parameters=[IDEMPOTENCY_HEADER])
@documents(lottery_blp, 400, 401, 404, 409, 422, auth="member")
def draw(data, lottery_id):
    """Draw once for the lottery's cost. 409 `insufficient_points`, `limit_exceeded`,
    `out_of_stock` (nothing left to win), `invalid_state` (not running, store, tier)."""
    return drawing.draw(member_ref(), lottery_id, request_key(),
                        (data or {}).get("store_code"))


@lottery_blp.get("/<int:lottery_id>/draws/<int:draw_id>/proof")
@member_required
@lottery_blp.response(200, ProofOut)
@documents(lottery_blp, 401, 404, auth="member")
def proof(lottery_id, draw_id):
    """Everything needed to recompute the draw; `seed` once its period is over."""
    return proofs.proof(lottery_id, draw_id)


@lottery_blp.get("/<int:lottery_id>/winners")
@member_required
@lottery_blp.response(200, WinnerList)
@documents(lottery_blp, 401, 404, auth="member")
def winners(lottery_id):
    """The latest prizes won, winners masked (the ticker)."""
    return {"items": listing.winners(lottery_id)}


@me_blp.get("/lottery-draws")
@member_required
@me_blp.arguments(MyDrawArgs, location="query")
@me_blp.response(200, page_schema(MyDrawOut, "MyDrawPage"))
@documents(me_blp, 401, auth="member")
def my_draws(args):
    return listing.my_draws(current_member().id, **args)


@admin_blp.get("")
@staff_required(*MARKETING)
@admin_blp.arguments(AdminLotteryArgs, location="query")
@admin_blp.response(200, page_schema(AdminLotteryOut, "AdminLotteryPage"))
@documents(admin_blp, 401, 403, auth="staff")
def list_admin(args):
    return catalog.list_lotteries(**args)


@admin_blp.post("")
@staff_required(*MARKETING)
@admin_blp.arguments(LotteryIn)
@admin_blp.response(201, AdminLotteryOut)
@documents(admin_blp, 401, 403, 422, auth="staff")
def create(data):
    """A lottery and its prize table (kind points|coupon|gift|none, weight, stock or null for
    unlimited); the seeds of its first two periods are committed at once. Audited."""
    return catalog.create_lottery(data)


@admin_blp.get("/<int:lottery_id>")
@staff_required(*MARKETING)
@admin_blp.response(200, AdminLotteryOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
def get_admin(lottery_id):
    return catalog.get_lottery(lottery_id)


@admin_blp.patch("/<int:lottery_id>")
@staff_required(*MARKETING)
@admin_blp.arguments(LotteryFields(partial=True))
@admin_blp.response(200, AdminLotteryOut)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def update(data, lottery_id):
    """Only what is sent; `prizes` is the whole table (lines with `id` change, lines left out
    are taken off). A line's stock changes with POST …/prizes/{id}/stock. Audited."""
    return catalog.update_lottery(lottery_id, data)


@admin_blp.delete("/<int:lottery_id>")
@staff_required(*MARKETING)
@admin_blp.response(200, AdminLotteryOut)
@documents(admin_blp, 401, 403, 404, auth="staff")
def deactivate(lottery_id):
    """Withdraw a lottery; the draws made stand."""
    return catalog.deactivate(lottery_id)


@admin_blp.post("/<int:lottery_id>/prizes/<int:prize_id>/stock")
@staff_required(*MARKETING)
@admin_blp.arguments(PrizeStockIn)
@admin_blp.response(200, AdminPrizeOut)
@documents(admin_blp, 401, 403, 404, 409, 422, auth="staff")
def adjust_stock(data, lottery_id, prize_id):
    """Add units to a limited prize (or remove, down to 0 left); audited with the reason."""
    return catalog.adjust_prize_stock(lottery_id, prize_id, data["delta"], data["reason"])


@admin_blp.get("/<int:lottery_id>/draws")
@staff_required(*MARKETING)
@admin_blp.arguments(AdminDrawArgs, location="query")
@admin_blp.response(200, page_schema(AdminDrawOut, "AdminDrawPage"))
@documents(admin_blp, 401, 403, 404, auth="staff")
def draw_log(args, lottery_id):
    return catalog.draws_for_console(lottery_id, **args)
