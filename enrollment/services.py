import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from enrollment import identity
from enrollment.models import ApiToken, Customer, Notification, User
from postbank import policy
from postbank.audit import audit_record, client_ip
from postbank.errors import Forbidden, InvalidInput, PostbankError, Refused
from postbank.outbox import task_publish_on_commit

logger = logging.getLogger(__name__)


class LoginFailed(PostbankError):
    code = "login_failed"
    status = 401
    title = _("The user ID or password is not correct.")


class CustomerSuspended(Forbidden):
    code = "customer_suspended"
    title = _("Internet banking is suspended.")


SUSPENSION_MESSAGES = {
    Customer.Suspension.WRONG_ENTRIES: _(
        "Internet banking is suspended after 5 wrong entries of a password or security code. "
        "Visit a post office counter with your ID to lift the suspension."),
    Customer.Suspension.DORMANT: _(
        "Internet banking is suspended after 12 months without use. Visit a post office "
        "counter with your ID, or lift it in the security center with your joint "
        "certificate and security medium."),
}


def customer_ensure_active(*, customer: Customer) -> None:
    if customer.suspension:
        raise CustomerSuspended(SUSPENSION_MESSAGES[customer.suspension],
                                reason=customer.suspension)


def wrong_entry_record(*, customer: Customer, kind: str, channel: str,
                       ip: str | None = None) -> int:
    """Counts one wrong entry of the secret `kind` (login_password, account_password,
    security_card, otp, identity) and suspends internet banking at the 5th in a row of that
    secret. Returns that secret's run.

    The count must survive the refusal that follows: outside a transaction it commits at
    once; inside one (an order's confirmation) the caller commits it with its refusal
    (postbank.orders.order_confirm) and never rolls it back.
    """
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        runs = dict(locked.wrong_entry_runs)
        runs[kind] = count = runs.get(kind, 0) + 1
        locked.wrong_entry_runs, locked.wrong_entries = runs, max(runs.values())
        fields = ["wrong_entry_runs", "wrong_entries"]
        audit_record(event="wrong_entry", actor=locked.user, subject=f"customer:{locked.pk}",
                     channel=channel, ip=ip, detail={"kind": kind, "count": count})
        # A dormant customer answering the dormancy-lift challenge wrongly 5 times is then
        # suspended for wrong entries (a teller lifts that one, not the security center).
        if (count >= policy.WRONG_ENTRY_LIMIT
                and locked.suspension != Customer.Suspension.WRONG_ENTRIES):
            locked.suspension = Customer.Suspension.WRONG_ENTRIES
            locked.suspended_at = timezone.now()
            fields += ["suspension", "suspended_at"]
            audit_record(event="suspended", actor=locked.user, subject=f"customer:{locked.pk}",
                         channel=channel, ip=ip, detail={"reason": locked.suspension})
        locked.save(update_fields=fields)
    customer.wrong_entry_runs = locked.wrong_entry_runs
    customer.wrong_entries = locked.wrong_entries
    customer.suspension, customer.suspended_at = locked.suspension, locked.suspended_at
    return count


def wrong_entries_reset(*, customer: Customer, kind: str) -> None:
    """A correct entry of the secret `kind` ends that secret's run of wrong ones (and only
    that one: a correct password never resets the security card's count)."""
    if not customer.wrong_entry_runs.get(kind):
        return
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        runs = {k: n for k, n in locked.wrong_entry_runs.items() if k != kind}
        locked.wrong_entry_runs, locked.wrong_entries = runs, max(runs.values(), default=0)
        locked.save(update_fields=["wrong_entry_runs", "wrong_entries"])
    customer.wrong_entry_runs = locked.wrong_entry_runs
    customer.wrong_entries = locked.wrong_entries


class WrongIdentity(Refused):
    code = "wrong_identity"
    title = _("The identity details do not match our records.")


class NotDormant(Refused):
    code = "not_dormant"
    title = _("Only a suspension for 12 months without use can be lifted online; for other "
              "suspensions visit a post office counter with your ID.")


class LimitAboveDefault(Refused):
    code = "limit_above_default"
    title = _("Your own limit can only be lower than the limit of your grade; raising it "
              "needs a visit to a post office counter.")


def customer_limits(*, customer: Customer, grade: str | None = "") -> tuple[int, int]:
    """(per transfer, per day) in won: the grade's policy.LIMITS, capped by the minor limit
    for a minor who applied alone and by the customer's own lower limits. No medium: (0, 0).
    `grade`: the customer's grade when the caller read it already ("": read it here)."""
    if grade == "":
        grade = customer.grade
    if grade is None:
        return 0, 0
    per_transfer, per_day = policy.LIMITS[grade]
    if customer.minor_limited:
        minor_transfer, minor_day = policy.LIMITS["minor"]
        per_transfer, per_day = min(per_transfer, minor_transfer), min(per_day, minor_day)
    if customer.own_limit_per_transfer is not None:
        per_transfer = min(per_transfer, customer.own_limit_per_transfer)
    if customer.own_limit_per_day is not None:
        per_day = min(per_day, customer.own_limit_per_day)
    return per_transfer, per_day


def customer_limits_lower(*, customer: Customer, per_transfer: int, per_day: int,
                          channel: str, actor=None) -> None:
    """The customer sets their own limits, never above what the grade (and minor rule)
    allows; 'lower' also covers raising back up to that default."""
    saved = (customer.own_limit_per_transfer, customer.own_limit_per_day)
    customer.own_limit_per_transfer = customer.own_limit_per_day = None
    ceiling_transfer, ceiling_day = customer_limits(customer=customer)
    customer.own_limit_per_transfer, customer.own_limit_per_day = saved
    if per_transfer <= 0 or per_day <= 0 or per_transfer > per_day:
        raise InvalidInput(_("Enter positive limits; the per-transfer limit cannot exceed "
                             "the daily limit."), code="invalid_limits")
    if per_transfer > ceiling_transfer or per_day > ceiling_day:
        raise LimitAboveDefault()
    with transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(
            own_limit_per_transfer=None if per_transfer == ceiling_transfer else per_transfer,
            own_limit_per_day=None if per_day == ceiling_day else per_day)
        audit_record(event="limits_lowered", actor=actor or customer.user,
                     subject=f"customer:{customer.pk}", channel=channel,
                     detail={"per_transfer": per_transfer, "per_day": per_day})
    customer.refresh_from_db(fields=["own_limit_per_transfer", "own_limit_per_day"])


def customer_mark_used(*, customer: Customer) -> None:
    """Moves the dormancy clock (login and every transaction) and withdraws a pending
    dormancy notice."""
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(last_used_at=now, dormancy_notice_at=None)
    customer.last_used_at, customer.dormancy_notice_at = now, None


def notification_send(*, customer: Customer, kind: str, text: str,
                      channel: str = Notification.Channel.SMS) -> Notification:
    """Puts a message to the customer's registered phone in the outbox; a Celery task
    delivers it once the caller's transaction commits, or the beat's notifications sweep
    when the broker was down (simulated: nothing leaves)."""
    from enrollment.tasks import notification_deliver

    notification = Notification.objects.create(customer=customer, kind=kind, channel=channel,
                                               recipient=customer.phone_masked, text=str(text))
    task_publish_on_commit(notification_deliver, notification.pk)
    return notification


def notification_deliver_one(*, notification_id: int) -> bool:
    """Marks the message delivered; True only the first time."""
    return bool(Notification.objects.filter(pk=notification_id, delivered_at__isnull=True)
                .update(delivered_at=timezone.now()))


def customer_identity_verify(*, customer: Customer, rrn_or_business_number: str,
                             channel: str = "web") -> None:
    """Checks the customer's RRN (or business registration number). A wrong number counts as
    a wrong entry; the message never says which fact was wrong."""
    customer_ensure_active(customer=customer)
    digits = "".join(ch for ch in (rrn_or_business_number or "") if ch.isdigit())
    matches = False
    if len(digits) == 13 and customer.rrn_hash:
        matches = identity.rrn_hash(digits) == customer.rrn_hash
    elif len(digits) == 10 and customer.business_number:
        matches = digits == customer.business_number
    if not matches:
        wrong_entry_record(customer=customer, kind="identity", channel=channel)
        raise WrongIdentity()
    wrong_entries_reset(customer=customer, kind="identity")


def suspension_lift(*, customer: Customer, actor, channel: str, detail: dict) -> None:
    """Ends a suspension (a teller after an ID check, or online for dormancy) and restarts
    the counters and the dormancy clock."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if not locked.suspension:
            return
        reason = locked.suspension
        now = timezone.now()
        Customer.objects.filter(pk=locked.pk).update(
            suspension="", suspended_at=None, wrong_entries=0, wrong_entry_runs={},
            last_used_at=now,
            dormancy_notice_at=None)
        audit_record(event="suspension_lifted", actor=actor, subject=f"customer:{locked.pk}",
                     channel=channel, detail={"reason": reason, **detail})
    customer.refresh_from_db()


def dormancy_lift_online(*, customer: Customer, actor_channel: str,
                         detail: dict | None = None) -> None:
    """The certificate center calls this after checking the joint certificate and the
    security medium: lifts a dormancy suspension (and only that one, checked on the locked
    row so that a suspension for wrong entries arriving meanwhile is never lifted here)."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.suspension != Customer.Suspension.DORMANT:
            raise NotDormant()
        suspension_lift(customer=locked, actor=locked.user, channel=actor_channel,
                        detail={"by": "online", **(detail or {})})
    customer.refresh_from_db()


def customer_login(*, request, user_id: str, password: str, channel: str) -> User:
    """Checks a customer's user ID and password; staff use the counter site. A wrong password
    of a known customer counts as a wrong entry; a suspended customer is told why."""
    ip = client_ip(request)
    user = authenticate(request, username=user_id, password=password)
    if user is None or not user.is_customer:
        # Recorded and committed before refusing: a failure must leave its trace.
        audit_record(event="login_failed", subject=user_id[:128], channel=channel, ip=ip)
        known = Customer.objects.filter(user__username=user_id, user__is_active=True).first()
        if known is not None and user is None:
            count = wrong_entry_record(customer=known, kind="login_password", channel=channel,
                                       ip=ip)
            customer_ensure_active(customer=known)
            left = policy.WRONG_ENTRY_LIMIT - count
            raise LoginFailed(_("The user ID or password is not correct. After %(left)d more "
                                "wrong entries internet banking is suspended.")
                              % {"left": left}, attempts_left=left)
        raise LoginFailed()
    customer_ensure_active(customer=user.customer)
    wrong_entries_reset(customer=user.customer, kind="login_password")
    customer_mark_used(customer=user.customer)
    audit_record(event="login", actor=user, subject=user.username, channel=channel, ip=ip)
    return user


def api_token_issue(*, user: User) -> str:
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key),
                            last_used_at=timezone.now())
    return key


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).delete()


@dataclass(frozen=True)
class DormancyResult:
    noticed: int
    suspended: int


def dormancy_cutoffs(now: datetime) -> tuple[datetime, datetime]:
    """(suspend at or before, notify at or before): 12 months back in KST, and 30 days
    later than that."""
    local = timezone.localtime(now)
    suspend = local - relativedelta(months=policy.DORMANCY_MONTHS)
    return suspend, suspend + timedelta(days=policy.DORMANCY_NOTICE_DAYS)


_NOTICE_SQL = """
WITH picked AS (
    SELECT id FROM enrollment_customer
    WHERE suspension = '' AND dormancy_notice_at IS NULL
      AND last_used_at <= %(notice_cutoff)s AND last_used_at > %(suspend_cutoff)s
    LIMIT %(batch)s FOR UPDATE
), noticed AS (
    UPDATE enrollment_customer AS c SET dormancy_notice_at = %(now)s
    FROM picked WHERE c.id = picked.id
    RETURNING c.id, c.phone_masked, c.last_used_at
)
INSERT INTO enrollment_notification (customer_id, kind, channel, recipient, text, created_at)
SELECT id, 'dormancy_notice', 'sms', phone_masked,
       replace(%(text)s, '{date}', to_char(
           (last_used_at AT TIME ZONE %(tz)s) + make_interval(months => %(months)s),
           'YYYY-MM-DD')),
       %(now)s
FROM noticed
"""

_SUSPEND_SQL = """
WITH picked AS (
    SELECT id FROM enrollment_customer
    WHERE suspension = '' AND last_used_at <= %(suspend_cutoff)s
    LIMIT %(batch)s FOR UPDATE
), suspended AS (
    UPDATE enrollment_customer AS c SET suspension = 'dormant', suspended_at = %(now)s
    FROM picked WHERE c.id = picked.id
    RETURNING c.id, c.user_id, c.phone_masked
), notified AS (
    INSERT INTO enrollment_notification (customer_id, kind, channel, recipient, text,
                                         created_at)
    SELECT id, 'dormancy_suspended', 'sms', phone_masked, %(text)s, %(now)s FROM suspended
)
INSERT INTO postbank_auditevent (at, event, actor_id, subject, channel, ip, detail)
SELECT %(now)s, 'suspended', user_id, 'customer:' || id, 'system', NULL,
       '{"reason": "dormant"}'::jsonb
FROM suspended
"""


def _dormancy_batch(*, phase: str, params: dict) -> int:
    sql = _NOTICE_SQL if phase == "noticed" else _SUSPEND_SQL
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def dormancy_sweep(*, batch_size: int = policy.DORMANCY_BATCH_SIZE) -> DormancyResult:
    """The dormancy beat task's service. Sends the notice policy.DORMANCY_NOTICE_DAYS before,
    then suspends customers with policy.DORMANCY_MONTHS without use (no login, no
    transaction), in batches each in its own transaction, the notification and audit rows
    written with them in one set-based statement per batch. Running it twice changes
    nothing the second time: only unsuspended, un-noticed rows qualify."""
    now = timezone.now()
    suspend_cutoff, notice_cutoff = dormancy_cutoffs(now)
    with translation.override(settings.LANGUAGE_CODE):
        texts = {
            "noticed": str(_("Postbank: internet banking has not been used for 11 months and "
                             "will be suspended on {date}. Log in or make a transaction to "
                             "keep it.")),
            "suspended": str(_("Postbank: internet banking was suspended after 12 months "
                               "without use. Lift it at a post office counter with your ID "
                               "or in the security center.")),
        }
    params = {"now": now, "notice_cutoff": notice_cutoff, "suspend_cutoff": suspend_cutoff,
              "batch": batch_size, "tz": settings.TIME_ZONE,
              "months": policy.DORMANCY_MONTHS}
    totals = {}
    for phase in ("noticed", "suspended"):
        total = 0
        while True:
            done = _dormancy_batch(phase=phase, params={**params, "text": texts[phase]})
            total += done
            if done:
                logger.info("Dormancy sweep: %s %d customers in this batch, %d so far.",
                            phase, done, total)
            if done < batch_size:
                break
        totals[phase] = total
    logger.info("Dormancy sweep done: %d noticed, %d suspended.", totals["noticed"],
                totals["suspended"])
    return DormancyResult(**totals)


def notifications_deliver_pending(*, batch_size: int = 10_000) -> int:
    """Delivers (simulated) every message still in the outbox, such as those the dormancy
    sweep wrote set-based; returns how many."""
    total = 0
    while True:
        ids = list(Notification.objects.filter(delivered_at__isnull=True)
                   .order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        total += Notification.objects.filter(pk__in=ids, delivered_at__isnull=True).update(
            delivered_at=timezone.now())
