"""The demo's Damaan story: the old system's schedule of insured workers taken over, an establishment registered
online and approved, workers registered, a month declared and paid, a self-employed subscriber paying online, one
clearance certificate issued and verified publicly, one revoked by later arrears; and Damaan's insured-workers
extract written for the social registry's cycle (it replaces the synthetic one). Django is set up by the caller."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console


def _user(username: str, role: str):
    """The demo user of that role (its password is set with the others when the demo serves)."""
    from sijill.accounts.models import User

    user = User.objects.filter(username=username).first() or User(username=username)
    user.role, user.is_active = role, True
    user.set_unusable_password()
    user.save()
    return user


def run_damaan(world: Path, workdir: Path, console: Console, today: dt.date | None = None) -> dict[str, object]:
    from sijill.accounts.roles import Role
    from sijill.damaan import certificates, declarations, holder, ledger, legacy, monthly, registration, voluntary
    from sijill.damaan import contributions as c
    from sijill.damaan.models import Certificate, Declaration, Establishment, Insured, Subscription, VoluntaryCategory

    today = today or dt.date.today()
    this_month = c.month_start(today)
    last, before = c.add_months(this_month, -1), c.add_months(this_month, -2)

    loaded = legacy.load_schedule(world / "agencies" / "insured.csv", last)
    console.print(f"  the old system's schedule: {loaded.rows:,} rows → {loaded.workers:,} insured workers "
                  f"({loaded.without_id:,} without a national ID, for the directorate to complete) in "
                  f"{loaded.establishments:,} establishments; {len(loaded.problems):,} rows reported "
                  "with row and field")
    run = monthly.run_month(last, today)
    console.print(f"  monthly run for {last:%Y-%m}: {run.declarations_assessed:,} declarations "
                  f"({run.lines_assessed:,} workers) assessed under the table in force, in {run.seconds:.1f} s")

    officer, rep = _user("damaan", Role.DAMAAN_OFFICER), _user("employer", Role.EMPLOYER)
    est = Establishment.objects.filter(registration_no="DEMO-1001").first()
    if est is None:
        est = registration.register_establishment(rep, {
            "name": "مخبز الرافدين الحديث", "employer": "حيدر كاظم جواد", "sector": "private",
            "activity": "مخبز وأفران", "governorate": "بغداد", "address": "الكرادة، شارع ٦٢",
            "registration_no": "DEMO-1001"})
        registration.decide_establishment(officer, est, False, "أرفقوا عنوان المنشأة الكامل")
        registration.correct_establishment(rep, est, {**{k: getattr(est, k) for k in registration.ESTABLISHMENT_FIELDS},
                                                      "address": "الكرادة داخل، شارع ٦٢، قرب ساحة الحرية"})
        registration.decide_establishment(officer, est, True, "")
        people = [
            ("200101150011", "كرار", "حيدر", "عباس", "الموسوي", "سهام علي", "2001-01-15", "M", 650_000),
            ("199507220022", "زهراء", "محمد", "جاسم", "العبيدي", "نجلاء حسن", "1995-07-22", "F", 300_000),
            ("198811030033", "مصطفى", "علي", "ناصر", "الشمري", "رباب كاظم", "1988-11-03", "M", 2_100_000),
        ]
        for nid, given, father, grand, surname, mother, born, sex, wage in people:
            details = registration.PersonDetails.parse({
                "national_id": nid, "given": given, "father": father, "grandfather": grand, "surname": surname,
                "mother": mother, "birth_date": born, "sex": sex, "governorate": "بغداد"})
            registration.hire(rep, est, details, start=c.add_months(this_month, -6), wage=wage)
    console.print(f"  online: {est.name} registered by its representative, sent back for a correction with "
                  "reasons, corrected and approved; three workers registered through the identity layer")

    if not Declaration.objects.filter(establishment=est, month=before).exists():
        spells = declarations.workers_of(est, before)
        out = declarations.declare(rep, est, before, [(s.insured, s.wage, 50_000) for s in spells])
        ledger.record_payment(rep, est, before, out.assessment.total, f"EP-{today:%Y%m}-0001", today)
        console.print(f"  {before:%Y-%m} declared: {out.assessment.total:,} IQD (table {out.assessment.table.version}, "
                      f"due by {out.assessment.due_on}) and paid with the electronic payment's reference")
    issued = certificates.request_certificate(rep, est, today)
    url = f"/damaan/verify/{issued.number}/"
    seen = certificates.verify(issued.number, "127.0.0.1", today)
    console.print(f"  clearance certificate {issued.number} issued, valid until {issued.valid_until}; the public "
                  f"page {url} answers: {seen.state}, {seen.establishment}")

    # A taken-over establishment is cleared, then files a month it had missed: the certificate revokes itself.
    other = Establishment.objects.filter(registration_no__startswith="OLD-").order_by("pk").first()
    revoked = 0
    if other is not None:
        other.representatives.add(rep)
        late = c.add_months(this_month, -3)
        if not Declaration.objects.filter(establishment=other, month=late).exists():
            cert = certificates.request_certificate(rep, other, today)
            spells = declarations.workers_of(other, late)
            if spells:
                declarations.declare(rep, other, late, [(s.insured, s.wage, 0) for s in spells])
            cert.refresh_from_db()
            revoked = int(cert.revoked_on is not None)
            console.print(f"  {other.name}: certificate {cert.number} issued, then {late:%Y-%m} declared late and "
                          f"unpaid → {'revoked: ' + cert.revoked_reason if revoked else 'still valid'}")

    worker = _user("worker", Role.INSURED_WORKER)
    if not Subscription.objects.filter(insured__user=worker).exists():
        details = registration.PersonDetails.parse({
            "national_id": "198203100044", "given": "سلام", "father": "جبار", "grandfather": "حسن",
            "surname": "الكعبي", "mother": "حسنية عبد", "birth_date": "1982-03-10", "sex": "M",
            "governorate": "البصرة"})
        category = VoluntaryCategory.objects.get(version="vol-2025", number=4)
        sub = voluntary.subscribe(worker, details, "حلاق", category, c.add_months(this_month, -2))
        paid = voluntary.pay(worker, sub, 2, f"EP-{today:%Y%m}-0002", today)
        console.print(f"  voluntary retirement: a barber subscribed in category 4 ({category.monthly_iqd:,} IQD a "
                      f"month) from {sub.start:%Y-%m}, paid 2 months online ({paid.amount:,} IQD); "
                      f"{voluntary.unpaid(sub, today).count()} month left to pay")

    extract = workdir / "damaan" / "insured.csv"
    rows = holder.write_extract(extract)
    console.print(f"  Damaan's insured-workers extract for the social registry's cycle: {rows:,} rows in {extract}")
    return {
        "establishments": Establishment.objects.count(), "workers": Insured.objects.count(),
        "voluntary": Subscription.objects.count(), "declarations": Declaration.objects.count(),
        "certificates_issued": Certificate.objects.count(),
        "certificates_revoked": Certificate.objects.filter(revoked_on__isnull=False).count(),
        "sample_certificate_url": url, "schedule_rows": loaded.rows, "schedule_problems": len(loaded.problems),
        "schedule_without_national_id": loaded.without_id,
        "monthly_run_seconds": round(run.seconds, 2), "extract_rows": rows, "extract": str(extract),
    }
