"""Staff login and the admin endpoints for stores, staff, POS API keys and the audit log."""
from flask import current_app, g

from core import clock
from core.api import blueprint, documents
from core.auth import pos_required, public, require_pos_store, staff_required
from core.pagination import PageArgs, page_schema
from stores import service
from stores.schemas import (ApiKeyCreated, ApiKeyOut, AuditArgs, AuditOut, LoginIn, LoginOut, PasswordChangeIn,
                            PosPingIn, PosPingOut, StaffIn, StaffOut, StaffPatch, StoreIn, StoreOut, StorePatch)

staff_auth_blp = blueprint("staff_auth", __name__, prefix="/staff/auth",
                           description="Staff log in with username and password.")
staff_me_blp = blueprint("staff_me", __name__, prefix="/staff/me",
                         description="A staff member's own account.")
blp = blueprint("admin_stores", __name__, prefix="/admin",
                description="HQ administration: stores, staff, POS API keys, audit log.")

HQ = ("hq_admin",)
HQ_READ = ("hq_admin", "marketer")


@staff_auth_blp.post("/login")
@staff_auth_blp.arguments(LoginIn)
@staff_auth_blp.response(200, LoginOut)
@documents(staff_auth_blp, 401, 429)
@public
def login(data):
    token, staff = service.login(data["username"], data["password"])
    return {"token": token, "expires_in": current_app.config["STAFF_TOKEN_TTL"], "staff": staff}


@staff_me_blp.post("/password")
@staff_required()
@staff_me_blp.arguments(PasswordChangeIn)
@staff_me_blp.response(200, LoginOut)
@documents(staff_me_blp, 401, 422, 429, auth="staff")
def change_own_password(data):
    """Change your own password, giving the current one.

    422 if the current password is wrong (failures count as failed logins). Your other
    sessions end; the answer carries a new token for this one."""
    token = service.change_own_password(g.staff, data["current_password"], data["new_password"])
    return {"token": token, "expires_in": current_app.config["STAFF_TOKEN_TTL"], "staff": g.staff}


# --- stores ---------------------------------------------------------------------------------

@blp.get("/stores")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(StoreOut, "StorePage"))
@documents(blp, 401, 403, auth="staff")
@staff_required(*HQ_READ)
def list_stores(args):
    return service.list_stores(**args)


@blp.post("/stores")
@blp.arguments(StoreIn)
@blp.response(201, StoreOut)
@documents(blp, 401, 403, 409, auth="staff")
@staff_required(*HQ)
def create_store(data):
    return service.create_store(**data)


@blp.get("/stores/<code>")
@blp.response(200, StoreOut)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*HQ_READ)
def get_store(code):
    return service.get_store(code)


@blp.patch("/stores/<code>")
@blp.arguments(StorePatch)
@blp.response(200, StoreOut)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*HQ)
def update_store(data, code):
    return service.update_store(code, data)


@blp.delete("/stores/<code>")
@blp.response(200, StoreOut)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*HQ)
def deactivate_store(code):
    return service.update_store(code, {"active": False})


# --- staff ----------------------------------------------------------------------------------

@blp.get("/staff")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(StaffOut, "StaffPage"))
@documents(blp, 401, 403, auth="staff")
@staff_required(*HQ)
def list_staff(args):
    return service.list_staff(**args)


@blp.post("/staff")
@blp.arguments(StaffIn)
@blp.response(201, StaffOut)
@documents(blp, 401, 403, 409, auth="staff")
@staff_required(*HQ)
def create_staff(data):
    return service.create_staff(**data)


@blp.get("/staff/<int:staff_id>")
@blp.response(200, StaffOut)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*HQ)
def get_staff(staff_id):
    return service.get_staff(staff_id)


@blp.patch("/staff/<int:staff_id>")
@blp.arguments(StaffPatch)
@blp.response(200, StaffOut)
@documents(blp, 401, 403, 404, 409, auth="staff")
@staff_required(*HQ)
def update_staff(data, staff_id):
    """Change a staff account: password, role, stores, active.

    409 `invalid_state` for your own password (POST /staff/me/password changes it), your own
    deactivation, or a change that would leave no active hq_admin."""
    return service.update_staff(staff_id, data, actor=g.staff)


@blp.delete("/staff/<int:staff_id>")
@blp.response(200, StaffOut)
@documents(blp, 401, 403, 404, 409, auth="staff")
@staff_required(*HQ)
def deactivate_staff(staff_id):
    """Deactivate a staff account; its tokens stop working.

    409 `invalid_state` for your own account or the last active hq_admin."""
    return service.update_staff(staff_id, {"active": False}, actor=g.staff)


# --- POS API keys ---------------------------------------------------------------------------

@blp.post("/stores/<code>/api-keys")
@blp.response(201, ApiKeyCreated)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*HQ)
def create_api_key(code):
    key, secret = service.create_api_key(code)
    key.secret = secret  # shown in this response only; never stored in clear
    return key


@blp.get("/stores/<code>/api-keys")
@blp.response(200, ApiKeyOut(many=True))
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*HQ)
def list_api_keys(code):
    return service.list_api_keys(code)


@blp.delete("/stores/<code>/api-keys/<key_id>")
@blp.response(200, ApiKeyOut)
@documents(blp, 401, 403, 404, auth="staff")
@staff_required(*HQ)
def revoke_api_key(code, key_id):
    return service.revoke_api_key(code, key_id)


# --- audit log ------------------------------------------------------------------------------

@blp.get("/audit-log")
@blp.arguments(AuditArgs, location="query")
@blp.response(200, page_schema(AuditOut, "AuditPage"))
@documents(blp, 401, 403, auth="staff")
@staff_required(*HQ)
def audit_log(args):
    return service.audit_log(**args)


# --- POS connectivity check -----------------------------------------------------------------

pos_blp = blueprint("pos_ping", __name__, prefix="/pos",
                    description="POS systems: HMAC-signed, one API key per store.")


@pos_blp.post("/ping")
@pos_blp.arguments(PosPingIn)
@pos_blp.response(200, PosPingOut)
@documents(pos_blp, 401, 403, auth="pos")
@pos_required
def pos_ping(data):
    """Lets a POS vendor check its signing: answers with the store the key belongs to."""
    if data.get("store_code"):
        require_pos_store(data["store_code"])
    return {"store_code": g.pos_store.code, "server_time": clock.now()}
