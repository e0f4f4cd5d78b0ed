"""The marketer's configuration forms: the task centre (check-in schedule, make-up, referral,
one-off tasks, budgets) and earning (earn rate, category rules, promotions). Each builds the
payload of the API's own input schema (console.views.load), which then checks it."""
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, FieldList,
                     IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from console.forms import REQUIRED, YuanField

SCHEDULE_DAYS = 31  #: the API's longest schedule
LOCAL = "%Y-%m-%dT%H:%M"
ACTIONS = [SelectChoice("bind_phone", _l("Bind a phone number")),
           SelectChoice("complete_profile", _l("Complete the profile")),
           SelectChoice("first_order", _l("First order")),
           SelectChoice("first_redemption", _l("First mall redemption")),
           SelectChoice("manual", _l("Manual (claimed on the member's word)"))]
WEEKDAYS = [SelectChoice(str(n), name) for n, name in enumerate(
    (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")), start=1)]


def codes(text: str | None) -> list[str]:
    """"SH01, BJ01" → ["SH01", "BJ01"] (commas, Chinese commas or spaces)."""
    return [c for c in (text or "").replace("，", ",").replace(" ", ",").split(",") if c]


def _local(moment: datetime | None, zone) -> str | None:
    return moment.replace(tzinfo=zone).isoformat() if moment else None


class TaskForm(FlaskForm):
    """Any kind of task; the page shows the kind's own fields."""

    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description (shown under the title)"))
    starts_at = DateTimeLocalField(_l("Starts (empty: now)"), format=LOCAL, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (empty: never)"), format=LOCAL, validators=[Optional()])
    budget_points = IntegerField(_l("Points budget (empty: no limit)"), validators=[Optional()])
    member_limit_points = IntegerField(_l("Most points per member (empty: no limit)"),
                                       validators=[Optional()])
    # check-in
    schedule = FieldList(IntegerField(validators=[Optional()]), min_entries=7,
                         max_entries=SCHEDULE_DAYS)
    makeup_enabled = BooleanField(_l("Members may make up yesterday (补签)"))
    makeup_cost = IntegerField(_l("Points a make-up costs"), validators=[Optional()])
    makeup_per_month = IntegerField(_l("Make-ups per month"), validators=[Optional()])
    # referral
    inviter_points = IntegerField(_l("Points for the inviter"), validators=[Optional()])
    invitee_points = IntegerField(_l("Points for the invited friend"), validators=[Optional()])
    trigger = SelectField(_l("Paid when the friend"), choices=[
        SelectChoice("register", _l("registers")),
        SelectChoice("first_order", _l("makes a first order"))], validate_choice=False)
    monthly_cap = IntegerField(_l("Referrals paid per inviter per month (empty: no cap)"),
                               validators=[Optional()])
    # one-off
    reward_points = IntegerField(_l("Reward points"), validators=[Optional()])
    action = SelectField(_l("What the member does"), choices=ACTIONS, validate_choice=False)

    def validate_schedule(self, field):
        values = [entry.data for entry in field.entries]
        last = max((i for i, v in enumerate(values) if v is not None), default=-1)
        for day, value in enumerate(values[:last + 1], start=1):
            if value is None:
                message = _("Day %(day)s is empty while a later day is set.", day=day)
                field.entries[day - 1].errors = [message]
                raise ValidationError(message)

    def schedule_points(self) -> list[int]:
        return [entry.data for entry in self.schedule.entries if entry.data is not None]

    def payload(self, kind: str, zone) -> dict:
        """What the API's TaskIn (or TaskFields, for a change) takes for this kind."""
        data = {"description": (self.description.data or "").strip() or None,
                "starts_at": _local(self.starts_at.data, zone),
                "ends_at": _local(self.ends_at.data, zone),
                "budget_points": self.budget_points.data,
                "member_limit_points": self.member_limit_points.data}
        if (self.title.data or "").strip():
            data["title"] = self.title.data.strip()
        if kind == "checkin":
            data["schedule"] = self.schedule_points()
            data["makeup"] = {"enabled": self.makeup_enabled.data,
                              "cost_points": self.makeup_cost.data or 0,
                              "per_month": self.makeup_per_month.data or 0}
        elif kind == "referral":
            data.update(trigger=self.trigger.data, monthly_cap=self.monthly_cap.data,
                        **self._given("inviter_points", "invitee_points"))
        else:
            data.update(action=self.action.data, **self._given("reward_points"))
        return data

    def _given(self, *names) -> dict:
        return {n: self[n].data for n in names if self[n].data is not None}


class EarnRateForm(FlaskForm):
    points_per_yuan = IntegerField(_l("Points per whole yuan"),
                                   validators=[InputRequired(REQUIRED)])


class EarnRuleForm(FlaskForm):
    category = StringField(_l("Category"), validators=[DataRequired(REQUIRED)])
    multiplier = DecimalField(_l("Multiplier (e.g. 1.5)"), places=2,
                              validators=[InputRequired(REQUIRED)])
    store_codes = StringField(_l("Stores (codes, comma-separated; empty: every store)"))

    def payload(self) -> dict:
        return {"category": self.category.data.strip(), "multiplier": str(self.multiplier.data),
                "store_codes": codes(self.store_codes.data)}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PromotionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED)])
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice("multiplier", _l("Points multiplier")),
        SelectChoice("bonus", _l("Bonus points per order"))], validate_choice=False)
    multiplier = DecimalField(_l("Multiplier (e.g. 2 for double points)"), places=2,
                              validators=[Optional()])
    bonus_points = IntegerField(_l("Bonus points"), validators=[Optional()])
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL, validators=[Optional()])
    store_codes = StringField(_l("Stores (codes, comma-separated; empty: every store)"))
    weekdays = CheckboxesField(_l("Only on (none ticked: every day)"), choices=WEEKDAYS,
                               validate_choice=False)
    categories = StringField(_l("Categories (comma-separated; empty: the whole order)"))
    min_amount = YuanField(_l("Minimum order (yuan; empty: none)"), validators=[Optional()])
    preview_from = DateField(_l("Replay from"), validators=[Optional()])
    preview_to = DateField(_l("Replay to"), validators=[Optional()])

    def payload(self, zone, *, dates=None) -> dict:
        """The /admin/promotions payload; `dates` stand in for a window not typed yet (a
        preview ignores the window)."""
        starts, ends = self.starts_at.data, self.ends_at.data
        if dates is not None and (starts is None or ends is None):
            starts, ends = dates
        data = {"name": (self.name.data or "").strip() or None,
                "starts_at": _local(starts, zone), "ends_at": _local(ends, zone),
                "store_codes": codes(self.store_codes.data),
                "weekdays": [int(d) for d in self.weekdays.data or [] if d.isdigit()],
                "categories": codes(self.categories.data),
                "min_amount_fen": self.min_amount.fen or 0}
        if self.kind.data == "multiplier":
            data["multiplier"] = str(self.multiplier.data) if self.multiplier.data is not None \
                else None
        else:
            data["bonus_points"] = self.bonus_points.data
        return {k: v for k, v in data.items() if v is not None}
