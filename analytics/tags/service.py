"""Tags: saving them, their members (a rule tag recomputed set-based, a manual tag changed by
HQ), and the membership history (every enter and leave, dated)."""
from datetime import date

from sqlalchemy import delete, func, insert, literal, select

from core import audit, clock
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from analytics.sql import roomy_temporary_tables
from analytics.tags import rules
from analytics.tags.models import MANUAL, RULE, Tag, TagChange, TagMatch, TagMember
from members.models import STATUS_ACTIVE, Member

FIELDS = ("name", "kind", "rule", "active")
_members, _changes, _matches = TagMember.__table__, TagChange.__table__, TagMatch.__table__


def list_tags():
    return db.session.scalars(select(Tag).order_by(Tag.id)).all()


def get_tag(tag_id: int) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(f"No tag {tag_id}.")
    return tag


def save_tag(data: dict, tag: Tag | None = None) -> Tag:
    """Create or change a tag; a rule tag needs a valid rule, a manual one has none."""
    before = audit.snapshot(tag, FIELDS) if tag else None
    if "name" in data:
        same = db.session.scalar(select(Tag.id).filter_by(name=data["name"]))
        if same is not None and (tag is None or same != tag.id):
            raise Conflict(f"A tag named {data['name']} exists.", code="invalid_state")
    if tag is None:
        tag = Tag(active=True, created_at=clock.now())
        db.session.add(tag)
    for name, value in data.items():
        setattr(tag, name, value)
    if tag.kind == RULE:
        if tag.rule is None:
            raise ValidationFailed(details={"rule": ["A rule tag needs a rule."]})
        rules.validate_rule(tag.rule)
    elif tag.rule is not None:
        raise ValidationFailed(details={"rule": ["A manual tag has no rule."]})
    db.session.flush()
    audit.record("tag.save", "tag", tag.id, before=before, after=audit.snapshot(tag, FIELDS))
    return tag


def active_rule_tag_ids() -> list[int]:
    return list(db.session.scalars(select(Tag.id).filter_by(kind=RULE, active=True)
                                   .order_by(Tag.id)))


def matching(rule: dict, as_of: date | None = None):
    """The SELECT of the active members a rule matches."""
    return select(Member.id).where(Member.status == STATUS_ACTIVE,
                                   rules.predicate(rule, as_of or clock.business_date()))


def count_matching(rule: dict) -> int:
    """How many members a (draft) rule matches now: the builder's live count."""
    rules.validate_rule(rule)
    return db.session.scalar(select(func.count()).select_from(matching(rule).subquery()))


def evaluate(tag_id: int, as_of: date) -> dict:
    """Recompute a rule tag's members: who left and who entered, recorded with the date. The
    rule is evaluated once, into analytics_tag_matches, which the four statements comparing it
    with the tag's members read (a favourite-category rule was evaluated four times)."""
    tag = get_tag(tag_id)
    roomy_temporary_tables()
    db.session.execute(delete(_matches).where(_matches.c.tag_id == tag.id))
    found = matching(tag.rule, as_of).subquery()
    db.session.execute(insert(_matches).from_select(("tag_id", "member_id"), select(
        literal(tag.id), found.c[0])))
    matched = select(_matches.c.member_id).where(_matches.c.tag_id == tag.id)
    current = select(_members.c.member_id).where(_members.c.tag_id == tag.id)
    left = current.where(_members.c.member_id.not_in(matched))
    entered = matched.where(_matches.c.member_id.not_in(current))
    n_left = _record(tag.id, left, "left", as_of, "rule")
    db.session.execute(delete(_members).where(_members.c.tag_id == tag.id,
                                              _members.c.member_id.not_in(matched)))
    n_entered = _record(tag.id, entered, "entered", as_of, "rule")
    new = entered.subquery()
    db.session.execute(insert(_members).from_select(
        ("tag_id", "member_id", "entered_on", "entered_at"),
        select(literal(tag.id), new.c[0], literal(as_of), literal(clock.now()))))
    tag.evaluated_at = clock.now()
    return {"tag": tag.id, "entered": n_entered, "left": n_left}


def _record(tag_id, member_ids, change, day, by) -> int:
    ids = member_ids.subquery()
    result = db.session.execute(insert(_changes).from_select(
        ("tag_id", "member_id", "change", "changed_on", "by", "created_at"),
        select(literal(tag_id), ids.c[0], literal(change), literal(day), literal(by),
               literal(clock.now()))))
    return result.rowcount


def add_members(tag_id: int, member_nos: list[str], staff) -> int:
    """Put members in a manual tag (those already in it are skipped); the number added."""
    tag = _manual(tag_id)
    ids = _member_ids(member_nos)
    present = set(db.session.scalars(select(TagMember.member_id).where(
        TagMember.tag_id == tag.id, TagMember.member_id.in_(ids))))
    today = clock.business_date()
    for member_id in sorted(set(ids) - present):
        db.session.add(TagMember(tag_id=tag.id, member_id=member_id, entered_on=today,
                                 entered_at=clock.now()))
        db.session.add(TagChange(tag_id=tag.id, member_id=member_id, change="entered",
                                 changed_on=today, by=f"staff:{staff.id}", created_at=clock.now()))
    db.session.flush()
    return len(set(ids) - present)


def remove_member(tag_id: int, member_no: str, staff) -> None:
    tag = _manual(tag_id)
    (member_id,) = _member_ids([member_no])
    row = db.session.get(TagMember, (tag.id, member_id))
    if row is None:
        raise NotFound(f"Member {member_no} is not in tag {tag.id}.")
    db.session.delete(row)
    db.session.add(TagChange(tag_id=tag.id, member_id=member_id, change="left",
                             changed_on=clock.business_date(), by=f"staff:{staff.id}",
                             created_at=clock.now()))
    db.session.flush()


def _manual(tag_id):
    tag = get_tag(tag_id)
    if tag.kind != MANUAL:
        raise Conflict("Members of a rule tag follow its rule.", code="invalid_state")
    return tag


def _member_ids(member_nos) -> list[int]:
    found = dict(db.session.execute(select(Member.member_no, Member.id)
                                    .where(Member.member_no.in_(member_nos))).all())
    missing = [no for no in member_nos if no not in found]
    if missing:
        raise NotFound(f"No member {missing[0]}.", details={"missing": missing})
    return [found[no] for no in member_nos]


def member_ids_query(tag_id: int):
    """The SELECT of a tag's members now (404 for an unknown tag)."""
    get_tag(tag_id)
    return select(TagMember.member_id).where(TagMember.tag_id == tag_id)


def history(tag_id: int, limit: int = 100) -> list:
    return db.session.scalars(select(TagChange).filter_by(tag_id=tag_id)
                              .order_by(TagChange.id.desc()).limit(limit)).all()
