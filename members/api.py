"""Member endpoints: WeChat login, the member's profile and phone, member code, invite code,
subscription consent; and the staff's ways to find a member."""
from flask import Response, current_app

from core.api import blueprint, documents
from core import limits
from core.auth import issue_member_token, member_required, public, staff_required
from media.api import accepts_upload, too_large_documented
from media.service import max_bytes
from members import codes, images, service
from members.lookup import current_member, member_by_phone as find_by_phone
from members.masking import mask_phone
from members.privacy import consent
from members.schemas import (AvatarIn, AvatarOut, ConsentIn, ConsentOut, WxLoginIn, WxLoginOut,
                             MeOut, MemberCodeImageArgs, MemberCodeOut, PhoneArgs, PhoneIn,
                             PhoneOut, ProfileIn, ScanIn, ScanOut, StaffMemberOut)

auth_blp = blueprint("member_auth", __name__, prefix="/auth",
                     description="Members log in with WeChat.")
me_blp = blueprint("me", __name__, prefix="/me",
                   description="The member's profile, phone, member code, invite code, consent.")
staff_blp = blueprint("staff_members", __name__, prefix="/staff",
                      description="Staff find a member: scan a member code, look up a phone.")
PNG = {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}


@auth_blp.post("/wx-login")
@limits.limited("login")
@auth_blp.arguments(WxLoginIn)
@auth_blp.response(200, WxLoginOut)
@documents(auth_blp, 401, 403, 429, 502, 503)
@public
def wx_login(data):
    """Exchange a wx.login() code for a member token; a first login registers the member
    (keeping `invite_code` and `store_code` for referral and registration-store logic).
    `consents_due` lists the documents in force the member has not accepted: while a new
    member has any, their `status` is `pending` (registration and its bonus wait; other member
    endpoints answer 403 `consent_required`) — POST /me/consents each. A deleted account's
    WeChat user logging in again starts a new account.
    403 `wechat_user_blocked` when WeChat's risk control blocks the user (its 40226)."""
    member, is_new = service.login(data["code"], data["invite_code"], data["store_code"])
    limits.hit("login", member=member.id, address=False)  # the member is known only now
    return {"token": issue_member_token(member.id, member.token_version),
            "expires_in": current_app.config["MEMBER_TOKEN_TTL"],
            "member": {"id": member.id, "member_no": member.member_no, "is_new": is_new,
                       "phone_bound": member.phone is not None, "status": member.status},
            "consents_due": consent.due_for(member.id)}


#: what other domains add to a member before it is shown (app.py fills them): each takes the
#: member and sets the attributes the schemas dump — GET /me's `points` and `tier`, the staff's
#: `points_balance` and `tier`
MEMBER_VIEWS: dict[str, list] = {"me": [], "staff": []}


def _me(member):
    for complete in MEMBER_VIEWS["me"]:
        complete(member)
    member.consents_due = consent.due_for(member.id)
    return member


@me_blp.get("")
@member_required
@me_blp.response(200, MeOut)
@documents(me_blp, 401, auth="member")
def get_me():
    """Also for a member whose registration waits for consent (`status` pending)."""
    return _me(current_member(pending_ok=True))


@me_blp.patch("")
@member_required
@me_blp.arguments(ProfileIn)
@me_blp.response(200, MeOut)
@documents(me_blp, 401, 409, 422, auth="member")
def patch_me(data):
    """A birthday can be changed once a year (409 with `next_change`)."""
    return _me(service.update_profile(current_member(), data))


@me_blp.post("/avatar")
@member_required
@accepts_upload(lambda: max_bytes("avatar"))
@me_blp.arguments(AvatarIn, location="files")
@me_blp.response(200, AvatarOut)
@too_large_documented(me_blp)
@documents(me_blp, 401, 403, 422, 503, auth="member")
def upload_avatar(files):
    """The picture wx.chooseAvatar gave (a temporary file: upload it with wx.uploadFile, name
    `file`). Decoded and re-encoded (a renamed non-image is 422 on `file`; 413 over 2 MiB);
    it becomes `avatar_url`, which counts towards completing the profile."""
    member = service.set_avatar(current_member(), files["file"].read())
    return {"avatar_url": member.avatar_url}


@me_blp.post("/phone")
@member_required
@limits.limited("phone")
@me_blp.arguments(PhoneIn)
@me_blp.response(200, PhoneOut)
@documents(me_blp, 401, 409, 422, 429, 502, 503, auth="member")
def bind_phone(data):
    """Bind the phone from getPhoneNumber. If a member registered at a store holds it, its
    points (with their expiry) are merged into this member; 409 `phone_taken` if another
    WeChat member holds it."""
    member, merged = service.bind_phone(current_member(), data["code"])
    return {"phone_masked": mask_phone(member.phone),
            "merged_member_no": merged.member_no if merged else None}


@me_blp.get("/member-code")
@member_required
@me_blp.response(200, MemberCodeOut)
@documents(me_blp, 401, auth="member")
def member_code():
    """The code to show at the till: changes every minute, valid 90 seconds."""
    code, expires_at, refresh_in = codes.issue_code(current_member())
    return {"code": code, "expires_at": expires_at, "refresh_in": refresh_in}


@me_blp.get("/member-code.png")
@me_blp.arguments(MemberCodeImageArgs, location="query")
@me_blp.response(200, description="The member code as a QR code or Code128 barcode.",
                 content_type="image/png")
@documents(me_blp, 401, auth="member")
@member_required
def member_code_png(args):
    code, _expires_at, refresh_in = codes.issue_code(current_member())
    png = images.qr_png(code) if args["kind"] == "qr" else images.barcode_png(code)
    return Response(png, mimetype="image/png",
                    headers={"Cache-Control": f"private, max-age={refresh_in}"})


@me_blp.get("/invite-qrcode.png")
@me_blp.response(200, description="Mini-program code with scene = the invite code, in the "
                                  "format WeChat made it: image/jpeg (the path keeps its old name).",
                 content_type="image/jpeg")
@documents(me_blp, 401, 502, 503, auth="member")
@member_required
def invite_qrcode():
    image = images.invite_qrcode(current_member().invite_code)
    return Response(image.content, mimetype=image.content_type,
                    headers={"Cache-Control": "private, max-age=86400"})


@me_blp.post("/subscriptions")
@member_required
@me_blp.arguments(ConsentIn)
@me_blp.response(200, ConsentOut)
@documents(me_blp, 401, 422, auth="member")
def subscribe(data):
    """Record the member's answer to wx.requestSubscribeMessage for one template of GET
    /subscribe-templates (422 `template_id` for any other): each acceptance allows one
    message."""
    remaining = service.answer_subscription(current_member(), data["template_id"],
                                            data["accepted"])
    return {"template_id": data["template_id"], "remaining": remaining}


def _for_staff(member):
    for complete in MEMBER_VIEWS["staff"]:
        complete(member)
    return member


@staff_blp.post("/scan")
@staff_required()
@staff_blp.arguments(ScanIn)
@staff_blp.response(200, ScanOut)
@documents(staff_blp, 401, 404, 410, auth="staff")
def scan(data):
    """Resolve a member code as scanned (410 `code_expired`; 404 for a code never issued)."""
    return {"member": _for_staff(codes.member_by_code(data["code"]))}


@staff_blp.get("/members")
@staff_required()
@staff_blp.arguments(PhoneArgs, location="query")
@staff_blp.response(200, StaffMemberOut)
@documents(staff_blp, 401, 404, 422, auth="staff")
def member_by_phone(args):
    """For a customer without their phone at hand: the member with this phone, masked."""
    return _for_staff(find_by_phone(args["phone"]))
