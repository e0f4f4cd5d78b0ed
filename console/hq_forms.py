"""The forms of HQ's pages (stores, staff, POS keys, bulk points) and the member directory:
what a person types, parsed; the API's input schemas then check the payload."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from console.forms import REQUIRED

ROLE_NAMES = {"hq_admin": _l("HQ admin"), "marketer": _l("Marketer"),
              "store_manager": _l("Store manager"), "cashier": _l("Cashier")}


def _text(value) -> str | None:
    value = (value or "").strip()
    return value or None


class StoreDetailsForm(FlaskForm):
    code = StringField(_l("Store code"))
    name = StringField(_l("Store name"), validators=[DataRequired(REQUIRED)])
    brand = StringField(_l("Brand"))
    address = StringField(_l("Address"))
    hours = StringField(_l("Opening hours"))
    phone = StringField(_l("Store phone"))
    pickup = BooleanField(_l("Gifts can be picked up here"), default=True)

    def payload(self, *, new: bool) -> dict:
        """StoreIn (new) or StorePatch's fields."""
        data = {"name": self.name.data.strip(), "brand": _text(self.brand.data),
                "address": _text(self.address.data), "hours": _text(self.hours.data),
                "phone": _text(self.phone.data), "pickup": self.pickup.data}
        if new:
            data["code"] = (self.code.data or "").strip()
        return data


class StaffForm(FlaskForm):
    username = StringField(_l("Username"))
    password = PasswordField(_l("Password (at least 8 characters)"))
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLE_NAMES.items()])
    store_codes = SelectMultipleField(_l("Stores"), choices=[], validate_choice=False)


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password (at least 8 characters)"),
                             validators=[DataRequired(REQUIRED)])


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[DataRequired(REQUIRED)])


class DirectoryForm(FlaskForm):
    """The member directory's search and filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Member number, phone or nickname"))
    tier = SelectField(_l("Tier"), choices=[], validate_choice=False)
    store = SelectField(_l("Registered at"), choices=[], validate_choice=False)
    bought_after = DateField(_l("Last purchase on or after"), validators=[Optional()])
    bought_before = DateField(_l("Last purchase before"), validators=[Optional()])
    balance_min = IntegerField(_l("Balance at least"), validators=[Optional()])
    balance_max = IntegerField(_l("Balance at most"), validators=[Optional()])


class EntryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    direction = SelectField(_l("Direction"), default="", choices=[
        SelectChoice("", _l("In and out")), SelectChoice("in", _l("In")),
        SelectChoice("out", _l("Out"))])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
