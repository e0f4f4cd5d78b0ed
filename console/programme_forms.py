"""HQ's programme settings forms: expiry, deduction, bonuses, point value, tiers and subscribe
templates. What is typed is parsed here; the API's schemas (points.programme.schemas,
wx.schemas) then check the payload."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DecimalField, FieldList, FileField, FormField, HiddenField,
                     IntegerField, SelectField, StringField, TextAreaField)
from wtforms import Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from console.forms import REQUIRED

EXPIRY_MODES = [SelectChoice("never", _l("Never")),
                SelectChoice("fixed_days", _l("A fixed number of days after earning")),
                SelectChoice("year_end", _l("At the end of a calendar year")),
                SelectChoice("rolling_days", _l("Days after the member's latest earn or spend"))]
PURPOSES = [SelectChoice("points_expiring", _l("Points about to expire")),
            SelectChoice("pickup_reminder", _l("Gift waiting for pickup")),
            SelectChoice("coupon_expiring", _l("Coupon about to expire"))]
SOURCES = {"points": _l("Points"), "balance": _l("Balance"), "expiry_date": _l("Expiry date"),
           "tip": _l("Tip text"), "product": _l("Product"),
           "pickup_code": _l("Pickup code"), "deadline": _l("Pickup deadline"),
           "store": _l("Store"), "coupon": _l("Coupon"), "deduct": _l("Coupon amount")}


class ExpiryForm(FlaskForm):
    section = HiddenField(default="expiry")
    mode = SelectField(_l("Points expire"), choices=EXPIRY_MODES)
    days = IntegerField(_l("Days (fixed or rolling)"), validators=[Optional()])
    years = IntegerField(_l("Years after the year earned (year end; 0 = that year)"),
                         validators=[Optional()])
    birthday_extension_days = IntegerField(_l("Extra days when the date falls in the birthday "
                                              "month"), validators=[Optional()])

    def payload(self) -> dict:
        values = {"mode": self.mode.data, "days": self.days.data, "years": self.years.data,
                  "birthday_extension_days": self.birthday_extension_days.data}
        return {"expiry": {k: v for k, v in values.items() if v is not None}}


class DeductionSettingsForm(FlaskForm):
    section = HiddenField(default="deduction")
    points_per_yuan = IntegerField(_l("Points for one yuan off"),
                                   validators=[InputRequired(REQUIRED)])
    max_ratio_percent = IntegerField(_l("At most this % of an order (0 = no deduction)"),
                                     validators=[InputRequired(REQUIRED)])

    def payload(self) -> dict:
        return {"deduction": {"points_per_yuan": self.points_per_yuan.data,
                              "max_ratio_percent": self.max_ratio_percent.data}}


class BonusForm(FlaskForm):
    section = HiddenField(default="bonus")
    registration_bonus = IntegerField(_l("Points for registering"),
                                      validators=[InputRequired(REQUIRED)])
    first_order_bonus = IntegerField(_l("Points for the first order"),
                                     validators=[InputRequired(REQUIRED)])

    def payload(self) -> dict:
        return {"registration_bonus": self.registration_bonus.data,
                "first_order_bonus": self.first_order_bonus.data}


class PointValueForm(FlaskForm):
    section = HiddenField(default="point_value")
    point_value_fen = IntegerField(_l("What one point costs the issuing store (fen)"),
                                   validators=[InputRequired(REQUIRED)])

    def payload(self) -> dict:
        return {"point_value_fen": self.point_value_fen.data}


class TierForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(REQUIRED)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED)])
    threshold_points = IntegerField(_l("Points earned in 12 months to reach it"),
                                    validators=[InputRequired(REQUIRED)])
    multiplier = DecimalField(_l("Earning multiplier (e.g. 1.5)"), places=2, default=1,
                              validators=[InputRequired(REQUIRED)])
    benefits = TextAreaField(_l("Benefits (one a line)"))
    icon = FileField(_l("Icon (JPEG, PNG or WebP; at most 2 MiB)"))
    remove_icon = BooleanField(_l("Remove the icon"))
    active = BooleanField(_l("Active"), default=True)

    def payload(self, *, new: bool) -> dict:
        data = {"name": (self.name.data or "").strip(),
                "threshold_points": self.threshold_points.data,
                "multiplier": str(self.multiplier.data),
                "benefits": (self.benefits.data or "").strip() or None}
        if new:
            data["code"] = (self.code.data or "").strip()
        else:
            data["active"] = self.active.data
        return data


class KeyRowForm(Form):
    key = StringField(_l("WeChat data key"))
    source = SelectField(_l("Filled with"), choices=[SelectChoice("", "—")] + [
        SelectChoice(k, v) for k, v in SOURCES.items()], validate_choice=False)


class TemplateForm(FlaskForm):
    purpose = SelectField(_l("Purpose"), choices=PURPOSES)
    template_id = StringField(_l("WeChat template id"), validators=[DataRequired(REQUIRED)])
    #: the template's `page` (not named so: the layout's #page element has that id)
    opens = StringField(_l("Mini-program page it opens"))
    tip = StringField(_l("Tip text"))
    rows = FieldList(FormField(KeyRowForm), min_entries=5, max_entries=10)
    active = BooleanField(_l("Active"), default=True)

    def fields_map(self) -> dict:
        return {row.form.key.data.strip(): row.form.source.data for row in self.rows
                if (row.form.key.data or "").strip()}

    def payload(self, *, new: bool) -> dict:
        data = {"template_id": (self.template_id.data or "").strip(),
                "page": (self.opens.data or "").strip() or None,
                "fields": self.fields_map(), "tip": (self.tip.data or "").strip() or None}
        if new:
            data["purpose"] = self.purpose.data
        else:
            data["active"] = self.active.data
        return data
