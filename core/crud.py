"""Admin CRUD under one path, the same five views every time: list, create, read, update,
deactivate (DELETE keeps the row, inactive, so history that refers to it stays readable)."""
from dataclasses import dataclass
from typing import Callable

from flask import g

from core.api import documents
from core.auth import staff_required


@dataclass
class Crud:
    """What the views call: `save(data, row_or_None)` creates or updates (and audits)."""

    name: str              # endpoint names: list_<name>, create_<name>, ...
    label: str             # for the docs: "earn rule"
    list_all: Callable
    get: Callable
    save: Callable
    #: the callables take the calling staff member last (they scope what a store's staff see
    #: and may change): list_all(staff), get(id, staff), save(data, row, staff)
    scoped: bool = False


def register_crud(blp, path, crud: Crud, *, out, create_in, patch_in, roles, create_doc=""):
    """`patch_in` is loaded partially (core.patching): nothing the PATCH did not send is
    filled in, at any depth."""
    item = f"{path}/<int:item_id>"
    patch_in = patch_in(partial=True) if isinstance(patch_in, type) else patch_in

    caller = (lambda: (g.staff,)) if crud.scoped else (lambda: ())

    def list_view():
        return crud.list_all(*caller())

    def create_view(data):
        return crud.save(data, None, *caller())

    def get_view(item_id):
        return crud.get(item_id, *caller())

    def update_view(data, item_id):
        return crud.save(data, crud.get(item_id, *caller()), *caller())

    def deactivate_view(item_id):
        return crud.save({"active": False}, crud.get(item_id, *caller()), *caller())

    views = [
        (path, "GET", list_view, None, 200, out(many=True), (401, 403), f"List {crud.label}s."),
        (path, "POST", create_view, create_in, 201, out, (401, 403, 409, 422),
         f"Create a {crud.label}. {create_doc}"),
        (item, "GET", get_view, None, 200, out, (401, 403, 404), f"Read a {crud.label}."),
        (item, "PATCH", update_view, patch_in, 200, out, (401, 403, 404, 409, 422),
         f"Change a {crud.label} (only the fields sent)."),
        (item, "DELETE", deactivate_view, None, 200, out, (401, 403, 404),
         f"Deactivate a {crud.label} (kept for the history that refers to it)."),
    ]
    for rule, method, view, schema, status, out_schema, errors, doc in views:
        view.__doc__ = doc
        view.__name__ = f"{view.__name__.removesuffix('_view')}_{crud.name}"
        wrapped = documents(blp, *errors, auth="staff")(view)
        wrapped = blp.response(status, out_schema)(wrapped)
        if schema is not None:
            wrapped = blp.arguments(schema)(wrapped)
        wrapped = staff_required(*roles)(wrapped)
        blp.route(rule, methods=[method], endpoint=view.__name__)(wrapped)
